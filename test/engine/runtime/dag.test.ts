import { describe, expect, it } from "vitest";
import { childNames, dedent, runInProcess, runLocal, wf, type RunResult } from "./helpers.js";

/** Processes whose argv mentions "fail" exit 1; everything else succeeds at once. */
const behaviour = (s: { argv: string[] }) => (s.argv.some((a) => a.includes("fail")) ? 1 : 0);

const LEAVES = `
- name: pass
  container: {image: alpine, command: [pass]}
- name: fail
  container: {image: alpine, command: [fail]}
- name: error
  container: {image: alpine, command: [pass]}
  outputs: {parameters: [{name: p, valueFrom: {path: /tmp/missing}}]}
- name: loop-item
  inputs: {parameters: [{name: x}]}
  container: {image: alpine, command: ["{{inputs.parameters.x}}"]}
`;

function dag(tasks: string, extra = ""): string {
  const indent = (text: string, n: number) =>
    dedent(text)
      .split("\n")
      .map((l) => " ".repeat(n) + l)
      .join("\n");
  const spec = ["entrypoint: main", "templates:", "- name: main", "  dag:", ...(extra ? [`    ${extra}`] : []), "    tasks:", indent(tasks, 4), dedent(LEAVES)];
  return wf(spec.join("\n"));
}

function phases(r: RunResult, ...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, r.node(`wf.${n}`).phase]));
}

describe("dag: depends", () => {
  it("dag-enhanced-depends: a handled failure leaves the DAG Succeeded, unmet depends are Omitted", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: pass}
        - {name: B, depends: "A", template: pass}
        - {name: C, depends: "A", template: fail}
        - {name: should-execute-1, depends: "A && (C.Succeeded || C.Failed)", template: pass}
        - {name: should-execute-2, depends: "B || C", template: pass}
        - {name: should-not-execute, depends: "B && C", template: pass}
        - {name: should-execute-3, depends: "should-execute-2.Succeeded || should-not-execute", template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "A", "B", "C", "should-execute-1", "should-execute-2", "should-not-execute", "should-execute-3")).toEqual({
      A: "Succeeded",
      B: "Succeeded",
      C: "Failed",
      "should-execute-1": "Succeeded",
      "should-execute-2": "Succeeded",
      "should-not-execute": "Omitted",
      "should-execute-3": "Succeeded",
    });
    const omitted = r.node("wf.should-not-execute");
    expect(omitted).toMatchObject({ type: "Skipped", message: "omitted: depends condition not met" });
    expect(r.node("wf")).toMatchObject({ type: "DAG", phase: "Succeeded" });
    expect(r.status.phase).toBe("Succeeded");
  });

  it("a failed task whose dependents are Omitted fails the DAG (Argo gives a failed DAG no message)", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: pass}
        - {name: E, depends: "A", template: fail}
        - {name: G, depends: "E", template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "A", "E", "G")).toEqual({ A: "Succeeded", E: "Failed", G: "Omitted" });
    expect(r.node("wf").phase).toBe("Failed");
    expect(r.node("wf").message).toBeUndefined();
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBeUndefined();
  });

  it("evaluates .Failed .Errored .Skipped .Omitted and ! on their fulfilled dependencies", async () => {
    const r = await runInProcess(
      dag(`
        - {name: ok, template: pass}
        - {name: bad, template: fail}
        - {name: err, template: error}
        - {name: skip, template: pass, when: "false"}
        - {name: omit, depends: "bad.Succeeded", template: pass}
        - {name: on-failed, depends: "bad.Failed", template: pass}
        - {name: on-errored, depends: "err.Errored", template: pass}
        - {name: on-skipped, depends: "skip.Skipped", template: pass}
        - {name: on-omitted, depends: "omit.Omitted", template: pass}
        - {name: not-ok, depends: "!ok.Succeeded", template: pass}
        - {name: bare-skip, depends: "skip", template: pass}
        - {name: failed-is-not-bare, depends: "bad", template: pass}
        - {name: sink, depends: "on-failed && on-errored && on-skipped && on-omitted && bare-skip && (not-ok || ok)", template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "ok", "bad", "err", "skip", "omit", "on-failed", "on-errored", "on-skipped", "on-omitted", "not-ok", "bare-skip", "failed-is-not-bare", "sink")).toEqual({
      ok: "Succeeded",
      bad: "Failed",
      err: "Error",
      skip: "Skipped",
      omit: "Omitted",
      "on-failed": "Succeeded",
      "on-errored": "Succeeded",
      "on-skipped": "Succeeded",
      "on-omitted": "Succeeded",
      "not-ok": "Omitted",
      "bare-skip": "Succeeded",
      "failed-is-not-bare": "Omitted",
      sink: "Succeeded",
    });
    expect(r.node("wf.skip")).toMatchObject({ type: "Skipped", message: "when 'false' evaluated false" });
    // The targets are sink, not-ok and failed-is-not-bare: the last two inherit bad's failure... not-ok inherits ok.
    expect(r.node("wf").phase).toBe("Failed");
  });

  it("AnySucceeded and AllFailed judge the children of a loop task", async () => {
    const r = await runInProcess(
      dag(`
        - name: some-fail
          template: loop-item
          arguments: {parameters: [{name: x, value: "{{item}}"}]}
          withItems: [pass, fail, pass]
        - name: all-fail
          template: loop-item
          arguments: {parameters: [{name: x, value: "{{item}}"}]}
          withItems: [fail-1, fail-2]
        - {name: any-ok, depends: "some-fail.AnySucceeded", template: pass}
        - {name: all-failed, depends: "all-fail.AllFailed", template: pass}
        - {name: not-all-failed, depends: "some-fail.AllFailed", template: pass}
        - {name: none-ok, depends: "all-fail.AnySucceeded", template: pass}
      `),
      { behaviour },
    );
    const group = r.node("wf.some-fail");
    expect(group.type).toBe("TaskGroup");
    expect(group.phase).toBe("Failed");
    expect(childNames(r, group)).toEqual(["wf.some-fail(0:pass)", "wf.some-fail(1:fail)", "wf.some-fail(2:pass)"]);
    // Argo links a dependent to the outbound nodes of its dependency: a loop's items, not its TaskGroup.
    for (const item of ["wf.some-fail(0:pass)", "wf.some-fail(1:fail)", "wf.some-fail(2:pass)"]) {
      expect(childNames(r, r.node(item)).sort()).toEqual(["wf.any-ok", "wf.not-all-failed"]);
    }
    expect(phases(r, "any-ok", "all-failed", "not-all-failed", "none-ok")).toEqual({
      "any-ok": "Succeeded",
      "all-failed": "Succeeded",
      "not-all-failed": "Omitted",
      "none-ok": "Omitted",
    });
  });

  it("links tasks to their dependencies' nodes and sets the DAG's outbound nodes", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: pass}
        - {name: B, depends: "A", template: pass}
        - {name: C, depends: "A", template: pass}
        - {name: D, depends: "B && C", template: pass}
      `),
    );
    expect(childNames(r, r.node("wf"))).toEqual(["wf.A"]);
    expect(childNames(r, r.node("wf.A")).sort()).toEqual(["wf.B", "wf.C"]);
    expect(childNames(r, r.node("wf.B"))).toEqual(["wf.D"]);
    expect(childNames(r, r.node("wf.C"))).toEqual(["wf.D"]);
    expect(r.node("wf").outboundNodes).toEqual([r.node("wf.D").id]);
    expect(Date.parse(r.node("wf.D").startedAt!)).toBeGreaterThanOrEqual(Date.parse(r.node("wf.B").finishedAt!));
  });
});

