/**
 * One canary reconciliation, in Argo Rollouts' order (`rollout/canary.go` rolloutCanary): the new
 * ReplicaSet, revision history, stable and canary Services, analysis runs (which may pause or abort),
 * replica counts (one ReplicaSet changes per pass: stable, then new, then older ones), the pause step,
 * and the status (syncRolloutStatusCanary: step completion, full promotion, abort).
 */
import { computeStepHash } from "./hash.js";
import type { Pass, RSView } from "./plan-context.js";
import { baseStatus, conditions, persist, promoteStable, resetStatus } from "./plan-status.js";
import { basicCanaryCountsFor, currentCanaryStep, fencepostsOf, stableExists, type ReplicaSetCounts } from "./replicas.js";
import { pauseDurationSeconds } from "./model.js";
import { MESSAGES, REASONS, formatLabelSelector } from "./status.js";
import type { CanaryStep, RolloutStatus } from "./types.js";

const counts = (rs: RSView | undefined): ReplicaSetCounts | undefined => (rs ? { name: rs.name, replicas: rs.replicas, availableReplicas: rs.status.availableReplicas } : undefined);

/** The basic canary's next counts for the pass's ReplicaSets (CalculateReplicaCountsForBasicCanary). */
export function canaryCounts(p: Pass): { canary: number; stable: number } {
  return basicCanaryCountsFor(
    { spec: p.spec, status: p.prev },
    { newRS: counts(p.newRS), stableRS: counts(p.stableRS), otherRSs: p.otherRSs.map((rs) => counts(rs)!) },
  );
}

/** PodTemplateOrStepsChanged: steps hash changed (or never recorded), or the pod template hash moved. */
function templateOrStepsChanged(p: Pass): boolean {
  if (!p.prev.currentStepHash || p.prev.currentStepHash !== computeStepHash(p.spec)) return true;
  if (!p.prev.currentPodHash) return false;
  return p.prev.currentPodHash !== (p.newRS?.hash ?? p.hash);
}

