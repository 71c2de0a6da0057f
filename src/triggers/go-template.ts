// The small part of Go text/template (+ sprig) that Sensors use in `data[].template` and
// `parameters[].src.dataTemplate`: text with actions that print a field path, e.g.
// `{{ .Input.body.pull_request.number }}`, optionally through sprig's `lower`, `upper`, `trim`,
// `substr a b` or `trunc n` (`{{ .Input | substr 0 7 }}` or `{{ substr 0 7 .Input }}`), with
// `{{-`/`-}}`. Anything else (if, range, variables, other functions) is refused when the Sensor is
// read, so nothing fails late.
import { formatGoFloat } from "../engine/expr/expr-lang/values.js";

export class GoTemplateError extends Error {
  override name = "GoTemplateError";
}

type Fn = { name: "lower" | "upper" | "trim" } | { name: "substr"; start: number; end: number } | { name: "trunc"; n: number };
type Part = { text: string } | { path: string[]; fns: Fn[] };
/** Sprig functions of the subset, with their count of integer arguments. */
const FNS: Record<string, number> = { lower: 0, upper: 0, trim: 0, substr: 2, trunc: 1 };
const unsupported = (action: string): GoTemplateError =>
  new GoTemplateError(`'{{${action}}}' is not supported by Tiphys: use a field path such as .Input.body.x, optionally piped through lower, upper, trim, substr or trunc`);

export interface GoTemplate {
  /** Executes with `root` as `.`; undefined where Go would fail (a field of a missing value). */
  render(root: unknown): string | undefined;
}

function parseField(word: string, action: string): string[] {
  if (word === ".") return [];
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(word)) throw unsupported(action);
  return word.slice(1).split(".");
}

function parseFn(words: string[], action: string): Fn {
  const [name, ...args] = words;
  if (FNS[name] === undefined || args.length !== FNS[name] || !args.every((a) => /^-?[0-9]+$/.test(a))) {
    throw unsupported(action);
  }
  const n = args.map(Number);
  if (name === "substr") return { name, start: n[0], end: n[1] };
  if (name === "trunc") return { name, n: n[0] };
  return { name: name as "lower" | "upper" | "trim" };
}

function parseAction(action: string): Part {
  const stages = action.split("|").map((s) => s.trim().split(/\s+/).filter(Boolean));
  const first = stages[0] ?? [];
  if (first.length === 0) throw new GoTemplateError(`'{{${action}}}' is empty`);
  // `{{ .X | fn }}` or the call form `{{ fn args .X }}`.
  const fns = first.length === 1 ? [] : [parseFn(first.slice(0, -1), action)];
  const path = parseField(first[first.length - 1], action);
  for (const stage of stages.slice(1)) fns.push(parseFn(stage, action));
  return { path, fns };
}

/** Sprig's semantics of each function on a string. */
function apply(fn: Fn, s: string): string {
  switch (fn.name) {
    case "lower": return s.toLowerCase();
    case "upper": return s.toUpperCase();
    case "trim": return s.trim();
    case "substr":
      if (fn.start < 0) return s.slice(0, fn.end);
      if (fn.end < 0 || fn.end > s.length) return s.slice(fn.start);
      return s.slice(fn.start, fn.end);
    case "trunc":
      if (fn.n < 0 && s.length + fn.n > 0) return s.slice(s.length + fn.n);
      return fn.n >= 0 && s.length > fn.n ? s.slice(0, fn.n) : s;
  }
}

/** Go's fmt %v of a decoded JSON value. */
function show(v: unknown): string {
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatGoFloat(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") {
    const obj = v as Record<string, unknown>;
    return `map[${Object.keys(obj).sort().map((k) => `${k}:${show(obj[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** Parses a template; throws GoTemplateError for anything outside the subset above. */
export function compileGoTemplate(source: string): GoTemplate {
  const parts: Part[] = [];
  let rest = source;
  while (rest !== "") {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push({ text: rest });
      break;
    }
    let text = rest.slice(0, open);
    const close = rest.indexOf("}}", open);
    if (close < 0) throw new GoTemplateError("unclosed action: '{{' without '}}'");
    let action = rest.slice(open + 2, close);
    rest = rest.slice(close + 2);
    if (action.startsWith("- ")) {
      text = text.trimEnd();
      action = action.slice(1);
    }
    if (action.endsWith(" -")) {
      rest = rest.trimStart();
      action = action.slice(0, -1);
    }
    if (text) parts.push({ text });
    parts.push(parseAction(action));
  }
  return {
    render(root: unknown): string | undefined {
      let out = "";
      for (const part of parts) {
        if ("text" in part) {
          out += part.text;
          continue;
        }
        let v: unknown = root;
        for (const [i, key] of part.path.entries()) {
          if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
          v = (v as Record<string, unknown>)[key];
          if (v === undefined && i < part.path.length - 1) return undefined;
        }
        // A missing map key prints "<no value>", as text/template does.
        let s = v === undefined ? "<no value>" : show(v);
        for (const fn of part.fns) s = apply(fn, s);
        out += s;
      }
      return out;
    },
  };
}
