/**
 * A sync operation, run the way gitops-engine's re-entrant `syncContext.Sync()` runs one
 * (`pkg/sync/sync_context.go`, summarised in ../shared/reference/argo-cd.md §1.4): each pass refreshes
 * the running tasks, waits while a multi-step operation has any running, fails when a completed task
 * failed (after running SyncFail hooks), and otherwise acts on the lowest pending (phase, wave): prunes
 * first, hooks recreated per their delete policy, then applies in consecutive same-kind groups. A
 * single-wave sync without hooks succeeds as soon as its applies do; otherwise the next wave starts only
 * once the previous one is healthy, `waveDelayMs` (2 s, like Argo CD) after it was applied.
 */
import type { Cluster, KubeObject, ObjectRef } from "../../core/ports/cluster.js";
import { ConfigError } from "../../core/errors.js";
import { compareApp, destinationNamespace, discoverScopes, kindsToList, loadLive, prepareTargets, type AppComparison, type InventoryEntry } from "./compare.js";
import { healthOf, hookPhaseOf } from "./health.js";
import { readInventory, writeInventory, type Inventory } from "./inventory.js";
import { appSyncOptions, projectRefusesKind, sourcesOf, syncOption } from "./model.js";
import { ensureRolloutCrds, needsRolloutCrds } from "../rollout/controller-crds.js";
import { adjustPruneWaves, deletePolicies, hookInfo, hookName, newTask, sortTasks, type SyncTask } from "./tasks.js";
import type { Application, AppProject, OperationPhase, OperationState, ResourceKey, ResourceResult, RevisionHistory } from "./types.js";
import { groupKindOf, keyOf, keyString, versionOf } from "./types.js";

