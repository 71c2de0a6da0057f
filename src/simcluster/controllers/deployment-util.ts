// Kubernetes' deployment_util, as pure functions over plain objects: surge and unavailability
// fenceposts, revision and replica annotations, the new ReplicaSet's size, the status a Deployment
// reports, and the Progressing / Available conditions with the exact reasons kubectl and Argo CD read.
import { deepEqual } from "../objects.js";
import type { KubeObject } from "../types.js";
import { conditionsOf, num, obj, scaledValue, spec, status, type Condition, type Obj } from "./util.js";

export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
const NOT_COPIED = new Set([REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, "kubectl.kubernetes.io/last-applied-configuration", "deprecated.deployment.rollback.to"]);
const MAX_INT32 = 2147483647;

export const Reasons = {
  NewRSAvailable: "NewReplicaSetAvailable",
  RSUpdated: "ReplicaSetUpdated",
  TimedOut: "ProgressDeadlineExceeded",
  NewRSCreated: "NewReplicaSetCreated",
  FoundNewRS: "FoundNewReplicaSet",
  FailedRSCreate: "ReplicaSetCreateError",
  Paused: "DeploymentPaused",
  Resumed: "DeploymentResumed",
  MinimumAvailable: "MinimumReplicasAvailable",
  MinimumUnavailable: "MinimumReplicasUnavailable",
} as const;

export const replicasOf = (o: KubeObject): number => num(spec(o).replicas, 1);
export const isRollingUpdate = (d: KubeObject): boolean => obj(spec(d).strategy).type !== "Recreate";
export const hasProgressDeadline = (d: KubeObject): boolean => typeof spec(d).progressDeadlineSeconds === "number" && spec(d).progressDeadlineSeconds !== MAX_INT32;

/** ResolveFenceposts: surge rounds up, unavailability down; both zero means one unavailable. */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const ru = obj(obj(spec(d).strategy).rollingUpdate);
  const desired = replicasOf(d);
  const surge = scaledValue(ru.maxSurge ?? "25%", desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? "25%", desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const maxSurge = (d: KubeObject): number => (isRollingUpdate(d) ? fenceposts(d).surge : 0);

export function maxUnavailable(d: KubeObject): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired);
}

export function revisionOf(rs: KubeObject): number {
  const v = rs.metadata.annotations?.[REVISION];
  return v && /^\d+$/.test(v) ? Number(v) : 0;
}

export const maxRevision = (rss: KubeObject[]): number => rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
export const specReplicas = (rss: KubeObject[]): number => rss.reduce((n, rs) => n + num(spec(rs).replicas), 0);
export const statusCount = (rss: KubeObject[], field: string): number => rss.reduce((n, rs) => n + num(status(rs)[field]), 0);
export const activeSets = (rss: KubeObject[]): KubeObject[] => rss.filter((rs) => num(spec(rs).replicas) > 0);

/** How many replicas the new ReplicaSet should have now (NewRSNewReplicas). */
export function newRSNewReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = num(spec(newRS).replicas);
  const maxTotal = replicasOf(d) + maxSurge(d);
  const total = specReplicas(allRSs);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, replicasOf(d) - current);
}

function annotations(rs: KubeObject): Record<string, string> {
  rs.metadata.annotations ??= {};
  return rs.metadata.annotations;
}

export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  annotations(rs)[DESIRED_REPLICAS] = String(desired);
  annotations(rs)[MAX_REPLICAS] = String(max);
  return true;
}

