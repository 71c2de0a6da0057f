// The Deployment controller, step for step after Kubernetes' pkg/controller/deployment: ReplicaSets
// named `<deploy>-<pod-template-hash>`, rolling updates bounded by maxSurge / maxUnavailable, Recreate,
// proportional scaling mid-rollout, paused deployments, revision annotations, revisionHistoryLimit,
// and the status and conditions (Available, Progressing, ProgressDeadlineExceeded) kubectl and Argo CD read.
import type { SimApi } from "../api.js";
import { matchesLabelSelector, type LabelSelectorObject } from "../selectors.js";
import { ApiError } from "../status.js";
import type { KubeObject } from "../types.js";
import {
  activeSets,
  calculateStatus,
  conditionIn,
  deploymentComplete,
  DESIRED_REPLICAS,
  hasProgressDeadline,
  isRollingUpdate,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  proportion,
  Reasons,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  REVISION,
  revisionOf,
  rolloutStatus,
  sameStatus,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  statusCount,
  stuckRequeue,
} from "./deployment-util.js";
import { computeHash, TEMPLATE_HASH_LABEL, templatesEqualIgnoringHash } from "./hash.js";
import { controllerOf, ownerKey, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { byCreation, claimable, CONTROLLER_MANAGER, controllerRefOf, isOwnedBy, now, num, obj, ownerRefTo, podPhase, spec, splitKey, status, type Obj, recordEvent } from "./util.js";

const COMPONENT = "deployment-controller";

class DeploymentSync {
  private requeue: number | undefined;

  constructor(
    private readonly api: SimApi,
    private d: KubeObject,
  ) {}

  private get ns(): string {
    return this.d.metadata.namespace ?? "";
  }

  private nowMs(): number {
    return this.api.core.now();
  }

  private event(reason: string, message: string, type: "Normal" | "Warning" = "Normal"): void {
    recordEvent(this.api, this.d, { type, reason, message, component: COMPONENT });
  }

  private writeStatus(st: Obj): void {
    this.d = this.api.updateStatus("deployments.apps", { ...this.d, metadata: { ...this.d.metadata, resourceVersion: undefined }, status: st }, { fieldManager: CONTROLLER_MANAGER });
  }

  private setRevision(revision: number): void {
    if (this.d.metadata.annotations?.[REVISION] === String(revision)) return;
    const patch = { metadata: { annotations: { [REVISION]: String(revision) } } };
    this.d = this.api.patch("deployments.apps", this.ns, this.d.metadata.name ?? "", patch, { type: "merge", fieldManager: CONTROLLER_MANAGER });
  }

  /** Writes a ReplicaSet's metadata and spec back, keeping the caller's object current. */
  private updateRS(rs: KubeObject): void {
    const patch = { metadata: { annotations: rs.metadata.annotations ?? {} }, spec: { replicas: spec(rs).replicas, minReadySeconds: spec(rs).minReadySeconds } };
    Object.assign(rs, this.api.patch("replicasets.apps", this.ns, rs.metadata.name ?? "", patch, { type: "merge", fieldManager: CONTROLLER_MANAGER }));
  }

  run(): number | undefined {
    const rsList = this.replicaSets();
    if (this.d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = this.allReplicaSets(rsList, false);
      this.syncStatus([...oldRSs, newRS], newRS);
      return undefined;
    }
    this.checkPausedConditions();
    if (spec(this.d).paused || this.isScalingEvent(rsList)) this.sync(rsList);
    else if (isRollingUpdate(this.d)) this.rolloutRolling(rsList);
    else this.rolloutRecreate(rsList);
    return this.requeue;
  }

  /** The ReplicaSets this Deployment controls; orphans its selector matches are adopted. */
  private replicaSets(): KubeObject[] {
    const all = this.api.list("replicasets.apps", { namespace: this.ns }).items;
    const { owned, orphans } = claimable(all, this.d);
    if (this.d.metadata.deletionTimestamp) return owned;
    for (const rs of orphans) {
      const refs = [...(rs.metadata.ownerReferences ?? []), ownerRefTo(this.d)];
      owned.push(this.api.patch("replicasets.apps", this.ns, rs.metadata.name ?? "", { metadata: { ownerReferences: refs } }, { type: "merge", fieldManager: CONTROLLER_MANAGER }));
    }
    return owned;
  }

  private allReplicaSets(rsList: KubeObject[], create: boolean): { newRS?: KubeObject; oldRSs: KubeObject[] } {
    const template = spec(this.d).template;
    const existing = [...rsList].sort(byCreation).find((rs) => templatesEqualIgnoringHash(spec(rs).template, template));
    const oldRSs = rsList.filter((rs) => rs !== existing);
    return { newRS: this.newReplicaSet(existing, oldRSs, create), oldRSs };
  }

  private newReplicaSet(existing: KubeObject | undefined, oldRSs: KubeObject[], create: boolean): KubeObject | undefined {
    const newRevision = maxRevision(oldRSs) + 1;
    const t = now(this.nowMs());
    if (existing) {
      const annotationsChanged = setNewReplicaSetAnnotations(this.d, existing, newRevision, true);
      if (annotationsChanged || num(spec(existing).minReadySeconds) !== num(spec(this.d).minReadySeconds)) {
        existing.spec = { ...spec(existing), minReadySeconds: num(spec(this.d).minReadySeconds) };
        this.updateRS(existing);
        return existing;
      }
      this.setRevision(revisionOf(existing));
      if (hasProgressDeadline(this.d) && !conditionIn(status(this.d), "Progressing")) {
        const st = { ...status(this.d) };
        setCondition(st, newCondition("Progressing", "True", Reasons.FoundNewRS, `Found new replica set "${existing.metadata.name}"`, t));
        this.writeStatus(st);
      }
      return existing;
    }
    if (!create) return undefined;
    const template = structuredClone(obj(spec(this.d).template));
    const collisionCount = typeof status(this.d).collisionCount === "number" ? (status(this.d).collisionCount as number) : undefined;
    const hash = computeHash(template, collisionCount);
    const meta = obj(template.metadata);
    meta.labels = { ...obj(meta.labels), [TEMPLATE_HASH_LABEL]: hash };
    template.metadata = meta;
    const selector = structuredClone(obj(spec(this.d).selector));
    selector.matchLabels = { ...obj(selector.matchLabels), [TEMPLATE_HASH_LABEL]: hash };
    const rs: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: `${this.d.metadata.name}-${hash}`, namespace: this.ns, labels: meta.labels as Record<string, string>, ownerReferences: [ownerRefTo(this.d)] },
      spec: { replicas: 0, minReadySeconds: num(spec(this.d).minReadySeconds), selector, template },
    };
    rs.spec = { ...spec(rs), replicas: newRSNewReplicas(this.d, [...oldRSs, rs], rs) };
    setNewReplicaSetAnnotations(this.d, rs, newRevision, false);
    let created: KubeObject;
    let alreadyExists = false;
    try {
      created = this.api.create("replicasets.apps", rs, { namespace: this.ns, fieldManager: CONTROLLER_MANAGER });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const found = err.reason === "AlreadyExists" ? this.api.tryGet("replicasets.apps", this.ns, rs.metadata.name ?? "") : undefined;
      if (found && isOwnedBy(found, this.d) && templatesEqualIgnoringHash(spec(found).template, spec(this.d).template)) {
        created = found;
        alreadyExists = true;
      } else if (found) {
        // A hash collision: another template owns the name. Count it and try again with a new hash.
        this.writeStatus({ ...status(this.d), collisionCount: (collisionCount ?? 0) + 1 });
        this.requeue = 1;
        return undefined;
      } else {
        const message = `Failed to create new replica set "${rs.metadata.name}": ${err.message}`;
        if (hasProgressDeadline(this.d)) {
          const st = { ...status(this.d) };
          setCondition(st, newCondition("Progressing", "False", Reasons.FailedRSCreate, message, t));
          this.writeStatus(st);
        }
        this.event(Reasons.FailedRSCreate, message, "Warning");
        this.requeue = 5000;
        return undefined;
      }
    }
    const replicas = num(spec(created).replicas);
    if (!alreadyExists && replicas > 0) this.event("ScalingReplicaSet", `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    this.setRevision(newRevision);
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      const st = { ...status(this.d) };
      setCondition(st, newCondition("Progressing", "True", Reasons.NewRSCreated, `Created new replica set "${created.metadata.name}"`, t));
      this.writeStatus(st);
    }
    return created;
  }

  private checkPausedConditions(): void {
    if (!hasProgressDeadline(this.d)) return;
    const cond = conditionIn(status(this.d), "Progressing");
    if (cond?.reason === Reasons.TimedOut) return;
    const pausedNoted = cond?.reason === Reasons.Paused;
    const paused = Boolean(spec(this.d).paused);
    if (paused === pausedNoted) return;
    const st = { ...status(this.d) };
    const t = now(this.nowMs());
    if (paused) setCondition(st, newCondition("Progressing", "Unknown", Reasons.Paused, "Deployment is paused", t));
    else setCondition(st, newCondition("Progressing", "Unknown", Reasons.Resumed, "Deployment is resumed", t));
    this.writeStatus(st);
  }

  private isScalingEvent(rsList: KubeObject[]): boolean {
    const { newRS, oldRSs } = this.allReplicaSets(rsList, false);
    return activeSets(present([...oldRSs, newRS])).some((rs) => {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== replicasOf(this.d);
    });
  }

  /** Scaling and paused deployments: resize, no new ReplicaSet. */
  private sync(rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.allReplicaSets(rsList, false);
    this.scale(newRS, oldRSs);
    if (spec(this.d).paused) this.cleanup(oldRSs);
    this.syncStatus([...oldRSs, newRS], newRS);
  }

  private scale(newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
    const desired = replicasOf(this.d);
    const newestFirst = [...oldRSs].sort(byCreation).reverse();
    const active = activeSets(present([...newestFirst, newRS]));
    const only = active.length === 1 ? active[0] : active.length === 0 ? (newRS ?? newestFirst[0]) : undefined;
    if (only) {
      if (num(spec(only).replicas) !== desired) this.scaleRS(only, desired);
      return;
    }
    if (active.length === 0) return;
    if (newRS && newRS.metadata.annotations?.[DESIRED_REPLICAS] === String(desired) && num(spec(newRS).replicas) === desired && num(status(newRS).availableReplicas) === desired) {
      for (const rs of activeSets(oldRSs)) this.scaleRS(rs, 0);
      return;
    }
    if (!isRollingUpdate(this.d)) return;
    const allowed = desired > 0 ? desired + maxSurge(this.d) : 0;
    const toAdd = allowed - specReplicas(active);
    const bySize = (newerFirst: boolean) => (a: KubeObject, b: KubeObject) => {
      const diff = num(spec(b).replicas) - num(spec(a).replicas);
      if (diff !== 0) return diff;
      return newerFirst ? byCreation(b, a) : byCreation(a, b);
    };
    if (toAdd > 0) active.sort(bySize(true));
    else if (toAdd < 0) active.sort(bySize(false));
    let added = 0;
    const sizes = active.map((rs) => {
      if (toAdd === 0) return num(spec(rs).replicas);
      const p = proportion(rs, this.d, toAdd, added);
      added += p;
      return num(spec(rs).replicas) + p;
    });
    if (toAdd !== 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added);
    active.forEach((rs, i) => this.scaleRS(rs, sizes[i], toAdd > 0 ? "up" : "down"));
  }

  /** scaleReplicaSet: size and the desired/max annotations; an event when the size changes. */
  private scaleRS(rs: KubeObject, size: number, operation?: string): boolean {
    const desired = replicasOf(this.d);
    const max = desired + maxSurge(this.d);
    const old = num(spec(rs).replicas);
    const sizeChanged = old !== size;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
    rs.spec = { ...spec(rs), replicas: size };
    setReplicasAnnotations(rs, desired, max);
    this.updateRS(rs);
    if (sizeChanged) this.event("ScalingReplicaSet", `Scaled ${operation ?? (size > old ? "up" : "down")} replica set ${rs.metadata.name} from ${old} to ${size}`);
    return sizeChanged;
  }

  private rolloutRolling(rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.allReplicaSets(rsList, true);
    // No new ReplicaSet (a hash collision, a failed create): try again later.
    if (!newRS) return;
    const all = [...oldRSs, newRS];
    if (this.reconcileNewRS(all, newRS)) return this.syncRolloutStatus(all, newRS);
    if (this.reconcileOldRSs(all, activeSets(oldRSs), newRS)) return this.syncRolloutStatus(all, newRS);
    if (deploymentComplete(this.d, status(this.d))) this.cleanup(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  private reconcileNewRS(all: KubeObject[], newRS: KubeObject): boolean {
    const desired = replicasOf(this.d);
    const current = num(spec(newRS).replicas);
    if (current === desired) return false;
    if (current > desired) return this.scaleRS(newRS, desired, "down");
    return this.scaleRS(newRS, newRSNewReplicas(this.d, all, newRS), "up");
  }

  private reconcileOldRSs(all: KubeObject[], oldRSs: KubeObject[], newRS: KubeObject | undefined): boolean {
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = replicasOf(this.d) - maxUnavailable(this.d);
    const newUnavailable = newRS ? num(spec(newRS).replicas) - num(status(newRS).availableReplicas) : 0;
    const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // Unhealthy old replicas go first: they cost no availability.
    let cleaned = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = num(spec(rs).replicas) - num(status(rs).availableReplicas);
      if (num(spec(rs).replicas) === 0 || unhealthy <= 0) continue;
      const n = Math.min(maxScaledDown - cleaned, unhealthy);
      this.scaleRS(rs, num(spec(rs).replicas) - n, "down");
      cleaned += n;
    }
    const availableNow = statusCount(present([...oldRSs, newRS]), "availableReplicas");
    let scaledDown = 0;
    if (availableNow > minAvailable) {
      const total = availableNow - minAvailable;
      for (const rs of [...oldRSs].sort(byCreation)) {
        if (scaledDown >= total) break;
        if (num(spec(rs).replicas) === 0) continue;
        const n = Math.min(num(spec(rs).replicas), total - scaledDown);
        this.scaleRS(rs, num(spec(rs).replicas) - n, "down");
        scaledDown += n;
      }
    }
    return cleaned + scaledDown > 0;
  }

  private rolloutRecreate(rsList: KubeObject[]): void {
    let { newRS, oldRSs } = this.allReplicaSets(rsList, false);
    let all = present([...oldRSs, newRS]);
    let scaledDown = false;
    for (const rs of activeSets(oldRSs)) scaledDown = this.scaleRS(rs, 0, "down") || scaledDown;
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(all, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = this.allReplicaSets(rsList, true));
      all = present([...oldRSs, newRS]);
    }
    if (newRS) this.scaleRS(newRS, replicasOf(this.d), "up");
    if (deploymentComplete(this.d, status(this.d))) this.cleanup(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (statusCount(oldRSs, "replicas") > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    const selector = spec(this.d).selector as LabelSelectorObject | undefined;
    return this.api
      .list("pods", { namespace: this.ns, readonly: true })
      .items.some((p) => {
        const ref = controllerRefOf(p);
        return ref && ref.uid !== newRS?.metadata.uid && oldUids.has(ref.uid) && matchesLabelSelector(selector, p.metadata.labels) && !["Succeeded", "Failed"].includes(podPhase(p));
      });
  }

  /** Deletes the oldest unused ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(oldRSs: KubeObject[]): void {
    const limit = spec(this.d).revisionHistoryLimit;
    if (typeof limit !== "number") return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if (num(status(rs).replicas) !== 0 || num(spec(rs).replicas) !== 0 || (rs.metadata.generation ?? 1) > num(status(rs).observedGeneration)) continue;
      this.api.delete("replicasets.apps", this.ns, rs.metadata.name ?? "");
    }
  }

  private syncStatus(all: Array<KubeObject | undefined>, newRS: KubeObject | undefined): void {
    const st = calculateStatus(present(all), newRS, this.d, now(this.nowMs()));
    if (!sameStatus(st, status(this.d))) this.writeStatus(st);
  }

  private syncRolloutStatus(all: KubeObject[], newRS: KubeObject | undefined): void {
    const t = this.nowMs();
    const st = rolloutStatus(all, newRS, this.d, t, now(t));
    if (sameStatus(st, status(this.d))) {
      const after = stuckRequeue(this.d, st, t);
      if (after !== undefined) this.requeue = Math.min(this.requeue ?? after, after);
      return;
    }
    this.writeStatus(st);
  }
}

const present = (xs: Array<KubeObject | undefined>): KubeObject[] => xs.filter((x): x is KubeObject => x !== undefined);

export function startDeploymentController(api: SimApi): Controller {
  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const d = api.tryGet("deployments.apps", namespace, name);
    if (!d) return;
    return new DeploymentSync(api, d).run();
  };
  const queue = new WorkQueue("deployment", reconcile);
  return controllerOf(queue, [
    watchKeys(api, "deployments.apps", queue),
    watchKeys(api, "replicasets.apps", queue, (e) => ownerKey(e.object, "Deployment")),
    // Recreate waits for the old pods to be gone.
    watchKeys(api, "pods", queue, (e) => {
      if (e.type !== "DELETED") return undefined;
      const rsKey = ownerKey(e.object, "ReplicaSet");
      const rs = rsKey ? api.tryGet("replicasets.apps", e.object.metadata.namespace, rsKey.slice(rsKey.indexOf("/") + 1)) : undefined;
      return rs ? ownerKey(rs, "Deployment") : undefined;
    }),
  ]);
}
