/**
 * Self-heal (Argo CD's `automated.selfHeal`): after an automated app synced here, and for such apps at
 * worker start, the App watches the app's objects in its destination (one watch per kind of its
 * inventory, labelled `tiphys.io/app=<app>`). A change or deletion of one of them is compared (after a
 * short debounce) and, when the app is OutOfSync, only what drifted is applied again: a selective sync,
 * without hooks or a history entry, with Argo CD's backoff (0 s, 2 s, 6 s … capped at 5 min, counted
 * from the end of the app's last operation, reset by a new revision). Without `selfHeal` (or while the
 * app is locked) drift is only reported: a log line and `tiphys_app_drift_total{action="reported"}`.
 */
import type { Cluster, KubeObject, WatchHandle } from "../core/ports/cluster.js";
import { appLabelValue, APP_LABEL, trackedBy } from "../reconcilers/application/compare.js";
import { readInventory } from "../reconcilers/application/inventory.js";
import { isAutomated } from "../reconcilers/application/model.js";
import { runSync } from "../reconcilers/application/sync.js";
import type { Application, AppProject } from "../reconcilers/application/types.js";
import { keyString } from "../reconcilers/application/types.js";
import { pinRevision } from "./app-sync-push.js";
import { compareLive, prepareApp } from "./app-sync-prepare.js";
import { appKey, KNOWN_NS, operationLockName, readLock, selfHealDelayMs, syncOptionsOf, type KnownApp } from "./app-sync-state.js";
import type { AppContext } from "./context.js";

export interface LiveApp {
  cluster: Cluster;
  /** The Application as synced (its revision pinned). */
  app: Application;
  project: AppProject;
  rendered: KubeObject[];
  /** When the app's last operation ended (ISO). */
  finishedAt: string;
}

interface Tracked extends LiveApp {
  key: string;
  known: KnownApp;
  lastEnd: number;
  attempts: number;
  watches: WatchHandle[];
  timer?: NodeJS.Timeout;
  /** Drift already reported (not again until the app is Synced once more). */
  reported: boolean;
  /** Resolves when the app is no longer watched (a watch stopped early never becomes ready). */
  stopped: Promise<void>;
  stop: () => void;
}

