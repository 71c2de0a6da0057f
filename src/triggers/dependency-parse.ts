// Reads one `spec.dependencies[]` entry and its filters, reporting what Tiphys cannot honour.
import { goRegExp } from "../engine/expr/go-regexp.js";
import { parseGovaluate } from "../engine/expr/govaluate.js";
import { tokenize } from "../engine/expr/govaluate/lexer.js";
import { didYouMean } from "../engine/validate/suggest.js";
import type { Checker, Path } from "./check.js";
import { GITHUB_EVENTS } from "./github-events.js";
import { parseGjsonPath, parseGoBool, type GjsonSegment } from "./gjson.js";
import { compileGoTemplate, type GoTemplate } from "./go-template.js";
import type { Comparator, ContextFilter, DataFilter, DependencyFilters, ExprFilter, LogicalOperator, SensorDependency, TimeFilter } from "./sensor-types.js";

const LOGICAL: readonly LogicalOperator[] = ["and", "or"];
const COMPARATORS: readonly Comparator[] = ["=", "!=", ">", ">=", "<", "<="];

/** Go's strconv.ParseFloat for the decimal forms people write; NaN for anything else. */
export function parseGoFloat(s: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s) ? Number(s) : NaN;
}

export function gjsonPath(c: Checker, value: unknown, path: Path): GjsonSegment[] | undefined {
  const text = c.string(value, path, true);
  if (text === undefined) return undefined;
  try {
    return parseGjsonPath(text);
  } catch (e) {
    c.error(path, `path "${text}": ${(e as Error).message}`);
    return undefined;
  }
}

export function goTemplate(c: Checker, value: unknown, path: Path): GoTemplate | undefined {
  const text = c.string(value, path, false);
  if (text === undefined) return undefined;
  try {
    return compileGoTemplate(text);
  } catch (e) {
    c.error(path, (e as Error).message);
    return undefined;
  }
}

function parseData(c: Checker, raw: unknown, path: Path): DataFilter | undefined {
  const f = c.object(raw, path, true);
  if (!f) return undefined;
  c.keys(f, path, ["path", "type", "value", "comparator", "template"]);
  const segments = gjsonPath(c, f.path, [...path, "path"]);
  const type = c.oneOf(f.type, [...path, "type"], ["bool", "number", "string"] as const, "string");
  if (f.type === undefined) c.error([...path, "type"], "missing (one of bool, number, string)");
  const comparator = c.oneOf(f.comparator, [...path, "comparator"], COMPARATORS, "=");
  const values = (c.list(f.value, [...path, "value"], true) ?? []).map((v) => (typeof v === "string" ? v : String(v)));
  if (Array.isArray(f.value) && values.length === 0) c.error([...path, "value"], "needs at least one value (Argo fails a filter without values)");
  const regexes: RegExp[] = [];
  values.forEach((v, i) => {
    const at = [...path, "value", i];
    if (type === "bool" && parseGoBool(v) === undefined) c.error(at, `"${v}" is not a bool (true, false, 1, 0, t, f ...)`);
    if (type === "number" && Number.isNaN(parseGoFloat(v))) c.error(at, `"${v}" is not a number`);
    if (type === "string" && /\(\?<?[=!]|\\[1-9]/.test(v)) {
      c.error(at, `"${v}": lookarounds and backreferences are not valid in Go's regexp (RE2)`);
    } else if (type === "string") {
      try {
        regexes.push(goRegExp(v));
      } catch (e) {
        c.error(at, `"${v}" is not a valid regular expression: ${(e as Error).message}`);
      }
    }
  });
  if (type === "string" && comparator !== "=" && comparator !== "!=") {
    c.error([...path, "comparator"], `"${comparator}" does not apply to strings: use = or != (Argo never passes such a filter)`);
  }
  const template = goTemplate(c, f.template, [...path, "template"]);
  if (!segments) return undefined;
  return { path: f.path as string, segments, type, values, comparator, template, regexes };
}

function parseExpr(c: Checker, raw: unknown, path: Path): ExprFilter | undefined {
  const f = c.object(raw, path, true);
  if (!f) return undefined;
  c.keys(f, path, ["expr", "fields"]);
  const expr = c.string(f.expr, [...path, "expr"], true);
  const fields: ExprFilter["fields"] = [];
  (c.list(f.fields, [...path, "fields"], false) ?? []).forEach((rawField, i) => {
    const at = [...path, "fields", i];
    const field = c.object(rawField, at, true);
    if (!field) return;
    c.keys(field, at, ["name", "path"]);
    const name = c.string(field.name, [...at, "name"], true);
    const segments = gjsonPath(c, field.path, [...at, "path"]);
    if (name && segments) fields.push({ name, path: field.path as string, segments });
  });
  if (expr === undefined) return undefined;
  try {
    parseGovaluate(expr);
    const bound = fields.map((f) => f.name);
    for (const t of tokenize(expr)) {
      if (t.kind === "VARIABLE" && !bound.includes(String(t.value))) {
        c.error([...path, "expr"], `"${t.text}" is not bound by fields (bound: ${bound.join(", ") || "none"})`);
      }
    }
  } catch (e) {
    c.error([...path, "expr"], `cannot parse "${expr}": ${(e as Error).message}`);
  }
  if (fields.length === 0) c.warn([...path, "fields"], "an expr without fields is skipped, as Argo skips it");
  return { expr, fields };
}

function parseTime(c: Checker, raw: unknown, path: Path): TimeFilter | undefined {
  const f = c.object(raw, path, true);
  if (!f) return undefined;
  c.keys(f, path, ["start", "stop", "timezone"]);
  const clock = (key: "start" | "stop"): number | undefined => {
    const text = c.string(f[key], [...path, key], true);
    const m = text === undefined ? null : /^([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])$/.exec(text);
    if (text !== undefined && (!m || Number(m[1]) > 23)) c.error([...path, key], `"${text}" is not a time of day hh:mm:ss`);
    return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
  };
  const start = clock("start");
  const stop = clock("stop");
  const timezone = c.string(f.timezone, [...path, "timezone"], false) ?? "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    c.error([...path, "timezone"], `"${timezone}" is not an IANA time zone (e.g. Europe/Paris)`);
    return undefined;
  }
  return start === undefined || stop === undefined ? undefined : { start, stop, timezone };
}

