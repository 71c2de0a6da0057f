// Sprig (Masterminds/sprig v3) numbers, dates, encodings, hashes, regexes and paths, with the
// argument coercions of spf13/cast that sprig applies (bad input becomes 0 rather than an error).
import { createHash, randomInt, randomUUID } from "node:crypto";
import { goFindAll, goRegExp, goReplaceAll, goSplit } from "../go-regexp.js";
import { intArg, str } from "./builtins.js";
import { ExprError } from "./errors.js";
import { formatGoDuration, formatGoTime, parseGoDuration, parseGoTime } from "./go-time.js";
import { formatGoValue } from "./values.js";

type Fn = (...args: unknown[]) => unknown;

/** cast.ToInt64: numbers truncate, strings parse with base prefixes ("0x1f", "017"), anything else is 0. */
export function castInt(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return 0;
  const s = v.replace(/^([^.]*)\.0+$/, "$1");
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)$/.exec(s);
  if (!m) return 0;
  const body = m[2].replace(/_/g, "");
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[0-7]+$/.test(body)) n = parseInt(body.slice(1), 8);
  else n = Number(body);
  return m[1] === "-" ? -n : n;
}

/** cast.ToFloat64. */
export function castFloat(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(v)) return Number(v);
  return 0;
}

function intDiv(a: number, b: number): number {
  if (b === 0) throw new ExprError("runtime error: integer divide by zero");
  return Math.trunc(a / b);
}

