/**
 * The App hosts Tiphys's Rollout controller (as self-heal.ts hosts the app watchers): after a sync
 * applied Rollouts, and at worker start for the releases the store knows, each release is driven by one
 * ReleaseDriver in the replica that holds its store lock (`rollout:<key>`, renewed while it drives).
 * Another replica takes a release over once that lock runs out. Operations from commands and buttons
 * go to the local driver, or, when another replica drives the release, straight to the cluster (a
 * patch) for that replica to see at its next look. Nothing is lost in a restart: the release's step
 * lives in the cluster, and its GitHub context and gate deadline in the store.
 */
import type { Cluster, KubeObject } from "../core/ports/cluster.js";
import type { RepoRef } from "../core/ports/github.js";
import type { ApplicationDestination } from "../reconcilers/application/types.js";
import { ARGO_API_VERSION } from "../reconcilers/rollout/model.js";
import { RolloutController, RolloutNotFoundError, type RolloutRef, type RolloutState } from "../reconcilers/rollout/controller.js";
import type { AppContext } from "./context.js";
import { ReleaseDriver, runOp, type DriverTimings, type OperationRequest } from "./rollout-driver.js";
import { ensureRolloutCheck } from "./rollout-github.js";
import { driveLockName, listReleases, readRelease, RELEASE_NS, releaseKey, rolloutCheckName, type RolloutRelease } from "./rollout-release.js";

export interface RolloutHostOptions {
  /** How often a release at a gate is looked at again (another replica may have operated on it). Default 60 s. */
  gatePollMs?: number;
  /** The drive lock's lease, renewed while driving. Default 60 s. */
  lockTtlMs?: number;
  /** How often releases no replica drives are looked for. Default: the lock's lease. */
  adoptMs?: number;
  /** The controller's longest wait between looks when no watch event comes. Default 2 s. */
  controllerPollMs?: number;
  /** After an abort, how long the controller goes on scaling the new pods down. Default 10 min. */
  settleMs?: number;
}

export interface ReleaseStart {
  repo: RepoRef;
  app: string;
  destination: ApplicationDestination;
  ref: RolloutRef;
  sha: string;
  pushedBy?: string;
}

/** The Rollouts among an app's rendered manifests, each in its namespace (the destination's by default). */
export function rolloutsIn(rendered: KubeObject[], destination: ApplicationDestination): RolloutRef[] {
  return rendered
    .filter((o) => o.apiVersion === ARGO_API_VERSION && o.kind === "Rollout" && o.metadata.name)
    .map((o) => ({ namespace: o.metadata.namespace ?? destination.namespace ?? "default", name: o.metadata.name! }));
}

export class RolloutHost {
  private readonly drivers = new Map<string, ReleaseDriver>();
  private readonly starting = new Map<string, Promise<boolean>>();
  private readonly ending = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private adoptTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly opts: Required<RolloutHostOptions>;

  constructor(
    private readonly ctx: AppContext,
    opts: RolloutHostOptions = {},
  ) {
    const lockTtlMs = opts.lockTtlMs ?? 60_000;
    this.opts = { gatePollMs: 60_000, controllerPollMs: 2000, settleMs: 10 * 60_000, adoptMs: lockTtlMs, ...opts, lockTtlMs };
  }

  /** Releases driven in this replica now (tests, metrics). */
  get driving(): string[] {
    return [...this.drivers.keys()];
  }

  /** After a sync: a release for each Rollout the app applied (replacing the earlier one of that Rollout). */
  async afterSync(input: Omit<ReleaseStart, "ref"> & { rendered: KubeObject[] }): Promise<void> {
    for (const ref of rolloutsIn(input.rendered, input.destination)) {
      try {
        await this.startRelease({ ...input, ref });
      } catch (err) {
        this.ctx.log.warn({ err, rollout: `${ref.namespace}/${ref.name}` }, "starting a rollout release failed");
      }
    }
  }

