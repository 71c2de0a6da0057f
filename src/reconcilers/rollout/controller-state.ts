/**
 * Where a release stands, as the people promoting it see it: the Rollout's phase and message (Argo's),
 * its steps (done, current, next), the weights, the gate it waits at, the ReplicaSets with their roles
 * and the AnalysisRuns with their measurements. Built from what is stored in the cluster only, so any
 * process (another replica, the CLI) shows the same.
 */
import type { KubeObject } from "../../core/ports/cluster.js";
import type { Observed, RolloutRef } from "./controller-observe.js";
import { pauseDurationSeconds } from "./model.js";
import { canaryReplicasOrWeight } from "./replicas.js";
import { getCondition } from "./status.js";
import type { AnalysisRun, CanaryStep, Rollout, RolloutStatus } from "./types.js";

export type GateReason = "CanaryPauseStep" | "BlueGreenPause" | "InconclusiveAnalysisRun" | "ManualPause";

export interface RolloutStepView {
  index: number;
  /** "setWeight: 20", "pause: {}", "pause: 40s", "analysis: success-rate". */
  text: string;
  state: "done" | "current" | "next";
}

export interface RolloutState {
  ref: RolloutRef;
  /** As in the cluster, with `status` in Argo's shape. */
  rollout: KubeObject;
  phase: "Healthy" | "Progressing" | "Paused" | "Degraded";
  message: string;
  strategy: "canary" | "blueGreen";
  revision: number;
  podTemplateHash?: string;
  currentStepIndex?: number;
  steps: RolloutStepView[];
  weights?: { setWeight: number; actualWeight: number };
  gate?: { reason: GateReason; since: string };
  replicaSets: Array<{ name: string; hash: string; role: string; replicas: number; available: number }>;
  analysisRuns: Array<{
    name: string;
    phase: string;
    message?: string;
    metrics: Array<{ name: string; phase: string; successful: number; failed: number; inconclusive: number; error: number; lastValue?: string }>;
  }>;
  aborted: boolean;
}

