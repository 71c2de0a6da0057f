// Server-side apply: merge an applier's configuration into the live object, track which manager owns
// which field, refuse (409) to change a field another manager owns to a different value unless forced,
// and remove the fields an applier applied before and omits now when no other manager owns them.
import { itemKey, listStrategy, sameKey, type SchemaContext } from "./list-keys.js";
import {
  fieldSetOf,
  inScope,
  ownershipOf,
  pathString,
  readOwnership,
  sameManager,
  SEP,
  writeOwnership,
  type Ownership,
} from "./managed-fields.js";
import { clone, deepEqual, isObject } from "./objects.js";
import { errors, type StatusCause } from "./status.js";
import type { JsonObject, KubeObject, ManagedFieldsEntry } from "./types.js";

export interface ApplyInput {
  live: KubeObject | undefined;
  /** The applier's configuration: apiVersion, kind, metadata.name and the fields it wants to own. */
  config: KubeObject;
  manager: string;
  force: boolean;
  subresource?: "status";
  /** "main" for a resource with a status subresource (status is not applied there), else "all". */
  scope: "main" | "status" | "all";
  ctx: SchemaContext;
  now: number;
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
  return out;
}

/** The config restricted to what this endpoint may set: no status on the main resource, only status on /status. */
function scopedConfig(config: KubeObject, scope: ApplyInput["scope"]): KubeObject {
  const c = stripNulls(config) as KubeObject;
  if (scope === "main") delete c.status;
  if (scope === "status") return { apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.metadata?.name }, status: c.status };
  return c;
}

function printManager(e: ManagedFieldsEntry): string {
  const sub = e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : "";
  const who = `${JSON.stringify(e.manager)}${sub}`;
  return e.operation === "Update" ? `${who} using ${e.apiVersion}` : who;
}

interface Conflict {
  owner: Ownership;
  path: string;
}

function conflictError(conflicts: Conflict[]) {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${printManager(c.owner.entry)}`,
    field: pathString(c.path),
  }));
  if (conflicts.length === 1) {
    const [c] = conflicts;
    return errors.applyConflict(`Apply failed with 1 conflict: conflict with ${printManager(c.owner.entry)}: ${pathString(c.path)}`, causes);
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) byManager.set(printManager(c.owner.entry), [...(byManager.get(printManager(c.owner.entry)) ?? []), c]);
  const lines: string[] = [];
  for (const who of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${who}:`);
    for (const c of byManager.get(who) ?? []) lines.push(`- ${pathString(c.path)}`);
  }
  return errors.applyConflict(`Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`, causes);
}

/** Merges an applied configuration into a live value: maps key by key, associative lists item by item. */
export function mergeApplied(live: unknown, applied: unknown, names: string[], ctx: SchemaContext): unknown {
  if (isObject(applied)) {
    if (!isObject(live)) return clone(applied);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(live[k], v, [...names, k], ctx);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const st = listStrategy(ctx, names, "apply");
    if (st.type === "map") {
      const keys = applied.map((item) => itemKey(item, st));
      if (keys.every((k) => k !== undefined)) {
        const used = new Set<number>();
        const out: unknown[] = applied.map((item, i) => {
          const j = live.findIndex((l, idx) => !used.has(idx) && sameKey(itemKey(l, st), keys[i]));
          if (j < 0) return clone(item);
          used.add(j);
          return mergeApplied(live[j], item, names, ctx);
        });
        live.forEach((l, idx) => {
          if (!used.has(idx)) out.push(l);
        });
        return out;
      }
    }
    if (st.type === "set") return [...live, ...applied.filter((v) => !live.some((l) => deepEqual(l, v)))];
  }
  return clone(applied);
}

interface Located {
  parent: JsonObject | unknown[];
  at: string | number;
}

