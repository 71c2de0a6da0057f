import { evaluateWhen } from "../expr/govaluate.js";
import type { TemplateScope } from "../model/catalog.js";
import type { DAGTask, Item, NodeStatus, Outputs, Template, TemplateCall, WorkflowStep } from "../model/types.js";
import { assessDag, compileDag, planDag, type TaskView } from "../scheduler/dag.js";
import { assessStepGroup, mayStartChild } from "../scheduler/steps.js";
import { Channel } from "./channel.js";
import { Limiter } from "./limiter.js";
import { expandItems, itemVars, LoopError } from "./loops.js";
import { loopNodeName } from "./names.js";
import type { Invocation, WorkflowRun } from "./operator.js";
import { outboundNodes } from "./outbound.js";
import { templateOutputsFromScope } from "./outputs.js";
import { addAggregateToScope, addNodeToScope } from "./scope.js";
import { childVars, substituteObject, substituteString, type Vars } from "./substitute.js";

/** Argo's message for a loop whose list is empty. */
const EMPTY_LOOP = "Skipped, empty params";

export interface NodeContext {
  run: WorkflowRun;
  node: NodeStatus;
  template: Template;
  vars: Vars;
  inv: Invocation;
  scope: TemplateScope;
  /** Set once a child of this steps/DAG node failed or errored (for the template's failFast). */
  childFailed?: boolean;
}

/** One expanded call (a step or a task, or one item of its loop) ready to run. */
interface Expanded {
  nodeName: string;
  displayName: string;
  call: TemplateCall;
  vars: Vars;
}

/** Expands a step/task over its items; errors become an Error node for the whole call. */
function expand(call: TemplateCall, baseName: string, displayBase: string, vars: Vars): { items?: Expanded[]; single?: Expanded } {
  let items: Item[] | undefined;
  try {
    items = expandItems(call, vars);
  } catch (err) {
    // Argo ignores a withParam/withSequence it cannot expand when `when` says the step is not run.
    if (!(err instanceof LoopError) || !whenIsFalse(call.when, vars)) throw err;
    items = [];
  }
  if (items === undefined) {
    return { single: { nodeName: baseName, displayName: displayBase, call: substituteObject(call, vars), vars } };
  }
  const { withItems: _a, withParam: _b, withSequence: _c, ...rest } = call;
  const out = items.map((item: Item, i: number) => {
    const v = childVars(vars, itemVars(item));
    return {
      nodeName: loopNodeName(baseName, i, item),
      displayName: loopNodeName(displayBase, i, item),
      call: substituteObject(rest as TemplateCall, v),
      vars: v,
    };
  });
  return { items: out };
}

function whenIsFalse(when: string | undefined, vars: Vars): boolean {
  if (when === undefined || when === "") return false;
  try {
    return !evaluateWhen(substituteString(when, vars));
  } catch {
    return false;
  }
}

/** Runs one expanded call: `when` first (Skipped if false), then the template, then its hooks. */
async function runCall(ctx: NodeContext, e: Expanded, kind: "steps" | "tasks", boundaryId: string, parentId: string | undefined): Promise<NodeStatus> {
  const { run } = ctx;
  const reused = run.reusable(e.nodeName);
  if (reused) {
    run.addChild(parentId, reused.id);
    return reused;
  }
  if (e.call.when !== undefined && e.call.when !== "") {
    let ok: boolean;
    try {
      ok = evaluateWhen(substituteString(e.call.when, e.vars));
    } catch (err) {
      const n = run.initNode(e.nodeName, { type: "Skipped", displayName: e.displayName, boundaryID: boundaryId, phase: "Error", message: (err as Error).message });
      run.addChild(parentId, n.id);
      return n;
    }
    if (!ok) {
      const n = run.initNode(e.nodeName, {
        type: "Skipped",
        displayName: e.displayName,
        boundaryID: boundaryId,
        templateName: e.call.template,
        phase: "Skipped",
        message: `when '${substituteString(e.call.when, e.vars)}' evaluated false`,
      });
      run.addChild(parentId, n.id);
      return n;
    }
  }
  const hooks = e.call.hooks ?? {};
  const exitHook = hooks.exit ?? (e.call.onExit ? { template: e.call.onExit } : undefined);
  const lifecycle = Object.entries(hooks).filter(([k]) => k !== "exit");
  const fired = new Set<string>();
  const hookRuns: Array<Promise<NodeStatus>> = [];
  const prefix = `${kind}.${e.call.name}`;
  const fire = (status: string) => {
    const v: Vars = childVars(e.vars, { [`${prefix}.status`]: status });
    for (const [h, hook] of lifecycle) {
      if (fired.has(h) || !run.evaluateHookExpression(hook, v)) continue;
      fired.add(h);
      hookRuns.push(run.runHook(`${e.nodeName}.hooks.${h}`, hook, v, boundaryId, false, ctx.scope, ctx.inv.depth + 1));
    }
  };
  if (lifecycle.length > 0) fire("Running");
  const child = run.executeTemplate({
    nodeName: e.nodeName,
    displayName: e.displayName,
    call: e.call,
    scope: ctx.scope,
    boundaryId,
    depth: ctx.inv.depth + 1,
    vars: e.vars,
    isExitHandler: ctx.inv.isExitHandler,
    captureResult: run.referencesResult(ctx.template, kind, e.call.name),
  });
  // Link as soon as the node exists so the tree is right while it runs.
  queueMicrotask(() => run.addChild(parentId, run.nodeId(e.nodeName)));
  const node = await child;
  if (kind === "tasks" && run.setupErrors.has(node.id) && !node.message?.startsWith("task '")) {
    run.updateNode(node, { message: `task '${node.name}' errored: ${node.message ?? ""}` });
  }
  run.addChild(parentId, node.id);
  if (lifecycle.length > 0) fire(node.phase);
  if (exitHook && run.shutdown !== "Terminate") {
    const v: Vars = childVars(e.vars);
    addNodeToScope(v, prefix, node);
    const hookNode = await run.runHook(`${e.nodeName}.onExit`, exitHook, v, boundaryId, false, ctx.scope, ctx.inv.depth + 1);
    run.addChild(node.id, hookNode.id);
  }
  await Promise.all(hookRuns);
  return node;
}

