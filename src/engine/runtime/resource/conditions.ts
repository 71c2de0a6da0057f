/**
 * `successCondition` / `failureCondition` of a resource template: Kubernetes label-selector syntax
 * (labels.Parse) whose keys are paths into the object's JSON (gjson), as Argo's executor evaluates
 * them (workflow/executor/resource.go matchConditions). Every success requirement must hold (comma =
 * AND); any one failure requirement that holds fails the node.
 */

export type Operator = "exists" | "notExists" | "=" | "!=" | "in" | "notin" | ">" | "<";

export interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export class ConditionSyntaxError extends Error {
  override name = "ConditionSyntaxError";
}

/** Splits at commas outside parentheses: `a in (x,y),b=1` is two requirements. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

const KEY = String.raw`[A-Za-z0-9_.\-/#\\\[\]]+`;
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^)]*)\)$`);
const CMP = new RegExp(String.raw`^(${KEY})\s*(==|!=|=|>|<)\s*(\S*)$`);
const EXISTS = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/** Parses a condition; throws ConditionSyntaxError naming the part it cannot read. */
export function parseCondition(text: string): Requirement[] {
  if (text.trim() === "") return [];
  return splitTopLevel(text).map((part) => {
    let m = SET.exec(part);
    if (m) return { key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()) };
    m = CMP.exec(part);
    if (m) {
      const op = m[2] === "==" ? "=" : (m[2] as Operator);
      if ((op === ">" || op === "<") && !/^[+-]?\d+$/.test(m[3]!)) {
        throw new ConditionSyntaxError(`'${part}': for '${op}', the value must be an integer`);
      }
      return { key: m[1]!, op, values: [m[3]!] };
    }
    m = EXISTS.exec(part);
    if (m) return { key: m[2]!, op: m[1] ? "notExists" : "exists", values: [] };
    throw new ConditionSyntaxError(`cannot parse '${part}'`);
  });
}

/** A requirement as Kubernetes prints it (`status.failed>0`, `status.phase in (Failed,Error)`). */
export function renderRequirement(r: Requirement): string {
  switch (r.op) {
    case "exists":
      return r.key;
    case "notExists":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.op} (${r.values.join(",")})`;
    default:
      return `${r.key}${r.op}${r.values[0]}`;
  }
}

/** gjson's path segments: dots separate, `\.` escapes a dot. */
function segmentsOf(path: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === "\\" && i + 1 < path.length) cur += path[++i];
    else if (ch === ".") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The value at a gjson-style path (`status.replicaStatuses.Worker.succeeded`, `items.0.name`, `items.#`). */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of segmentsOf(path)) {
    if (Array.isArray(cur)) {
      if (seg === "#") cur = cur.length;
      else if (/^\d+$/.test(seg)) cur = cur[Number(seg)];
      else return undefined;
    } else if (cur !== null && typeof cur === "object") {
      cur = (cur as Record<string, unknown>)[seg];
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** gjson's Result.String(): strings raw, other values as their JSON text, null as "". */
function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null) return "";
  return JSON.stringify(v);
}

/** labels.Requirement.Matches over the object's fields. */
export function requirementHolds(r: Requirement, obj: unknown): boolean {
  const v = valueAt(obj, r.key);
  const has = v !== undefined;
  switch (r.op) {
    case "exists":
      return has;
    case "notExists":
      return !has;
    case "=":
    case "in":
      return has && r.values.includes(asText(v));
    case "!=":
    case "notin":
      return !has || !r.values.includes(asText(v));
    case ">":
    case "<": {
      const text = asText(v);
      if (!has || !/^[+-]?\d+$/.test(text)) return false;
      return r.op === ">" ? Number(text) > Number(r.values[0]) : Number(text) < Number(r.values[0]);
    }
  }
}

export type ConditionOutcome = { kind: "succeeded" } | { kind: "failed"; message: string } | { kind: "waiting" };

/** Argo's matchConditions: failure first (any), then success (all). */
export function judge(obj: unknown, success: Requirement[], failure: Requirement[]): ConditionOutcome {
  for (const r of failure) {
    if (requirementHolds(r, obj)) return { kind: "failed", message: `failure condition '${renderRequirement(r)}' evaluated true` };
  }
  return success.every((r) => requirementHolds(r, obj)) ? { kind: "succeeded" } : { kind: "waiting" };
}
