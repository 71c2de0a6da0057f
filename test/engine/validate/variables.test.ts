import { describe, expect, it } from "vitest";
import { describeErrors, errorMatching, lintYaml, posIn } from "./helpers.js";

const wf = (templates: string, spec = "") => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: vars-
  labels:
    team: a
spec:
  entrypoint: main
${spec}  templates:
${templates}  - name: echo
    inputs:
      parameters:
      - name: msg
    outputs:
      parameters:
      - name: out
        valueFrom:
          path: /tmp/out
    container:
      image: alpine
      args: ["{{inputs.parameters.msg}}"]
`;

describe("template variables", () => {
  it("needs inputs.parameters.X to be declared, with a did-you-mean", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      parameters:
      - name: message
        value: hi
    container:
      image: alpine
      args: ["{{inputs.parameters.mesage}}"]
`),
    );
    const e = errorMatching(r, /mesage/);
    expect(e.message).toBe(
      'failed to resolve {{inputs.parameters.mesage}}: template "main" has no input parameter "mesage" (did you mean "message"?)',
    );
    expect(e.pos).toEqual(posIn(r, '"{{inputs.parameters.mesage}}"'));
  });

  it("needs inputs.artifacts.X to be declared", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      artifacts:
      - name: src
        path: /src
        raw: {data: x}
    container:
      image: alpine
      args: ["{{inputs.artifacts.src.path}}", "{{inputs.artifacts.srcs.path}}"]
`),
    );
    expect(errorMatching(r, /srcs/).message).toContain('has no input artifact "srcs" (did you mean "src"?)');
  });

  it("resolves outputs.parameters.X.path, pod.name and retries where they exist", async () => {
    const ok = await lintYaml(
      wf(`  - name: main
    retryStrategy: {limit: 2}
    outputs:
      parameters:
      - name: result
        valueFrom: {path: /tmp/r}
    container:
      image: alpine
      args: ["{{outputs.parameters.result.path}} {{pod.name}} {{retries}} {{node.name}}"]
`),
    );
    expect(describeErrors(ok)).toBe("");
    const bad = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{pod.name}} {{retries}}"}]
`),
    );
    expect(errorMatching(bad, /pod.name/).message).toContain("only set in templates that run a pod");
    expect(errorMatching(bad, /retries/).message).toContain("only set in a template with a retryStrategy");
  });
});

describe("steps and tasks references", () => {
  it("needs {{steps.X}} to run in an earlier group", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: msg, value: hi}]}
      - name: b
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.a.outputs.parameters.out}}"}]}
    - - name: c
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.a.outputs.parameters.out}} {{steps.b.outputs.parameters.oot}} {{steps.d.outputs.result}}"}]}
`),
    );
    expect(errorMatching(r, /does not run before/).message).toBe(
      'failed to resolve {{steps.a.outputs.parameters.out}}: step "a" does not run before step "b": only steps of earlier groups can be referenced',
    );
    expect(errorMatching(r, /oot/).message).toContain('has no output parameter "oot" (did you mean "out"?)');
    expect(errorMatching(r, /steps.d/).message).toContain('no step "d" in template "main"');
  });

  it("lets a step's exit hook use the step's own outputs", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: msg, value: hi}]}
        hooks:
          exit:
            template: echo
            arguments: {parameters: [{name: msg, value: "{{steps.a.outputs.parameters.out}}"}]}
`),
    );
    expect(describeErrors(r)).toBe("");
  });

  it("needs {{tasks.X}} to be an ancestor", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: a
        template: echo
        arguments: {parameters: [{name: msg, value: hi}]}
      - name: b
        template: echo
        arguments: {parameters: [{name: msg, value: hi}]}
      - name: c
        depends: a
        template: echo
        arguments: {parameters: [{name: msg, value: "{{tasks.a.outputs.parameters.out}} {{tasks.b.outputs.parameters.out}}"}]}
`),
    );
    const e = errorMatching(r, /ancestor/);
    expect(e.message).toBe(
      'failed to resolve {{tasks.b.outputs.parameters.out}}: task "b" is not an ancestor of task "c": add it to depends (or dependencies)',
    );
    expect(e.pos).toEqual(posIn(r, '"{{tasks.a.outputs'));
  });

  it("allows {{item}} only in a looping step, and checks withItems keys", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: msg, value: "{{item}}"}]}
      - name: b
        template: echo
        withItems: [{os: debian, version: 12}]
        arguments: {parameters: [{name: msg, value: "{{item.os}} {{item.versoin}}"}]}
      - name: c
        template: echo
        withParam: '[{"x": 1}]'
        arguments: {parameters: [{name: msg, value: "{{item.anything}}"}]}
`),
    );
    expect(errorMatching(r, /\{\{item\}\} is only set/).pos).toEqual(posIn(r, '"{{item}}"'));
    expect(errorMatching(r, /versoin/).message).toContain(
      'no withItems item has the key "versoin" (did you mean "version"?)',
    );
    expect(r.errors).toHaveLength(2);
  });
});

