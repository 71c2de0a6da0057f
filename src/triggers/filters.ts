// Does an event pass a dependency's filters? Argo's dependencies/filter.go, in its order
// (exprs, data, context, time), each answer with a reason a user can act on.
import { evaluateGovaluate } from "../engine/expr/govaluate.js";
import { parseGoFloat } from "./dependency-parse.js";
import type { ArgoEventContext, ArgoEventData } from "./event.js";
import { gjsonBool, gjsonGet, gjsonString, parseGoBool } from "./gjson.js";
import type { Comparator, ContextFilter, DataFilter, ExprFilter, LogicalOperator, SensorDependency, TimeFilter } from "./sensor-types.js";

export interface FilterResult {
  pass: boolean;
  /** Why it failed (or "" when it passed). */
  reason: string;
}

const PASS: FilterResult = { pass: true, reason: "" };
const fail = (reason: string): FilterResult => ({ pass: false, reason });

const short = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

function compare(a: number, cmp: Comparator, b: number): boolean {
  switch (cmp) {
    case "=": return a === b;
    case "!=": return a !== b;
    case ">": return a > b;
    case ">=": return a >= b;
    case "<": return a < b;
    case "<=": return a <= b;
  }
}

/** One data filter: OR over its values; a missing path or an empty template result fails it. */
export function passesDataFilter(f: DataFilter, data: ArgoEventData): FilterResult {
  let found = gjsonGet(data, f.segments);
  if (found === undefined) return fail(`path ${f.path} does not exist`);
  if (f.template) {
    const out = f.template.render({ Input: gjsonString(found) });
    if (out === undefined || out === "" || out === "<no value>") return fail(`template of ${f.path} gives no value`);
    found = out;
  }
  const text = gjsonString(found);
  const want = `${f.comparator === "=" ? "" : `${f.comparator} `}${f.values.join(" | ")}`;
  let ok: boolean;
  switch (f.type) {
    case "bool":
      ok = f.values.some((v) => parseGoBool(v) === gjsonBool(found));
      break;
    case "number": {
      const n = parseGoFloat(text);
      if (Number.isNaN(n)) return fail(`${f.path} is "${short(text)}", not a number`);
      ok = f.values.some((v) => compare(n, f.comparator, parseGoFloat(v)));
      break;
    }
    case "string":
      // Go's regexp.Match: unanchored, so "main" matches "main-2".
      ok = f.regexes.some((re) => (f.comparator === "!=" ? !re.test(text) : re.test(text)));
      break;
  }
  return ok ? PASS : fail(`${f.path} is "${short(text)}", wanted ${want}`);
}

function combine(results: FilterResult[], op: LogicalOperator): FilterResult {
  if (results.length === 0) return PASS;
  if (op === "or") return results.some((r) => r.pass) ? PASS : fail(results.map((r) => r.reason).join("; and "));
  return results.find((r) => !r.pass) ?? PASS;
}

function passesExpr(f: ExprFilter, data: ArgoEventData): FilterResult | undefined {
  // An expr without fields is skipped, as in Argo.
  if (f.fields.length === 0) return undefined;
  const params: Record<string, unknown> = {};
  for (const field of f.fields) {
    const v = gjsonGet(data, field.segments);
    if (v === undefined) return fail(`path ${field.path} does not exist`);
    params[field.name] = v;
  }
  try {
    return evaluateGovaluate(f.expr, params) === true ? PASS : fail(`${f.expr} is false`);
  } catch (e) {
    return fail(`${f.expr}: ${(e as Error).message}`);
  }
}

function passesContext(f: ContextFilter, ctx: ArgoEventContext): FilterResult {
  for (const key of ["type", "subject", "source", "datacontenttype"] as const) {
    const want = f[key];
    if (want !== undefined && ctx[key] !== want) return fail(`context ${key} is "${ctx[key]}", wanted "${want}"`);
  }
  return PASS;
}

/** Seconds after midnight of `time` in an IANA zone. */
function secondsOfDay(time: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(time);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get("hour") * 3600 + get("minute") * 60 + get("second");
}

const clock = (s: number): string => [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, "0")).join(":");

/** [start, stop) in the zone; a stop at or before start wraps past midnight, as Argo's filterTime. */
export function passesTime(f: TimeFilter, time: Date | undefined): FilterResult {
  if (time === undefined) return fail("the event has no time");
  const t = secondsOfDay(time, f.timezone);
  const inside = f.start < f.stop ? t >= f.start && t < f.stop : t >= f.start || t < f.stop;
  return inside ? PASS : fail(`${clock(t)} ${f.timezone} is outside ${clock(f.start)}-${clock(f.stop)}`);
}

/**
 * The dependency's filters against one event. `filtersLogicalOperator: and` needs every configured
 * filter type to pass; `or` needs one. A dependency without filters takes every event of its name.
 */
export function passesFilters(dep: SensorDependency, data: ArgoEventData, ctx: ArgoEventContext, time: Date | undefined): FilterResult {
  const f = dep.filters;
  if (!f) return PASS;
  const kinds: FilterResult[] = [];
  if (f.exprs && f.exprs.length > 0) {
    const results = f.exprs.map((e) => passesExpr(e, data)).filter((r): r is FilterResult => r !== undefined);
    if (results.length > 0) kinds.push(combine(results, f.exprLogicalOperator));
  }
  if (f.data && f.data.length > 0) kinds.push(combine(f.data.map((d) => passesDataFilter(d, data)), f.dataLogicalOperator));
  if (f.context) kinds.push(passesContext(f.context, ctx));
  if (f.time) kinds.push(passesTime(f.time, time));
  return combine(kinds, dep.filtersLogicalOperator);
}
