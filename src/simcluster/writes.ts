// The write path shared by HTTP and the internal API: create, update (PUT), status updates, the
// three patches and server-side apply. Each ends in `commit`, which bumps generation when the spec
// changed, skips no-op writes (no new resourceVersion, as the real server), stores, and finishes a
// deletion whose finalizers are gone.
import { serverSideApply } from "./apply.js";
import type { ClusterCore } from "./core.js";
import { crdStatus, resourceOfCrd } from "./crd.js";
import { applyDefaults, initialStatus } from "./defaults.js";
import { trackUpdate } from "./managed-fields.js";
import { clone, deepEqual, isObject, randomSuffix, timestamp } from "./objects.js";
import { jsonPatch, mergePatch, strategicMergePatch } from "./patch.js";
import { splitApiVersion, storageKey } from "./resources.js";
import { scaleOf, withScale } from "./scale.js";
import { errors } from "./status.js";
import { apiVersionOf, type KubeObject, type ManagedFieldsEntry, type ResourceType } from "./types.js";
import { validateObject } from "./validation.js";

export interface WriteOptions {
  /** The namespace the request is for (the URL's); metadata.namespace must agree when set. */
  namespace?: string;
  /** Who makes the change (managedFields). Default: "simcluster". */
  fieldManager?: string;
  dryRun?: boolean;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: "status" | "scale";
}

export interface WriteResult {
  object: KubeObject;
  created: boolean;
}

export const DEFAULT_MANAGER = "simcluster";
const NAMESPACES = { group: "", plural: "namespaces" };

/** Checks and completes apiVersion, kind and namespace of an incoming object (a copy). */
function prepare(rt: ResourceType, input: unknown, opts: WriteOptions): KubeObject {
  if (!isObject(input)) throw errors.badRequest("the body of the request was not an object");
  const o = clone(input) as KubeObject;
  if (!isObject(o.metadata)) o.metadata = {};
  if (o.kind !== undefined && o.kind !== rt.kind) {
    throw errors.badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${rt.kind})`);
  }
  if (o.apiVersion !== undefined) {
    const { group, version } = splitApiVersion(String(o.apiVersion));
    if (group !== rt.group || !rt.versions.includes(version)) {
      throw errors.badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersionOf(rt.group, rt.version)})`);
    }
  }
  o.apiVersion = apiVersionOf(rt.group, rt.version);
  o.kind = rt.kind;
  if (rt.namespaced) {
    const ns = opts.namespace ?? o.metadata.namespace;
    if (opts.namespace && o.metadata.namespace && opts.namespace !== o.metadata.namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (!ns) throw errors.badRequest("a namespace is required for namespaced resources");
    o.metadata.namespace = ns;
  } else delete o.metadata.namespace;
  return o;
}

export function requireNamespace(core: ClusterCore, ns: string, forCreate: boolean, rt?: ResourceType, name?: string): void {
  const n = core.store.get("/namespaces", undefined, ns);
  if (!n) throw errors.notFound(NAMESPACES, ns);
  if (forCreate && n.metadata.deletionTimestamp) {
    const what = rt ? `${rt.group ? `${rt.plural}.${rt.group}` : rt.plural} "${name ?? ""}" is forbidden: ` : "";
    throw errors.forbidden(`${what}unable to create new content in namespace ${ns} because it is being terminated`, rt, name);
  }
}

function scopeOf(rt: ResourceType): "main" | "all" {
  return rt.status ? "main" : "all";
}

/** Server-set metadata survives any update. */
function keepServerMeta(next: KubeObject, old: KubeObject): void {
  const m = next.metadata as Record<string, unknown>;
  const o = old.metadata as Record<string, unknown>;
  for (const k of ["name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"] as const) {
    if (o[k] === undefined) delete m[k];
    else m[k] = o[k];
  }
  delete m.selfLink;
  if (m.managedFields === undefined) m.managedFields = o.managedFields;
}

function keepAllocations(rt: ResourceType, next: KubeObject, old: KubeObject): void {
  if (rt.group !== "" || rt.plural !== "services" || !isObject(next.spec) || !isObject(old.spec)) return;
  for (const k of ["clusterIP", "clusterIPs"]) if (next.spec[k] === undefined && old.spec[k] !== undefined) next.spec[k] = old.spec[k];
}

