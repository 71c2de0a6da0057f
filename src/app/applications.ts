/**
 * Use-cases for Applications from the terminal: `tiphys diff`, `tiphys sync` and `tiphys app list`.
 * Wires the pieces: the app file, a local git repository standing in for the app's repoURL, the real
 * helm and kustomize, and a cluster (a kubeconfig context, or a private simulated one).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Cluster } from "../core/ports/cluster.js";
import { ConfigError } from "../core/errors.js";
import { documentsFromText } from "../engine/model/catalog.js";
import { loadApplications, projectFor, projectRefusesApp, sourcesOf, type LoadedApplication } from "../reconcilers/application/model.js";
import { RenderCache, renderApplication, type SourceCheckout } from "../reconcilers/application/render.js";
import { runSync, type SyncOutcome } from "../reconcilers/application/sync.js";
import { compareApp, destinationNamespace, discoverScopes, kindsToList, loadLive, prepareTargets, type AppComparison } from "../reconcilers/application/compare.js";
import { diffResources, type ResourceDiff } from "../reconcilers/application/diff.js";
import { readInventory, listInventories, type Inventory } from "../reconcilers/application/inventory.js";
import { healthOf, worstHealth } from "../reconcilers/application/health.js";
import type { Application, AppProject, ApplicationStatus, KubeObject, OperationState } from "../reconcilers/application/types.js";
import { keyString } from "../reconcilers/application/types.js";
import { BinaryToolRunner } from "../tools/binaries.js";
import { LocalRepoReader } from "../repo/git.js";

export interface ClusterChoice {
  simulated?: boolean;
  kubeconfig?: string;
  context?: string;
}

export interface OpenedCluster {
  cluster: Cluster;
  warnings: string[];
  close(): Promise<void>;
}

/** A cluster for one command: a private simulated one, or a kubeconfig context. */
export async function openCluster(choice: ClusterChoice): Promise<OpenedCluster> {
  if (choice.simulated && (choice.kubeconfig || choice.context)) throw new ConfigError("--cluster simulated and --kubeconfig/--context exclude each other");
  const { clusterFromKubeconfig } = await import("../cluster/registry.js");
  if (choice.simulated) {
    const { startSimulatedCluster } = await import("../simcluster/index.js");
    const sim = await startSimulatedCluster({ port: 0 });
    const cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
    return { cluster, warnings: [`a SIMULATED cluster (${sim.url}) for this command only: it is empty at the start and gone at the end`], close: () => sim.close() };
  }
  if (!choice.kubeconfig && !process.env.KUBECONFIG) {
    throw new ConfigError("no cluster given: use --kubeconfig FILE [--context NAME] (or set KUBECONFIG), or --cluster simulated");
  }
  const cluster = clusterFromKubeconfig({ file: choice.kubeconfig ?? process.env.KUBECONFIG, context: choice.context });
  return { cluster, warnings: [], close: async () => {} };
}

/**
 * Checkouts of local git repositories standing in for the apps' repoURLs: `--repo DIR` serves every
 * repoURL (or `URL=DIR` one of them). Each commit is exported once into a temporary folder.
 */
export class LocalCheckouts {
  private readonly byCommit = new Map<string, Promise<SourceCheckout>>();
  private root?: string;
  constructor(private readonly repos: { fallback?: string; byUrl: Map<string, string> }) {}

  private repoFor(repoURL: string): string {
    const norm = (u: string) => u.replace(/\.git$/, "").replace(/\/+$/, "").toLowerCase();
    for (const [url, dir] of this.repos.byUrl) if (norm(url) === norm(repoURL)) return dir;
    if (this.repos.fallback) return this.repos.fallback;
    throw new ConfigError(`no local repository for ${repoURL}: give --repo DIR (a git repository standing in for it)`);
  }

  async resolve(repoURL: string, revision: string): Promise<string> {
    const reader = new LocalRepoReader(this.repoFor(repoURL));
    try {
      return await reader.revParse(!revision || revision === "HEAD" ? "HEAD" : revision);
    } catch {
      throw new ConfigError(`revision ${revision} is not in ${this.repoFor(repoURL)} (standing in for ${repoURL})`);
    }
  }

