/**
 * The Argo Rollouts surface Tiphys reads and writes (argoproj.io/v1alpha1 Rollout, AnalysisTemplate,
 * ClusterAnalysisTemplate, AnalysisRun), as plain data. Field names and meanings follow Argo Rollouts'
 * `pkg/apis/rollouts/v1alpha1/types.go` and `analysis_types.go` (../shared/reference/argo-rollouts.md).
 */
import type { KubeObject } from "../application/types.js";

export type { KubeObject };

/** The label Argo puts on ReplicaSets, their pods and the Services' selectors. */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";
export const REVISION_ANNOTATION = "rollout.argoproj.io/revision";
export const DESIRED_REPLICAS_ANNOTATION = "rollout.argoproj.io/desired-replicas";
export const SCALE_DOWN_DEADLINE_ANNOTATION = "scale-down-deadline";
export const MANAGED_BY_ANNOTATION = "argo-rollouts.argoproj.io/managed-by-rollouts";

/** Kubernetes IntOrString: an int, or a string (a percentage like "25%"). */
export type IntOrString = number | string;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** corev1.PodTemplateSpec as plain JSON. */
export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

// ---------------------------------------------------------------- Rollout spec

export interface AnalysisTemplateRef {
  templateName: string;
  clusterScope?: boolean;
}

/** An argument a Rollout passes to its analysis (`RolloutAnalysis.args`). */
export interface AnalysisRunArgument {
  name: string;
  value?: string;
  valueFrom?: {
    podTemplateHashValue?: "Stable" | "Latest";
    fieldRef?: { fieldPath: string };
  };
}

export interface RolloutAnalysis {
  templates?: AnalysisTemplateRef[];
  args?: AnalysisRunArgument[];
  dryRun?: Array<{ metricName: string }>;
  measurementRetention?: Array<{ metricName: string; limit: number }>;
  analysisRunMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface RolloutAnalysisBackground extends RolloutAnalysis {
  startingStep?: number;
}

export interface SetCanaryScale {
  weight?: number;
  replicas?: number;
  matchTrafficWeight?: boolean;
}

export interface CanaryStep {
  setWeight?: number;
  /** `duration`: seconds as an int, or a Go duration string ("40s", "1h"). */
  pause?: { duration?: IntOrString };
  setCanaryScale?: SetCanaryScale;
  analysis?: RolloutAnalysis;
  experiment?: unknown;
  setHeaderRoute?: unknown;
  setMirrorRoute?: unknown;
  plugin?: unknown;
}

export interface CanaryStrategy {
  canaryService?: string;
  stableService?: string;
  steps?: CanaryStep[];
  trafficRouting?: unknown;
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
  analysis?: RolloutAnalysisBackground;
  scaleDownDelaySeconds?: number;
  scaleDownDelayRevisionLimit?: number;
  abortScaleDownDelaySeconds?: number;
  [k: string]: unknown;
}

export interface BlueGreenStrategy {
  activeService: string;
  previewService?: string;
  previewReplicaCount?: number;
  autoPromotionEnabled?: boolean;
  autoPromotionSeconds?: number;
  scaleDownDelaySeconds?: number;
  scaleDownDelayRevisionLimit?: number;
  abortScaleDownDelaySeconds?: number;
  prePromotionAnalysis?: RolloutAnalysis;
  postPromotionAnalysis?: RolloutAnalysis;
  maxUnavailable?: IntOrString;
  [k: string]: unknown;
}

export interface WorkloadRef {
  apiVersion: string;
  kind: "Deployment" | "ReplicaSet" | "PodTemplate";
  name: string;
  scaleDown?: "never" | "onsuccess" | "progressively";
}

export interface RolloutSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  workloadRef?: WorkloadRef;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  progressDeadlineAbort?: boolean;
  restartAt?: string;
  rollbackWindow?: { revisions?: number };
  strategy: { canary?: CanaryStrategy; blueGreen?: BlueGreenStrategy };
  [k: string]: unknown;
}

// ---------------------------------------------------------------- Rollout status

export type RolloutPhase = "Healthy" | "Progressing" | "Paused" | "Degraded";
export type PauseReason = "CanaryPauseStep" | "BlueGreenPause" | "InconclusiveAnalysisRun" | "InconclusiveExperiment";
export type RolloutConditionType = "InvalidSpec" | "Available" | "Progressing" | "ReplicaFailure" | "Paused" | "Completed" | "Healthy";
export type ConditionStatus = "True" | "False" | "Unknown";

