// Deletion as the real server and controller-manager do it: finalizers hold an object (with
// deletionTimestamp set) until they are removed; propagation Background (dependents collected after
// the owner is gone), Foreground (the owner waits, with the `foregroundDeletion` finalizer, until its
// blocking dependents are gone) or Orphan (dependents lose their ownerReference); namespaces go
// Terminating, empty themselves, then disappear; bound pods get their grace period.
import type { ClusterCore } from "./core.js";
import { clone, isObject, timestamp } from "./objects.js";
import { storageKey } from "./resources.js";
import { errors } from "./status.js";
import type { KubeObject, ResourceType } from "./types.js";
import { commit, removeNow, stillHeld, systemUpdate } from "./writes.js";

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  /** Pods bound to a node: how long the kubelet has to stop them (default: the pod's terminationGracePeriodSeconds). */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as deleted, or with deletionTimestamp set while something holds it. */
  object: KubeObject;
  /** Whether it is gone now. */
  deleted: boolean;
}

const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);
const FOREGROUND = "foregroundDeletion";
const ORPHAN = "orphan";

const isPod = (rt: ResourceType) => rt.group === "" && rt.plural === "pods";
const isNamespace = (rt: ResourceType) => rt.group === "" && rt.plural === "namespaces";

function podGrace(rt: ResourceType, o: KubeObject, opts: DeleteOptions): number {
  if (!isPod(rt)) return 0;
  const spec = isObject(o.spec) ? o.spec : {};
  const phase = isObject(o.status) ? o.status.phase : undefined;
  if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
  const grace = opts.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === "number" ? spec.terminationGracePeriodSeconds : 30);
  return Math.max(0, grace);
}

export function deleteObject(core: ClusterCore, rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
  const key = storageKey(rt);
  const old = core.store.get(key, rt.namespaced ? ns : undefined, name);
  if (!old) throw errors.notFound(rt, name);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== old.metadata.uid) {
    throw errors.conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
    throw errors.conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
  }
  if (isNamespace(rt) && PROTECTED_NAMESPACES.has(name)) {
    throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, rt, name);
  }
  const policy = opts.propagationPolicy ?? "Background";
  if (!["Background", "Foreground", "Orphan"].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const next = clone(old);
  const finalizers = new Set(next.metadata.finalizers ?? []);
  const hasDependents = core.store.dependentsOf(old.metadata.uid ?? "").length > 0;
  if (opts.propagationPolicy) {
    // An explicit policy replaces whatever an earlier delete asked for.
    finalizers.delete(ORPHAN);
    finalizers.delete(FOREGROUND);
  }
  if (hasDependents && policy === "Foreground") finalizers.add(FOREGROUND);
  if (hasDependents && policy === "Orphan") finalizers.add(ORPHAN);
  next.metadata.finalizers = [...finalizers];
  if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;

  const grace = podGrace(rt, old, opts);
  if (old.metadata.deletionTimestamp) {
    // Deleting again: a pod's grace period can only shorten; finalizers follow a new policy.
    if (isPod(rt) && grace < (old.metadata.deletionGracePeriodSeconds ?? 0)) {
      next.metadata.deletionGracePeriodSeconds = grace;
      next.metadata.deletionTimestamp = timestamp(core.now() + grace * 1000);
    }
    return { object: commit(core, rt, old, next, opts), deleted: !core.store.get(key, old.metadata.namespace, name) };
  }
  next.metadata.deletionTimestamp = timestamp(core.now() + grace * 1000);
  next.metadata.deletionGracePeriodSeconds = grace;
  if (!stillHeld(rt, next)) {
    if (opts.dryRun) return { object: clone(old), deleted: true };
    return { object: removeNow(core, rt, old), deleted: true };
  }
  if (rt.generation) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
  if (isNamespace(rt)) next.status = { ...(isObject(next.status) ? next.status : {}), phase: "Terminating" };
  if (opts.dryRun) return { object: next, deleted: false };
  const stored = core.store.put(key, next);
  if (grace > 0) {
    const uid = stored.metadata.uid ?? "";
    setTimeout(() => expireGrace(core, uid), grace * 1000).unref();
  }
  core.scheduleGc();
  return { object: clone(stored), deleted: false };
}

/** A pod's grace period ran out (the kubelet did not finish first): it goes, unless finalizers hold it. */
function expireGrace(core: ClusterCore, uid: string): void {
  const found = core.store.byUid(uid);
  const rt = found && core.registry.tryResolve({ group: "", resource: "pods" });
  if (!found || !rt || (found.object.metadata.deletionGracePeriodSeconds ?? 0) === 0) return;
  systemUpdate(core, rt, found.object, "kubelet", (o) => (o.metadata.deletionGracePeriodSeconds = 0));
}

/**
 * The garbage collector and namespace controller, run soon after any change that may need them:
 * processes orphan and foreground finalizers, deletes dependents whose owners are all gone, and
 * empties terminating namespaces.
 */
