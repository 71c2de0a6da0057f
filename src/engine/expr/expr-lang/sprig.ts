// Sprig v3's generic function map (Masterminds/sprig functions.go) as Argo exposes it under `sprig.`:
// strings, lists, dicts, defaults, JSON and reflection here; numbers, dates, encodings and regexes in
// sprig-more.ts. `env` and `expandenv` are deliberately absent, as in Argo.
import { randomInt } from "node:crypto";
import { goReplace, intArg, str } from "./builtins.js";
import { ExprError } from "./errors.js";
import { SPRIG_MORE } from "./sprig-more.js";
import { equal, formatGoValue, goJson, hasKey, isMap, isNil, parseJson, setKey, typeName } from "./values.js";

type Fn = (...args: unknown[]) => unknown;
type Dict = Record<string, unknown>;

/** Go's %q. */
function goQuote(s: string): string {
  const named: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (named[c]) out += named[c];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

function isSeparator(c: string): boolean {
  if (c.charCodeAt(0) < 0x80) return !/[A-Za-z0-9_]/.test(c);
  return /\s/u.test(c);
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** goutils.AbbreviateFull. */
function abbreviate(s: string, offset: number, width: number): string {
  if (width < 4) throw new ExprError("stringutils illegal argument: Minimum abbreviation width is 4");
  if (s.length <= width) return s;
  let off = Math.min(offset, s.length);
  if (s.length - off < width - 3) off = s.length - (width - 3);
  if (off <= 4) return `${s.slice(0, width - 3)}...`;
  if (width < 7) throw new ExprError("stringutils illegal argument: Minimum abbreviation width with offset is 7");
  if (off + width - 3 < s.length) return `...${abbreviate(s.slice(off), 0, width - 3)}`;
  return `...${s.slice(s.length - (width - 3))}`;
}

function substr(start: number, end: number, s: string): string {
  const oob = (): ExprError => new ExprError(`runtime error: slice bounds out of range [${start}:${end}] with length ${s.length}`);
  if (start < 0) {
    if (end < 0 || end > s.length) throw oob();
    return s.slice(0, end);
  }
  if (end < 0 || end > s.length) {
    if (start > s.length) throw oob();
    return s.slice(start);
  }
  if (start > end) throw oob();
  return s.slice(start, end);
}

/** sprig's strslice: a list becomes its non-nil elements as strings; any other value a one-element list. */
function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => !isNil(x)).map(formatGoValue);
  return isNil(v) ? [] : [formatGoValue(v)];
}

function list(op: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ExprError(`Cannot ${op} on type ${isNil(v) ? "invalid" : kindOf(v)}`);
  return v;
}

function dict(name: string, v: unknown): Dict {
  if (!isMap(v)) throw new ExprError(`invalid argument for sprig.${name} (type ${typeName(v)})`);
  return v;
}

function copyDict(d: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(d)) setKey(out, k, v);
  return out;
}

function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isMap(v)) {
    const out: Dict = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, deepCopy(x));
    return out;
  }
  return v;
}

/** sprig's empty(): the Go zero value of the type (nil, 0, "", false, empty list or map). */
export function empty(v: unknown): boolean {
  if (isNil(v)) return true;
  if (typeof v === "string" || Array.isArray(v)) return v.length === 0;
  if (typeof v === "number") return v === 0;
  if (typeof v === "boolean") return !v;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

function kindOf(v: unknown): string {
  if (isNil(v)) return "invalid";
  if (Array.isArray(v)) return "slice";
  if (isMap(v)) return "map";
  if (v instanceof Date) return "struct";
  return typeName(v);
}

/** mergo.Merge: fills keys of dst that are missing or empty, recursing into nested maps. */
function mergeInto(dst: Dict, src: Dict, overwrite: boolean): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = hasKey(dst, k) ? dst[k] : undefined;
    if (isMap(cur) && isMap(v)) {
      const nested = copyDict(cur);
      mergeInto(nested, v, overwrite);
      setKey(dst, k, nested);
    } else if (empty(cur) || (overwrite && !empty(v))) {
      setKey(dst, k, deepCopy(v));
    }
  }
}

