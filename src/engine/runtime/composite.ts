import { evaluateWhen } from "../expr/govaluate.js";
import type { TemplateScope } from "../model/catalog.js";
import type { Item, NodeStatus, Outputs, Template, TemplateCall, WorkflowStep } from "../model/types.js";
import { assessStepGroup, mayStartChild } from "../scheduler/steps.js";
import { Limiter } from "./limiter.js";
import { expandItems, itemVars, LoopError } from "./loops.js";
import { loopNodeName } from "./names.js";
import type { Invocation, WorkflowRun } from "./operator.js";
import { outboundNodes } from "./outbound.js";
import { templateOutputsFromScope } from "./outputs.js";
import { addAggregateToScope, addNodeToScope } from "./scope.js";
import { childVars, substituteObject, substituteString, type Vars } from "./substitute.js";

/** Argo's message for a loop whose list is empty. */
export const EMPTY_LOOP = "Skipped, empty params";

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
export interface Expanded {
  nodeName: string;
  displayName: string;
  call: TemplateCall;
  vars: Vars;
}

/** Expands a step/task over its items; errors become an Error node for the whole call. */
export function expand(call: TemplateCall, baseName: string, displayBase: string, vars: Vars): { items?: Expanded[]; single?: Expanded } {
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
export async function runCall(ctx: NodeContext, e: Expanded, kind: "steps" | "tasks", boundaryId: string, parentId: string | undefined): Promise<NodeStatus> {
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
export const FAIL_FAST = "template has failed or errored children and failFast enabled";

/**
 * Runs expanded calls with the template's parallelism and failFast. Under a template's
 * `failFast: true`, a call that would start after a sibling failed is never created (Argo's
 * checkParallelism refuses it); its slot in the result is undefined.
 */
export async function runAll(ctx: NodeContext, list: Expanded[], kind: "steps" | "tasks", parentId: string | undefined, limiter: Limiter): Promise<Array<NodeStatus | undefined>> {
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
export function failedFast(ctx: NodeContext): boolean {
  if (ctx.template.failFast !== true || !ctx.childFailed) return false;
  ctx.run.updateNode(ctx.node, { phase: "Failed", message: FAIL_FAST });
  return true;
}

export function finishWithOutputs(ctx: NodeContext, scopeVars: Vars): void {
  let outputs: Outputs | undefined;
  try {
    outputs = templateOutputsFromScope(ctx.template, scopeVars);
  } catch (err) {
    ctx.run.updateNode(ctx.node, { phase: "Error", message: (err as Error).message });
    return;
  }
  ctx.run.updateNode(ctx.node, { phase: "Succeeded", outputs });
}

export function parallelismOf(t: Template, vars: Vars): number | undefined {
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