export interface PauseCondition {
  reason: PauseReason;
  startTime: string;
}

export interface RolloutCondition {
  type: RolloutConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export interface RolloutAnalysisRunStatus {
  name: string;
  status: AnalysisPhase;
  message?: string;
}

/** What Tiphys shows as weights of a basic canary (Argo writes `status.canary.weights` only with a traffic router). */
export interface TrafficWeights {
  canary: { weight: number; podTemplateHash: string };
  stable: { weight: number; podTemplateHash: string };
}

export interface RolloutStatus {
  phase?: RolloutPhase;
  message?: string;
  abort?: boolean;
  abortedAt?: string;
  pauseConditions?: PauseCondition[];
  controllerPause?: boolean;
  promoteFull?: boolean;
  currentPodHash?: string;
  currentStepHash?: string;
  currentStepIndex?: number;
  stableRS?: string;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  HPAReplicas?: number;
  selector?: string;
  observedGeneration?: string;
  collisionCount?: number;
  conditions?: RolloutCondition[];
  canary?: {
    currentStepAnalysisRunStatus?: RolloutAnalysisRunStatus;
    currentBackgroundAnalysisRunStatus?: RolloutAnalysisRunStatus;
    weights?: TrafficWeights;
  };
  blueGreen?: {
    activeSelector?: string;
    previewSelector?: string;
    scaleUpPreviewCheckPoint?: boolean;
    prePromotionAnalysisRunStatus?: RolloutAnalysisRunStatus;
    postPromotionAnalysisRunStatus?: RolloutAnalysisRunStatus;
  };
}

export interface Rollout {
  apiVersion: string;
  kind: "Rollout";
  metadata: KubeObject["metadata"] & { name: string };
  spec: RolloutSpec;
  status?: RolloutStatus;
}

// ---------------------------------------------------------------- analysis

export type AnalysisPhase = "Pending" | "Running" | "Successful" | "Failed" | "Error" | "Inconclusive";
export const COMPLETED_ANALYSIS_PHASES: readonly AnalysisPhase[] = ["Successful", "Failed", "Error", "Inconclusive"];
export const isCompleted = (p: AnalysisPhase | undefined): boolean => p !== undefined && COMPLETED_ANALYSIS_PHASES.includes(p);

/** An AnalysisTemplate's argument: a default `value`, or a value from a Secret or a field of the Rollout. */
export interface Argument {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
    podTemplateHashValue?: "Stable" | "Latest";
  };
}

export interface Metric {
  name: string;
  interval?: string;
  initialDelay?: string;
  /** IntOrString in Argo so that `{{args.count}}` can fill it. */
  count?: IntOrString;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: IntOrString;
  inconclusiveLimit?: IntOrString;
  consecutiveErrorLimit?: IntOrString;
  provider: Record<string, unknown>;
}

export interface AnalysisTemplateSpec {
  metrics: Metric[];
  args?: Argument[];
  dryRun?: Array<{ metricName: string }>;
  measurementRetention?: Array<{ metricName: string; limit: number }>;
}

export interface AnalysisTemplate {
  apiVersion: string;
  kind: "AnalysisTemplate" | "ClusterAnalysisTemplate";
  metadata: KubeObject["metadata"] & { name: string };
  spec: AnalysisTemplateSpec;
}

export interface Measurement {
  phase: AnalysisPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  value?: string;
  metadata?: Record<string, string>;
  resumeAt?: string;
}

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements: Measurement[];
  message?: string;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  dryRun?: boolean;
  metadata?: Record<string, string>;
}

export interface RunSummary {
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
}

export interface AnalysisRunSpec extends AnalysisTemplateSpec {
  args?: Argument[];
  terminate?: boolean;
}

export interface AnalysisRunStatus {
  phase?: AnalysisPhase;
  message?: string;
  metricResults?: MetricResult[];
  startedAt?: string;
  runSummary?: RunSummary;
  dryRunSummary?: RunSummary;
}

export interface AnalysisRun {
  apiVersion: string;
  kind: "AnalysisRun";
  metadata: KubeObject["metadata"] & { name: string };
  spec: AnalysisRunSpec;
  status?: AnalysisRunStatus;
}
