// The subset of tidwall/gjson path syntax that Sensors use to read event data: dotted keys, array
// indexes (`a.0.b`), `#` (length, or "for each" when more path follows), escapes (`a\.b`), `*` and `?`
// wildcards in keys, and queries `#(key=="v")` (first match) / `#(key>5)#` (all matches). Modifiers
// (`@reverse`), pipes (`a|b`) and multipaths (`{a,b}`, `[a,b]`, `a,b`) are refused at parse time.
// A result of `undefined` means "does not exist" (gjson's !Exists()); a JSON null is `null` and exists.

type Op = "==" | "!=" | "<" | "<=" | ">" | ">=" | "%" | "!%";

export type GjsonSegment =
  | { t: "key"; key: string; pattern?: RegExp }
  | { t: "count" }
  | { t: "query"; all: boolean; path: GjsonSegment[]; op?: Op; value?: string | number | boolean | null };

export class GjsonPathError extends Error {
  override name = "GjsonPathError";
}

const OPS: Op[] = ["==", "!=", "<=", ">=", "!%", "<", ">", "%"];

/** Splits at unescaped dots outside parentheses and quotes, keeping escapes for the segment parser. */
function splitTop(path: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let depth = 0;
  let quote = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "\\") {
      cur += c + (path[i + 1] ?? "");
      i++;
      continue;
    }
    if (quote) {
      if (c === '"') quote = false;
    } else if (c === '"' && depth > 0) quote = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && c === ".") {
      parts.push(cur);
      cur = "";
      continue;
    } else if (depth === 0 && (c === "|" || c === ",")) {
      throw new GjsonPathError(`'${c}' (${c === "|" ? "pipes" : "multipaths"}) in a path is not supported by Tiphys`);
    }
    cur += c;
  }
  if (depth !== 0 || quote) throw new GjsonPathError("unbalanced parenthesis or quote in query");
  parts.push(cur);
  return parts;
}

type KeySegment = Extract<GjsonSegment, { t: "key" }>;

function keySegment(raw: string): KeySegment {
  let key = "";
  let re = "";
  let wild = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\" && i + 1 < raw.length) {
      key += raw[i + 1];
      re += raw[i + 1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i++;
    } else if (c === "*" || c === "?") {
      wild = true;
      key += c;
      re += c === "*" ? "[\\s\\S]*" : "[\\s\\S]";
    } else {
      key += c;
      re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return wild ? { t: "key", key, pattern: new RegExp(`^${re}$`) } : { t: "key", key };
}

function parseLiteral(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === "true" || t === "false") return t === "true";
  if (t === "null") return null;
  if (t.startsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      throw new GjsonPathError(`bad string ${t} in query`);
    }
  }
  const n = Number(t);
  if (t === "" || Number.isNaN(n)) throw new GjsonPathError(`bad value '${t}' in query (quote strings: "value")`);
  return n;
}

function querySegment(raw: string): GjsonSegment {
  const all = raw.endsWith(")#");
  const body = raw.slice(2, all ? -2 : -1);
  // The operator is the first one outside quotes and nested parentheses.
  let depth = 0;
  let quote = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (quote) {
      if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0) {
      const op = OPS.find((o) => body.startsWith(o, i));
      if (op) {
        const left = body.slice(0, i).trim();
        return { t: "query", all, path: left === "" ? [] : parseGjsonPath(left), op, value: parseLiteral(body.slice(i + op.length)) };
      }
    }
  }
  const left = body.trim();
  return { t: "query", all, path: left === "" ? [] : parseGjsonPath(left) };
}