/** Argo's checkParallelism message for a template whose `failFast: true` stopped it. */
const FAIL_FAST = "template has failed or errored children and failFast enabled";

/**
 * Runs expanded calls with the template's parallelism and failFast. Under a template's
 * `failFast: true`, a call that would start after a sibling failed is never created (Argo's
 * checkParallelism refuses it); its slot in the result is undefined.
 */
async function runAll(ctx: NodeContext, list: Expanded[], kind: "steps" | "tasks", parentId: string | undefined, limiter: Limiter): Promise<Array<NodeStatus | undefined>> {
  const failFast = ctx.template.failFast === true;
  return Promise.all(
    list.map(async (e) => {
      const release = await limiter.acquire();
      try {
        if (!mayStartChild({ running: 0, failFast, anyFailed: ctx.childFailed === true })) return undefined;
        const n = await runCall(ctx, e, kind, ctx.node.id, parentId);
        if (n.phase === "Failed" || n.phase === "Error") ctx.childFailed = true;
        return n;
      } finally {
        release();
      }
    }),
  );
}

/** After its children: a `failFast: true` template with a failed child is Failed (checkParallelism). */
function failedFast(ctx: NodeContext): boolean {
  if (ctx.template.failFast !== true || !ctx.childFailed) return false;
  ctx.run.updateNode(ctx.node, { phase: "Failed", message: FAIL_FAST });
  return true;
}

function finishWithOutputs(ctx: NodeContext, scopeVars: Vars): void {
  let outputs: Outputs | undefined;
  try {
    outputs = templateOutputsFromScope(ctx.template, scopeVars);
  } catch (err) {
    ctx.run.updateNode(ctx.node, { phase: "Error", message: (err as Error).message });
    return;
  }
  ctx.run.updateNode(ctx.node, { phase: "Succeeded", outputs });
}

function parallelismOf(t: Template, vars: Vars): number | undefined {
  if (t.parallelism === undefined) return undefined;
  const n = Number(substituteString(String(t.parallelism), vars));
  return Number.isFinite(n) ? n : undefined;
}

