import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TriggerEvent } from "../../src/triggers/event.js";
import { evaluateSensor, parseSensor, type SensorState } from "../../src/triggers/sensor.js";
import { branchPush, event, payload, sensorOf } from "./helpers.js";

// examples/sensors/github.yaml of argoproj/argo-events, as published (a k8s trigger, eventName of an EventSource entry).
const CANONICAL = `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: github
spec:
  template:
    serviceAccountName: operate-workflow-sa
  dependencies:
    - name: test-dep
      eventSourceName: github
      eventName: example
      filters:
        data:
          # Type of Github event that triggered the delivery: [pull_request, push, issues, label, ...]
          - path: headers.X-Github-Event
            type: string
            value:
              - pull_request
          - path: body.action
            type: string
            value:
              - opened
              - edited
              - reopened
              - synchronize
          - path: body.pull_request.state
            type: string
            value:
              - open
          - path: body.pull_request.base.ref
            type: string
            value:
              - master
  triggers:
    - template:
        name: github-workflow-trigger
        k8s:
          operation: create
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: github-
              spec:
                entrypoint: whalesay
                templates:
                  - name: whalesay
                    container:
                      image: docker/whalesay:latest
      retryStrategy:
        steps: 3
`;

// The same Sensor as Tiphys runs it: eventName is the GitHub event, the trigger an argoWorkflow submit
// whose parameters take the PR's title, number and short sha.
const TIPHYS = `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: github
spec:
  dependencies:
    - name: test-dep
      eventSourceName: github
      eventName: pull_request
      filters:
        data:
          - path: headers.X-Github-Event
            type: string
            value: [pull_request]
          - path: body.action
            type: string
            value: [opened, edited, reopened, synchronize]
          - path: body.pull_request.state
            type: string
            value: [open]
          - path: body.pull_request.base.ref
            type: string
            value: [master]
  triggers:
    - template:
        name: github-workflow-trigger
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: github-
              spec:
                entrypoint: whalesay
                arguments:
                  parameters: [{ name: pr-title }, { name: pr-number }, { name: short-sha }]
                templates:
                  - name: whalesay
                    container:
                      image: docker/whalesay:latest
          parameters:
            - src: { dependencyName: test-dep, dataKey: body.pull_request.title }
              dest: spec.arguments.parameters.0.value
            - src: { dependencyName: test-dep, dataKey: body.pull_request.number }
              dest: spec.arguments.parameters.1.value
            - src: { dependencyName: test-dep, dataTemplate: "{{ .Input.body.pull_request.head.sha | substr 0 7 }}" }
              dest: spec.arguments.parameters.2.value
`;

describe("Argo's canonical GitHub Sensor", () => {
  it("is refused as published, with a path and a reason for each part Tiphys cannot run", () => {
    const { sensor, problems } = parseSensor(parse(CANONICAL), ".tiphys/github.yaml");
    expect(sensor).toBeUndefined();
    expect(problems.map((p) => [p.severity, p.path, p.message])).toEqual([
      ["error", "spec.dependencies[0].eventName", expect.stringContaining('"example" is not a GitHub event')],
      ["warning", "spec.triggers[0].retryStrategy", "retryStrategy is ignored by Tiphys"],
      ["error", "spec.triggers[0].template.k8s", "k8s trigger is not supported by Tiphys (supported: argoWorkflow, log)"],
    ]);
    expect(problems.every((p) => p.file === ".tiphys/github.yaml")).toBe(true);
  });

  const sensor = sensorOf(TIPHYS);
  it.each<{ what: string; ev: () => TriggerEvent; fires: boolean }>([
    { what: "pull_request opened on master", ev: () => event("pull_request", payload("pull_request", "opened")), fires: true },
    { what: "pull_request synchronize on master", ev: () => event("pull_request", payload("pull_request", "synchronize")), fires: true },
    { what: "pull_request closed", ev: () => event("pull_request", payload("pull_request", "closed")), fires: false },
    {
      what: "pull_request opened on another base",
      ev: () => {
        const body = payload("pull_request", "opened");
        body.pull_request.base.ref = "develop";
        return event("pull_request", body);
      },
      fires: false,
    },
    { what: "push", ev: () => event("push", branchPush()), fires: false },
    { what: "issue_comment", ev: () => event("issue_comment", payload("issue_comment", "created")), fires: false },
  ])("$what fires: $fires", ({ ev, fires }) => {
    const r = evaluateSensor(sensor, ev());
    expect(r.fired.map((f) => f.triggerName)).toEqual(fires ? ["github-workflow-trigger"] : []);
  });

  it("maps event data into spec.arguments", () => {
    const [fired] = evaluateSensor(sensor, event("pull_request", payload("pull_request", "opened"))).fired;
    expect(fired.parameters).toEqual({
      "spec.arguments.parameters.0.value": "Update the README with new information.",
      "spec.arguments.parameters.1.value": "2",
      "spec.arguments.parameters.2.value": "ec26c3e",
    });
    expect(fired.workflow).toMatchObject({ source: "inline", manifest: { kind: "Workflow", metadata: { generateName: "github-" } } });
    expect(fired.consumed).toEqual(["test-dep"]);
  });
});

