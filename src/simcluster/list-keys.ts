// How lists and maps inside objects merge: which lists are associative (merged item by item by key
// fields, like containers by `name`), which are sets (finalizers), which are atomic (replaced whole).
// Built-in kinds use the keys Kubernetes' own types declare; custom resources use their CRD schema
// (`x-kubernetes-list-type` / `x-kubernetes-list-map-keys`), atomic otherwise, as the real server does.
import { isObject } from "./objects.js";
import type { JsonObject } from "./types.js";

export type ListStrategy =
  | { type: "map"; keys: string[]; defaults: Record<string, unknown> }
  | { type: "set" }
  | { type: "atomic" };

export interface SchemaContext {
  /** Built-in kind: the key tables below apply everywhere, not only under metadata. */
  builtin: boolean;
  /** openAPIV3Schema of a custom resource. */
  schema?: JsonObject;
}

/** Apply merges by all of a list's keys; strategic merge patch by one patchMergeKey. */
export type Purpose = "apply" | "strategic";

const CONTAINER_LISTS = new Set(["containers", "initContainers", "ephemeralContainers"]);
const BY_NAME = new Set([...CONTAINER_LISTS, "env", "volumes", "imagePullSecrets", "resourceClaims"]);

function builtinStrategy(names: string[], purpose: Purpose): ListStrategy {
  const last = names[names.length - 1];
  const parent = names[names.length - 2];
  const map = (keys: string[], defaults: Record<string, unknown> = {}): ListStrategy => ({ type: "map", keys, defaults });
  if (BY_NAME.has(last)) return map(["name"]);
  if (last === "ports") {
    const inContainer = parent !== undefined && CONTAINER_LISTS.has(parent);
    const key = inContainer ? "containerPort" : "port";
    return purpose === "apply" ? map([key, "protocol"], { protocol: "TCP" }) : map([key]);
  }
  if (last === "volumeMounts") return map(["mountPath"]);
  if (last === "volumeDevices") return map(["devicePath"]);
  if (last === "hostAliases") return map(["ip"]);
  if (last === "conditions") return map(["type"]);
  if (last === "ownerReferences") return map(["uid"]);
  if (last === "topologySpreadConstraints") {
    return purpose === "apply" ? map(["topologyKey", "whenUnsatisfiable"]) : map(["topologyKey"]);
  }
  if (last === "finalizers") return { type: "set" };
  return { type: "atomic" };
}

/** The schema node at a path of field names (lists step into `items`). */
function schemaAt(schema: JsonObject | undefined, names: string[]): JsonObject | undefined {
  let cur: unknown = schema;
  for (const name of names) {
    while (isObject(cur) && cur.type === "array" && isObject(cur.items)) cur = cur.items;
    if (!isObject(cur)) return undefined;
    const props = cur.properties;
    if (isObject(props) && isObject(props[name])) cur = props[name];
    else if (isObject(cur.additionalProperties)) cur = cur.additionalProperties;
    else return undefined;
  }
  return isObject(cur) ? cur : undefined;
}

/** How the list at this path (field names from the object's root) merges. */
export function listStrategy(ctx: SchemaContext, names: string[], purpose: Purpose): ListStrategy {
  if (ctx.builtin || names[0] === "metadata") return builtinStrategy(names, purpose);
  const node = schemaAt(ctx.schema, names);
  const type = node?.["x-kubernetes-list-type"];
  if (type === "set") return { type: "set" };
  if (type === "map" && Array.isArray(node?.["x-kubernetes-list-map-keys"])) {
    const keys = node["x-kubernetes-list-map-keys"] as string[];
    return purpose === "apply" ? { type: "map", keys, defaults: {} } : { type: "map", keys: keys.slice(0, 1), defaults: {} };
  }
  return { type: "atomic" };
}

const MAP_FIELDS = new Set(["labels", "annotations", "data", "stringData", "binaryData", "matchLabels", "nodeSelector", "limits", "requests", "capacity", "allocatable"]);

/** Whether an object at this path is a map (string keys chosen by users) rather than a struct. */
export function isMapField(ctx: SchemaContext, names: string[], value: JsonObject): boolean {
  const last = names[names.length - 1];
  if (MAP_FIELDS.has(last)) return true;
  if (last === "selector" && !("matchLabels" in value) && !("matchExpressions" in value)) return names[0] === "spec";
  if (!ctx.builtin && names[0] !== "metadata") {
    const node = schemaAt(ctx.schema, names);
    return isObject(node?.additionalProperties) && !isObject(node?.properties);
  }
  return false;
}

/** The key of an associative-list item, defaults filled in; undefined when a key field is missing. */
export function itemKey(item: unknown, strategy: { keys: string[]; defaults: Record<string, unknown> }): JsonObject | undefined {
  if (!isObject(item)) return undefined;
  const key: JsonObject = {};
  for (const k of strategy.keys) {
    const v = item[k] ?? strategy.defaults[k];
    if (v === undefined || v === null) return undefined;
    key[k] = v;
  }
  return key;
}

export function sameKey(a: JsonObject | undefined, b: JsonObject | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
