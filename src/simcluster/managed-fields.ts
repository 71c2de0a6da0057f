// Field ownership (metadata.managedFields): which manager set which fields. A field set is a set of
// paths; a path is a list of elements as fieldsV1 spells them (`f:spec`, `k:{"name":"web"}`,
// `v:"x"`), joined with SEP. A path is in a set either as a leaf (a value) or as a node (a map or
// list item that is itself owned: the `.` entry of fieldsV1).
import { listStrategy, isMapField, itemKey, type SchemaContext } from "./list-keys.js";
import { isObject, timestamp } from "./objects.js";
import type { JsonObject, KubeObject, ManagedFieldsEntry } from "./types.js";

export const SEP = "\u0001";

export interface FieldSet {
  /** Every owned path: leaves and nodes. */
  paths: Set<string>;
  /** Leaf paths with their values as JSON, to tell a changed value from an equal one. */
  leaves: Map<string, string>;
}

/** Metadata the server sets itself; never owned by a manager. */
const SERVER_META = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "generateName",
]);

export const join = (path: string, el: string): string => (path === "" ? el : path + SEP + el);

/** The fields an object (or an applied configuration) sets. */
export function fieldSetOf(obj: JsonObject, ctx: SchemaContext): FieldSet {
  const out: FieldSet = { paths: new Set(), leaves: new Map() };
  const leaf = (path: string, v: unknown) => {
    out.paths.add(path);
    out.leaves.set(path, JSON.stringify(v));
  };
  const walkFields = (value: JsonObject, names: string[], path: string) => {
    for (const [k, v] of Object.entries(value)) walk(v, [...names, k], join(path, `f:${k}`));
  };
  const walk = (value: unknown, names: string[], path: string): void => {
    if (value === undefined) return;
    if (isObject(value)) {
      const defined = Object.keys(value).filter((k) => value[k] !== undefined);
      if (defined.length === 0) return leaf(path, value);
      if (isMapField(ctx, names, value)) out.paths.add(path);
      return walkFields(value, names, path);
    }
    if (Array.isArray(value) && value.length > 0) {
      const st = listStrategy(ctx, names, "apply");
      if (st.type === "map") {
        const keys = value.map((item) => itemKey(item, st));
        const encoded = keys.map((k) => (k ? JSON.stringify(k) : ""));
        if (encoded.every((k) => k !== "") && new Set(encoded).size === encoded.length) {
          value.forEach((item, i) => {
            const p = join(path, `k:${encoded[i]}`);
            out.paths.add(p);
            walkFields(item as JsonObject, names, p);
          });
          return;
        }
      } else if (st.type === "set" && value.every((v) => !isObject(v) && !Array.isArray(v))) {
        for (const v of value) leaf(join(path, `v:${JSON.stringify(v)}`), v);
        return;
      }
    }
    leaf(path, value);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === "apiVersion" || k === "kind") continue;
    if (k === "metadata" && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_META.has(mk)) walk(mv, ["metadata", mk], join("f:metadata", `f:${mk}`));
      continue;
    }
    walk(v, [k], `f:${k}`);
  }
  return out;
}

/** Paths of a set that belong to the main resource or to the status subresource. */
export function inScope(path: string, scope: "main" | "status" | "all"): boolean {
  if (scope === "all") return true;
  const status = path === "f:status" || path.startsWith("f:status" + SEP);
  return scope === "status" ? status : !status;
}

interface TreeNode {
  owned: boolean;
  children: Map<string, TreeNode>;
}

export function encodeFieldsV1(paths: Iterable<string>): JsonObject {
  const root: TreeNode = { owned: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const el of path.split(SEP)) {
      let next = node.children.get(el);
      if (!next) node.children.set(el, (next = { owned: false, children: new Map() }));
      node = next;
    }
    node.owned = true;
  }
  const encode = (node: TreeNode): JsonObject => {
    const out: JsonObject = {};
    if (node.owned && node.children.size > 0) out["."] = {};
    for (const el of [...node.children.keys()].sort()) out[el] = encode(node.children.get(el) as TreeNode);
    return out;
  };
  return encode(root);
}

