/**
 * Server-side apply field ownership, read from a live object's `metadata.managedFields` (`FieldsV1`
 * sets): `f:<field>` a map field, `k:<json>` the list item whose key fields have those values,
 * `v:<json>` a set item, `i:<n>` an index, `.` the node itself. An empty node `{}` is a field owned as
 * a whole (a scalar, or an atomic list or map).
 *
 * Two uses: Argo CD's `ignoreDifferences[].managedFieldsManagers` (util/argo/managedfields: a field a
 * trusted manager owns and whose value differs keeps its live value), and predicting which fields a
 * server-side apply by our own field manager would delete because desired no longer has them.
 */
import { deepEqual, isMap, setKey, type JsonMap } from "./diff-normalize.js";

/** One node of a FieldsV1 set. */
export type FieldSet = { [k: string]: FieldSet };

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
}

function entriesOf(live: JsonMap | undefined): ManagedFieldsEntry[] {
  const meta = live?.metadata;
  const mf = isMap(meta) ? meta.managedFields : undefined;
  return Array.isArray(mf) ? (mf.filter(isMap) as ManagedFieldsEntry[]) : [];
}

/** Union of two sets; neither input is changed. */
export function unionSets(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = unionSets(out[k], v) ?? {};
  return out;
}

function setOf(entry: ManagedFieldsEntry): FieldSet | undefined {
  return isMap(entry.fieldsV1) ? (entry.fieldsV1 as FieldSet) : undefined;
}

/** Fields owned by any of `managers` (any operation). */
export function fieldsOwnedBy(live: JsonMap | undefined, managers: readonly string[]): FieldSet | undefined {
  let out: FieldSet | undefined;
  for (const e of entriesOf(live)) if (e.manager !== undefined && managers.includes(e.manager)) out = unionSets(out, setOf(e));
  return out;
}

export interface Ownership {
  /** Fields our manager's last server-side apply set. */
  mine: FieldSet;
  /** Fields every other manager (or our manager through a non-apply operation) owns. */
  others: FieldSet | undefined;
}

/** Undefined when live shows no apply by `manager`: nothing is known to be ours to remove. */
export function ownershipOf(live: JsonMap | undefined, manager: string): Ownership | undefined {
  let mine: FieldSet | undefined;
  let others: FieldSet | undefined;
  for (const e of entriesOf(live)) {
    if (e.manager === manager && e.operation === "Apply") mine = unionSets(mine, setOf(e));
    else others = unionSets(others, setOf(e));
  }
  return mine ? { mine, others } : undefined;
}

export function isLeaf(node: FieldSet): boolean {
  for (const _ in node) return false;
  return true;
}

export function fieldNode(node: FieldSet | undefined, field: string): FieldSet | undefined {
  return node?.[`f:${field}`];
}

const parsedKeys = new Map<string, unknown>();

function parseKey(raw: string): unknown {
  if (parsedKeys.has(raw)) return parsedKeys.get(raw);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  if (parsedKeys.size > 10_000) parsedKeys.clear();
  parsedKeys.set(raw, v);
  return v;
}

/** The node for list item `item` at position `index`: the union of every `k:`/`v:`/`i:` entry naming it. */
export function itemNode(node: FieldSet | undefined, item: unknown, index: number): FieldSet | undefined {
  if (!node) return undefined;
  let out: FieldSet | undefined;
  for (const k of Object.keys(node)) {
    let hit = false;
    if (k.startsWith("k:")) {
      const key = parseKey(k.slice(2));
      hit = isMap(key) && isMap(item) && Object.entries(key).every(([kk, kv]) => deepEqual(item[kk], kv));
    } else if (k.startsWith("v:")) {
      hit = deepEqual(parseKey(k.slice(2)), item);
    } else if (k.startsWith("i:")) {
      hit = Number(k.slice(2)) === index;
    }
    if (hit) out = unionSets(out, node[k]);
  }
  return out;
}

/**
 * For every field in `owned` present on both sides with different values, gives `desired` the live
 * value (mutates `desired`). Argo removes such fields from both sides instead; keeping the live value
 * gives the same verdict and a diff that still shows the field.
 */
export function copyOwnedFields(desired: JsonMap, live: JsonMap, owned: FieldSet): void {
  for (const k of Object.keys(owned)) {
    if (!k.startsWith("f:")) continue;
    const name = k.slice(2);
    if (!Object.hasOwn(desired, name) || !Object.hasOwn(live, name)) continue;
    const node = owned[k];
    const d = desired[name];
    const l = live[name];
    if (isLeaf(node)) {
      if (!deepEqual(d, l)) setKey(desired, name, l);
    } else if (isMap(d) && isMap(l)) {
      copyOwnedFields(d, l, node);
    } else if (Array.isArray(d) && Array.isArray(l)) {
      copyOwnedItems(d, l, node);
    }
  }
}

function copyOwnedItems(desired: unknown[], live: unknown[], owned: FieldSet): void {
  for (let li = 0; li < live.length; li++) {
    const node = itemNode(owned, live[li], li);
    if (!node) continue;
    // The same item on the desired side: by key for `k:` entries, by position for `i:` entries.
    const di = desired.findIndex((d, i) => itemNode(owned, d, i) !== undefined && sameItem(owned, d, i, live[li], li));
    if (di < 0) continue;
    const d = desired[di];
    const l = live[li];
    const inner = withoutSelf(node);
    if (isLeaf(inner)) continue; // only the item's existence is owned
    if (isMap(d) && isMap(l)) copyOwnedFields(d, l, inner);
  }
}

function sameItem(owned: FieldSet, d: unknown, di: number, l: unknown, li: number): boolean {
  for (const k of Object.keys(owned)) {
    if (k.startsWith("i:")) {
      if (Number(k.slice(2)) === di && di === li) return true;
    } else if (k.startsWith("k:") || k.startsWith("v:")) {
      const one: FieldSet = { [k]: owned[k] };
      if (itemNode(one, d, di) && itemNode(one, l, li)) return true;
    }
  }
  return false;
}

export function withoutSelf(node: FieldSet): FieldSet {
  if (!("." in node)) return node;
  const { ".": _self, ...rest } = node;
  return rest;
}
