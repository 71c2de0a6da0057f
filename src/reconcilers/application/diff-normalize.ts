/**
 * The normalisations Argo CD applies to desired and live alike before comparing them
 * (gitops-engine `pkg/diff/diff.go Normalize`, argo-cd `util/argo/normalizers/diff_normalizer.go`):
 * server-owned metadata and `status` dropped, Secret `stringData` folded into `data`, empty Role rules
 * made absent, `ignoreDifferences` JSON pointers removed, and empty maps and lists pruned.
 */
import { ConfigError } from "../../core/errors.js";
import { groupKindOf, type KubeObject, type ResourceIgnoreDifferences, type ResourceKey } from "./types.js";

export type JsonMap = Record<string, unknown>;

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** Set by the API server or by controllers; never part of what a manifest asks for. */
const SERVER_METADATA = ["creationTimestamp", "managedFields", "resourceVersion", "uid", "generation", "selfLink"];

export function isMap(v: unknown): v is JsonMap {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `obj[key] = value`, also for a key named `__proto__` (a valid ConfigMap key), which `=` would not set. */
export function setKey(obj: JsonMap, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A deep copy of JSON data without null-valued map entries: Kubernetes reads `field: null` as absent. */
export function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (isMap(v)) {
    const out: JsonMap = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x !== null && x !== undefined) setKey(out, k, cloneJson(x));
    }
    return out;
  }
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const am = a as JsonMap;
  const bm = b as JsonMap;
  const ak = Object.keys(am);
  if (ak.length !== Object.keys(bm).length) return false;
  for (const k of ak) {
    if (!Object.hasOwn(bm, k) || !deepEqual(am[k], bm[k])) return false;
  }
  return true;
}

/**
 * A normalised deep copy of `obj` (the input is left alone). The ignoreDifferences stages and
 * `removeEmpty` come after, once the managed-fields step has seen the values.
 */
export function normalizeObject(obj: KubeObject): JsonMap {
  const out = cloneJson(obj) as JsonMap;
  // Argo's default `resource.compareoptions.ignoreResourceStatusField: all` adds `/status` to every kind.
  delete out.status;
  const meta = out.metadata;
  if (isMap(meta)) {
    for (const k of SERVER_METADATA) delete meta[k];
    const ann = meta.annotations;
    if (isMap(ann)) delete ann[LAST_APPLIED_ANNOTATION];
  }
  const { group } = groupKindOf(String(obj.apiVersion ?? ""), obj.kind);
  if (group === "" && obj.kind === "Secret") normalizeSecret(out, obj);
  else if (group === "rbac.authorization.k8s.io" && (obj.kind === "Role" || obj.kind === "ClusterRole")) {
    if (Array.isArray(out.rules) && out.rules.length === 0) delete out.rules;
  }
  return out;
}

/** `stringData` is write-only sugar for base64 `data`; a null value means the empty string (argo-cd#943). */
function normalizeSecret(out: JsonMap, raw: KubeObject): void {
  const rawData = raw.data;
  const rawString = raw.stringData;
  if (!isMap(rawData) && !isMap(rawString)) return;
  const data: JsonMap = {};
  if (isMap(rawData)) for (const [k, v] of Object.entries(rawData)) setKey(data, k, v ?? "");
  if (isMap(rawString)) {
    for (const [k, v] of Object.entries(rawString)) {
      setKey(data, k, typeof v === "string" ? Buffer.from(v, "utf8").toString("base64") : (v ?? ""));
    }
  }
  delete out.stringData;
  out.data = data;
}

/**
 * Removes empty maps and lists, recursively, and list items that become empty maps: what
 * `removeEmptyObjects` does after the ignore normalizer, which Argo runs on every object because the
 * default `/status` override matches every kind. Mutates `obj`.
 */
export function removeEmpty(obj: JsonMap): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (isMap(v)) {
      removeEmpty(v);
      if (Object.keys(v).length === 0) delete obj[k];
    } else if (Array.isArray(v)) {
      const kept = v.filter((item) => {
        if (!isMap(item)) return true;
        removeEmpty(item);
        return Object.keys(item).length > 0;
      });
      if (kept.length === 0) delete obj[k];
      else if (kept.length !== v.length) obj[k] = kept;
    }
  }
}

// ---------------------------------------------------------------- ignoreDifferences

export interface IgnoreRules {
  jsonPointers: string[];
  jqPathExpressions: string[];
  managedFieldsManagers: string[];
}

const globCache = new Map<string, RegExp>();

/** Argo matches `group` and `kind` as globs (util/glob); `*` and `?` are what manifests use. */
function globMatch(pattern: string, text: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === text;
  let re = globCache.get(pattern);
  if (!re) {
    const src = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${src}$`);
    globCache.set(pattern, re);
  }
  return re.test(text);
}

/** Every entry that matches the object, merged (argo-cd `util/argo/diff/ignore.go HasIgnoreDifference`). */
export function ignoreRulesFor(key: ResourceKey, entries: readonly ResourceIgnoreDifferences[] | undefined): IgnoreRules {
  const rules: IgnoreRules = { jsonPointers: [], jqPathExpressions: [], managedFieldsManagers: [] };
  for (const e of entries ?? []) {
    if (!globMatch(e.group ?? "", key.group) || !globMatch(e.kind, key.kind)) continue;
    if (e.name && e.name !== key.name) continue;
    if (e.namespace && e.namespace !== key.namespace) continue;
    rules.jsonPointers.push(...(e.jsonPointers ?? []));
    rules.jqPathExpressions.push(...(e.jqPathExpressions ?? []));
    rules.managedFieldsManagers.push(...(e.managedFieldsManagers ?? []));
  }
  return rules;
}

/** RFC 6901 reference tokens of a pointer; a pointer that does not start with `/` is a config error. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) {
    throw new ConfigError(`ignoreDifferences: invalid jsonPointers entry "${pointer}": a JSON pointer starts with "/" (RFC 6901)`);
  }
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Checks every JSON pointer up front. Argo skips a malformed one silently; an error naming it serves better. */
export function checkPointers(entries: readonly ResourceIgnoreDifferences[] | undefined): void {
  for (const e of entries ?? []) for (const p of e.jsonPointers ?? []) parsePointer(p);
}

/**
 * JSON patch `remove` at `pointer`; a missing path is not an error (Argo skips patches that do not
 * apply). Mutates `doc`.
 */
export function removePointer(doc: JsonMap, pointer: string): void {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return; // removing the whole document does not apply
  let cur: unknown = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    cur = child(cur, tokens[i]);
    if (cur === undefined) return;
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(cur)) {
    const idx = arrayIndex(last, cur.length);
    if (idx !== undefined) cur.splice(idx, 1);
  } else if (isMap(cur)) {
    delete cur[last];
  }
}

function child(v: unknown, token: string): unknown {
  if (Array.isArray(v)) {
    const idx = arrayIndex(token, v.length);
    return idx === undefined ? undefined : v[idx];
  }
  if (isMap(v)) return Object.prototype.hasOwnProperty.call(v, token) ? v[token] : undefined;
  return undefined;
}

function arrayIndex(token: string, length: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const n = Number(token);
  return n < length ? n : undefined;
}
