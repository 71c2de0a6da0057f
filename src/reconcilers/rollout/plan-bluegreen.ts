/**
 * One blue-green reconciliation, in Argo Rollouts' order (`rollout/bluegreen.go` rolloutBlueGreen): the
 * new ReplicaSet and the preview Service, the active and new ReplicaSets' sizes, old ReplicaSets after
 * their scale-down delay, the BlueGreenPause gate, the active Service switch, pre- and post-promotion
 * analysis, and the status (syncRolloutStatusBlueGreen).
 */
import type { Pass } from "./plan-context.js";
import { baseStatus, conditions, persist, promoteStable, resetStatus } from "./plan-status.js";
import { blueGreenNewReplicas } from "./replicas.js";
import { formatLabelSelector, rfc3339 } from "./status.js";
import { POD_TEMPLATE_HASH_LABEL, type BlueGreenStrategy, type RolloutStatus } from "./types.js";

export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;

const bg = (p: Pass): BlueGreenStrategy => p.spec.strategy.blueGreen!;

/** NewRSNewReplicas for blue-green. */
function newReplicas(p: Pass): number {
  const activeRS = p.rsByHash(p.prev.blueGreen?.activeSelector);
  return blueGreenNewReplicas({
    replicas: p.replicas,
    previewReplicaCount: bg(p).previewReplicaCount,
    activeIsNewOrMissing: !activeRS || activeRS === p.newRS,
    promoteFull: !!p.prev.promoteFull,
    newIsCurrent: p.newRS?.hash === p.prev.currentPodHash,
    paused: !!p.spec.paused || (p.prev.pauseConditions?.length ?? 0) > 0,
    scaleUpPreviewCheckPoint: !!p.prev.blueGreen?.scaleUpPreviewCheckPoint,
  });
}

/** ReadyForPause: the new ReplicaSet has its (preview) size and all of it is available. */
const readyForPause = (p: Pass): boolean => !!p.newRS && p.newRS.replicas === newReplicas(p) && p.newRS.status.availableReplicas === newReplicas(p);
/** IsSaturated: the new ReplicaSet runs all the Rollout's replicas, all available. */
const saturated = (p: Pass): boolean => !!p.newRS && p.newRS.replicas === p.replicas && p.newRS.status.availableReplicas === p.replicas;
const activeHash = (p: Pass): string => p.serviceSelector(bg(p).activeService);

/** isBlueGreenFastTracked: no pause when rolling back within the scale-down delay, promoting fully, or on the first deploy. */
function fastTracked(p: Pass): boolean {
  if (p.newRS?.scaleDownDeadline || p.prev.promoteFull) return true;
  const active = activeHash(p);
  return active === "" || active === p.newRS?.hash;
}

const needsControllerPause = (p: Pass): boolean => bg(p).autoPromotionEnabled === false || (bg(p).autoPromotionSeconds ?? 0) > 0;

function completedPrePromotion(p: Pass): boolean {
  return !bg(p).prePromotionAnalysis || p.currentArs.pre?.phase === "Successful";
}

/** CompletedBlueGreenPause: a person resumed, or autoPromotionSeconds passed since the pause began. */
function completedPause(p: Pass): boolean {
  if (p.pause.hasAddPause()) return false;
  if (p.prev.blueGreen?.scaleUpPreviewCheckPoint || !needsControllerPause(p)) return true;
  const cond = p.pauseCondition("BlueGreenPause");
  if (bg(p).autoPromotionEnabled !== false) {
    const seconds = bg(p).autoPromotionSeconds ?? 0;
    if (seconds === 0) return true;
    return !!cond && p.now >= Date.parse(cond.startTime) + seconds * 1000;
  }
  return !!p.prev.controllerPause && !cond;
}

/** isReplicaSetReferenced: still named by the status or selected by one of the Services. */
function referenced(p: Pass, hash: string): boolean {
  const st = p.prev;
  if ([st.stableRS, st.currentPodHash, st.blueGreen?.activeSelector, st.blueGreen?.previewSelector].includes(hash)) return true;
  return [bg(p).activeService, bg(p).previewService].some((svc) => svc && p.serviceSelector(svc) === hash);
}

function skipPostPromotion(p: Pass): boolean {
  const hash = p.newRS?.hash ?? "";
  return p.prev.stableRS === hash || p.prev.blueGreen?.activeSelector !== hash || hash === "" || !saturated(p);
}

function skipPrePromotion(p: Pass): boolean {
  const hash = p.newRS?.hash ?? "";
  const active = p.prev.blueGreen?.activeSelector ?? "";
  if (p.prev.stableRS === hash || active === "" || active === hash || hash === "") return true;
  const prc = bg(p).previewReplicaCount;
  if (prc !== undefined) return p.newRS!.replicas !== prc || p.newRS!.status.availableReplicas !== prc;
  return !saturated(p);
}