describe("dag: errors", () => {
  it("a task whose withParam is not JSON is an Error; its dependents are Omitted and the DAG errors", async () => {
    const r = await runInProcess(
      dag(`
        - {name: bad-loop, template: loop-item, arguments: {parameters: [{name: x, value: "{{item}}"}]}, withParam: "not a list"}
        - {name: after, depends: "bad-loop", template: pass}
      `),
    );
    expect(r.node("wf.bad-loop").phase).toBe("Error");
    expect(r.node("wf.bad-loop").message).toMatch(/withParam value could not be parsed as a JSON list/);
    expect(r.node("wf.after").phase).toBe("Omitted");
    expect(r.node("wf").phase).toBe("Error");
    expect(r.status.phase).toBe("Error");
  });
});

describe("dag: legacy dependencies", () => {
  it("dag-continue-on-fail: continueOn lets dependents run, an unhandled failure still fails the DAG", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: pass}
        - {name: B, dependencies: [A], template: fail, continueOn: {failed: true}}
        - {name: C, dependencies: [A], template: pass}
        - {name: D, dependencies: [B, C], template: pass}
        - {name: E, dependencies: [A], template: fail}
        - {name: F, dependencies: [A], template: pass}
        - {name: G, dependencies: [E, F], template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "A", "B", "C", "D", "E", "F", "G")).toEqual({
      A: "Succeeded",
      B: "Failed",
      C: "Succeeded",
      D: "Succeeded",
      E: "Failed",
      F: "Succeeded",
      G: "Omitted",
    });
    expect(r.status.phase).toBe("Failed");
  });

  it("with every failure covered by continueOn the DAG succeeds", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: fail, continueOn: {failed: true}}
        - {name: B, dependencies: [A], template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "A", "B")).toEqual({ A: "Failed", B: "Succeeded" });
    expect(r.status.phase).toBe("Succeeded");
  });

  it("continueOn.error does not let a Failed dependency through", async () => {
    const r = await runInProcess(
      dag(`
        - {name: A, template: fail, continueOn: {error: true}}
        - {name: B, dependencies: [A], template: pass}
      `),
      { behaviour },
    );
    expect(phases(r, "A", "B")).toEqual({ A: "Failed", B: "Omitted" });
    expect(r.status.phase).toBe("Failed");
  });
});