describe("workflow variables", () => {
  it("needs workflow.parameters.X in spec.arguments", async () => {
    const r = await lintYaml(
      wf(
        `  - name: main
    container:
      image: alpine
      args: ["{{workflow.parameters.region}} {{workflow.parameters.regoin}} {{workflow.name}} {{workflow.labels.team}}"]
`,
        "  arguments:\n    parameters:\n    - name: region\n      value: eu\n",
      ),
    );
    expect(errorMatching(r, /regoin/).message).toBe(
      'failed to resolve {{workflow.parameters.regoin}}: no workflow parameter "regoin" in spec.arguments.parameters (did you mean "region"?)',
    );
    expect(r.errors).toHaveLength(1);
  });

  it("knows Argo's workflow variables", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    container:
      image: alpine
      args: ["{{workflow.uid}} {{workflow.namespace}} {{workflow.creationTimestamp.RFC3339}} {{workflow.duration}} {{workflow.mainEntrypoint}} {{workflow.serviceAccountName}} {{workflow.nmae}}"]
`),
    );
    expect(errorMatching(r, /nmae/).message).toBe(
      'failed to resolve {{workflow.nmae}}: unknown workflow variable "workflow.nmae" (did you mean "name"?)',
    );
    expect(r.errors).toHaveLength(1);
  });

  it("needs a globalName for workflow.outputs.parameters.X", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: produce
    - - name: b
        template: echo
        arguments: {parameters: [{name: msg, value: "{{workflow.outputs.parameters.shared}} {{workflow.outputs.parameters.sharde}}"}]}
  - name: produce
    outputs:
      parameters:
      - name: p
        globalName: shared
        valueFrom: {path: /tmp/p}
    container:
      image: alpine
`),
    );
    expect(errorMatching(r, /sharde/).message).toContain(
      'no output parameter has globalName "sharde" (did you mean "shared"?)',
    );
    expect(r.errors).toHaveLength(1);
  });

  it("leaves metric variables and tags of other tools alone", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    metrics:
      prometheus:
      - name: duration_seconds
        help: how long
        labels: [{key: status, value: "{{status}}"}]
        gauge: {value: "{{duration}}", realtime: false}
      - name: exits
        help: exit codes
        labels: [{key: code, value: "{{exitCode}}"}]
        counter: {value: "1"}
    container:
      image: alpine
      args: ["{{ .token }} {{steps.name}}"]
`),
    );
    expect(describeErrors(r)).toBe("");
  });

  it("checks the variables of {{= expression }} tags", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      parameters:
      - name: week-temps
        value: "[1]"
    container:
      image: alpine
      args: ["{{=jsonpath(inputs.parameters['week-temps'], '$.min')}}", "{{=inputs.parameters['week-tmps']}}"]
`),
    );
    expect(errorMatching(r, /week-tmps/).message).toContain(
      'has no input parameter "week-tmps" (did you mean "week-temps"?)',
    );
    expect(r.errors).toHaveLength(1);
  });
});

describe("call sites", () => {
  it("reports an input parameter without value or default that a step does not supply", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
`),
    );
    const e = errorMatching(r, /was not supplied/);
    expect(e.message).toBe(
      'inputs.parameters.msg was not supplied: template "echo" declares it without a value or default, and step "a" passes no argument "msg"',
    );
    expect(e.pos).toEqual(posIn(r, "name: a"));
  });

  it("reports entrypoint inputs that spec.arguments does not supply", async () => {
    const r = await lintYaml(wf("", "").replace("entrypoint: main", "entrypoint: echo"));
    expect(errorMatching(r, /was not supplied/).message).toContain("and spec.arguments passes no argument");
  });
});

describe("more scopes", () => {
  it("reports a near miss of one of Argo's variable roots", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        withItems: [x, y]
        arguments: {parameters: [{name: msg, value: "{{itme}}"}]}
`),
    );
    expect(errorMatching(r, /itme/).message).toBe(
      'failed to resolve {{itme}}: unknown variable "itme" (did you mean "item"?)',
    );
  });

  it("lets a step's hooks see its own step group, and nothing else does", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: echo
        arguments: {parameters: [{name: msg, value: "{{steps.a.outputs.parameters.out}}"}]}
        hooks:
          exit:
            template: echo
            arguments: {parameters: [{name: msg, value: "{{steps.b.outputs.parameters.out}}"}]}
      - name: b
        template: echo
        arguments: {parameters: [{name: msg, value: hi}]}
`),
    );
    expect(errorMatching(r, /steps.a.outputs/).message).toContain('step "a" does not run before step "a"');
    expect(r.errors).toHaveLength(1);
  });

  it("parses expressions after their {{tags}} are substituted", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      parameters: [{name: safe, value: "true"}]
    retryStrategy:
      limit: 2
      expression: "{{inputs.parameters.safe}} == true && lastRetry.status != 'Error'"
    container:
      image: alpine
`),
    );
    expect(describeErrors(r)).toBe("");
  });
});
