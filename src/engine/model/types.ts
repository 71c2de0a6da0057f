/**
 * The Argo Workflows spec surface Tiphys reads (argoproj.io/v1alpha1), as plain data.
 * Field names and meanings follow Argo's `workflow_types.go`. Kubernetes-only fields are kept
 * in the objects as they came (see `k8s-only.ts`) and are not typed here.
 */

export type WorkflowKind = "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate" | "CronWorkflow";
export const WORKFLOW_KINDS: readonly WorkflowKind[] = [
  "Workflow",
  "WorkflowTemplate",
  "ClusterWorkflowTemplate",
  "CronWorkflow",
];

export type NodePhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Error" | "Skipped" | "Omitted";
export type WorkflowPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Error";
export type NodeType =
  | "Pod"
  | "Container"
  | "Steps"
  | "StepGroup"
  | "DAG"
  | "TaskGroup"
  | "Retry"
  | "Skipped"
  | "Suspend"
  | "HTTP"
  | "Plugin";

export type IntOrString = number | string;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  creationTimestamp?: string;
}

export interface ValueFrom {
  path?: string;
  default?: string;
  expression?: string;
  parameter?: string;
  supplied?: Record<string, never>;
  jsonPath?: string;
  jqFilter?: string;
  event?: string;
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
}

export interface Parameter {
  name: string;
  value?: string;
  default?: string;
  enum?: string[];
  description?: string;
  globalName?: string;
  valueFrom?: ValueFrom;
}

export interface ArchiveStrategy {
  none?: Record<string, never>;
  tar?: { compressionLevel?: number };
  zip?: Record<string, never>;
}

export interface Artifact {
  name: string;
  path?: string;
  from?: string;
  fromExpression?: string;
  mode?: number;
  optional?: boolean;
  subPath?: string;
  globalName?: string;
  archive?: ArchiveStrategy;
  raw?: { data: string };
  http?: { url: string; headers?: Array<{ name: string; value: string }> };
  git?: {
    repo: string;
    revision?: string;
    depth?: number;
    branch?: string;
    singleBranch?: boolean;
    disableSubmodules?: boolean;
    insecureIgnoreHostKey?: boolean;
    fetch?: string[];
  };
  /** Tiphys's local artifact repository: where a saved artifact lives under the run's folder. */
  local?: { key: string };
  recurseMode?: boolean;
  // s3, gcs, azure, oss, hdfs, artifactory, plugin: accepted by lint, refused by the local repository.
  [storage: string]: unknown;
}

export interface Arguments {
  parameters?: Parameter[];
  artifacts?: Artifact[];
}

export interface Inputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
}

export interface Outputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
  result?: string;
  exitCode?: string;
}

export interface Backoff {
  duration?: string;
  factor?: IntOrString;
  maxDuration?: string;
  cap?: string;
}

export type RetryPolicy = "Always" | "OnFailure" | "OnError" | "OnTransientError";

export interface RetryStrategy {
  limit?: IntOrString;
  retryPolicy?: RetryPolicy;
  backoff?: Backoff;
  expression?: string;
  affinity?: unknown;
}

export interface ContinueOn {
  failed?: boolean;
  error?: boolean;
}

export interface TemplateRef {
  name: string;
  template: string;
  clusterScope?: boolean;
}

export interface LifecycleHook {
  template?: string;
  templateRef?: TemplateRef;
  arguments?: Arguments;
  expression?: string;
}

export interface Sequence {
  count?: IntOrString;
  start?: IntOrString;
  end?: IntOrString;
  format?: string;
}

export type Item = string | number | boolean | null | Item[] | { [k: string]: Item };

/** What a step and a DAG task have in common: a call of a template. */
export interface TemplateCall {
  name: string;
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
  arguments?: Arguments;
  when?: string;
  withItems?: Item[];
  withParam?: string;
  withSequence?: Sequence;
  continueOn?: ContinueOn;
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
}

export type WorkflowStep = TemplateCall;

export interface DAGTask extends TemplateCall {
  depends?: string;
  dependencies?: string[];
}

export interface DAGTemplate {
  tasks: DAGTask[];
  target?: string;
  failFast?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  dependencies?: string[]; // containerSet only
  [k8sOnly: string]: unknown;
}

export interface ScriptTemplate extends Container {
  source: string;
}