function checkFinalizers(rt: ResourceType, next: KubeObject, old: KubeObject): void {
  if (!old.metadata.deletionTimestamp) return;
  const added = (next.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
  if (added.length > 0) {
    throw errors.invalid(rt.kind, rt.group, old.metadata.name ?? "", [
      { reason: "FieldValueForbidden", field: "metadata.finalizers", message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` },
    ]);
  }
}

/** Whether something still holds a deleted object: finalizers, a namespace's content, a pod's grace period. */
export function stillHeld(rt: ResourceType, o: KubeObject): boolean {
  if ((o.metadata.finalizers ?? []).length > 0) return true;
  if (rt.group === "" && rt.plural === "namespaces") {
    const spec = isObject(o.spec) ? o.spec : {};
    if (Array.isArray(spec.finalizers) && spec.finalizers.length > 0) return true;
  }
  return rt.group === "" && rt.plural === "pods" && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

/** Removes an object now; a CRD takes its custom resources with it. */
export function removeNow(core: ClusterCore, rt: ResourceType, o: KubeObject): KubeObject {
  const final = core.store.remove(storageKey(rt), o);
  if (rt.group === "" && rt.plural === "pods") core.logs.deletePod(o.metadata.namespace ?? "", o.metadata.name ?? "");
  if (rt.group === "apiextensions.k8s.io" && rt.plural === "customresourcedefinitions") {
    const served = core.registry.all().find((r) => r.crd?.name === o.metadata.name);
    if (served) {
      for (const cr of core.store.list(storageKey(served))) core.store.remove(storageKey(served), cr);
      core.registry.unregister(served);
    }
  }
  core.scheduleGc();
  return clone(final);
}

function withoutTimes(entries: ManagedFieldsEntry[] | undefined): unknown {
  return (entries ?? []).map(({ time: _time, ...rest }) => rest);
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: withoutTimes(o.metadata.managedFields) } });
  return deepEqual(strip(a), strip(b));
}

function changedOutsideMetadata(rt: ResourceType, a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const c: Record<string, unknown> = { ...o };
    delete c.metadata;
    if (rt.status) delete c.status;
    return c;
  };
  return !deepEqual(strip(a), strip(b));
}

/** Stores an updated object (or returns the old one when nothing changed). */
export function commit(core: ClusterCore, rt: ResourceType, old: KubeObject, next: KubeObject, opts: { dryRun?: boolean }): KubeObject {
  if (rt.generation && changedOutsideMetadata(rt, old, next)) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
  if (sameObject(old, next)) return clone(old);
  if (opts.dryRun) return next;
  const stored = core.store.put(storageKey(rt), next);
  afterWrite(core, rt, stored, old);
  if (stored.metadata.deletionTimestamp && !stillHeld(rt, stored)) return removeNow(core, rt, stored);
  return clone(stored);
}

/** An update made by the server itself (garbage collector, namespace controller, CRD status). */
export function systemUpdate(core: ClusterCore, rt: ResourceType, old: KubeObject, manager: string, change: (o: KubeObject) => void, subresource?: "status"): KubeObject {
  const next = clone(old);
  change(next);
  const scope = subresource === "status" ? "status" : scopeOf(rt);
  next.metadata.managedFields = trackUpdate({ oldObj: old, newObj: next, ctx: core.schemaContext(rt), manager, subresource, scope, now: core.now() });
  return commit(core, rt, old, next, {});
}

function afterWrite(core: ClusterCore, rt: ResourceType, stored: KubeObject, old: KubeObject | undefined): void {
  if (rt.group === "apiextensions.k8s.io" && rt.plural === "customresourcedefinitions") {
    const served = resourceOfCrd(stored);
    const clash = core.registry.tryResolve({ group: served.group, resource: served.plural });
    if (!clash || clash.crd) core.registry.register(served);
    if (!old) systemUpdate(core, rt, stored, "kube-apiserver", (o) => (o.status = crdStatus(o, core.now())), "status");
  }
  const refsChanged = !deepEqual(old?.metadata.ownerReferences ?? [], stored.metadata.ownerReferences ?? []);
  if (stored.metadata.deletionTimestamp || refsChanged) core.scheduleGc();
}

/** Completes and stores a new object. */
function finishCreate(core: ClusterCore, rt: ResourceType, o: KubeObject, opts: WriteOptions, managed?: ManagedFieldsEntry[]): KubeObject {
  const m = o.metadata;
  const key = storageKey(rt);
  if (!m.name && m.generateName) {
    for (let i = 0; i < 8 && !m.name; i++) {
      const candidate = m.generateName + randomSuffix(core.random);
      if (!core.store.get(key, m.namespace, candidate)) m.name = candidate;
    }
  }
  m.uid = core.uid();
  m.creationTimestamp = timestamp(core.now());
  for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "resourceVersion"]) delete m[k];
  if (rt.generation) m.generation = 1;
  else delete m.generation;
  if (rt.status) {
    const s = initialStatus(rt);
    if (s) o.status = s;
    else delete o.status;
  }
  applyDefaults(rt, o, core.defaulting, true);
  validateObject(rt, o);
  if (core.store.get(key, m.namespace, m.name ?? "")) throw errors.alreadyExists(rt, m.name ?? "");
  if (managed) m.managedFields = managed;
  else if (!m.managedFields?.length) {
    const manager = opts.fieldManager ?? DEFAULT_MANAGER;
    m.managedFields = trackUpdate({ oldObj: undefined, newObj: o, ctx: core.schemaContext(rt), manager, scope: scopeOf(rt), now: core.now() });
  }
  if (opts.dryRun) return o;
  const stored = core.store.put(key, o);
  afterWrite(core, rt, stored, undefined);
  return clone(stored);
}

export function createObject(core: ClusterCore, rt: ResourceType, input: unknown, opts: WriteOptions = {}): KubeObject {
  const o = prepare(rt, input, opts);
  if (o.metadata.resourceVersion) throw errors.badRequest("resourceVersion should not be set on objects to be created");
  if (o.metadata.namespace) requireNamespace(core, o.metadata.namespace, true, rt, o.metadata.name);
  return finishCreate(core, rt, o, opts);
}

function getOr404(core: ClusterCore, rt: ResourceType, ns: string | undefined, name: string): KubeObject {
  const old = core.store.get(storageKey(rt), rt.namespaced ? ns : undefined, name);
  if (!old) throw errors.notFound(rt, name);
  return old;
}

function checkVersion(rt: ResourceType, o: KubeObject, old: KubeObject): void {
  const rv = o.metadata.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) {
    throw errors.conflict(rt, old.metadata.name ?? "", "the object has been modified; please apply your changes to the latest version and try again");
  }
}

/** Replaces the main resource of `old` by `next` (status kept when it is a subresource). */
function replaceFrom(core: ClusterCore, rt: ResourceType, old: KubeObject, next: KubeObject, opts: WriteOptions, managed?: ManagedFieldsEntry[]): KubeObject {
  checkVersion(rt, next, old);
  const explicit = next.metadata.managedFields !== undefined && !deepEqual(withoutTimes(next.metadata.managedFields), withoutTimes(old.metadata.managedFields));
  keepServerMeta(next, old);
  if (rt.status) {
    if (old.status === undefined) delete next.status;
    else next.status = clone(old.status);
  }
  checkFinalizers(rt, next, old);
  applyDefaults(rt, next, core.defaulting, false);
  keepAllocations(rt, next, old);
  validateObject(rt, next, old);
  if (managed) next.metadata.managedFields = managed;
  else if (!explicit) {
    const manager = opts.fieldManager ?? DEFAULT_MANAGER;
    next.metadata.managedFields = trackUpdate({ oldObj: old, newObj: next, ctx: core.schemaContext(rt), manager, scope: scopeOf(rt), now: core.now() });
  }
  return commit(core, rt, old, next, opts);
}

/** PUT: replaces an object; a stale resourceVersion is 409 Conflict. */
export function updateObject(core: ClusterCore, rt: ResourceType, input: unknown, opts: WriteOptions & { name?: string } = {}): KubeObject {
  const o = prepare(rt, input, opts);
  if (opts.name && o.metadata.name && opts.name !== o.metadata.name) {
    throw errors.badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${opts.name})`);
  }
  const name = o.metadata.name ?? opts.name;
  if (!name) throw errors.badRequest("name is required");
  const old = getOr404(core, rt, o.metadata.namespace, name);
  return replaceFrom(core, rt, old, o, opts);
}

/** PUT on /status: only status changes. */
export function updateStatusObject(core: ClusterCore, rt: ResourceType, input: unknown, opts: WriteOptions & { name?: string } = {}): KubeObject {
  if (!rt.status) throw errors.pathNotFound();
  const o = prepare(rt, input, opts);
  const old = getOr404(core, rt, o.metadata.namespace, o.metadata.name ?? opts.name ?? "");
  checkVersion(rt, o, old);
  return setStatus(core, rt, old, o.status, opts);
}

function setStatus(core: ClusterCore, rt: ResourceType, old: KubeObject, status: unknown, opts: WriteOptions): KubeObject {
  const next = clone(old);
  if (status === undefined) delete next.status;
  else next.status = clone(status);
  const manager = opts.fieldManager ?? DEFAULT_MANAGER;
  next.metadata.managedFields = trackUpdate({ oldObj: old, newObj: next, ctx: core.schemaContext(rt), manager, subresource: "status", scope: "status", now: core.now() });
  return commit(core, rt, old, next, opts);
}

function runPatch(rt: ResourceType, target: KubeObject, body: unknown, type: PatchType): KubeObject {
  let out: unknown;
  if (type === "merge") out = mergePatch(target, body);
  else if (type === "json") out = jsonPatch(target, body);
  else {
    if (rt.crd && target.kind !== "Scale") {
      throw errors.unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
      );
    }
    out = strategicMergePatch(target, body, { builtin: true });
  }
  if (!isObject(out)) throw errors.invalid(rt.kind, rt.group, target.metadata.name ?? "", [{ message: "the patch result is not an object" }]);
  const o = out as KubeObject;
  if (!isObject(o.metadata)) o.metadata = {};
  o.apiVersion = target.apiVersion;
  o.kind = target.kind;
  o.metadata.name = target.metadata.name;
  if (target.metadata.namespace) o.metadata.namespace = target.metadata.namespace;
  return o;
}

/** PATCH, on the object or its status or scale subresource; `type: "apply"` is server-side apply. */
export function patchObject(core: ClusterCore, rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: PatchOptions): WriteResult {
  if (opts.type === "apply") return applyObject(core, rt, ns, name, body, opts);
  const old = getOr404(core, rt, ns, name);
  if (opts.subresource === "status") {
    if (!rt.status) throw errors.pathNotFound();
    const patched = runPatch(rt, clone(old), body, opts.type);
    checkVersion(rt, patched, old);
    return { object: setStatus(core, rt, old, patched.status, opts), created: false };
  }
  if (opts.subresource === "scale") {
    const scale = runPatch(rt, scaleOf(rt, old), body, opts.type);
    return { object: replaceFrom(core, rt, old, withScale(rt, old, scale), opts), created: false };
  }
  return { object: replaceFrom(core, rt, old, runPatch(rt, clone(old), body, opts.type), opts), created: false };
}

/** Server-side apply: creates the object when absent; 409 on conflicts with other managers unless forced. */
export function applyObject(core: ClusterCore, rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: PatchOptions): WriteResult {
  if (!opts.fieldManager) throw errors.badRequest("PATCH requests with apply content type must include fieldManager query param");
  if (!isObject(body)) throw errors.badRequest("the body of the request was not an object");
  if (!body.apiVersion || !body.kind) throw errors.badRequest(`Object 'apiVersion' and 'Kind' must be set in an apply request`);
  if (isObject(body.metadata) && body.metadata.managedFields !== undefined) throw errors.badRequest("metadata.managedFields must be nil");
  const config = prepare(rt, body, { namespace: rt.namespaced ? ns : undefined });
  if (config.metadata.name && config.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
  }
  config.metadata.name = name;
  const status = opts.subresource === "status";
  if (status && !rt.status) throw errors.pathNotFound();
  const scope = status ? "status" : scopeOf(rt);
  const input = { config, manager: opts.fieldManager, force: opts.force ?? false, scope, ctx: core.schemaContext(rt), now: core.now() } as const;
  const old = core.store.get(storageKey(rt), config.metadata.namespace, name);
  if (!old) {
    if (status) throw errors.notFound(rt, name);
    if (config.metadata.namespace) requireNamespace(core, config.metadata.namespace, true, rt, name);
    const merged = serverSideApply({ ...input, live: undefined });
    return { object: finishCreate(core, rt, merged, opts, merged.metadata.managedFields), created: true };
  }
  checkVersion(rt, config, old);
  const merged = serverSideApply({ ...input, live: old, subresource: status ? "status" : undefined });
  if (status) {
    const next = clone(old);
    next.status = merged.status;
    next.metadata.managedFields = merged.metadata.managedFields;
    return { object: commit(core, rt, old, next, opts), created: false };
  }
  const managed = merged.metadata.managedFields;
  merged.metadata.resourceVersion = old.metadata.resourceVersion;
  return { object: replaceFrom(core, rt, old, merged, opts, managed), created: false };
}
