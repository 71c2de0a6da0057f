/**
 * Sync tasks and their order, as gitops-engine builds them (`pkg/sync/sync_tasks.go`,
 * `sync_phase.go`, `hook/hook.go`, `hook/helm/type.go`, `syncwaves/waves.go`,
 * `hook/delete_policy.go`, and `getSyncTasks` in `sync_context.go`). Pure: objects in, ordered tasks out.
 */
import type { KubeObject, ResourceKey, SyncPhase, HookType, OperationPhase, ResultCode } from "./types.js";
import { groupKindOf, keyString, versionOf } from "./types.js";

export const HOOK_ANNOTATION = "argocd.argoproj.io/hook";
export const HOOK_DELETE_POLICY_ANNOTATION = "argocd.argoproj.io/hook-delete-policy";
export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
export const HELM_HOOK_ANNOTATION = "helm.sh/hook";
export const HELM_HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight";
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy";

export type DeletePolicy = "BeforeHookCreation" | "HookSucceeded" | "HookFailed";

/** Helm's kind order as gitops-engine copies it; kinds not listed sort after all of these. */
export const KIND_ORDER: readonly string[] = [
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "SecretList",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleList",
  "ClusterRoleBinding",
  "ClusterRoleBindingList",
  "Role",
  "RoleList",
  "RoleBinding",
  "RoleBindingList",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
];
const KIND_RANK = new Map(KIND_ORDER.map((k, i) => [k, i - KIND_ORDER.length]));
/** Listed kinds get a negative rank; others 0, so they go last (gitops-engine's trick). */
export const kindRank = (kind: string): number => KIND_RANK.get(kind) ?? 0;

const PHASE_ORDER: Record<SyncPhase, number> = { PreSync: -1, Sync: 0, PostSync: 1, SyncFail: 2 };

const csv = (v: string | undefined): string[] =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** Helm hook types Argo CD maps (`hook/helm/type.go`); other Helm hook types are ignored resources. */
const HELM_HOOK_PHASES: Record<string, SyncPhase> = {
  "pre-install": "PreSync",
  "pre-upgrade": "PreSync",
  "post-install": "PostSync",
  "post-upgrade": "PostSync",
};

export interface HookInfo {
  /** The object is a hook (runs in `phases`), not a managed resource. */
  hook: boolean;
  /** Not applied at all: `Skip`, Helm hook types Argo CD does not map, PreDelete/PostDelete. */
  ignored: boolean;
  /** `Skip` alone: not applied, no status, excluded from health. */
  skip: boolean;
  phases: SyncPhase[];
  types: HookType[];
}

/** How Argo CD classifies an object by its hook annotations (Argo's annotation wins over Helm's). */
export function hookInfo(obj: KubeObject): HookInfo {
  const a = obj.metadata.annotations ?? {};
  const argo = csv(a[HOOK_ANNOTATION]);
  if (argo.length > 0) {
    const types = argo.filter((t): t is HookType => ["PreSync", "Sync", "PostSync", "SyncFail", "Skip", "PreDelete", "PostDelete"].includes(t));
    const phases = types.filter((t): t is SyncPhase => t in PHASE_ORDER);
    if (types.length === 1 && types[0] === "Skip") return { hook: false, ignored: true, skip: true, phases: [], types };
    // PreDelete/PostDelete hooks only run when the Application is deleted (controller/state.go).
    if (phases.length === 0) return { hook: true, ignored: true, skip: types.includes("Skip"), phases: [], types };
    return { hook: true, ignored: false, skip: false, phases, types };
  }
  const helm = csv(a[HELM_HOOK_ANNOTATION]);
  if (helm.length > 0 && !(helm.length === 1 && helm[0] === "crd-install")) {
    const phases = [...new Set(helm.map((t) => HELM_HOOK_PHASES[t]).filter((p): p is SyncPhase => p !== undefined))];
    // "is hook but no known types" (sync/ignore/ignore.go): not applied at all.
    if (phases.length === 0) return { hook: true, ignored: true, skip: false, phases: [], types: [] };
    return { hook: true, ignored: false, skip: false, phases, types: phases };
  }
  return { hook: false, ignored: false, skip: false, phases: ["Sync"], types: [] };
}

