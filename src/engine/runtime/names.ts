import { randomBytes } from "node:crypto";
import { goJson } from "../expr/expr-lang.js";

/** Argo's node naming: ids are `<workflow>-<fnv32a(node name)>`, the root node's id is the workflow name. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function nodeIdOf(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv32a(nodeName)}`;
}

/** Argo strips parentheses from loop item descriptions in node names. */
export function loopNodeName(base: string, index: number, item: unknown): string {
  return `${base}(${index}:${itemDescription(item)})`;
}

export function itemDescription(item: unknown): string {
  let s: string;
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    s = Object.keys(item)
      .sort()
      .map((k) => `${k}:${formatItemValue((item as Record<string, unknown>)[k])}`)
      .join(",");
  } else s = formatItemValue(item);
  return s.replace(/[()]/g, "");
}

/** Go's `%v`-like rendering used for `{{item}}` of scalars and `{{item.key}}`; maps and lists are JSON. */
export function formatItemValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return goJson(v);
  return String(v);
}

/** Argo's generateName: the prefix and five random lowercase alphanumerics. */
export function generateName(prefix: string): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let s = "";
  for (const b of randomBytes(5)) s += alphabet[b % alphabet.length];
  return prefix + s;
}
