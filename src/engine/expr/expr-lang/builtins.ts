// expr-lang's builtin functions (builtin/builtin.go), over the value model of values.ts.
import { ExprError } from "./errors.js";
import { parseGoDuration, parseGoTime } from "./go-time.js";
import { equal, formatGoValue, goJson, isMap, order, parseJson, setKey, typeName } from "./values.js";

type Builtin = (args: unknown[]) => unknown;
export type Predicate = (item: unknown, index: number, acc?: unknown) => unknown;
type PredicateBuiltin = (items: unknown[], pred: Predicate | undefined, extra: unknown[]) => unknown;

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} or ${max}`;
    throw new ExprError(`invalid number of arguments for ${name} (expected ${expected}, got ${args.length})`);
  }
}

function invalid(name: string, v: unknown): ExprError {
  return new ExprError(`invalid argument for ${name} (type ${typeName(v)})`);
}

export function str(name: string, v: unknown): string {
  if (typeof v !== "string") throw invalid(name, v);
  return v;
}

export function num(name: string, v: unknown): number {
  if (typeof v !== "number") throw invalid(name, v);
  return v;
}

export function intArg(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw invalid(name, v);
  return v;
}

export function arr(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw invalid(name, v);
  return v;
}

function map(name: string, v: unknown): Record<string, unknown> {
  if (!isMap(v)) throw invalid(name, v);
  return v;
}

/** expr-lang's int(): truncates floats, parses strings with strconv.Atoi. Also Argo's asInt. */
export function toInt(v: unknown): number {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string") {
    if (!/^[+-]?[0-9]+$/.test(v)) throw new ExprError(`invalid operation: int(${v})`);
    return Number(v);
  }
  throw new ExprError(`invalid operation: int(${typeName(v)})`);
}

/** expr-lang's float(): strconv.ParseFloat for strings. Also Argo's asFloat. */
export function toFloat(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
    if (s === "nan") return NaN;
    if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/.test(s)) throw new ExprError(`invalid operation: float(${v})`);
    return Number(s);
  }
  throw new ExprError(`invalid operation: float(${typeName(v)})`);
}

function numbersOf(name: string, args: unknown[]): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(num(name, v));
  };
  args.forEach(walk);
  return out;
}

function goSplit(s: string, sep: string, n: number, after: boolean): string[] {
  if (n === 0) return [];
  const chars = [...s];
  let parts: string[];
  if (sep === "") {
    parts = chars;
  } else {
    parts = s.split(sep);
    if (after) parts = parts.map((p, i) => (i < parts.length - 1 ? p + sep : p));
  }
  if (n > 0 && parts.length > n) {
    const head = parts.slice(0, n - 1);
    const glue = after || sep === "" ? "" : sep;
    parts = [...head, parts.slice(n - 1).join(glue)];
  }
  return parts;
}

/** Go's strings.Replace, including its treatment of an empty `old` (insert around every rune). */
export function goReplace(s: string, old: string, rep: string, n: number): string {
  if (old === rep || n === 0) return s;
  if (old !== "") {
    const parts = s.split(old);
    if (n < 0 || n >= parts.length - 1) return parts.join(rep);
    return parts.slice(0, n + 1).join(rep) + old + parts.slice(n + 1).join(old);
  }
  const chars = [...s];
  const limit = n < 0 ? chars.length + 1 : Math.min(n, chars.length + 1);
  let out = "";
  for (let i = 0; i < limit; i++) out += rep + (i < chars.length ? chars[i] : "");
  return out + chars.slice(limit).join("");
}

function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(cutset);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (left && a < b && set.has(chars[a])) a++;
  while (right && b > a && set.has(chars[b - 1])) b--;
  return chars.slice(a, b).join("");
}

export function base64Decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, "");
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0 || clean.length % 4 !== 0 || /=[^=]/.test(clean) || /={3,}$/.test(clean)) {
    throw new Error(`illegal base64 data at input byte ${bad >= 0 ? bad : clean.length}`);
  }
  return Buffer.from(clean, "base64").toString("utf8");
}

const DATE_LAYOUTS = [
  "2006-01-02", "15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00",
  "2006-01-02T15:04:05.999999999Z07:00", "02 Jan 06 15:04 MST", "Monday, 02-Jan-06 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 MST",
];

function flatten(v: unknown[]): unknown[] {
  return v.flatMap((x) => (Array.isArray(x) ? flatten(x) : [x]));
}

function bit(name: string, f: (x: bigint, y: bigint) => bigint): Builtin {
  return (a) => {
    arity(name, a, 2);
    return Number(BigInt.asIntN(64, f(BigInt(intArg(name, a[0])), BigInt(intArg(name, a[1])))));
  };
}

export const BUILTINS: Record<string, Builtin> = {
  len: (a) => {
    arity("len", a, 1);
    const v = a[0];
    if (typeof v === "string") return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    throw invalid("len", v);
  },
  type: (a) => {
    arity("type", a, 1);
    const t = typeName(a[0]);
    return { "<nil>": "nil", float64: "float", "[]interface {}": "array", "map[string]interface {}": "map" }[t] ?? t;
  },
  abs: (a) => (arity("abs", a, 1), Math.abs(num("abs", a[0]))),
  ceil: (a) => (arity("ceil", a, 1), Math.ceil(num("ceil", a[0]))),
  floor: (a) => (arity("floor", a, 1), Math.floor(num("floor", a[0]))),
  round: (a) => {
    arity("round", a, 1);
    const x = num("round", a[0]);
    return Math.sign(x) * Math.round(Math.abs(x));
  },
  int: (a) => (arity("int", a, 1), toInt(a[0])),
  float: (a) => (arity("float", a, 1), toFloat(a[0])),
  string: (a) => (arity("string", a, 1), formatGoValue(a[0])),
  trim: (a) => {
    arity("trim", a, 1, 2);
    const s = str("trim", a[0]);
    return a.length === 1 ? s.replace(/^\s+|\s+$/g, "") : trimSet(s, str("trim", a[1]), true, true);
  },
  trimPrefix: (a) => {
    arity("trimPrefix", a, 1, 2);
    const s = str("trimPrefix", a[0]);
    const p = a.length === 2 ? str("trimPrefix", a[1]) : " ";
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimSuffix: (a) => {
    arity("trimSuffix", a, 1, 2);
    const s = str("trimSuffix", a[0]);
    const p = a.length === 2 ? str("trimSuffix", a[1]) : " ";
    return p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  upper: (a) => (arity("upper", a, 1), str("upper", a[0]).toUpperCase()),
  lower: (a) => (arity("lower", a, 1), str("lower", a[0]).toLowerCase()),
  split: (a) => (arity("split", a, 2, 3), goSplit(str("split", a[0]), str("split", a[1]), a.length === 3 ? intArg("split", a[2]) : -1, false)),
  splitAfter: (a) => (arity("splitAfter", a, 2, 3), goSplit(str("splitAfter", a[0]), str("splitAfter", a[1]), a.length === 3 ? intArg("splitAfter", a[2]) : -1, true)),
  replace: (a) => {
    arity("replace", a, 3, 4);
    return goReplace(str("replace", a[0]), str("replace", a[1]), str("replace", a[2]), a.length === 4 ? intArg("replace", a[3]) : -1);
  },
  repeat: (a) => {
    arity("repeat", a, 2);
    const n = intArg("repeat", a[1]);
    if (n < 0) throw new ExprError(`invalid argument for repeat (expected positive integer, got ${n})`);
    if (n > 1e6) throw new ExprError("memory budget exceeded");
    return str("repeat", a[0]).repeat(n);
  },
  indexOf: (a) => (arity("indexOf", a, 2), str("indexOf", a[0]).indexOf(str("indexOf", a[1]))),
  lastIndexOf: (a) => (arity("lastIndexOf", a, 2), str("lastIndexOf", a[0]).lastIndexOf(str("lastIndexOf", a[1]))),
  hasPrefix: (a) => (arity("hasPrefix", a, 2), str("hasPrefix", a[0]).startsWith(str("hasPrefix", a[1]))),
  hasSuffix: (a) => (arity("hasSuffix", a, 2), str("hasSuffix", a[0]).endsWith(str("hasSuffix", a[1]))),
  max: (a) => {
    const ns = numbersOf("max", a);
    if (ns.length === 0) throw new ExprError("not enough arguments to call max");
    return Math.max(...ns);
  },
  min: (a) => {
    const ns = numbersOf("min", a);
    if (ns.length === 0) throw new ExprError("not enough arguments to call min");
    return Math.min(...ns);
  },
  mean: (a) => {
    const ns = numbersOf("mean", a);
    return ns.length === 0 ? 0 : ns.reduce((x, y) => x + y, 0) / ns.length;
  },
  median: (a) => {
    const ns = numbersOf("median", a).sort((x, y) => x - y);
    const n = ns.length;
    if (n === 0) return 0;
    return n % 2 === 1 ? ns[(n - 1) / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
  },
  keys: (a) => (arity("keys", a, 1), Object.keys(map("keys", a[0]))),
  values: (a) => (arity("values", a, 1), Object.values(map("values", a[0]))),
  toPairs: (a) => (arity("toPairs", a, 1), Object.entries(map("toPairs", a[0])).map(([k, v]) => [k, v])),
  fromPairs: (a) => {
    arity("fromPairs", a, 1);
    const out: Record<string, unknown> = {};
    for (const pair of arr("fromPairs", a[0])) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ExprError(`invalid pair ${formatGoValue(pair)}`);
      setKey(out, formatGoValue(pair[0]), pair[1]);
    }
    return out;
  },
  first: (a) => (arity("first", a, 1), Array.isArray(a[0]) ? (a[0][0] ?? null) : null),
  last: (a) => (arity("last", a, 1), Array.isArray(a[0]) ? (a[0][a[0].length - 1] ?? null) : null),
  get: (a) => {
    arity("get", a, 2);
    const [v, k] = a;
    if (Array.isArray(v) && typeof k === "number" && Number.isInteger(k)) return v[k < 0 ? v.length + k : k] ?? null;
    if (isMap(v) && typeof k === "string" && Object.prototype.hasOwnProperty.call(v, k)) return v[k] ?? null;
    return null;
  },
  take: (a) => {
    arity("take", a, 2);
    const n = intArg("take", a[1]);
    return arr("take", a[0]).slice(0, Math.max(0, n));
  },
  toJSON: (a) => (arity("toJSON", a, 1), goJson(a[0], "  ")),
  fromJSON: (a) => (arity("fromJSON", a, 1), parseJson(str("fromJSON", a[0]))),
  toBase64: (a) => (arity("toBase64", a, 1), Buffer.from(str("toBase64", a[0]), "utf8").toString("base64")),
  fromBase64: (a) => (arity("fromBase64", a, 1), base64Decode(str("fromBase64", a[0]))),
  now: (a) => (arity("now", a, 0), new Date()),
  duration: (a) => (arity("duration", a, 1), parseGoDuration(str("duration", a[0]))),
  date: (a) => {
    arity("date", a, 1, 3);
    const s = str("date", a[0]);
    if (a.length === 3 && !["UTC", "Etc/UTC"].includes(str("date", a[2]))) throw new ExprError(`unsupported time zone ${String(a[2])} (only UTC)`);
    if (a.length >= 2) return parseGoTime(s, str("date", a[1]));
    for (const layout of DATE_LAYOUTS) {
      try {
        return parseGoTime(s, layout);
      } catch {
        // try the next layout
      }
    }
    throw new ExprError(`invalid date ${s}`);
  },
  join: (a) => {
    arity("join", a, 1, 2);
    const glue = a.length === 2 ? str("join", a[1]) : "";
    return arr("join", a[0]).map((x) => str("join", x)).join(glue);
  },
  reverse: (a) => (arity("reverse", a, 1), [...arr("reverse", a[0])].reverse()),
  uniq: (a) => {
    arity("uniq", a, 1);
    const out: unknown[] = [];
    for (const x of arr("uniq", a[0])) if (!out.some((y) => equal(x, y))) out.push(x);
    return out;
  },
  concat: (a) => {
    arity("concat", a, 1, Infinity);
    return a.flatMap((x) => arr("concat", x));
  },
  flatten: (a) => (arity("flatten", a, 1), flatten(arr("flatten", a[0]))),
  sort: (a) => {
    arity("sort", a, 1, 2);
    const desc = a.length === 2 ? str("sort", a[1]) : "asc";
    if (desc !== "asc" && desc !== "desc") throw new ExprError(`invalid order ${desc}, expected asc or desc`);
    const sign = desc === "desc" ? -1 : 1;
    return [...arr("sort", a[0])].sort((x, y) => sign * order("<", x, y));
  },
  bitand: bit("bitand", (x, y) => x & y),
  bitor: bit("bitor", (x, y) => x | y),
  bitxor: bit("bitxor", (x, y) => x ^ y),
  bitnand: bit("bitnand", (x, y) => x & ~y),
  bitshl: bit("bitshl", (x, y) => x << y),
  bitshr: bit("bitshr", (x, y) => x >> y),
  bitnot: (a) => (arity("bitnot", a, 1), ~intArg("bitnot", a[0])),
};

function truth(name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ExprError(`predicate of ${name} must return a bool (got ${typeName(v)})`);
  return v;
}

function required(name: string, pred: Predicate | undefined): Predicate {
  if (pred === undefined) throw new ExprError(`invalid number of arguments for ${name} (expected 2, got 1)`);
  return pred;
}

export const PREDICATES: Record<string, PredicateBuiltin> = {
  all: (xs, p) => xs.every((x, i) => truth("all", required("all", p)(x, i))),
  any: (xs, p) => xs.some((x, i) => truth("any", required("any", p)(x, i))),
  none: (xs, p) => !xs.some((x, i) => truth("none", required("none", p)(x, i))),
  one: (xs, p) => xs.filter((x, i) => truth("one", required("one", p)(x, i))).length === 1,
  filter: (xs, p) => xs.filter((x, i) => truth("filter", required("filter", p)(x, i))),
  map: (xs, p) => xs.map((x, i) => required("map", p)(x, i)),
  find: (xs, p) => xs.find((x, i) => truth("find", required("find", p)(x, i))) ?? null,
  findIndex: (xs, p) => xs.findIndex((x, i) => truth("findIndex", required("findIndex", p)(x, i))),
  findLast: (xs, p) => xs.findLast((x, i) => truth("findLast", required("findLast", p)(x, i))) ?? null,
  findLastIndex: (xs, p) => xs.findLastIndex((x, i) => truth("findLastIndex", required("findLastIndex", p)(x, i))),
  count: (xs, p) => xs.filter((x, i) => truth("count", p ? p(x, i) : x)).length,
  sum: (xs, p) => xs.reduce<number>((acc, x, i) => acc + num("sum", p ? p(x, i) : x), 0),
  groupBy: (xs, p) => {
    const out: Record<string, unknown> = {};
    xs.forEach((x, i) => {
      const key = formatGoValue(required("groupBy", p)(x, i));
      const group = (out[key] as unknown[] | undefined) ?? [];
      group.push(x);
      setKey(out, key, group);
    });
    return out;
  },
  sortBy: (xs, p, extra) => {
    const dir = extra.length > 0 ? str("sortBy", extra[0]) : "asc";
    if (dir !== "asc" && dir !== "desc") throw new ExprError(`invalid order ${dir}, expected asc or desc`);
    const keyed = xs.map((x, i) => ({ x, k: required("sortBy", p)(x, i) }));
    keyed.sort((l, r) => (dir === "desc" ? -1 : 1) * order("<", l.k, r.k));
    return keyed.map((e) => e.x);
  },
  reduce: (xs, p, extra) => {
    const pred = required("reduce", p);
    let start = 0;
    let acc: unknown;
    if (extra.length > 0) {
      acc = extra[0];
    } else {
      if (xs.length === 0) throw new ExprError("reduce of empty array with no initial value");
      acc = xs[0];
      start = 1;
    }
    for (let i = start; i < xs.length; i++) acc = pred(xs[i], i, acc);
    return acc;
  },
};

export function isBuiltinName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTINS, name) || Object.prototype.hasOwnProperty.call(PREDICATES, name);
}