function toJson(v: unknown, indent: string, html: boolean, must: boolean): string {
  try {
    return goJson(v, indent, html);
  } catch (e) {
    if (must) throw e;
    return "";
  }
}

const STRINGS: Record<string, Fn> = {
  trim: (s) => str("trim", s).trim(),
  trimAll: (cut, s) => trimCutset(str("trimAll", s), str("trimAll", cut)),
  trimall: (cut, s) => trimCutset(str("trimall", s), str("trimall", cut)),
  trimPrefix: (p, s) => (str("trimPrefix", s).startsWith(str("trimPrefix", p)) ? (s as string).slice((p as string).length) : s),
  trimSuffix: (p, s) => {
    const [text, suffix] = [str("trimSuffix", s), str("trimSuffix", p)];
    return suffix !== "" && text.endsWith(suffix) ? text.slice(0, text.length - suffix.length) : text;
  },
  upper: (s) => str("upper", s).toUpperCase(),
  lower: (s) => str("lower", s).toLowerCase(),
  title: (s) => {
    let prev = " ";
    let out = "";
    for (const c of str("title", s)) {
      out += isSeparator(prev) ? c.toUpperCase() : c;
      prev = c;
    }
    return out;
  },
  untitle: (s) => {
    const text = str("untitle", s);
    return text.slice(0, 1).toLowerCase() + text.slice(1);
  },
  substr: (a, b, s) => substr(intArg("substr", a), intArg("substr", b), str("substr", s)),
  repeat: (n, s) => {
    const count = intArg("repeat", n);
    if (count < 0) throw new ExprError("strings: negative Repeat count");
    return str("repeat", s).repeat(count);
  },
  nospace: (s) => str("nospace", s).replace(/\s+/gu, ""),
  trunc: (n, s) => {
    const [c, text] = [intArg("trunc", n), str("trunc", s)];
    if (c < 0 && text.length + c > 0) return text.slice(text.length + c);
    return c >= 0 && text.length > c ? text.slice(0, c) : text;
  },
  abbrev: (w, s) => (intArg("abbrev", w) < 4 ? str("abbrev", s) : abbreviate(str("abbrev", s), 0, w as number)),
  abbrevboth: (l, r, s) => {
    const [left, right, text] = [intArg("abbrevboth", l), intArg("abbrevboth", r), str("abbrevboth", s)];
    return right < 4 || (left > 0 && right < 7) ? text : abbreviate(text, left, right);
  },
  initials: (s) => str("initials", s).split(/\s+/).filter(Boolean).map((w) => [...w][0]).join(""),
  contains: (sub, s) => str("contains", s).includes(str("contains", sub)),
  hasPrefix: (p, s) => str("hasPrefix", s).startsWith(str("hasPrefix", p)),
  hasSuffix: (p, s) => str("hasSuffix", s).endsWith(str("hasSuffix", p)),
  quote: (...xs) => xs.filter((x) => !isNil(x)).map((x) => goQuote(formatGoValue(x))).join(" "),
  squote: (...xs) => xs.filter((x) => !isNil(x)).map((x) => `'${formatGoValue(x)}'`).join(" "),
  cat: (...xs) => xs.filter((x) => !isNil(x)).map(formatGoValue).join(" "),
  indent: (n, s) => {
    const pad = " ".repeat(intArg("indent", n));
    return pad + str("indent", s).split("\n").join(`\n${pad}`);
  },
  nindent: (n, s) => {
    const pad = " ".repeat(intArg("nindent", n));
    return `\n${pad}${str("nindent", s).split("\n").join(`\n${pad}`)}`;
  },
  replace: (o, n, s) => goReplace(str("replace", s), str("replace", o), str("replace", n), -1),
  plural: (one, many, n) => (intArg("plural", n) === 1 ? str("plural", one) : str("plural", many)),
  snakecase: (s) => words(str("snakecase", s)).map((w) => w.toLowerCase()).join("_"),
  kebabcase: (s) => words(str("kebabcase", s)).map((w) => w.toLowerCase()).join("-"),
  camelcase: (s) =>
    str("camelcase", s)
      .split(/[_\s-]+/)
      .filter(Boolean)
      .map((w) => w[0].toUpperCase() + (w === w.toUpperCase() ? w.slice(1).toLowerCase() : w.slice(1)))
      .join(""),
  swapcase: (s) => [...str("swapcase", s)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
  shuffle: (s) => {
    const chars = [...str("shuffle", s)];
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return chars.join("");
  },
  toString: (v: unknown) => formatGoValue(v),
  toStrings: (v) => strslice(v),
  split: (sep, s) => {
    const out: Dict = {};
    goSplitAll(str("split", s), str("split", sep), -1).forEach((p, i) => setKey(out, `_${i}`, p));
    return out;
  },
  splitn: (sep, n, s) => {
    const out: Dict = {};
    goSplitAll(str("splitn", s), str("splitn", sep), intArg("splitn", n)).forEach((p, i) => setKey(out, `_${i}`, p));
    return out;
  },
  splitList: (sep, s) => goSplitAll(str("splitList", s), str("splitList", sep), -1),
  join: (sep, v) => strslice(v).join(str("join", sep)),
  sortAlpha: (v) => (Array.isArray(v) ? strslice(v).sort() : [formatGoValue(v)]),
};

function trimCutset(s: string, cutset: string): string {
  const set = new Set(cutset);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a])) a++;
  while (b > a && set.has(chars[b - 1])) b--;
  return chars.slice(a, b).join("");
}