/** Steps: groups in order, the steps of a group in parallel (steps.go). */
export async function executeSteps(ctx: NodeContext): Promise<void> {
  const { run, node, template } = ctx;
  const scopeVars: Vars = childVars(ctx.vars);
  const limiter = new Limiter(parallelismOf(template, ctx.vars));
  let prevGroup: NodeStatus | undefined;
  const groups = template.steps ?? [];
  // Argo's updateOutboundNodes: a steps node's outbound nodes are those of its last group's children.
  const setOutbound = () => {
    if (prevGroup) run.updateNode(node, { outboundNodes: (prevGroup.children ?? []).flatMap((c) => outboundNodes(run.nodes, c)) });
  };
  for (let gi = 0; gi < groups.length; gi++) {
    const groupName = `${node.name}[${gi}]`;
    const group = run.reusable(groupName) ?? run.initNode(groupName, { type: "StepGroup", displayName: `[${gi}]`, boundaryID: node.id, phase: "Running" });
    // The first group hangs under the steps node, the next ones under the previous group's
    // outbound nodes (or the previous group itself when it had no children).
    const prevKids = prevGroup?.children ?? [];
    if (!prevGroup) run.addChild(node.id, group.id);
    else if (prevKids.length === 0) run.addChild(prevGroup.id, group.id);
    else for (const k of prevKids) for (const o of outboundNodes(run.nodes, k)) run.addChild(o, group.id);
    prevGroup = group;
    const expanded: Array<{ step: WorkflowStep; list: Expanded[]; isLoop: boolean }> = [];
    let expandError: string | undefined;
    for (const step of groups[gi] ?? []) {
      const stepVars = childVars(scopeVars, { "steps.name": step.name });
      try {
        const r = expand(step, `${node.name}[${gi}].${step.name}`, step.name, stepVars);
        expanded.push({ step, list: r.items ?? [r.single!], isLoop: r.items !== undefined });
      } catch (err) {
        // Argo marks the group itself Error with the expansion error; the step gets no node.
        expandError ??= (err as Error).message;
      }
    }
    // A loop over nothing is one Skipped node (steps.go expandStepGroup).
    for (const x of expanded) {
      if (!x.isLoop || x.list.length > 0) continue;
      const n = run.reusable(`${node.name}[${gi}].${x.step.name}`) ?? run.initNode(`${node.name}[${gi}].${x.step.name}`, { type: "Skipped", displayName: x.step.name, boundaryID: node.id, templateName: x.step.template, phase: "Skipped", message: EMPTY_LOOP });
      run.addChild(group.id, n.id);
      addNodeToScope(scopeVars, `steps.${x.step.name}`, n);
    }
    const flat = expanded.flatMap((x) => x.list);
    const slots = await runAll(ctx, flat, "steps", group.id, limiter);
    const results = slots.filter((r): r is NodeStatus => r !== undefined);
    const views = slots.flatMap((r, i) => (r ? [{ id: r.id, phase: r.phase, continueOn: flat[i].call.continueOn }] : []));
    let verdict = assessStepGroup(views);
    // A step that could not even start (setup error) errors its group whatever its continueOn,
    // as an expansion error does (steps.go executeStepGroup).
    const setupError = results.find((r) => run.setupErrors.has(r.id));
    if (expandError) verdict = { phase: "Error", message: expandError };
    else if (setupError) verdict = { phase: "Error", message: `step group deemed errored due to child ${setupError.name} error: ${setupError.message ?? ""}` };
    run.updateNode(group, { phase: verdict.phase === "Running" ? "Succeeded" : verdict.phase, message: verdict.message });
    let i = 0;
    for (const x of expanded) {
      const nodes = slots.slice(i, i + x.list.length).filter((r): r is NodeStatus => r !== undefined);
      i += x.list.length;
      if (x.isLoop) {
        if (x.list.length > 0) addAggregateToScope(scopeVars, `steps.${x.step.name}`, nodes);
      } else if (nodes[0]) addNodeToScope(scopeVars, `steps.${x.step.name}`, nodes[0]);
    }
    if (failedFast(ctx)) {
      setOutbound();
      return;
    }
    if (verdict.phase === "Failed" || verdict.phase === "Error" || run.shutdown || run.deadlineExceeded) {
      const message = verdict.message ?? (run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline");
      setOutbound();
      run.updateNode(node, { phase: "Failed", message });
      return;
    }
  }
  setOutbound();
  finishWithOutputs(ctx, scopeVars);
}

/** DAG: tasks start as their dependencies are fulfilled; `depends` decides run or Omitted (dag.go). */
export async function executeDag(ctx: NodeContext): Promise<void> {
  const { run, node, template } = ctx;
  let dag;
  try {
    dag = compileDag(template.dag!);
  } catch (err) {
    run.updateNode(node, { phase: "Error", message: (err as Error).message });
    return;
  }
  const scopeVars: Vars = childVars(ctx.vars);
  const views = new Map<string, TaskView>();
  const taskNodes = new Map<string, NodeStatus>();
  const limiter = new Limiter(parallelismOf(template, ctx.vars));
  const done = new Channel<string>();
  let running = 0;
  const view = (t: string) => views.get(t);
  // A root task hangs under the DAG node, the others under their dependencies' outbound nodes.
  const parentsOf = (name: string): Array<string | undefined> => {
    const deps = dag.deps.get(name) ?? [];
    if (deps.length === 0) return [node.id];
    return [...new Set(deps.flatMap((d) => {
      const id = taskNodes.get(d)?.id;
      return id ? outboundNodes(run.nodes, id) : [];
    }))];
  };
  const settle = (name: string, n: NodeStatus, childPhases?: string[]) => {
    taskNodes.set(name, n);
    views.set(name, { phase: n.phase, childPhases });
  };
  const launch = (name: string) => {
    const task = dag.tasks.get(name)! as DAGTask;
    const taskVars = childVars(scopeVars, { "tasks.name": name });
    views.set(name, { phase: "Running" });
    running++;
    void (async () => {
      try {
        const parents = parentsOf(name);
        const baseName = `${node.name}.${name}`;
        let r;
        try {
          r = expand(task, baseName, name, taskVars);
        } catch (err) {
          const n = run.initNode(baseName, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Error", message: (err as Error).message });
          for (const p of parents) run.addChild(p, n.id);
          settle(name, n);
          return;
        }
        if (r.single) {
          const release = await limiter.acquire();
          try {
            const n = await runCall(ctx, r.single, "tasks", node.id, parents[0]);
            if (n.phase === "Failed" || n.phase === "Error") ctx.childFailed = true;
            for (const p of parents.slice(1)) run.addChild(p, n.id);
            settle(name, n);
            addNodeToScope(scopeVars, `tasks.${name}`, n);
          } finally {
            release();
          }
          return;
        }
        if (r.items!.length === 0) {
          const n = run.reusable(baseName) ?? run.initNode(baseName, { type: "Skipped", displayName: name, boundaryID: node.id, templateName: task.template, phase: "Skipped", message: EMPTY_LOOP });
          for (const p of parents) run.addChild(p, n.id);
          settle(name, n);
          addNodeToScope(scopeVars, `tasks.${name}`, n);
          return;
        }
        const group = run.reusable(baseName) ?? run.initNode(baseName, { type: "TaskGroup", displayName: name, boundaryID: node.id, phase: "Running" });
        for (const p of parents) run.addChild(p, group.id);
        const children = (await runAll(ctx, r.items!, "tasks", group.id, limiter)).filter((c): c is NodeStatus => c !== undefined);
        // Argo's executeDAGTask keeps the phase of the last failed item.
        const failed = children.findLast((c) => c.phase === "Failed" || c.phase === "Error");
        run.updateNode(group, { phase: failed ? failed.phase : "Succeeded" });
        addAggregateToScope(scopeVars, `tasks.${name}`, children);
        scopeVars[`tasks.${name}.status`] = group.phase;
        scopeVars[`tasks.${name}.id`] = group.id;
        settle(name, group, children.map((c) => c.phase));
      } catch (err) {
        const n = run.initNode(`${node.name}.${name}`, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Error", message: `internal error: ${(err as Error).message}` });
        settle(name, n);
      } finally {
        running--;
        done.push(name);
      }
    })();
  };
  const omit = (name: string) => {
    const n =
      run.reusable(`${node.name}.${name}`) ??
      run.initNode(`${node.name}.${name}`, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Omitted", message: "omitted: depends condition not met" });
    for (const p of parentsOf(name)) run.addChild(p, n.id);
    settle(name, n);
  };
  let candidates: Iterable<string> | undefined;
  for (;;) {
    // A template's failFast: no task starts once one failed (Omitted ones are still recorded).
    const stopping = run.shutdown !== undefined || run.deadlineExceeded || (template.failFast === true && ctx.childFailed === true);
    const actions = planDag(dag, view, candidates);
    for (const name of actions.omit) omit(name);
    if (!stopping) for (const name of actions.start) launch(name);
    if (running === 0) {
      // Tasks that settle without awaiting anything (an empty loop, an expansion error) are
      // already in `done`: their dependents must still be planned.
      const settled = done.drain();
      if (actions.omit.length > 0 || settled.length > 0) {
        candidates = [...actions.omit, ...settled].flatMap((n) => dag.dependents.get(n) ?? []);
        continue;
      }
      break;
    }
    const finished = await done.take();
    const next = new Set<string>(dag.dependents.get(finished) ?? []);
    for (const n of done.drain()) for (const d of dag.dependents.get(n) ?? []) next.add(d);
    for (const n of actions.omit) for (const d of dag.dependents.get(n) ?? []) next.add(d);
    candidates = next;
  }
  if (run.shutdown || run.deadlineExceeded) {
    run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
    return;
  }
  // Argo's updateOutboundNodesForTargetTasks, done whether the DAG succeeded or failed.
  node.outboundNodes = dag.targets.flatMap((t) => {
    const id = taskNodes.get(t)?.id;
    return id ? outboundNodes(run.nodes, id) : [];
  });
  if (failedFast(ctx)) return;
  const failFast = template.dag?.failFast !== false;
  const verdict = assessDag(dag, view, failFast);
  if (verdict.phase === "Failed" || verdict.phase === "Error") {
    // Argo's executeDAG marks a failed DAG without a message (unlike a steps node).
    run.updateNode(node, { phase: verdict.phase });
    return;
  }
  if (verdict.phase === "Running") {
    run.updateNode(node, { phase: "Error", message: "DAG could not make progress: some target tasks never became ready" });
    return;
  }
  finishWithOutputs(ctx, scopeVars);
}
