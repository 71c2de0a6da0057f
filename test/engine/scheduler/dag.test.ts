import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DAGTemplate, NodePhase } from "../../../src/engine/model/types.js";
import { assessDag, compileDag, DagSpecError, planDag, type TaskView } from "../../../src/engine/scheduler/dag.js";

function views(map: Record<string, NodePhase>): (t: string) => TaskView {
  return (t) => (map[t] ? { phase: map[t] } : undefined);
}

const diamond: DAGTemplate = {
  tasks: [
    { name: "A", template: "t" },
    { name: "B", template: "t", depends: "A" },
    { name: "C", template: "t", depends: "A" },
    { name: "D", template: "t", depends: "B && C" },
  ],
};

describe("planDag", () => {
  const cases: Array<{ name: string; dag: DAGTemplate; state: Record<string, NodePhase>; start: string[]; omit: string[] }> = [
    { name: "roots start first", dag: diamond, state: {}, start: ["A"], omit: [] },
    { name: "nothing while A runs", dag: diamond, state: { A: "Running" }, start: [], omit: [] },
    { name: "both branches after A", dag: diamond, state: { A: "Succeeded" }, start: ["B", "C"], omit: [] },
    { name: "join waits for both", dag: diamond, state: { A: "Succeeded", B: "Succeeded", C: "Running" }, start: [], omit: [] },
    { name: "join runs when both succeeded", dag: diamond, state: { A: "Succeeded", B: "Succeeded", C: "Succeeded" }, start: ["D"], omit: [] },
    { name: "a failed parent omits its dependents, in cascade", dag: diamond, state: { A: "Failed" }, start: [], omit: ["B", "C", "D"] },
    { name: "Skipped counts as done for a bare name", dag: diamond, state: { A: "Skipped" }, start: ["B", "C"], omit: [] },
    {
      name: "enhanced depends runs the failure branch",
      dag: { tasks: [{ name: "A" }, { name: "B", depends: "A.Failed" }, { name: "C", depends: "A.Succeeded" }] },
      state: { A: "Failed" },
      start: ["B"],
      omit: ["C"],
    },
    {
      name: "|| runs once either branch allows it and both are fulfilled",
      dag: { tasks: [{ name: "B" }, { name: "C" }, { name: "E", depends: "B || C" }] },
      state: { B: "Succeeded", C: "Failed" },
      start: ["E"],
      omit: [],
    },
    {
      name: "legacy dependencies with continueOn tolerate a failure",
      dag: { tasks: [{ name: "A", continueOn: { failed: true } }, { name: "B", dependencies: ["A"] }] },
      state: { A: "Failed" },
      start: ["B"],
      omit: [],
    },
    {
      name: "legacy dependencies without continueOn omit",
      dag: { tasks: [{ name: "A" }, { name: "B", dependencies: ["A"] }] },
      state: { A: "Failed" },
      start: [],
      omit: ["B"],
    },
    {
      name: "target limits the DAG to the target's ancestors",
      dag: { target: "B", tasks: [{ name: "A" }, { name: "B", depends: "A" }, { name: "X" }] },
      state: {},
      start: ["A"],
      omit: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planDag(compileDag(c.dag), views(c.state));
      expect(plan.start).toEqual(c.start);
      expect(plan.omit).toEqual(c.omit);
    });
  }

  it("looks only at the candidates it is given", () => {
    const dag = compileDag(diamond);
    expect(planDag(dag, views({ A: "Succeeded" }), ["B"]).start).toEqual(["B"]);
  });

  it("judges loop tasks by their children for AnySucceeded and AllFailed", () => {
    const dag = compileDag({ tasks: [{ name: "L", withItems: [1, 2] }, { name: "ok", depends: "L.AnySucceeded" }, { name: "bad", depends: "L.AllFailed" }] });
    const plan = planDag(dag, (t) => (t === "L" ? { phase: "Failed", childPhases: ["Failed", "Succeeded"] } : undefined));
    expect(plan.start).toEqual(["ok"]);
    expect(plan.omit).toEqual(["bad"]);
  });
});

describe("compileDag", () => {
  it("rejects cycles, naming them", () => {
    expect(() => compileDag({ tasks: [{ name: "a", depends: "c" }, { name: "b", depends: "a" }, { name: "c", depends: "b" }] })).toThrow(/cycle: a -> c -> b -> a/);
  });
  it("rejects unknown dependencies", () => {
    expect(() => compileDag({ tasks: [{ name: "a", depends: "nope" }] })).toThrow(DagSpecError);
  });
  it("uses the leaves as targets by default", () => {
    expect(compileDag(diamond).targets).toEqual(["D"]);
  });
  it("handles a 20,000-task chain without deep recursion", () => {
    const tasks = Array.from({ length: 20_000 }, (_, i) => ({ name: `t${i}`, depends: i ? `t${i - 1}` : undefined }));
    expect(compileDag({ tasks }).order).toHaveLength(20_000);
  });
});

