import { describe, expect, it } from "vitest";
import { parseCondition, evaluateCondition, ConditionError } from "../../src/triggers/conditions.js";
import { compileGoTemplate } from "../../src/triggers/go-template.js";
import { applyTriggerParameters, evaluateSensor, parseSensor, TriggerParameterError } from "../../src/triggers/sensor.js";
import { event, payload } from "./helpers.js";

describe("applyTriggerParameters", () => {
  const wf = () => ({
    kind: "Workflow",
    metadata: { generateName: "ci-", labels: { team: "a" } },
    spec: { arguments: { parameters: [{ name: "sha" }, { name: "title", value: "PR: " }] } },
  });

  it.each<[string, Record<string, string>, (m: ReturnType<typeof wf>) => unknown, unknown]>([
    ["sets a value in a list element", { "spec.arguments.parameters.0.value": "abc" }, (m) => m.spec.arguments.parameters[0], { name: "sha", value: "abc" }],
    ["overwrites", { "spec.arguments.parameters.1.value": "x" }, (m) => m.spec.arguments.parameters[1].value, "x"],
    ["-1 appends to a list", { "spec.arguments.parameters.-1": "new" }, (m) => m.spec.arguments.parameters[2], "new"],
    ["creates missing objects", { "spec.entrypoint": "main" }, (m) => (m.spec as Record<string, unknown>).entrypoint, "main"],
    ["creates a list for an index under a missing key", { "spec.volumes.0.name": "v" }, (m) => (m.spec as Record<string, unknown>).volumes, [{ name: "v" }]],
    ["pads a list with nulls as sjson", { "spec.arguments.parameters.3": "x" }, (m) => m.spec.arguments.parameters.slice(2), [null, "x"]],
    ["escaped dots stay in the key", { "metadata.labels.tiphys\\.io/pr": "2" }, (m) => m.metadata.labels, { team: "a", "tiphys.io/pr": "2" }],
  ])("%s", (_what, params, pick, want) => {
    expect(pick(applyTriggerParameters(wf(), params))).toEqual(want);
  });

  it("append and prepend join with the current string", () => {
    const out = applyTriggerParameters(wf(), [
      { dest: "spec.arguments.parameters.1.value", value: "Fix it", operation: "append" },
      { dest: "metadata.generateName", value: "pr-", operation: "prepend" },
      { dest: "metadata.labels.missing", value: "x", operation: "append" },
    ]);
    expect(out.spec.arguments.parameters[1].value).toBe("PR: Fix it");
    expect(out.metadata.generateName).toBe("pr-ci-");
    expect((out.metadata.labels as Record<string, string>).missing).toBe("x");
  });

  it("works on a deep copy", () => {
    const original = wf();
    applyTriggerParameters(original, { "spec.arguments.parameters.0.value": "abc" });
    expect(original.spec.arguments.parameters[0]).toEqual({ name: "sha" });
  });

  it("refuses a word where a list needs an index", () => {
    expect(() => applyTriggerParameters(wf(), { "spec.arguments.parameters.first.value": "x" })).toThrow(TriggerParameterError);
  });
});

describe("parameter sources", () => {
  const sensorWith = (parameters: unknown[]) => {
    const { sensor, problems } = parseSensor({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Sensor",
      metadata: { name: "p" },
      spec: {
        dependencies: [
          { name: "pr", eventSourceName: "github", eventName: "pull_request" },
          { name: "other", eventSourceName: "github", eventName: "push" },
        ],
        triggers: [{
          template: {
            name: "t",
            conditions: "pr || other",
            argoWorkflow: { source: { resource: { kind: "Workflow", spec: {} } }, parameters },
          },
        }],
      },
    }, "f.yaml");
    expect(problems).toEqual([]);
    return sensor!;
  };
  const opened = () => event("pull_request", payload("pull_request", "opened"), { deliveryId: "d-9", time: new Date("2024-01-02T03:04:05Z") });

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ["dataKey", { dependencyName: "pr", dataKey: "body.pull_request.head.ref" }, "changes"],
    ["dataKey of a list gives its JSON", { dependencyName: "pr", dataKey: "body.pull_request.labels" }, "[]"],
    ["dataKey of a number gives its text", { dependencyName: "pr", dataKey: "body.pull_request.number" }, "2"],
    ["dataTemplate", { dependencyName: "pr", dataTemplate: "pr-{{ .Input.body.number }}-{{ .Input.body.action }}" }, "pr-2-opened"],
    ["dataTemplate giving <no value> falls back to dataKey", { dependencyName: "pr", dataTemplate: "{{ .Input.body.nope }}", dataKey: "body.action" }, "opened"],
    ["contextKey", { dependencyName: "pr", contextKey: "id" }, "d-9"],
    ["contextTemplate", { dependencyName: "pr", contextTemplate: "{{ .Input.subject }}@{{ .Input.time }}" }, "pull_request@2024-01-02T03:04:05.000Z"],
    ["missing key falls back to value", { dependencyName: "pr", dataKey: "body.nope", value: "default" }, "default"],
    ["a dependency without an event uses value", { dependencyName: "other", dataKey: "body.after", value: "none" }, "none"],
  ])("%s", (_what, src, want) => {
    const r = evaluateSensor(sensorWith([{ src, dest: "spec.x" }]), opened());
    expect(r.fired[0]?.parameters["spec.x"]).toBe(want);
  });

  it("a parameter with no value and no default fails the trigger, and its event is consumed", () => {
    const r = evaluateSensor(sensorWith([{ src: { dependencyName: "pr", dataKey: "body.nope" }, dest: "spec.x" }]), opened());
    expect(r.fired).toEqual([]);
    expect(r.failed).toEqual([{
      triggerName: "t",
      path: "spec.triggers[0].template.argoWorkflow.parameters[0]",
      reason: "parameter for spec.x has no value (the event has nothing there) and no default src.value",
    }]);
    expect(r.state.satisfied).toEqual({});
  });
});