export class GarbageCollector {
  private scheduled = false;

  constructor(private readonly core: ClusterCore) {
    core.scheduleGc = () => this.schedule();
  }

  get pending(): boolean {
    return this.scheduled;
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (let pass = 0; pass < 100 && this.pass(); pass++);
    });
  }

  private rtOf(key: string): ResourceType | undefined {
    return this.core.registry.all().find((rt) => storageKey(rt) === key);
  }

  /** One pass; true when it changed something (another pass may find more). */
  private pass(): boolean {
    let changed = false;
    for (const { key, object } of this.core.store.deleting()) {
      const rt = this.rtOf(key);
      // Earlier steps of this pass may have changed or removed it.
      const current = this.core.store.byUid(object.metadata.uid ?? "")?.object;
      if (rt && current) changed = this.processDeleting(rt, current) || changed;
    }
    return this.collectOrphans() || changed;
  }

  private deleteQuietly(rt: ResourceType, o: KubeObject, policy: PropagationPolicy): void {
    try {
      deleteObject(this.core, rt, o.metadata.namespace, o.metadata.name ?? "", { propagationPolicy: policy });
    } catch {
      // Gone or refused meanwhile: the next pass sees the current state.
    }
  }

  private processDeleting(rt: ResourceType, o: KubeObject): boolean {
    const { store } = this.core;
    const uid = o.metadata.uid ?? "";
    const finalizers = o.metadata.finalizers ?? [];
    const dropFinalizer = (name: string) =>
      systemUpdate(this.core, rt, o, "kube-controller-manager", (x) => {
        x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== name);
        if (x.metadata.finalizers.length === 0) delete x.metadata.finalizers;
      });
    if (finalizers.includes(ORPHAN)) {
      for (const d of store.dependentsOf(uid)) {
        const drt = this.rtOf(d.key);
        if (drt) systemUpdate(this.core, drt, d.object, "kube-controller-manager", (x) => dropOwner(x, uid));
      }
      dropFinalizer(ORPHAN);
      return true;
    }
    if (finalizers.includes(FOREGROUND)) {
      let changed = false;
      for (const d of store.dependentsOf(uid)) {
        const drt = this.rtOf(d.key);
        if (!drt || d.object.metadata.deletionTimestamp) continue;
        const nested = store.dependentsOf(d.object.metadata.uid ?? "").length > 0;
        this.deleteQuietly(drt, d.object, nested ? "Foreground" : "Background");
        changed = true;
      }
      const blocking = store.dependentsOf(uid).filter((d) => (d.object.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blocking.length === 0) {
        const current = store.byUid(uid)?.object;
        if (current) systemUpdate(this.core, rt, current, "kube-controller-manager", (x) => {
          x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
          if (x.metadata.finalizers.length === 0) delete x.metadata.finalizers;
        });
        return true;
      }
      return changed;
    }
    if (isNamespace(rt)) return this.emptyNamespace(rt, o);
    return false;
  }

  private emptyNamespace(rt: ResourceType, ns: KubeObject): boolean {
    const name = ns.metadata.name ?? "";
    let left = 0;
    let changed = false;
    for (const key of this.core.store.keys()) {
      const crt = this.rtOf(key);
      if (!crt?.namespaced) continue;
      for (const o of this.core.store.list(key, name)) {
        if (!o.metadata.deletionTimestamp) {
          this.deleteQuietly(crt, o, "Background");
          changed = true;
        }
        if (this.core.store.get(key, name, o.metadata.name ?? "")) left++;
      }
    }
    const spec = isObject(ns.spec) ? ns.spec : {};
    if (left === 0 && Array.isArray(spec.finalizers) && spec.finalizers.length > 0) {
      systemUpdate(this.core, rt, ns, "kube-controller-manager", (x) => (x.spec = { ...(x.spec as object), finalizers: [] }));
      return true;
    }
    return changed;
  }

  /** Dependents whose owners are all gone are deleted; dangling references to some owners are dropped. */
  private collectOrphans(): boolean {
    const { store } = this.core;
    let changed = false;
    for (const ownerUid of store.missingOwners()) {
      for (const d of store.dependentsOf(ownerUid)) {
        const drt = this.rtOf(d.key);
        if (!drt) continue;
        const refs = d.object.metadata.ownerReferences ?? [];
        const alive = refs.filter((r) => store.byUid(r.uid));
        if (alive.length === 0) {
          if (!d.object.metadata.deletionTimestamp) {
            this.deleteQuietly(drt, d.object, "Background");
            changed = true;
          }
        } else {
          systemUpdate(this.core, drt, d.object, "kube-controller-manager", (x) => dropOwner(x, ownerUid));
          changed = true;
        }
      }
    }
    return changed;
  }
}

function dropOwner(o: KubeObject, uid: string): void {
  const refs = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
  if (refs.length > 0) o.metadata.ownerReferences = refs;
  else delete o.metadata.ownerReferences;
}
