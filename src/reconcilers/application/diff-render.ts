/**
 * Text output of a diff: YAML with sorted keys (deterministic), Secret values masked the way Argo CD's
 * `HideSecretData` does (gitops-engine pkg/diff), and a unified diff with 3 lines of context.
 */
import { structuredPatch } from "diff";
import { stringify } from "yaml";
import { isMap, setKey, type JsonMap } from "./diff-normalize.js";
import type { ResourceKey } from "./types.js";

export function renderYaml(obj: unknown): string {
  // Merged objects share sub-objects: no anchors/aliases; no folding of long lines.
  return stringify(obj, { sortMapEntries: true, aliasDuplicateObjects: false, lineWidth: 0, minContentWidth: 0 });
}

const SECRET_FIELDS = ["data", "stringData"] as const;
const FIRST_MASK = "++++++++";

/**
 * Copies of the two sides with every Secret `data`/`stringData` value replaced by a run of `+`: a value
 * gets the same mask wherever it appears, and each different value of a key a longer one, so a changed
 * value still shows as a change without showing the value.
 */
export function maskSecretData(desired: JsonMap | undefined, live: JsonMap | undefined): [JsonMap | undefined, JsonMap | undefined] {
  const sides = [desired, live].map((o) => (o && isSecret(o) ? { ...o } : o));
  if (!sides.some((o) => o && isSecret(o))) return [desired, live];
  for (const field of SECRET_FIELDS) {
    const keys = new Set<string>();
    for (const o of sides) if (o && isMap(o[field])) for (const k of Object.keys(o[field] as JsonMap)) keys.add(k);
    if (keys.size === 0) continue;
    for (const o of sides) if (o && isMap(o[field])) o[field] = { ...(o[field] as JsonMap) };
    for (const k of keys) {
      const masks = new Map<string, string>();
      for (const o of sides) {
        const data = o?.[field];
        if (!isMap(data) || !Object.hasOwn(data, k)) continue;
        const value = String(data[k] ?? "");
        let mask = masks.get(value);
        if (mask === undefined) {
          mask = FIRST_MASK + "++++".repeat(masks.size);
          masks.set(value, mask);
        }
        setKey(data, k, mask);
      }
    }
  }
  return [sides[0], sides[1]];
}

function isSecret(o: JsonMap): boolean {
  return o.kind === "Secret" && o.apiVersion === "v1";
}

/** `apps/Deployment default/web`; `Namespace web` for the core group and cluster scope. */
export function describeKey(key: ResourceKey): string {
  const gk = key.group ? `${key.group}/${key.kind}` : key.kind;
  return `${gk} ${key.namespace ? `${key.namespace}/${key.name}` : key.name}`;
}

/** A unified diff from `oldText` to `newText`, "" when they are equal. */
export function unifiedDiff(oldText: string, newText: string, oldLabel: string, newLabel: string): string {
  if (oldText === newText) return "";
  const patch = structuredPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, { context: 3 });
  const lines = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  for (const h of patch.hunks) {
    lines.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`);
    lines.push(...h.lines);
  }
  return lines.join("\n") + "\n";
}

/** GNU style: an empty range names the line before it (`-0,0` for an empty old side). */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