export interface SyncRequest {
  app: Application;
  project: AppProject;
  /** The rendered manifests at `revision`. */
  rendered: KubeObject[];
  revision: string;
  prune?: boolean;
  dryRun?: boolean;
  /** A selective sync (self-heal): only these resources, no hooks, no history entry. */
  resources?: ResourceKey[];
  /** The `apply` strategy (rollback): hooks are skipped. */
  skipHooks?: boolean;
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface SyncDeps {
  cluster: Cluster;
  /** Pause between a healthy wave and the next (Argo CD's ARGOCD_SYNC_WAVE_DELAY, 2 s). */
  waveDelayMs?: number;
  /** How often running tasks are looked at again. */
  pollMs?: number;
  /** 0: no limit (Argo CD's default --sync-timeout). */
  timeoutMs?: number;
  /** Parallel requests inside a same-kind group. */
  concurrency?: number;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onProgress?: (state: OperationState) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface SyncOutcome {
  operationState: OperationState;
  /** The comparison before the operation. */
  before: AppComparison;
  /** The app after the operation, from what the applies returned (no second listing). */
  after: AppComparison;
  inventory: Inventory;
  /** The history entry this sync added, if any. */
  historyEntry?: RevisionHistory;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

function refOf(t: SyncTask): ObjectRef {
  return { apiVersion: t.apiVersion, kind: t.key.kind, name: t.key.name, ...(t.key.namespace ? { namespace: t.key.namespace } : {}) };
}

/** kubectl's way of naming an object in messages: `deployment.apps/web`, `service/web`. */
export function kubectlName(key: ResourceKey): string {
  return `${key.kind.toLowerCase()}${key.group ? "." + key.group : ""}/${key.name}`;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const errorMessage = (err: unknown) => (err instanceof ConfigError ? err.describe() : (err as Error).message ?? String(err));

export class SyncOperation {
  private readonly cluster: Cluster;
  private readonly now: () => Date;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly options: Map<string, string>;
  private readonly startedAt: Date;
  private tasks: SyncTask[] = [];
  private order = 0;
  private live = new Map<string, KubeObject>();
  private state: OperationState;

  constructor(
    private readonly req: SyncRequest,
    private readonly deps: SyncDeps,
  ) {
    this.cluster = deps.cluster;
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? defaultSleep;
    this.options = appSyncOptions(req.app);
    this.startedAt = this.now();
    this.state = {
      operation: {
        sync: { revision: req.revision, prune: req.prune ?? false, dryRun: req.dryRun ?? false, ...(req.resources ? { resources: req.resources } : {}), ...(req.skipHooks ? { syncStrategy: { apply: {} } } : {}) },
        initiatedBy: req.initiatedBy,
      },
      phase: "Running",
      message: "",
      startedAt: this.startedAt.toISOString(),
    };
  }

  async run(): Promise<SyncOutcome> {
    const { app, rendered } = this.req;
    // Tiphys is the Rollout controller: a Rollout (or analysis template) needs no Argo Rollouts
    // installed, only its CRDs, which Tiphys installs before validation (not on a dry run).
    if (!this.req.dryRun && needsRolloutCrds(rendered)) {
      // Without the right to create CRDs, validation below names the kind the cluster does not serve.
      await ensureRolloutCrds(this.cluster).catch(() => undefined);
    }
    const { scopeOf, unknown } = await discoverScopes(this.cluster, rendered);
    const targets = prepareTargets(app, rendered, scopeOf);
    const previous = await readInventory(this.cluster, app);
    const inventory = previous?.resources ?? [];
    this.live = await loadLive(this.cluster, kindsToList(targets, inventory), scopeOf);
    const before = await compareApp(app, targets, this.live, inventory);
    this.buildTasks(before, unknown);
    await this.ensureNamespaceTask();
    this.tasks = sortTasks(this.tasks);

    if (this.tasks.length === 0) {
      this.finish("Succeeded", "successfully synced (no more tasks)");
    } else if (this.validate()) {
      if (this.req.dryRun) await this.dryRun();
      else await this.loop();
    }

    const after = await compareApp(app, targets, this.live, inventory);
    const succeeded = this.state.phase === "Succeeded";
    const inv: Inventory = {
      app: app.metadata.name,
      namespace: destinationNamespace(app),
      resources: this.req.dryRun ? inventory : this.nextInventory(inventory),
      revision: previous?.revision,
      history: previous?.history ?? [],
      repoURL: sourcesOf(app)[0]?.repoURL,
      path: sourcesOf(app)[0]?.path,
      lastOperation: previous?.lastOperation,
      sync: previous?.sync,
    };
    let historyEntry: RevisionHistory | undefined;
    if (!this.req.dryRun) {
      if (succeeded && !this.req.resources) {
        inv.revision = this.req.revision;
        historyEntry = this.appendHistory(inv);
      }
      inv.lastOperation = { phase: this.state.phase, message: this.state.message, revision: this.req.revision, finishedAt: this.state.finishedAt, automated: this.req.initiatedBy?.automated };
      inv.sync = after.sync;
      // The inventory is only written when it says something new: a no-op resync writes nothing.
      if (previous?.lastOperation?.phase === inv.lastOperation.phase && previous.lastOperation.revision === inv.lastOperation.revision && previous.lastOperation.message === inv.lastOperation.message) {
        inv.lastOperation = previous.lastOperation;
      }
      try {
        await writeInventory(this.cluster, app, inv, previous);
      } catch (err) {
        if (succeeded) this.finish("Failed", `synced, but the inventory could not be written: ${errorMessage(err)}`);
      }
    }
    return { operationState: this.state, before, after, inventory: inv, historyEntry };
  }

  // ------------------------------------------------------------ building

  private buildTasks(cmp: AppComparison, unknownKinds: Set<string>): void {
    const selective = this.req.resources ? new Set(this.req.resources.map((k) => keyString(k))) : undefined;
    const skipHooks = this.req.skipHooks || selective !== undefined;
    for (const r of cmp.resources) {
      if (r.ignored) continue;
      if (r.hook) {
        if (skipHooks || !r.target) continue;
        for (const phase of hookInfo(r.target).phases) {
          const target = structuredClone(r.target);
          if (!target.metadata.name) {
            target.metadata.name = hookName(target, this.req.revision, phase, this.startedAt);
            delete target.metadata.generateName;
          }
          const key = keyOf(target);
          this.tasks.push(newTask({ phase, wave: r.wave, key, target, live: this.live.get(keyString(key)), hook: true, hookType: phase, deletePolicies: deletePolicies(target), prune: false }));
        }
        continue;
      }
      if (selective && !selective.has(keyString(r.key))) continue;
      if (r.requiresPruning) {
        this.tasks.push(newTask({ phase: "Sync", wave: r.wave, key: r.key, live: r.live, hook: false, deletePolicies: new Set(), prune: true }));
      } else if (r.target) {
        this.tasks.push(
          newTask({
            phase: "Sync",
            wave: r.wave,
            key: r.key,
            target: r.target,
            live: r.live,
            hook: false,
            deletePolicies: new Set(),
            prune: false,
            inSync: r.status === "Synced" && r.live !== undefined,
            unknownKind: unknownKinds.has(`${r.target.apiVersion}|${r.target.kind}`),
          }),
        );
      }
    }
    adjustPruneWaves(this.tasks, (t) => syncOption(this.options, t.live, "PruneLast") === "true");
  }

  /** CreateNamespace=true: an implicit PreSync task for the destination namespace when it is not there. */
  private async ensureNamespaceTask(): Promise<void> {
    if (this.options.get("CreateNamespace") !== "true") return;
    const ns = this.req.app.spec.destination.namespace;
    if (!ns) return;
    if (this.tasks.some((t) => t.key.kind === "Namespace" && t.key.group === "" && t.key.name === ns)) return;
    const meta = this.req.app.spec.syncPolicy?.managedNamespaceMetadata;
    const live = await this.cluster.get({ apiVersion: "v1", kind: "Namespace", name: ns });
    if (live && !meta) return;
    const target: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, ...(meta?.labels ? { labels: meta.labels } : {}), ...(meta?.annotations ? { annotations: meta.annotations } : {}) } };
    if (live && meta) {
      const same = Object.entries(meta.labels ?? {}).every(([k, v]) => live.metadata.labels?.[k] === v) && Object.entries(meta.annotations ?? {}).every(([k, v]) => live.metadata.annotations?.[k] === v);
      if (same) return;
    }
    this.tasks.push(newTask({ phase: "PreSync", wave: 0, key: { group: "", kind: "Namespace", namespace: "", name: ns }, target, live, hook: false, deletePolicies: new Set(), prune: false, autoNamespace: true }));
  }

  /** Project permissions and kinds the cluster does not serve, before anything is applied. */
  private validate(): boolean {
    const crds = new Set(
      this.tasks
        .filter((t) => t.target?.kind === "CustomResourceDefinition")
        .map((t) => {
          const s = t.target!.spec as { group?: string; names?: { kind?: string } };
          return `${s.group}/${s.names?.kind}`;
        }),
    );
    let ok = true;
    for (const t of this.tasks) {
      if (t.prune || !t.target) continue;
      const gk = groupKindOf(t.apiVersion, t.key.kind);
      const refused = projectRefusesKind(this.req.project, gk, t.key.namespace !== "");
      if (refused) {
        this.fail(t, refused);
        ok = false;
        continue;
      }
      if (t.unknownKind && !crds.has(`${gk.group}/${gk.kind}`) && syncOption(this.options, t.target, "SkipDryRunOnMissingResource") !== "true") {
        this.fail(t, `the server could not find the requested resource: ${t.key.kind} (${t.apiVersion}) is not served by cluster ${this.cluster.name}; is its CustomResourceDefinition installed?`);
        ok = false;
      }
    }
    if (!ok) this.finish("Failed", "one or more synchronization tasks are not valid");
    return ok;
  }

  private fail(t: SyncTask, message: string): void {
    t.syncStatus = "SyncFailed";
    t.operationState = "Failed";
    t.message = message;
    t.order ??= this.order++;
  }

  // ------------------------------------------------------------ running

  private async dryRun(): Promise<void> {
    for (const t of this.tasks) {
      t.order = this.order++;
      if (t.prune) {
        this.pruneResult(t, true);
        continue;
      }
      try {
        await this.cluster.apply(t.target!, { force: true, dryRun: true });
        t.syncStatus = "Synced";
        t.operationState = "Succeeded";
        t.message = `${kubectlName(t.key)} ${t.live ? "configured" : "created"} (dry run)`;
        t.action = "apply (dry run)";
      } catch (err) {
        this.fail(t, errorMessage(err));
      }
    }
    const failed = this.tasks.filter((t) => t.syncStatus === "SyncFailed");
    if (failed.length > 0) this.finish("Failed", `one or more objects failed to apply (dry run), reason: ${failed.map((t) => t.message).join(", ")}`);
    else this.finish("Succeeded", "successfully synced (dry run)");
  }

  private async loop(): Promise<void> {
    const deadline = this.deps.timeoutMs ? this.startedAt.getTime() + this.deps.timeoutMs : Infinity;
    const pollMs = this.deps.pollMs ?? 1000;
    for (;;) {
      if (this.deps.signal?.aborted) return this.finish("Failed", "operation cancelled");
      if (this.now().getTime() > deadline) return this.finish("Failed", `operation terminated: it ran longer than ${Math.round((this.deps.timeoutMs ?? 0) / 1000)} s`);
      await this.refreshRunning();
      const started = this.tasks.filter((t) => t.order !== undefined && t.phase !== "SyncFail");
      const running = started.filter((t) => t.operationState === "Running");
      const multiStep = this.isMultiStep();
      const waitingHook = running.find((t) => t.hook);
      if ((multiStep && running.length > 0) || waitingHook) {
        const w = waitingHook ?? running[0]!;
        await this.setRunning(waitingHook ? `waiting for completion of hook ${w.apiVersion}/${w.key.kind}/${w.key.name}` : `waiting for healthy state of ${w.key.group ? w.key.group + "/" : ""}${w.key.kind}/${w.key.name}`);
        await this.sleep(pollMs, this.deps.signal);
        continue;
      }
      const deleting = started.filter((t) => t.prune && t.syncStatus === "Pruned" && this.live.get(keyString(t.key))?.metadata.deletionTimestamp);
      if (deleting.length > 0) {
        await this.refreshPruned(deleting);
        if (deleting.some((t) => this.live.has(keyString(t.key)))) {
          await this.setRunning(`waiting for deletion of ${deleting.map((t) => `${t.key.kind}/${t.key.name}`).join(", ")}`);
          await this.sleep(pollMs, this.deps.signal);
          continue;
        }
      }
      const failed = started.filter((t) => (t.operationState === "Failed" || t.operationState === "Error") && t.order !== undefined);
      if (failed.length > 0) return this.operationFailed("one or more synchronization tasks completed unsuccessfully", failed);
      const pending = this.tasks.filter((t) => t.order === undefined && t.phase !== "SyncFail");
      if (pending.length === 0) {
        await this.deleteHooks("HookSucceeded");
        return this.finish("Succeeded", "successfully synced (no more tasks)");
      }
      const first = pending[0]!;
      const group = pending.filter((t) => t.phase === first.phase && t.wave === first.wave);
      await this.runGroup(group);
      const applyFailed = group.filter((t) => t.syncStatus === "SyncFailed");
      if (applyFailed.length > 0) return this.operationFailed("one or more objects failed to apply", applyFailed);
      const remaining = this.tasks.filter((t) => t.order === undefined && t.phase !== "SyncFail");
      if (remaining.length === 0 && !this.tasks.some((t) => t.hook)) return this.finish("Succeeded", "successfully synced (all tasks run)");
      await this.setRunning(`wave ${first.wave} of phase ${first.phase} applied`);
      // Let controllers update status before the next wave is judged (Argo CD's SyncWaveHook delay).
      if (remaining.length > 0) await this.sleep(this.deps.waveDelayMs ?? 2000, this.deps.signal);
    }
  }

  private isMultiStep(): boolean {
    const ts = this.tasks.filter((t) => t.phase !== "SyncFail");
    if (ts.length === 0) return false;
    const a = ts[0]!;
    const b = ts[ts.length - 1]!;
    return a.phase !== b.phase || a.wave !== b.wave;
  }

  private async refreshRunning(): Promise<void> {
    const running = this.tasks.filter((t) => t.operationState === "Running" && !t.prune);
    await inBatches(running, this.deps.concurrency ?? 16, async (t) => {
      const live = await this.cluster.get(refOf(t));
      if (live) this.live.set(keyString(t.key), live);
      if (!live) {
        t.operationState = "Failed";
        t.message = t.hook ? "the hook was deleted before it completed" : "the resource is gone";
        return;
      }
      if (t.hook) {
        const phase = hookPhaseOf(live);
        t.operationState = phase;
        const h = healthOf(live);
        if (phase !== "Running" && h?.message) t.message = h.message;
        return;
      }
      const h = healthOf(live);
      if (!h || h.status === "Healthy") t.operationState = "Succeeded";
      else if (h.status === "Degraded") {
        t.operationState = "Failed";
        t.message = h.message ?? "Degraded";
      }
    });
  }

  private async refreshPruned(tasks: SyncTask[]): Promise<void> {
    await Promise.all(
      tasks.map(async (t) => {
        const live = await this.cluster.get(refOf(t));
        if (live) this.live.set(keyString(t.key), live);
        else this.live.delete(keyString(t.key));
      }),
    );
  }

  private async runGroup(group: SyncTask[]): Promise<void> {
    const concurrency = this.deps.concurrency ?? 16;
    // Prunes first.
    const prunes = group.filter((t) => t.prune);
    for (const t of prunes) t.order = this.order++;
    await inBatches(prunes, concurrency, (t) => this.prune(t));
    // Hooks whose policy is BeforeHookCreation and that exist already: delete, wait until gone.
    const recreate = group.filter((t) => t.hook && t.live && t.deletePolicies.has("BeforeHookCreation"));
    await inBatches(recreate, concurrency, async (t) => {
      await this.cluster.delete(refOf(t), { propagationPolicy: "Foreground" });
      await this.waitGone(t);
    });
    // Then applies in consecutive same-kind groups, parallel inside a group.
    const applies = group.filter((t) => !t.prune);
    for (let i = 0; i < applies.length; ) {
      let j = i;
      while (j < applies.length && applies[j]!.key.kind === applies[i]!.key.kind) j++;
      const batch = applies.slice(i, j);
      for (const t of batch) t.order = this.order++;
      await inBatches(batch, concurrency, (t) => this.apply(t));
      i = j;
    }
  }

  private async waitGone(t: SyncTask): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (!(await this.cluster.get(refOf(t)))) {
        t.live = undefined;
        this.live.delete(keyString(t.key));
        return;
      }
      await this.sleep(Math.min(100 * (i + 1), 1000), this.deps.signal);
    }
  }

