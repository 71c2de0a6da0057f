/**
 * A Rollout's conditions and phase as Argo Rollouts computes them: condition bookkeeping
 * (`utils/conditions/conditions.go` SetRolloutCondition, RolloutProgressing, RolloutHealthy,
 * RolloutTimedOut, RolloutCompleted and the reasons and messages), the phase and message
 * (`utils/rollout/rolloututil.go` CalculateRolloutPhase) and pause bookkeeping (`rollout/pause.go`).
 */
import { replicasOf } from "./replicas.js";
import type { PauseCondition, PauseReason, RolloutCondition, RolloutConditionType, RolloutPhase, RolloutSpec, RolloutStatus, ConditionStatus } from "./types.js";

export const REASONS = {
  invalidSpec: "InvalidSpec",
  available: "AvailableReason",
  replicaSetUpdated: "ReplicaSetUpdated",
  newReplicaSetCreated: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  newRSAvailable: "NewReplicaSetAvailable",
  replicaSetNotAvailable: "ReplicaSetNotAvailable",
  timedOut: "ProgressDeadlineExceeded",
  aborted: "RolloutAborted",
  retry: "RolloutRetry",
  paused: "RolloutPaused",
  resumed: "RolloutResumed",
  completed: "RolloutCompleted",
  notCompleted: "RolloutNotCompleted",
  healthy: "RolloutHealthy",
  stepCompleted: "RolloutStepCompleted",
} as const;

export const MESSAGES = {
  notAvailable: "Rollout does not have minimum availability",
  available: "Rollout has minimum availability",
  replicaSetProgressing: (rs: string) => `ReplicaSet ${goQ(rs)} is progressing.`,
  rolloutProgressing: (ro: string) => `Rollout ${goQ(ro)} is progressing.`,
  newReplicaSet: (rs: string) => `Created new replica set ${goQ(rs)}`,
  foundNewReplicaSet: (rs: string) => `Found new replica set ${goQ(rs)}`,
  replicaSetCompleted: (rs: string) => `ReplicaSet ${goQ(rs)} has successfully progressed.`,
  replicaSetTimedOut: (rs: string) => `ReplicaSet ${goQ(rs)} has timed out progressing.`,
  rolloutTimedOut: (ro: string) => `Rollout ${goQ(ro)} has timed out progressing.`,
  aborted: (revision: number) => `Rollout aborted update to revision ${revision}`,
  retry: "Retrying Rollout after abort",
  paused: "Rollout is paused",
  resumed: "Rollout is resumed",
  healthy: "Rollout is healthy",
  notHealthy: "Rollout is not healthy",
  stepCompleted: (n: number, total: number, step: string) => `Rollout step ${n}/${total} completed (${step})`,
  completed: (revision: number, hash: string, reason: string) => `Rollout completed update to revision ${revision} (${hash}): ${reason}`,
} as const;

/**
 * A time as Kubernetes writes metav1.Time: RFC 3339 in UTC, whole seconds. Timers in this module fire
 * at their instant (Argo compares strictly after it; the difference is below a millisecond, and a
 * timer set for `at` then always finds the work due).
 */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Go's %q for the ASCII names Kubernetes allows. */
function goQ(s: string): string {
  return JSON.stringify(s);
}

export function newCondition(type: RolloutConditionType, status: ConditionStatus, reason: string, message: string, now: string): RolloutCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export const getCondition = (status: RolloutStatus, type: RolloutConditionType): RolloutCondition | undefined => status.conditions?.find((c) => c.type === type);

