/**
 * The Rollout controller's decision as a pure function: planRollout(observed state, now) gives the
 * actions of one reconciliation (Argo Rollouts' syncHandler), the desired ReplicaSets and Service
 * selectors after them, the status to write and what the rollout waits for next. A new template first
 * resets the status (a separate reconciliation in Argo); planRollout folds that pass in.
 */
import { Pass } from "./plan-context.js";
import { checkPausedConditions } from "./plan-status.js";
import { planBlueGreenPass, autoPromotionAt } from "./plan-bluegreen.js";
import { planCanaryPass } from "./plan-canary.js";
import type { DesiredReplicaSet, DesiredService, NextStep, PlanInput, ReplicaSetRole, RolloutPlan } from "./plan-types.js";
import { pauseDurationSeconds } from "./model.js";
import { canaryReplicasOrWeight } from "./replicas.js";
import { REASONS, getCondition, progressDeadlineSeconds, rfc3339 } from "./status.js";
import type { RolloutStatus } from "./types.js";
import { isCompleted } from "./types.js";

/** A status as JSON with sorted keys and without condition timestamps: equal means nothing to write. */
export function statusFingerprint(status: RolloutStatus | undefined): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || k === "lastUpdateTime" || k === "lastTransitionTime") continue;
      out[k] = strip(x);
    }
    return out;
  };
  const s = structuredClone(status ?? {}) as RolloutStatus;
  if (s.canary && Object.keys(s.canary).length === 0) delete s.canary;
  if (s.blueGreen && Object.keys(s.blueGreen).length === 0) delete s.blueGreen;
  return JSON.stringify(strip(s));
}

function roles(p: Pass): DesiredReplicaSet[] {
  const activeHash = p.spec.strategy.blueGreen ? p.serviceSelector(p.spec.strategy.blueGreen.activeService) : "";
  return p.liveRSs.map((rs) => {
    let role: ReplicaSetRole = "old";
    if (p.spec.strategy.blueGreen) {
      if (rs.hash === activeHash) role = "active";
      else if (rs === p.newRS) role = "preview";
    } else if (rs === p.stableRS) role = "stable";
    else if (rs === p.newRS) role = "canary";
    return {
      name: rs.name,
      podTemplateHash: rs.hash,
      revision: rs.revision,
      role,
      replicas: rs.replicas,
      availableReplicas: rs.status.availableReplicas,
      ...(rs.scaleDownDeadline ? { scaleDownDeadline: rs.scaleDownDeadline } : {}),
    };
  });
}

function services(p: Pass): DesiredService[] {
  const out: DesiredService[] = [];
  const add = (name: string | undefined, role: DesiredService["role"]): void => {
    if (!name) return;
    const hash = p.services.get(name)?.selector;
    out.push({ name, role, ...(hash ? { podTemplateHash: hash } : {}) });
  };
  const { canary, blueGreen } = p.spec.strategy;
  add(canary?.stableService, "stable");
  add(canary?.canaryService, "canary");
  add(blueGreen?.activeService, "active");
  add(blueGreen?.previewService, "preview");
  return out;
}

const earliest = (times: Array<string | undefined>): string | undefined =>
  times.filter((t): t is string => t !== undefined).sort((a, b) => Date.parse(a) - Date.parse(b))[0];

/** When the current timed pause ends, if the rollout is in one. */
function pauseEndsAt(p: Pass, status: RolloutStatus): string | undefined {
  const cond = status.pauseConditions?.find((c) => c.reason === "CanaryPauseStep");
  const step = p.spec.strategy.canary?.steps?.[status.currentStepIndex ?? 0];
  const d = step?.pause?.duration;
  if (!cond || d === undefined) return undefined;
  return rfc3339(Date.parse(cond.startTime) + pauseDurationSeconds(d) * 1000);
}

/** requeueStuckRollout: when the progress deadline passes if nothing moves. */
function deadlineAt(p: Pass, status: RolloutStatus): string | undefined {
  const cond = getCondition(status, "Progressing");
  const paused = (status.pauseConditions?.length ?? 0) > 0 || !!p.spec.paused;
  const step = p.spec.strategy.canary?.steps?.[status.currentStepIndex ?? 0];
  const indefinite = !!step && (step.pause !== undefined || step.analysis !== undefined || step.experiment !== undefined);
  if (!cond || status.phase === "Healthy" || cond.reason === REASONS.timedOut || paused || status.abort || indefinite) return undefined;
  return rfc3339(Date.parse(cond.lastUpdateTime) + progressDeadlineSeconds(p.spec) * 1000);
}