/** CanaryStepString. */
export function canaryStepString(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight: ${step.setWeight}`;
  if (step.pause !== undefined) return step.pause?.duration !== undefined ? `pause: ${step.pause.duration}` : "pause";
  if (step.experiment !== undefined) return "experiment";
  if (step.analysis !== undefined) return "analysis";
  const scs = step.setCanaryScale;
  if (scs?.weight !== undefined) return `setCanaryScale{weight: ${scs.weight}}`;
  if (scs?.matchTrafficWeight) return "setCanaryScale{matchTrafficWeight: true}";
  if (scs?.replicas !== undefined) return `setCanaryScale{replicas: ${scs.replicas}}`;
  return "invalid";
}

/** AtDesiredReplicaCountsForCanary (basic canary): new all available, stable all created, older ones without available pods. */
function atDesiredCounts(p: Pass): boolean {
  const want = canaryCounts(p);
  const { newRS, stableRS } = p;
  if (!newRS || newRS.replicas !== want.canary || newRS.status.availableReplicas !== want.canary) return false;
  if (!stableRS || stableRS.replicas !== want.stable || stableRS.status.replicas !== want.stable) return false;
  return p.otherRSs.every((rs) => rs.status.availableReplicas === 0);
}

/** completedCurrentCanaryStep. */
function completedCurrentStep(p: Pass): boolean {
  if (p.spec.paused) return false;
  const { step } = currentCanaryStep(p.spec, p.prev);
  if (!step) return false;
  if (step.pause !== undefined) {
    const cond = p.pauseCondition("CanaryPauseStep");
    if (p.prev.controllerPause && !cond) return true; // a person resumed it
    const duration = step.pause?.duration;
    return duration !== undefined && !!cond && p.now >= Date.parse(cond.startTime) + pauseDurationSeconds(duration) * 1000;
  }
  if (step.setCanaryScale !== undefined || step.setWeight !== undefined) return atDesiredCounts(p);
  if (step.experiment !== undefined) return false;
  if (step.analysis !== undefined) return p.currentArs.step?.phase === "Successful";
  return step.setHeaderRoute !== undefined || step.setMirrorRoute !== undefined;
}

/** shouldFullPromote for canary. */
function fullPromoteReason(p: Pass): string {
  if (!p.stableRS) return "Initial deploy";
  if (p.pause.isAborted()) return "";
  if (!p.newRS || p.newRS.status.availableReplicas !== p.replicas) return "";
  if (p.prev.promoteFull) return "Full promotion requested";
  if (p.isRollbackWithinWindow()) return "Rollback within window";
  const stepCount = p.spec.strategy.canary?.steps?.length ?? 0;
  const { index } = currentCanaryStep(p.spec, p.prev);
  if (stepCount === 0 || index === stepCount) return `Completed all ${stepCount} canary steps`;
  return "";
}

/** syncRolloutStatusCanary. */
function syncStatus(p: Pass): RolloutStatus {
  const s = baseStatus(p);
  s.availableReplicas = p.liveRSs.reduce((n, rs) => n + rs.status.availableReplicas, 0);
  s.HPAReplicas = p.liveRSs.reduce((n, rs) => n + rs.status.replicas, 0);
  s.selector = formatLabelSelector(p.spec.selector);
  if (p.prev.stableRS) s.stableRS = p.prev.stableRS;
  const stepCount = p.spec.strategy.canary?.steps?.length ?? 0;
  const done = (): RolloutStatus => persist(p, conditions(p, s));
  if (templateOrStepsChanged(p)) {
    resetStatus(p, s);
    if (p.newRS && stepCount > 0) {
      if (p.prev.stableRS === p.newRS.hash) {
        p.event("SkipSteps", "Rollback to stable ReplicaSets");
        s.currentStepIndex = stepCount;
      } else if (p.isRollbackWithinWindow() && p.newRS.replicas > 0) {
        p.event("SkipSteps", "Rollback to active ReplicaSets within RollbackWindow");
        s.currentStepIndex = stepCount;
      }
    }
    return done();
  }
  const { step } = currentCanaryStep(p.spec, p.prev);
  let { index } = currentCanaryStep(p.spec, p.prev);
  if (p.prev.promoteFull || p.isRollbackWithinWindow()) {
    p.pause.clear = true;
    p.pause.removeAbort = true;
    if (stepCount > 0) index = stepCount;
  }
  const reason = fullPromoteReason(p);
  if (reason) {
    promoteStable(p, s, reason);
    return done();
  }
  if (p.pause.isAborted()) {
    if (stepCount > 0) s.currentStepIndex = s.stableRS === s.currentPodHash ? stepCount : 0;
    return done();
  }
  if (step && index !== undefined && completedCurrentStep(p)) {
    index++;
    delete s.canary?.currentStepAnalysisRunStatus;
    p.event(REASONS.stepCompleted, MESSAGES.stepCompleted(index, stepCount, canaryStepString(step)));
    p.pause.remove.push("CanaryPauseStep");
  }
  if (index !== undefined) s.currentStepIndex = index;
  return done();
}

/** reconcileStableAndCanaryService (basic canary: on abort the canary Service points at the stable). */
function reconcileServices(p: Pass): void {
  const c = p.spec.strategy.canary!;
  p.ensureServiceTargets(c.stableService, p.stableRS, true);
  if (p.pause.isAborted()) return p.ensureServiceTargets(c.canaryService, p.stableRS, true);
  p.ensureServiceTargets(c.canaryService, p.newRS, true);
}

/** reconcileAnalysisRuns for canary: the step run and the background run. */
function reconcileAnalysis(p: Pass): void {
  const canary = p.spec.strategy.canary!;
  if (p.pause.isAborted() || p.prev.promoteFull || p.newRS?.scaleDownDeadline || !p.prev.stableRS) {
    p.setCurrentRuns(p.currentArs);
    return p.cancelRuns(p.runs);
  }
  let stepRun = p.currentArs.step;
  const { step, index } = currentCanaryStep(p.spec, p.prev);
  if (!((p.prev.pauseConditions?.length ?? 0) > 0 || p.prev.abort)) {
    if (!step?.analysis || index === undefined) {
      p.cancelRuns([stepRun]);
      stepRun = undefined;
    } else if (p.needsNewRun(stepRun)) {
      stepRun = p.createRun("Step", step.analysis, String(index), index);
    } else p.pauseOrAbortFor(stepRun);
  }
  let background = p.currentArs.background;
  if (!canary.analysis) {
    p.cancelRuns([background]);
    background = undefined;
  } else {
    const start = canary.analysis.startingStep;
    const beforeStart = start !== undefined && step !== undefined && index !== undefined && index < start;
    if (p.prev.stableRS === p.prev.currentPodHash || !p.prev.currentPodHash || beforeStart) background = undefined;
    else if (!p.pauseCondition("InconclusiveAnalysisRun")) {
      if (p.needsNewRun(background)) background = p.createRun("Background", canary.analysis, "");
      else p.pauseOrAbortFor(background);
    }
  }
  p.setCurrentRuns({ step: stepRun, background });
  p.cancelOtherRuns();
}

/** reconcileCanaryReplicaSets: true when a ReplicaSet was scaled (the pass ends there). */
function reconcileReplicaSets(p: Pass): boolean {
  if (p.haltProgress()) return false;
  p.removeScaleDownDeadlines();
  if (stableExists(counts(p.newRS), counts(p.stableRS)) && p.scale(p.stableRS!, canaryCounts(p).stable)) return true;
  if (!p.newRS && p.prev.currentPodHash !== p.prev.stableRS) p.newRS = p.rsByHash(p.prev.currentPodHash);
  if (p.newRS && p.scale(p.newRS, canaryCounts(p).canary)) return true;
  return scaleDownOld(p) > 0;
}

/** reconcileOtherReplicaSets / scaleDownOldReplicaSetsForCanary, within maxUnavailable. */
function scaleDownOld(p: Pass): number {
  const others = p.otherRSs.filter((rs) => rs.replicas > 0);
  if (others.length === 0) return 0;
  let total = 0;
  for (const rs of others) {
    // cleanupUnhealthyReplicas: pods that are not available go first.
    if (rs.replicas !== rs.status.availableReplicas && rs.status.availableReplicas <= rs.replicas) {
      total += rs.replicas - rs.status.availableReplicas;
      p.scale(rs, rs.status.availableReplicas);
    }
  }
  const available = p.liveRSs.reduce((n, rs) => n + rs.status.availableReplicas, 0);
  let maxScaleDown = available - (p.replicas - fencepostsOf(p.spec).maxUnavailable);
  if (maxScaleDown <= 0) return 0;
  for (const rs of [...others].sort((a, b) => b.revision - a.revision)) {
    if (maxScaleDown <= 0) break;
    if (rs.replicas === 0) continue;
    const desired = rs.replicas > maxScaleDown ? rs.replicas - maxScaleDown : 0;
    if (rs.replicas === desired) continue;
    const from = rs.replicas;
    p.scale(rs, desired);
    maxScaleDown -= from - desired;
    total += from - desired;
  }
  return total;
}

/** reconcileCanaryPause: reaching a pause step adds CanaryPauseStep (once; a promote leaves controllerPause to say so). */
function reconcilePause(p: Pass): void {
  if (p.spec.paused || p.prev.promoteFull) return;
  const { step } = currentCanaryStep(p.spec, p.prev);
  if (!step || step.pause === undefined) return;
  if (!p.pauseCondition("CanaryPauseStep") && !p.prev.controllerPause) p.pause.add.push("CanaryPauseStep");
}

/** rolloutCanary. `resetOnly`: the pass only reset the status for a new template or steps (Argo returns there). */
export function planCanaryPass(p: Pass): { status: RolloutStatus; resetOnly: boolean } {
  if (templateOrStepsChanged(p)) {
    p.syncNewReplicaSet(false);
    return { status: syncStatus(p), resetOnly: true };
  }
  p.syncNewReplicaSet(true);
  p.cleanupRevisionHistory();
  reconcileServices(p);
  reconcileAnalysis(p);
  if (p.pause.hasAddPause()) return { status: syncStatus(p), resetOnly: false };
  if (reconcileReplicaSets(p)) return { status: syncStatus(p), resetOnly: false };
  reconcilePause(p);
  return { status: syncStatus(p), resetOnly: false };
}
