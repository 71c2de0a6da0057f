import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Template } from "../model/types.js";
import { checkNames } from "./check-arguments.js";
import { checkCallSite, checkCallTags, type TemplateChecker } from "./check-call.js";
import { dependsNames } from "./check-expr.js";
import { resolveCall, type CallResolution, type DocContext } from "./context.js";
import type { NodeRef, VarScope } from "./scope.js";
import { didYouMean } from "./suggest.js";
import { asList, str } from "./template-info.js";
import { hasTag } from "./values.js";

interface TaskAt {
  task: Record<string, unknown>;
  path: PathSeg[];
  name: string;
  deps: string[];
  called?: CallResolution;
}

const ITEMS_CONDITION = /([A-Za-z0-9_-]+)\.(AnySucceeded|AllFailed)\b/g;

function hasItems(task: Record<string, unknown>): boolean {
  return ["withItems", "withParam", "withSequence"].some(
    (k) => task[k] !== undefined && task[k] !== null && task[k] !== "",
  );
}

/** The first dependency cycle through `start`, as a list of names ending where it began. */
function findCycle(graph: Map<string, string[]>, start: string): string[] | undefined {
  const stack: string[] = [];
  const onStack = new Set<string>();
  const done = new Set<string>();
  const visit = (n: string): string[] | undefined => {
    if (onStack.has(n)) return [...stack.slice(stack.indexOf(n)), n];
    if (done.has(n)) return undefined;
    stack.push(n);
    onStack.add(n);
    for (const d of graph.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    onStack.delete(n);
    done.add(n);
    return undefined;
  };
  return visit(start);
}

function ancestorsOf(graph: Map<string, string[]>, name: string): Set<string> {
  const out = new Set<string>();
  const todo = [...(graph.get(name) ?? [])];
  while (todo.length > 0) {
    const n = todo.pop() as string;
    if (out.has(n) || n === name) continue;
    out.add(n);
    todo.push(...(graph.get(n) ?? []));
  }
  return out;
}

/** The dependencies of every task: `depends` parsed, or `dependencies` listed; unknown ones reported. */
function readDependencies(ctx: DocContext, t: Template, tasks: TaskAt[], names: Set<string>): void {
  const tname = str(t.name) ?? "";
  const usingDepends = tasks.some((x) => typeof x.task.depends === "string" && x.task.depends.trim() !== "");
  const byName = new Map(tasks.map((x) => [x.name, x]));
  for (const x of tasks) {
    const { task, path } = x;
    const depList = asList(task.dependencies);
    if (typeof task.depends === "string" && task.depends.trim() !== "") {
      const text = task.depends;
      const parsed = dependsNames(ctx.report, [...path, "depends"], text) ?? [];
      for (const d of parsed) {
        if (!names.has(d)) {
          ctx.report.error(
            [...path, "depends"],
            `templates.${tname}.tasks.${x.name} dependency '${d}' not defined${didYouMean(d, names)}`,
          );
        } else x.deps.push(d);
      }
      for (const m of text.matchAll(ITEMS_CONDITION)) {
        const dep = byName.get(m[1]);
        if (dep && !hasItems(dep.task)) {
          ctx.report.error(
            [...path, "depends"],
            `templates.${tname}.tasks.${x.name} dependency '${m[1]}' uses an items-based condition such as .AnySucceeded or .AllFailed but does not contain any items`,
          );
        }
      }
    }
    if (usingDepends && depList.length > 0) {
      ctx.report.keyError(
        [...path, "dependencies"],
        `templates.${tname} cannot use both 'depends' and 'dependencies' in the same DAG template`,
      );
    }
    if (usingDepends && task.continueOn !== undefined && task.continueOn !== null) {
      ctx.report.keyError(
        [...path, "continueOn"],
        `templates.${tname} cannot use 'continueOn' when using 'depends'. Instead use 'dep-task.Failed'/'dep-task.Errored'`,
      );
    }
    depList.forEach((d, j) => {
      if (typeof d !== "string") return;
      if (!names.has(d)) {
        ctx.report.error(
          [...path, "dependencies", j],
          `templates.${tname}.tasks.${x.name} dependency '${d}' not defined${didYouMean(d, names)}`,
        );
      } else if (!x.deps.includes(d)) x.deps.push(d);
    });
    if ((usingDepends || depList.length > 0) && /^[0-9]/.test(x.name)) {
      ctx.report.error(
        [...path, "name"],
        `templates.${tname}.tasks.${x.name} name cannot begin with a digit when using either 'depends' or 'dependencies'`,
      );
    }
  }
}

/**
 * Argo's validateDAG: task names, dependencies (`depends` or `dependencies`, not both), cycles,
 * targets; a task sees the outputs of its ancestors only.
 */
export function checkDag(
  ctx: DocContext,
  t: Template,
  path: PathSeg[],
  scope: VarScope,
  checkTemplate: TemplateChecker,
): Map<string, NodeRef> {
  const tname = str(t.name) ?? "";
  const dag = t.dag as unknown;
  if (!isObject(dag)) return new Map();
  const tasksPath = [...path, "dag", "tasks"];
  const list = asList(dag.tasks);
  if (list.length === 0) {
    ctx.report.error([...path, "dag"], `templates.${tname} must have at least one task`);
    return new Map();
  }
  const names = new Set(checkNames(ctx.report, dag.tasks, tasksPath, "field", "task"));
  const tasks: TaskAt[] = [];
  const seen = new Set<string>();
  list.forEach((task, i) => {
    if (!isObject(task) || typeof task.name !== "string" || task.name === "" || seen.has(task.name)) return;
    seen.add(task.name);
    tasks.push({ task, path: [...tasksPath, i], name: task.name, deps: [] });
  });
  readDependencies(ctx, t, tasks, names);
  const graph = new Map(tasks.map((x) => [x.name, x.deps]));

  const inCycle = new Set<string>();
  for (const x of tasks) {
    if (inCycle.has(x.name)) continue;
    const cycle = findCycle(graph, x.name);
    if (!cycle) continue;
    if (cycle.some((n) => inCycle.has(n))) continue;
    for (const n of cycle) inCycle.add(n);
    const at = tasks.find((y) => y.name === cycle[0]) ?? x;
    ctx.report.error(at.path, `templates.${tname}.tasks dependency cycle detected: ${cycle.join("->")}`);
  }

  if (typeof dag.target === "string" && !hasTag(dag.target)) {
    for (const target of dag.target.split(" ").filter((s) => s !== "")) {
      if (!names.has(target)) {
        ctx.report.error(
          [...path, "dag", "target"],
          `templates.${tname}.targets: target '${target}' is not defined${didYouMean(target, names)}`,
        );
      }
    }
  }

  const nodes = new Map<string, NodeRef>();
  for (const x of tasks) {
    x.called = resolveCall(ctx, x.task, x.path, `task "${x.name}"`);
    const aggregate =
      asList(x.task.withItems).length > 0 || (typeof x.task.withParam === "string" && x.task.withParam !== "");
    nodes.set(x.name, { template: x.called.template, templateName: x.called.name, aggregate });
  }
  for (const x of tasks) {
    const what = `task "${x.name}"`;
    const loop = checkCallSite(ctx, x.task, x.path, what, x.called as CallResolution);
    const sees = inCycle.has(x.name) ? new Set(names) : ancestorsOf(graph, x.name);
    const taskScope: VarScope = { ...scope, nodes, visible: sees, loop, nodeKind: "tasks", self: x.name };
    checkCallTags(ctx, x.task, x.path, taskScope, new Set([...sees, x.name]));
    if (isObject(x.task.inline)) {
      checkTemplate(ctx, x.task.inline, [...x.path, "inline"], {
        loop,
        nodes,
        visible: sees,
        nodeKind: "tasks",
        self: x.name,
        inputParams: scope.inputParams,
        inputArtifacts: scope.inputArtifacts,
      });
    }
  }
  return nodes;
}