/** scaleDownOldReplicaSetsForBlueGreen: each old ReplicaSet gets a scale-down deadline, then goes to 0 after it. */
function scaleDownOld(p: Pass): void {
  const others = p.otherRSs.filter((rs) => rs.replicas > 0);
  if (others.length === 0 || p.pauseCondition("InconclusiveAnalysisRun")) return;
  if (bg(p).postPromotionAnalysis && bg(p).scaleDownDelaySeconds === undefined && !skipPostPromotion(p) && p.currentArs.post?.phase !== "Successful") return;
  const limit = bg(p).scaleDownDelayRevisionLimit ?? Infinity;
  const delay = bg(p).scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;
  let annotated = 0;
  for (const rs of [...others].sort((a, b) => b.revision - a.revision)) {
    if (referenced(p, rs.hash) || rs.replicas === 0) continue;
    let desired = 0;
    if (!rs.scaleDownDeadline) {
      // Argo annotates even with a 0 delay and then never scales down (argo-rollouts#1992); 0 means now here.
      if (annotated < limit && delay > 0) {
        annotated++;
        desired = rs.replicas;
        p.setScaleDownDeadline(rs, delay);
      }
    } else {
      annotated++;
      if (annotated <= limit && Date.parse(rs.scaleDownDeadline) > p.now) desired = p.replicas;
    }
    if (rs.replicas !== desired) p.scale(rs, desired);
  }
}

/** reconcileBlueGreenReplicaSets. */
function reconcileReplicaSets(p: Pass): void {
  p.removeScaleDownDeadlines();
  const activeRS = p.rsByHash(activeHash(p));
  if (activeRS) p.scale(activeRS, p.replicas);
  const newRS = p.newRS;
  if (newRS) {
    let count = newReplicas(p);
    let scaleNew = true;
    if (p.shouldDelayScaleDownOnAbort()) {
      // An aborted preview stays up for abortScaleDownDelaySeconds once the stable is whole again.
      if (newRS.scaleDownDeadline) {
        if (Date.parse(newRS.scaleDownDeadline) > p.now) scaleNew = false;
        else count = 0;
      } else {
        if (p.stableRS && p.stableRS.status.availableReplicas === p.replicas) p.setScaleDownDeadline(newRS, p.abortScaleDownDelaySeconds()!);
        scaleNew = false;
      }
    }
    if (scaleNew) p.scale(newRS, count);
  }
  scaleDownOld(p);
  p.cleanupRevisionHistory();
}

/** reconcileBlueGreenPause: the BlueGreenPause gate once the preview is ready and pre-promotion analysis passed. */
function reconcilePause(p: Pass): void {
  if (p.prev.abort || !readyForPause(p) || p.haltProgress()) return;
  if (fastTracked(p) || p.prev.blueGreen?.scaleUpPreviewCheckPoint || !needsControllerPause(p)) {
    p.pause.remove.push("BlueGreenPause");
    return;
  }
  if (!completedPrePromotion(p)) return;
  if (p.pauseCondition("BlueGreenPause")) {
    if (completedPause(p)) p.pause.remove.push("BlueGreenPause");
  } else if (!p.prev.controllerPause) {
    p.pause.add.push("BlueGreenPause");
  }
}

/** reconcileActiveService: switch once the new ReplicaSet is saturated and the gate passed; back to stable on abort. */
function reconcileActiveService(p: Pass): void {
  if (p.haltProgress() || !readyForPause(p) || !saturated(p)) return;
  let hash = activeHash(p);
  if (fastTracked(p)) hash = p.newRS!.hash;
  if (completedPause(p) && completedPrePromotion(p)) hash = p.newRS!.hash;
  if (p.prev.abort) hash = p.prev.stableRS ?? "";
  if (hash) p.switchService(bg(p).activeService, hash);
}

/** reconcileAnalysisRuns for blue-green: pre- and post-promotion runs. */
function reconcileAnalysis(p: Pass): void {
  if (p.pause.isAborted() || p.prev.promoteFull || p.newRS?.scaleDownDeadline || !p.prev.stableRS) {
    p.setCurrentRuns(p.currentArs);
    return p.cancelRuns(p.runs);
  }
  let pre = p.currentArs.pre;
  const preAnalysis = bg(p).prePromotionAnalysis;
  if (!preAnalysis) {
    p.cancelRuns([pre]);
    pre = undefined;
  } else if (skipPrePromotion(p)) p.cancelRuns([pre]);
  else if (!p.pauseCondition("InconclusiveAnalysisRun") && p.needsNewRun(pre)) pre = p.createRun("PrePromotion", preAnalysis, "pre");
  p.pauseOrAbortFor(pre);
  let post = p.currentArs.post;
  const postAnalysis = bg(p).postPromotionAnalysis;
  if (!postAnalysis) {
    p.cancelRuns([post]);
    post = undefined;
  } else if (skipPostPromotion(p)) p.cancelRuns([post]);
  else if (!p.pauseCondition("InconclusiveAnalysisRun") && p.needsNewRun(post)) post = p.createRun("PostPromotion", postAnalysis, "post");
  p.pauseOrAbortFor(post);
  p.setCurrentRuns({ pre, post });
  p.cancelOtherRuns();
}

