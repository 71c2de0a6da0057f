import type { PathSeg } from "../model/load.js";

/** One `{{...}}` of a string, as Argo's fasttemplate cuts it: up to the first `}}`. */
export interface Tag {
  /** The text between the braces, trimmed. */
  inner: string;
  /** `{{= expr}}`: the source after `=`. */
  expression?: string;
  /** Offset of `{{` in the string. */
  index: number;
}

export function findTags(text: string): Tag[] {
  const out: Tag[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf("{{", from);
    if (start < 0) break;
    const end = text.indexOf("}}", start + 2);
    if (end < 0) break;
    const inner = text.slice(start + 2, end).trim();
    out.push(inner.startsWith("=") ? { inner, expression: inner.slice(1), index: start } : { inner, index: start });
    from = end + 2;
  }
  return out;
}

/** Replaces every tag with `placeholder`, for parsers that run after substitution (`when`). */
export function blankTags(text: string, placeholder: string): string {
  let out = "";
  let from = 0;
  for (const tag of findTags(text)) {
    out += text.slice(from, tag.index) + placeholder;
    const end = text.indexOf("}}", tag.index + 2);
    from = end + 2;
  }
  return out + text.slice(from);
}

/** Calls `visit` for every string inside `value` (map values and list items, not map keys). */
export function forEachString(
  value: unknown,
  path: PathSeg[],
  visit: (text: string, path: PathSeg[]) => void,
  skip?: (path: PathSeg[]) => boolean,
): void {
  if (skip?.(path)) return;
  if (typeof value === "string") {
    if (value.includes("{{")) visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => forEachString(v, [...path, i], visit, skip));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) forEachString(v, [...path, k], visit, skip);
  }
}