function parseContext(c: Checker, raw: unknown, path: Path): ContextFilter | undefined {
  const f = c.object(raw, path, true);
  if (!f) return undefined;
  const ignored = "ignored: Argo's context filter compares only type, subject, source and datacontenttype";
  c.keys(f, path, ["type", "subject", "source", "datacontenttype"], { id: ignored, specversion: ignored, time: ignored });
  const out: ContextFilter = {};
  for (const key of ["type", "subject", "source", "datacontenttype"] as const) {
    const v = c.string(f[key], [...path, key], false);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function parseFilters(c: Checker, raw: unknown, path: Path): DependencyFilters | undefined {
  const f = c.object(raw, path, false);
  if (!f) return undefined;
  c.keys(f, path, ["data", "dataLogicalOperator", "exprs", "exprLogicalOperator", "context", "time"], {
    script: "(Lua) is not supported by Tiphys: use data or exprs filters",
  });
  const data = c.list(f.data, [...path, "data"], false)?.map((d, i) => parseData(c, d, [...path, "data", i]));
  const exprs = c.list(f.exprs, [...path, "exprs"], false)?.map((e, i) => parseExpr(c, e, [...path, "exprs", i]));
  return {
    data: data?.filter((d): d is DataFilter => d !== undefined),
    dataLogicalOperator: c.oneOf(f.dataLogicalOperator, [...path, "dataLogicalOperator"], LOGICAL, "and"),
    exprs: exprs?.filter((e): e is ExprFilter => e !== undefined),
    exprLogicalOperator: c.oneOf(f.exprLogicalOperator, [...path, "exprLogicalOperator"], LOGICAL, "and"),
    context: f.context === undefined ? undefined : parseContext(c, f.context, [...path, "context"]),
    time: f.time === undefined ? undefined : parseTime(c, f.time, [...path, "time"]),
  };
}

/**
 * Reads a dependency. Tiphys has no EventSources: any `eventSourceName` is accepted (it becomes the
 * event's context `source`), and `eventName` must be a GitHub event name, or "*" for every event.
 */
export function parseDependency(c: Checker, raw: unknown, path: Path): SensorDependency | undefined {
  const d = c.object(raw, path, true);
  if (!d) return undefined;
  c.keys(d, path, ["name", "eventSourceName", "eventName", "filters", "filtersLogicalOperator"], {
    transform: "(jq or Lua) is not supported by Tiphys: filter on the event as GitHub sends it",
    jetStream: "ignored: Tiphys has no event bus",
  });
  const name = c.string(d.name, [...path, "name"], true);
  const eventSourceName = c.string(d.eventSourceName, [...path, "eventSourceName"], true);
  const eventName = c.string(d.eventName, [...path, "eventName"], true);
  if (eventName !== undefined && eventName !== "*" && !GITHUB_EVENTS.has(eventName)) {
    c.error(
      [...path, "eventName"],
      `"${eventName}" is not a GitHub event${didYouMean(eventName, GITHUB_EVENTS)}: in Tiphys, eventName names the GitHub event (push, pull_request, ...) or "*" for any`,
    );
  }
  const filters = parseFilters(c, d.filters, [...path, "filters"]);
  const filtersLogicalOperator = c.oneOf(d.filtersLogicalOperator, [...path, "filtersLogicalOperator"], LOGICAL, "and");
  if (!name || !eventSourceName || !eventName) return undefined;
  return { name, eventSourceName, eventName, filters, filtersLogicalOperator };
}