/** Finds the container and key of a path in an object; undefined when it is not there. */
function locate(obj: JsonObject, path: string, ctx: SchemaContext): Located | undefined {
  const els = path.split(SEP);
  const names: string[] = [];
  let cur: unknown = obj;
  let found: Located | undefined;
  for (const el of els) {
    const body = el.slice(2);
    if (el.startsWith("f:")) {
      if (!isObject(cur) || !(body in cur)) return undefined;
      names.push(body);
      found = { parent: cur, at: body };
      cur = cur[body];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const want = JSON.parse(body) as unknown;
      const st = listStrategy(ctx, names, "apply");
      const idx = el.startsWith("v:")
        ? cur.findIndex((v) => deepEqual(v, want))
        : cur.findIndex((item) => st.type === "map" && sameKey(itemKey(item, st), want as JsonObject));
      if (idx < 0) return undefined;
      found = { parent: cur, at: idx };
      cur = cur[idx];
    }
  }
  return found;
}

function valueAt(l: Located): unknown {
  return Array.isArray(l.parent) ? l.parent[l.at as number] : (l.parent as JsonObject)[l.at as string];
}

function removeAt(l: Located): void {
  if (Array.isArray(l.parent)) l.parent.splice(l.at as number, 1);
  else delete (l.parent as JsonObject)[l.at as string];
}

const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

/**
 * Removes paths from an object, outermost first (a list item goes whole, keys included), keeping any
 * node under which a kept path lives; a map or list the removal empties goes too unless kept.
 */
function removePaths(obj: JsonObject, remove: string[], keep: Set<string>, ctx: SchemaContext): void {
  const depth = (p: string) => p.split(SEP).length;
  const keptUnder = (p: string) => [...keep].some((k) => k.startsWith(p + SEP));
  const removed: string[] = [];
  for (const p of [...remove].sort((a, b) => depth(a) - depth(b))) {
    if (removed.some((r) => p.startsWith(r + SEP)) || keptUnder(p)) continue;
    const at = locate(obj, p, ctx);
    if (!at) continue;
    removeAt(at);
    removed.push(p);
    let parentPath = p.split(SEP).slice(0, -1).join(SEP);
    while (parentPath && parentPath !== "f:metadata" && !keep.has(parentPath) && !keptUnder(parentPath)) {
      const parent = locate(obj, parentPath, ctx);
      if (!parent || !isEmpty(valueAt(parent))) break;
      removeAt(parent);
      removed.push(parentPath);
      parentPath = parentPath.split(SEP).slice(0, -1).join(SEP);
    }
  }
}

/** The object after applying, with its managedFields; throws 409 Conflict unless forced. */
export function serverSideApply(input: ApplyInput): KubeObject {
  const { ctx, scope } = input;
  const config = scopedConfig(input.config, scope);
  const applied = fieldSetOf(config, ctx);
  for (const p of [...applied.paths]) if (!inScope(p, scope)) applied.paths.delete(p);
  const live = input.live ? fieldSetOf(input.live, ctx) : undefined;
  const owners = readOwnership(input.live);
  const me = { manager: input.manager, operation: "Apply" as const, subresource: input.subresource };

  const conflicts: Conflict[] = [];
  for (const owner of owners) {
    if (sameManager(owner.entry, me)) continue;
    for (const p of owner.set) {
      if (applied.leaves.has(p) && live?.leaves.get(p) !== applied.leaves.get(p)) conflicts.push({ owner, path: p });
    }
  }
  if (conflicts.length > 0 && !input.force) throw conflictError(conflicts);
  for (const c of conflicts) c.owner.set.delete(c.path);

  const base: JsonObject = input.live ? clone(input.live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  const merged = mergeApplied(base, config, [], ctx) as KubeObject;
  const mine = ownershipOf(owners, me, config.apiVersion, input.now);
  const previous = [...mine.set];
  mine.set = new Set(applied.paths);
  const keep = new Set<string>();
  for (const o of owners) for (const p of o.set) keep.add(p);
  removePaths(merged, previous.filter((p) => !keep.has(p)), keep, ctx);

  const final = fieldSetOf(merged, ctx);
  for (const o of owners) for (const p of [...o.set]) if (!final.paths.has(p)) o.set.delete(p);
  merged.metadata.managedFields = writeOwnership(owners);
  return merged;
}
