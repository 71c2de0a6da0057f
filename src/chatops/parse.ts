import { textLines } from "./markdown-lines.js";
import { inlineCode } from "./markdown-text.js";

/**
 * Comment commands: `/tiphys <verb> [target] [args...] [--flag] [--flag=value] [key=value]`, one per
 * line, at the start of a line, outside code, quotes and HTML comments (see markdown-lines.ts).
 * Parsing knows no verbs; CommandRegistry.validate decides whether a command makes sense.
 */

export const DEFAULT_PREFIX = "/tiphys";

export interface ParsedCommand {
  /** Lower-cased. */
  verb: string;
  /** The first positional word. */
  target?: string;
  /** Positional words after the target. */
  args: string[];
  /** Flag names are lower-cased; `--flag` alone is `true`. */
  flags: Record<string, string | true>;
  /** `key=value` words; keys keep their case (workflow parameter names are case-sensitive). */
  params: Record<string, string>;
  /** 1-based line of the comment the command is on. */
  line: number;
  /** The line as written, trimmed. */
  raw: string;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParseResult {
  commands: ParsedCommand[];
  problems: ParseProblem[];
}

export interface ParseOptions {
  /** Default `/tiphys`; matched ignoring case, and must be followed by a space or the end of the line. */
  prefix?: string;
  /**
   * Whether `--flag value` takes the next word as the flag's value. Without it (or when it says no),
   * `--flag` alone is `true` and the next word is positional; `--flag=value` always works.
   * CommandRegistry.flagTakesValue fits here.
   */
  takesValue?: (verb: string, flag: string) => boolean;
}

interface Word {
  value: string;
  /** The part typed before any quote. Only unquoted text makes a flag or a key, so quoting escapes. */
  bare: string;
}

const QUOTES: Record<string, string> = { '"': '"', "'": "'", "“": "”", "‘": "’" };

/** Splits on whitespace, honouring quotes that open a word or a value (`"a b"`, `key='a b'`). */
function splitWords(text: string): Word[] | { error: string } {
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    let value = "";
    let bare: string | undefined;
    while (i < text.length && !/\s/.test(text[i])) {
      const close = QUOTES[text[i]];
      // A quote opens only at the start of a word or after `=`, so that `don't` is just a word.
      if (close !== undefined && (value === "" || value.endsWith("="))) {
        bare ??= value;
        const start = i;
        i++;
        while (i < text.length && text[i] !== close && !(close === "”" && text[i] === "“")) {
          if (text[i] === "\\" && close === '"' && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
          value += text[i];
          i++;
        }
        if (i >= text.length) return { error: `the quote at ${inlineCode(text.slice(start))} is never closed` };
        i++;
      } else {
        value += text[i];
        i++;
      }
    }
    words.push({ value, bare: bare ?? value });
  }
  return words;
}

/** Typographic dashes that editors substitute for `--` (`—full`) read as `--`. */
function undashWord(w: Word): Word {
  const m = /^[—–]/.exec(w.bare);
  return m ? { value: "--" + w.value.slice(1), bare: "--" + w.bare.slice(1) } : w;
}

const VERB = /^[a-z][a-z0-9-]*$/i;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/i;
const PARAM = /^([A-Za-z_][\w.-]*)=/;

/** One command from the text after the prefix, or the reason it is not one. */
function parseWords(
  prefix: string,
  rest: string,
  takesValue: (verb: string, flag: string) => boolean,
): Omit<ParsedCommand, "line" | "raw"> | { error: string } {
  const split = splitWords(rest);
  if ("error" in split) return split;
  const [head, ...tail] = split.map(undashWord);
  if (head === undefined) return { error: `${inlineCode(prefix)} needs a command: try ${inlineCode(`${prefix} help`)}` };
  if (head.bare !== head.value || !VERB.test(head.value)) {
    return { error: `${inlineCode(head.value)} is not a command name: try ${inlineCode(`${prefix} help`)}` };
  }
  const verb = head.value.toLowerCase();
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const params: Record<string, string> = {};
  let flagsEnded = false;

  for (let i = 0; i < tail.length; i++) {
    const word = tail[i];
    if (flagsEnded) {
      positional.push(word.value);
    } else if (word.bare === "--" && word.value === "--") {
      flagsEnded = true; // everything after a lone `--` is positional, even `--x` or `a=b`
    } else if (word.bare.startsWith("--")) {
      const eq = word.bare.indexOf("=");
      const name = (eq < 0 ? word.value.slice(2) : word.value.slice(2, eq)).toLowerCase();
      if (name.startsWith("-")) return { error: `${inlineCode(word.value)}: a flag starts with exactly two dashes` };
      if (name === "") return { error: `${inlineCode(word.value)}: the flag has no name` };
      if (!FLAG_NAME.test(name)) return { error: `${inlineCode(word.value)} is not a valid flag` };
      let value: string | true = eq < 0 ? true : word.value.slice(eq + 1);
      const next = tail[i + 1];
      if (value === true && next !== undefined && !next.bare.startsWith("--") && takesValue(verb, name)) {
        value = next.value;
        i++;
      }
      if (name in flags && flags[name] !== value) return { error: `${inlineCode(`--${name}`)} is given twice` };
      flags[name] = value;
    } else if (/^-[a-z]/i.test(word.bare)) {
      return { error: `${inlineCode(word.value)}: flags start with two dashes, as in ${inlineCode("-" + word.value)}` };
    } else if (PARAM.test(word.bare)) {
      const key = PARAM.exec(word.bare)![1];
      const value = word.value.slice(key.length + 1);
      if (key in params && params[key] !== value) return { error: `${inlineCode(key)} is given twice` };
      params[key] = value;
    } else {
      positional.push(word.value);
    }
  }
  const [target, ...args] = positional;
  return { verb, ...(target !== undefined ? { target } : {}), args, flags, params };
}

/** Every command in a comment body, and a problem for each line that starts with the prefix but is not one. */
export function parseCommands(body: string, opts: ParseOptions = {}): ParseResult {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const takesValue = opts.takesValue ?? (() => false);
  const commands: ParsedCommand[] = [];
  const problems: ParseProblem[] = [];

  for (const { line, raw, text } of textLines(body)) {
    const trimmed = raw.trim();
    // `text` has HTML comments removed; the raw line must itself start with the prefix.
    if (trimmed.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) continue;
    if (text.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) continue;
    const after = text.slice(prefix.length);
    if (after !== "" && !/^\s/.test(after)) continue; // `/tiphysfoo` is another word
    const parsed = parseWords(prefix, after, takesValue);
    if ("error" in parsed) problems.push({ line, message: parsed.error });
    else commands.push({ ...parsed, line, raw: trimmed });
  }
  return { commands, problems };
}