describe("dag: target and failFast", () => {
  it("target runs only the targets' ancestors", async () => {
    const r = await runInProcess(
      dag(
        `
        - {name: A, template: pass}
        - {name: B, depends: "A", template: pass}
        - {name: C, depends: "A", template: pass}
        - {name: D, depends: "B && C", template: pass}
        - {name: E, template: pass}
      `,
        'target: "B E"',
      ),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(["A", "B", "E"].every((t) => r.node(`wf.${t}`).phase === "Succeeded")).toBe(true);
    expect(r.has("wf.C")).toBe(false);
    expect(r.has("wf.D")).toBe(false);
  });

  it("failFast (the default) and failFast: false both let running branches finish; the DAG then fails", async () => {
    // Argo v4's executeDAG schedules every ready task before assessDAGPhase, and that assessment
    // stays Running while any created node is unfulfilled, so a branch already under way runs to
    // its end either way; failFast only decides when the DAG's own phase is settled.
    const spec = (ff: string) =>
      dag(
        `
        - {name: bad, template: fail}
        - {name: slow, template: pass}
        - {name: after-slow, depends: "slow", template: pass}
        - {name: after-after, depends: "after-slow", template: pass}
      `,
        ff,
      );
    for (const ff of ["", "failFast: true", "failFast: false"]) {
      const r = await runInProcess(spec(ff), { behaviour });
      expect(phases(r, "bad", "slow", "after-slow", "after-after"), ff).toEqual({
        bad: "Failed",
        slow: "Succeeded",
        "after-slow": "Succeeded",
        "after-after": "Succeeded",
      });
      expect(r.status.phase).toBe("Failed");
    }
  });

  it("a template's failFast: true starts no task after a failure and fails the DAG with Argo's message", async () => {
    // test/e2e/expectedfailures/parallelism-dag-fail-fast.yaml, plus a task that depends on the slow one.
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          parallelism: 2
          failFast: true
          dag:
            tasks:
            - {name: task1, template: fail}
            - {name: task2, template: sleep}
            - {name: task3, depends: task2, template: sleep}
        - name: fail
          container: {image: alpine, command: [sh, -c, 'exit 1']}
        - name: sleep
          container: {image: alpine, command: [sh, -c, 'sleep 0.5']}
      `),
    );
    expect(phases(r, "task1", "task2")).toEqual({ task1: "Failed", task2: "Succeeded" });
    expect(r.has("wf.task3")).toBe(false);
    expect(r.node("wf")).toMatchObject({ phase: "Failed", message: "template has failed or errored children and failFast enabled" });
    expect(r.status.message).toBe("template has failed or errored children and failFast enabled");
  });

  it("a loop over an empty list is one Skipped node `Skipped, empty params`; its dependents still run", async () => {
    const r = await runInProcess(
      dag(`
        - {name: none, template: loop-item, arguments: {parameters: [{name: x, value: "{{item}}"}]}, withParam: "[]"}
        - {name: after, depends: "none", template: pass}
      `),
    );
    expect(r.node("wf.none")).toMatchObject({ type: "Skipped", phase: "Skipped", message: "Skipped, empty params" });
    expect(r.node("wf.after").phase).toBe("Succeeded");
    expect(r.status.phase).toBe("Succeeded");
  });
});

describe("dag: when and outputs", () => {
  it("tasks see earlier tasks' outputs, status and ids, and `when` makes Skipped nodes", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - {name: A, template: out}
            - name: B
              depends: A
              template: show
              arguments: {parameters: [{name: v, value: "{{tasks.A.outputs.parameters.p}}|{{tasks.A.status}}|{{tasks.A.id}}"}]}
            - {name: C, depends: A, template: show, when: "'{{tasks.A.outputs.parameters.p}}' == 'nope'", arguments: {parameters: [{name: v, value: x}]}}
        - name: out
          container: {image: alpine, command: ["true"]}
          outputs: {parameters: [{name: p, valueFrom: {default: "dflt", path: /tmp/none}}]}
        - name: show
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.v}}"]}
      `),
    );
    expect(r.node("wf.B").inputs?.parameters?.[0].value).toBe(`dflt|Succeeded|${r.node("wf.A").id}`);
    expect(r.node("wf.C")).toMatchObject({ phase: "Skipped", type: "Skipped", message: "when ''dflt' == 'nope'' evaluated false" });
    expect(r.status.phase).toBe("Succeeded");
  });
});
