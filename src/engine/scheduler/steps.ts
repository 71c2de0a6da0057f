import type { ContinueOn, NodePhase } from "../model/types.js";
import { isFulfilled } from "./dag.js";

export interface StepChildView {
  id: string;
  phase: NodePhase;
  continueOn?: ContinueOn;
}

export function continuesOn(phase: NodePhase, co: ContinueOn | undefined): boolean {
  return (phase === "Failed" && !!co?.failed) || (phase === "Error" && !!co?.error);
}

/**
 * Argo's step-group rule (steps.go): the group is fulfilled when every child is; it fails when a
 * Failed/Error child is not covered by its continueOn. Message: `child '<id>' failed`.
 */
export function assessStepGroup(children: readonly StepChildView[]): { phase: NodePhase; message?: string } {
  for (const c of children) if (!isFulfilled(c.phase)) return { phase: "Running" };
  for (const c of children) {
    if ((c.phase === "Failed" || c.phase === "Error") && !continuesOn(c.phase, c.continueOn)) {
      return { phase: "Failed", message: `child '${c.id}' failed` };
    }
  }
  return { phase: "Succeeded" };
}

/** Whether a loop-expanded group or fail-fast template may start another child now. */
export function mayStartChild(opts: {
  running: number;
  parallelism?: number;
  failFast?: boolean;
  anyFailed: boolean;
}): boolean {
  if (opts.failFast && opts.anyFailed) return false;
  return opts.parallelism === undefined || opts.parallelism <= 0 || opts.running < opts.parallelism;
}

/** Workflow phase from the entrypoint node and the exit handler (operator.go). */
export function workflowPhaseOf(
  entry: NodePhase,
  exit?: NodePhase,
): "Succeeded" | "Failed" | "Error" {
  const base = entry === "Failed" ? "Failed" : entry === "Error" ? "Error" : "Succeeded";
  if (base !== "Succeeded" || exit === undefined) return base;
  if (exit === "Failed") return "Failed";
  if (exit === "Error") return "Error";
  return base;
}
