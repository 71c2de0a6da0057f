/**
 * One hosted release: the Rollout controller run until a gate, the end or a failure; at a gate it
 * waits for an operation (a command or a click), its deadline (the gate timeout) or, now and then, a
 * look at the Rollout (another replica may have operated on it). Operations are queued here and done
 * between controller runs, so the controller is never run twice at once for a rollout in a replica.
 * GitHub writes go through one chain per release and never hold the cluster work up.
 */
import type { RolloutController, RolloutRef, RolloutState } from "../reconcilers/rollout/controller.js";
import type { AppContext } from "./context.js";
import { describeWhoMay } from "./rollout-authz.js";
import { ensureRolloutCheck, ensureRolloutComment, lookUpGitHubContext, supersedeRelease } from "./rollout-github.js";
import { gatePolicyOf, RELEASE_NS, type RolloutOp, type RolloutRelease } from "./rollout-release.js";
import { renderRolloutCheck, renderRolloutComment, stageOf } from "./rollout-report.js";

export interface OperationRequest {
  op: RolloutOp;
  by: string;
  toRevision?: number;
}

export interface PendingOp extends OperationRequest {
  /** The gate deadline passed (not a person). */
  timeout?: { after: string };
  resolve(state: RolloutState): void;
  reject(err: Error): void;
}

export interface DriverTimings {
  gatePollMs: number;
  /** A controller run is cut after this long and started again (0: never). */
  runTimeoutMs: number;
  progressDebounceMs: number;
  errorBackoffMs: number;
  /** After an abort, how long the controller goes on scaling the new pods down before the driver ends. */
  settleMs: number;
}

/** Nothing but the stable (or active) ReplicaSet has pods wanted. */
const settled = (s: RolloutState) => s.replicaSets.every((rs) => rs.role === "stable" || rs.role === "active" || rs.replicas === 0);
const annotationsOf = (s: RolloutState) => s.rollout.metadata.annotations;
const sameRevision = (prev: Pick<RolloutRelease, "podTemplateHash" | "revision">, s: RolloutState) =>
  prev.podTemplateHash !== undefined && s.podTemplateHash !== undefined ? prev.podTemplateHash === s.podTemplateHash : prev.revision === s.revision;

export class ReleaseDriver {
  readonly ops: PendingOp[] = [];
  stopped = false;
  private runAbort?: AbortController;
  private wakeUp?: () => void;
  private reports: Promise<void> = Promise.resolve();
  private latest?: RolloutState;
  private progressTimer?: NodeJS.Timeout;
  private lastProgress = 0;

  constructor(
    private readonly ctx: AppContext,
    readonly key: string,
    public release: RolloutRelease,
    readonly controller: RolloutController,
    private readonly timings: DriverTimings,
  ) {}

  /** An operation to do before anything else; resolves with the state right after it. */
  enqueue(op: Omit<PendingOp, "resolve" | "reject">): Promise<RolloutState> {
    return new Promise((resolve, reject) => {
      this.ops.push({ ...op, resolve, reject });
      this.interrupt();
    });
  }

  /** Ends the current run or wait (an operation came, or the driver stops). */
  interrupt(): void {
    this.runAbort?.abort();
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.interrupt();
    for (const p of this.ops.splice(0)) p.reject(new Error("Tiphys is stopping; try again in a moment"));
  }