  private async apply(t: SyncTask): Promise<void> {
    const target = t.target!;
    const applyOutOfSyncOnly = this.options.get("ApplyOutOfSyncOnly") === "true";
    // Synced resources are not written again: the operation still waits on their health.
    if (t.inSync) {
      t.syncStatus = "Synced";
      t.operationState = "Running";
      t.message = `${kubectlName(t.key)} unchanged`;
      t.action = applyOutOfSyncOnly ? "skipped (ApplyOutOfSyncOnly)" : "none";
      return;
    }
    try {
      const replace = syncOption(this.options, target, "Replace") === "true" && t.key.kind !== "CustomResourceDefinition" && t.key.kind !== "Namespace";
      let result: KubeObject;
      if (replace && t.live) {
        result = await this.cluster.replace({ ...target, metadata: { ...target.metadata, resourceVersion: t.live.metadata.resourceVersion } });
        t.action = "replace";
      } else if (replace) {
        result = await this.cluster.create(target);
        t.action = "create";
      } else {
        result = await this.cluster.apply(target, { force: true });
        t.action = t.live ? "apply" : "create";
      }
      if (!result.apiVersion) result.apiVersion = target.apiVersion;
      if (!result.kind) result.kind = target.kind;
      this.live.set(keyString(t.key), result);
      t.syncStatus = "Synced";
      t.operationState = "Running";
      t.message = `${kubectlName(t.key)} ${t.live ? (replace ? "replaced" : "configured") : "created"}`;
      if (t.hook) t.live = result;
    } catch (err) {
      this.fail(t, errorMessage(err));
    }
  }