/** A canary step as one line. */
export function stepText(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight: ${step.setWeight}`;
  if (step.pause !== undefined) {
    const d = step.pause?.duration;
    if (d === undefined) return "pause: {}";
    return `pause: ${typeof d === "number" || /^\d+$/.test(d) ? `${d}s` : d}`;
  }
  if (step.analysis !== undefined) return `analysis: ${(step.analysis.templates ?? []).map((t) => t.templateName).join(", ")}`;
  if (step.setCanaryScale !== undefined) {
    const s = step.setCanaryScale;
    if (s.weight !== undefined) return `setCanaryScale: {weight: ${s.weight}}`;
    if (s.replicas !== undefined) return `setCanaryScale: {replicas: ${s.replicas}}`;
    return "setCanaryScale: {matchTrafficWeight: true}";
  }
  if (step.experiment !== undefined) return "experiment";
  return Object.keys(step)[0] ?? "step";
}

/** The gate a stored status waits at: a pause only a person (or its gate timeout) ends. */
export function gateOf(ro: Rollout, status: RolloutStatus): RolloutState["gate"] {
  if (status.abort) return undefined;
  if (ro.spec.paused) return { reason: "ManualPause", since: getCondition(status, "Paused")?.lastTransitionTime ?? "" };
  const pause = status.pauseConditions?.[0];
  if (!pause) return undefined;
  if (pause.reason === "CanaryPauseStep") {
    const step = ro.spec.strategy.canary?.steps?.[status.currentStepIndex ?? 0];
    const d = step?.pause?.duration;
    if (d !== undefined && pauseDurationSeconds(d) >= 0) return undefined; // a timed pause ends by itself
    return { reason: "CanaryPauseStep", since: pause.startTime };
  }
  if (pause.reason === "BlueGreenPause") {
    const bg = ro.spec.strategy.blueGreen;
    if (bg && bg.autoPromotionEnabled !== false && (bg.autoPromotionSeconds ?? 0) > 0) return undefined;
    return { reason: "BlueGreenPause", since: pause.startTime };
  }
  if (pause.reason === "InconclusiveAnalysisRun") return { reason: "InconclusiveAnalysisRun", since: pause.startTime };
  return undefined;
}

function runView(run: AnalysisRun): RolloutState["analysisRuns"][number] {
  return {
    name: run.metadata.name,
    phase: run.status?.phase ?? "Pending",
    ...(run.status?.message ? { message: run.status.message } : {}),
    metrics: (run.status?.metricResults ?? []).map((r) => {
      const last = [...r.measurements].reverse().find((m) => m.value !== undefined);
      return { name: r.name, phase: r.phase, successful: r.successful, failed: r.failed, inconclusive: r.inconclusive, error: r.error, ...(last?.value !== undefined ? { lastValue: last.value } : {}) };
    }),
  };
}

const created = (o: { metadata: { creationTimestamp?: string; name?: string } }) => o.metadata.creationTimestamp ?? "";

/** The state of a Rollout from what was observed. */
export function buildState(ref: RolloutRef, o: Pick<Observed, "object" | "rollout" | "observedReplicaSets" | "runs">): RolloutState {
  const ro = o.rollout;
  const status = (o.object.status ?? {}) as RolloutStatus;
  const canary = ro.spec.strategy.canary;
  const hash = status.currentPodHash;
  const rss = o.observedReplicaSets;
  const current = rss.find((rs) => rs.podTemplateHash === hash);
  const revision = current?.revision ?? Math.max(0, ...rss.map((rs) => rs.revision ?? 0));
  const steps = canary?.steps ?? [];
  const index = canary && steps.length > 0 ? (status.currentStepIndex ?? 0) : undefined;
  const role = (h: string): string => {
    if (canary) return h === status.stableRS ? "stable" : h === hash ? "canary" : "old";
    if (h === status.blueGreen?.activeSelector) return "active";
    return h === hash ? "preview" : "old";
  };
  const state: RolloutState = {
    ref,
    rollout: o.object,
    phase: status.phase ?? "Progressing",
    message: status.message ?? "",
    strategy: canary ? "canary" : "blueGreen",
    revision,
    ...(hash ? { podTemplateHash: hash } : {}),
    ...(index !== undefined ? { currentStepIndex: index } : {}),
    steps: steps.map((s, i) => ({ index: i, text: stepText(s), state: index === undefined || i < index ? "done" : i === index ? "current" : "next" })),
    replicaSets: [...rss]
      .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))
      .map((rs) => ({ name: rs.name, hash: rs.podTemplateHash, role: role(rs.podTemplateHash), replicas: rs.replicas, available: rs.status?.availableReplicas ?? 0 })),
    analysisRuns: [...o.runs].sort((a, b) => created(a).localeCompare(created(b)) || a.metadata.name.localeCompare(b.metadata.name)).map(runView),
    aborted: !!status.abort,
  };
  if (canary) {
    const canaryRS = rss.find((rs) => rs.podTemplateHash === hash && hash !== status.stableRS);
    const stableRS = rss.find((rs) => rs.podTemplateHash === status.stableRS);
    const c = canaryRS?.status?.availableReplicas ?? 0;
    const s = stableRS && stableRS !== canaryRS ? (stableRS.status?.availableReplicas ?? 0) : 0;
    const setWeight = canaryReplicasOrWeight(ro.spec, status).weight;
    // Fully promoted (no canary apart from the stable): all traffic is on the new version.
    const actualWeight = !canaryRS ? (stableRS ? 100 : 0) : c + s > 0 ? Math.floor((c * 100) / (c + s)) : 0;
    state.weights = { setWeight, actualWeight };
  }
  const gate = gateOf(ro, status);
  if (gate) state.gate = gate;
  return state;
}
