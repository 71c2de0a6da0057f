/**
 * Tiphys as the Rollout controller, the cluster side of planRollout: observe (the Rollout, its
 * ReplicaSets, Services and AnalysisRuns), measure the analysis runs that are due, plan, apply the
 * actions, write the status through the status subresource; again while the plan says `continue`.
 * All state lives in the cluster (the status, the ReplicaSets' revision and scale-down annotations,
 * the AnalysisRuns' measurements), so another RolloutController, in another process, carries on from
 * the same step. Operations (promote, abort, retry, undo) are Argo's patches to the Rollout followed by
 * a reconcile.
 */
import type { Cluster, KubeObject } from "../../core/ports/cluster.js";
import { abortRollout, promoteRollout, retryRollout, undoRollout, type OperationResult } from "./operations.js";
import { planRollout } from "./plan.js";
import type { NextStep, RolloutPlan } from "./plan-types.js";
import { formatLabelSelector } from "./status.js";
import { mergePatchOf } from "./merge-patch.js";
import { ARGO_API_VERSION } from "./model.js";
import { reconcileRuns } from "./controller-analysis.js";
import { applyActions, invalidStatus, isConflict, writeStatus } from "./controller-apply.js";
import { observe, planInputOf, rolloutRefOf, type Observed, type RolloutRef } from "./controller-observe.js";
import { buildState, type RolloutState } from "./controller-state.js";
import { Waker, defaultSleep, type Sleep } from "./controller-wait.js";
import type { AnalysisRun, Rollout, RolloutStatus } from "./types.js";
import { isCompleted } from "./types.js";

export { ensureRolloutCrds, needsRolloutCrds, rolloutCrd, ROLLOUT_CRD_KINDS } from "./controller-crds.js";
export { RolloutNotFoundError, type RolloutRef } from "./controller-observe.js";
export { stepText, type GateReason, type RolloutState, type RolloutStepView } from "./controller-state.js";

export type StopAt = "gate" | "done" | "degraded";

export interface RolloutControllerDeps {
  cluster: Cluster;
  now?: () => Date;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  onChange?: (state: RolloutState) => void | Promise<void>;
  /** Longest wait between looks at a waiting Rollout when no watch event comes (default 2000 ms). */
  pollMs?: number;
}

/** One reconcile's outcome: the state, and what the Rollout waits for. */
interface PassResult {
  state: RolloutState;
  next: NextStep;
  requeueAt?: string;
  analysisAt?: string;
  inFlight: boolean;
}

/** Guard against a plan that never settles (it should settle in a handful of passes). */
const MAX_PASSES = 40;

/** Which of `run`'s stopping points a plan's next step is. */
export function stopKindOf(next: NextStep): StopAt | undefined {
  if (next.kind === "gate" || next.kind === "done") return next.kind;
  if (next.kind === "aborted" || next.kind === "degraded") return "degraded";
  return undefined;
}

/** What was observed, with the status just computed (and the Rollout as the status write returned it). */
const withStatus = (o: Observed, status: RolloutStatus, written?: KubeObject): Observed => ({ ...o, object: { ...(written ?? o.object), status }, rollout: { ...o.rollout, status } });

const earliest = (times: Array<string | undefined>): number | undefined => {
  const ms = times.filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return ms.length > 0 ? Math.min(...ms) : undefined;
};

export class RolloutController {
  private readonly cluster: Cluster;
  private readonly now: () => Date;
  private readonly fetch: typeof fetch;
  private readonly sleep: Sleep;
  private readonly pollMs: number;

  constructor(private readonly deps: RolloutControllerDeps) {
    this.cluster = deps.cluster;
    this.now = deps.now ?? (() => new Date());
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.sleep = deps.sleep ?? defaultSleep;
    this.pollMs = deps.pollMs ?? 2000;
  }

  /** One reconcile: plan, apply the actions, write the status; repeats while the plan says `continue`. */
  async reconcile(ref: RolloutRef): Promise<RolloutState> {
    return (await this.pass(ref)).state;
  }

