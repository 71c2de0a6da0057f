import { describe, expect, it } from "vitest";
import type { CronWorkflowSpec } from "../../src/engine/model/types.js";
import { planCron, type CronPlan, type CronPlanInput } from "../../src/schedules/plan.js";

const d = (iso: string): Date => new Date(iso);
const spec = (fields: Partial<CronWorkflowSpec> = {}): CronWorkflowSpec => ({
  schedules: ["0 * * * *"],
  workflowSpec: { entrypoint: "main", templates: [] },
  ...fields,
});
const plan = (over: Partial<CronPlanInput> & { spec?: CronWorkflowSpec }): CronPlan =>
  planCron({ name: "nightly", spec: spec(), now: d("2024-01-01T11:00:02Z"), active: [], history: [], ...over });

/** The parts of a plan a table row checks. */
const summary = (p: CronPlan) => ({ action: p.action, scheduledTime: p.scheduledTime?.toISOString(), reason: p.reason });

describe("planCron: which scheduled time, and whether it is on time", () => {
  it("does nothing between scheduled times and says when the next one is", () => {
    const p = plan({ now: d("2024-01-01T10:30:00Z"), lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z") });
    expect(p).toEqual({ action: "none", reason: "nothing due: next scheduled time 2024-01-01T11:00:00.000Z", prune: [], nextTime: d("2024-01-01T11:00:00Z") });
  });

  it("runs a scheduled time that has come, named after its unix seconds", () => {
    const p = plan({ lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z") });
    expect(p).toEqual({
      action: "run",
      scheduledTime: d("2024-01-01T11:00:00Z"),
      runName: "nightly-1704106800",
      reason: "scheduled time 2024-01-01T11:00:00.000Z",
      prune: [],
      nextTime: d("2024-01-01T12:00:00Z"),
    });
  });

  it.each<[string, Partial<CronPlanInput>, ReturnType<typeof summary>]>([
    [
      "first run: a time after the start runs",
      { startedAt: d("2024-01-01T10:15:00Z") },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z" },
    ],
    [
      "first run: a time before the start is never caught up",
      { startedAt: d("2024-01-01T10:15:00Z"), now: d("2024-01-01T10:16:00Z") },
      { action: "none", scheduledTime: undefined, reason: "nothing due: next scheduled time 2024-01-01T11:00:00.000Z" },
    ],
    [
      "a time at the very start instant counts as on time",
      { startedAt: d("2024-01-01T11:00:00Z") },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z" },
    ],
    [
      "without startedAt, a time less than a minute old is on time",
      { lastScheduledTime: d("2024-01-01T10:00:00Z"), now: d("2024-01-01T11:00:45Z") },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z" },
    ],
    [
      "without startedAt, an older time was missed",
      { lastScheduledTime: d("2024-01-01T10:00:00Z"), now: d("2024-01-01T11:05:00Z") },
      {
        action: "skip",
        scheduledTime: "2024-01-01T11:00:00.000Z",
        reason: "missed 2024-01-01T11:00:00.000Z (300 s ago) while not running: without startingDeadlineSeconds missed runs are not caught up",
      },
    ],
    [
      "a late timer while running still runs the time (robfig fires late jobs)",
      { lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z"), now: d("2024-01-01T11:10:00Z"), spec: spec({ startingDeadlineSeconds: 60 }) },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z" },
    ],
  ])("%s", (_title, over, expected) => {
    expect(summary(plan(over))).toEqual(expected);
  });
});

describe("planCron: catching up after downtime (startingDeadlineSeconds)", () => {
  // Last acted on 10:00; the scheduler was down over 11:00 and came back at 11:20.
  const downtime = { lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T11:20:00Z"), now: d("2024-01-01T11:20:05Z") };

  it.each<[string, Partial<CronPlanInput>, ReturnType<typeof summary>]>([
    [
      "within the deadline: the missed time runs once, late",
      { ...downtime, spec: spec({ startingDeadlineSeconds: 1800 }) },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "missed 2024-01-01T11:00:00.000Z, caught up 1205 s late (within startingDeadlineSeconds 1800)" },
    ],
    [
      "beyond the deadline: skipped",
      { ...downtime, spec: spec({ startingDeadlineSeconds: 600 }) },
      { action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "missed 2024-01-01T11:00:00.000Z by 1205 s, beyond startingDeadlineSeconds (600)" },
    ],
    [
      "exactly at the deadline: skipped (Argo runs only while now < time + deadline)",
      { ...downtime, spec: spec({ startingDeadlineSeconds: 1205 }) },
      { action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "missed 2024-01-01T11:00:00.000Z by 1205 s, beyond startingDeadlineSeconds (1205)" },
    ],
    [
      "a deadline of 0 never catches up",
      { ...downtime, spec: spec({ startingDeadlineSeconds: 0 }) },
      { action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "missed 2024-01-01T11:00:00.000Z by 1205 s, beyond startingDeadlineSeconds (0)" },
    ],
    [
      "no deadline: missed times are not caught up",
      downtime,
      {
        action: "skip",
        scheduledTime: "2024-01-01T11:00:00.000Z",
        reason: "missed 2024-01-01T11:00:00.000Z (1205 s ago) while not running: without startingDeadlineSeconds missed runs are not caught up",
      },
    ],
    [
      "several missed times: only the latest runs",
      { ...downtime, lastScheduledTime: d("2024-01-01T08:00:00Z"), spec: spec({ startingDeadlineSeconds: 3600 }) },
      {
        action: "run",
        scheduledTime: "2024-01-01T11:00:00.000Z",
        reason: "missed 2024-01-01T11:00:00.000Z, caught up 1205 s late (within startingDeadlineSeconds 3600); only the latest missed time runs",
      },
    ],
    [
      "the schedule changed since the last run: no catch-up",
      { ...downtime, lastUsedSchedule: "0 */2 * * *", spec: spec({ startingDeadlineSeconds: 3600 }) },
      {
        action: "skip",
        scheduledTime: "2024-01-01T11:00:00.000Z",
        reason: "missed 2024-01-01T11:00:00.000Z, but the schedule changed since the last run: missed runs are not caught up after a change",
      },
    ],
    [
      "the same schedule as at the last run: caught up",
      { ...downtime, lastUsedSchedule: "0 * * * *", spec: spec({ startingDeadlineSeconds: 3600 }) },
      { action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "missed 2024-01-01T11:00:00.000Z, caught up 1205 s late (within startingDeadlineSeconds 3600)" },
    ],
  ])("%s", (_title, over, expected) => {
    expect(summary(plan(over))).toEqual(expected);
  });
});

describe("planCron: concurrencyPolicy", () => {
  const due = { lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z") };
  const active = [{ name: "nightly-1704103200", phase: "Running" }];

  it("Forbid skips while a previous run is active", () => {
    const p = plan({ ...due, active, spec: spec({ concurrencyPolicy: "Forbid" }) });
    expect(summary(p)).toEqual({
      action: "skip",
      scheduledTime: "2024-01-01T11:00:00.000Z",
      reason: "scheduled time 2024-01-01T11:00:00.000Z: previous run nightly-1704103200 still running (concurrencyPolicy Forbid)",
    });
    expect(p.runName).toBeUndefined();
  });

  it("Forbid runs when the only listed runs have finished", () => {
    const p = plan({ ...due, active: [{ name: "nightly-1704103200", phase: "Succeeded" }], spec: spec({ concurrencyPolicy: "Forbid" }) });
    expect(p.action).toBe("run");
  });

  it("Replace runs and lists the active runs to stop first", () => {
    const p = plan({ ...due, active: [...active, { name: "nightly-1704099600", phase: "Pending" }], spec: spec({ concurrencyPolicy: "Replace" }) });
    expect(p.action).toBe("run");
    expect(p.replace).toEqual(["nightly-1704103200", "nightly-1704099600"]);
    expect(p.reason).toBe("scheduled time 2024-01-01T11:00:00.000Z: replacing runs nightly-1704103200, nightly-1704099600 (concurrencyPolicy Replace)");
  });

  it("Replace with nothing active just runs", () => {
    const p = plan({ ...due, spec: spec({ concurrencyPolicy: "Replace" }) });
    expect(p.action).toBe("run");
    expect(p.replace).toBeUndefined();
  });

  it("Allow (the default) runs alongside active runs", () => {
    for (const concurrencyPolicy of [undefined, "Allow"] as const) {
      const p = plan({ ...due, active, spec: spec({ concurrencyPolicy }) });
      expect(p.action).toBe("run");
      expect(p.replace).toBeUndefined();
    }
  });

  it("an unknown policy skips with Argo's message", () => {
    const p = plan({ ...due, spec: spec({ concurrencyPolicy: "Queue" as "Allow" }) });
    expect(summary(p)).toEqual({ action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z: 'Queue' is not a valid concurrencyPolicy" });
  });
});

describe("planCron: suspend, when, stopStrategy", () => {
  const due = { lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z") };
  const failures = [1, 2, 3].map((i) => ({ name: `nightly-f${i}`, phase: "Failed" as const, finishedAt: d(`2024-01-01T0${i}:10:00Z`) }));

  it("a suspended CronWorkflow does nothing and sets no timer, but still prunes", () => {
    const p = plan({ ...due, history: failures, spec: spec({ suspend: true, stopStrategy: { expression: "cronworkflow.failed >= 1" } }) });
    expect(p).toEqual({ action: "none", reason: "suspended (spec.suspend is true)", prune: ["nightly-f2", "nightly-f1"] });
  });

  it("a stopped CronWorkflow does nothing", () => {
    expect(plan({ ...due, stopped: true })).toEqual({ action: "none", reason: "stopped: the stopStrategy expression was met", prune: [] });
  });

  it("when false skips the time with the reason", () => {
    const p = plan({ ...due, spec: spec({ when: "{{cronworkflow.failed}} < 1" }), history: failures.slice(0, 1) });
    expect(summary(p)).toEqual({ action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: 'scheduled time 2024-01-01T11:00:00.000Z: when "{{cronworkflow.failed}} < 1" is false' });
  });

  it("when that cannot be evaluated skips with the error", () => {
    const p = plan({ ...due, spec: spec({ when: "{{cronworkflow.nope}}" }) });
    expect(p.action).toBe("skip");
    expect(p.reason).toContain("failed: failed to resolve {{cronworkflow.nope}}");
  });

  it("when reads the last run, not the last skipped time, as cronworkflow.lastScheduledTime", () => {
    const everyMinute = spec({ schedules: ["* * * * *"], when: "{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 }}" });
    const input = { spec: everyMinute, now: d("2024-01-01T12:07:00Z"), startedAt: d("2024-01-01T09:00:00Z"), lastScheduledTime: d("2024-01-01T12:06:00Z") };
    expect(plan({ ...input, lastRunTime: d("2024-01-01T12:00:00Z") }).action).toBe("run");
    expect(plan(input).action).toBe("skip");
  });

  it("a true stopStrategy stops scheduling for good: no run, no timer", () => {
    const p = plan({ ...due, history: failures, spec: spec({ stopStrategy: { expression: "cronworkflow.failed >= 3" } }) });
    expect(p).toEqual({
      action: "skip",
      scheduledTime: d("2024-01-01T11:00:00Z"),
      reason: 'stopStrategy expression "cronworkflow.failed >= 3" is true: scheduling stops',
      prune: ["nightly-f2", "nightly-f1"],
      suspendAfter: true,
    });
  });

  it("the stopStrategy is checked between scheduled times too, as Argo does when a run finishes", () => {
    const p = plan({ ...due, now: d("2024-01-01T10:30:00Z"), counts: { succeeded: 1, failed: 0 }, spec: spec({ stopStrategy: { expression: "cronworkflow.succeeded >= 1" } }) });
    expect(p).toMatchObject({ action: "none", suspendAfter: true });
    expect(p.nextTime).toBeUndefined();
  });

  it("lifetime counts override the (pruned) history", () => {
    const p = plan({ ...due, history: failures, counts: { succeeded: 5, failed: 2 }, spec: spec({ stopStrategy: { expression: "cronworkflow.failed >= 3" } }) });
    expect(p.action).toBe("run");
    expect(p.suspendAfter).toBeUndefined();
  });

  it("a stopStrategy that cannot be evaluated skips", () => {
    const p = plan({ ...due, spec: spec({ stopStrategy: { expression: "cronworkflow.failed" } }) });
    expect(summary(p)).toEqual({ action: "skip", scheduledTime: "2024-01-01T11:00:00.000Z", reason: 'stopStrategy expression "cronworkflow.failed" failed: expected a boolean, got 0' });
  });
});

describe("planCron: schedules and time zones", () => {
  it("an invalid schedule schedules nothing and returns the problems", () => {
    const p = plan({ spec: spec({ schedules: ["0 9 * * *", "0 25 * * *"] }) });
    expect(p.action).toBe("none");
    expect(p.reason).toBe('not scheduled: spec.schedules[1]: cron schedule 0 25 * * * is malformed: hour field "25": end of range (25) above maximum (23): 25');
    expect(p.problems).toHaveLength(1);
    expect(p.nextTime).toBeUndefined();
  });

  it("with several schedules the most recent due time runs", () => {
    const p = plan({
      spec: spec({ schedules: ["0 9 * * *", "30 9 * * *"] }),
      now: d("2024-01-01T09:30:10Z"),
      lastScheduledTime: d("2023-12-31T09:30:00Z"),
      startedAt: d("2024-01-01T08:00:00Z"),
    });
    expect(summary(p)).toEqual({
      action: "run",
      scheduledTime: "2024-01-01T09:30:00.000Z",
      reason: "scheduled time 2024-01-01T09:30:00.000Z; earlier scheduled times since 2023-12-31T09:30:00.000Z are not run",
    });
    expect(p.nextTime).toEqual(d("2024-01-02T09:00:00Z"));
  });

  it("two schedules firing at the same time make one run", () => {
    const p = plan({ spec: spec({ schedules: ["0 * * * *", "*/30 * * * *"] }), lastScheduledTime: d("2024-01-01T10:30:00Z"), startedAt: d("2024-01-01T09:00:00Z") });
    expect(summary(p)).toEqual({ action: "run", scheduledTime: "2024-01-01T11:00:00.000Z", reason: "scheduled time 2024-01-01T11:00:00.000Z" });
    expect(p.nextTime).toEqual(d("2024-01-01T11:30:00Z"));
  });

  it("America/New_York: 02:30 does not run on the day the clocks skip it", () => {
    const p = plan({
      spec: spec({ schedules: ["30 2 * * *"], timezone: "America/New_York" }),
      lastScheduledTime: d("2024-03-09T07:30:00Z"),
      startedAt: d("2024-03-01T00:00:00Z"),
      now: d("2024-03-10T08:00:00Z"),
    });
    expect(p).toMatchObject({ action: "none", nextTime: d("2024-03-11T06:30:00Z") });
  });

  it("America/New_York: 01:30 runs twice on the day the clocks repeat it, as two runs", () => {
    const nightly = spec({ schedules: ["30 1 * * *"], timezone: "America/New_York" });
    const first = plan({ spec: nightly, lastScheduledTime: d("2024-11-02T05:30:00Z"), startedAt: d("2024-11-01T00:00:00Z"), now: d("2024-11-03T05:30:01Z") });
    expect(first).toMatchObject({ action: "run", scheduledTime: d("2024-11-03T05:30:00Z"), runName: "nightly-1730611800", nextTime: d("2024-11-03T06:30:00Z") });
    const second = plan({ spec: nightly, lastScheduledTime: first.scheduledTime, startedAt: d("2024-11-01T00:00:00Z"), now: d("2024-11-03T06:30:01Z") });
    expect(second).toMatchObject({ action: "run", scheduledTime: d("2024-11-03T06:30:00Z"), runName: "nightly-1730615400", nextTime: d("2024-11-04T06:30:00Z") });
  });

  it("@every keeps its grid from the last scheduled time, or from the start", () => {
    const every = spec({ schedules: ["@every 2h"] });
    expect(plan({ spec: every, lastScheduledTime: d("2024-01-01T09:00:00Z"), startedAt: d("2024-01-01T08:00:00Z") })).toMatchObject({
      action: "run",
      scheduledTime: d("2024-01-01T11:00:00Z"),
      nextTime: d("2024-01-01T13:00:00Z"),
    });
    expect(plan({ spec: every, startedAt: d("2024-01-01T10:00:00Z"), now: d("2024-01-01T11:59:00Z") })).toMatchObject({ action: "none", nextTime: d("2024-01-01T12:00:00Z") });
  });

  it("prunes finished runs beyond the history limits in any plan", () => {
    const history = [
      { name: "nightly-1", phase: "Succeeded" as const, finishedAt: d("2024-01-01T01:00:00Z") },
      { name: "nightly-2", phase: "Succeeded" as const, finishedAt: d("2024-01-01T02:00:00Z") },
      { name: "nightly-3", phase: "Error" as const, finishedAt: d("2024-01-01T03:00:00Z") },
      { name: "nightly-4", phase: "Failed" as const, finishedAt: d("2024-01-01T04:00:00Z") },
    ];
    const p = plan({ history, lastScheduledTime: d("2024-01-01T10:00:00Z"), startedAt: d("2024-01-01T09:00:00Z"), spec: spec({ successfulJobsHistoryLimit: 1 }) });
    expect(p.action).toBe("run");
    expect(p.prune).toEqual(["nightly-1", "nightly-3"]);
  });
});
