/**
 * What the controller reads before it plans (Argo Rollouts' `newRolloutContext` and the referenced
 * resources of `getRolloutValidationErrors`): the Rollout, its template resolved through a
 * workloadRef, the ReplicaSets and AnalysisRuns it owns, the Services and analysis templates it
 * names. A missing Service, template or workload is an InvalidSpec (Argo's message), not an error:
 * the Rollout says so in its status and the controller looks again later.
 */
import { ConfigError } from "../../core/errors.js";
import type { Cluster, KubeObject } from "../../core/ports/cluster.js";
import { analysesOf, resolveWorkloadRef } from "./lint.js";
import { ARGO_API_VERSION } from "./model.js";
import type { ObservedReplicaSet, ObservedService, PlanInput } from "./plan-types.js";
import { formatLabelSelector } from "./status.js";
import type { AnalysisRun, AnalysisTemplate, PodTemplateSpec, Rollout, RolloutAnalysis, RolloutStatus } from "./types.js";
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, SCALE_DOWN_DEADLINE_ANNOTATION } from "./types.js";

export interface RolloutRef {
  namespace: string;
  name: string;
}

export interface Observed {
  /** The Rollout as stored (status included). */
  object: KubeObject;
  /** The Rollout typed, with its template resolved (workloadRef) and its status ({} when new). */
  rollout: Rollout;
  replicaSets: KubeObject[];
  observedReplicaSets: ObservedReplicaSet[];
  services: Record<string, ObservedService>;
  runs: AnalysisRun[];
  /** Why the Rollout is invalid (a referenced object is missing), as Argo words the InvalidSpec condition. */
  invalid?: string;
}

/** No such Rollout: the name (or namespace) given is the user's to fix. */
export class RolloutNotFoundError extends ConfigError {
  override name = "RolloutNotFoundError";
  constructor(readonly ref: RolloutRef) {
    super(`rollouts.argoproj.io "${ref.name}" not found in namespace ${ref.namespace}`);
  }
}

export const rolloutRefOf = (ref: RolloutRef) => ({ apiVersion: ARGO_API_VERSION, kind: "Rollout", namespace: ref.namespace, name: ref.name });

/** Owned by the Rollout: a controller ownerReference with its uid. */
export function ownedBy(obj: KubeObject, rollout: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => o.kind === "Rollout" && o.controller && (o.uid === rollout.metadata.uid || (!o.uid && o.name === rollout.metadata.name)));
}

export function observedReplicaSet(rs: KubeObject): ObservedReplicaSet {
  const spec = (rs.spec ?? {}) as { replicas?: number; template?: PodTemplateSpec };
  const status = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number };
  const ann = rs.metadata.annotations ?? {};
  return {
    name: rs.metadata.name!,
    podTemplateHash: rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? "",
    revision: Number(ann[REVISION_ANNOTATION] ?? 0) || 0,
    replicas: spec.replicas ?? 1,
    status: { replicas: status.replicas ?? 0, readyReplicas: status.readyReplicas ?? 0, availableReplicas: status.availableReplicas ?? 0 },
    ...(ann[SCALE_DOWN_DEADLINE_ANNOTATION] ? { scaleDownDeadline: ann[SCALE_DOWN_DEADLINE_ANNOTATION] } : {}),
    ...(rs.metadata.creationTimestamp ? { creationTimestamp: rs.metadata.creationTimestamp } : {}),
    ...(spec.template ? { template: spec.template } : {}),
  };
}

const invalidValue = (path: string, value: string, detail: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;

/** The Services the strategy names, with the field path Argo reports a missing one at. */
function namedServices(ro: Rollout): Array<{ name: string; path: string }> {
  const { canary, blueGreen } = ro.spec.strategy;
  const out: Array<{ name: string; path: string }> = [];
  if (blueGreen) {
    if (blueGreen.activeService) out.push({ name: blueGreen.activeService, path: "spec.strategy.blueGreen.activeService" });
    if (blueGreen.previewService) out.push({ name: blueGreen.previewService, path: "spec.strategy.blueGreen.previewService" });
  } else if (canary) {
    if (canary.stableService) out.push({ name: canary.stableService, path: "spec.strategy.canary.stableService" });
    if (canary.canaryService) out.push({ name: canary.canaryService, path: "spec.strategy.canary.canaryService" });
  }
  return out;
}

/** The AnalysisTemplates and ClusterAnalysisTemplates an analysis names; a missing one throws Argo's message. */
export async function templatesOf(cluster: Cluster, namespace: string, analysis: RolloutAnalysis): Promise<AnalysisTemplate[]> {
  const out: AnalysisTemplate[] = [];
  for (const ref of analysis.templates ?? []) {
    const kind = ref.clusterScope ? "ClusterAnalysisTemplate" : "AnalysisTemplate";
    const t = await cluster.get<KubeObject>({ apiVersion: ARGO_API_VERSION, kind, name: ref.templateName, ...(ref.clusterScope ? {} : { namespace }) });
    if (!t) throw new Error(`${kind} '${ref.templateName}' not found`);
    out.push({ ...(t as unknown as AnalysisTemplate), kind });
  }
  return out;
}

/** The field path Argo reports an analysis's templates at. */
function analysisPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((s, seg) => (typeof seg === "number" ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg), "") + ".templates";
}

