/**
 * What the Rollout planner takes (the Rollout, what the cluster holds for it, the time) and what it gives
 * back (the actions of one reconciliation, the desired ReplicaSets and Service selectors after them, the
 * status to write, and what the rollout waits for next). The cluster side observes, plans, applies the
 * actions, writes the status, and plans again while `next.kind` is "continue".
 */
import type { AnalysisPhase, Argument, KubeObject, PauseReason, PodTemplateSpec, Rollout, RolloutAnalysis, RolloutStatus } from "./types.js";

/** A ReplicaSet owned by the Rollout, as observed. */
export interface ObservedReplicaSet {
  name: string;
  /** Its `rollouts-pod-template-hash` label. */
  podTemplateHash: string;
  /** `rollout.argoproj.io/revision`; 0 or absent when unknown. */
  revision?: number;
  /** spec.replicas */
  replicas: number;
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
  /** The `scale-down-deadline` annotation (RFC 3339), when set. */
  scaleDownDeadline?: string;
  creationTimestamp?: string;
  /** spec.template, for undo. */
  template?: PodTemplateSpec;
}

/** A Service named by the strategy, as observed: its `rollouts-pod-template-hash` selector and managed-by annotation. */
export interface ObservedService {
  selector?: string;
  managedBy?: string;
}

/** An AnalysisRun owned by the Rollout, as observed. */
export interface ObservedAnalysisRun {
  name: string;
  phase?: AnalysisPhase;
  message?: string;
  /** spec.terminate */
  terminated?: boolean;
}

export interface PlanInput {
  /** The Rollout with its template resolved (resolveWorkloadRef) and its current status ({} when new). */
  rollout: Rollout;
  replicaSets: readonly ObservedReplicaSet[];
  /** Every Service the strategy names, by name; a missing one counts as having no hash selector. */
  services?: Readonly<Record<string, ObservedService>>;
  analysisRuns?: readonly ObservedAnalysisRun[];
  now: string | Date;
}

export type AnalysisRunType = "Step" | "Background" | "PrePromotion" | "PostPromotion";

/** An AnalysisRun to create: build it with newAnalysisRun() from the templates it names. */
export interface AnalysisRunRequest {
  name: string;
  type: AnalysisRunType;
  stepIndex?: number;
  analysis: RolloutAnalysis;
  /** The Rollout's arguments, podTemplateHashValue and fieldRef already turned into values. */
  args: Argument[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type RolloutAction =
  /** Create the ReplicaSet (0 replicas; a later scaleReplicaSet in the same plan sizes it). */
  | { kind: "createReplicaSet"; name: string; podTemplateHash: string; revision: number; replicaSet: KubeObject }
  /** Set spec.replicas and the desired-replicas annotation. */
  | { kind: "scaleReplicaSet"; name: string; from: number; to: number }
  | { kind: "setRevision"; name: string; revision: number }
  | { kind: "setScaleDownDeadline"; name: string; deadline: string }
  | { kind: "removeScaleDownDeadline"; name: string }
  /** Revision history cleanup: a ReplicaSet at 0 beyond revisionHistoryLimit. */
  | { kind: "deleteReplicaSet"; name: string }
  /** Patch spec.selector["rollouts-pod-template-hash"] (and the managed-by annotation when missing). */
  | { kind: "switchService"; service: string; from?: string; to: string; addManagedBy: boolean }
  | { kind: "createAnalysisRun"; run: AnalysisRunRequest }
  /** Patch spec.terminate: true. */
  | { kind: "terminateAnalysisRun"; name: string };

export type ReplicaSetRole = "canary" | "stable" | "preview" | "active" | "old";

export interface DesiredReplicaSet {
  name: string;
  podTemplateHash: string;
  revision: number;
  role: ReplicaSetRole;
  /** spec.replicas after this plan's actions. */
  replicas: number;
  availableReplicas: number;
  scaleDownDeadline?: string;
}

export interface DesiredService {
  name: string;
  role: "canary" | "stable" | "active" | "preview";
  /** The rollouts-pod-template-hash selector after this plan's actions (undefined: not set yet). */
  podTemplateHash?: string;
}

export interface RolloutEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** What the rollout waits for once this plan's actions are applied. */
export type NextStep =
  /** Actions or a status change are pending: apply them, write the status, plan again. */
  | { kind: "continue" }
  /** A gate: only a person (promote, abort) or the gate's own timeout moves it on. */
  | { kind: "gate"; reason: PauseReason | "ManualPause" }
  /** A timer: a timed pause, auto-promotion or a scale-down delay ends at `at`. */
  | { kind: "waitUntil"; at: string; reason: "PauseDuration" | "AutoPromotion" | "ScaleDownDelay" }
  | { kind: "waitForAnalysis"; runs: string[] }
  | { kind: "waitForPods"; replicaSets: string[] }
  /** Aborted (by a person, an analysis or the progress deadline): the stable serves; retry or a new revision moves on. */
  | { kind: "aborted"; message: string }
  /** The progress deadline passed without an abort: Degraded until progress resumes. */
  | { kind: "degraded"; message: string }
  | { kind: "done" };

export interface RolloutPlan {
  podTemplateHash: string;
  /** The Rollout's revision: the new ReplicaSet's `rollout.argoproj.io/revision`. */
  revision: number;
  actions: RolloutAction[];
  replicaSets: DesiredReplicaSet[];
  services: DesiredService[];
  /** The status to write (Argo's shape, phase and message included). */
  status: RolloutStatus;
  /** Canary: the weight of the current step and the weight the available pods give. */
  weights?: { setWeight: number; actualWeight: number };
  events: RolloutEvent[];
  next: NextStep;
  /** The earliest time this plan changes by itself (timed pause, auto-promotion, scale-down, progress deadline). */
  requeueAt?: string;
}
