import { evaluateExpr, expandDottedKeys } from "../expr/expr-lang.js";
import type { TemplateScope } from "../model/catalog.js";
import type { LifecycleHook, NodeStatus, WorkflowStatus } from "../model/types.js";
import { isFulfilled } from "../scheduler/dag.js";
import { workflowPhaseOf } from "../scheduler/steps.js";
import type { WorkflowRun } from "./operator.js";
import { flattenVars, substituteObject, type Vars } from "./substitute.js";

/**
 * The workflow-level lifecycle of a run (operator.go operate): the workflow-level lock and
 * deadline, workflow lifecycle hooks, the entrypoint, the exit handler with its final
 * `workflow.status`/`workflow.failures`, and the workflow phase that follows.
 */

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** Whether a lifecycle hook's expression holds; an expression that cannot be evaluated does not. */
export function hookExpressionHolds(hook: LifecycleHook, vars: Vars): boolean {
  if (!hook.expression) return false;
  try {
    return evaluateExpr(hook.expression, expandDottedKeys(flattenVars(vars))) === true;
  } catch {
    return false;
  }
}

export async function executeWorkflow(run: WorkflowRun): Promise<WorkflowStatus> {
  // A workflow waiting for its workflow-level lock stays Pending (Argo: "postponed due to
  // concurrency limit"); it starts, and its deadline starts counting, once it holds the lock.
  const release = await run.locks.acquire(run.spec.synchronization, (msg) => {
    run.status = { ...run.status, phase: "Pending", message: msg };
    run.reporter.workflowUpdated?.(run.status);
    run.opts.journal?.writeStatus(run.status);
  });
  run.status = { ...run.status, phase: "Running", message: undefined, startedAt: run.status.startedAt ?? now() };
  run.reporter.workflowUpdated?.(run.status);
  run.opts.journal?.writeStatus(run.status);
  let deadline: NodeJS.Timeout | undefined;
  if (run.spec.activeDeadlineSeconds !== undefined) {
    deadline = setTimeout(() => {
      run.deadlineExceeded = true;
      run.stopController.abort();
    }, Number(run.spec.activeDeadlineSeconds) * 1000);
  }
  let entry: NodeStatus;
  let exitNode: NodeStatus | undefined;
  try {
    const hookNames = Object.keys(run.spec.hooks ?? {}).filter((h) => h !== "exit");
    const fired = new Set<string>();
    const fireHooks = async () => {
      const vars = { ...run.globals };
      const started: Array<Promise<NodeStatus>> = [];
      for (const h of hookNames) {
        const hook = run.spec.hooks![h];
        if (fired.has(h) || !run.evaluateHookExpression(hook, vars)) continue;
        fired.add(h);
        started.push(run.runHook(`${run.name}.hooks.${h}`, hook, vars, undefined));
      }
      return started;
    };
    const early = await fireHooks();
    entry = await run.executeTemplate({
      nodeName: run.name,
      displayName: run.name,
      call: { template: run.spec.entrypoint, arguments: run.spec.arguments },
      scope: run.rootScope,
      depth: 0,
      vars: run.globals,
    });
    run.globals["workflow.status"] = workflowPhaseOf(entry.phase);
    const late = await fireHooks();
    await Promise.all([...early, ...late]);
    const exitHook: LifecycleHook | undefined = run.spec.hooks?.exit ?? (run.spec.onExit ? { template: run.spec.onExit } : undefined);
    if (exitHook && run.shutdown !== "Terminate") {
      run.globals["workflow.status"] = run.shutdown || run.deadlineExceeded ? "Failed" : workflowPhaseOf(entry.phase);
      run.globals["workflow.failures"] = failuresJson(run);
      run.globals["workflow.duration"] = String((Date.now() - Date.parse(run.status.startedAt!)) / 1000);
      exitNode = await run.runHook(`${run.name}.onExit`, exitHook, run.globals, undefined, true);
    }
  } finally {
    release();
    if (deadline) clearTimeout(deadline);
  }
  let phase = workflowPhaseOf(entry.phase, exitNode?.phase);
  let message = phase === "Succeeded" ? undefined : entry.message;
  if (run.shutdown) {
    phase = "Failed";
    message = `Stopped with strategy '${run.shutdown}'`;
  } else if (run.deadlineExceeded) {
    phase = "Failed";
    message = "Step exceeded its deadline";
  } else if (entry.phase === "Succeeded" && exitNode && phase !== "Succeeded") {
    message = exitNode.message ?? `exit handler ${exitNode.phase.toLowerCase()}`;
  }
  run.status = { ...run.status, phase, finishedAt: now(), message, progress: progressOf(run) };
  run.opts.journal?.writeStatus(run.status);
  run.opts.journal?.flush();
  run.reporter.workflowUpdated?.(run.status);
  return run.snapshot();
}

export interface HookCall {
  nodeName: string;
  hook: LifecycleHook;
  vars: Vars;
  boundaryId: string | undefined;
  isExit: boolean;
  scope: TemplateScope;
  depth: number;
}

/** Runs an exit handler or lifecycle hook as a node of its own. */
export function runHook(run: WorkflowRun, h: HookCall): Promise<NodeStatus> {
  const call = substituteObject({ template: h.hook.template, templateRef: h.hook.templateRef, arguments: h.hook.arguments }, h.vars);
  return run.executeTemplate({
    nodeName: h.nodeName,
    displayName: run.displayNameOf(h.nodeName, h.boundaryId),
    call,
    scope: h.scope,
    boundaryId: h.boundaryId,
    depth: h.depth,
    vars: h.vars,
    isExitHandler: h.isExit || h.nodeName.startsWith(`${run.name}.onExit`),
  });
}

/**
 * `workflow.failures`: every Failed or Error node (steps, groups and DAGs included), as Argo lists
 * them. Argo stores the JSON through strconv.Quote, so a step sees a quoted string to decode twice
 * (`"null"` when nothing failed); `echo "{{workflow.failures}}" | jq` relies on that quoting.
 */
export function failuresJson(run: WorkflowRun): string {
  const failures = [];
  for (const n of run.nodes.values()) {
    if (n.phase !== "Failed" && n.phase !== "Error") continue;
    const templateName = n.templateName ?? n.templateRef?.template ?? "";
    failures.push({
      displayName: n.displayName,
      message: n.message ?? "",
      templateName,
      phase: n.phase,
      podName: run.podName(n.name, templateName),
      finishedAt: n.finishedAt ?? null,
    });
  }
  return JSON.stringify(failures.length ? JSON.stringify(failures) : "null");
}

export function progressOf(run: WorkflowRun): string {
  let done = 0;
  let total = 0;
  for (const n of run.nodes.values()) {
    if (n.type !== "Pod") continue;
    total++;
    if (isFulfilled(n.phase)) done++;
  }
  return `${done}/${total}`;
}