function nextStep(p: Pass, status: RolloutStatus, changed: boolean, desired: DesiredReplicaSet[]): NextStep {
  if (changed) return { kind: "continue" };
  if (status.abort) return { kind: "aborted", message: status.message ?? "" };
  const pause = status.pauseConditions?.[0];
  if (pause?.reason === "CanaryPauseStep") {
    const at = pauseEndsAt(p, status);
    return at ? { kind: "waitUntil", at, reason: "PauseDuration" } : { kind: "gate", reason: "CanaryPauseStep" };
  }
  if (pause?.reason === "BlueGreenPause") {
    const at = autoPromotionAt(p, status);
    return at ? { kind: "waitUntil", at, reason: "AutoPromotion" } : { kind: "gate", reason: "BlueGreenPause" };
  }
  if (pause) return { kind: "gate", reason: pause.reason };
  if (p.spec.paused) return { kind: "gate", reason: "ManualPause" };
  if (status.phase === "Degraded") return { kind: "degraded", message: status.message ?? "" };
  const blocking = [status.canary?.currentStepAnalysisRunStatus, status.blueGreen?.prePromotionAnalysisRunStatus, status.blueGreen?.postPromotionAnalysisRunStatus];
  const running = blocking.filter((r) => r && !isCompleted(r.status)).map((r) => r!.name);
  if (running.length > 0) return { kind: "waitForAnalysis", runs: running };
  const notReady = p.liveRSs.filter((rs) => rs.status.availableReplicas !== rs.replicas || rs.status.replicas !== rs.replicas).map((rs) => rs.name);
  if (notReady.length > 0) return { kind: "waitForPods", replicaSets: notReady };
  const scaleDown = earliest(desired.filter((rs) => rs.replicas > 0).map((rs) => rs.scaleDownDeadline));
  if (scaleDown) return { kind: "waitUntil", at: scaleDown, reason: "ScaleDownDelay" };
  if (status.phase === "Healthy") return { kind: "done" };
  return { kind: "waitForPods", replicaSets: [] };
}

/**
 * One reconciliation of a Rollout. The input's template must be resolved (resolveWorkloadRef); throws
 * when it is not. The result's actions are in the order Argo performs them.
 */
export function planRollout(input: PlanInput): RolloutPlan {
  const actions: RolloutPlan["actions"] = [];
  const events: RolloutPlan["events"] = [];
  let current: PlanInput = input;
  let pass = new Pass(current, actions, events);
  let status: RolloutStatus;
  for (;;) {
    checkPausedConditions(pass);
    const r = pass.spec.strategy.canary ? planCanaryPass(pass) : planBlueGreenPass(pass);
    status = r.status;
    if (!r.resetOnly || current !== input) break;
    // Argo writes the reset status and reconciles again: do that second pass now.
    current = { ...input, ...pass.observedAfter(), rollout: { ...input.rollout, status } };
    pass = new Pass(current, actions, events);
  }
  const desired = roles(pass);
  const changed = actions.length > 0 || statusFingerprint(input.rollout.status) !== statusFingerprint(status);
  const plan: RolloutPlan = {
    podTemplateHash: pass.newRS?.hash ?? pass.hash,
    revision: pass.revision,
    actions,
    replicaSets: desired,
    services: services(pass),
    status,
    events,
    next: nextStep(pass, status, changed, desired),
  };
  if (pass.spec.strategy.canary) {
    const canary = pass.newRS && pass.newRS !== pass.stableRS ? pass.newRS.status.availableReplicas : 0;
    const stable = pass.stableRS ? pass.stableRS.status.availableReplicas : 0;
    const total = canary + (pass.stableRS && pass.stableRS !== pass.newRS ? stable : 0);
    const setWeight = canaryReplicasOrWeight(pass.spec, status).weight;
    plan.weights = { setWeight, actualWeight: total > 0 ? Math.floor((canary * 100) / total) : pass.stableRS === pass.newRS ? 100 : 0 };
  }
  const requeueAt = earliest([
    pauseEndsAt(pass, status),
    autoPromotionAt(pass, status),
    deadlineAt(pass, status),
    ...desired.filter((rs) => rs.scaleDownDeadline && Date.parse(rs.scaleDownDeadline) > pass.now).map((rs) => rs.scaleDownDeadline),
  ]);
  if (requeueAt) plan.requeueAt = requeueAt;
  return plan;
}
