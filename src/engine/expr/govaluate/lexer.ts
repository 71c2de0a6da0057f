// Tokenizer of Knetic/govaluate (v3, the version Argo pins), reproducing its quirks: symbols are read
// greedily up to the next letter, digit, bracket, quote or space (so `==-1` is one invalid token),
// both quote characters end a string, and `a.b` is an accessor whose parts must be exported.
import { parseGoTime } from "../expr-lang/go-time.js";

export type Kind =
  | "UNKNOWN" | "PREFIX" | "NUMERIC" | "BOOLEAN" | "STRING" | "PATTERN" | "TIME" | "VARIABLE" | "ACCESSOR"
  | "COMPARATOR" | "LOGICALOP" | "MODIFIER" | "CLAUSE" | "CLAUSE_CLOSE" | "TERNARY" | "SEPARATOR";

export interface GovToken {
  kind: Kind;
  value: unknown;
  /** Source text, for messages. */
  text: string;
}

const VALUE_NEXT: Kind[] = ["MODIFIER", "COMPARATOR", "LOGICALOP", "CLAUSE_CLOSE", "TERNARY", "SEPARATOR"];
const OPERAND: Kind[] = ["PREFIX", "NUMERIC", "BOOLEAN", "VARIABLE", "ACCESSOR", "STRING", "TIME", "CLAUSE"];

/** govaluate's lexerState table: which token kind may follow which, and which may end an expression. */
export const TRANSITIONS: Record<Kind, { next: Kind[]; eof: boolean }> = {
  UNKNOWN: { next: [...OPERAND, "PATTERN"], eof: false },
  CLAUSE: { next: [...OPERAND, "PATTERN", "CLAUSE_CLOSE"], eof: false },
  CLAUSE_CLOSE: { next: ["COMPARATOR", "MODIFIER", "NUMERIC", "BOOLEAN", "VARIABLE", "STRING", "PATTERN", "TIME", "CLAUSE", "CLAUSE_CLOSE", "LOGICALOP", "TERNARY", "SEPARATOR"], eof: true },
  NUMERIC: { next: VALUE_NEXT, eof: true },
  BOOLEAN: { next: VALUE_NEXT, eof: true },
  STRING: { next: VALUE_NEXT, eof: true },
  TIME: { next: VALUE_NEXT, eof: true },
  PATTERN: { next: VALUE_NEXT, eof: true },
  VARIABLE: { next: VALUE_NEXT, eof: true },
  ACCESSOR: { next: VALUE_NEXT, eof: true },
  MODIFIER: { next: ["PREFIX", "NUMERIC", "VARIABLE", "ACCESSOR", "STRING", "BOOLEAN", "CLAUSE", "CLAUSE_CLOSE"], eof: false },
  COMPARATOR: { next: [...OPERAND, "CLAUSE_CLOSE", "PATTERN"], eof: false },
  LOGICALOP: { next: [...OPERAND, "CLAUSE_CLOSE"], eof: false },
  PREFIX: { next: ["NUMERIC", "BOOLEAN", "VARIABLE", "ACCESSOR", "CLAUSE", "CLAUSE_CLOSE"], eof: false },
  TERNARY: { next: ["PREFIX", "NUMERIC", "BOOLEAN", "STRING", "TIME", "VARIABLE", "ACCESSOR", "CLAUSE", "SEPARATOR"], eof: false },
  SEPARATOR: { next: ["PREFIX", "NUMERIC", "BOOLEAN", "STRING", "TIME", "VARIABLE", "ACCESSOR", "CLAUSE"], eof: false },
};

const PREFIX = new Set(["-", "!", "~"]);
const MODIFIER = new Set(["+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"]);
const LOGICAL = new Set(["&&", "||"]);
const COMPARATOR = new Set(["==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"]);
const TERNARY = new Set(["?", ":", "??"]);

// The layouts govaluate's tryParseTime attempts on every quoted string, in its order.
const TIME_LAYOUTS = [
  "Mon Jan _2 15:04:05 2006", "Mon Jan _2 15:04:05 MST 2006", "Mon Jan 02 15:04:05 -0700 2006", "3:04PM",
  "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02", "2006-01-02 15:04",
  "2006-01-02 15:04:05", "2006-01-02 15:04:05-07:00", "2006-01-02T15Z0700", "2006-01-02T15:04Z0700",
  "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
];

function tryParseTime(s: string): number | undefined {
  for (const layout of TIME_LAYOUTS) {
    try {
      return Math.floor(parseGoTime(s, layout).getTime() / 1000);
    } catch {
      // not this layout
    }
  }
  return undefined;
}

const isSpace = (c: string): boolean => /\s/u.test(c);
const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => /\p{Nd}/u.test(c);
const isQuote = (c: string): boolean => c === "'" || c === '"';
const isVariableChar = (c: string): boolean => isLetter(c) || isDigit(c) || c === "_" || c === ".";
const isSymbolChar = (c: string): boolean => !(isDigit(c) || isLetter(c) || "()[]".includes(c) || isQuote(c));

class Stream {
  i = 0;
  constructor(readonly chars: string[]) {}
  get done(): boolean {
    return this.i >= this.chars.length;
  }

