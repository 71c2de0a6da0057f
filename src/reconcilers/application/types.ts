/**
 * The Argo CD surface Tiphys reads and reports (argoproj.io/v1alpha1 Application and AppProject), as
 * plain data, and the status vocabulary shared by render, diff, health and sync. Field names and
 * meanings follow Argo CD's `pkg/apis/application/v1alpha1/types.go` and gitops-engine's
 * `pkg/sync/common/types.go` and `pkg/health/health.go` (../shared/reference/argo-cd.md).
 */
import type { KubeObject } from "../../core/ports/cluster.js";

export type { KubeObject };

// ---------------------------------------------------------------- Application spec

export interface HelmParameter {
  name: string;
  value?: string;
  forceString?: boolean;
}

export interface HelmFileParameter {
  name: string;
  path: string;
}

export interface HelmSource {
  valueFiles?: string[];
  /** A YAML text of values (Argo CD's `values`, a string). */
  values?: string;
  /** Values as an object (takes precedence over `values`). */
  valuesObject?: Record<string, unknown>;
  parameters?: HelmParameter[];
  fileParameters?: HelmFileParameter[];
  releaseName?: string;
  skipCrds?: boolean;
  ignoreMissingValueFiles?: boolean;
  passCredentials?: boolean;
  namespace?: string;
  version?: string;
}

export interface KustomizeSource {
  namePrefix?: string;
  nameSuffix?: string;
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  namespace?: string;
  replicas?: Array<{ name: string; count: number | string }>;
  version?: string;
}

export interface DirectorySource {
  recurse?: boolean;
  include?: string;
  exclude?: string;
  jsonnet?: unknown;
}

export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  /** Names this source for `$ref/...` value files of other sources. */
  ref?: string;
  name?: string;
  helm?: HelmSource;
  kustomize?: KustomizeSource;
  directory?: DirectorySource;
  plugin?: unknown;
}

export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

export interface RetryStrategy {
  /** Negative: unlimited. Default for automated sync: 5. */
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
  refresh?: boolean;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  retry?: RetryStrategy;
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface ResourceIgnoreDifferences {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface ApplicationSpec {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  project?: string;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  revisionHistoryLimit?: number;
  info?: Array<{ name: string; value: string }>;
}

export interface Application {
  apiVersion: string;
  kind: "Application";
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: ApplicationSpec;
  status?: ApplicationStatus;
}

export interface GroupKind {
  group: string;
  kind: string;
}

export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: Array<{ server?: string; name?: string; namespace?: string }>;
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  description?: string;
}

export interface AppProject {
  apiVersion: string;
  kind: "AppProject";
  metadata: { name: string; namespace?: string };
  spec: AppProjectSpec;
}

// ---------------------------------------------------------------- status vocabulary

/** Argo CD health codes; `HEALTH_ORDER` goes from best to worst. */
export type HealthStatusCode = "Healthy" | "Suspended" | "Progressing" | "Missing" | "Degraded" | "Unknown";
export const HEALTH_ORDER: readonly HealthStatusCode[] = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"];

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

export type SyncStatusCode = "Synced" | "OutOfSync" | "Unknown";
export type SyncPhase = "PreSync" | "Sync" | "PostSync" | "SyncFail";
export type HookType = SyncPhase | "Skip" | "PreDelete" | "PostDelete";
export type OperationPhase = "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";
/** A resource's result in a sync (`syncResult.resources[].status`). */
export type ResultCode = "Synced" | "SyncFailed" | "Pruned" | "PruneSkipped";

/** Identity of an object in a cluster, as Argo CD pairs target and live objects. */
export interface ResourceKey {
  group: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export interface ResourceResult extends ResourceKey {
  version: string;
  status?: ResultCode;
  message: string;
  hookType?: HookType;
  hookPhase?: OperationPhase;
  syncPhase: SyncPhase;
  /** Ours: the wave the task ran in, and what was done (apply, create, replace, prune, delete, none). */
  syncWave?: number;
  action?: string;
}

export interface ResourceStatus extends ResourceKey {
  version: string;
  status?: SyncStatusCode;
  health?: HealthStatus;
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}

export interface RevisionHistory {
  id: number;
  revision: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  deployedAt: string;
  deployStartedAt?: string;
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface OperationState {
  operation: { sync: { revision?: string; prune?: boolean; dryRun?: boolean; resources?: ResourceKey[]; syncStrategy?: { apply?: object; hook?: object } }; initiatedBy?: { username?: string; automated?: boolean }; retry?: RetryStrategy };
  phase: OperationPhase;
  message: string;
  syncResult?: { resources: ResourceResult[]; revision: string; source?: ApplicationSource; sources?: ApplicationSource[] };
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

export interface ApplicationStatus {
  sync: { status: SyncStatusCode; revision?: string; revisions?: string[] };
  health: HealthStatus;
  resources?: ResourceStatus[];
  operationState?: OperationState;
  history?: RevisionHistory[];
  conditions?: Array<{ type: string; message: string; lastTransitionTime?: string }>;
  reconciledAt?: string;
}

/** `group/kind` key, with "" for the core group: `apps/Deployment`, `/Service`. */
export function groupKindOf(apiVersion: string, kind: string): GroupKind {
  const slash = apiVersion.indexOf("/");
  return { group: slash < 0 ? "" : apiVersion.slice(0, slash), kind };
}

export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

export function keyOf(obj: KubeObject, defaultNamespace = ""): ResourceKey {
  const { group } = groupKindOf(obj.apiVersion, obj.kind);
  return { group, kind: obj.kind, namespace: obj.metadata.namespace ?? defaultNamespace, name: obj.metadata.name ?? "" };
}

/** `group/Kind/namespace/name`: a stable string key for maps. */
export function keyString(k: ResourceKey): string {
  return `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
}