  private pruneResult(t: SyncTask, dryRun: boolean): boolean {
    const opt = syncOption(this.options, t.live, "Prune");
    if (opt === "false") {
      t.syncStatus = "PruneSkipped";
      t.operationState = "Succeeded";
      t.message = "ignored (no prune)";
      return false;
    }
    if (!this.req.prune) {
      t.syncStatus = "PruneSkipped";
      t.operationState = "Succeeded";
      t.message = "ignored (requires pruning)";
      return false;
    }
    if (dryRun) {
      t.syncStatus = "Pruned";
      t.operationState = "Succeeded";
      t.message = "pruned (dry run)";
      return false;
    }
    return true;
  }

  private async prune(t: SyncTask): Promise<void> {
    if (!this.pruneResult(t, false)) return;
    if (t.live?.metadata.deletionTimestamp) {
      t.syncStatus = "Pruned";
      t.operationState = "Succeeded";
      t.message = "pruned";
      t.action = "prune";
      return;
    }
    const policy = (this.options.get("PrunePropagationPolicy") ?? "foreground").toLowerCase();
    try {
      await this.cluster.delete(refOf(t), { propagationPolicy: policy === "background" ? "Background" : policy === "orphan" ? "Orphan" : "Foreground" });
      t.syncStatus = "Pruned";
      t.operationState = "Succeeded";
      t.message = "pruned";
      t.action = "prune";
      const now = await this.cluster.get(refOf(t));
      if (now) this.live.set(keyString(t.key), now);
      else this.live.delete(keyString(t.key));
    } catch (err) {
      this.fail(t, errorMessage(err));
    }
  }

