import { ConfigError, ExternalError } from "../core/errors.js";
import type { Job } from "../core/ports/store.js";
import type { AppContext } from "./context.js";
import { executeRun } from "./execute-run.js";
import { processEvent, type EventJob } from "./on-event.js";

export interface WorkerOptions {
  pollMs?: number;
  /** Extra job kinds (the scheduler's). */
  handlers?: Record<string, (ctx: AppContext, job: Job) => Promise<void>>;
  /**
   * Long job kinds (an app sync waits on health for minutes): claimed apart from webhook events, so
   * they neither take the events' places nor outlive their lease; each kind with its own limit.
   */
  lanes?: Record<string, { leaseMs: number; max: number }>;
}

const MAX_ATTEMPTS = 5;
/** Run jobs stay claimed while the run executes; the run's own lease decides adoption, not this. */
const RUN_JOB_LEASE_MS = 24 * 3600_000;
const EVENT_JOB_LEASE_MS = 5 * 60_000;

/**
 * Takes jobs from the store's queue and does them: webhooks (short) and runs (long). Events go
 * first; runs respect the replica's run limit and each installation's fair share.
 */
export class Worker {
  private timer: NodeJS.Timeout | undefined;
  private active = new Set<Promise<void>>();
  private activeRuns = 0;
  private activeEvents = 0;
  private readonly laneActive = new Map<string, number>();
  private lastCount = 0;
  private pressureUntil = 0;
  private stopped = true;
  private polling = false;
  private wakeRequested = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: WorkerOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks at the queue now (after an enqueue in this replica) instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    // Busy with as many events as it takes: the next one finishing looks at the queue anyway, so a
    // burst of webhooks does not turn into a burst of claim transactions.
    if (this.activeEvents >= this.ctx.limits.maxEvents && this.activeRuns >= this.ctx.limits.maxRuns) return;
    if (this.polling) this.wakeRequested = true;
    else this.schedule(0);
  }

  /**
   * Webhooks are arriving fast: until `until`, take one event at a time and start no run, so that
   * acknowledging them (GitHub gives up on a delivery after 10 s) keeps the CPU it needs.
   */
  setPressure(until: number): void {
    this.pressureUntil = Math.max(this.pressureUntil, until);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Waits for the jobs in hand (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.polling) await Promise.race([...this.active, new Promise((r) => setTimeout(r, 10))]);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    this.wakeRequested = false;
    try {
      // Events in flight are capped, and so is each installation's share of them: under one
      // installation's burst its oldest finish first instead of all sharing GitHub's request queue,
      // and an installation waiting for GitHub's pacing of its writes holds only its own places.
      const pressed = Date.now() < this.pressureUntil;
      const room = (pressed ? 1 : this.ctx.limits.maxEvents) - this.activeEvents;
      if (room > 0) {
        const events = await this.ctx.store.claimJobs({
          worker: this.ctx.workerId,
          limit: room,
          leaseMs: EVENT_JOB_LEASE_MS,
          perInstallationLimit: this.ctx.limits.maxEventsPerInstallation,
          kinds: ["event", "cron", "redeliver"],
        });
        for (const job of events) this.track(job);
      }
      for (const [kind, lane] of Object.entries(this.opts.lanes ?? {})) {
        const free = pressed ? 0 : lane.max - (this.laneActive.get(kind) ?? 0);
        if (free <= 0) continue;
        const jobs = await this.ctx.store.claimJobs({ worker: this.ctx.workerId, limit: free, leaseMs: lane.leaseMs, kinds: [kind] });
        for (const job of jobs) this.track(job);
      }
      const free = pressed ? 0 : this.ctx.limits.maxRuns - this.activeRuns;
      if (free > 0) {
        const runs = await this.ctx.store.claimJobs({
          worker: this.ctx.workerId,
          limit: free,
          leaseMs: RUN_JOB_LEASE_MS,
          perInstallationLimit: this.ctx.limits.maxRunsPerInstallation,
          kinds: ["run"],
        });
        for (const job of runs) this.track(job);
      }
      if (Date.now() - this.lastCount > 5_000) {
        this.lastCount = Date.now();
        this.ctx.metrics.jobsQueued.set(await this.ctx.store.countJobs("queued"));
      }
    } catch (err) {
      this.ctx.log.error({ err }, "claiming jobs failed");
    } finally {
      this.polling = false;
    }
    const pressureLeft = this.pressureUntil - Date.now();
    if (!this.stopped) this.schedule(this.wakeRequested ? 0 : pressureLeft > 0 ? Math.min(pressureLeft + 1, this.opts.pollMs ?? 1000) : (this.opts.pollMs ?? 1000));
  }

  private track(job: Job): void {
    const isRun = job.kind === "run";
    const lane = this.opts.lanes?.[job.kind] ? job.kind : undefined;
    if (isRun) this.activeRuns++;
    else if (lane) this.laneActive.set(lane, (this.laneActive.get(lane) ?? 0) + 1);
    else this.activeEvents++;
    const p = this.perform(job).finally(() => {
      if (isRun) this.activeRuns--;
      else if (lane) this.laneActive.set(lane, (this.laneActive.get(lane) ?? 1) - 1);
      else this.activeEvents--;
      this.active.delete(p);
      this.wake();
    });
    this.active.add(p);
  }

  private async perform(job: Job): Promise<void> {
    const log = this.ctx.log.child({ job: job.id, kind: job.kind });
    try {
      if (job.kind === "event") await processEvent(this.ctx, job.payload as EventJob);
      else if (job.kind === "run") await executeRun(this.ctx, (job.payload as { runId: string }).runId);
      else if (this.opts.handlers?.[job.kind]) await this.opts.handlers[job.kind](this.ctx, job);
      else throw new ConfigError(`unknown job kind "${job.kind}"`);
      await this.ctx.store.completeJob(job.id, this.ctx.workerId);
      if (job.deliveryId) await this.ctx.store.markDelivery(job.deliveryId, "done");
    } catch (err) {
      const e = err as Error;
      const final = err instanceof ConfigError || job.attempts >= MAX_ATTEMPTS;
      const delay = err instanceof ExternalError && err.retryAfterMs !== undefined ? err.retryAfterMs : Math.min(60_000, 1000 * 2 ** job.attempts);
      log.warn({ err: e, attempts: job.attempts, final }, "job failed");
      try {
        await this.ctx.store.failJob(job.id, this.ctx.workerId, e.message, final ? undefined : new Date(this.ctx.now().getTime() + delay));
        if (final && job.deliveryId) await this.ctx.store.markDelivery(job.deliveryId, "failed", e.message);
      } catch (storeErr) {
        // The job's lease runs out and another claim takes it again.
        log.error({ err: storeErr }, "recording a failed job failed");
      }
    }
  }
}
