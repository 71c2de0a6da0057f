/**
 * Doing what a plan says, through the Cluster port, in the plan's order: ReplicaSets created, scaled,
 * annotated and deleted, Services' selectors switched, AnalysisRuns created from their templates and
 * terminated; then the Rollout's status written through its status subresource with the resourceVersion
 * read as a precondition, so a promote or abort written meanwhile by someone else is never overwritten
 * (the write fails with 409 and the controller reconciles again).
 */
import type { Cluster, KubeObject, ObjectRef } from "../../core/ports/cluster.js";
import { newAnalysisRun } from "./analysis-run.js";
import { mergePatchOf } from "./merge-patch.js";
import { ARGO_API_VERSION } from "./model.js";
import { rolloutRefOf, templatesOf, type Observed, type RolloutRef } from "./controller-observe.js";
import type { AnalysisRunRequest, RolloutAction, RolloutPlan } from "./plan-types.js";
import { replicasOf } from "./replicas.js";
import { REASONS, calculateRolloutPhase, newCondition, rfc3339 } from "./status.js";
import type { AnalysisRun, RolloutStatus } from "./types.js";
import { DESIRED_REPLICAS_ANNOTATION, MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, SCALE_DOWN_DEADLINE_ANNOTATION } from "./types.js";

export const isConflict = (err: unknown): boolean => (err as { status?: number }).status === 409;
const isNotFound = (err: unknown): boolean => (err as { status?: number }).status === 404;

const rsRef = (ns: string, name: string): ObjectRef => ({ apiVersion: "apps/v1", kind: "ReplicaSet", namespace: ns, name });

function ownerRef(o: Observed) {
  return { apiVersion: ARGO_API_VERSION, kind: "Rollout", name: o.object.metadata.name!, uid: o.object.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

/** newAnalysisRunFromRollout: the run from its templates, owned by the Rollout. A run that cannot be built is created in Error, so the Rollout aborts and says why. */
async function createRun(cluster: Cluster, o: Observed, req: AnalysisRunRequest, now: Date): Promise<void> {
  const ns = o.object.metadata.namespace ?? "default";
  let run: AnalysisRun;
  let failure: string | undefined;
  try {
    const templates = await templatesOf(cluster, ns, req.analysis);
    run = newAnalysisRun({
      name: req.name,
      namespace: ns,
      templates,
      args: req.args,
      dryRun: req.analysis.dryRun,
      measurementRetention: req.analysis.measurementRetention,
      labels: req.labels,
      annotations: req.annotations,
    });
  } catch (err) {
    failure = (err as Error).message;
    run = { apiVersion: ARGO_API_VERSION, kind: "AnalysisRun", metadata: { name: req.name, namespace: ns, labels: req.labels, annotations: req.annotations }, spec: { metrics: [], args: req.args } };
  }
  run.metadata.ownerReferences = [ownerRef(o)];
  let created: KubeObject;
  try {
    created = await cluster.create(run as unknown as KubeObject);
  } catch (err) {
    if (isConflict(err)) return; // another replica created it first
    throw err;
  }
  if (failure !== undefined) {
    const ref = { apiVersion: ARGO_API_VERSION, kind: "AnalysisRun", namespace: ns, name: req.name };
    await cluster.patch(ref, { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { phase: "Error", message: failure, startedAt: rfc3339(now.getTime()) } }, "merge", { subresource: "status" });
  }
}

async function applyAction(cluster: Cluster, o: Observed, a: RolloutAction, now: Date): Promise<void> {
  const ns = o.object.metadata.namespace ?? "default";
  switch (a.kind) {
    case "createReplicaSet": {
      const rs = structuredClone(a.replicaSet);
      rs.metadata.ownerReferences = [ownerRef(o)];
      try {
        await cluster.create(rs);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      return;
    }
    case "scaleReplicaSet":
      await cluster.patch(rsRef(ns, a.name), { metadata: { annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(replicasOf(o.rollout.spec)) } }, spec: { replicas: a.to } }, "merge");
      return;
    case "setRevision":
      await cluster.patch(rsRef(ns, a.name), { metadata: { annotations: { [REVISION_ANNOTATION]: String(a.revision) } } }, "merge");
      return;
    case "setScaleDownDeadline":
      await cluster.patch(rsRef(ns, a.name), { metadata: { annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: a.deadline } } }, "merge");
      return;
    case "removeScaleDownDeadline":
      await cluster.patch(rsRef(ns, a.name), { metadata: { annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: null } } }, "merge");
      return;
    case "deleteReplicaSet":
      await cluster.delete(rsRef(ns, a.name), { propagationPolicy: "Background" });
      return;
    case "switchService": {
      const patch = { metadata: a.addManagedBy ? { annotations: { [MANAGED_BY_ANNOTATION]: o.object.metadata.name } } : {}, spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: a.to } } };
      await cluster.patch({ apiVersion: "v1", kind: "Service", namespace: ns, name: a.service }, patch, "merge");
      return;
    }
    case "createAnalysisRun":
      await createRun(cluster, o, a.run, now);
      return;
    case "terminateAnalysisRun":
      try {
        await cluster.patch({ apiVersion: ARGO_API_VERSION, kind: "AnalysisRun", namespace: ns, name: a.name }, { spec: { terminate: true } }, "merge");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
  }
}

/** Applies the plan's actions in order. */
export async function applyActions(cluster: Cluster, o: Observed, plan: RolloutPlan, now: Date): Promise<void> {
  for (const a of plan.actions) await applyAction(cluster, o, a, now);
}

/** Writes the status when it changed: the Rollout as stored after the write, or undefined when there was nothing to write. Throws on a conflict (409). */
export async function writeStatus(cluster: Cluster, ref: RolloutRef, o: Observed, status: RolloutStatus): Promise<KubeObject | undefined> {
  const patch = mergePatchOf(o.object.status ?? {}, status);
  if (patch === undefined) return undefined;
  return cluster.patch(rolloutRefOf(ref), { metadata: { resourceVersion: o.object.metadata.resourceVersion }, status: patch }, "merge", { subresource: "status" });
}

/** createInvalidRolloutCondition: the InvalidSpec condition (True) with the reason, the phase Degraded. */
export function invalidStatus(o: Observed, message: string, now: Date): RolloutStatus {
  const status = structuredClone(o.rollout.status ?? {});
  const prev = status.conditions?.find((c) => c.type === "InvalidSpec");
  if (!prev || prev.message !== message) {
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== "InvalidSpec"), newCondition("InvalidSpec", "True", REASONS.invalidSpec, message, rfc3339(now.getTime()))];
  }
  status.observedGeneration = String(o.object.metadata.generation ?? 0);
  const { phase, message: text } = calculateRolloutPhase(o.rollout.spec, status);
  status.phase = phase;
  status.message = text;
  return status;
}