function goSplitAll(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === "" ? [...s] : s.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

const LISTS: Record<string, Fn> = {
  list: (...xs) => xs,
  tuple: (...xs) => xs,
  first: (l) => list("find first", l)[0] ?? null,
  last: (l) => {
    const xs = list("find last", l);
    return xs[xs.length - 1] ?? null;
  },
  rest: (l) => {
    const xs = list("find rest", l);
    return xs.length === 0 ? null : xs.slice(1);
  },
  initial: (l) => {
    const xs = list("find initial", l);
    return xs.length === 0 ? null : xs.slice(0, -1);
  },
  append: (l, v) => [...list("push", l), v],
  push: (l, v) => [...list("push", l), v],
  prepend: (l, v) => [v, ...list("prepend", l)],
  concat: (...ls) => ls.flatMap((l) => list("concat", l)),
  reverse: (l) => [...list("find reverse", l)].reverse(),
  uniq: (l) => list("find uniq", l).filter((x, i, xs) => xs.findIndex((y) => equal(x, y)) === i),
  without: (l, ...omit) => list("find without", l).filter((x) => !omit.some((o) => equal(o, x))),
  has: (needle, l) => (isNil(l) ? false : list("find has", l).some((x) => equal(needle, x))),
  compact: (l) => list("compact", l).filter((x) => !empty(x)),
  slice: (l, ...idx) => {
    const xs = list("slice", l);
    if (xs.length === 0) return null;
    const start = idx.length > 0 ? intArg("slice", idx[0]) : 0;
    const end = idx.length > 1 ? intArg("slice", idx[1]) : xs.length;
    if (start < 0 || end > xs.length || start > end) throw new ExprError(`reflect: slice index out of range`);
    return xs.slice(start, end);
  },
  chunk: (size, l) => {
    const [n, xs] = [intArg("chunk", size), list("chunk", l)];
    const out: unknown[][] = [];
    for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
    return out;
  },
  dig: (...args) => {
    if (args.length < 3) throw new ExprError("dig needs at least three arguments");
    const d = dict("dig", args[args.length - 1]);
    const fallback = args[args.length - 2];
    let cur: unknown = d;
    for (const k of args.slice(0, -2)) {
      if (!isMap(cur) || !hasKey(cur, str("dig", k))) return fallback;
      cur = cur[k as string];
    }
    return cur;
  },
};

const DICTS: Record<string, Fn> = {
  dict: (...xs) => {
    const out: Dict = {};
    for (let i = 0; i < xs.length; i += 2) setKey(out, formatGoValue(xs[i]), i + 1 < xs.length ? xs[i + 1] : "");
    return out;
  },
  get: (d, k) => {
    const m = dict("get", d);
    return hasKey(m, str("get", k)) ? m[k as string] : "";
  },
  set: (d, k, v) => {
    const m = copyDict(dict("set", d));
    setKey(m, str("set", k), v);
    return m;
  },
  unset: (d, k) => {
    const m = copyDict(dict("unset", d));
    delete m[str("unset", k)];
    return m;
  },
  hasKey: (d, k) => hasKey(dict("hasKey", d), str("hasKey", k)),
  pluck: (k, ...ds) => ds.map((d) => dict("pluck", d)).filter((d) => hasKey(d, str("pluck", k))).map((d) => d[k as string]),
  keys: (...ds) => ds.flatMap((d) => Object.keys(dict("keys", d))),
  values: (d) => Object.values(dict("values", d)),
  pick: (d, ...ks) => {
    const m = dict("pick", d);
    const out: Dict = {};
    for (const k of ks) if (hasKey(m, str("pick", k))) setKey(out, k as string, m[k as string]);
    return out;
  },
  omit: (d, ...ks) => {
    const out = copyDict(dict("omit", d));
    for (const k of ks) delete out[str("omit", k)];
    return out;
  },
  merge: (dst, ...srcs) => {
    const out = copyDict(dict("merge", dst));
    for (const s of srcs) mergeInto(out, dict("merge", s), false);
    return out;
  },
  mergeOverwrite: (dst, ...srcs) => {
    const out = copyDict(dict("mergeOverwrite", dst));
    for (const s of srcs) mergeInto(out, dict("mergeOverwrite", s), true);
    return out;
  },
  deepCopy: (v) => deepCopy(v),
};

const GENERAL: Record<string, Fn> = {
  default: (d, ...given) => (given.length === 0 || empty(given[0]) ? d : given[0]),
  empty: (v) => empty(v),
  coalesce: (...xs) => xs.find((x) => !empty(x)) ?? null,
  all: (...xs) => xs.every((x) => !empty(x)),
  any: (...xs) => xs.some((x) => !empty(x)),
  ternary: (vt, vf, cond) => {
    if (typeof cond !== "boolean") throw new ExprError(`invalid argument for sprig.ternary (type ${typeName(cond)})`);
    return cond ? vt : vf;
  },
  toJson: (v) => toJson(v, "", true, false),
  mustToJson: (v) => toJson(v, "", true, true),
  toPrettyJson: (v) => toJson(v, "  ", true, false),
  mustToPrettyJson: (v) => toJson(v, "  ", true, true),
  toRawJson: (v) => toJson(v, "", false, false),
  mustToRawJson: (v) => toJson(v, "", false, true),
  fromJson: (s) => {
    try {
      return parseJson(str("fromJson", s));
    } catch {
      return null;
    }
  },
  mustFromJson: (s) => parseJson(str("mustFromJson", s)),
  typeOf: (v) => typeName(v),
  typeIs: (t, v) => str("typeIs", t) === typeName(v),
  typeIsLike: (t, v) => str("typeIsLike", t) === typeName(v) || t === `*${typeName(v)}`,
  kindOf: (v) => kindOf(v),
  kindIs: (k, v) => str("kindIs", k) === kindOf(v),
  deepEqual: (a, b) => equal(a, b),
  hello: () => "Hello!",
};

const ALL: Record<string, Fn> = Object.assign(Object.create(null) as Record<string, Fn>, STRINGS, LISTS, DICTS, GENERAL, SPRIG_MORE);
for (const name of ["first", "last", "rest", "initial", "append", "push", "prepend", "reverse", "uniq", "without", "has", "compact", "slice", "chunk", "merge", "mergeOverwrite", "deepCopy"]) {
  ALL[`must${name[0].toUpperCase()}${name.slice(1)}`] ??= ALL[name];
}

/** The `sprig` object of Argo's expression env. */
export const SPRIG: Readonly<Record<string, Fn>> = Object.freeze(ALL);
