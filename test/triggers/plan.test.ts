import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { planTriggers, type TriggerDoc } from "../../src/triggers/index.js";
import { branchPush, event, payload } from "./helpers.js";

/** The documents of a `.tiphys/` folder, from file → YAML text (several documents per file allowed). */
function repo(files: Record<string, string>): TriggerDoc[] {
  return Object.entries(files).flatMap(([file, text]) => parseAllDocuments(text).map((d) => ({ file, manifest: d.toJS() })));
}

const FILES = {
  ".tiphys/ci.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ci-
  annotations: { tiphys.io/on: "push", tiphys.io/branches: "master" }
spec: { entrypoint: main }
`,
  ".tiphys/templates.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lint
  annotations: { tiphys.io/on: "pull_request" }
spec: { entrypoint: main }
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: shared
  annotations: { tiphys.io/on: "pull_request.closed" }
spec: { entrypoint: main }
`,
  ".tiphys/manual.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: manual }
spec: { entrypoint: main }
`,
  ".tiphys/deploy.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { generateName: deploy- }
spec:
  entrypoint: main
  arguments:
    parameters: [{ name: sha }]
`,
  ".tiphys/nightly.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: { name: nightly, annotations: { tiphys.io/on: push } }
spec: {}
`,
  ".tiphys/sensor.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: { name: deploy }
spec:
  dependencies:
    - name: push-master
      eventSourceName: github
      eventName: push
      filters:
        data: [{ path: body.ref, type: string, value: ["^refs/heads/master$"] }]
  triggers:
    - template:
        name: deploy
        argoWorkflow:
          source: { file: { path: ./.tiphys/deploy.yaml } }
          parameters:
            - src: { dependencyName: push-master, dataKey: body.after }
              dest: spec.arguments.parameters.0.value
    - template:
        name: announce
        argoWorkflow:
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata: { generateName: announce- }
              spec: { entrypoint: main }
          parameters:
            - src: { dependencyName: push-master, dataKey: body.head_commit.message }
              dest: metadata.annotations.message
`,
  ".tiphys/broken.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: { name: broken }
spec:
  dependencies: [{ name: d, eventSourceName: github, eventName: push }]
  triggers: [{ template: { name: t, http: { url: "https://example.invalid" } } }]
`,
};

describe("planTriggers", () => {
  const docs = repo(FILES);
  const push = () => event("push", branchPush(), { deliveryId: "d-1", changedFiles: ["README.md"] });

  it("a push to master: the annotated Workflow and both Sensor triggers", () => {
    const plan = planTriggers(docs, push());
    expect(plan.runs.map((r) => [r.via, r.workflowFile, r.trigger ?? null])).toEqual([
      ["sensor", ".tiphys/deploy.yaml", "deploy"],
      ["sensor", ".tiphys/sensor.yaml", "announce"],
      ["annotation", ".tiphys/ci.yaml", null],
    ]);
    const [deploy, announce, ci] = plan.runs;
    expect(deploy.manifest.spec.arguments.parameters).toEqual([{ name: "sha", value: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" }]);
    expect(deploy.reason).toBe("Sensor deploy, trigger deploy: events of push-master");
    expect(announce.manifest.metadata.annotations).toEqual({ message: "Initial commit" });
    expect(ci.manifest.metadata.generateName).toBe("ci-");
    expect(ci.reason).toBe("push; branch master matches master");
  });

  it("says what did not start and why", () => {
    const plan = planTriggers(docs, push());
    expect(plan.skipped).toEqual(expect.arrayContaining([
      { name: "Sensor/broken", reason: "not run: spec.triggers[0].template.http: http trigger is not supported by Tiphys (supported: argoWorkflow, log)" },
      { name: "WorkflowTemplate/lint", reason: "event push is not in tiphys.io/on (pull_request)" },
      { name: "Workflow/manual", reason: "no tiphys.io/on annotation and no Sensor submits it" },
    ]));
    // deploy.yaml is submitted by a Sensor: it is not reported as never starting.
    expect(plan.skipped.map((s) => s.name)).not.toContain("Workflow/deploy-");
    expect(plan.problems).toEqual(expect.arrayContaining([
      { file: ".tiphys/broken.yaml", path: "spec.triggers[0].template.http", message: expect.stringContaining("not supported by Tiphys"), severity: "error" },
      { file: ".tiphys/nightly.yaml", path: "metadata.annotations.tiphys.io/on", message: expect.stringContaining("ignored on a CronWorkflow"), severity: "warning" },
    ]));
  });

  it("a pull request starts WorkflowTemplates through a workflowTemplateRef", () => {
    const opened = planTriggers(docs, event("pull_request", payload("pull_request", "opened")));
    expect(opened.runs).toEqual([{
      workflowFile: ".tiphys/templates.yaml",
      manifest: { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", metadata: { generateName: "lint-" }, spec: { workflowTemplateRef: { name: "lint" } } },
      via: "annotation",
      reason: "pull_request.opened",
    }]);
    const closed = planTriggers(docs, event("pull_request", payload("pull_request", "closed")));
    expect(closed.runs.map((r) => r.manifest.spec.workflowTemplateRef)).toEqual([{ name: "shared", clusterScope: true }]);
  });

  it("runs are deep copies", () => {
    const plan = planTriggers(docs, push());
    plan.runs[2].manifest.spec.entrypoint = "changed";
    expect(docs.find((d) => d.file === ".tiphys/ci.yaml")?.manifest.spec.entrypoint).toBe("main");
  });

  it("a Sensor's file source must be one Workflow among the .tiphys/ documents", () => {
    const missing = repo({ ".tiphys/sensor.yaml": FILES[".tiphys/sensor.yaml"] });
    const plan = planTriggers(missing, push());
    expect(plan.runs.map((r) => r.trigger)).toEqual(["announce"]);
    expect(plan.problems).toContainEqual({
      file: ".tiphys/sensor.yaml",
      path: "spec.triggers[0].template.argoWorkflow.source",
      message: ".tiphys/deploy.yaml is not among the .tiphys/ files (Tiphys reads workflows only from .tiphys/**)",
      severity: "error",
    });
    const two = repo({ ...FILES, ".tiphys/deploy.yaml": `${FILES[".tiphys/deploy.yaml"]}---${FILES[".tiphys/deploy.yaml"]}` });
    expect(planTriggers(two, push()).problems.map((p) => p.message)).toContain(
      ".tiphys/deploy.yaml holds 2 Workflows; the file of an argoWorkflow trigger must hold exactly one",
    );
  });

  it("carries Sensor state from one event to the next", () => {
    const both = repo({
      ".tiphys/wf.yaml": FILES[".tiphys/deploy.yaml"],
      ".tiphys/sensor.yaml": `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: { name: both }
spec:
  dependencies:
    - { name: pushed, eventSourceName: github, eventName: push }
    - { name: commented, eventSourceName: github, eventName: issue_comment }
  triggers:
    - template: { name: go, argoWorkflow: { source: { file: { path: .tiphys/wf.yaml } } } }
`,
    });
    const first = planTriggers(both, push());
    expect(first.runs).toEqual([]);
    expect(first.skipped).toContainEqual({ name: "Sensor/both/go", reason: "waiting for commented" });
    expect(Object.keys(first.sensorState.both.satisfied)).toEqual(["pushed"]);
    const second = planTriggers(both, event("issue_comment", payload("issue_comment", "created")), first.sensorState);
    expect(second.runs.map((r) => r.reason)).toEqual(["Sensor both, trigger go: events of pushed, commented"]);
    expect(second.sensorState).toEqual({ both: { satisfied: {} } });
  });

  it("a Sensor with errors keeps the state it had, and starts nothing", () => {
    const state = { deploy: { satisfied: { "push-master": { eventId: "old", data: { headers: {}, body: {} } } } } };
    const broken = repo({ ".tiphys/sensor.yaml": FILES[".tiphys/sensor.yaml"].replace("eventName: push", "eventName: pushh") });
    const plan = planTriggers(broken, push(), state);
    expect(plan.runs).toEqual([]);
    expect(plan.sensorState).toEqual(state);
    expect(plan.problems[0]).toMatchObject({ path: "spec.dependencies[0].eventName", message: expect.stringContaining('did you mean "push"?') });
  });
});