/** SetNewReplicaSetAnnotations: the Deployment's own annotations, the revision (and its history). */
export function setNewReplicaSetAnnotations(d: KubeObject, rs: KubeObject, newRevision: number, exists: boolean): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || rs.metadata.annotations?.[k] === v) continue;
    annotations(rs)[k] = v;
    changed = true;
  }
  const a = annotations(rs);
  const had = a[REVISION];
  const oldRevision = had === undefined ? 0 : /^\d+$/.test(had) ? Number(had) : undefined;
  if (oldRevision === undefined) return false;
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    // A rollback to this template: keep the revisions it had.
    if (had !== undefined) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${had}` : had;
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

export function newCondition(type: string, st: Condition["status"], reason: string, message: string, nowStr: string): Condition {
  return { type, status: st, lastUpdateTime: nowStr, lastTransitionTime: nowStr, reason, message };
}

/** SetDeploymentCondition: unchanged when status and reason are the same; keeps lastTransitionTime while status holds. */
export function setCondition(st: Obj, c: Condition): void {
  const conds = Array.isArray(st.conditions) ? (st.conditions as Condition[]) : [];
  const current = conds.find((x) => x.type === c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c.lastTransitionTime = current.lastTransitionTime;
  st.conditions = [...conds.filter((x) => x.type !== c.type), c];
}

export function removeCondition(st: Obj, type: string): void {
  if (!Array.isArray(st.conditions)) return;
  st.conditions = (st.conditions as Condition[]).filter((x) => x.type !== type);
  if ((st.conditions as Condition[]).length === 0) delete st.conditions;
}

export const conditionIn = (st: Obj, type: string): Condition | undefined => (Array.isArray(st.conditions) ? (st.conditions as Condition[]) : []).find((c) => c.type === type);

/** The status the ReplicaSets add up to, with the Available condition (calculateStatus). */
export function calculateStatus(allRSs: KubeObject[], newRS: KubeObject | undefined, d: KubeObject, nowStr: string): Obj {
  const available = statusCount(allRSs, "availableReplicas");
  const st: Obj = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: statusCount(allRSs, "replicas"),
    updatedReplicas: newRS ? num(status(newRS).replicas) : 0,
    readyReplicas: statusCount(allRSs, "readyReplicas"),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
  };
  for (const k of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"]) if (st[k] === 0) delete st[k];
  if (status(d).collisionCount !== undefined) st.collisionCount = status(d).collisionCount;
  const conds = conditionsOf(d);
  if (conds.length > 0) st.conditions = conds.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(st, newCondition("Available", "True", Reasons.MinimumAvailable, "Deployment has minimum availability.", nowStr));
  } else {
    setCondition(st, newCondition("Available", "False", Reasons.MinimumUnavailable, "Deployment does not have minimum availability.", nowStr));
  }
  return st;
}

export function deploymentComplete(d: KubeObject, st: Obj): boolean {
  const want = replicasOf(d);
  return num(st.updatedReplicas) === want && num(st.replicas) === want && num(st.availableReplicas) === want && num(st.observedGeneration) >= (d.metadata.generation ?? 1);
}

/** Whether the new status shows progress over the stored one (DeploymentProgressing). */
export function deploymentProgressing(d: KubeObject, st: Obj): boolean {
  const old = status(d);
  const oldOld = num(old.replicas) - num(old.updatedReplicas);
  const newOld = num(st.replicas) - num(st.updatedReplicas);
  return num(st.updatedReplicas) > num(old.updatedReplicas) || newOld < oldOld || num(st.readyReplicas) > num(old.readyReplicas) || num(st.availableReplicas) > num(old.availableReplicas);
}

export function deploymentTimedOut(d: KubeObject, st: Obj, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = conditionIn(st, "Progressing");
  if (!c || c.reason === Reasons.NewRSAvailable) return false;
  if (c.reason === Reasons.TimedOut) return true;
  return Date.parse(c.lastUpdateTime ?? "") + num(spec(d).progressDeadlineSeconds) * 1000 < nowMs;
}

/** The Progressing condition after a rollout step (the body of syncRolloutStatus). */
export function rolloutStatus(allRSs: KubeObject[], newRS: KubeObject | undefined, d: KubeObject, nowMs: number, nowStr: string): Obj {
  const st = calculateStatus(allRSs, newRS, d, nowStr);
  if (!hasProgressDeadline(d)) removeCondition(st, "Progressing");
  const current = conditionIn(status(d), "Progressing");
  const complete = num(st.replicas) === num(st.updatedReplicas) && current?.reason === Reasons.NewRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, st)) {
      setCondition(st, newCondition("Progressing", "True", Reasons.NewRSAvailable, `${subject} has successfully progressed.`, nowStr));
    } else if (deploymentProgressing(d, st)) {
      const c = newCondition("Progressing", "True", Reasons.RSUpdated, `${subject} is progressing.`, nowStr);
      if (current?.status === "True") c.lastTransitionTime = current.lastTransitionTime;
      removeCondition(st, "Progressing");
      setCondition(st, c);
    } else if (deploymentTimedOut(d, st, nowMs)) {
      setCondition(st, newCondition("Progressing", "False", Reasons.TimedOut, `${subject} has timed out progressing.`, nowStr));
    }
  }
  // The new ReplicaSet's failure first (getReplicaFailures), with the ReplicaSet's own time.
  const failuresOf = (rss: KubeObject[]) => rss.flatMap((rs) => conditionsOf(rs).filter((c) => c.type === "ReplicaFailure"));
  const failure = failuresOf(newRS ? [newRS] : [])[0] ?? failuresOf(allRSs)[0];
  if (failure) {
    const at = failure.lastTransitionTime ?? nowStr;
    setCondition(st, { ...newCondition("ReplicaFailure", failure.status, failure.reason ?? "", failure.message ?? "", at) });
  } else removeCondition(st, "ReplicaFailure");
  return st;
}

/** When to look again at a rollout that shows no progress (requeueStuckDeployment), in ms; undefined: no need. */
export function stuckRequeue(d: KubeObject, st: Obj, nowMs: number): number | undefined {
  const c = conditionIn(status(d), "Progressing");
  if (!hasProgressDeadline(d) || !c || deploymentComplete(d, st) || c.reason === Reasons.TimedOut) return undefined;
  const after = Date.parse(c.lastUpdateTime ?? "") + num(spec(d).progressDeadlineSeconds) * 1000 - nowMs;
  return Math.max(after + 20, 100);
}

export const sameStatus = (a: Obj, b: Obj): boolean => deepEqual(a, b);

/** A ReplicaSet's share when the Deployment is resized mid-rollout (getReplicaSetFraction). */
function fraction(rs: KubeObject, d: KubeObject): number {
  if (replicasOf(d) === 0) return -num(spec(rs).replicas);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? Number.NaN);
  const base = Number.isFinite(annotated) ? annotated : num(status(d).replicas);
  const size = (num(spec(rs).replicas) * deploymentReplicas) / base;
  return Math.sign(size) * Math.round(Math.abs(size)) - num(spec(rs).replicas);
}

/** GetProportion: bounded by what is still to add (up) or remove (down). */
export function proportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number): number {
  if (num(spec(rs).replicas) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}
