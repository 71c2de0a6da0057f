/**
 * "Predicted live": what live becomes once desired is server-side applied onto it. Maps merge field
 * by field; lists of objects merge by their Kubernetes merge keys (containers by name, container ports
 * by containerPort and protocol, ...); other lists are replaced. Fields only live has stay, so server
 * defaults and other controllers' fields are never drift, unless our own field manager's last apply
 * set them (live `managedFields`) and no other manager owns them: then the apply deletes them.
 *
 * This is Argo CD's "merge desired onto live, then compare" (gitops-engine `ThreeWayDiff` /
 * `StructuredMergeDiff`) without the OpenAPI schema: merge keys come from a table of the common
 * built-in list fields.
 */
import { fieldNode, isLeaf, itemNode, withoutSelf, type FieldSet, type Ownership } from "./diff-managed-fields.js";
import { isMap, setKey, type JsonMap } from "./diff-normalize.js";
import { quantityEqual } from "./diff-quantity.js";

type KeyFn = (item: JsonMap) => string | undefined;

const byField =
  (field: string): KeyFn =>
  (item) => {
    const v = item[field];
    return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
  };

/** Port lists are keyed by port and protocol (TCP when absent, as the API server defaults it). */
const byPort =
  (field: string): KeyFn =>
  (item) => {
    const v = item[field];
    if (typeof v !== "number" && typeof v !== "string") return undefined;
    return `${v}/${typeof item.protocol === "string" ? item.protocol : "TCP"}`;
  };

const byFields =
  (...fields: string[]): KeyFn =>
  (item) => {
    const parts = fields.map((f) => item[f]);
    return parts.every((p) => typeof p === "string" || typeof p === "number") ? parts.join("/") : undefined;
  };

/** StatefulSet volumeClaimTemplates: the API server defaults fields inside each template (Argo's `statefulSetWorkaround`). */
const byMetadataName: KeyFn = (item) => {
  const meta = item.metadata;
  return isMap(meta) && typeof meta.name === "string" ? meta.name : undefined;
};

/** `patchMergeKey` / `listMapKeys` of the built-in list fields manifests commonly carry. */
const LIST_KEYS: Record<string, KeyFn[]> = {
  containers: [byField("name")],
  initContainers: [byField("name")],
  ephemeralContainers: [byField("name")],
  volumes: [byField("name")],
  env: [byField("name")],
  imagePullSecrets: [byField("name")],
  resourceClaims: [byField("name")],
  schedulingGates: [byField("name")],
  webhooks: [byField("name")],
  volumeMounts: [byField("mountPath")],
  volumeDevices: [byField("devicePath")],
  resizePolicy: [byField("resourceName")],
  hostAliases: [byField("ip")],
  ownerReferences: [byField("uid")],
  topologySpreadConstraints: [byFields("topologyKey", "whenUnsatisfiable")],
  conditions: [byField("type")],
  volumeClaimTemplates: [byMetadataName],
  // Container ports carry containerPort; Service ports carry port.
  ports: [byPort("containerPort"), byPort("port")],
};

/** Lists of strings that merge as sets. */
const SET_LISTS = new Set(["finalizers"]);

/** Maps whose values are resource quantities (`500m` equals `0.5`). */
const QUANTITY_MAPS = new Set(["limits", "requests", "hard", "capacity", "overhead", "allocatable"]);

const REMOVED = Symbol("removed");

export function predictLive(desired: JsonMap, live: JsonMap, own?: Ownership): JsonMap {
  return mergeMaps(desired, live, own?.mine, own?.others, "");
}

function mergeValue(d: unknown, l: unknown, field: string, parentField: string, mine: FieldSet | undefined, others: FieldSet | undefined): unknown {
  if (l === undefined) return d;
  if (isMap(d) && isMap(l)) return mergeMaps(d, l, mine, others, field);
  if (Array.isArray(d) && Array.isArray(l)) return mergeLists(field, d, l, mine, others);
  if (QUANTITY_MAPS.has(parentField) && quantityEqual(d, l)) return l;
  return d;
}