describe("git source", () => {
  const sensorWithGit = (git: Record<string, unknown>) =>
    parseSensor({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Sensor",
      metadata: { name: "g" },
      spec: {
        dependencies: [{ name: "pr", eventSourceName: "github", eventName: "pull_request" }],
        triggers: [{ template: { name: "t", argoWorkflow: { source: { git } } } }],
      },
    }, "f.yaml").sensor!;
  const opened = () => event("pull_request", payload("pull_request", "opened"));

  it.each<[string, Record<string, unknown>, boolean]>([
    ["filePath alone reads this repository", { filePath: "./.tiphys/wf.yaml" }, true],
    ["an https url of this repository", { url: "https://github.com/Codertocat/Hello-World.git", filePath: ".tiphys/wf.yaml" }, true],
    ["an ssh url of this repository", { url: "git@github.com:codertocat/hello-world.git", filePath: ".tiphys/wf.yaml" }, true],
    ["another repository", { url: "https://github.com/argoproj/argo-workflows.git", filePath: "examples/hello-world.yaml" }, false],
  ])("%s", (_what, git, ok) => {
    const r = evaluateSensor(sensorWithGit(git), opened());
    if (ok) expect(r.fired[0].workflow).toEqual({ source: "file", file: ".tiphys/wf.yaml" });
    else expect(r.failed[0]).toMatchObject({ path: "spec.triggers[0].template.argoWorkflow.source.git.url", reason: expect.stringContaining("is not this repository") });
  });
});

describe("conditions", () => {
  const deps = ["dep-01", "dep-02", "dep_03"];
  it.each<[string, string[], boolean]>([
    ["(dep-01 || dep-02) && dep_03", ["dep-02", "dep_03"], true],
    ["(dep-01 || dep-02) && dep_03", ["dep-01", "dep-02"], false],
    ["dep-01 || dep-02 && dep_03", ["dep-01"], true],
    ["dep-01&&dep-02", ["dep-01"], false],
  ])("%s over %j", (text, satisfied, want) => {
    expect(evaluateCondition(parseCondition(text, deps), (n) => satisfied.includes(n))).toBe(want);
  });

  it.each(["", "dep-01 &&", "(dep-01", "dep-01 dep-02", "dep-04"])("refuses %j", (text) => {
    expect(() => parseCondition(text, deps)).toThrow(ConditionError);
  });
});

describe("Go template subset", () => {
  it.each<[string, unknown, string | undefined]>([
    ["{{ .Input }}", "x", "x"],
    ["{{ .Input.a.b }}", { a: { b: 2 } }, "2"],
    ["{{ .Input.n }}", { n: 1000000 }, "1e+06"],
    ["{{ .Input.missing }}", {}, "<no value>"],
    ["{{ .Input.missing.deeper }}", {}, undefined],
    ["{{ .Input | upper }}", "ab", "AB"],
    ["{{ lower .Input }}", "AB", "ab"],
    ["{{ .Input | trunc 3 }}", "abcdef", "abc"],
    ["{{ substr 1 3 .Input }}", "abcdef", "bc"],
    ["a {{- .Input -}} b", "X", "aXb"],
  ])("%s", (text, input, want) => {
    expect(compileGoTemplate(text).render({ Input: input })).toBe(want);
  });

  it.each(["{{ .Input | replace \"a\" \"b\" }}", "{{ range .Input }}{{ end }}", "{{ $x := 1 }}", "{{ .Input"])("refuses %s", (text) => {
    expect(() => compileGoTemplate(text)).toThrow();
  });
});
