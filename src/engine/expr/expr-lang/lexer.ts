import { errorAt } from "./errors.js";

export type TokenKind = "ident" | "number" | "string" | "op" | "bracket" | "eof";

export interface Token {
  kind: TokenKind;
  /** The operator/bracket/identifier text, or the decoded string literal. */
  value: string;
  /** Numeric value of a number token. */
  num?: number;
  pos: number;
}

const WORD_OPERATORS = new Set(["and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith", "let"]);
const OPERATORS = [
  "**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..",
  "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ".", ",", ";", "|", "=", "#",
];
const IDENT_START = /[\p{L}_$]/u;
const IDENT_PART = /[\p{L}\p{Nd}_$]/u;
const DIGIT = /[0-9]/;

export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw errorAt(source, i, "unclosed comment");
      i = end + 2;
      continue;
    }
    if (DIGIT.test(c) || (c === "." && DIGIT.test(source[i + 1] ?? ""))) {
      i = lexNumber(source, i, tokens);
      continue;
    }
    if (c === '"' || c === "'") {
      i = lexQuoted(source, i, tokens);
      continue;
    }
    if (c === "`") {
      const end = source.indexOf("`", i + 1);
      if (end < 0) throw errorAt(source, i, "literal not terminated");
      tokens.push({ kind: "string", value: source.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(source[j])) j++;
      const word = source.slice(i, j);
      tokens.push({ kind: WORD_OPERATORS.has(word) ? "op" : "ident", value: word, pos: i });
      i = j;
      continue;
    }
    if ("()[]{}".includes(c)) {
      tokens.push({ kind: "bracket", value: c, pos: i });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) throw errorAt(source, i, `unrecognized character: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} '${c}'`);
    // `x ?.5 : 1` is a ternary with a float, not optional chaining.
    if (op === "?." && DIGIT.test(source[i + 2] ?? "")) {
      tokens.push({ kind: "op", value: "?", pos: i });
      i++;
      continue;
    }
    tokens.push({ kind: "op", value: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: "eof", value: "", pos: n });
  return tokens;
}

function lexNumber(source: string, start: number, tokens: Token[]): number {
  let i = start;
  const radix = source[i] === "0" ? { x: 16, X: 16, o: 8, O: 8, b: 2, B: 2 }[source[i + 1] ?? ""] : undefined;
  if (radix !== undefined) {
    i += 2;
    const digits = /[0-9a-fA-F_]/;
    while (i < source.length && digits.test(source[i])) i++;
    const text = source.slice(start + 2, i).replace(/_/g, "");
    const value = text === "" ? NaN : parseInt(text, radix);
    if (Number.isNaN(value) || !/^[0-9a-fA-F]+$/.test(text) || [...text].some((d) => parseInt(d, 16) >= radix)) {
      throw errorAt(source, start, `invalid number: ${source.slice(start, i)}`);
    }
    tokens.push({ kind: "number", value: source.slice(start, i), num: value, pos: start });
    return i;
  }
  while (i < source.length && /[0-9_]/.test(source[i])) i++;
  // `1..3` is a range, so a dot only starts a fraction when a digit follows it.
  if (source[i] === "." && DIGIT.test(source[i + 1] ?? "")) {
    i++;
    while (i < source.length && /[0-9_]/.test(source[i])) i++;
  }
  if ((source[i] === "e" || source[i] === "E") && /[-+0-9]/.test(source[i + 1] ?? "")) {
    let j = i + 1;
    if (source[j] === "+" || source[j] === "-") j++;
    if (DIGIT.test(source[j] ?? "")) {
      i = j;
      while (i < source.length && DIGIT.test(source[i])) i++;
    }
  }
  const text = source.slice(start, i);
  if (text.includes("__") || text.endsWith("_")) throw errorAt(source, start, `invalid number: ${text}`);
  if (i < source.length && IDENT_START.test(source[i])) {
    throw errorAt(source, start, `invalid number: ${text}${source[i]}`);
  }
  tokens.push({ kind: "number", value: text, num: Number(text.replace(/_/g, "")), pos: start });
  return i;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"',
};

function lexQuoted(source: string, start: number, tokens: Token[]): number {
  const quote = source[start];
  let i = start + 1;
  let out = "";
  for (;;) {
    if (i >= source.length) throw errorAt(source, start, "literal not terminated");
    const c = source[i];
    if (c === quote) break;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const e = source[i + 1] ?? "";
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === "x" || e === "u" || e === "U") {
      const len = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = source.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw errorAt(source, i, "invalid char escape");
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 2 + len;
    } else if (/[0-7]/.test(e)) {
      const oct = source.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) throw errorAt(source, i, "invalid char escape");
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else {
      throw errorAt(source, i, "invalid char escape");
    }
  }
  tokens.push({ kind: "string", value: out, pos: start });
  return i + 1;
}