  /** The controller's onChange: progress between gates, debounced. */
  onChange(state: RolloutState): void {
    this.latest = state;
    if (this.stopped || this.progressTimer || stageOf(state) !== "progressing") return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.lastProgress = Date.now();
      const s = this.latest;
      if (!this.stopped && s && stageOf(s) === "progressing" && !this.release.gate && !this.release.finished) this.report(s, { comment: false });
    }, Math.max(0, this.lastProgress + this.timings.progressDebounceMs - Date.now()));
    this.progressTimer.unref?.();
  }

  /** Records the refusal of a click, shown in the comment. */
  noteRefusal(by: string, text: string, state: RolloutState): void {
    this.release = { ...this.release, refusal: { by, text, at: this.ctx.now().toISOString() } };
    this.report(state, { comment: true });
  }

  /**
   * Keeps the release in the store, unless a newer release of the Rollout replaced it meanwhile (a sync
   * in another replica): then this driver is stale and stops.
   */
  async save(opts: { force?: boolean } = {}): Promise<void> {
    if (!opts.force) {
      const stored = await this.ctx.store.getValue<RolloutRelease>(RELEASE_NS, this.key);
      if (stored && (stored.sha !== this.release.sha || stored.startedAt !== this.release.startedAt)) {
        this.ctx.log.info({ rollout: this.key, newer: stored.sha }, "a newer release of the rollout replaced this one; its driver stops");
        return this.stop();
      }
    }
    await this.ctx.store.putValue(RELEASE_NS, this.key, this.release);
  }

  /** Waits for the GitHub writes queued so far. */
  async flush(): Promise<void> {
    await this.reports;
  }

  /** Renders the release as it stands and writes what changed, in order with the earlier writes. */
  report(state: RolloutState, opts: { comment: boolean; starting?: boolean }): void {
    this.reports = this.reports
      .then(async () => {
        const annotations = annotationsOf(state);
        const input = { state, release: this.release, policy: gatePolicyOf(annotations), whoMay: describeWhoMay(this.release.repo, "promote", this.release, annotations) };
        const before = this.release;
        let out = renderRolloutCheck(input);
        // The check run starts in progress, whatever the first look found (it says so right after).
        if (opts.starting && out.status !== "in_progress") out = { ...out, status: "in_progress", conclusion: undefined, actions: [], title: `${this.release.ref.name} is releasing revision ${state.revision}` };
        const checked = await ensureRolloutCheck(this.ctx, this.release, out);
        if (checked !== before) this.release = { ...this.release, checkRunId: checked.checkRunId, checkRunUrl: checked.checkRunUrl, written: { ...this.release.written, check: checked.written.check } };
        let commented: RolloutRelease | undefined;
        if (opts.comment || Object.keys(this.release.comments).length > 0) {
          const current = this.release;
          commented = await ensureRolloutComment(this.ctx, current, renderRolloutComment({ ...input, release: current }));
          if (commented === current) commented = undefined;
          else this.release = { ...this.release, comments: commented.comments, written: { ...this.release.written, comment: commented.written.comment } };
        }
        // Nothing written: nothing to keep either (a gate looked at again writes nothing at all).
        if (checked !== before || commented) await this.save();
      })
      .catch((err) => this.ctx.log.warn({ err, rollout: this.key }, "reporting a rollout release to GitHub failed"));
  }

  /** The loop: until the release ends or the driver stops. */
  async drive(): Promise<void> {
    const ref = this.release.ref;
    let state = await this.controller.reconcile(ref);
    let settleUntil = Date.now() + this.timings.settleMs;
    if (!(await this.begin(state))) return;
    while (!this.stopped) {
      try {
        const op = this.ops.shift();
        if (op) {
          state = await this.apply(op);
          continue;
        }
        const stage = stageOf(state);
        if (stage === "healthy") return await this.finish(state);
        if (stage === "degraded") {
          if (!this.release.finished) {
            await this.finish(state);
            settleUntil = Date.now() + this.timings.settleMs;
          }
          // Aborted: the controller goes on until the new pods are down (or the settling time is up).
          if (settled(state) || Date.now() >= settleUntil) return;
          this.runAbort = new AbortController();
          state = await this.controller.run(ref, { signal: this.runAbort.signal, stopAt: ["gate", "done"], timeoutMs: Math.min(5000, settleUntil - Date.now()) });
          continue;
        }
        if (stage === "gate") {
          state = await this.atGate(state);
          continue;
        }
        this.runAbort = new AbortController();
        state = await this.controller.run(ref, { signal: this.runAbort.signal, stopAt: ["gate", "done", "degraded"], ...(this.timings.runTimeoutMs > 0 ? { timeoutMs: this.timings.runTimeoutMs } : {}) });
      } catch (err) {
        this.ctx.log.warn({ err, rollout: this.key }, "driving a rollout failed; trying again");
        await this.pause(this.timings.errorBackoffMs);
        if (!this.stopped) state = await this.controller.reconcile(ref).catch(() => state);
      } finally {
        this.runAbort = undefined;
      }
    }
  }

  /**
   * The first look at a new release: when the sync changed nothing of the Rollout, the release it
   * replaced stands (and goes on, if it had not ended); otherwise that one is superseded and this
   * one's GitHub context is looked up. False: nothing more to drive.
   */
  private async begin(state: RolloutState): Promise<boolean> {
    if (this.release.github) return true;
    const prev = this.release.previous;
    if (prev && sameRevision(prev, state)) {
      this.release = prev;
      await this.save({ force: true });
      if (prev.finished) return false;
    } else {
      if (prev && !prev.finished) await supersedeRelease(this.ctx, prev, this.release.sha);
      const { previous: _dropped, ...rest } = this.release;
      this.release = { ...rest, revision: state.revision, ...(state.podTemplateHash ? { podTemplateHash: state.podTemplateHash } : {}) };
    }
    if (!this.release.github) this.release = { ...this.release, github: await lookUpGitHubContext(this.ctx, this.release) };
    await this.save();
    this.lastProgress = Date.now();
    if (this.release.checkRunId === undefined) this.report(state, { comment: false, starting: true });
    return true;
  }

  private async apply(p: PendingOp): Promise<RolloutState> {
    const ref = this.release.ref;
    try {
      const state = await runOp(this.controller, ref, p);
      const at = this.ctx.now().toISOString();
      const record = p.timeout ? { op: "gate-timeout" as const, by: "tiphys", at, detail: `${p.op} after ${p.timeout.after}` } : { op: p.op, by: p.by, at, ...(p.toRevision !== undefined ? { detail: `to revision ${p.toRevision}` } : {}) };
      const { gate: _gate, refusal: _refusal, finished: _finished, ...rest } = this.release;
      this.release = { ...rest, operations: [...this.release.operations, record], revision: state.revision, ...(state.podTemplateHash ? { podTemplateHash: state.podTemplateHash } : {}) };
      await this.save();
      this.lastProgress = Date.now();
      // At a gate or the end already: atGate or finish reports it (once, with its deadline or result).
      if (stageOf(state) === "progressing") this.report(state, { comment: true });
      p.resolve(state);
      return state;
    } catch (err) {
      p.reject(err as Error);
      return this.controller.status(ref);
    }
  }

  /** Reports the gate (once), then waits for an operation, the deadline, or the next look. */
  private async atGate(state: RolloutState): Promise<RolloutState> {
    const gate = state.gate!;
    const policy = gatePolicyOf(annotationsOf(state));
    if (this.release.gate?.since !== gate.since) {
      const since = Date.parse(gate.since) || this.ctx.now().getTime();
      const step = state.currentStepIndex;
      this.release = { ...this.release, gate: { reason: gate.reason, since: gate.since, deadline: new Date(since + policy.timeoutMs).toISOString(), action: policy.action, timeout: policy.timeout, ...(step !== undefined ? { step } : {}) } };
      await this.save();
    }
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    this.report(state, { comment: true });
    const deadline = Date.parse(this.release.gate!.deadline);
    const left = deadline - this.ctx.now().getTime();
    if (this.ops.length > 0 || this.stopped) return state;
    const woke = await this.pause(Math.min(Math.max(0, left), this.timings.gatePollMs));
    if (woke || this.stopped) return this.controller.status(this.release.ref);
    const now = await this.controller.status(this.release.ref);
    // Still at the same gate after its deadline (nobody operated from elsewhere): the timeout decides.
    if (left <= this.timings.gatePollMs && now.gate?.since === gate.since) {
      this.ops.push({ op: policy.action, by: "tiphys", timeout: { after: policy.timeout }, resolve: () => undefined, reject: () => undefined });
      await this.ctx.store.audit({
        at: this.ctx.now(),
        installationId: this.release.repo.installationId,
        repo: `${this.release.repo.owner}/${this.release.repo.name}`,
        actor: "tiphys",
        action: "gate-timeout",
        target: `${policy.action} ${this.release.ref.name}`,
        sha: this.release.sha,
        decision: "done",
        reason: `no answer within ${policy.timeout} (${gate.reason} since ${gate.since})`,
      });
    }
    return now;
  }

  private async finish(state: RolloutState): Promise<void> {
    const stage = stageOf(state);
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    const { gate: _gate, ...rest } = this.release;
    const conclusion = stage === "healthy" ? "success" : "failure";
    this.release = { ...rest, finished: { phase: state.phase, conclusion, at: this.ctx.now().toISOString(), message: state.message } };
    await this.save();
    this.report(state, { comment: stage === "degraded" });
    await this.flush();
  }

  /** Sleeps, or less when interrupted; true when interrupted. */
  private pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve(false);
      }, ms);
      t.unref?.();
      this.wakeUp = () => {
        clearTimeout(t);
        this.wakeUp = undefined;
        resolve(true);
      };
    });
  }
}

/** One operation on the controller. */
export function runOp(controller: RolloutController, ref: RolloutRef, req: OperationRequest): Promise<RolloutState> {
  switch (req.op) {
    case "promote":
    case "promote-full":
      return controller.promote(ref, { full: req.op === "promote-full", by: req.by });
    case "abort":
      return controller.abort(ref, { by: req.by });
    case "retry":
      return controller.retry(ref, { by: req.by });
    case "undo":
      return controller.undo(ref, { by: req.by, ...(req.toRevision !== undefined ? { toRevision: req.toRevision } : {}) });
  }
}