  async startRelease(input: ReleaseStart): Promise<void> {
    if (this.closed) return;
    const key = releaseKey(input.repo, input.ref);
    const old = await readRelease(this.ctx.store, key);
    // The same release again (the sync job ran twice): it goes on as it was.
    if (old && old.sha === input.sha && !old.finished) return void (await this.track(key));
    await this.stopDriver(key);
    const { previous: _older, ...previous } = old ?? ({} as Partial<RolloutRelease>);
    const release: RolloutRelease = {
      repo: input.repo,
      app: input.app,
      destination: input.destination,
      ref: input.ref,
      sha: input.sha,
      startedAt: this.ctx.now().toISOString(),
      ...(input.pushedBy ? { pushedBy: input.pushedBy } : {}),
      comments: {},
      written: {},
      operations: [],
      ...(old ? { previous: previous as RolloutRelease } : {}),
    };
    await this.ctx.store.putValue(RELEASE_NS, key, release);
    await this.track(key);
  }

  /** At worker start, and then now and then: the releases that have not ended and that no replica drives. */
  async resume(): Promise<number> {
    if (!this.adoptTimer && !this.closed && this.opts.adoptMs > 0) {
      this.adoptTimer = setInterval(() => void this.resume().catch((err) => this.ctx.log.warn({ err }, "adopting rollout releases failed")), this.opts.adoptMs);
      this.adoptTimer.unref?.();
    }
    let n = 0;
    for (const { key, value } of await listReleases(this.ctx.store)) {
      if (this.closed || value.finished || this.drivers.has(key)) continue;
      if (await this.track(key)) n++;
    }
    return n;
  }

  /** Does an operation on a release: through its driver here, else straight on the cluster. */
  async operate(key: string, req: OperationRequest): Promise<RolloutState> {
    const d = (await this.track(key)) ? this.drivers.get(key) : undefined;
    // A driver that is ending hands what it did not do to the next one (see start).
    if (d && !d.stopped) return d.enqueue(req);
    const release = await readRelease(this.ctx.store, key);
    if (!release) throw new Error(`no release ${key}`);
    const controller = await this.controllerFor(release);
    const state = await runOp(controller, release.ref, req);
    const fresh = (await readRelease(this.ctx.store, key)) ?? release;
    await this.ctx.store.putValue(RELEASE_NS, key, { ...fresh, operations: [...fresh.operations, { op: req.op, by: req.by, at: this.ctx.now().toISOString() }] });
    return state;
  }

  /** Where a release's Rollout stands (read only). */
  async status(release: RolloutRelease): Promise<RolloutState> {
    const d = this.drivers.get(releaseKey(release.repo, release.ref));
    return (d ? d.controller : await this.controllerFor(release)).status(release.ref);
  }