  /** Reconciles until one of `stopAt` (default gate, done, degraded), the signal or `timeoutMs` (then the state as it is). */
  async run(ref: RolloutRef, opts: { signal?: AbortSignal; stopAt?: StopAt[]; timeoutMs?: number } = {}): Promise<RolloutState> {
    const stopAt = new Set<StopAt>(opts.stopAt ?? ["gate", "done", "degraded"]);
    const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : Infinity;
    const waker = new Waker(this.cluster, this.sleep);
    let started = false;
    try {
      for (;;) {
        waker.clear();
        const r = await this.pass(ref);
        const stop = stopKindOf(r.next);
        if ((stop && stopAt.has(stop)) || opts.signal?.aborted || Date.now() >= deadline) return r.state;
        if (!started) {
          started = true;
          const selector = formatLabelSelector((r.state.rollout.spec as Rollout["spec"] | undefined)?.selector);
          await waker.start(ref, selector && selector !== "<none>" ? selector : undefined);
          continue; // something may have changed while the watches started
        }
        const wakeAt = earliest([r.requeueAt, r.analysisAt, r.next.kind === "waitUntil" ? r.next.at : undefined]);
        const poll = r.inFlight ? Math.min(this.pollMs, 1000) : this.pollMs;
        // A timer due already still waits a moment: a plan that keeps naming a past instant must not spin.
        const ms = Math.max(20, Math.min(poll, wakeAt !== undefined ? wakeAt - this.now().getTime() : poll, deadline - Date.now()));
        await waker.wait(ms, opts.signal);
      }
    } finally {
      waker.stop();
    }
  }

  /** Argo's promote (the next step, or the end of a pause); `full` skips every remaining step. Then one reconcile. */
  async promote(ref: RolloutRef, opts: { full?: boolean; by?: string } = {}): Promise<RolloutState> {
    await this.operate(ref, opts.full ? "promote-full" : "promote", opts.by, (ro) => promoteRollout(ro, { full: opts.full }));
    return this.reconcile(ref);
  }

  /** status.abort: the canary goes to 0, the stable serves, the phase turns Degraded (RolloutAborted). */
  async abort(ref: RolloutRef, opts: { by?: string } = {}): Promise<RolloutState> {
    await this.operate(ref, "abort", opts.by, abortRollout);
    return this.reconcile(ref);
  }

  /** status.abort = false: the update starts again from the first step, with new analysis runs. */
  async retry(ref: RolloutRef, opts: { by?: string } = {}): Promise<RolloutState> {
    await this.operate(ref, "retry", opts.by, retryRollout);
    return this.reconcile(ref);
  }

  /** The pod template of a previous revision (default: the one before) back into the Rollout (or its workload). */
  async undo(ref: RolloutRef, opts: { toRevision?: number; by?: string } = {}): Promise<RolloutState> {
    const o = await observe(this.cluster, ref);
    const r = undoRollout(o.rollout, o.observedReplicaSets, { toRevision: opts.toRevision });
    this.deps.log?.info({ rollout: `${ref.namespace}/${ref.name}`, operation: "undo", by: opts.by, toRevision: opts.toRevision, changed: r.changed }, r.message);
    if (r.changed && r.template) {
      const wl = o.rollout.spec.workloadRef;
      const target = wl ? { apiVersion: wl.apiVersion, kind: wl.kind, namespace: ref.namespace, name: wl.name } : rolloutRefOf(ref);
      const path = wl?.kind === "PodTemplate" ? "/template" : "/spec/template";
      await this.cluster.patch(target, [{ op: "replace", path, value: r.template }], "json");
    }
    return this.reconcile(ref);
  }

  /** Where the Rollout stands, as stored (no write). */
  async status(ref: RolloutRef): Promise<RolloutState> {
    const o = await observe(this.cluster, ref);
    return buildState(ref, o);
  }

