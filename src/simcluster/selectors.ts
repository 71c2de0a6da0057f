// Label selectors (`app=web,tier!=db,env in (a,b),!legacy`), LabelSelector objects (matchLabels,
// matchExpressions) and field selectors (`metadata.name=x,status.phase!=Running`).
import { isObject } from "./objects.js";
import { errors } from "./status.js";

export type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type Labels = Record<string, string> | undefined;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_./]*[a-z0-9A-Z])?)$/;

function checkKey(key: string, raw: string): string {
  if (!KEY.test(key)) throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

/** Parses a label selector string; throws 400 BadRequest on a malformed one. */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector || !selector.trim()) return [];
  return splitTop(selector).map((raw): LabelRequirement => {
    let m = /^!\s*(\S+)$/.exec(raw);
    if (m) return { key: checkKey(m[1], raw), op: "!", values: [] };
    m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw);
    if (m) {
      const values = m[3].split(",").map((v) => v.trim()).filter((v) => v !== "");
      return { key: checkKey(m[1], raw), op: m[2] as "in" | "notin", values };
    }
    m = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*([^=!<>\s]*)$/.exec(raw);
    if (m) {
      const op: LabelOp = m[2] === "!=" ? "!=" : m[2] === "<" ? "lt" : m[2] === ">" ? "gt" : "=";
      return { key: checkKey(m[1], raw), op, values: [m[3]] };
    }
    if (/^\S+$/.test(raw)) return { key: checkKey(raw, raw), op: "exists", values: [] };
    throw errors.badRequest(`unable to parse requirement: found '${raw}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesRequirements(reqs: LabelRequirement[], labels: Labels): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case "=":
        return has && v === r.values[0];
      case "!=":
        return !has || v !== r.values[0];
      case "in":
        return has && r.values.includes(v);
      case "notin":
        return !has || !r.values.includes(v);
      case "exists":
        return has;
      case "!":
        return !has;
      case "gt":
        return has && Number(v) > Number(r.values[0]);
      case "lt":
        return has && Number(v) < Number(r.values[0]);
    }
  });
}

export function matchesLabelSelectorString(selector: string | undefined, labels: Labels): boolean {
  return matchesRequirements(parseLabelSelector(selector), labels);
}

/** A metav1.LabelSelector object, as in Deployment.spec.selector. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

function requirementsOf(sel: LabelSelectorObject): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: "=", values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    const op: LabelOp = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" }[e.operator] as LabelOp;
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/** A LabelSelector object; an empty selector matches everything, a missing one nothing (as the API defines). */
export function matchesLabelSelector(sel: LabelSelectorObject | undefined | null, labels: Labels): boolean {
  if (!sel || !isObject(sel)) return false;
  return matchesRequirements(requirementsOf(sel), labels);
}

/** The string form (`app=web,tier in (a,b)`), as in Scale.status.selector. */
export function labelSelectorToString(sel: LabelSelectorObject | undefined): string {
  if (!sel) return "";
  return requirementsOf(sel)
    .map((r) => {
      switch (r.op) {
        case "=":
          return `${r.key}=${r.values[0]}`;
        case "in":
        case "notin":
          return `${r.key} ${r.op} (${[...r.values].sort().join(",")})`;
        case "exists":
          return r.key;
        case "!":
          return `!${r.key}`;
        default:
          return `${r.key}${r.op}${r.values[0]}`;
      }
    })
    .join(",");
}

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

/** Parses a field selector; `allowed` lists the fields the resource supports (400 for any other). */
export function parseFieldSelector(selector: string | undefined, allowed: string[]): FieldRequirement[] {
  if (!selector || !selector.trim()) return [];
  return splitTop(selector).map((raw) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(raw);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${raw}'`);
    const field = m[1];
    if (!["metadata.name", "metadata.namespace", ...allowed].includes(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    return { field, op: m[2] === "!=" ? "!=" : "=", value: m[3].trim() };
  });
}

function fieldValue(obj: unknown, field: string): string {
  let cur: unknown = obj;
  for (const key of field.split(".")) cur = isObject(cur) ? cur[key] : undefined;
  if (cur === undefined || cur === null) return "";
  return typeof cur === "string" ? cur : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === "="));
}