  checkout = async (repoURL: string, revision: string): Promise<SourceCheckout> => {
    const dir = this.repoFor(repoURL);
    const commit = await this.resolve(repoURL, revision);
    const key = `${dir}@${commit}`;
    let p = this.byCommit.get(key);
    if (!p) {
      p = (async () => {
        this.root ??= await mkdtemp(join(tmpdir(), "tiphys-checkout-"));
        const dest = join(this.root, `${this.byCommit.size}-${commit.slice(0, 12)}`);
        await new LocalRepoReader(dir).exportTree(commit, dest);
        return { root: dest, revision: commit };
      })();
      this.byCommit.set(key, p);
    }
    return p;
  };

  async close(): Promise<void> {
    // An export may still be writing when a render failed early: let it end first.
    await Promise.allSettled(this.byCommit.values());
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}

export interface AppFile {
  apps: LoadedApplication[];
  projects: AppProject[];
}

export async function readAppFile(file: string): Promise<AppFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const { docs, problems } = documentsFromText(text, file);
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) throw new ConfigError(`${file} is not valid YAML`, errors);
  const { apps, projects } = loadApplications(docs);
  if (apps.length === 0) throw new ConfigError(`${file} holds no Application (apiVersion argoproj.io/v1alpha1, kind Application)`);
  return { apps, projects };
}

/** Picks one app of a file: the only one, or the one named. */
export function pickApp(file: AppFile, name: string | undefined, path: string): LoadedApplication {
  if (name) {
    const found = file.apps.find((a) => a.app.metadata.name === name);
    if (!found) throw new ConfigError(`${path} has no Application named ${name} (it has ${file.apps.map((a) => a.app.metadata.name).join(", ")})`);
    return found;
  }
  if (file.apps.length > 1) throw new ConfigError(`${path} holds ${file.apps.length} Applications (${file.apps.map((a) => a.app.metadata.name).join(", ")}); name one with --app`);
  return file.apps[0]!;
}

/** The repository that holds `file`, when it is in one (the default `--repo`). */
export async function repoOfFile(file: string): Promise<string | undefined> {
  try {
    return await new LocalRepoReader(dirname(resolve(file))).topLevel();
  } catch {
    return undefined;
  }
}

/** The app with every source's targetRevision replaced by `revision` (the CLI's --revision). */
export function atRevision(app: Application, revision: string | undefined): Application {
  if (!revision) return app;
  const copy = structuredClone(app);
  if (copy.spec.sources) copy.spec.sources = copy.spec.sources.map((s) => ({ ...s, targetRevision: revision }));
  if (copy.spec.source) copy.spec.source = { ...copy.spec.source, targetRevision: revision };
  return copy;
}

export interface AppContext {
  checkouts: LocalCheckouts;
  cache: RenderCache;
  tools: BinaryToolRunner;
}

export function appContext(repo: { fallback?: string; byUrl: Map<string, string> }): AppContext {
  return { checkouts: new LocalCheckouts(repo), cache: new RenderCache(), tools: new BinaryToolRunner() };
}

export async function renderAt(ctx: AppContext, app: Application): Promise<{ objects: KubeObject[]; revision: string }> {
  const r = await renderApplication(app, { tools: ctx.tools, checkout: ctx.checkouts.checkout, cache: ctx.cache });
  return { objects: r.objects, revision: r.revisions[0] ?? "" };
}

export function checkProject(app: Application, projects: AppProject[], server: string): AppProject {
  const project = projectFor(app, projects);
  const refused = projectRefusesApp(project, app, server);
  if (refused) throw new ConfigError(refused);
  return project;
}

/** Branch against branch: the rendered base and head, desired against desired (no cluster). */
export async function diffRevisions(ctx: AppContext, app: Application, base: string, head: string | undefined): Promise<{ diffs: ResourceDiff[]; baseRevision: string; headRevision: string }> {
  const [b, h] = await Promise.all([renderAt(ctx, atRevision(app, base)), renderAt(ctx, atRevision(app, head))]);
  const diffs = await diffResources(h.objects, b.objects, { compareDesiredOnly: true, ignoreDifferences: app.spec.ignoreDifferences, namespace: destinationNamespace(app), labels: { live: `base ${b.revision.slice(0, 7)}`, desired: `head ${h.revision.slice(0, 7)}` } });
  return { diffs, baseRevision: b.revision, headRevision: h.revision };
}