  /** A refused click: said in the release's comment. */
  async noteRefusal(release: RolloutRelease, by: string, text: string): Promise<void> {
    const key = releaseKey(release.repo, release.ref);
    const d = this.drivers.get(key);
    if (d) return d.noteRefusal(by, text, await d.controller.status(release.ref));
    await this.ctx.store.putValue(RELEASE_NS, key, { ...release, refusal: { by, text, at: this.ctx.now().toISOString() } });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.adoptTimer) clearInterval(this.adoptTimer);
    await Promise.allSettled([...this.starting.values()]);
    for (const d of this.drivers.values()) d.stop();
    await Promise.allSettled([...this.running]);
  }

  private async controllerFor(release: RolloutRelease, onChange?: (s: RolloutState) => void): Promise<RolloutController> {
    if (!this.ctx.clusters) throw new Error("Tiphys has no clusters: set TIPHYS_KUBECONFIG, or run it in a cluster");
    const cluster: Cluster = await this.ctx.clusters.forDestination(release.destination);
    return new RolloutController({ cluster, now: () => this.ctx.now(), log: this.ctx.log, pollMs: this.opts.controllerPollMs, ...(onChange ? { onChange } : {}) });
  }

  private async stopDriver(key: string): Promise<void> {
    await this.starting.get(key);
    const d = this.drivers.get(key);
    if (!d) return;
    d.stop();
    while (this.drivers.get(key) === d) await new Promise((r) => setTimeout(r, 5));
  }

  /** Drives a release here when no other replica does; true when this replica drives it now. */
  private track(key: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.drivers.has(key)) return Promise.resolve(true);
    let p = this.starting.get(key);
    if (!p) {
      p = this.start(key).finally(() => this.starting.delete(key));
      this.starting.set(key, p);
    }
    return p;
  }

  private async start(key: string): Promise<boolean> {
    // A driver of this release that is ending lets its lock go first (the lock's owner is this replica).
    await this.ending.get(key);
    const release = await readRelease(this.ctx.store, key);
    if (!release || !this.ctx.clusters) return false;
    const lock = driveLockName(key);
    const owner = this.ctx.workerId;
    if (!(await this.ctx.store.tryLock(lock, owner, this.opts.lockTtlMs))) return false;
    const renew = setInterval(() => void this.ctx.store.tryLock(lock, owner, this.opts.lockTtlMs).catch(() => undefined), Math.max(100, this.opts.lockTtlMs / 3));
    renew.unref?.();
    let driver: ReleaseDriver | undefined;
    try {
      const controller = await this.controllerFor(release, (s) => driver?.onChange(s));
      driver = new ReleaseDriver(this.ctx, key, release, controller, this.timings());
    } catch (err) {
      clearInterval(renew);
      await this.ctx.store.unlock(lock, owner).catch(() => undefined);
      throw err;
    }
    const d = driver;
    this.drivers.set(key, d);
    const drive = async () => {
      try {
        await d.drive();
      } catch (err) {
        if (err instanceof RolloutNotFoundError) await this.gone(d);
        else this.ctx.log.warn({ err, rollout: key }, "driving a rollout release stopped");
      } finally {
        if (this.drivers.get(key) === d) this.drivers.delete(key);
        // Operations that came while the release was ending: a new driver does them.
        const left = d.ops.splice(0);
        let ended!: () => void;
        this.ending.set(key, new Promise<void>((resolve) => (ended = resolve)));
        await d.flush();
        clearInterval(renew);
        await this.ctx.store.unlock(lock, owner).catch(() => undefined);
        this.ending.delete(key);
        ended();
        for (const op of left) this.operate(key, op).then(op.resolve, op.reject);
      }
    };
    const p = drive().finally(() => this.running.delete(p));
    this.running.add(p);
    return true;
  }

  /** The Rollout no longer exists (its app pruned it): the release ends, and its check run says so. */
  private async gone(d: ReleaseDriver): Promise<void> {
    const r = d.release;
    const message = `${r.ref.namespace}/${r.ref.name} no longer exists in the cluster`;
    let release: RolloutRelease = { ...r, finished: { phase: "Missing", conclusion: "neutral", at: this.ctx.now().toISOString(), message } };
    if (r.checkRunId !== undefined) {
      release = await ensureRolloutCheck(this.ctx, release, { status: "completed", conclusion: "neutral", title: `${r.ref.name}: ${message}`, summary: `The release of \`${r.sha.slice(0, 7)}\` ended: ${message}.`, actions: [] }).catch(() => release);
    }
    this.ctx.log.info({ rollout: rolloutCheckName(r.ref.name) }, "the rollout of a release is gone");
    await this.ctx.store.putValue(RELEASE_NS, d.key, release);
  }

  private timings(): DriverTimings {
    return { gatePollMs: this.opts.gatePollMs, runTimeoutMs: 10 * 60_000, progressDebounceMs: this.ctx.limits.checkRunDebounceMs, errorBackoffMs: 5000, settleMs: this.opts.settleMs };
  }
}
