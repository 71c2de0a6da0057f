/**
 * The status side of one reconciliation: the base status (calculateBaseStatus), the paused conditions
 * set before anything else (checkPausedConditions), the conditions (calculateRolloutConditions, with the
 * progress deadline), full promotion (promoteStable), reset on a new template (resetRolloutStatus) and
 * what is written (persistRolloutStatus: abort and pauses, observedGeneration, phase and message).
 */
import type { ObservedAnalysisRun } from "./plan-types.js";
import type { Pass, RSView } from "./plan-context.js";
import { computeStepHash } from "./hash.js";
import {
  MESSAGES,
  REASONS,
  calculateRolloutPhase,
  getCondition,
  newCondition,
  removeCondition,
  rolloutHealthy,
  rolloutProgressing,
  rolloutTimedOut,
  setCondition,
} from "./status.js";
import type { RolloutAnalysisRunStatus, RolloutStatus } from "./types.js";

const sum = (rss: readonly RSView[], f: (rs: RSView) => number): number => rss.reduce((n, rs) => n + f(rs), 0);

/** calculateBaseStatus. */
export function baseStatus(p: Pass): RolloutStatus {
  const live = p.liveRSs;
  const s: RolloutStatus = {
    currentPodHash: p.newRS?.hash ?? p.hash,
    replicas: sum(live, (rs) => rs.status.replicas),
    updatedReplicas: p.newRS?.status.replicas ?? 0,
    readyReplicas: sum(live, (rs) => rs.status.readyReplicas),
    conditions: structuredClone(p.prev.conditions ?? []),
  };
  if (p.prev.collisionCount !== undefined) s.collisionCount = p.prev.collisionCount;
  if (s.currentPodHash !== p.prev.stableRS && p.prev.promoteFull) s.promoteFull = true;
  const runStatus = (r?: ObservedAnalysisRun): RolloutAnalysisRunStatus | undefined =>
    r ? { name: r.name, status: r.phase ?? "Pending", ...(r.message ? { message: r.message } : {}) } : undefined;
  if (p.spec.strategy.canary) {
    s.canary = {};
    if (p.newArs.step) s.canary.currentStepAnalysisRunStatus = runStatus(p.newArs.step);
    if (p.newArs.background) s.canary.currentBackgroundAnalysisRunStatus = runStatus(p.newArs.background);
    s.currentStepHash = computeStepHash(p.spec);
  } else {
    s.blueGreen = {};
    if (p.newArs.pre) s.blueGreen.prePromotionAnalysisRunStatus = runStatus(p.newArs.pre);
    if (p.newArs.post) s.blueGreen.postPromotionAnalysisRunStatus = runStatus(p.newArs.post);
  }
  return s;
}

/** checkPausedConditions: Progressing RolloutPaused/RolloutResumed/RolloutRetry and the Paused condition, before anything else. */
export function checkPausedConditions(p: Pass): void {
  const prog = getCondition(p.prev, "Progressing");
  const progPaused = prog?.reason === REASONS.paused;
  const paused = (p.prev.pauseConditions?.length ?? 0) > 0 || !!p.spec.paused;
  const abortCond = prog?.reason === REASONS.aborted;
  if (paused !== progPaused && !abortCond) {
    setCondition(p.prev, newCondition("Progressing", "Unknown", paused ? REASONS.paused : REASONS.resumed, paused ? MESSAGES.paused : MESSAGES.resumed, p.nowIso));
  }
  if (!p.prev.abort && abortCond) setCondition(p.prev, newCondition("Progressing", "Unknown", REASONS.retry, MESSAGES.retry, p.nowIso));
  const pausedCond = getCondition(p.prev, "Paused");
  if (paused !== (pausedCond?.status === "True") && !abortCond) {
    setCondition(p.prev, newCondition("Paused", paused ? "True" : "False", REASONS.paused, MESSAGES.paused, p.nowIso));
  }
}

/** isIndefiniteStep: analysis, experiment and pause steps do not count against the progress deadline. */
function indefiniteStep(p: Pass): boolean {
  const steps = p.spec.strategy.canary?.steps ?? [];
  const step = p.spec.strategy.canary ? steps[p.prev.currentStepIndex ?? 0] : undefined;
  return !!step && (step.analysis !== undefined || step.experiment !== undefined || step.pause !== undefined);
}

