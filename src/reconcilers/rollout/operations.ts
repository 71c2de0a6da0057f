/**
 * The operations people run on a Rollout, as pure transforms of it: the same patches the
 * kubectl-argo-rollouts plugin sends (`pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry,pause,undo}`).
 * The controller (planRollout) does the rest on its next reconciliation.
 */
import { withoutHashLabel } from "./hash.js";
import type { ObservedReplicaSet } from "./plan-types.js";
import { currentCanaryStep } from "./replicas.js";
import type { PodTemplateSpec, Rollout } from "./types.js";

export interface OperationResult {
  rollout: Rollout;
  /** False when the patch would change nothing. */
  changed: boolean;
  /** What kubectl-argo-rollouts prints. */
  message: string;
}

function withStatus(ro: Rollout, patch: (s: NonNullable<Rollout["status"]>) => void, specPatch?: (spec: Rollout["spec"]) => void): { rollout: Rollout; changed: boolean } {
  const next = structuredClone(ro);
  next.status = next.status ?? {};
  patch(next.status);
  if (specPatch) specPatch(next.spec);
  return { rollout: next, changed: JSON.stringify(next) !== JSON.stringify(ro) };
}

/**
 * promote: end the pause (clear pauseConditions, unset spec.paused); with no pause, move a canary to the
 * next step (e.g. past a running analysis); past an inconclusive step analysis, clear controllerPause
 * too. `full`: set status.promoteFull, which skips every remaining step, pause and analysis.
 */
export function promoteRollout(ro: Rollout, opts: { full?: boolean } = {}): OperationResult {
  const name = ro.metadata.name;
  const st = ro.status ?? {};
  if (opts.full) {
    const r = withStatus(ro, (s) => {
      if (s.currentPodHash !== s.stableRS) s.promoteFull = true;
    });
    return { ...r, message: `rollout '${name}' fully promoted` };
  }
  const steps = ro.spec.strategy.canary?.steps?.length ?? 0;
  const { index } = currentCanaryStep(ro.spec, st);
  const nextIndex = index === undefined ? undefined : Math.min(index + 1, steps);
  const paused = (st.pauseConditions?.length ?? 0) > 0;
  const inconclusive = !!ro.spec.strategy.canary && st.canary?.currentStepAnalysisRunStatus?.status === "Inconclusive";
  const r = withStatus(
    ro,
    (s) => {
      if (inconclusive && paused && s.controllerPause) {
        delete s.pauseConditions;
        s.controllerPause = false;
        if (nextIndex !== undefined) s.currentStepIndex = nextIndex;
      } else if (paused) {
        delete s.pauseConditions;
      } else if (ro.spec.strategy.canary && nextIndex !== undefined) {
        delete s.pauseConditions;
        s.currentStepIndex = nextIndex;
      }
    },
    (spec) => {
      if (spec.paused) spec.paused = false;
    },
  );
  return { ...r, message: `rollout '${name}' promoted` };
}

/** abort: status.abort = true. The canary goes to 0, the stable serves, the phase turns Degraded. */
export function abortRollout(ro: Rollout): OperationResult {
  return { ...withStatus(ro, (s) => void (s.abort = true)), message: `rollout '${ro.metadata.name}' aborted` };
}

/** retry: status.abort = false. The update starts again from step 0 with new analysis runs. */
export function retryRollout(ro: Rollout): OperationResult {
  return { ...withStatus(ro, (s) => void (s.abort = false)), message: `rollout '${ro.metadata.name}' retried` };
}

/** pause: spec.paused = true. No step completes and no replica count changes until promote. */
export function pauseRollout(ro: Rollout): OperationResult {
  return { ...withStatus(ro, () => undefined, (spec) => void (spec.paused = true)), message: `rollout '${ro.metadata.name}' paused` };
}

/** DeepDerivative: every field set in `a` equals the same field in `b` (unset fields in `a` are ignored). */
function derivative(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return true;
  if (Array.isArray(a)) {
    if (a.length === 0) return true;
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => derivative(x, b[i]));
  }
  if (typeof a === "object") {
    if (typeof b !== "object" || b === null || Array.isArray(b)) return false;
    return Object.entries(a as Record<string, unknown>).every(([k, v]) => derivative(v, (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

export interface UndoResult extends OperationResult {
  /** The template written back: into spec.template, or (workloadRef) into the workload, which the caller patches. */
  template?: PodTemplateSpec;
}

/**
 * undo [--to-revision N]: the pod template of revision N (default: the previous one) without its hash
 * label. With a workloadRef the Rollout is returned unchanged and `template` is for the workload.
 * Throws kubectl-argo-rollouts' messages when the revision is not there.
 */
export function undoRollout(ro: Rollout, replicaSets: readonly ObservedReplicaSet[], opts: { toRevision?: number } = {}): UndoResult {
  const name = ro.metadata.name;
  const toRevision = opts.toRevision ?? 0;
  let target: ObservedReplicaSet | undefined;
  if (toRevision > 0) {
    target = replicaSets.find((rs) => (rs.revision ?? 0) === toRevision);
    if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  } else {
    const byRevision = [...replicaSets].sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    target = byRevision[1];
    if (!target) throw new Error(`no revision found for rollout "${name}"`);
  }
  if (!target.template) throw new Error(`ReplicaSet ${target.name} has no pod template`);
  const template = withoutHashLabel(target.template);
  const current = ro.spec.template ? withoutHashLabel(ro.spec.template) : undefined;
  if (current && derivative(current, template)) {
    return { rollout: ro, changed: false, message: `skipped rollback (current template already matches revision ${toRevision})` };
  }
  if (ro.spec.workloadRef) return { rollout: ro, changed: true, template, message: `rollout '${name}' undo` };
  return { rollout: { ...ro, spec: { ...ro.spec, template } }, changed: true, template, message: `rollout '${name}' undo` };
}