  /** govaluate's readUntilFalse: a backslash escapes the next character. */
  readWhile(cond: (c: string) => boolean, includeSpace: boolean, breakOnSpace: boolean): { text: string; stopped: boolean } {
    let text = "";
    while (!this.done) {
      let c = this.chars[this.i++];
      if (c === "\\") {
        c = this.chars[this.i++] ?? "";
        text += c;
        continue;
      }
      if (isSpace(c)) {
        if (breakOnSpace && text.length > 0) return { text, stopped: true };
        if (!includeSpace) continue;
      }
      if (!cond(c)) {
        this.i--;
        return { text, stopped: true };
      }
      text += c;
    }
    return { text, stopped: false };
  }
}

function readToken(stream: Stream, state: Kind): GovToken | undefined {
  while (!stream.done) {
    const c = stream.chars[stream.i];
    if (isSpace(c)) {
      stream.i++;
      continue;
    }
    if (isDigit(c) || c === ".") {
      if (c === "0" && stream.chars[stream.i + 1] === "x") {
        stream.i += 2;
        const { text } = stream.readWhile((h) => /[0-9a-fA-F]/.test(h), false, true);
        if (text === "") throw new Error(`Unable to parse hex value '${text}' to uint64`);
        return { kind: "NUMERIC", value: parseInt(text, 16), text: `0x${text}` };
      }
      const { text } = stream.readWhile((d) => isDigit(d) || d === ".", false, true);
      if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(text)) throw new Error(`Unable to parse numeric value '${text}' to float64`);
      return { kind: "NUMERIC", value: Number(text), text };
    }
    if (c === ",") {
      stream.i++;
      return { kind: "SEPARATOR", value: ",", text: "," };
    }
    if (c === "[") {
      stream.i++;
      const { text, stopped } = stream.readWhile((x) => x !== "]", true, false);
      if (!stopped) throw new Error("Unclosed parameter bracket");
      stream.i++;
      return { kind: "VARIABLE", value: text, text };
    }
    if (isLetter(c)) {
      const { text } = stream.readWhile(isVariableChar, false, true);
      if (text === "true" || text === "false") return { kind: "BOOLEAN", value: text === "true", text };
      if (text === "in" || text === "IN") return { kind: "COMPARATOR", value: "in", text };
      if (text.includes(".")) {
        if (text.endsWith(".")) throw new Error(`Hanging accessor on token '${text}'`);
        const parts = text.split(".");
        for (const part of parts.slice(1)) {
          const first = [...part][0] ?? "";
          if (first.toUpperCase() !== first) throw new Error(`Unable to access unexported field '${part}' in token '${text}'`);
        }
        return { kind: "ACCESSOR", value: parts, text };
      }
      return { kind: "VARIABLE", value: text, text };
    }
    if (isQuote(c)) {
      stream.i++;
      const { text, stopped } = stream.readWhile((x) => !isQuote(x), true, false);
      if (!stopped) throw new Error("Unclosed string literal");
      stream.i++;
      const time = tryParseTime(text);
      return time === undefined ? { kind: "STRING", value: text, text } : { kind: "TIME", value: time, text };
    }
    if (c === "(" || c === ")") {
      stream.i++;
      return c === "(" ? { kind: "CLAUSE", value: c, text: c } : { kind: "CLAUSE_CLOSE", value: c, text: c };
    }
    const { text } = stream.readWhile(isSymbolChar, false, true);
    if (TRANSITIONS[state].next.includes("PREFIX") && PREFIX.has(text)) return { kind: "PREFIX", value: text, text };
    if (MODIFIER.has(text)) return { kind: "MODIFIER", value: text, text };
    if (LOGICAL.has(text)) return { kind: "LOGICALOP", value: text, text };
    if (COMPARATOR.has(text)) return { kind: "COMPARATOR", value: text, text };
    if (TERNARY.has(text)) return { kind: "TERNARY", value: text, text };
    throw new Error(`Invalid token: '${text}'`);
  }
  return undefined;
}

/** govaluate's parseTokens followed by checkBalance. */
export function tokenize(expression: string): GovToken[] {
  const stream = new Stream([...expression]);
  const tokens: GovToken[] = [];
  let state: Kind = "UNKNOWN";
  for (;;) {
    const token = readToken(stream, state);
    if (token === undefined) break;
    tokens.push(token);
    state = token.kind;
  }
  let parens = 0;
  for (const t of tokens) parens += t.kind === "CLAUSE" ? 1 : t.kind === "CLAUSE_CLOSE" ? -1 : 0;
  if (parens !== 0) throw new Error("Unbalanced parenthesis");
  return tokens;
}

/** govaluate's checkExpressionSyntax. */
export function checkSyntax(tokens: GovToken[]): void {
  let state: Kind = "UNKNOWN";
  let last: GovToken | undefined;
  for (const token of tokens) {
    if (!TRANSITIONS[state].next.includes(token.kind)) {
      if (last?.kind === "VARIABLE" && token.kind === "CLAUSE") throw new Error(`Undefined function ${last.text}`);
      throw new Error(`Cannot transition token types from ${state} [${last ? last.text : "<nil>"}] to ${token.kind} [${token.text}]`);
    }
    state = token.kind;
    last = token;
  }
  if (!TRANSITIONS[state].eof) throw new Error("Unexpected end of expression");
}
