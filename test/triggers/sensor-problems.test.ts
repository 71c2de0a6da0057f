import { describe, expect, it } from "vitest";
import { parseSensor } from "../../src/triggers/sensor.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** A valid Sensor: dependencies a (push) and b (pull_request), one argoWorkflow trigger. */
function base(): Doc {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Sensor",
    metadata: { name: "ci" },
    spec: {
      dependencies: [
        { name: "a", eventSourceName: "github", eventName: "push", filters: { data: [{ path: "body.ref", type: "string", value: ["main"] }] } },
        { name: "b", eventSourceName: "github", eventName: "pull_request" },
      ],
      triggers: [
        {
          template: {
            name: "run",
            conditions: "a || b",
            argoWorkflow: {
              operation: "submit",
              source: { resource: { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", metadata: { generateName: "ci-" }, spec: {} } },
              parameters: [{ src: { dependencyName: "a", dataKey: "body.after" }, dest: "spec.arguments.parameters.0.value" }],
            },
          },
        },
      ],
    },
  };
}

const dep0 = "spec.dependencies[0]";
const tpl = "spec.triggers[0].template";
const aw = `${tpl}.argoWorkflow`;

describe("parseSensor", () => {
  it("accepts the base Sensor without problems", () => {
    const { sensor, problems } = parseSensor(base(), "f.yaml");
    expect(problems).toEqual([]);
    expect(sensor?.dependencies.map((d) => d.name)).toEqual(["a", "b"]);
    expect(sensor?.triggers[0]).toMatchObject({ name: "run", type: "argoWorkflow", source: { kind: "inline" } });
  });

  it.each<[string, (s: Doc) => void, "error" | "warning", string, string]>([
    ["an http trigger", (s) => { delete s.spec.triggers[0].template.argoWorkflow; s.spec.triggers[0].template.http = { url: "x" }; },
      "error", `${tpl}.http`, "http trigger is not supported by Tiphys"],
    ["a Lua script filter", (s) => { s.spec.dependencies[0].filters.script = "return true"; }, "error", `${dep0}.filters.script`, "not supported by Tiphys"],
    ["a transform", (s) => { s.spec.dependencies[0].transform = { jq: "." }; }, "error", `${dep0}.transform`, "not supported by Tiphys"],
    ["an unknown filter type", (s) => { s.spec.dependencies[0].filters.dataa = []; }, "error", `${dep0}.filters.dataa`, 'unknown field "dataa" (did you mean "data"?)'],
    ["a bad regex", (s) => { s.spec.dependencies[0].filters.data[0].value = ["main", "(unclosed"]; }, "error", `${dep0}.filters.data[0].value[1]`, "not a valid regular expression"],
    ["a lookahead (not RE2)", (s) => { s.spec.dependencies[0].filters.data[0].value = ["main(?!-old)"]; }, "error", `${dep0}.filters.data[0].value[0]`, "not valid in Go's regexp"],
    ["> on a string filter", (s) => { s.spec.dependencies[0].filters.data[0].comparator = ">"; }, "error", `${dep0}.filters.data[0].comparator`, "does not apply to strings"],
    ["a non-number in a number filter", (s) => { Object.assign(s.spec.dependencies[0].filters.data[0], { type: "number", value: ["ten"] }); },
      "error", `${dep0}.filters.data[0].value[0]`, '"ten" is not a number'],
    ["a non-bool in a bool filter", (s) => { Object.assign(s.spec.dependencies[0].filters.data[0], { type: "bool", value: ["yes"] }); },
      "error", `${dep0}.filters.data[0].value[0]`, '"yes" is not a bool'],
    ["an unknown data type", (s) => { s.spec.dependencies[0].filters.data[0].type = "int"; }, "error", `${dep0}.filters.data[0].type`, "must be one of bool, number, string"],
    ["empty values", (s) => { s.spec.dependencies[0].filters.data[0].value = []; }, "error", `${dep0}.filters.data[0].value`, "at least one value"],
    ["an unsupported gjson path", (s) => { s.spec.dependencies[0].filters.data[0].path = "body.commits|@reverse"; }, "error", `${dep0}.filters.data[0].path`, "not supported by Tiphys"],
    ["a data template beyond the subset", (s) => { s.spec.dependencies[0].filters.data[0].template = "{{ if .Input }}x{{ end }}"; },
      "error", `${dep0}.filters.data[0].template`, "is not supported by Tiphys"],
    ["an unparsable expr", (s) => { s.spec.dependencies[0].filters.exprs = [{ expr: "a ==", fields: [{ name: "a", path: "body.ref" }] }]; },
      "error", `${dep0}.filters.exprs[0].expr`, "cannot parse"],
    ["an expr variable without a field", (s) => { s.spec.dependencies[0].filters.exprs = [{ expr: "a == b", fields: [{ name: "a", path: "body.ref" }] }]; },
      "error", `${dep0}.filters.exprs[0].expr`, '"b" is not bound by fields'],
    ["a bad dataLogicalOperator", (s) => { s.spec.dependencies[0].filters.dataLogicalOperator = "xor"; }, "error", `${dep0}.filters.dataLogicalOperator`, "must be one of and, or"],
    ["a bad time of day", (s) => { s.spec.dependencies[0].filters.time = { start: "25:00:00", stop: "01:00:00" }; }, "error", `${dep0}.filters.time.start`, "not a time of day"],
    ["an unknown time zone", (s) => { s.spec.dependencies[0].filters.time = { start: "01:00:00", stop: "02:00:00", timezone: "Mars/Olympus" }; },
      "error", `${dep0}.filters.time.timezone`, "not an IANA time zone"],
    ["an eventName typo", (s) => { s.spec.dependencies[1].eventName = "pull_requests"; }, "error", "spec.dependencies[1].eventName", 'did you mean "pull_request"?'],
    ["a missing eventSourceName", (s) => { delete s.spec.dependencies[1].eventSourceName; }, "error", "spec.dependencies[1].eventSourceName", "missing"],
    ["a duplicate dependency", (s) => { s.spec.dependencies[1].name = "a"; }, "error", "spec.dependencies[1].name", "defined twice"],
    ["conditions naming an unknown dependency", (s) => { s.spec.triggers[0].template.conditions = "a && c"; }, "error", `${tpl}.conditions`, "'c' is not a dependency"],
    ["conditions with a syntax error", (s) => { s.spec.triggers[0].template.conditions = "(a || b"; }, "error", `${tpl}.conditions`, "missing ')'"],
    ["conditions with negation", (s) => { s.spec.triggers[0].template.conditions = "!a"; }, "error", `${tpl}.conditions`, "unexpected '!'"],
    ["conditionsReset", (s) => { s.spec.triggers[0].template.conditionsReset = [{ byTime: { cron: "0 0 * * *" } }]; },
      "warning", `${tpl}.conditionsReset`, "ignored by Tiphys"],
    ["operation resubmit", (s) => { s.spec.triggers[0].template.argoWorkflow.operation = "resubmit"; }, "error", `${aw}.operation`, 'operation "resubmit" is not supported by Tiphys'],
    ["args", (s) => { s.spec.triggers[0].template.argoWorkflow.args = ["--serviceaccount", "x"]; }, "error", `${aw}.args`, "not supported by Tiphys"],
    ["a url source", (s) => { s.spec.triggers[0].template.argoWorkflow.source = { url: { path: "https://x/wf.yaml" } }; }, "error", `${aw}.source.url`, "not supported by Tiphys"],
    ["a git source in another remote", (s) => { s.spec.triggers[0].template.argoWorkflow.source = { git: { filePath: "wf.yaml", remote: { name: "up" } } }; },
      "error", `${aw}.source.git.remote`, "not supported by Tiphys"],
    ["a git branch", (s) => { s.spec.triggers[0].template.argoWorkflow.source = { git: { filePath: "wf.yaml", branch: "main" } }; },
      "warning", `${aw}.source.git.branch`, "ignored: Tiphys reads filePath at the commit of the event"],
    ["a file outside the repository", (s) => { s.spec.triggers[0].template.argoWorkflow.source = { file: { path: "../other/wf.yaml" } }; },
      "error", `${aw}.source.file.path`, "must be a path inside this repository"],
    ["a resource that is not a Workflow", (s) => { s.spec.triggers[0].template.argoWorkflow.source.resource.kind = "WorkflowTemplate"; },
      "error", `${aw}.source.resource.kind`, "submits a Workflow"],
    ["a parameter from an unknown dependency", (s) => { s.spec.triggers[0].template.argoWorkflow.parameters[0].src.dependencyName = "z"; },
      "error", `${aw}.parameters[0].src.dependencyName`, '"z" is not a dependency'],
    ["a parameter without a source", (s) => { s.spec.triggers[0].template.argoWorkflow.parameters[0].src = { dependencyName: "a" }; },
      "error", `${aw}.parameters[0].src`, "needs dataKey, dataTemplate"],
    ["a bad parameter operation", (s) => { s.spec.triggers[0].template.argoWorkflow.parameters[0].operation = "replace"; },
      "error", `${aw}.parameters[0].operation`, "must be one of overwrite, append, prepend"],
    ["useRawData", (s) => { s.spec.triggers[0].template.argoWorkflow.parameters[0].src.useRawData = true; },
      "warning", `${aw}.parameters[0].src.useRawData`, "ignored: Tiphys writes every parameter as a string"],
    ["a trigger-level parameter outside the resource", (s) => { s.spec.triggers[0].parameters = [{ src: { dependencyName: "a", value: "x" }, dest: "http.url" }]; },
      "error", "spec.triggers[0].parameters[0].dest", "only with dest under argoWorkflow.source.resource."],
    ["policy", (s) => { s.spec.triggers[0].policy = { status: { allow: [200] } }; }, "warning", "spec.triggers[0].policy", "ignored by Tiphys"],
    ["no trigger type", (s) => { delete s.spec.triggers[0].template.argoWorkflow; }, "error", tpl, "needs a trigger type"],
  ])("reports %s", (_what, mutate, severity, path, message) => {
    const doc = base();
    mutate(doc);
    const { sensor, problems } = parseSensor(doc, "f.yaml");
    expect(problems).toContainEqual({ file: "f.yaml", path, severity, message: expect.stringContaining(message) });
    // A Sensor with an error runs nothing; one with only warnings runs.
    expect(sensor === undefined).toBe(severity === "error");
  });

  it("maps a trigger-level parameter under argoWorkflow.source.resource onto the workflow", () => {
    const doc = base();
    doc.spec.triggers[0].parameters = [{ src: { dependencyName: "a", value: "x" }, dest: "argoWorkflow.source.resource.metadata.generateName" }];
    const { sensor } = parseSensor(doc, "f.yaml");
    expect(sensor?.triggers[0].parameters.map((p) => p.dest)).toEqual(["metadata.generateName", "spec.arguments.parameters.0.value"]);
  });

  it("refuses a document that is not a Sensor", () => {
    expect(parseSensor({ apiVersion: "v1", kind: "ConfigMap" }, "f.yaml").problems).toEqual([
      { file: "f.yaml", path: "kind", message: "not an argoproj.io/v1alpha1 Sensor", severity: "error" },
    ]);
  });
});