async function invalidReason(cluster: Cluster, ro: Rollout, missing: Set<string>): Promise<string | undefined> {
  for (const s of namedServices(ro)) {
    if (missing.has(s.name)) return invalidValue(s.path, s.name, `services "${s.name}" not found`);
  }
  for (const { analysis, path } of analysesOf(ro)) {
    try {
      await templatesOf(cluster, ro.metadata.namespace ?? "default", analysis);
    } catch (err) {
      const name = /'([^']+)'/.exec((err as Error).message)?.[1] ?? "";
      return invalidValue(analysisPath(path), name, (err as Error).message);
    }
  }
  return undefined;
}

/** Reads everything one reconciliation needs. Throws RolloutNotFoundError when the Rollout is gone. */
export async function observe(cluster: Cluster, ref: RolloutRef): Promise<Observed> {
  const object = await cluster.get<KubeObject>(rolloutRefOf(ref));
  if (!object) throw new RolloutNotFoundError(ref);
  let rollout: Rollout = { ...(object as unknown as Rollout), status: structuredClone((object.status ?? {}) as RolloutStatus) };
  let invalid: string | undefined;
  const wl = rollout.spec.workloadRef;
  if (wl) {
    const workload = await cluster.get<KubeObject>({ apiVersion: wl.apiVersion, kind: wl.kind, namespace: ref.namespace, name: wl.name });
    if (!workload) invalid = `${wl.kind.toLowerCase()}s${wl.apiVersion.includes("/") ? `.${wl.apiVersion.split("/")[0]}` : ""} "${wl.name}" not found`;
    else {
      try {
        rollout = resolveWorkloadRef(rollout, workload);
      } catch (err) {
        invalid = (err as Error).message;
      }
    }
  }
  if (!invalid && !rollout.spec.template) invalid = "spec.template: Required value";
  const selector = formatLabelSelector(rollout.spec.selector);
  const [rsList, runList] = await Promise.all([
    cluster.list<KubeObject>("apps/v1", "ReplicaSet", { namespace: ref.namespace, ...(selector && selector !== "<none>" ? { labelSelector: selector } : {}) }),
    cluster.list<KubeObject>(ARGO_API_VERSION, "AnalysisRun", { namespace: ref.namespace }),
  ]);
  const replicaSets = rsList.filter((rs) => ownedBy(rs, object) && !rs.metadata.deletionTimestamp);
  const runs = runList.filter((r) => ownedBy(r, object)).map((r) => r as unknown as AnalysisRun);
  const services: Record<string, ObservedService> = {};
  const missing = new Set<string>();
  await Promise.all(
    namedServices(rollout).map(async ({ name }) => {
      const svc = await cluster.get<KubeObject>({ apiVersion: "v1", kind: "Service", namespace: ref.namespace, name });
      if (!svc) {
        missing.add(name);
        services[name] = {};
        return;
      }
      const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
      const managedBy = svc.metadata.annotations?.[MANAGED_BY_ANNOTATION];
      services[name] = { ...(sel[POD_TEMPLATE_HASH_LABEL] ? { selector: sel[POD_TEMPLATE_HASH_LABEL] } : {}), ...(managedBy ? { managedBy } : {}) };
    }),
  );
  invalid ??= await invalidReason(cluster, rollout, missing);
  return {
    object,
    rollout,
    replicaSets,
    observedReplicaSets: replicaSets.map(observedReplicaSet),
    services,
    runs,
    ...(invalid ? { invalid: `The Rollout "${ref.name}" is invalid: ${invalid}` } : {}),
  };
}

/** The planner's input from what was observed (the status without a stale InvalidSpec: the spec is valid now). */
export function planInputOf(o: Observed, now: Date): PlanInput {
  const status = structuredClone(o.rollout.status ?? {});
  if (status.conditions) status.conditions = status.conditions.filter((c) => c.type !== "InvalidSpec");
  return {
    rollout: { ...o.rollout, status },
    replicaSets: o.observedReplicaSets,
    services: o.services,
    analysisRuns: o.runs.map((r) => ({ name: r.metadata.name, ...(r.status?.phase ? { phase: r.status.phase } : {}), ...(r.status?.message ? { message: r.status.message } : {}), ...(r.spec.terminate ? { terminated: true } : {}) })),
    now,
  };
}