/** Parses a path; throws GjsonPathError for syntax Tiphys does not support or cannot read. */
export function parseGjsonPath(path: string): GjsonSegment[] {
  if (path === "") throw new GjsonPathError("empty path");
  if (/^[@{[]/.test(path) || path.startsWith("..")) {
    throw new GjsonPathError(`'${path[0]}' at the start of a path (modifiers, multipaths, JSON lines) is not supported by Tiphys`);
  }
  return splitTop(path).map((raw): GjsonSegment => {
    if (raw === "#") return { t: "count" };
    if (raw.startsWith("#(")) {
      if (!raw.endsWith(")") && !raw.endsWith(")#")) throw new GjsonPathError(`bad query '${raw}'`);
      return querySegment(raw);
    }
    if (raw === "") throw new GjsonPathError(`empty key in path '${path}'`);
    return keySegment(raw);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** gjson's `%` (like): `*` and `?` wildcards over the whole string. */
function matchLike(s: string, pattern: string): boolean {
  const seg = keySegment(pattern);
  return seg.pattern ? seg.pattern.test(s) : s === seg.key;
}

function queryMatches(elem: unknown, q: Extract<GjsonSegment, { t: "query" }>): boolean {
  const target = q.path.length === 0 ? elem : walk(elem, q.path, 0);
  if (q.op === undefined) return target !== undefined;
  const want = q.value;
  // As gjson: a comparison only holds between values of the same JSON type.
  if (typeof want === "string" && typeof target === "string") {
    switch (q.op) {
      case "==": return target === want;
      case "!=": return target !== want;
      case "<": return target < want;
      case "<=": return target <= want;
      case ">": return target > want;
      case ">=": return target >= want;
      case "%": return matchLike(target, want);
      case "!%": return !matchLike(target, want);
    }
  }
  if (typeof want === "number" && typeof target === "number") {
    switch (q.op) {
      case "==": return target === want;
      case "!=": return target !== want;
      case "<": return target < want;
      case "<=": return target <= want;
      case ">": return target > want;
      case ">=": return target >= want;
      default: return false;
    }
  }
  if (typeof want === "boolean" && typeof target === "boolean") {
    return q.op === "==" ? target === want : q.op === "!=" ? target !== want : false;
  }
  if (want === null && target === null) return q.op === "==";
  return false;
}

/** Applies the rest of the path to each element, keeping the results that exist (gjson's `a.#.b`). */
function mapRest(items: unknown[], segs: GjsonSegment[], i: number): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    const r = walk(item, segs, i);
    if (r !== undefined) out.push(r);
  }
  return out;
}

function walk(value: unknown, segs: GjsonSegment[], i: number): unknown {
  if (i === segs.length) return value;
  const seg = segs[i];
  switch (seg.t) {
    case "key": {
      if (Array.isArray(value)) {
        if (seg.pattern || !/^[0-9]+$/.test(seg.key)) return undefined;
        const n = Number(seg.key);
        return n < value.length ? walk(value[n], segs, i + 1) : undefined;
      }
      if (!isObject(value)) return undefined;
      if (!seg.pattern) return Object.hasOwn(value, seg.key) ? walk(value[seg.key], segs, i + 1) : undefined;
      const pattern = seg.pattern;
      const key = Object.keys(value).find((k) => pattern.test(k));
      return key === undefined ? undefined : walk(value[key], segs, i + 1);
    }
    case "count":
      if (!Array.isArray(value)) return undefined;
      return i === segs.length - 1 ? value.length : mapRest(value, segs, i + 1);
    case "query": {
      if (!Array.isArray(value)) return undefined;
      if (!seg.all) {
        const first = value.find((e) => queryMatches(e, seg));
        return first === undefined ? undefined : walk(first, segs, i + 1);
      }
      return mapRest(value.filter((e) => queryMatches(e, seg)), segs, i + 1);
    }
  }
}

/** The value at a gjson path, or undefined when it does not exist. Throws GjsonPathError for a bad path string. */
export function gjsonGet(data: unknown, path: string | GjsonSegment[]): unknown {
  return walk(data, typeof path === "string" ? parseGjsonPath(path) : path, 0);
}

/** gjson's Result.String(): strings as they are, JSON for objects and arrays, "" for null. */
export function gjsonString(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** Go's strconv.ParseBool; undefined when the text is not a bool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** gjson's Result.Bool(): true, a string ParseBool accepts as true, or a non-zero number. */
export function gjsonBool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return parseGoBool(v) ?? false;
  if (typeof v === "number") return v !== 0;
  return false;
}