/** shouldFullPromote for blue-green. */
function fullPromoteReason(p: Pass, s: RolloutStatus): string {
  const active = s.blueGreen?.activeSelector ?? "";
  if (!p.stableRS || active === "") return "Initial deploy";
  if (active !== s.currentPodHash) return "";
  if (p.prev.promoteFull) return "Full promotion requested";
  if (p.isRollbackWithinWindow()) return "Rollback within window";
  if (p.pause.isAborted()) return "";
  if (bg(p).postPromotionAnalysis) {
    if (p.newRS?.scaleDownDeadline) return `Rollback to '${p.newRS.name}' within scaleDownDelay`;
    if (p.currentArs.post?.phase !== "Successful") return "";
  }
  return "Completed blue-green update";
}

const checkPodSpecChange = (p: Pass): boolean => !!p.prev.currentPodHash && p.prev.currentPodHash !== (p.newRS?.hash ?? p.hash);

/** syncRolloutStatusBlueGreen. */
function syncStatus(p: Pass): RolloutStatus {
  const s = baseStatus(p);
  if (p.prev.stableRS) s.stableRS = p.prev.stableRS;
  if (checkPodSpecChange(p)) resetStatus(p, s);
  if (p.prev.promoteFull || p.isRollbackWithinWindow()) {
    p.pause.clear = true;
    p.pause.removeAbort = true;
  }
  s.blueGreen = s.blueGreen ?? {};
  const preview = p.serviceSelector(bg(p).previewService);
  const active = activeHash(p);
  if (preview) s.blueGreen.previewSelector = preview;
  if (active) s.blueGreen.activeSelector = active;
  const reason = fullPromoteReason(p, s);
  if (reason) promoteStable(p, s, reason);
  else if (bg(p).previewReplicaCount !== undefined) {
    const checkpoint =
      !!p.prev.blueGreen?.scaleUpPreviewCheckPoint ||
      (completedPrePromotion(p) && completedPause(p) && bg(p).previewReplicaCount === (p.newRS?.status.availableReplicas ?? 0));
    if (checkpoint) s.blueGreen.scaleUpPreviewCheckPoint = true;
  }
  const activeRS = p.rsByHash(s.blueGreen.activeSelector);
  if (activeRS) {
    s.HPAReplicas = activeRS.status.replicas;
    s.selector = formatLabelSelector({ ...p.spec.selector, matchLabels: { ...(p.spec.selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: activeRS.hash } });
    s.availableReplicas = activeRS.status.availableReplicas;
    s.readyReplicas = activeRS.status.readyReplicas;
  } else {
    s.HPAReplicas = p.liveRSs.reduce((n, rs) => n + rs.status.replicas, 0);
    s.selector = formatLabelSelector(p.spec.selector);
    s.availableReplicas = p.liveRSs.reduce((n, rs) => n + rs.status.availableReplicas, 0);
  }
  return persist(p, conditions(p, s));
}

/** rolloutBlueGreen. `resetOnly`: the pass only reset the status for a new template (Argo returns there). */
export function planBlueGreenPass(p: Pass): { status: RolloutStatus; resetOnly: boolean } {
  p.syncNewReplicaSet(true);
  if (bg(p).previewService && !p.haltProgress()) p.switchService(bg(p).previewService!, p.newRS!.hash);
  if (checkPodSpecChange(p)) return { status: syncStatus(p), resetOnly: true };
  reconcileReplicaSets(p);
  reconcilePause(p);
  reconcileActiveService(p);
  reconcileAnalysis(p);
  return { status: syncStatus(p), resetOnly: false };
}

/** When a BlueGreenPause with autoPromotionSeconds ends (undefined when a person must promote). */
export function autoPromotionAt(p: Pick<Pass, "spec">, status: RolloutStatus): string | undefined {
  const b = p.spec.strategy.blueGreen;
  const cond = status.pauseConditions?.find((c) => c.reason === "BlueGreenPause");
  if (!b || !cond || b.autoPromotionEnabled === false || !b.autoPromotionSeconds) return undefined;
  return rfc3339(Date.parse(cond.startTime) + b.autoPromotionSeconds * 1000);
}
