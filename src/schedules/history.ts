// Argo's enforceHistoryLimit (workflow/cron/operator.go): keep the newest successfulJobsHistoryLimit
// succeeded runs (default 3) and the newest failedJobsHistoryLimit failed or errored runs
// (default 1), by finish time; the rest are deleted.
import type { CronWorkflowSpec } from "../engine/model/types.js";

export interface FinishedRun {
  name: string;
  phase: "Succeeded" | "Failed" | "Error";
  finishedAt: Date;
}

export const DEFAULT_SUCCESSFUL_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_HISTORY_LIMIT = 1;

/** A limit as Argo reads it: unset or negative means the default. */
function limitOf(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}

/**
 * The finished runs beyond the history limits: succeeded ones first, then failed ones, each group
 * newest first (the order Argo deletes them in). Runs that finished at the same moment keep their
 * input order.
 */
export function planHistoryPrune(
  spec: Pick<CronWorkflowSpec, "successfulJobsHistoryLimit" | "failedJobsHistoryLimit">,
  history: readonly FinishedRun[],
): string[] {
  const beyond = (runs: FinishedRun[], keep: number): string[] =>
    runs
      .map((run, i) => ({ run, i }))
      .sort((a, b) => b.run.finishedAt.getTime() - a.run.finishedAt.getTime() || a.i - b.i)
      .slice(keep)
      .map(({ run }) => run.name);
  return [
    ...beyond(history.filter((r) => r.phase === "Succeeded"), limitOf(spec.successfulJobsHistoryLimit, DEFAULT_SUCCESSFUL_HISTORY_LIMIT)),
    ...beyond(history.filter((r) => r.phase !== "Succeeded"), limitOf(spec.failedJobsHistoryLimit, DEFAULT_FAILED_HISTORY_LIMIT)),
  ];
}