function sprigRound(a: unknown, places: unknown, roundOn: unknown = 0.5): number {
  const val = castFloat(a);
  const pow = 10 ** castFloat(places);
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  return (frac >= castFloat(roundOn) ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

function untilStep(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  if (stop < start) {
    if (step >= 0) return out;
    for (let i = start; i > stop; i += step) out.push(i);
    return out;
  }
  if (step <= 0) return out;
  for (let i = start; i < stop; i += step) out.push(i);
  return out;
}

function seq(...params: unknown[]): string {
  const p = params.map((x) => intArg("seq", x));
  let list: number[] = [];
  if (p.length === 1) list = untilStep(1, p[0] + (p[0] < 1 ? -1 : 1), p[0] < 1 ? -1 : 1);
  else if (p.length === 2) list = untilStep(p[0], p[1] + (p[1] < p[0] ? -1 : 1), p[1] < p[0] ? -1 : 1);
  else if (p.length === 3) {
    const inc = p[2] < p[0] ? -1 : 1;
    if (inc < 0 && p[1] > 0) return "";
    list = untilStep(p[0], p[2] + inc, p[1]);
  }
  return list.join(" ");
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === "number") return new Date(v * 1000);
  return new Date();
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Encode(s: string): string {
  const bytes = Buffer.from(s, "utf8");
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

function base32Decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, "");
  const bad = clean.search(/[^A-Z2-7=]/);
  if (bad >= 0 || clean.length % 8 !== 0 || /=[^=]/.test(clean)) return `illegal base32 data at input byte ${bad >= 0 ? bad : clean.length}`;
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean.replace(/=+$/, "")) {
    value = ((value << 5) | B32.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function adler32(s: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String((b * 65536 + a) >>> 0);
}

function randomFrom(alphabet: string, count: unknown): string {
  let out = "";
  for (let i = 0; i < intArg("rand", count); i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return rooted ? `/${joined}` : joined || ".";
}

function baseName(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

function dirName(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf("/") + 1));
}

export const SPRIG_MORE: Record<string, Fn> = {
  atoi: (a) => (typeof a === "string" && /^[+-]?[0-9]+$/.test(a) ? Number(a) : 0),
  int: (a) => castInt(a),
  int64: (a) => castInt(a),
  float64: (a) => castFloat(a),
  add1: (a) => castInt(a) + 1,
  add: (...xs) => xs.reduce<number>((acc, x) => acc + castInt(x), 0),
  sub: (a, b) => castInt(a) - castInt(b),
  mul: (a, ...xs) => xs.reduce<number>((acc, x) => acc * castInt(x), castInt(a)),
  div: (a, b) => intDiv(castInt(a), castInt(b)),
  mod: (a, b) => {
    const d = castInt(b);
    if (d === 0) throw new ExprError("runtime error: integer divide by zero");
    return castInt(a) % d;
  },
  max: (a, ...xs) => xs.reduce<number>((acc, x) => Math.max(acc, castInt(x)), castInt(a)),
  biggest: (a, ...xs) => xs.reduce<number>((acc, x) => Math.max(acc, castInt(x)), castInt(a)),
  min: (a, ...xs) => xs.reduce<number>((acc, x) => Math.min(acc, castInt(x)), castInt(a)),
  add1f: (a) => castFloat(a) + 1,
  addf: (...xs) => xs.reduce<number>((acc, x) => acc + castFloat(x), 0),
  subf: (a, ...xs) => xs.reduce<number>((acc, x) => acc - castFloat(x), castFloat(a)),
  mulf: (a, ...xs) => xs.reduce<number>((acc, x) => acc * castFloat(x), castFloat(a)),
  divf: (a, ...xs) => xs.reduce<number>((acc, x) => acc / castFloat(x), castFloat(a)),
  maxf: (a, ...xs) => xs.reduce<number>((acc, x) => Math.max(acc, castFloat(x)), castFloat(a)),
  minf: (a, ...xs) => xs.reduce<number>((acc, x) => Math.min(acc, castFloat(x)), castFloat(a)),
  abs: (a) => Math.abs(castInt(a)),
  absf: (a) => Math.abs(castFloat(a)),
  floor: (a) => Math.floor(castFloat(a)),
  ceil: (a) => Math.ceil(castFloat(a)),
  round: (a, p, r) => sprigRound(a, p, r),
  toDecimal: (a) => {
    const s = formatGoValue(a);
    return /^[+-]?[0-7]+$/.test(s) ? parseInt(s, 8) : 0;
  },
  seq,
  until: (n) => {
    const c = intArg("until", n);
    return untilStep(0, c, c < 0 ? -1 : 1);
  },
  untilStep: (a, b, c) => untilStep(intArg("untilStep", a), intArg("untilStep", b), intArg("untilStep", c)),
  now: () => new Date(),
  date: (fmt, d) => formatGoTime(toDate(d), str("date", fmt)),
  dateInZone: (fmt, d, zone) => {
    if (!["UTC", "Etc/UTC", ""].includes(str("dateInZone", zone))) throw new ExprError(`unsupported time zone ${String(zone)} (only UTC)`);
    return formatGoTime(toDate(d), str("dateInZone", fmt));
  },
  htmlDate: (d) => formatGoTime(toDate(d), "2006-01-02"),
  toDate: (fmt, s) => {
    try {
      return parseGoTime(str("toDate", s), str("toDate", fmt));
    } catch {
      const zero = new Date(0);
      zero.setUTCFullYear(1, 0, 1);
      return zero;
    }
  },
  mustToDate: (fmt, s) => parseGoTime(str("mustToDate", s), str("mustToDate", fmt)),
  unixEpoch: (d) => String(Math.floor(toDate(d).getTime() / 1000)),
  dateModify: (fmt, d) => new Date(toDate(d).getTime() + parseGoDuration(str("dateModify", fmt)).ns / 1e6),
  duration: (sec) => formatGoDuration(castInt(sec) * 1e9),
  ago: (d) => formatGoDuration(Math.round((Date.now() - toDate(d).getTime()) / 1000) * 1e9),
  b64enc: (s) => Buffer.from(str("b64enc", s), "utf8").toString("base64"),
  b64dec: (s) => {
    const text = str("b64dec", s).replace(/[\r\n]/g, "");
    const bad = text.search(/[^A-Za-z0-9+/=]/);
    if (bad >= 0 || text.length % 4 !== 0 || /=[^=]/.test(text)) return `illegal base64 data at input byte ${bad >= 0 ? bad : text.length}`;
    return Buffer.from(text, "base64").toString("utf8");
  },
  b32enc: (s) => base32Encode(str("b32enc", s)),
  b32dec: (s) => base32Decode(str("b32dec", s)),
  sha1sum: (s) => createHash("sha1").update(str("sha1sum", s), "utf8").digest("hex"),
  sha256sum: (s) => createHash("sha256").update(str("sha256sum", s), "utf8").digest("hex"),
  adler32sum: (s) => adler32(str("adler32sum", s)),
  uuidv4: () => randomUUID(),
  randAlphaNum: (n) => randomFrom(`${LETTERS}0123456789`, n),
  randAlpha: (n) => randomFrom(LETTERS, n),
  randNumeric: (n) => randomFrom("0123456789", n),
  randAscii: (n) => randomFrom(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(""), n),
  regexMatch: (re, s) => {
    try {
      return goRegExp(str("regexMatch", re)).test(str("regexMatch", s));
    } catch {
      return false;
    }
  },
  mustRegexMatch: (re, s) => goRegExp(str("mustRegexMatch", re)).test(str("mustRegexMatch", s)),
  regexFind: (re, s) => goFindAll(goRegExp(str("regexFind", re)), str("regexFind", s), 1)[0]?.[0] ?? "",
  regexFindAll: (re, s, n) => goFindAll(goRegExp(str("regexFindAll", re)), str("regexFindAll", s), intArg("regexFindAll", n)).map((m) => m[0]),
  regexReplaceAll: (re, s, r) => goReplaceAll(goRegExp(str("regexReplaceAll", re)), str("regexReplaceAll", s), str("regexReplaceAll", r)),
  regexReplaceAllLiteral: (re, s, r) => goReplaceAll(goRegExp(str("regexReplaceAllLiteral", re)), str("regexReplaceAllLiteral", s), str("regexReplaceAllLiteral", r), true),
  regexSplit: (re, s, n) => goSplit(goRegExp(str("regexSplit", re)), str("regexSplit", s), intArg("regexSplit", n)),
  regexQuoteMeta: (s) => str("regexQuoteMeta", s).replace(/[\\.+*?()|[\]{}^$]/g, "\\$&"),
  base: (p) => baseName(str("base", p)),
  dir: (p) => dirName(str("dir", p)),
  clean: (p) => cleanPath(str("clean", p)),
  ext: (p) => {
    const b = str("ext", p);
    const m = /\.[^./]*$/.exec(b);
    return m ? m[0] : "";
  },
  isAbs: (p) => str("isAbs", p).startsWith("/"),
  fail: (msg) => {
    throw new ExprError(str("fail", msg));
  },
};
for (const name of ["regexFind", "regexFindAll", "regexReplaceAll", "regexReplaceAllLiteral", "regexSplit"]) {
  SPRIG_MORE[`must${name[0].toUpperCase()}${name.slice(1)}`] = SPRIG_MORE[name];
}
SPRIG_MORE.durationRound = (d) => {
  const ns = typeof d === "string" ? parseGoDuration(d).ns : castInt(d);
  const units: Array<[number, string]> = [[31536000e9, "y"], [2592000e9, "mo"], [86400e9, "d"], [3600e9, "h"], [60e9, "m"], [1e9, "s"]];
  for (const [size, unit] of units) if (Math.abs(ns) >= size) return `${Math.trunc(ns / size)}${unit}`;
  return "0s";
};
