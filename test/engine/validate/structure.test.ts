import { describe, expect, it } from "vitest";
import { lintPaths } from "../../../src/engine/validate/index.js";
import { describeErrors, errorMatching, lintYaml, posIn, writeTree } from "./helpers.js";
import { join } from "node:path";

const head = (kind = "Workflow") => `apiVersion: argoproj.io/v1alpha1
kind: ${kind}
metadata:
  name: demo
spec:
`;

const LIBRARY = {
  "lib.yaml": `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: library
spec:
  templates:
  - name: print
    inputs:
      parameters:
      - name: message
    container:
      image: alpine
      args: ["{{inputs.parameters.message}}"]
`,
};

describe("kinds and metadata", () => {
  it("reports an unknown argoproj.io kind with a did-you-mean, and ignores plain Kubernetes documents", async () => {
    const r = await lintYaml(`apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: argoproj.io/v1alpha1
kind: Workflw
metadata:
  name: x
spec: {}
`);
    const e = errorMatching(r, /unknown kind/);
    expect(e.message).toBe(
      'unknown kind "Workflw": expected one of Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow (did you mean "Workflow"?)',
    );
    expect(e.pos).toEqual(posIn(r, "Workflw"));
    expect(r.errors).toHaveLength(1);
  });

  it("accepts the other Argo tools' kinds", async () => {
    const r = await lintYaml(`apiVersion: argoproj.io/v1alpha1
kind: WorkflowEventBinding
metadata:
  name: b
spec: {}
`);
    expect(r.problems).toEqual([]);
  });

  it("warns when neither metadata.name nor generateName is set", async () => {
    const r = await lintYaml(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  labels: {a: b}
spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
`);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "metadata.name or metadata.generateName is required: Kubernetes refuses the object without one",
    ]);
  });

  it("reports an invalid metadata.name", async () => {
    const r = await lintYaml(`apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: My_Workflow
spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
`);
    expect(errorMatching(r, /metadata.name "My_Workflow" is invalid/).pos).toEqual(posIn(r, "My_Workflow"));
  });
});

describe("templates", () => {
  it("reports multiple template types at the second type", async () => {
    const r = await lintYaml(`${head()}  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
    script:
      image: alpine
      source: echo
`);
    const e = errorMatching(r, /multiple template types specified/);
    expect(e.message).toContain("templates.main multiple template types specified (container, script)");
    expect(e.pos).toEqual(posIn(r, "script:"));
  });

  it("reports a template without a type", async () => {
    const r = await lintYaml(`${head()}  entrypoint: main
  templates:
  - name: main
    inputs: {}
`);
    expect(errorMatching(r, /template type unspecified/).pos).toEqual(posIn(r, "name: main"));
  });

  it("reports duplicate and invalid template names", async () => {
    const r = await lintYaml(`${head()}  entrypoint: main
  templates:
  - name: main
    suspend: {}
  - name: main
    suspend: {}
  - name: bad_name
    suspend: {}
`);
    expect(errorMatching(r, /is not unique/).pos).toEqual(posIn(r, "main", 3));
    expect(errorMatching(r, /'bad_name' is invalid/).message).toContain(
      "name must consist of alpha-numeric characters or '-'",
    );
  });

  it("reports an entrypoint that names no template, with a did-you-mean", async () => {
    const r = await lintYaml(`${head()}  entrypoint: mian
  templates:
  - name: main
    suspend: {}
`);
    const e = errorMatching(r, /undefined/);
    expect(e.message).toBe(`template name 'mian' undefined (did you mean "main"?)`);
    expect(e.pos).toEqual(posIn(r, "mian"));
  });

  it("requires an entrypoint for a Workflow, not for a WorkflowTemplate", async () => {
    const wf = await lintYaml(`${head()}  templates:\n  - name: main\n    suspend: {}\n`);
    expect(errorMatching(wf, /spec.entrypoint is required/)).toBeTruthy();
    const wt = await lintYaml(`${head("WorkflowTemplate")}  templates:\n  - name: main\n    suspend: {}\n`);
    expect(describeErrors(wt)).toBe("");
  });

  it("reports onExit and hook templates that do not exist, and hooks without an expression", async () => {
    const r = await lintYaml(`${head()}  entrypoint: main
  onExit: cleanup
  hooks:
    running:
      template: main
    exit:
      template: notify
  templates:
  - name: main
    suspend: {}
  - name: clean-up
    suspend: {}
`);
    expect(errorMatching(r, /'cleanup' undefined/).message).toContain('(did you mean "clean-up"?)');
    expect(errorMatching(r, /'notify' undefined/).pos).toEqual(posIn(r, "notify"));
    expect(errorMatching(r, /Expression required/).pos).toEqual(posIn(r, "template: main"));
  });

  it("resolves templateRef against the files given and --templates", async () => {
    const text = `${head()}  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        templateRef:
          name: library
          template: print
        arguments:
          parameters: [{name: message, value: hi}]
`;
    const without = await lintYaml(text);
    const e = errorMatching(without, /not found/);
    expect(e.message).toBe(
      'WorkflowTemplate "library" not found (templateRef library/print): pass its file or --templates DIR',
    );
    expect(e.pos).toEqual(posIn(without, "library"));
    expect(describeErrors(await lintYaml(text, LIBRARY))).toBe("");
  });

  it("names the missing template inside a WorkflowTemplate", async () => {
    const r = await lintYaml(
      `${head()}  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        templateRef: {name: library, template: prnt}
        arguments:
          parameters: [{name: message, value: hi}]
`,
      LIBRARY,
    );
    expect(errorMatching(r, /not found/).message).toBe(
      'template "prnt" not found in WorkflowTemplate "library" (did you mean "print"?)',
    );
  });

  it("resolves workflowTemplateRef, and refuses spec.templates next to it", async () => {
    const ok = await lintYaml(
      `${head()}  entrypoint: print\n  arguments:\n    parameters: [{name: message, value: hi}]\n  workflowTemplateRef:\n    name: library\n`,
      LIBRARY,
    );
    expect(describeErrors(ok)).toBe("");
    const missing = await lintYaml(`${head()}  workflowTemplateRef:\n    name: libary\n`, LIBRARY);
    expect(errorMatching(missing, /not found/).message).toBe(
      'WorkflowTemplate "libary" not found (spec.workflowTemplateRef): pass its file or --templates DIR (did you mean "library"?)',
    );
    const both = await lintYaml(
      `${head()}  entrypoint: print\n  arguments:\n    parameters: [{name: message, value: hi}]\n  workflowTemplateRef:\n    name: library\n  templates:\n  - name: x\n    suspend: {}\n`,
      LIBRARY,
    );
    expect(errorMatching(both, /Templates is invalid field/).pos).toEqual(posIn(both, "templates:"));
  });

  it("allows recursion", async () => {
    const r = await lintYaml(`${head()}  entrypoint: loop
  templates:
  - name: loop
    steps:
    - - name: again
        template: loop
        when: "1 == 2"
`);
    expect(describeErrors(r)).toBe("");
  });

  it("reports a WorkflowTemplate name defined in two files", async () => {
    const dir = await writeTree({ "a.yaml": LIBRARY["lib.yaml"], "b/c.yaml": LIBRARY["lib.yaml"] });
    const { problems } = await lintPaths([dir], []);
    const dups = problems.filter((p) => p.message.startsWith("duplicate"));
    expect(dups).toHaveLength(2);
    expect(dups[0].message).toBe(`duplicate WorkflowTemplate "library": also defined at ${join(dir, "b/c.yaml")}:4`);
    expect(dups[0].pos).toEqual({ file: join(dir, "a.yaml"), line: 4, column: 9 });
  });
});

describe("validateCatalog over loadCatalog", () => {
  it("is pure over what loadCatalog returned: ConfigMaps are not reported, problems are sorted", async () => {
    const { loadCatalog } = await import("../../../src/engine/model/catalog.js");
    const { validateCatalog } = await import("../../../src/engine/validate/index.js");
    const dir = await writeTree({
      "w.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: w-}
spec:
  entrypoint: mian
  templates:
  - name: main
    contianer: {image: alpine}
`,
    });
    const problems = validateCatalog(await loadCatalog([dir], []));
    expect(problems.map((p) => `${p.pos?.line}:${p.pos?.column} ${p.message}`)).toEqual([
      `9:15 template name 'mian' undefined (did you mean "main"?)`,
      `12:5 unknown field "contianer" in Template (did you mean "container"?)`,
    ]);
  });
});