/** Three dependencies: a push to main, an approved review, a /deploy comment. */
const THREE = `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: { name: three }
spec:
  dependencies:
    - name: push-main
      eventSourceName: github
      eventName: push
      filters:
        data: [{ path: body.ref, type: string, value: ["^refs/heads/master$"] }]
    - name: pr-opened
      eventSourceName: github
      eventName: pull_request
      filters:
        data: [{ path: body.action, type: string, value: ["^opened$"] }]
    - name: comment
      eventSourceName: github
      eventName: issue_comment
  triggers:
    - template:
        name: either-then-comment
        conditions: "(push-main || pr-opened) && comment"
        log: {}
    - template:
        name: all
        log: {}
`;

describe("conditions and state", () => {
  const sensor = sensorOf(THREE);
  const push = () => event("push", branchPush(), { deliveryId: "d-push" });
  const pr = () => event("pull_request", payload("pull_request", "opened"), { deliveryId: "d-pr" });
  const comment = () => event("issue_comment", payload("issue_comment", "created"), { deliveryId: "d-comment" });

  /** Feeds events in order; returns the triggers fired by each and the final state. */
  function feed(events: TriggerEvent[], state: SensorState = { satisfied: {} }) {
    const firedPerEvent: string[][] = [];
    for (const ev of events) {
      const r = evaluateSensor(sensor, ev, state);
      firedPerEvent.push(r.fired.map((f) => f.triggerName));
      state = r.state;
    }
    return { firedPerEvent, state };
  }

  it("(a || b) && c: waits for c, then fires once", () => {
    const { firedPerEvent, state } = feed([push(), comment()]);
    expect(firedPerEvent).toEqual([[], ["either-then-comment"]]);
    expect(Object.keys(state.satisfied)).toEqual([]);
  });

  it("(a || b) && c: c alone does not fire", () => {
    expect(feed([comment()]).firedPerEvent).toEqual([[]]);
  });

  it("(a || b) && c: the other branch of the OR works too, in any order", () => {
    expect(feed([comment(), pr()]).firedPerEvent).toEqual([[], ["either-then-comment"]]);
  });

  it("default AND over all dependencies: state carried across events, the third completes it", () => {
    const first = feed([push(), pr()]);
    expect(first.firedPerEvent).toEqual([[], []]);
    expect(Object.keys(first.state.satisfied).sort()).toEqual(["pr-opened", "push-main"]);
    expect(first.state.satisfied["push-main"].eventId).toBe("d-push");
    const second = feed([comment()], first.state);
    expect(second.firedPerEvent).toEqual([["either-then-comment", "all"]]);
  });

  it("consumed dependencies are cleared: the same trigger needs new events to fire again", () => {
    const r = evaluateSensor(sensor, comment(), feed([push()]).state);
    expect(r.fired[0].consumed).toEqual(["push-main", "comment"]);
    expect(r.state.satisfied).toEqual({});
    expect(feed([comment()], r.state).firedPerEvent).toEqual([[]]);
  });

  it("a refused event leaves the state as it was", () => {
    const before = feed([push()]).state;
    const closed = event("pull_request", payload("pull_request", "closed"));
    const r = evaluateSensor(sensor, closed, before);
    expect(r.matchedDependencies).toEqual([]);
    expect(r.unmatched).toEqual([{ dependency: "pr-opened", reason: 'body.action is "closed", wanted ^opened$' }]);
    expect(r.state).toEqual(before);
  });

  it("the latest event of a dependency is the one kept", () => {
    const { state } = feed([push(), { ...push(), deliveryId: "d-push-2" }]);
    expect(state.satisfied["push-main"].eventId).toBe("d-push-2");
  });

  it("forgets state of dependencies the Sensor no longer has", () => {
    const stale: SensorState = { satisfied: { gone: { eventId: "x", data: { headers: {}, body: {} } } } };
    expect(evaluateSensor(sensor, push(), stale).state.satisfied).not.toHaveProperty("gone");
  });
});