/** The wave: Argo's annotation, else Helm's hook weight, else 0 (an unparsable value counts as absent). */
export function waveOf(obj: KubeObject): number {
  const a = obj.metadata.annotations ?? {};
  for (const name of [SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION]) {
    const v = a[name];
    if (v !== undefined && /^\s*[-+]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  }
  return 0;
}

/** Delete policies: Argo's and Helm's annotations unioned; BeforeHookCreation when none is set. */
export function deletePolicies(obj: KubeObject): Set<DeletePolicy> {
  const a = obj.metadata.annotations ?? {};
  const out = new Set<DeletePolicy>();
  for (const p of csv(a[HOOK_DELETE_POLICY_ANNOTATION])) if (p === "BeforeHookCreation" || p === "HookSucceeded" || p === "HookFailed") out.add(p);
  const helmMap: Record<string, DeletePolicy> = { "before-hook-creation": "BeforeHookCreation", "hook-succeeded": "HookSucceeded", "hook-failed": "HookFailed" };
  for (const p of csv(a[HELM_HOOK_DELETE_POLICY_ANNOTATION])) if (helmMap[p]) out.add(helmMap[p]);
  if (out.size === 0) out.add("BeforeHookCreation");
  return out;
}

export interface SyncTask {
  /** Unique within an operation: `<phase>:<group/kind/ns/name>`. */
  id: string;
  phase: SyncPhase;
  wave: number;
  key: ResourceKey;
  apiVersion: string;
  /** What to apply (absent for a prune). */
  target?: KubeObject;
  live?: KubeObject;
  hook: boolean;
  hookType?: HookType;
  deletePolicies: Set<DeletePolicy>;
  /** A live object that has no target: deleted when the operation prunes. */
  prune: boolean;
  /** The implicit namespace of CreateNamespace=true. */
  autoNamespace?: boolean;
  /** Live and desired already equal (Synced) when the operation started: not written again. */
  inSync?: boolean;
  /** The cluster does not serve the kind (yet): valid only if its CRD comes in the same sync. */
  unknownKind?: boolean;
  // progress
  syncStatus?: ResultCode;
  operationState?: OperationPhase;
  message: string;
  action?: string;
  /** Order in which the task was acted on (for the result list). */
  order?: number;
}

export function taskKindOf(t: SyncTask): string {
  return t.key.kind;
}

/** The object a task works on (the target, else the live one). */
export function taskObject(t: SyncTask): KubeObject {
  return (t.target ?? t.live)!;
}

export function versionOfTask(t: SyncTask): string {
  return versionOf(t.apiVersion);
}

/** gitops-engine's `syncTasks.Less`: phase, wave, kind order, name. */
export function compareTasks(a: SyncTask, b: SyncTask): number {
  return PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || a.wave - b.wave || kindRank(a.key.kind) - kindRank(b.key.kind) || (a.key.name < b.key.name ? -1 : a.key.name > b.key.name ? 1 : 0);
}

/**
 * Sorts, then moves each Namespace before the first task in it and each CRD before the first of its
 * resources, giving them that task's phase and wave (`syncTasks.Sort` → `adjustDeps`).
 */
export function sortTasks(tasks: SyncTask[]): SyncTask[] {
  const sorted = [...tasks].sort(compareTasks);
  const move = (isDep: (t: SyncTask) => string | undefined, dependsOn: (t: SyncTask, depName: string) => boolean) => {
    for (let i = 0; i < sorted.length; i++) {
      const dep = sorted[i]!;
      const name = isDep(dep);
      if (name === undefined || dep.prune) continue;
      const first = sorted.findIndex((t) => t !== dep && !t.prune && dependsOn(t, name));
      if (first >= 0 && first < i) {
        sorted.splice(i, 1);
        sorted.splice(first, 0, dep);
        dep.phase = sorted[first + 1]!.phase;
        dep.wave = sorted[first + 1]!.wave;
      }
    }
  };
  move(
    (t) => (t.key.kind === "Namespace" && t.key.group === "" ? t.key.name : undefined),
    (t, ns) => t.key.namespace === ns,
  );
  move(
    (t) => {
      if (t.key.kind !== "CustomResourceDefinition" || !t.target) return undefined;
      const spec = t.target.spec as { group?: string; names?: { kind?: string } } | undefined;
      return spec?.group && spec.names?.kind ? `${spec.group}/${spec.names.kind}` : undefined;
    },
    (t, gk) => `${t.key.group}/${t.key.kind}` === gk,
  );
  return sorted;
}

/**
 * Prune tasks get their waves mirrored (the highest created wave is pruned first); with PruneLast they
 * go to one wave after the last Sync-phase wave (`getSyncTasks`).
 */
export function adjustPruneWaves(tasks: SyncTask[], pruneLast: (t: SyncTask) => boolean): void {
  const prunes = tasks.filter((t) => t.prune);
  const waves = [...new Set(prunes.map((t) => t.wave))].sort((a, b) => a - b);
  const original = new Map(prunes.map((t) => [t, t.wave]));
  const n = waves.length;
  for (let i = 0; i < Math.floor(n / 2); i++) {
    const start = waves[i]!;
    const end = waves[n - 1 - i]!;
    for (const t of prunes) {
      if (original.get(t) === start) t.wave = end;
      else if (original.get(t) === end) t.wave = start;
    }
  }
  let lastSyncWave = 0;
  for (const t of tasks) if (t.phase === "Sync" && t.wave > lastSyncWave) lastSyncWave = t.wave;
  for (const t of prunes) if (pruneLast(t)) t.wave = lastSyncWave + 1;
}

/** Name of a hook without one: generateName + `<rev[0:7]>-<phase>-<unix start>`, lower-cased. */
export function hookName(obj: KubeObject, revision: string, phase: SyncPhase, startedAt: Date): string {
  const rev = revision.length >= 8 ? revision.slice(0, 7) : revision;
  return `${obj.metadata.generateName ?? ""}${`${rev}-${phase}-${Math.floor(startedAt.getTime() / 1000)}`.toLowerCase()}`;
}

export function newTask(init: Omit<SyncTask, "id" | "message" | "apiVersion"> & { apiVersion?: string; message?: string }): SyncTask {
  const obj = (init.target ?? init.live)!;
  return {
    ...init,
    apiVersion: init.apiVersion ?? obj.apiVersion,
    id: `${init.phase}:${keyString(init.key)}`,
    message: init.message ?? "",
  };
}

export { groupKindOf };