describe("assessDag", () => {
  const cases: Array<{ name: string; dag: DAGTemplate; state: Record<string, NodePhase>; phase: NodePhase }> = [
    { name: "Running while a task runs", dag: diamond, state: { A: "Succeeded", B: "Running" }, phase: "Running" },
    { name: "Succeeded when the leaf succeeded", dag: diamond, state: { A: "Succeeded", B: "Succeeded", C: "Succeeded", D: "Succeeded" }, phase: "Succeeded" },
    { name: "an Omitted leaf inherits its failed parent's branch", dag: diamond, state: { A: "Failed", B: "Omitted", C: "Omitted", D: "Omitted" }, phase: "Failed" },
    {
      name: "a failure handled by a dependent does not fail the DAG (dag-enhanced-depends)",
      dag: {
        tasks: [
          { name: "A" },
          { name: "B", depends: "A" },
          { name: "C", depends: "A" },
          { name: "should-execute-1", depends: "A && (C.Succeeded || C.Failed)" },
          { name: "should-execute-2", depends: "B || C" },
          { name: "should-not-execute", depends: "B && C" },
          { name: "should-execute-3", depends: "should-execute-2.Succeeded || should-not-execute" },
        ],
      },
      state: { A: "Succeeded", B: "Succeeded", C: "Failed", "should-execute-1": "Succeeded", "should-execute-2": "Succeeded", "should-not-execute": "Omitted", "should-execute-3": "Succeeded" },
      phase: "Succeeded",
    },
    {
      name: "a failed leaf with continueOn is ignored",
      dag: { tasks: [{ name: "A", continueOn: { failed: true } }] },
      state: { A: "Failed" },
      phase: "Succeeded",
    },
    {
      name: "continueOn.error does not cover Failed",
      dag: { tasks: [{ name: "A", continueOn: { error: true } }] },
      state: { A: "Failed" },
      phase: "Failed",
    },
    { name: "Error propagates as Error", dag: diamond, state: { A: "Error", B: "Omitted", C: "Omitted", D: "Omitted" }, phase: "Error" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(assessDag(compileDag(c.dag), views(c.state)).phase).toBe(c.phase);
    });
  }
});

/** Random DAGs: each task may depend on any earlier task (so the graph is acyclic). */
const randomDag = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.array(fc.nat({ max: 1000 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    ),
  )
  .map(([n, depPicks, fails]) => ({
    tasks: Array.from({ length: n }, (_, i) => {
      const deps = i === 0 ? [] : [...new Set(depPicks[i].map((d) => `t${d % i}`))];
      return { name: `t${i}`, depends: deps.length ? deps.join(" && ") : undefined };
    }),
    fails: new Set(fails.flatMap((f, i) => (f ? [`t${i}`] : []))),
  }));

describe("planDag property", () => {
  it("runs every task at most once, only after its dependencies, and decides every task", () => {
    fc.assert(
      fc.property(randomDag, fc.integer({ min: 0, max: 2 ** 31 - 1 }), ({ tasks, fails }, seed) => {
        const dag = compileDag({ tasks });
        const state: Record<string, NodePhase> = {};
        const started: string[] = [];
        let running: string[] = [];
        let rnd = seed;
        let candidates: Iterable<string> | undefined;
        for (let guard = 0; guard < 10_000; guard++) {
          const plan = planDag(dag, views(state), candidates);
          for (const o of plan.omit) state[o] = "Omitted";
          for (const s of plan.start) {
            expect(state[s]).toBeUndefined();
            for (const d of dag.deps.get(s) ?? []) expect(["Succeeded", "Failed"]).toContain(state[d]);
            state[s] = "Running";
            started.push(s);
            running.push(s);
          }
          if (running.length === 0) break;
          // Finish one running task, chosen at random, as the executor would.
          rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
          const done = running[rnd % running.length];
          running = running.filter((r) => r !== done);
          state[done] = fails.has(done) ? "Failed" : "Succeeded";
          candidates = [...(dag.dependents.get(done) ?? []), ...plan.omit.flatMap((o) => dag.dependents.get(o) ?? [])];
        }
        expect(new Set(started).size).toBe(started.length);
        for (const t of tasks) expect(state[t.name]).toBeDefined();
        // With no failures, everything runs.
        if (fails.size === 0) expect(started).toHaveLength(tasks.length);
      }),
      { numRuns: 300 },
    );
  });
});