function mergeMaps(d: JsonMap, l: JsonMap, mine: FieldSet | undefined, others: FieldSet | undefined, field: string): JsonMap {
  const out: JsonMap = {};
  for (const k of Object.keys(l)) {
    if (Object.hasOwn(d, k)) {
      setKey(out, k, mergeValue(d[k], l[k], k, field, fieldNode(mine, k), fieldNode(others, k)));
    } else {
      const kept = pruneUnapplied(l[k], fieldNode(mine, k), fieldNode(others, k));
      if (kept !== REMOVED) setKey(out, k, kept);
    }
  }
  for (const k of Object.keys(d)) if (!Object.hasOwn(l, k)) setKey(out, k, d[k]);
  return out;
}

function keyFnFor(field: string, d: unknown[], l: unknown[]): KeyFn | undefined {
  if (!Object.hasOwn(LIST_KEYS, field)) return undefined;
  const candidates = LIST_KEYS[field];
  for (const fn of candidates) {
    if (distinctKeys(d, fn) && distinctKeys(l, fn)) return fn;
  }
  return undefined;
}

/** Every item is an object with a key, and no key repeats: otherwise the list is replaced whole. */
function distinctKeys(items: unknown[], fn: KeyFn): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    if (!isMap(item)) return false;
    const k = fn(item);
    if (k === undefined || seen.has(k)) return false;
    seen.add(k);
  }
  return true;
}

function mergeLists(field: string, d: unknown[], l: unknown[], mine: FieldSet | undefined, others: FieldSet | undefined): unknown[] {
  if (SET_LISTS.has(field) && d.every((x) => typeof x === "string") && l.every((x) => typeof x === "string")) {
    const want = new Set(d as string[]);
    const out: unknown[] = [];
    l.forEach((x, i) => {
      if (want.has(x as string) || !removable(itemNode(mine, x, i), itemNode(others, x, i))) out.push(x);
    });
    for (const x of d) if (!l.includes(x)) out.push(x);
    return out;
  }
  const keyFn = keyFnFor(field, d, l);
  if (!keyFn) return d;
  const desiredByKey = new Map<string, JsonMap>();
  for (const item of d as JsonMap[]) desiredByKey.set(keyFn(item)!, item);
  const out: unknown[] = [];
  const liveKeys = new Set<string>();
  (l as JsonMap[]).forEach((li, i) => {
    const k = keyFn(li)!;
    liveKeys.add(k);
    const mineItem = itemNode(mine, li, i);
    const othersItem = itemNode(others, li, i);
    const di = desiredByKey.get(k);
    if (di) {
      out.push(mergeMaps(di, li, mineItem, othersItem, field));
    } else {
      const kept = pruneUnapplied(li, mineItem, othersItem);
      if (kept !== REMOVED) out.push(kept);
    }
  });
  for (const item of d as JsonMap[]) if (!liveKeys.has(keyFn(item)!)) out.push(item);
  return out;
}

/** A set item our manager applied and no other manager owns. */
function removable(mine: FieldSet | undefined, others: FieldSet | undefined): boolean {
  return mine !== undefined && others === undefined;
}

/**
 * A live value desired no longer mentions: the parts our last apply set and no other manager owns go
 * (REMOVED when nothing is left); the rest stays.
 */
function pruneUnapplied(value: unknown, mine: FieldSet | undefined, others: FieldSet | undefined): unknown {
  if (!mine) return value;
  const inner = withoutSelf(mine);
  if (isLeaf(inner)) {
    // The field as a whole (or a list item, by `.`) was ours.
    return others === undefined ? REMOVED : value;
  }
  if (isMap(value)) {
    const out: JsonMap = {};
    for (const k of Object.keys(value)) {
      const kept = pruneUnapplied(value[k], fieldNode(inner, k), fieldNode(others, k));
      if (kept !== REMOVED) setKey(out, k, kept);
    }
    if (Object.keys(out).length === 0 && others === undefined) return REMOVED;
    return out;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const kept = pruneUnapplied(item, itemNode(inner, item, i), itemNode(others, item, i));
      if (kept !== REMOVED) out.push(kept);
    });
    if (out.length === 0 && others === undefined) return REMOVED;
    return out;
  }
  return value;
}