export class SelfHealer {
  private readonly apps = new Map<string, Tracked>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly ctx: AppContext) {}

  /** Apps watched now (tests, metrics). */
  get watched(): string[] {
    return [...this.apps.keys()];
  }

  /** Watches an app that just synced (again): its watches restart on its current inventory. */
  track(known: KnownApp, live: LiveApp): void {
    if (this.closed) return;
    const key = appKey(known.repo, known.app.metadata.name);
    const prev = this.apps.get(key);
    if (prev) this.stopApp(prev);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const t: Tracked = {
      ...live,
      stopped,
      stop,
      key,
      known,
      lastEnd: Date.parse(live.finishedAt) || Date.now(),
      attempts: prev && prev.known.revision === known.revision ? prev.attempts : 0,
      watches: [],
      reported: false,
    };
    this.apps.set(key, t);
    this.run(this.startWatches(t));
  }

  /** Stops watching an app (it disappeared from the repo, or is no longer automated). */
  untrack(key: string): void {
    const t = this.apps.get(key);
    if (!t) return;
    this.stopApp(t);
    this.apps.delete(key);
  }

  /** At worker start: the automated apps that synced here before, rendered again at their revision. */
  async resume(): Promise<number> {
    let n = 0;
    for (const { key, value: known } of await this.ctx.store.listValues<KnownApp>(KNOWN_NS)) {
      if (this.closed || this.apps.has(key) || !isAutomated(known.app)) continue;
      try {
        const prep = await prepareApp(this.ctx, { repo: known.repo, name: known.app.metadata.name, configSha: known.configSha, sha: known.revision, shape: (app) => pinRevision(app, known.repo, known.revision) });
        if (!prep.ok) {
          this.ctx.log.info({ app: key, reason: prep.output.title }, "self-heal does not resume an app");
          continue;
        }
        const { cluster, app, project, rendered } = prep.prepared;
        this.track({ ...known, app: prep.prepared.loaded.app }, { cluster, app, project, rendered, finishedAt: known.syncedAt });
        n++;
      } catch (err) {
        this.ctx.log.warn({ err, app: key }, "resuming self-heal of an app failed");
      }
    }
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    for (const t of this.apps.values()) this.stopApp(t);
    this.apps.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private run(p: Promise<void>): void {
    const tracked = p.catch((err) => this.ctx.log.warn({ err }, "self-heal failed")).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private stopApp(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    for (const w of t.watches) w.stop();
    t.watches = [];
    t.stop();
  }

  private current(t: Tracked): boolean {
    return !this.closed && this.apps.get(t.key) === t;
  }

  private async startWatches(t: Tracked): Promise<void> {
    const inventory = (await readInventory(t.cluster, t.app))?.resources ?? [];
    if (!this.current(t)) return;
    const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string> }>();
    for (const e of inventory) {
      const apiVersion = e.group ? `${e.group}/${e.version}` : e.version;
      const k = kinds.get(`${apiVersion}|${e.kind}`) ?? { apiVersion, kind: e.kind, namespaces: new Set<string>() };
      k.namespaces.add(e.namespace);
      kinds.set(`${apiVersion}|${e.kind}`, k);
    }
    const name = t.known.app.metadata.name;
    const tracked = new Set(inventory.map((e) => keyString(e)));
    const labelSelector = `${APP_LABEL}=${appLabelValue(name)}`;
    for (const k of kinds.values()) {
      // One namespace: watch only it ("" is a cluster-scoped kind: no namespace).
      const namespace = k.namespaces.size === 1 ? [...k.namespaces][0] || undefined : undefined;
      const handle = t.cluster.watch(
        k.apiVersion,
        k.kind,
        { labelSelector, ...(namespace ? { namespace } : {}) },
        (e) => {
          if (e.type !== "MODIFIED" && e.type !== "DELETED") return;
          const obj = e.object;
          const objKey = keyString({ group: k.apiVersion.includes("/") ? k.apiVersion.split("/")[0]! : "", kind: k.kind, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "" });
          if (!tracked.has(objKey) && trackedBy(obj) !== name) return;
          this.schedule(t, syncOptionsOf(this.ctx.appSync).selfHealDebounceMs);
        },
        (err) => this.ctx.log.debug({ err, app: t.key, kind: k.kind }, "self-heal watch error"),
      );
      t.watches.push(handle);
    }
    // What changed while the watches started is in their first list, not in an event: compare once.
    await Promise.race([Promise.allSettled(t.watches.map((w) => w.ready)), t.stopped]);
    if (this.current(t)) this.schedule(t, 0);
  }

  private schedule(t: Tracked, ms: number): void {
    if (!this.current(t) || t.timer) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      this.run(this.check(t));
    }, ms);
    t.timer.unref?.();
  }

  private async check(t: Tracked): Promise<void> {
    if (!this.current(t)) return;
    const opts = syncOptionsOf(this.ctx.appSync);
    const { repo } = t.known;
    const name = t.known.app.metadata.name;
    const lockName = operationLockName(repo, name);
    const owner = `self-heal:${this.ctx.workerId}`;
    // Another operation of the app runs: look again once it is likely done.
    if (!(await this.ctx.store.tryLock(lockName, owner, opts.lockTtlMs))) return this.schedule(t, Math.max(opts.selfHealDebounceMs, 500));
    try {
      const cmp = await compareLive(t.cluster, t.app, t.rendered);
      const policy = t.known.app.spec.syncPolicy?.automated;
      const drift = cmp.resources.filter((r) => !r.ignored && !r.hook && r.status === "OutOfSync" && (!r.requiresPruning || policy?.prune === true));
      if (drift.length === 0) {
        t.reported = false;
        return;
      }
      const log = this.ctx.log.child({ app: t.key, revision: t.known.revision });
      const lock = await readLock(this.ctx.store, repo, name);
      const names = drift.map((r) => `${r.key.kind}/${r.key.name}`);
      if (policy?.selfHeal !== true || !isAutomated(t.known.app) || lock) {
        if (!t.reported) {
          log.info({ drift: names, locked: lock !== undefined }, "the app is OutOfSync: drift reported, not repaired (no automated.selfHeal)");
          this.ctx.metrics.appDrift.inc({ action: "reported" });
          t.reported = true;
        }
        return;
      }
      const wait = t.lastEnd + selfHealDelayMs(t.attempts, opts.selfHealBackoff) - Date.now();
      if (wait > 0) return this.schedule(t, wait);
      t.attempts++;
      const outcome = await runSync(
        { app: t.app, project: t.project, rendered: t.rendered, revision: t.known.revision, resources: drift.map((r) => r.key), prune: policy.prune === true, initiatedBy: { username: "self-heal", automated: true } },
        { cluster: t.cluster, waveDelayMs: opts.waveDelayMs, pollMs: opts.pollMs, timeoutMs: opts.timeoutMs, signal: this.abort.signal },
      );
      t.lastEnd = Date.now();
      this.ctx.metrics.appDrift.inc({ action: "healed" });
      log.info({ drift: names, attempt: t.attempts, phase: outcome.operationState.phase, message: outcome.operationState.message }, "self-heal re-applied what drifted");
    } finally {
      await this.ctx.store.unlock(lockName, owner).catch(() => undefined);
    }
  }
}