/** calculateRolloutConditions. */
export function conditions(p: Pass, next: RolloutStatus): RolloutStatus {
  const paused = (p.prev.pauseConditions?.length ?? 0) > 0 || !!p.spec.paused;
  const aborted = p.pause.isAborted();
  const generation = p.ro.metadata.generation;
  const healthy = rolloutHealthy(p.spec, p.prev, next, generation);
  let becameUnhealthy = false;
  if (!paused && healthy) setCondition(next, newCondition("Healthy", "True", REASONS.healthy, MESSAGES.healthy, p.nowIso));
  else if (getCondition(p.prev, "Healthy")) becameUnhealthy = setCondition(next, newCondition("Healthy", "False", REASONS.healthy, MESSAGES.notHealthy, p.nowIso));
  if (aborted) {
    let message = MESSAGES.aborted(p.revision);
    if (p.pause.abortMessage) message = `${message}: ${p.pause.abortMessage}`;
    if (setCondition(next, newCondition("Progressing", "False", REASONS.aborted, message, p.nowIso))) p.event(REASONS.aborted, message, "Warning");
  }
  const current = getCondition(p.prev, "Progressing");
  if (!aborted) {
    if (healthy) {
      setCondition(next, newCondition("Progressing", "True", REASONS.newRSAvailable, MESSAGES.replicaSetCompleted(p.newRS?.name ?? ""), p.nowIso));
    } else if (rolloutProgressing(p.spec, p.prev, next) || becameUnhealthy) {
      let reason: string = REASONS.replicaSetUpdated;
      let msg: string = p.newRS ? MESSAGES.replicaSetProgressing(p.newRS.name) : MESSAGES.rolloutProgressing(p.name);
      if (next.stableRS === next.currentPodHash && becameUnhealthy) {
        reason = REASONS.replicaSetNotAvailable;
        msg = MESSAGES.notAvailable;
      }
      const cond = newCondition("Progressing", "True", reason, msg, p.nowIso);
      if (current) {
        if (current.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, "Progressing");
      }
      setCondition(next, cond);
    } else if (!indefiniteStep(p) && !paused && rolloutTimedOut(p.spec, next, p.now)) {
      // Not while paused: a gate may wait longer than the deadline (argo-rollouts#3843, fixed by #3845).
      const msg = p.newRS ? MESSAGES.replicaSetTimedOut(p.newRS.name) : MESSAGES.rolloutTimedOut(p.name);
      const changed = setCondition(next, newCondition("Progressing", "False", REASONS.timedOut, msg, p.nowIso));
      if (p.spec.progressDeadlineAbort && (changed || !p.pause.isAborted())) {
        p.pause.abort(msg);
        p.event(REASONS.aborted, msg, "Warning");
      }
    }
  }
  const activeRS = p.rsByHash(next.blueGreen?.activeSelector);
  const available =
    p.spec.strategy.blueGreen
      ? !!activeRS && activeRS.replicas === p.replicas && activeRS.status.availableReplicas === p.replicas
      : sum(p.liveRSs, (rs) => rs.status.availableReplicas) >= p.replicas;
  setCondition(next, newCondition("Available", available ? "True" : "False", REASONS.available, available ? MESSAGES.available : MESSAGES.notAvailable, p.nowIso));
  removeCondition(next, "ReplicaFailure");
  const completed = !!next.stableRS && next.stableRS === next.currentPodHash;
  if (setCondition(next, newCondition("Completed", completed ? "True" : "False", REASONS.completed, REASONS.completed, p.nowIso)) && !completed) {
    p.event(REASONS.notCompleted, `Rollout not completed, started update to revision ${p.revision + 1} (${next.currentPodHash})`);
  }
  return next;
}

/** persistRolloutStatus: pause and abort, observedGeneration, phase and message. */
export function persist(p: Pass, next: RolloutStatus): RolloutStatus {
  p.pause.apply(next, p.nowIso);
  next.observedGeneration = String(p.ro.metadata.generation ?? 0);
  const { phase, message } = calculateRolloutPhase(p.spec, next);
  next.phase = phase;
  next.message = message;
  if (!next.promoteFull) delete next.promoteFull;
  return next;
}

/** promoteStable: the new ReplicaSet becomes stable; pauses and abort cleared. */
export function promoteStable(p: Pass, next: RolloutStatus, reason: string): void {
  p.pause.clear = true;
  p.pause.removeAbort = true;
  delete next.promoteFull;
  if (next.blueGreen) delete next.blueGreen.scaleUpPreviewCheckPoint;
  if (p.spec.strategy.canary) {
    const steps = p.spec.strategy.canary.steps?.length ?? 0;
    if (steps > 0) next.currentStepIndex = steps;
    else delete next.currentStepIndex;
  }
  if (next.stableRS !== next.currentPodHash) {
    next.stableRS = next.currentPodHash;
    p.event(REASONS.completed, MESSAGES.completed(p.revision, next.currentPodHash ?? "", reason));
  }
}

/** resetRolloutStatus: a new template (or steps) starts from the beginning. */
export function resetStatus(p: Pass, next: RolloutStatus): void {
  p.pause.clear = true;
  p.pause.removeAbort = true;
  delete next.promoteFull;
  if (next.blueGreen) {
    delete next.blueGreen.prePromotionAnalysisRunStatus;
    delete next.blueGreen.postPromotionAnalysisRunStatus;
    delete next.blueGreen.scaleUpPreviewCheckPoint;
  }
  if (next.canary) next.canary = {};
  const steps = p.spec.strategy.canary?.steps?.length ?? 0;
  if (p.spec.strategy.canary && steps > 0) next.currentStepIndex = 0;
  else delete next.currentStepIndex;
}
