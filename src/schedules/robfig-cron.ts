// The cron dialect of Argo CronWorkflows: github.com/robfig/cron/v3 v3.0.1 `ParseStandard`, which
// Argo's validation and controller both call. Five fields (minute hour day-of-month month
// day-of-week), `*` `?` `,` `-` `/`, month and weekday names, the descriptors @yearly @annually
// @monthly @weekly @daily @midnight @hourly and `@every <Go duration>`, and a `CRON_TZ=`/`TZ=`
// prefix. No seconds field, no `L`, `W`, `#` or `H`, and day-of-week 7 is out of range.
//
// The search for the next time is a port of robfig's SpecSchedule.Next, so that daylight-saving
// changes behave as Argo documents (docs/cron-workflows.md, "Daylight Saving"): a wall time the
// clock skips does not run that day, and a wall time the clock repeats runs twice.
import { parseGoDuration } from "../engine/model/durations.js";
import { checkZone, wallClock, zonedTime, type WallClock } from "./zone.js";

interface Field {
  /** values[i] is true when i matches. */
  values: boolean[];
  /** A bare `*` or `?` (a stepped star is a restriction): decides AND or OR of the day fields. */
  star: boolean;
}

export interface SpecSchedule {
  kind: "spec";
  zone: string;
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

export interface EverySchedule {
  kind: "every";
  zone: string;
  /** The interval in milliseconds: whole seconds, at least one. */
  everyMs: number;
}

export type RobfigSchedule = SpecSchedule | EverySchedule;

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: Bounds[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  { name: "day of week", min: 0, max: 6, names: Object.fromEntries(DOW_NAMES.map((n, i) => [n, i])) },
];

/** The descriptors robfig expands, as the five fields they stand for. */
const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export class CronSyntaxError extends Error {
  override name = "CronSyntaxError";
}

/** Go's strconv.Atoi followed by robfig's sign check. */
function parseNumber(text: string, expr: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  const n = Number(text);
  if (n < 0) throw new CronSyntaxError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseValue(text: string, b: Bounds, expr: string): number {
  const key = text.toLowerCase();
  if (b.names && Object.hasOwn(b.names, key)) return b.names[key];
  return parseNumber(text, expr);
}

function parseRange(expr: string, b: Bounds, field: Field): void {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0].split("-");
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseValue(lowAndHigh[0], b, expr);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseValue(lowAndHigh[1], b, expr);
    else throw new CronSyntaxError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseNumber(rangeAndStep[1], expr);
    // "N/step" means "N-max/step"; a real step makes `*` a restriction for the day rule.
    if (lowAndHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) field.values[i] = true;
  if (star) field.star = true;
}

function parseField(text: string, b: Bounds): Field {
  const field: Field = { values: [], star: false };
  // strings.FieldsFunc: empty items between commas are dropped.
  for (const expr of text.split(",").filter((e) => e !== "")) parseRange(expr, b, field);
  return field;
}

/**
 * Parses one schedule as robfig's ParseStandard does; `defaultZone` applies unless the schedule
 * starts with `CRON_TZ=<zone> ` or `TZ=<zone> `. Throws CronSyntaxError with robfig's wording.
 */
export function parseRobfig(schedule: string, defaultZone: string): RobfigSchedule {
  let spec = schedule;
  if (spec === "") throw new CronSyntaxError("empty spec string");
  let zone = defaultZone;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.search(/\s/);
    if (space === -1) throw new CronSyntaxError(`missing fields after time zone in spec "${schedule}"`);
    zone = spec.slice(spec.indexOf("=") + 1, space);
    const err = checkZone(zone);
    if (err) throw new CronSyntaxError(`provided bad location ${zone}: ${err}`);
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith("@")) {
    if (spec.startsWith("@every ")) {
      let ms: number;
      try {
        ms = parseGoDuration(spec.slice("@every ".length));
      } catch (e) {
        throw new CronSyntaxError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      // robfig's Every: at least one second, rounded down to whole seconds.
      return { kind: "every", zone, everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000) };
    }
    const fields = DESCRIPTORS[spec];
    if (fields === undefined) throw new CronSyntaxError(`unrecognized descriptor: ${spec}`);
    spec = fields;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => {
    try {
      return parseField(f, FIELDS[i]);
    } catch (e) {
      throw new CronSyntaxError(`${FIELDS[i].name} field "${f}": ${(e as Error).message}`);
    }
  });
  return { kind: "spec", zone, minute, hour, dom, month, dow };
}

function dayMatches(s: SpecSchedule, w: WallClock): boolean {
  const domMatch = s.dom.values[w.day] === true;
  const dowMatch = s.dow.values[w.weekday] === true;
  return s.dom.star || s.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * robfig's SpecSchedule.Next: the first activation strictly after `after`, or undefined when there
 * is none within five years (a schedule such as `0 0 30 2 *`).
 */
function nextSpec(s: SpecSchedule, after: number): number | undefined {
  const zone = s.zone;
  // The upcoming whole second; seconds are always 0 in a five-field schedule.
  let t = Math.floor(after / SECOND) * SECOND + SECOND;
  let added = false;
  let w = wallClock(t, zone);
  const yearLimit = w.year + 5;
  const set = (ms: number): void => {
    t = ms;
    w = wallClock(t, zone);
  };
  for (;;) {
    if (w.year > yearLimit) return undefined;
    let wrapped = false;
    while (s.month.values[w.month] !== true) {
      if (!added) {
        added = true;
        set(zonedTime(zone, w.year, w.month, 1, 0, 0, 0));
      }
      set(zonedTime(zone, w.year, w.month + 1, w.day, w.hour, w.minute, w.second));
      if (w.month === 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!dayMatches(s, w)) {
      if (!added) {
        added = true;
        set(zonedTime(zone, w.year, w.month, w.day, 0, 0, 0));
      }
      set(zonedTime(zone, w.year, w.month, w.day + 1, w.hour, w.minute, w.second));
      // Midnight may not exist on a DST day: step back to 0h, or on to the next day's 0h.
      if (w.hour !== 0) set(t + (w.hour > 12 ? 24 - w.hour : -w.hour) * HOUR);
      if (w.day === 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (s.hour.values[w.hour] !== true) {
      if (!added) {
        added = true;
        set(zonedTime(zone, w.year, w.month, w.day, w.hour, 0, 0));
      }
      set(t + HOUR);
      if (w.hour === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (s.minute.values[w.minute] !== true) {
      if (!added) {
        added = true;
        set(t - (((t % MINUTE) + MINUTE) % MINUTE));
      }
      set(t + MINUTE);
      if (w.minute === 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    if (w.second !== 0) {
      // robfig steps one second at a time to the next :00 and starts over; jump there at once.
      added = true;
      set(t - (((t % MINUTE) + MINUTE) % MINUTE) + MINUTE);
      continue;
    }
    return t;
  }
}

/**
 * The first activation strictly after `after` (epoch ms). `@every` counts from `after` itself, as
 * robfig's ConstantDelaySchedule does (`after` truncated to the second, plus the interval).
 */
export function nextActivation(s: RobfigSchedule, after: number): number | undefined {
  if (s.kind === "every") return Math.floor(after / SECOND) * SECOND + s.everyMs;
  return nextSpec(s, after);
}
