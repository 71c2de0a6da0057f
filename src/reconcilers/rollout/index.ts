/**
 * Tiphys's own Rollout controller, the pure part: reading Rollouts and analysis templates, Argo Rollouts'
 * replica math, pod-template hash, the planner of one reconciliation, the operations people run, and
 * analysis-run assessment. The cluster side (creating ReplicaSets, patching Services, running metric
 * providers) acts on what these return.
 */
export * from "./types.js";
export * from "./plan-types.js";
export { readRollout, pauseDurationSeconds, ARGO_API_VERSION } from "./model.js";
export { readAnalysisTemplate, SUPPORTED_PROVIDERS } from "./model-analysis.js";
export { lintRolloutDocuments, loadRollouts, resolveWorkloadRef, analysesOf, type LoadedRollout, type LoadedAnalysisTemplate, type RolloutDocuments } from "./lint.js";
export {
  valueFromIntOrPercent,
  resolveFenceposts,
  fencepostsOf,
  currentCanaryStep,
  currentSetWeight,
  canaryReplicasOrWeight,
  approximateCanaryStableCounts,
  basicCanaryReplicaCounts,
  basicCanaryCountsFor,
  trafficRoutedReplicaCounts,
  blueGreenNewReplicas,
  type ReplicaSetCounts,
  type BasicCanaryInput,
  type Fenceposts,
} from "./replicas.js";
export { computePodTemplateHash, computeStepHash, safeEncodeString, withoutHashLabel } from "./hash.js";
export { marshalPodTemplate, canonicalQuantity } from "./go-json.js";
export { planRollout, statusFingerprint } from "./plan.js";
export { calculateRolloutPhase, formatLabelSelector } from "./status.js";
export { autoPromotionAt } from "./plan-bluegreen.js";
export { promoteRollout, abortRollout, retryRollout, pauseRollout, undoRollout, type OperationResult, type UndoResult } from "./operations.js";
export {
  newAnalysisRun,
  resolveArgValues,
  resolveMetric,
  substituteArgs,
  flattenTemplates,
  mergeArgs,
  rolloutAnalysisArgs,
  rolloutFieldValue,
  validateMetrics,
  type ArgInputs,
  type NewAnalysisRunInput,
} from "./analysis-run.js";
export {
  evaluateCondition,
  evaluateResult,
  measurementFromResult,
  effectiveCount,
  assessMetric,
  assessMetricLimits,
  assessRun,
  resolvedMetrics,
  dueMetrics,
  recordMeasurement,
  nextMeasurementTime,
  reconcileAnalysisRun,
  isTerminating,
  DEFAULT_CONSECUTIVE_ERROR_LIMIT,
  DEFAULT_MEASUREMENT_HISTORY_LIMIT,
  DEFAULT_ERROR_RETRY_INTERVAL_MS,
  type DueMetric,
} from "./analysis.js";
