/**
 * Use-cases for Rollouts from the terminal: `tiphys rollout status|promote|abort|retry|undo` and the
 * Rollouts of `tiphys sync`. They act on the Rollout's state in the cluster, so separate commands (or
 * a command and the GitHub App) continue the same release: an operation is Argo's patch, then the
 * controller runs until the next gate, the end or a failure.
 */
import type { Cluster, KubeObject } from "../core/ports/cluster.js";
import type { AppProject, Application } from "../reconcilers/application/types.js";
import type { SyncOutcome } from "../reconcilers/application/sync.js";
import { ARGO_API_VERSION } from "../reconcilers/rollout/model.js";
import { RolloutController, type RolloutRef, type RolloutState } from "../reconcilers/rollout/controller.js";
import { syncApplication, type AppContext } from "./applications.js";

export type RolloutOperation = "status" | "promote" | "abort" | "retry" | "undo";

export interface RolloutOperationInput {
  ref: RolloutRef;
  op: RolloutOperation;
  full?: boolean;
  toRevision?: number;
  /** Who asked (logged with the operation). */
  by?: string;
  /** Progress while the controller runs. */
  onChange?: (state: RolloutState) => void;
  /** Stops waiting (the release stays where it is, in the cluster). */
  signal?: AbortSignal;
}

/** The label every object a sync applied carries (prepareTargets). */
const APP_LABEL = "tiphys.io/app";

/**
 * Runs one operation: status reads; promote, abort, retry and undo patch the Rollout and then run the
 * controller until a gate, the end or a failure (abort: until the canary is scaled down).
 */
export async function runRolloutOperation(cluster: Cluster, input: RolloutOperationInput): Promise<RolloutState> {
  const controller = new RolloutController({ cluster, onChange: input.onChange });
  const { ref } = input;
  switch (input.op) {
    case "status":
      return controller.status(ref);
    case "promote":
      await controller.promote(ref, { full: input.full, by: input.by });
      break;
    case "abort":
      await controller.abort(ref, { by: input.by });
      break;
    case "retry":
      await controller.retry(ref, { by: input.by });
      break;
    case "undo":
      await controller.undo(ref, { toRevision: input.toRevision, by: input.by });
      break;
  }
  return controller.run(ref, { signal: input.signal });
}

/** The Rollout as `kubectl get -o json` shows it: Argo's status, without managedFields. */
export function rolloutObject(state: RolloutState): KubeObject {
  const metadata = { ...state.rollout.metadata };
  delete metadata.managedFields;
  return { ...state.rollout, metadata };
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

async function appRollouts(cluster: Cluster, app: Application): Promise<RolloutRef[]> {
  try {
    const items = await cluster.list<KubeObject>(ARGO_API_VERSION, "Rollout", { labelSelector: `${APP_LABEL}=${app.metadata.name}` });
    return items.map((o) => ({ namespace: o.metadata.namespace ?? "default", name: o.metadata.name! }));
  } catch {
    return []; // the Rollout CRD is not there (yet)
  }
}

export interface SyncWithRollouts {
  outcome: SyncOutcome;
  /** Each Rollout of the app where it stands: at a gate, at the end, or failed. */
  rollouts: RolloutState[];
}

/**
 * `tiphys sync` of an app that may hold Rollouts: while the sync runs, the app's Rollouts are
 * reconciled now and then (a sync waiting for a wave's health waits for its Rollouts too); after it,
 * the controller runs for each of them until a gate, the end or a failure.
 */
/**
 * Reconciles an app's Rollouts until `signal`: while a sync runs, a Rollout in a wave that is not the last
 * must become healthy before the next wave starts, and only its controller makes it so.
 */
export async function reconcileRolloutsWhile(controller: RolloutController, cluster: Cluster, app: Application, signal: AbortSignal, pollMs = 500): Promise<void> {
  while (!signal.aborted) {
    for (const ref of await appRollouts(cluster, app).catch(() => [])) await controller.reconcile(ref).catch(() => undefined);
    await pause(pollMs, signal);
  }
}

export async function syncWithRollouts(
  ctx: AppContext,
  app: Application,
  project: AppProject,
  cluster: Cluster,
  opts: Parameters<typeof syncApplication>[4] & { onRollout?: (state: RolloutState) => void; signal?: AbortSignal; rolloutPollMs?: number },
): Promise<SyncWithRollouts> {
  const controller = new RolloutController({ cluster, onChange: opts.onRollout });
  const during = new AbortController();
  const background = opts.dryRun ? Promise.resolve() : reconcileRolloutsWhile(controller, cluster, app, during.signal, opts.rolloutPollMs);
  let outcome: SyncOutcome;
  try {
    outcome = await syncApplication(ctx, app, project, cluster, opts);
  } finally {
    during.abort();
    await background;
  }
  if (opts.dryRun) return { outcome, rollouts: [] };
  const refs = outcome.after.resources
    .filter((r) => r.key.group === "argoproj.io" && r.key.kind === "Rollout" && r.target !== undefined && r.live !== undefined && !r.ignored)
    .map((r) => ({ namespace: r.key.namespace || "default", name: r.key.name }));
  const rollouts = await Promise.all(refs.map((ref) => controller.run(ref, { signal: opts.signal })));
  return { outcome, rollouts };
}
