/**
 * Argo CD's resource health assessment, as pure functions of live objects: the built-in checks of
 * gitops-engine `pkg/health/health_*.go` (ported to `resource_customizations/<kind>/health.lua` in
 * recent Argo CD, same rules), the Lua checks Argo CD ships for Argo kinds (Rollout, AnalysisRun), the
 * app-of-apps check the Argo CD docs give for child Applications, the aggregation of
 * `controller/health.go setApplicationHealth`, and a hook's phase from its health (`sync_context.go
 * getOperationPhase`). Messages are Argo's text; an empty Argo message is left out (`message` undefined).
 */
import type { HealthStatus, HealthStatusCode, KubeObject, ResourceKey } from "./types.js";
import { HEALTH_ORDER, groupKindOf } from "./types.js";

// ---------------------------------------------------------------- order

const rank = (c: HealthStatusCode): number => HEALTH_ORDER.indexOf(c);

/** True when `a` is worse than `b` in Argo CD's order Healthy < Suspended < Progressing < Missing < Degraded < Unknown. */
export function isWorse(a: HealthStatusCode, b: HealthStatusCode): boolean {
  return rank(a) > rank(b);
}

/** The worst of several (Healthy for none). */
export function worstHealth(codes: Iterable<HealthStatusCode>): HealthStatusCode {
  let worst: HealthStatusCode = "Healthy";
  for (const c of codes) if (isWorse(c, worst)) worst = c;
  return worst;
}

// ---------------------------------------------------------------- reading untyped JSON

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
/** A number field, or undefined when absent (Go's nil pointer, Lua's nil). */
const opt = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
/** A number field with Go's zero value. */
const int = (v: unknown): number => opt(v) ?? 0;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
const conditionsOf = (v: unknown): Condition[] =>
  list(v).map((c) => ({ type: str(c.type), status: str(c.status), reason: str(c.reason), message: str(c.message) }));

/** Go's `%q` for the Kubernetes names that appear in messages. */
const q = (s: string): string => JSON.stringify(s);

function hs(status: HealthStatusCode, message?: string): HealthStatus {
  return message ? { status, message } : { status };
}

const annotationsOf = (obj: KubeObject): Record<string, string> => obj.metadata.annotations ?? {};

// ---------------------------------------------------------------- hooks (gitops-engine pkg/sync/hook)

const HOOK_ANNOTATION = "argocd.argoproj.io/hook";
const HELM_HOOK_ANNOTATION = "helm.sh/hook";
const HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer";
const ARGO_HOOK_TYPES = new Set(["PreSync", "Sync", "PostSync", "SyncFail", "PostDelete", "PreDelete", "Skip"]);
const HELM_HOOK_TYPES = new Set(["pre-install", "pre-upgrade", "post-upgrade", "post-install"]);

const csv = (v: string | undefined): string[] => (v === undefined ? [] : v.split(",").map((s) => s.trim()).filter((s) => s !== ""));

/** Valid hook types; the Argo annotation hides Helm's (hook.go `Types`). */
function hookTypes(obj: KubeObject): string[] {
  const argo = csv(annotationsOf(obj)[HOOK_ANNOTATION]).filter((t) => ARGO_HOOK_TYPES.has(t));
  return argo.length > 0 ? argo : csv(annotationsOf(obj)[HELM_HOOK_ANNOTATION]).filter((t) => HELM_HOOK_TYPES.has(t));
}

/** `hook.Skip`: the only hook type is `Skip` (the object is not applied at all). */
function isSkipHook(obj: KubeObject): boolean {
  const types = hookTypes(obj);
  return types.length === 1 && types[0] === "Skip";
}

/** `hook.IsHook`: an Argo hook annotation (other than a lone Skip), or a Helm hook other than `crd-install`. */
function isHook(obj: KubeObject): boolean {
  const ann = annotationsOf(obj);
  if (ann[HOOK_ANNOTATION] !== undefined) return !isSkipHook(obj);
  const helm = ann[HELM_HOOK_ANNOTATION];
  return helm !== undefined && helm !== "crd-install";
}

// ---------------------------------------------------------------- apps