/** SetRolloutCondition: no change when status and reason are the same; keeps lastTransitionTime when status is. Returns whether it changed. */
export function setCondition(status: RolloutStatus, cond: RolloutCondition): boolean {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return false;
  const next = current && current.status === cond.status ? { ...cond, lastTransitionTime: current.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
  return true;
}

export function removeCondition(status: RolloutStatus, type: RolloutConditionType): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** RolloutHealthy: all desired replicas updated and available, the generation observed, the strategy done. */
export function rolloutHealthy(spec: RolloutSpec, prev: RolloutStatus, next: RolloutStatus, generation: number | undefined): boolean {
  const replicas = replicasOf(spec);
  let completed = true;
  const bg = spec.strategy.blueGreen;
  if (bg) {
    const active = next.blueGreen?.activeSelector === next.currentPodHash;
    const preview = bg.previewService ? next.blueGreen?.previewSelector === next.currentPodHash : true;
    completed = active && preview;
  }
  if (spec.strategy.canary) {
    const steps = spec.strategy.canary.steps?.length ?? 0;
    const allSteps = steps > 0 && next.currentStepIndex !== undefined ? next.currentStepIndex === steps : true;
    const currentIsStable = !!next.stableRS && next.stableRS === next.currentPodHash;
    completed = allSteps && currentIsStable && next.replicas === replicas;
  }
  return next.updatedReplicas === replicas && next.availableReplicas === replicas && prev.observedGeneration === String(generation ?? 0) && completed;
}

/** RolloutProgressing: replicas moved, or (canary) the stable, step or steps hash changed, or (blue-green) a selector. */
export function rolloutProgressing(spec: RolloutSpec, prev: RolloutStatus, next: RolloutStatus): boolean {
  let strategy = false;
  if (spec.strategy.blueGreen) {
    strategy = prev.blueGreen?.activeSelector !== next.blueGreen?.activeSelector || prev.blueGreen?.previewSelector !== next.blueGreen?.previewSelector;
  }
  if (spec.strategy.canary) {
    const step = next.currentStepIndex !== undefined && prev.currentStepIndex !== undefined && next.currentStepIndex !== prev.currentStepIndex;
    strategy = (next.stableRS ?? "") !== (prev.stableRS ?? "") || step || (next.currentStepHash ?? "") !== (prev.currentStepHash ?? "");
  }
  const n = (v: number | undefined): number => v ?? 0;
  return (
    n(next.updatedReplicas) !== n(prev.updatedReplicas) ||
    n(next.replicas) - n(next.updatedReplicas) < n(prev.replicas) - n(prev.updatedReplicas) ||
    n(next.readyReplicas) > n(prev.readyReplicas) ||
    n(next.availableReplicas) > n(prev.availableReplicas) ||
    strategy
  );
}

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const progressDeadlineSeconds = (spec: RolloutSpec): number => spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;

/** RolloutTimedOut: the Progressing condition is older than progressDeadlineSeconds (or already says so). */
export function rolloutTimedOut(spec: RolloutSpec, next: RolloutStatus, now: number): boolean {
  const cond = getCondition(next, "Progressing");
  if (!cond || cond.reason === REASONS.aborted) return false;
  if (cond.reason === REASONS.timedOut) return true;
  return Date.parse(cond.lastUpdateTime) + progressDeadlineSeconds(spec) * 1000 <= now;
}

/** CalculateRolloutPhase: first match wins (degraded, paused, replicas, strategy), else Healthy with no message. */
export function calculateRolloutPhase(spec: RolloutSpec, status: RolloutStatus): { phase: RolloutPhase; message: string } {
  for (const c of status.conditions ?? []) {
    if (c.type === "InvalidSpec") return { phase: "Degraded", message: `InvalidSpec: ${c.message}` };
    if (c.reason === REASONS.aborted || c.reason === REASONS.timedOut) return { phase: "Degraded", message: `${c.reason}: ${c.message}` };
  }
  if (spec.paused) return { phase: "Paused", message: "manually paused" };
  const pause = status.pauseConditions?.[0];
  if (pause) return { phase: "Paused", message: pause.reason };
  if ((status.updatedReplicas ?? 0) < replicasOf(spec)) return { phase: "Progressing", message: "more replicas need to be updated" };
  if ((status.availableReplicas ?? 0) < (status.updatedReplicas ?? 0)) return { phase: "Progressing", message: "updated replicas are still becoming available" };
  const fullyPromoted = !!status.stableRS && status.stableRS === status.currentPodHash;
  if (spec.strategy.blueGreen) {
    const active = status.blueGreen?.activeSelector;
    if (!active || active !== status.currentPodHash) return { phase: "Progressing", message: "active service cutover pending" };
    if (!fullyPromoted) {
      const post = status.blueGreen?.postPromotionAnalysisRunStatus;
      const waitingForAnalysis = spec.strategy.blueGreen.postPromotionAnalysis !== undefined && (!post || !["Successful", "Failed", "Error", "Inconclusive"].includes(post.status));
      return { phase: "Progressing", message: waitingForAnalysis ? "waiting for analysis to complete" : "waiting for post-promotion verification to complete" };
    }
  } else if (spec.strategy.canary) {
    if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return { phase: "Progressing", message: "old replicas are pending termination" };
    if (!fullyPromoted) return { phase: "Progressing", message: "waiting for all steps to complete" };
  }
  return { phase: "Healthy", message: "" };
}

// ---------------------------------------------------------------- pause bookkeeping

/** The pauseContext of one reconciliation: what it adds, removes or clears, and whether it aborts. */
export class PauseContext {
  readonly add: PauseReason[] = [];
  readonly remove: PauseReason[] = [];
  clear = false;
  addAbort = false;
  removeAbort = false;
  abortMessage = "";

  constructor(private readonly prev: RolloutStatus) {}

  hasAddPause(): boolean {
    return this.add.length > 0;
  }
  isAborted(): boolean {
    if (this.removeAbort) return false;
    return this.addAbort || !!this.prev.abort;
  }
  abort(message: string): void {
    this.addAbort = true;
    this.abortMessage = message;
  }

  /** CalculatePauseStatus: abort, abortedAt (kept from the first abort), pause conditions and controllerPause. */
  apply(next: RolloutStatus, now: string): void {
    const abortedAt = this.prev.abortedAt ?? now;
    delete next.pauseConditions;
    delete next.controllerPause;
    if (this.addAbort || (!this.removeAbort && this.prev.abort)) {
      next.abort = true;
      next.abortedAt = abortedAt;
      return;
    }
    delete next.abort;
    delete next.abortedAt;
    if (this.clear) return;
    let controllerPause = !!this.prev.controllerPause;
    const conds: PauseCondition[] = [];
    const exists = new Set<PauseReason>();
    for (const c of this.prev.pauseConditions ?? []) {
      if (!this.remove.includes(c.reason)) conds.push(c);
      exists.add(c.reason);
    }
    for (const reason of this.add) {
      if (!exists.has(reason)) {
        conds.push({ reason, startTime: now });
        exists.add(reason);
        controllerPause = true;
      }
    }
    if (conds.length === 0) return;
    next.controllerPause = controllerPause;
    next.pauseConditions = conds;
  }
}

export const pauseConditionOf = (status: RolloutStatus, reason: PauseReason): PauseCondition | undefined => status.pauseConditions?.find((c) => c.reason === reason);

/** metav1.FormatLabelSelector for status.selector. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined): string {
  if (!sel) return "";
  const parts = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}=${sel.matchLabels![k]}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === "exists") parts.push(e.key);
    else if (op === "doesnotexist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op === "in" ? "in" : "notin"} (${[...(e.values ?? [])].sort().join(",")})`);
  }
  return parts.length ? parts.join(",") : "<none>";
}
