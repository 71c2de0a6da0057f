import type { Item, Sequence, TemplateCall } from "../model/types.js";
import { substituteString, type Vars } from "./substitute.js";

export class LoopError extends Error {
  override name = "LoopError";
}

function toInt(v: string | number | undefined, field: string, vars: Vars): number | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === "number" ? String(v) : substituteString(v, vars);
  if (!/^[+-]?\d+$/.test(s.trim())) throw new LoopError(`withSequence.${field} must be an integer, got "${s}"`);
  return Number(s);
}

/** Go's fmt for the `%d`/`%x`/`%X`/`%o` verbs with width and zero padding, as withSequence.format uses. */
function goFormatInt(format: string, n: number): string {
  return format.replace(/%(0?)(\d*)([dxXob])/g, (_m, zero: string, width: string, verb: string) => {
    const radix = verb === "d" ? 10 : verb === "o" ? 8 : verb === "b" ? 2 : 16;
    let s = Math.abs(n).toString(radix);
    if (verb === "X") s = s.toUpperCase();
    const neg = n < 0 ? "-" : "";
    const w = width ? Number(width) : 0;
    if (zero && s.length + neg.length < w) s = "0".repeat(w - s.length - neg.length) + s;
    s = neg + s;
    return s.length < w ? " ".repeat(w - s.length) + s : s;
  });
}

/** Argo's expandSequence: count or start..end (descending when start > end), items are strings. */
export function expandSequence(seq: Sequence, vars: Vars = {}): string[] {
  const start = toInt(seq.start, "start", vars) ?? 0;
  const count = toInt(seq.count, "count", vars);
  let end = toInt(seq.end, "end", vars);
  if (count !== undefined) {
    if (end !== undefined) throw new LoopError("withSequence: only one of count or end can be defined");
    if (count === 0) return [];
    end = start + count - 1;
  } else if (end === undefined) {
    throw new LoopError("withSequence: one of count or end must be defined");
  }
  const out: string[] = [];
  const step = start <= end ? 1 : -1;
  for (let i = start; step > 0 ? i <= end : i >= end; i += step) out.push(seq.format ? goFormatInt(seq.format, i) : String(i));
  return out;
}

/** The items a call loops over, or undefined if it has no loop. */
export function expandItems(call: TemplateCall, vars: Vars): Item[] | undefined {
  if (call.withItems !== undefined) return call.withItems;
  if (call.withSequence !== undefined) return expandSequence(call.withSequence, vars);
  if (call.withParam !== undefined) {
    const text = substituteString(call.withParam, vars);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new LoopError(`withParam value could not be parsed as a JSON list: ${text.trim().slice(0, 200)}`);
    }
    if (!Array.isArray(parsed)) throw new LoopError(`withParam value must be a JSON list, got: ${text.trim().slice(0, 200)}`);
    return parsed as Item[];
  }
  return undefined;
}

/** Variables an item contributes: `item`, and `item.<key>` for maps. */
export function itemVars(item: Item): Vars {
  const vars: Vars = { item };
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    for (const [k, v] of Object.entries(item)) vars[`item.${k}`] = v;
  }
  return vars;
}
