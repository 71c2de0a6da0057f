import { dependenciesToDepends, dependsTaskNames, evaluateDepends, parseDepends, type DependsAst, type TaskResultView } from "../expr/depends.js";
import type { ContinueOn, DAGTask, DAGTemplate, NodePhase } from "../model/types.js";

/**
 * Pure DAG planning: from the DAG spec and the phases of its task nodes to the next actions.
 * Argo's rules (dag.go): a task becomes ready when every task its `depends` names is fulfilled; its
 * `depends` then decides between running it and Omitting it. `target` limits the DAG to the
 * targets' ancestors; the DAG is judged by the branch phases of its target tasks.
 */
export interface CompiledDag {
  tasks: ReadonlyMap<string, DAGTask>;
  /** Task names in spec order, restricted to what the target needs. */
  order: readonly string[];
  deps: ReadonlyMap<string, readonly string[]>;
  logic: ReadonlyMap<string, DependsAst | undefined>;
  dependents: ReadonlyMap<string, readonly string[]>;
  targets: readonly string[];
}

export class DagSpecError extends Error {
  override name = "DagSpecError";
}

export function compileDag(dag: DAGTemplate): CompiledDag {
  const tasks = new Map<string, DAGTask>();
  for (const t of dag.tasks ?? []) {
    if (tasks.has(t.name)) throw new DagSpecError(`duplicate task name "${t.name}"`);
    tasks.set(t.name, t);
  }
  const continueOn = (name: string): ContinueOn | undefined => tasks.get(name)?.continueOn;
  const deps = new Map<string, string[]>();
  const logic = new Map<string, DependsAst | undefined>();
  for (const t of tasks.values()) {
    let text: string | undefined;
    if (t.depends !== undefined && t.depends.trim() !== "") text = t.depends;
    else if (t.dependencies && t.dependencies.length > 0) text = dependenciesToDepends(t.dependencies, continueOn);
    const ast = text === undefined ? undefined : parseDepends(text);
    const names = ast ? dependsTaskNames(ast) : [];
    for (const n of names) if (!tasks.has(n)) throw new DagSpecError(`task "${t.name}" depends on unknown task "${n}"`);
    logic.set(t.name, ast);
    deps.set(t.name, names);
  }
  checkAcyclic([...tasks.keys()], deps);
  let targets: string[];
  if (dag.target && dag.target.trim() !== "") {
    targets = dag.target.trim().split(/\s+/);
    for (const n of targets) if (!tasks.has(n)) throw new DagSpecError(`target "${n}" is not a task of the DAG`);
  } else {
    const hasDependents = new Set<string>();
    for (const ds of deps.values()) for (const d of ds) hasDependents.add(d);
    targets = [...tasks.keys()].filter((n) => !hasDependents.has(n));
  }
  // Only the targets and their ancestors take part.
  const needed = new Set<string>();
  const stack = [...targets];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    for (const d of deps.get(n) ?? []) stack.push(d);
  }
  const order = [...tasks.keys()].filter((n) => needed.has(n));
  const dependents = new Map<string, string[]>();
  for (const n of order) dependents.set(n, []);
  for (const n of order) for (const d of deps.get(n) ?? []) dependents.get(d)!.push(n);
  return { tasks, order, deps, logic, dependents, targets };
}

function checkAcyclic(order: readonly string[], deps: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 1 | 2>();
  for (const root of order) {
    if (state.has(root)) continue;
    // Iterative DFS: long chains must not overflow the stack.
    const stack: Array<{ n: string; i: number }> = [{ n: root, i: 0 }];
    const path: string[] = [root];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const ds = deps.get(top.n) ?? [];
      if (top.i < ds.length) {
        const d = ds[top.i++];
        const s = state.get(d);
        if (s === 1) {
          const cycle = [...path.slice(path.indexOf(d)), d].join(" -> ");
          throw new DagSpecError(`dependency cycle: ${cycle}`);
        }
        if (s === undefined) {
          state.set(d, 1);
          stack.push({ n: d, i: 0 });
          path.push(d);
        }
      } else {
        state.set(top.n, 2);
        stack.pop();
        path.pop();
      }
    }
  }
}