  async list(namespace?: string): Promise<RolloutRef[]> {
    const items = await this.cluster.list<KubeObject>(ARGO_API_VERSION, "Rollout", namespace ? { namespace } : {});
    return items.map((o) => ({ namespace: o.metadata.namespace ?? "default", name: o.metadata.name! })).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  // ------------------------------------------------------------ internals

  /** A status (and spec.paused) patch computed by a pure operation, with the resourceVersion read as a precondition. */
  private async operate(ref: RolloutRef, name: string, by: string | undefined, op: (ro: Rollout) => OperationResult): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const o = await observe(this.cluster, ref);
      const r = op(o.rollout);
      this.deps.log?.info({ rollout: `${ref.namespace}/${ref.name}`, operation: name, by, changed: r.changed }, r.message);
      if (!r.changed) return;
      try {
        const statusPatch = mergePatchOf(o.rollout.status ?? {}, r.rollout.status ?? {});
        if (statusPatch !== undefined) {
          await this.cluster.patch(rolloutRefOf(ref), { metadata: { resourceVersion: o.object.metadata.resourceVersion }, status: statusPatch }, "merge", { subresource: "status" });
        }
        if (!!r.rollout.spec.paused !== !!o.rollout.spec.paused) {
          await this.cluster.patch(rolloutRefOf(ref), { spec: { paused: r.rollout.spec.paused ?? false } }, "merge");
        }
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  private async pass(ref: RolloutRef): Promise<PassResult> {
    let changed = false;
    let analysisAt: string | undefined;
    let inFlight = false;
    for (let i = 0; i < MAX_PASSES; i++) {
      let o = await observe(this.cluster, ref);
      const open = o.runs.filter((r) => !isCompleted(r.status?.phase));
      if (open.length > 0) {
        const a = await reconcileRuns({ cluster: this.cluster, fetch: this.fetch, now: this.now }, open, o.rollout);
        analysisAt = a.nextAt;
        inFlight = a.inFlight;
        if (a.changed) {
          changed = true;
          const byName = new Map<string, AnalysisRun>(a.runs.map((r) => [r.metadata.name, r]));
          o = { ...o, runs: o.runs.map((r) => byName.get(r.metadata.name) ?? r) };
        }
      }
      const now = this.now();
      if (o.invalid) {
        const status = invalidStatus(o, o.invalid, now);
        let written: KubeObject | undefined;
        try {
          written = await writeStatus(this.cluster, ref, o, status);
        } catch (err) {
          if (isConflict(err)) continue;
          throw err;
        }
        if (written) changed = true;
        this.deps.log?.warn({ rollout: `${ref.namespace}/${ref.name}`, reason: o.invalid }, "rollout is invalid");
        return this.finish(ref, changed, withStatus(o, status, written), { next: { kind: "degraded", message: o.invalid }, inFlight, ...(analysisAt ? { analysisAt } : {}) });
      }
      const plan = planRollout(planInputOf(o, now));
      for (const e of plan.events) this.deps.log?.info({ rollout: `${ref.namespace}/${ref.name}`, type: e.type, reason: e.reason }, e.message);
      await applyActions(this.cluster, o, plan, now);
      let written: KubeObject | undefined;
      try {
        written = await writeStatus(this.cluster, ref, o, plan.status);
      } catch (err) {
        if (isConflict(err)) continue; // someone wrote meanwhile (a promote): read again
        throw err;
      }
      if (written || plan.actions.length > 0) changed = true;
      // A plan that waits changed nothing in this pass: what was read, with the status written, is the state.
      if (plan.next.kind !== "continue") return this.finish(ref, changed, withStatus(o, plan.status, written), this.waitOf(plan, analysisAt, inFlight));
    }
    this.deps.log?.warn({ rollout: `${ref.namespace}/${ref.name}`, passes: MAX_PASSES }, "rollout did not settle");
    return this.finish(ref, changed, await observe(this.cluster, ref), { next: { kind: "waitForPods", replicaSets: [] }, inFlight });
  }

  private waitOf(plan: RolloutPlan, analysisAt: string | undefined, inFlight: boolean): Omit<PassResult, "state"> {
    return { next: plan.next, inFlight, ...(plan.requeueAt ? { requeueAt: plan.requeueAt } : {}), ...(analysisAt ? { analysisAt } : {}) };
  }

  /** The state, reported through onChange when anything changed. */
  private async finish(ref: RolloutRef, changed: boolean, o: Observed, r: Omit<PassResult, "state">): Promise<PassResult> {
    const state = buildState(ref, o);
    if (changed) await this.deps.onChange?.(state);
    return { ...r, state };
  }
}