/** Desired at a revision against the live cluster. */
export async function diffLive(ctx: AppContext, app: Application, cluster: Cluster): Promise<{ comparison: AppComparison; revision: string; diffs: ResourceDiff[] }> {
  const { objects, revision } = await renderAt(ctx, app);
  const { scopeOf } = await discoverScopes(cluster, objects);
  const targets = prepareTargets(app, objects, scopeOf);
  const inventory = (await readInventory(cluster, app))?.resources ?? [];
  const live = await loadLive(cluster, kindsToList(targets, inventory), scopeOf);
  const comparison = await compareApp(app, targets, live, inventory);
  const diffs = comparison.resources.filter((r) => r.diff || r.requiresPruning).map(
    (r): ResourceDiff =>
      r.diff ?? { key: r.key, kind: "removed", modified: true, unified: `--- live ${keyString(r.key)}\n+++ desired (none: requires pruning)\n` },
  );
  return { comparison, revision, diffs };
}

export async function syncApplication(
  ctx: AppContext,
  app: Application,
  project: AppProject,
  cluster: Cluster,
  opts: { prune?: boolean; dryRun?: boolean; waveDelayMs?: number; pollMs?: number; timeoutMs?: number; onProgress?: (s: OperationState) => void; username?: string },
): Promise<SyncOutcome> {
  const { objects, revision } = await renderAt(ctx, app);
  return runSync(
    { app, project, rendered: objects, revision, prune: opts.prune, dryRun: opts.dryRun, initiatedBy: { username: opts.username ?? "cli" } },
    { cluster, waveDelayMs: opts.waveDelayMs, pollMs: opts.pollMs, timeoutMs: opts.timeoutMs, onProgress: opts.onProgress },
  );
}

/** The Application with Argo CD's `status` shape, after a sync. */
export function applicationWithStatus(app: Application, outcome: SyncOutcome): Application & { status: ApplicationStatus } {
  const after = outcome.after;
  return {
    ...app,
    status: {
      sync: { status: after.sync, revision: outcome.operationState.syncResult?.revision ?? outcome.inventory.revision },
      health: after.health,
      resources: after.resources
        .filter((r) => !r.ignored && !r.hook)
        .map((r) => ({ group: r.key.group, version: r.version, kind: r.key.kind, namespace: r.key.namespace, name: r.key.name, status: r.status, health: r.health, ...(r.requiresPruning ? { requiresPruning: true } : {}), syncWave: r.wave })),
      operationState: outcome.operationState,
      history: outcome.inventory.history,
      reconciledAt: new Date().toISOString(),
    },
  };
}

export interface ListedApp {
  name: string;
  namespace: string;
  sync: string;
  health: string;
  revision?: string;
  lastOperation?: Inventory["lastOperation"];
  resources: number;
}

/** Apps a cluster holds inventories for, with health as it is now. */
export async function listApps(cluster: Cluster): Promise<ListedApp[]> {
  const invs = await listInventories(cluster);
  return Promise.all(
    invs.map(async (inv) => {
      const live = await Promise.all(
        inv.resources.map((r) => cluster.get({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) })),
      );
      const codes = live.map((o) => (o ? healthOf(o)?.status : "Missing")).filter((c): c is NonNullable<typeof c> => c !== undefined && c !== "Missing");
      const missing = live.some((o) => !o);
      return {
        name: inv.app,
        namespace: inv.namespace,
        sync: missing ? "OutOfSync" : (inv.sync ?? "Unknown"),
        health: live.length > 0 && live.every((o) => !o) ? "Missing" : worstHealth(codes),
        revision: inv.revision,
        lastOperation: inv.lastOperation,
        resources: inv.resources.length,
      };
    }),
  );
}

export { sourcesOf };