  private async deleteHooks(policy: "HookSucceeded" | "HookFailed"): Promise<void> {
    const hooks = this.tasks.filter((t) => t.hook && t.order !== undefined && t.deletePolicies.has(policy) && t.operationState !== "Running");
    await Promise.all(
      hooks.map(async (t) => {
        try {
          await this.cluster.delete(refOf(t), { propagationPolicy: "Background" });
          this.live.delete(keyString(t.key));
        } catch {
          // A hook that cannot be deleted stays; the next sync's BeforeHookCreation deals with it.
        }
      }),
    );
  }

  /** Failed: delete HookFailed hooks, run the SyncFail hooks to their end, then set the phase. */
  private async operationFailed(message: string, failed: SyncTask[]): Promise<void> {
    await this.deleteHooks("HookFailed");
    const syncFail = this.tasks.filter((t) => t.phase === "SyncFail" && t.order === undefined);
    if (syncFail.length > 0) {
      await this.runGroup(syncFail);
      for (let i = 0; i < 3600 && syncFail.some((t) => t.operationState === "Running"); i++) {
        await this.setRunning("running SyncFail hooks");
        await this.sleep(this.deps.pollMs ?? 1000, this.deps.signal);
        await this.refreshRunning();
        if (this.deps.signal?.aborted) break;
      }
    }
    const reasons = failed.map((t) => t.message).filter((m) => m !== "");
    this.finish("Failed", reasons.length > 0 ? `${message}, reason: ${reasons.join(", ")}` : message);
  }