export interface HTTPTemplate {
  url: string;
  method?: string;
  headers?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  body?: string;
  bodyFrom?: { bytes?: string };
  timeoutSeconds?: number;
  insecureSkipVerify?: boolean;
  successCondition?: string;
}

export interface SuspendTemplate {
  duration?: string;
}

export interface ContainerSetTemplate {
  containers: Container[];
  volumeMounts?: unknown[];
  retryStrategy?: { retries?: IntOrString; duration?: string };
}

export interface Memoize {
  key: string;
  maxAge?: string;
  cache?: { configMap?: { name: string; key?: string } };
}

export interface SemaphoreRef {
  configMapKeyRef?: { name: string; key: string };
  database?: { key: string };
  namespace?: string;
}

export interface Synchronization {
  mutexes?: Array<{ name: string; namespace?: string; database?: boolean }>;
  semaphores?: SemaphoreRef[];
}

export interface Template {
  name?: string;
  inputs?: Inputs;
  outputs?: Outputs;
  container?: Container;
  script?: ScriptTemplate;
  steps?: WorkflowStep[][];
  dag?: DAGTemplate;
  suspend?: SuspendTemplate;
  http?: HTTPTemplate;
  containerSet?: ContainerSetTemplate;
  resource?: Record<string, unknown>;
  plugin?: Record<string, unknown>;
  data?: Record<string, unknown>;
  retryStrategy?: RetryStrategy;
  activeDeadlineSeconds?: IntOrString;
  timeout?: string;
  parallelism?: IntOrString;
  failFast?: boolean;
  memoize?: Memoize;
  synchronization?: Synchronization;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  daemon?: boolean;
  [k8sOnly: string]: unknown;
}

export interface WorkflowSpec {
  entrypoint?: string;
  arguments?: Arguments;
  templates?: Template[];
  onExit?: string;
  hooks?: Record<string, LifecycleHook>;
  parallelism?: number;
  activeDeadlineSeconds?: number;
  templateDefaults?: Template;
  workflowTemplateRef?: { name: string; clusterScope?: boolean };
  synchronization?: Synchronization;
  suspend?: boolean;
  shutdown?: "Stop" | "Terminate";
  priority?: number;
  serviceAccountName?: string;
  [k8sOnly: string]: unknown;
}

export interface CronWorkflowSpec {
  schedules: string[];
  timezone?: string;
  concurrencyPolicy?: "Allow" | "Forbid" | "Replace";
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  suspend?: boolean;
  when?: string;
  stopStrategy?: { expression: string };
  workflowSpec: WorkflowSpec;
  workflowMetadata?: ObjectMeta;
}

/** One manifest as loaded: any of the four kinds. */
export interface WorkflowManifest {
  apiVersion: string;
  kind: WorkflowKind;
  metadata: ObjectMeta;
  spec: WorkflowSpec | CronWorkflowSpec;
}

export type TemplateType =
  | "container"
  | "script"
  | "steps"
  | "dag"
  | "suspend"
  | "http"
  | "containerSet"
  | "resource"
  | "plugin"
  | "data";

export const TEMPLATE_TYPES: readonly TemplateType[] = [
  "container",
  "script",
  "steps",
  "dag",
  "suspend",
  "http",
  "containerSet",
  "resource",
  "plugin",
  "data",
];

export function templateTypes(t: Template): TemplateType[] {
  return TEMPLATE_TYPES.filter((k) => t[k] !== undefined && t[k] !== null);
}

export function templateType(t: Template): TemplateType | undefined {
  return templateTypes(t)[0];
}

/** Node status as Argo's `status.nodes[id]`. */
export interface NodeStatus {
  id: string;
  name: string;
  displayName: string;
  type: NodeType;
  templateName?: string;
  templateRef?: TemplateRef;
  phase: NodePhase;
  boundaryID?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  children?: string[];
  outboundNodes?: string[];
  inputs?: Inputs;
  outputs?: Outputs;
  hostNodeName?: string;
  /** Tiphys-local: the host process id while Running (not in Argo's shape). */
  memoizationStatus?: { hit: boolean; key: string; cacheName: string };
}

export interface WorkflowStatus {
  phase: WorkflowPhase;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  progress?: string;
  nodes: Record<string, NodeStatus>;
  outputs?: Outputs;
}
