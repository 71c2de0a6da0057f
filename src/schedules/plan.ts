// What a CronWorkflow should do now: a pure function of its spec, the clock and its runs, after
// Argo's workflow/cron/operator.go (run, enforceRuntimePolicy, shouldOutstandingWorkflowsBeRun,
// checkStopingCondition, enforceHistoryLimit). The caller owns timers and effects: it starts
// `runName` (stopping `replace` first), records `scheduledTime` as the new lastScheduledTime after
// a run or a skip, deletes `prune`, and calls again at `nextTime`.
import type { ConfigProblem } from "../core/errors.js";
import type { CronWorkflowSpec } from "../engine/model/types.js";
import { evaluateCronWhen, evaluateStopExpression, type CronExprContext } from "./cron-expr.js";
import { latestActivation, parseCronSchedules, scheduleKey, type ParsedSchedule } from "./cron.js";
import { planHistoryPrune, type FinishedRun } from "./history.js";
import { nextActivation } from "./robfig-cron.js";
import { cronRunName } from "./run-metadata.js";

/**
 * Without `startedAt`, a scheduled time counts as on time when it is at most this old (Argo's
 * inferScheduledTime relies on the same minute); older ones were missed.
 */
export const ON_TIME_TOLERANCE_MS = 60_000;

export interface CronPlanInput {
  /** metadata.name of the CronWorkflow. */
  name: string;
  spec: CronWorkflowSpec;
  now: Date;
  /** The last scheduled time acted on: fired, or deliberately skipped. */
  lastScheduledTime?: Date;
  /**
   * The scheduled time of the last run actually started: Argo's status.lastScheduledTime, which
   * `when` reads as `cronworkflow.lastScheduledTime`. Defaults to lastScheduledTime.
   */
  lastRunTime?: Date;
  /**
   * When the scheduler (re)started watching this CronWorkflow: process start, or the last change of
   * its spec (Argo re-adds the cron entry on every update, un-suspending included). Scheduled times
   * before it were missed; those from it on are on time. `@every` counts from here before any run.
   */
  startedAt?: Date;
  /** Runs not finished yet. Entries in a finished phase are ignored. */
  active: Array<{ name: string; phase: string }>;
  /** Finished runs still kept. */
  history: FinishedRun[];
  /**
   * Lifetime counts of finished runs (Argo's status.succeeded and status.failed, Error counting as
   * failed), read by `when` and stopStrategy. Defaults to counting `history`, which pruning shortens.
   */
  counts?: { succeeded: number; failed: number };
  /** True once a plan said suspendAfter (Argo's phase Stopped): nothing is scheduled any more. */
  stopped?: boolean;
  /** scheduleKey(spec) when the last run started; if it differs now, missed runs are not caught up. */
  lastUsedSchedule?: string;
  /** The CronWorkflow's metadata, for `cronworkflow.namespace`, `.labels` and `.annotations`. */
  metadata?: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface CronPlan {
  action: "none" | "run" | "skip";
  /** The scheduled time acted on (run or skip). */
  scheduledTime?: Date;
  /** `<name>-<unix seconds of scheduledTime>` when action is run. */
  runName?: string;
  reason: string;
  /** Active runs to stop before starting the new one (concurrencyPolicy Replace). */
  replace?: string[];
  /** Finished runs beyond the history limits, to delete. */
  prune: string[];
  /** The next scheduled time after `now`, for the timer. Absent when nothing will be scheduled. */
  nextTime?: Date;
  /** The stopStrategy expression is true: stop scheduling for good (pass `stopped` from now on). */
  suspendAfter?: boolean;
  /** The spec's schedule errors, when they keep anything from being scheduled. */
  problems?: ConfigProblem[];
}

const FINISHED = new Set(["Succeeded", "Failed", "Error"]);

const iso = (ms: number): string => new Date(ms).toISOString();

export function planCron(input: CronPlanInput): CronPlan {
  const { spec } = input;
  const now = input.now.getTime();
  const prune = planHistoryPrune(spec, input.history);

  const { parsed, problems } = parseCronSchedules(spec);
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0 || parsed.length === 0) {
    const detail = errors.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join("; ");
    return { action: "none", reason: `not scheduled: ${detail || "no valid schedule"}`, prune, problems: errors };
  }
  if (spec.suspend === true) return { action: "none", reason: "suspended (spec.suspend is true)", prune };
  if (input.stopped) return { action: "none", reason: "stopped: the stopStrategy expression was met", prune };

  const started = input.startedAt?.getTime();
  const last = input.lastScheduledTime?.getTime();
  // Before any scheduled time was acted on, only times from the (re)start on are due: Argo never
  // catches up a CronWorkflow that has not run yet.
  const specFrom = last ?? (started !== undefined ? started - 1 : now - ON_TIME_TOLERANCE_MS);
  const everyFrom = last ?? started ?? now - ON_TIME_TOLERANCE_MS;
  const due = latestDue(parsed, specFrom, everyFrom, now);
  const nextTime = nextAfter(parsed, everyFrom, now);
  const next = nextTime === undefined ? {} : { nextTime: new Date(nextTime) };

