// The runtime value model: nil (null/undefined), boolean, number (an integral number is Go's int, any
// other is float64), string, array, plain object (map[string]any), Date (time.Time), GoDuration and
// functions. Formatting follows Go's fmt "%v" and encoding/json, which Argo uses to render results.
import { ExprError } from "./errors.js";
import { formatGoTime, GoDuration } from "./go-time.js";

export type Fn = (...args: unknown[]) => unknown;

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof GoDuration);
}

/** Sets a key without invoking the `__proto__` setter of plain objects. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function hasKey(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Go-style type names, for error messages. */
export function typeName(v: unknown): string {
  if (isNil(v)) return "<nil>";
  switch (typeof v) {
    case "boolean": return "bool";
    case "number": return Number.isInteger(v) ? "int" : "float64";
    case "string": return "string";
    case "function": return "func";
  }
  if (Array.isArray(v)) return "[]interface {}";
  if (v instanceof Date) return "time.Time";
  if (v instanceof GoDuration) return "time.Duration";
  return "map[string]interface {}";
}

export function equal(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof GoDuration && b instanceof GoDuration) return a.ns === b.ns;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => hasKey(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

export function mismatch(op: string, a: unknown, b: unknown, offset?: number): ExprError {
  return new ExprError(`invalid operation: ${op} (mismatched types ${typeName(a)} and ${typeName(b)})`, offset);
}

/** Orders two values of the same kind; throws on kinds that cannot be ordered against each other. */
export function order(op: string, a: unknown, b: unknown, offset?: number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (a instanceof GoDuration && b instanceof GoDuration) return a.ns - b.ns;
  throw mismatch(op, a, b, offset);
}

export function sortedKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Go's strconv 'g' with the shortest precision, as fmt's "%v" prints a float64 (1e+06, 1.5e-05). */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa, expText] = n.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(n);
}

/** Integral numbers print as Go ints; so an integral float64 prints "1000000" where Go prints "1e+06". */
export function formatGoNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  return formatGoFloat(n);
}

/** fmt.Sprintf("%v", v): how Argo renders a non-string `{{= }}` result and how sprig stringifies. */
export function formatGoValue(v: unknown): string {
  if (isNil(v)) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatGoNumber(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "function") return "<func>";
  if (v instanceof Date) return formatGoTime(v, "2006-01-02 15:04:05.999999999 -0700 MST");
  if (v instanceof GoDuration) return v.toString();
  if (Array.isArray(v)) return `[${v.map(formatGoValue).join(" ")}]`;
  const m = v as Record<string, unknown>;
  return `map[${sortedKeys(m).map((k) => `${k}:${formatGoValue(m[k])}`).join(" ")}]`;
}

function jsonString(s: string, html: boolean): string {
  const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  const json = JSON.stringify(s).replace(/[\u2028\u2029]/g, escape);
  return html ? json.replace(/[<>&]/g, escape) : json;
}

/**
 * Go's json.Marshal (indent "") or json.MarshalIndent(v, "", indent): map keys sorted, and with
 * `html` (the default) <, > and & escaped as \u003c, \u003e, \u0026.
 */
export function goJson(v: unknown, indent = "", html = true): string {
  const encode = (x: unknown, depth: number): string => {
    if (isNil(x)) return "null";
    switch (typeof x) {
      case "string": return jsonString(x, html);
      case "boolean": return String(x);
      case "number":
        if (!Number.isFinite(x)) throw new Error(`json: unsupported value: ${formatGoFloat(x)}`);
        return JSON.stringify(x);
      case "function": throw new Error("json: unsupported type: func");
    }
    if (x instanceof Date) return jsonString(formatGoTime(x, "2006-01-02T15:04:05.999999999Z07:00"), html);
    if (x instanceof GoDuration) return String(x.ns);
    const open = indent ? `\n${indent.repeat(depth + 1)}` : "";
    const close = indent ? `\n${indent.repeat(depth)}` : "";
    const sep = indent ? `,${open}` : ",";
    if (Array.isArray(x)) {
      if (x.length === 0) return "[]";
      return `[${open}${x.map((e) => encode(e, depth + 1)).join(sep)}${close}]`;
    }
    const m = x as Record<string, unknown>;
    const keys = sortedKeys(m);
    if (keys.length === 0) return "{}";
    const colon = indent ? ": " : ":";
    return `{${open}${keys.map((k) => jsonString(k, html) + colon + encode(m[k], depth + 1)).join(sep)}${close}}`;
  };
  return encode(v, 0);
}

/** Decodes JSON as Go's json.Unmarshal into `any` would (numbers stay JS numbers). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`invalid JSON: ${(e as Error).message}`);
  }
}