  private async setRunning(message: string): Promise<void> {
    this.state.phase = "Running";
    this.state.message = message;
    this.state.syncResult = this.syncResult();
    await this.deps.onProgress?.(structuredClone(this.state));
  }

  private finish(phase: OperationPhase, message: string): void {
    this.state.phase = phase;
    this.state.message = message;
    this.state.finishedAt = this.now().toISOString();
    this.state.syncResult = this.syncResult();
  }

  private syncResult(): NonNullable<OperationState["syncResult"]> {
    const results: ResourceResult[] = this.tasks
      .filter((t) => t.order !== undefined)
      .sort((a, b) => a.order! - b.order!)
      .map((t) => ({
        group: t.key.group,
        version: versionOf(t.apiVersion),
        kind: t.key.kind,
        namespace: t.key.namespace,
        name: t.key.name,
        status: t.syncStatus,
        message: t.message,
        ...(t.hook ? { hookType: t.hookType, hookPhase: t.operationState } : {}),
        syncPhase: t.phase,
        syncWave: t.wave,
        ...(t.action ? { action: t.action } : {}),
      }));
    const sources = sourcesOf(this.req.app);
    return { resources: results, revision: this.req.revision, ...(this.req.app.spec.sources ? { sources } : { source: sources[0] }) };
  }

  private nextInventory(previous: InventoryEntry[]): InventoryEntry[] {
    const out = new Map(previous.map((e) => [keyString(e), e]));
    for (const t of this.tasks) {
      if (t.hook || t.order === undefined) continue;
      const k = keyString(t.key);
      if (t.prune) {
        if (t.syncStatus === "Pruned") out.delete(k);
      } else if (t.syncStatus === "Synced" && !t.autoNamespace) {
        out.set(k, { ...t.key, version: versionOf(t.apiVersion) });
      }
    }
    return [...out.values()];
  }

  /** History: only successful, non-dry-run, non-selective syncs; one entry per consecutive revision. */
  private appendHistory(inv: Inventory): RevisionHistory | undefined {
    const sources = sourcesOf(this.req.app);
    const last = inv.history[inv.history.length - 1];
    const sourceKey = JSON.stringify(sources);
    if (last && last.revision === this.req.revision && JSON.stringify(last.sources ?? [last.source]) === sourceKey) return undefined;
    const entry: RevisionHistory = {
      id: (last?.id ?? -1) + 1,
      revision: this.req.revision,
      ...(this.req.app.spec.sources ? { sources } : { source: sources[0] }),
      deployStartedAt: this.startedAt.toISOString(),
      deployedAt: this.now().toISOString(),
      initiatedBy: this.req.initiatedBy,
    };
    const limit = this.req.app.spec.revisionHistoryLimit ?? 10;
    inv.history = [...inv.history, entry].slice(-Math.max(limit, 1));
    return entry;
  }
}

export function runSync(req: SyncRequest, deps: SyncDeps): Promise<SyncOutcome> {
  return new SyncOperation(req, deps).run();
}
