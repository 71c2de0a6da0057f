import { describe, expect, it } from "vitest";
import { describeErrors, errorMatching, lintYaml, posIn } from "./helpers.js";

const wf = (templates: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: flow-
spec:
  entrypoint: main
  templates:
${templates}  - name: leaf
    container:
      image: alpine
`;

describe("steps", () => {
  it("reports a step name used twice, across groups", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: leaf
    - - name: a
        template: leaf
`),
    );
    const e = errorMatching(r, /is not unique/);
    expect(e.message).toBe("templates.main.steps[1].name 'a' is not unique");
    const at = posIn(r, "name: a", 2);
    expect(e.pos).toEqual({ ...at, column: at.column + "name: ".length });
  });

  it("reports two loops on one step, and count with end", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: leaf
        withItems: [1, 2]
        withParam: "[1, 2]"
      - name: b
        template: leaf
        withSequence:
          count: "3"
          end: "5"
`),
    );
    expect(errorMatching(r, /only one of withItems, withParam, withSequence/).pos).toEqual(posIn(r, "withParam"));
    expect(errorMatching(r, /only one of count or end/).pos).toEqual(posIn(r, "end:"));
  });

  it("accepts one loop per step", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - name: a
        template: leaf
        withItems: [1, 2]
      - name: b
        template: leaf
        withSequence: {count: "3"}
`),
    );
    expect(describeErrors(r)).toBe("");
  });
});

describe("dag", () => {
  it("reports task names used twice", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: a
        template: leaf
      - name: a
        template: leaf
`),
    );
    const at = posIn(r, "name: a", 2);
    expect(errorMatching(r, /task name 'a' is not unique/).pos).toEqual({ ...at, column: at.column + "name: ".length });
  });

  it("reports an unknown dependency, in depends and in dependencies, with a did-you-mean", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: build
        template: leaf
      - name: test
        depends: "biuld.Succeeded"
        template: leaf
  - name: other
    dag:
      tasks:
      - name: build
        template: leaf
      - name: test
        dependencies: [buidl]
        template: leaf
`),
    );
    const d = errorMatching(r, /'biuld' not defined/);
    expect(d.message).toBe(`templates.main.tasks.test dependency 'biuld' not defined (did you mean "build"?)`);
    expect(d.pos).toEqual(posIn(r, '"biuld.Succeeded"'));
    const l = errorMatching(r, /'buidl' not defined/);
    expect(l.message).toContain('(did you mean "build"?)');
    expect(l.pos).toEqual(posIn(r, "buidl"));
  });

  it("refuses depends and dependencies in one DAG, and continueOn with depends", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: a
        template: leaf
      - name: b
        depends: a
        template: leaf
      - name: c
        dependencies: [a]
        continueOn: {failed: true}
        template: leaf
`),
    );
    expect(errorMatching(r, /cannot use both 'depends' and 'dependencies'/).pos).toEqual(posIn(r, "dependencies"));
    expect(errorMatching(r, /cannot use 'continueOn' when using 'depends'/).pos).toEqual(posIn(r, "continueOn"));
  });

  it("names a dependency cycle", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: a
        depends: c
        template: leaf
      - name: b
        depends: a
        template: leaf
      - name: c
        depends: b
        template: leaf
`),
    );
    const e = errorMatching(r, /cycle/);
    expect(e.message).toBe("templates.main.tasks dependency cycle detected: a->c->b->a");
    expect(e.pos).toEqual(posIn(r, "name: a"));
  });

  it("reports a target that names no task", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      target: b z
      tasks:
      - name: a
        template: leaf
      - name: b
        depends: a
        template: leaf
`),
    );
    expect(errorMatching(r, /target 'z' is not defined/).pos).toEqual(posIn(r, "b z"));
  });

  it("accepts a well-formed diamond", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      target: d
      tasks:
      - {name: a, template: leaf}
      - {name: b, depends: a, template: leaf}
      - {name: c, depends: a.Succeeded, template: leaf}
      - {name: d, depends: "b && c.Failed", template: leaf}
`),
    );
    expect(describeErrors(r)).toBe("");
  });
});