function deploymentHealth(obj: Obj, name: string): HealthStatus {
  const spec = rec(obj.spec);
  const st = rec(obj.status);
  if (spec.paused === true) return hs("Suspended", "Deployment is paused");
  // Borrowed by Argo from kubectl rollout status.
  if (int(rec(obj.metadata).generation) > int(st.observedGeneration)) {
    return hs("Progressing", "Waiting for rollout to finish: observed deployment generation less than desired generation");
  }
  const progressing = conditionsOf(st.conditions).find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") return hs("Degraded", `Deployment ${q(name)} exceeded its progress deadline`);
  const want = opt(spec.replicas);
  const [replicas, updated, available] = [int(st.replicas), int(st.updatedReplicas), int(st.availableReplicas)];
  if (want !== undefined && updated < want) {
    return hs("Progressing", `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...`);
  }
  if (replicas > updated) return hs("Progressing", `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`);
  if (available < updated) return hs("Progressing", `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`);
  return hs("Healthy");
}

function statefulSetHealth(obj: Obj): HealthStatus {
  const spec = rec(obj.spec);
  const st = rec(obj.status);
  const observed = int(st.observedGeneration);
  if (observed === 0 || int(rec(obj.metadata).generation) > observed) return hs("Progressing", "Waiting for statefulset spec update to be observed...");
  const want = opt(spec.replicas);
  const ready = int(st.readyReplicas);
  if (want !== undefined && ready < want) return hs("Progressing", `Waiting for ${want - ready} pods to be ready...`);
  const strategy = rec(spec.updateStrategy);
  const updated = int(st.updatedReplicas);
  // A RollingUpdate strategy with a `rollingUpdate` block is judged by its partition alone, and is Healthy
  // (with this message) even without a partition: health_statefulset.go.
  if (strategy.type === "RollingUpdate" && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
    const partition = opt(rec(strategy.rollingUpdate).partition);
    if (want !== undefined && partition !== undefined && updated < want - partition) {
      return hs("Progressing", `Waiting for partitioned roll out to finish: ${updated} out of ${want - partition} new pods have been updated...`);
    }
    return hs("Healthy", `partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  if (strategy.type === "OnDelete") return hs("Healthy", `statefulset has ${ready} ready pods`);
  const [updateRevision, currentRevision] = [str(st.updateRevision), str(st.currentRevision)];
  if (updateRevision !== currentRevision) {
    return hs("Progressing", `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`);
  }
  return hs("Healthy", `statefulset rolling update complete ${int(st.currentReplicas)} pods at revision ${currentRevision}...`);
}

function daemonSetHealth(obj: Obj, name: string): HealthStatus {
  const st = rec(obj.status);
  if (int(rec(obj.metadata).generation) > int(st.observedGeneration)) {
    return hs("Progressing", "Waiting for rollout to finish: observed daemon set generation less than desired generation");
  }
  const [updated, desired, available] = [int(st.updatedNumberScheduled), int(st.desiredNumberScheduled), int(st.numberAvailable)];
  if (rec(rec(obj.spec).updateStrategy).type === "OnDelete") return hs("Healthy", `daemon set ${updated} out of ${desired} new pods have been updated`);
  if (updated < desired) return hs("Progressing", `Waiting for daemon set ${q(name)} rollout to finish: ${updated} out of ${desired} new pods have been updated...`);
  if (available < desired) return hs("Progressing", `Waiting for daemon set ${q(name)} rollout to finish: ${available} of ${desired} updated pods are available...`);
  return hs("Healthy");
}

function replicaSetHealth(obj: Obj): HealthStatus {
  const st = rec(obj.status);
  if (int(rec(obj.metadata).generation) > int(st.observedGeneration)) {
    return hs("Progressing", "Waiting for rollout to finish: observed replica set generation less than desired generation");
  }
  const failure = conditionsOf(st.conditions).find((c) => c.type === "ReplicaFailure");
  if (failure?.status === "True") return hs("Degraded", failure.message);
  const want = opt(rec(obj.spec).replicas);
  const available = int(st.availableReplicas);
  if (want !== undefined && available < want) return hs("Progressing", `Waiting for rollout to finish: ${available} out of ${want} new replicas are available...`);
  return hs("Healthy");
}

// ---------------------------------------------------------------- core

const IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy";

/** A waiting reason that will not fix itself: `Err*`, `*Error`, `*BackOff` (ErrImagePull, CrashLoopBackOff ...). */
const isBadWaitingReason = (r: string): boolean => r.startsWith("Err") || r.endsWith("Error") || r.endsWith("BackOff");

function podHealth(pod: KubeObject): HealthStatus {
  const spec = rec(pod.spec);
  const st = rec(pod.status);
  const message = str(st.message);
  const containers = list(st.containerStatuses);
  // Pods that may end (OnFailure, Never) are judged like jobs: usually hooks, which must not fail early on an
  // ImagePullBackOff that may still resolve (health_pod.go). The ignore-restart-policy annotation makes a
  // non-hook pod managed by an operator be judged like a long-running one.
  const restartPolicy = str(spec.restartPolicy) || "Always";
  const longRunning = restartPolicy === "Always" || (annotationsOf(pod)[IGNORE_RESTART_POLICY] === "true" && !isHook(pod));

  if (longRunning) {
    const stuck = containers.map((c) => rec(rec(c.state).waiting)).filter((w) => isBadWaitingReason(str(w.reason)));
    if (stuck.length > 0) return hs("Degraded", stuck.map((w) => str(w.message)).join(", "));
  }
  switch (str(st.phase)) {
    case "Pending":
      return hs("Progressing", message);
    case "Succeeded":
      return hs("Healthy", message);
    case "Failed": {
      if (message) return hs("Degraded", message);
      for (const c of [...list(st.initContainerStatuses), ...containers]) {
        const term = rec(rec(c.state).terminated);
        if (str(term.message)) return hs("Degraded", str(term.message));
        if (term.reason === "OOMKilled") return hs("Degraded", "OOMKilled");
        if (int(term.exitCode) !== 0) return hs("Degraded", `container ${q(str(c.name))} failed with exit code ${int(term.exitCode)}`);
      }
      return hs("Degraded");
    }
    case "Running": {
      if (longRunning) {
        if (conditionsOf(st.conditions).some((c) => c.type === "Ready" && c.status === "True")) return hs("Healthy", message);
        // Not ready and a container has restarted: it is crashing.
        if (containers.some((c) => rec(c.lastState).terminated !== undefined)) return hs("Degraded", message);
        return hs("Progressing", message);
      }
      if (restartPolicy === "OnFailure" || restartPolicy === "Never") return hs("Progressing", message);
    }
  }
  return hs("Unknown", message);
}

function serviceHealth(obj: Obj): HealthStatus {
  if (rec(obj.spec).type !== "LoadBalancer") return hs("Healthy");
  return list(rec(rec(obj.status).loadBalancer).ingress).length > 0 ? hs("Healthy") : hs("Progressing");
}

/** An Ingress is Healthy once its controller published an address; with no controller it stays Progressing. */
function ingressHealth(obj: Obj): HealthStatus {
  return list(rec(rec(obj.status).loadBalancer).ingress).length > 0 ? hs("Healthy") : hs("Progressing");
}

function pvcHealth(obj: Obj): HealthStatus {
  switch (rec(obj.status).phase) {
    case "Lost":
      return hs("Degraded");
    case "Pending":
      return hs("Progressing");
    case "Bound":
      return hs("Healthy");
    default:
      return hs("Unknown");
  }
}

function jobHealth(obj: Obj): HealthStatus {
  let failed = false;
  let complete = false;
  let suspended = false;
  let failMsg = "";
  let message = "";
  for (const c of conditionsOf(rec(obj.status).conditions)) {
    if (c.type === "Failed") [failed, complete, failMsg] = [true, true, c.message];
    else if (c.type === "Complete") [complete, message] = [true, c.message];
    else if (c.type === "Suspended") {
      // Any Suspended condition ends "progressing"; only a True one makes the Job Suspended (health_job.go).
      [complete, message] = [true, c.message];
      if (c.status === "True") suspended = true;
    }
  }
  if (!complete) return hs("Progressing", message);
  if (failed) return hs("Degraded", failMsg);
  // Argo reports the (always empty) failure message here, not the Suspended condition's.
  if (suspended) return hs("Suspended", failMsg);
  return hs("Healthy", message);
}

// ---------------------------------------------------------------- autoscaling, apiregistration

const HPA_WAITING = hs("Progressing", "Waiting to Autoscale");
const HPA_DEGRADED = new Set([
  "AbleToScale/FailedGetScale",
  "AbleToScale/FailedUpdateScale",
  "ScalingActive/FailedGetResourceMetric",
  "ScalingActive/FailedGetObjectMetric",
  "ScalingActive/FailedGetPodsMetric",
  "ScalingActive/FailedGetExternalMetric",
  "ScalingActive/FailedComputeMetricsReplicas",
  "ScalingActive/InvalidSelector",
]);

/** Any degrading condition wins over any healthy one (HorizontalPodAutoscaler/health.lua). */
function hpaFromConditions(conds: Condition[]): HealthStatus {
  const bad = conds.find((c) => HPA_DEGRADED.has(`${c.type}/${c.reason}`));
  if (bad) return hs("Degraded", bad.message);
  const good = conds.find((c) => c.status === "True" && (c.type === "AbleToScale" || c.type === "ScalingLimited"));
  return good ? hs("Healthy", good.message) : HPA_WAITING;
}

function hpaHealth(obj: KubeObject): HealthStatus {
  if (obj.apiVersion === "autoscaling/v1") {
    // v1 has no status conditions; the controller writes them, as JSON, into an annotation.
    const raw = annotationsOf(obj)["autoscaling.alpha.kubernetes.io/conditions"];
    if (raw === undefined) return HPA_WAITING;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      return hs("Unknown", `failed to convert conditions annotation to typed: ${(err as Error).message}`);
    }
    const conds = conditionsOf(parsed);
    return conds.length === 0 ? HPA_WAITING : hpaFromConditions(conds);
  }
  if (["autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v2beta1"].includes(obj.apiVersion)) {
    return hpaFromConditions(conditionsOf(rec(obj.status).conditions));
  }
  return hs("Unknown", `unsupported HPA GVK: ${obj.apiVersion}, Kind=${obj.kind}`);
}

function apiServiceHealth(obj: Obj): HealthStatus {
  const available = conditionsOf(rec(obj.status).conditions).find((c) => c.type === "Available");
  if (!available) return hs("Progressing", "Waiting to be processed");
  return hs(available.status === "True" ? "Healthy" : "Progressing", `${available.reason}: ${available.message}`);
}

// ---------------------------------------------------------------- argoproj.io

const INVALID_LUA_STATUS = hs("Unknown", "Lua returned an invalid health status");
const isCode = (s: string): s is HealthStatusCode => (HEALTH_ORDER as readonly string[]).includes(s);

/** Argo Workflows phases (health_argo.go). */
function workflowHealth(obj: Obj): HealthStatus {
  const st = rec(obj.status);
  const message = str(st.message);
  switch (str(st.phase)) {
    case "":
    case "Pending":
    case "Running":
      return hs("Progressing", message);
    case "Succeeded":
      return hs("Healthy", message);
    case "Failed":
    case "Error":
      return hs("Degraded", message);
    default:
      return hs("Unknown", message);
  }
}

/** Lua's `tonumber` on a string or number field: decimal or hex, else nil. */
function luaNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(s)) return s.startsWith("-") ? -parseInt(s.slice(1), 16) : parseInt(s.replace(/^\+/, ""), 16);
  return undefined;
}

/** argoproj.io/Rollout/health.lua. */
function rolloutHealth(obj: KubeObject): HealthStatus {
  const spec = rec(obj.spec);
  const st = obj.status === undefined || obj.status === null ? undefined : rec(obj.status);
  const generation = obj.metadata.generation ?? 0;
  // Rollouts before v0.10 wrote a hash in observedGeneration: anything not numeric (or larger) counts as observed.
  const observed = st === undefined ? undefined : luaNumber(st.observedGeneration);
  const generationObserved = st !== undefined && (observed === undefined || observed >= generation);
  // Rollouts >= 1.1 with a workloadRef also observe the referenced Deployment's generation.
  const workloadObserved =
    spec.workloadRef === undefined ||
    obj.metadata.annotations === undefined ||
    luaNumber(obj.metadata.annotations["rollout.argoproj.io/workload-generation"]) === luaNumber(st?.workloadObservedGeneration);
  if (st === undefined || !generationObserved || !workloadObserved) return hs("Progressing", "Waiting for rollout spec update to be observed");

  // Rollouts >= 1.0 compute their own phase and message; Argo CD surfaces them, Paused as Suspended.
  if (st.phase !== undefined && st.phase !== null) {
    const phase = str(st.phase) === "Paused" ? "Suspended" : str(st.phase);
    return isCode(phase) ? hs(phase, str(st.message)) : INVALID_LUA_STATUS;
  }

  // Legacy controllers: derive it from conditions and replica counts.
  for (const c of conditionsOf(st.conditions)) {
    if (c.type === "InvalidSpec") return hs("Degraded", c.message);
    if (c.type === "Progressing" && (c.reason === "RolloutAborted" || c.reason === "ProgressDeadlineExceeded")) return hs("Degraded", c.message);
  }
  if (list(st.pauseConditions).length > 0 || spec.paused === true) return hs("Suspended", "Rollout is paused");
  if (typeof st.currentPodHash !== "string") return hs("Progressing", "Waiting for rollout to finish: status has not been reconciled.");
  const podHash = st.currentPodHash;
  const [want, replicas, updated, available] = [opt(spec.replicas) ?? 1, int(st.replicas), int(st.updatedReplicas), int(st.availableReplicas)];
  if (updated < want) return hs("Progressing", "Waiting for roll out to finish: More replicas need to be updated");
  if (available < updated) return hs("Progressing", "Waiting for roll out to finish: updated replicas are still becoming available");
  // Rollouts before v0.8 kept stableRS under status.canary.
  const stableRS = typeof st.stableRS === "string" ? st.stableRS : str(rec(st.canary).stableRS);
  const strategy = rec(spec.strategy);
  if (strategy.blueGreen !== undefined && strategy.blueGreen !== null) {
    if (str(rec(st.blueGreen).activeSelector) !== podHash) return hs("Progressing", "active service cutover pending");
    if (stableRS !== "" && stableRS !== podHash) return hs("Progressing", "waiting for analysis to complete");
  } else if (strategy.canary !== undefined && strategy.canary !== null) {
    if (replicas > updated) return hs("Progressing", "Waiting for roll out to finish: old replicas are pending termination");
    if (stableRS === "" || stableRS !== podHash) return hs("Progressing", "Waiting for rollout to finish steps");
  }
  return hs("Healthy");
}

/** argoproj.io/AnalysisRun/health.lua. */
function analysisRunHealth(obj: Obj): HealthStatus | undefined {
  if (obj.status === undefined || obj.status === null) return hs("Progressing", "Waiting for analysis run to finish: status has not been reconciled.");
  const st = rec(obj.status);
  const message = (fallback: string): string => (typeof st.message === "string" ? st.message : fallback);
  switch (st.phase) {
    case "Pending":
    case "Running":
      return hs("Progressing", "Analysis run is running");
    case "Successful":
      return hs("Healthy", message("Analysis run completed successfully"));
    case "Failed":
      return hs("Degraded", message("Analysis run failed"));
    case "Error":
      return hs("Degraded", message("Analysis run had an error"));
    case "Inconclusive":
      return hs("Unknown", message("Analysis run was inconclusive"));
    default:
      // The script returns an empty table: Argo records a health with no status, which no aggregation counts.
      return undefined;
  }
}

/**
 * A child Application: Argo CD has had no built-in check since 1.8; its docs give this customization for
 * app-of-apps, which Tiphys applies: the child's own `status.health`, Progressing until it has one.
 */
function childApplicationHealth(obj: Obj): HealthStatus {
  const health = rec(obj.status).health;
  if (health === undefined || health === null) return hs("Progressing");
  // A `health` without a valid status makes the script return an invalid one.
  const h = rec(health);
  const status = str(h.status);
  return isCode(status) ? hs(status, str(h.message)) : INVALID_LUA_STATUS;
}

// ---------------------------------------------------------------- entry points

/** Health of one live object, or undefined when Argo CD has no check for its kind (ConfigMap, Secret, RBAC, ...). */
export function healthOf(obj: KubeObject): HealthStatus | undefined {
  // health.go: deletion wins over every check, except for hooks Argo CD itself holds with its finalizer.
  if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).includes(HOOK_FINALIZER)) {
    return hs("Progressing", "Pending deletion");
  }
  const { group, kind } = groupKindOf(obj.apiVersion, obj.kind);
  const name = obj.metadata.name ?? "";
  switch (`${group}/${kind}`) {
    case "apps/Deployment":
      return deploymentHealth(obj, name);
    case "apps/StatefulSet":
      return statefulSetHealth(obj);
    case "apps/DaemonSet":
      return daemonSetHealth(obj, name);
    case "apps/ReplicaSet":
      return replicaSetHealth(obj);
    case "/Pod":
      return podHealth(obj);
    case "/Service":
      return serviceHealth(obj);
    case "/PersistentVolumeClaim":
      return pvcHealth(obj);
    case "networking.k8s.io/Ingress":
    case "extensions/Ingress":
      return ingressHealth(obj);
    case "batch/Job":
      return jobHealth(obj);
    case "autoscaling/HorizontalPodAutoscaler":
      return hpaHealth(obj);
    case "apiregistration.k8s.io/APIService":
      return apiServiceHealth(obj);
    case "argoproj.io/Workflow":
      return workflowHealth(obj);
    case "argoproj.io/Rollout":
      return rolloutHealth(obj);
    case "argoproj.io/AnalysisRun":
      return analysisRunHealth(obj);
    case "argoproj.io/Application":
      return childApplicationHealth(obj);
    default:
      return undefined;
  }
}

/** A hook's operation phase and message from its health (gitops-engine `getOperationPhase`). */
export function hookResultOf(obj: KubeObject): { phase: "Running" | "Succeeded" | "Failed"; message: string } {
  const h = healthOf(obj);
  // A kind with no health check (or Missing, which no check returns) succeeds once created.
  if (h === undefined || h.status === "Missing") return { phase: "Succeeded", message: `${obj.metadata.name ?? ""} created` };
  const message = h.message ?? "";
  if (h.status === "Healthy") return { phase: "Succeeded", message };
  if (h.status === "Progressing" || h.status === "Suspended") return { phase: "Running", message };
  return { phase: "Failed", message };
}

/** Operation phase of a hook from its health, per gitops-engine (Healthy->Succeeded, Degraded|Unknown->Failed, Progressing|Suspended->Running, no health check->Succeeded). */
export function hookPhaseOf(obj: KubeObject): "Running" | "Succeeded" | "Failed" {
  return hookResultOf(obj).phase;
}

/** One resource of an Application, as `applicationHealth` reads it. */
export interface AppHealthResource {
  key: ResourceKey;
  /** The live object; absent when the resource is missing from the cluster. */
  live?: KubeObject;
  /** The desired object; a target whose only hook type is `Skip` is left out. */
  target?: KubeObject;
  /** Health already assessed for `live` (else `healthOf(live)`). */
  health?: HealthStatus;
  /** Leave the resource out as a hook. Live objects carrying a hook annotation are left out anyway. */
  hook?: boolean;
  /** Do not aggregate its health. `argocd.argoproj.io/ignore-healthcheck: "true"` on the live object does the same. */
  ignoreHealth?: boolean;
  /** The Application itself (a self-managing app): its health does not count toward its own. */
  self?: boolean;
}

const IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck";
const MAX_CAUSES_SHOWN = 3;

function formatCauses(causes: ResourceKey[]): string | undefined {
  if (causes.length === 0) return undefined;
  const shown = causes.slice(0, MAX_CAUSES_SHOWN).map((k) => `${k.group ? `${k.group}/` : ""}${k.kind}:${k.namespace ? `${k.namespace}/` : ""}${k.name}`);
  const more = causes.length > MAX_CAUSES_SHOWN ? ` and ${causes.length - MAX_CAUSES_SHOWN} more` : "";
  return `Caused by ${shown.join(", ")}${more}`;
}

/**
 * Application health per Argo CD's `setApplicationHealth` (controller/health.go): the worst health of its
 * resources, leaving out hooks, ignored objects, resources with no health check, the app itself, missing
 * resources (OutOfSync already says so) and child Applications that are Missing or Unknown. An app whose
 * resources all are missing is Missing. The message names the resources with the worst health, up to 3.
 */
export function applicationHealth(resources: AppHealthResource[]): HealthStatus {
  let status: HealthStatusCode = "Healthy";
  let causes: ResourceKey[] = [];
  let containsResources = false;
  let containsLive = false;
  for (const r of resources) {
    if (r.target && isSkipHook(r.target)) continue;
    // A live hook is left out; so is one naming no valid hook type (`ignore.Ignore`), which IsHook covers.
    if (r.hook || (r.live && isHook(r.live))) continue;
    containsResources = true;
    if (!r.live) continue; // Missing: does not count.
    containsLive = true;
    if (r.ignoreHealth || annotationsOf(r.live)[IGNORE_HEALTHCHECK] === "true" || r.self) continue;
    const h = r.health ?? healthOf(r.live);
    if (!h) continue;
    if (r.key.group === "argoproj.io" && r.key.kind === "Application" && (h.status === "Missing" || h.status === "Unknown")) continue;
    if (isWorse(h.status, status)) [status, causes] = [h.status, [r.key]];
    else if (h.status === status && status !== "Healthy") causes.push(r.key);
  }
  if (containsResources && !containsLive && isWorse("Missing", status)) return { status: "Missing" };
  const message = formatCauses(causes);
  return message ? { status, message } : { status };
}
