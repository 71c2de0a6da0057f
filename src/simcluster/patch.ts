// The three patch formats: JSON merge patch (RFC 7386), Kubernetes strategic merge patch (lists merged
// by their patchMergeKey, `$patch`, `$retainKeys`, `$setElementOrder/`, `$deleteFromPrimitiveList/`
// directives) and JSON patch (RFC 6902).
import { itemKey, listStrategy, sameKey, type SchemaContext } from "./list-keys.js";
import { clone, deepEqual, isObject } from "./objects.js";
import { errors, statusBody, ApiError } from "./status.js";
import type { JsonObject } from "./types.js";

/** RFC 7386: objects merge recursively, `null` deletes, anything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const SET_ORDER = "$setElementOrder/";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";

function invalidPatch(message: string): ApiError {
  return new ApiError(statusBody(422, "Invalid", message));
}

/** Strategic merge patch for built-in kinds. `names` are the field names from the object's root. */
export function strategicMergePatch(target: unknown, patch: unknown, ctx: SchemaContext, names: string[] = []): unknown {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === "replace") return stripDirectives(patch);
  if (directive === "delete") return undefined;
  if (directive !== undefined && directive !== "merge") throw invalidPatch(`Unknown patch type: ${JSON.stringify(directive)}`);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.push([k.slice(SET_ORDER.length), v]);
      continue;
    }
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const childNames = [...names, k];
    const merged = Array.isArray(v) ? mergeList(out[k], v, ctx, childNames) : strategicMergePatch(out[k], v, ctx, childNames);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  for (const [field, order] of orders) if (Array.isArray(out[field])) out[field] = reorder(out[field] as unknown[], order, ctx, [...names, field]);
  if (Array.isArray(patch.$retainKeys)) {
    const retain = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "$patch" || k === "$retainKeys" || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], ctx: SchemaContext, names: string[]): unknown[] {
  const st = listStrategy(ctx, names, "strategic");
  const current = Array.isArray(target) ? target : [];
  if (patch.some((x) => isObject(x) && x.$patch === "replace")) return stripDirectives(patch) as unknown[];
  if (st.type === "set") return [...current, ...patch.filter((v) => !current.some((c) => deepEqual(c, v)))];
  if (st.type !== "map") return stripDirectives(patch) as unknown[];
  const out = [...current];
  for (const item of patch) {
    const key = itemKey(item, st);
    if (!key) throw invalidPatch(`map: ${JSON.stringify(item)} does not contain declared merge key: ${st.keys[0]}`);
    const idx = out.findIndex((c) => sameKey(itemKey(c, st), key));
    if (isObject(item) && item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item, ctx, names);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** `$setElementOrder`: items named in the order come first, in that order; the rest keep their place after. */
function reorder(list: unknown[], order: unknown[], ctx: SchemaContext, names: string[]): unknown[] {
  const st = listStrategy(ctx, names, "strategic");
  const keyOf = (x: unknown) => (st.type === "map" ? JSON.stringify(itemKey(x, st)) : JSON.stringify(x));
  const rank = new Map(order.map((o, i) => [keyOf(o), i]));
  const ranked = list.filter((x) => rank.has(keyOf(x))).sort((a, b) => (rank.get(keyOf(a)) ?? 0) - (rank.get(keyOf(b)) ?? 0));
  return [...ranked, ...list.filter((x) => !rank.has(keyOf(x)))];
}

export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw errors.badRequest(`invalid JSON pointer: ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: JsonObject | unknown[]; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw invalidPatch(`the server rejected our request due to an error in our request: jsonpatch: path ${path} does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw invalidPatch(`jsonpatch: path ${path} does not exist`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw invalidPatch(`jsonpatch: path ${path} does not exist`);
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw invalidPatch(`jsonpatch remove operation does not apply: doc is missing path: ${path}`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw invalidPatch(`jsonpatch remove operation does not apply: doc is missing path: ${path}`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length) || (replace && i >= parent.length)) throw invalidPatch(`jsonpatch: index out of range: ${path}`);
    parent.splice(i, replace ? 1 : 0, clone(value));
  } else {
    if (replace && !(key in parent)) throw invalidPatch(`jsonpatch replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = clone(value);
  }
  return doc;
}

/** RFC 6902; a failed `test` or a missing path is 422, a malformed patch 400. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw errors.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.path !== "string") throw errors.badRequest("invalid JSON patch operation");
    switch (raw.op) {
      case "add":
        doc = addAt(doc, raw.path, raw.value, false);
        break;
      case "replace":
        doc = addAt(doc, raw.path, raw.value, true);
        break;
      case "remove":
        removeAt(doc, raw.path);
        break;
      case "move": {
        const v = removeAt(doc, raw.from ?? "");
        doc = addAt(doc, raw.path, v, false);
        break;
      }
      case "copy":
        doc = addAt(doc, raw.path, getAt(doc, raw.from ?? ""), false);
        break;
      case "test":
        if (!deepEqual(getAt(doc, raw.path), raw.value)) throw invalidPatch(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw errors.badRequest(`Unexpected kind: ${String((raw as { op?: unknown }).op)}`);
    }
  }
  return doc;
}