/** What the planner knows of a task: undefined when its node does not exist yet. */
export type TaskView = TaskResultView | undefined;

export const FULFILLED: ReadonlySet<NodePhase> = new Set(["Succeeded", "Failed", "Error", "Skipped", "Omitted"]);

export function isFulfilled(phase: NodePhase | undefined): boolean {
  return phase !== undefined && FULFILLED.has(phase);
}

export interface DagActions {
  /** Tasks whose dependencies are met and whose `depends` holds: create and run them, in this order. */
  start: string[];
  /** Tasks whose `depends` is false once their dependencies are fulfilled. */
  omit: string[];
}

/**
 * The next actions of a DAG. `candidates` limits the tasks looked at (the dependents of what just
 * finished); without it every task is examined. Omitting a task can make its dependents ready, so
 * the cascade is followed here.
 */
export function planDag(dag: CompiledDag, view: (task: string) => TaskView, candidates?: Iterable<string>): DagActions {
  const start: string[] = [];
  const omit: string[] = [];
  const omitted = new Set<string>();
  const decided = new Set<string>();
  const look = (t: string): TaskView => (omitted.has(t) ? { phase: "Omitted" } : view(t));
  const queue: string[] = candidates ? [...candidates] : [...dag.order];
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi];
    if (decided.has(name) || !dag.dependents.has(name)) continue;
    if (view(name) !== undefined) continue;
    const deps = dag.deps.get(name) ?? [];
    let ready = true;
    for (const d of deps) {
      if (!isFulfilled(look(d)?.phase)) {
        ready = false;
        break;
      }
    }
    if (!ready) continue;
    decided.add(name);
    const ast = dag.logic.get(name);
    const run = ast === undefined ? true : evaluateDepends(ast, (t) => look(t) ?? { phase: "Pending" });
    if (run) start.push(name);
    else {
      omit.push(name);
      omitted.add(name);
      for (const dep of dag.dependents.get(name) ?? []) queue.push(dep);
    }
  }
  return { start, omit };
}

function failedOrError(p: NodePhase | undefined): p is "Failed" | "Error" {
  return p === "Failed" || p === "Error";
}

/**
 * Argo's assessDAGPhase: Running while a created task is unfulfilled or a target has no node;
 * otherwise each target's branch phase (an Omitted/Skipped task inherits its parents' phase,
 * Failed/Error first) decides, ignoring targets whose continueOn covers it.
 */
export function assessDag(
  dag: CompiledDag,
  view: (task: string) => TaskView,
  failFast = true,
): { phase: NodePhase; failedTask?: string } {
  for (const n of dag.order) {
    const v = view(n);
    if (v !== undefined && !isFulfilled(v.phase)) return { phase: "Running" };
  }
  const memo = new Map<string, NodePhase>();
  const branch = (name: string): NodePhase => {
    const cached = memo.get(name);
    if (cached) return cached;
    const own = view(name)?.phase;
    let phase: NodePhase;
    if (own === "Succeeded" || own === "Failed" || own === "Error") phase = own;
    else {
      phase = "Succeeded";
      for (const d of dag.deps.get(name) ?? []) {
        const b = branch(d);
        if (failedOrError(b)) {
          phase = b;
          break;
        }
      }
    }
    memo.set(name, phase);
    return phase;
  };
  let result: { phase: NodePhase; failedTask?: string } = { phase: "Succeeded" };
  for (const t of dag.targets) {
    if (view(t) === undefined) {
      result = { phase: "Running" };
      if (!failFast) break;
      continue;
    }
    const b = branch(t);
    if (failedOrError(b)) {
      const co = dag.tasks.get(t)?.continueOn;
      if ((b === "Failed" && co?.failed) || (b === "Error" && co?.error)) continue;
      result = { phase: b, failedTask: t };
      if (failFast) break;
    }
  }
  return result;
}