export function decodeFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: JsonObject, path: string) => {
    for (const [el, child] of Object.entries(node)) {
      if (el === ".") {
        if (path !== "") out.add(path);
        continue;
      }
      const p = join(path, el);
      if (isObject(child) && Object.keys(child).length > 0) walk(child, p);
      else out.add(p);
    }
  };
  if (isObject(fields)) walk(fields, "");
  return out;
}

/** `.spec.template.spec.containers[name="web"].image`, as conflict messages print paths. */
export function pathString(path: string): string {
  return path
    .split(SEP)
    .map((el) => {
      const body = el.slice(2);
      if (el.startsWith("f:")) return `.${body}`;
      if (el.startsWith("v:")) return `[=${body}]`;
      const key = JSON.parse(body) as JsonObject;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]`;
    })
    .join("");
}

/** A managedFields entry with its decoded field set. */
export interface Ownership {
  entry: ManagedFieldsEntry;
  set: Set<string>;
}

export function readOwnership(obj: KubeObject | undefined): Ownership[] {
  return (obj?.metadata.managedFields ?? []).map((entry) => ({ entry, set: decodeFieldsV1(entry.fieldsV1) }));
}

export function writeOwnership(owners: Ownership[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.set.size > 0)
    .map((o) => ({ ...o.entry, fieldsType: "FieldsV1" as const, fieldsV1: encodeFieldsV1(o.set) }));
}

export interface ManagerId {
  manager: string;
  operation: "Apply" | "Update";
  subresource?: string;
}

export function sameManager(e: ManagedFieldsEntry, id: ManagerId): boolean {
  return e.manager === id.manager && e.operation === id.operation && (e.subresource ?? "") === (id.subresource ?? "");
}

/** The ownership entry of a manager, created (at the end of the list) when missing. */
export function ownershipOf(owners: Ownership[], id: ManagerId, apiVersion: string, now: number): Ownership {
  let o = owners.find((x) => sameManager(x.entry, id));
  if (!o) {
    const entry: ManagedFieldsEntry = { manager: id.manager, operation: id.operation, apiVersion, fieldsType: "FieldsV1", fieldsV1: {} };
    if (id.subresource) entry.subresource = id.subresource;
    o = { entry, set: new Set() };
    owners.push(o);
  }
  o.entry = { ...o.entry, apiVersion, time: timestamp(now) };
  return o;
}

/**
 * managedFields after an update (create, PUT, patch): the updater owns every field it added or
 * changed, other managers lose those, and nobody keeps a field the object no longer has.
 */
export function trackUpdate(opts: {
  oldObj: KubeObject | undefined;
  newObj: KubeObject;
  ctx: SchemaContext;
  manager: string;
  subresource?: string;
  scope: "main" | "status" | "all";
  now: number;
}): ManagedFieldsEntry[] {
  const owners = readOwnership(opts.oldObj);
  const before = opts.oldObj ? fieldSetOf(opts.oldObj, opts.ctx) : { paths: new Set<string>(), leaves: new Map<string, string>() };
  const after = fieldSetOf(opts.newObj, opts.ctx);
  const changed = new Set<string>();
  for (const p of after.paths) {
    if (!inScope(p, opts.scope)) continue;
    if (!before.paths.has(p) || (after.leaves.has(p) && before.leaves.get(p) !== after.leaves.get(p))) changed.add(p);
  }
  for (const o of owners) for (const p of changed) o.set.delete(p);
  if (changed.size > 0) {
    const mine = ownershipOf(owners, { manager: opts.manager, operation: "Update", subresource: opts.subresource }, opts.newObj.apiVersion, opts.now);
    for (const p of changed) mine.set.add(p);
  }
  for (const o of owners) for (const p of [...o.set]) if (!after.paths.has(p)) o.set.delete(p);
  return writeOwnership(owners);
}