  const counts = input.counts ?? {
    succeeded: input.history.filter((r) => r.phase === "Succeeded").length,
    failed: input.history.filter((r) => r.phase !== "Succeeded").length,
  };
  const ctx: CronExprContext = {
    name: input.name,
    namespace: input.metadata?.namespace,
    labels: input.metadata?.labels,
    annotations: input.metadata?.annotations,
    succeeded: counts.succeeded,
    failed: counts.failed,
    lastScheduledTime: input.lastRunTime ?? input.lastScheduledTime,
    now: input.now,
  };
  const skip = (reason: string): CronPlan =>
    due === undefined
      ? { action: "none", reason, prune, ...next }
      : { action: "skip", scheduledTime: new Date(due.time), reason, prune, ...next };

  // Argo checks the stop condition before each run and whenever a run finishes, so at any call.
  const stop = spec.stopStrategy?.expression;
  if (typeof stop === "string" && stop.trim() !== "") {
    const verdict = evaluateStopExpression(stop, ctx);
    if (!verdict.ok) return skip(`stopStrategy expression "${stop}" failed: ${verdict.error}`);
    if (verdict.value) {
      const stopped = skip(`stopStrategy expression "${stop}" is true: scheduling stops`);
      delete stopped.nextTime;
      return { ...stopped, suspendAfter: true };
    }
  }

  if (due === undefined) {
    const when = nextTime === undefined ? "no scheduled time within five years" : `next scheduled time ${iso(nextTime)}`;
    return { action: "none", reason: `nothing due: ${when}`, prune, ...next };
  }
  const at = iso(due.time);
  const onTime = started !== undefined ? due.time >= started : now - due.time <= ON_TIME_TOLERANCE_MS;
  const lateSeconds = Math.floor((now - due.time) / 1000);
  const notes: string[] = [];
  if (due.earlier) notes.push(`earlier scheduled times since ${last === undefined ? "the start" : iso(last)} are not run`);

  let what = `scheduled time ${at}`;
  if (!onTime) {
    if (input.lastUsedSchedule !== undefined && input.lastUsedSchedule !== scheduleKey(spec)) {
      return skip(`missed ${at}, but the schedule changed since the last run: missed runs are not caught up after a change`);
    }
    const deadline = spec.startingDeadlineSeconds;
    if (typeof deadline !== "number") {
      return skip(`missed ${at} (${lateSeconds} s ago) while not running: without startingDeadlineSeconds missed runs are not caught up`);
    }
    if (now >= due.time + deadline * 1000) {
      return skip(`missed ${at} by ${lateSeconds} s, beyond startingDeadlineSeconds (${deadline})`);
    }
    what = `missed ${at}, caught up ${lateSeconds} s late (within startingDeadlineSeconds ${deadline})`;
    if (due.earlier) notes[0] = "only the latest missed time runs";
  }

  const when = evaluateCronWhen(spec.when, ctx);
  if (!when.ok) return skip(`${what}: when "${spec.when}" failed: ${when.error}`);
  if (!when.value) return skip(`${what}: when "${spec.when}" is false`);

  const running = input.active.filter((r) => !FINISHED.has(r.phase)).map((r) => r.name);
  const policy = spec.concurrencyPolicy || "Allow";
  const runs = (names: string[]): string => `${names.length > 1 ? "runs" : "run"} ${names.join(", ")}`;
  const run = (reason: string, replace?: string[]): CronPlan => ({
    action: "run",
    scheduledTime: new Date(due.time),
    runName: cronRunName(input.name, new Date(due.time)),
    reason: [reason, ...notes].join("; "),
    ...(replace ? { replace } : {}),
    prune,
    ...next,
  });
  switch (policy) {
    case "Allow":
      return run(what);
    case "Forbid":
      return running.length > 0 ? skip(`${what}: previous ${runs(running)} still running (concurrencyPolicy Forbid)`) : run(what);
    case "Replace":
      return running.length > 0 ? run(`${what}: replacing ${runs(running)} (concurrencyPolicy Replace)`, running) : run(what);
    default:
      return skip(`${what}: '${String(policy)}' is not a valid concurrencyPolicy`);
  }
}

/** The most recent due time over all schedules, and whether any other time was due before it. */
function latestDue(parsed: readonly ParsedSchedule[], specFrom: number, everyFrom: number, now: number): { time: number; earlier: boolean } | undefined {
  const found = parsed
    .map((p) => latestActivation(p.schedule, p.schedule.kind === "every" ? everyFrom : specFrom, now))
    .filter((f) => f !== undefined);
  if (found.length === 0) return undefined;
  const time = Math.max(...found.map((f) => f.time));
  // Two schedules firing at the same time make one run (Argo: the second submission already exists).
  return { time, earlier: found.some((f) => f.time < time || f.earlier) };
}

/** The first scheduled time after `now`; `@every` stays on its grid from `everyFrom`. */
function nextAfter(parsed: readonly ParsedSchedule[], everyFrom: number, now: number): number | undefined {
  let best: number | undefined;
  for (const p of parsed) {
    const s = p.schedule;
    let t: number | undefined;
    if (s.kind === "every") {
      const anchor = Math.floor(everyFrom / 1000) * 1000;
      t = anchor + (Math.max(0, Math.floor((now - anchor) / s.everyMs)) + 1) * s.everyMs;
    } else {
      t = nextActivation(s, now);
    }
    if (t !== undefined && (best === undefined || t < best)) best = t;
  }
  return best;
}
