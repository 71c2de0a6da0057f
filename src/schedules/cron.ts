// A CronWorkflow's schedules, checked and parsed once: `spec.schedules` (Argo v3.6+; the singular
// `schedule` was removed in v4), `spec.timezone`, and robfig's per-schedule `CRON_TZ=` prefix.
import type { ConfigProblem } from "../core/errors.js";
import type { LoadedDoc, PathSeg } from "../engine/model/load.js";
import type { CronWorkflowSpec } from "../engine/model/types.js";
import { CronSyntaxError, nextActivation, parseRobfig, type RobfigSchedule } from "./robfig-cron.js";
import { checkZone } from "./zone.js";

/**
 * The zone of a schedule without `timezone` or `CRON_TZ=`. Argo uses the controller's local zone,
 * which is UTC in its container image; Tiphys uses UTC whatever the host's zone.
 */
export const DEFAULT_TIMEZONE = "UTC";

export interface ParsedSchedule {
  /** Index in `spec.schedules`. */
  index: number;
  /** The schedule as written. */
  source: string;
  schedule: RobfigSchedule;
}

export interface CronSchedules {
  /** Every string of `spec.schedules`, as written, valid or not. */
  schedules: string[];
  /** `spec.timezone`, or DEFAULT_TIMEZONE. A schedule's own `CRON_TZ=` prefix overrides it. */
  timezone: string;
  /** The schedules that parsed. */
  parsed: ParsedSchedule[];
  problems: ConfigProblem[];
}

/** Where problems point: a loaded YAML document gives them file:line:column. */
export type CronSource = Pick<LoadedDoc, "posOf">;

/**
 * Checks and parses the schedules of a CronWorkflow spec (raw YAML data is fine: nothing is
 * assumed of its shape). Problems name the field, e.g. `spec.schedules[1]`, and carry a position
 * when `doc` is the document the spec came from.
 */
export function parseCronSchedules(spec: CronWorkflowSpec | Record<string, unknown>, doc?: CronSource): CronSchedules {
  const raw = spec as Record<string, unknown>;
  const problems: ConfigProblem[] = [];
  const report = (path: PathSeg[], message: string, severity: ConfigProblem["severity"] = "error"): void => {
    problems.push({ message, field: fieldOf(path), severity, ...(doc ? { pos: doc.posOf(path) } : {}) });
  };

  let timezone = DEFAULT_TIMEZONE;
  if (raw.timezone !== undefined && raw.timezone !== null && raw.timezone !== "") {
    if (typeof raw.timezone !== "string") {
      report(["spec", "timezone"], "timezone must be a string, an IANA name such as \"Europe/Paris\"");
    } else if (raw.timezone === "Local") {
      report(["spec", "timezone"], `timezone "Local" is the controller's own zone in Argo; Tiphys schedules it in ${DEFAULT_TIMEZONE}`, "warning");
    } else {
      const err = checkZone(raw.timezone);
      if (err) report(["spec", "timezone"], err);
      else timezone = raw.timezone;
    }
  }
  const explicitZone = typeof raw.timezone === "string" && raw.timezone !== "";

  if (raw.schedule !== undefined) {
    report(["spec", "schedule"], `"schedule" was removed in Argo Workflows v4: use "schedules" (a list)`);
  }
  const list = raw.schedules;
  const schedules: string[] = [];
  const parsed: ParsedSchedule[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    if (list !== undefined && !Array.isArray(list)) report(["spec", "schedules"], "schedules must be a list of cron schedules");
    else report(["spec", "schedules"], "spec.schedules is required: list at least one cron schedule");
    return { schedules, timezone, parsed, problems };
  }
  list.forEach((item, index) => {
    const path = ["spec", "schedules", index];
    if (typeof item !== "string") {
      report(path, `schedules[${index}] must be a string such as "0 * * * *"`);
      return;
    }
    schedules.push(item);
    if (explicitZone && /^(CRON_)?TZ=/.test(item)) {
      // Argo prepends CRON_TZ=<timezone> itself; robfig then reads the second prefix as a field.
      report(path, `cron schedule ${item} is malformed: it has its own CRON_TZ= prefix and spec.timezone is set too; keep one`);
      return;
    }
    try {
      parsed.push({ index, source: item, schedule: parseRobfig(item, timezone) });
    } catch (e) {
      if (!(e instanceof CronSyntaxError)) throw e;
      report(path, `cron schedule ${item} is malformed: ${e.message}`);
    }
  });
  return { schedules, timezone, parsed, problems };
}

function fieldOf(path: PathSeg[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/**
 * Argo's last-used-schedule key (`GetScheduleString`): the schedules, each with `CRON_TZ=<timezone> `
 * when a timezone is set, joined by commas. A change of key means the schedule was edited, and
 * Argo then does not catch up missed runs.
 */
export function scheduleKey(spec: Pick<CronWorkflowSpec, "schedules" | "timezone">): string {
  const tz = spec.timezone ? `CRON_TZ=${spec.timezone} ` : "";
  return (spec.schedules ?? []).map((s) => tz + s).join(",");
}

/**
 * The earliest time after `after` at which any of the schedules fires, or undefined when none
 * parses or none fires within five years. `@every` schedules count from `after`, so pass the last
 * scheduled time (or the scheduler's start) for them.
 */
export function nextScheduledTime(spec: CronWorkflowSpec, after: Date): Date | undefined {
  const next = earliestNext(parseCronSchedules(spec).parsed, after.getTime());
  return next === undefined ? undefined : new Date(next);
}

export function earliestNext(parsed: readonly ParsedSchedule[], after: number): number | undefined {
  let best: number | undefined;
  for (const p of parsed) {
    const t = nextActivation(p.schedule, after);
    if (t !== undefined && (best === undefined || t < best)) best = t;
  }
  return best;
}

const HOUR = 3_600_000;

/**
 * The latest activation t of a schedule with from < t <= to, and whether another activation
 * lies between `from` and t. `@every` activations are `from` (to the second) plus whole intervals.
 */
export function latestActivation(s: RobfigSchedule, from: number, to: number): { time: number; earlier: boolean } | undefined {
  if (to <= from) return undefined;
  if (s.kind === "every") {
    const anchor = Math.floor(from / 1000) * 1000;
    const k = Math.floor((to - anchor) / s.everyMs);
    return k >= 1 ? { time: anchor + k * s.everyMs, earlier: k >= 2 } : undefined;
  }
  // Look back in widening windows, then bisect: a week's downtime of a minutely schedule must not
  // mean walking every minute of it.
  for (let width = HOUR; ; width *= 8) {
    const start = Math.max(from, to - width);
    const found = nextActivation(s, start);
    if (found !== undefined && found <= to) {
      const time = latestFrom(s, found, to);
      const first = nextActivation(s, from);
      return { time, earlier: first !== undefined && first < time };
    }
    if (start <= from) return undefined;
  }
}

/** The latest activation <= `to`, given an activation `a` <= `to`. */
function latestFrom(s: RobfigSchedule, a: number, to: number): number {
  let hi = to;
  for (;;) {
    const b = nextActivation(s, a);
    if (b === undefined || b > hi) return a;
    a = b;
    // Halve the distance to `hi`: either an activation lies in its upper half or none does.
    const mid = a + Math.floor((hi - a) / 2);
    if (mid > a) {
      const c = nextActivation(s, mid);
      if (c !== undefined && c <= hi) a = c;
      else hi = mid;
    }
  }
}
