/**
 * The stages before an Application's operation: its definition at a commit, its destination cluster,
 * its manifests rendered at the revision, its project's permission; and the comparison of those
 * manifests with the cluster. A problem the repo or the App's configuration must fix comes back as the
 * check run that says so; anything else (GitHub, the cluster) throws, for the job to be retried.
 */
import { ConfigError, type ConfigProblem } from "../core/errors.js";
import type { Cluster, KubeObject } from "../core/ports/cluster.js";
import type { CheckAnnotation, RepoRef } from "../core/ports/github.js";
import type { LoadedDoc, PathSeg } from "../engine/model/load.js";
import { compareApp, discoverScopes, kindsToList, loadLive, prepareTargets, type AppComparison } from "../reconcilers/application/compare.js";
import { readInventory } from "../reconcilers/application/inventory.js";
import { projectFor, projectRefusesApp, type LoadedApplication } from "../reconcilers/application/model.js";
import { renderApplication } from "../reconcilers/application/render.js";
import type { Application, AppProject } from "../reconcilers/application/types.js";
import { configAnnotations, problemsFromConfig } from "../reporting/index.js";
import { BinaryToolRunner } from "../tools/binaries.js";
import { GitHubCheckouts, loadRepoApps } from "./app-sources.js";
import type { AppCheckOutput } from "./app-sync-report.js";
import type { AppContext } from "./context.js";

export interface PreparedApp {
  /** The Application as the repo defines it (and where). */
  loaded: LoadedApplication;
  /** The Application as synced: its revision pinned, or a history entry's sources for a rollback. */
  app: Application;
  project: AppProject;
  cluster: Cluster;
  rendered: KubeObject[];
  /** The commit rendered. */
  revision: string;
}

/** A check run that says why an app cannot be synced. */
export type Refusal = AppCheckOutput & { annotations?: CheckAnnotation[] };

export type Prepared = { ok: true; prepared: PreparedApp } | { ok: false; output: Refusal };

/** How to give Tiphys clusters: said wherever an app cannot sync for want of one. */
export const NO_CLUSTERS_HELP =
  "Tiphys has no cluster to sync to. Set `TIPHYS_KUBECONFIG` to a kubeconfig file whose contexts are the clusters (an Application's `destination.name` is a context name, `destination.server` a cluster's server URL; the current context serves `https://kubernetes.default.svc` / `in-cluster`), or run Tiphys inside a cluster (it syncs there and reads Argo CD cluster Secrets).";

/** `spec.sources[0].helm` → ["spec", "sources", 0, "helm"]. */
function fieldPath(field: string): PathSeg[] {
  const out: PathSeg[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/**
 * A ConfigError's problems as annotations: problems placed in the Application's own file keep their
 * line; the others (a tool's error, a field of the source) point at the field of the Application.
 */
export function appAnnotations(err: ConfigError, doc: LoadedDoc | undefined): CheckAnnotation[] {
  const problems: ConfigProblem[] = err.problems.length > 0 ? err.problems : [{ message: err.message, severity: "error" }];
  const placed = problems.map((p): ConfigProblem => {
    if (p.pos && (!doc || p.pos.file === doc.file)) return p;
    if (!doc) return p;
    const message = p.pos ? `${p.pos.file}:${p.pos.line}: ${p.message}` : p.message;
    return { ...p, message, pos: doc.posOf(p.field ? fieldPath(p.field) : ["spec"]) };
  });
  return configAnnotations(problemsFromConfig(placed, doc?.file ?? ".tiphys")).slice(0, 50);
}

function configFailure(title: string, err: ConfigError, doc: LoadedDoc | undefined): Refusal {
  return { status: "completed", conclusion: "failure", title: title.slice(0, 200), summary: "```\n" + err.describe().slice(0, 60_000) + "\n```", annotations: appAnnotations(err, doc) };
}

export interface PrepareInput {
  repo: RepoRef;
  name: string;
  configSha: string;
  /** The commit to render. */
  sha: string;
  /** Turns the repo's Application into the one synced (pin the revision, or a rollback's sources). */
  shape: (app: Application) => Application;
}

/** The Application of a commit by name, or why not. */
export async function findApp(ctx: AppContext, repo: RepoRef, configSha: string, name: string): Promise<{ loaded?: LoadedApplication; names: string[]; error?: ConfigError }> {
  const { apps, error } = await loadRepoApps(ctx, repo, configSha);
  return { loaded: apps.find((a) => a.app.metadata.name === name), names: apps.map((a) => a.app.metadata.name), error };
}

/** The destination cluster, or the check run explaining why there is none. */
export async function clusterOf(ctx: AppContext, app: Application, doc?: LoadedDoc): Promise<{ cluster: Cluster } | { refusal: Refusal }> {
  if (!ctx.clusters) {
    return { refusal: { status: "completed", conclusion: "neutral", title: `${app.metadata.name} cannot sync: Tiphys has no clusters`, summary: NO_CLUSTERS_HELP } };
  }
  try {
    return { cluster: await ctx.clusters.forDestination(app.spec.destination) };
  } catch (err) {
    if (err instanceof ConfigError) return { refusal: configFailure(`${app.metadata.name}: ${err.message}`, err, doc) };
    throw err;
  }
}

/** Definition, cluster, manifests and project, in that order; the first problem ends it. */
export async function prepareApp(ctx: AppContext, input: PrepareInput): Promise<Prepared> {
  const found = await findApp(ctx, input.repo, input.configSha, input.name);
  if (found.error) return { ok: false, output: configFailure(`The Application documents at ${input.configSha.slice(0, 7)} have problems`, found.error, undefined) };
  if (!found.loaded) {
    return { ok: false, output: { status: "completed", conclusion: "neutral", title: `${input.name} is not defined at ${input.configSha.slice(0, 7)}`, summary: `No Application named \`${input.name}\` in \`.tiphys/\` at \`${input.configSha}\`${found.names.length ? ` (it has ${found.names.map((n) => `\`${n}\``).join(", ")})` : ""}.` } };
  }
  const loaded = found.loaded;
  const app = input.shape(loaded.app);
  const dest = await clusterOf(ctx, app, loaded.doc);
  if ("refusal" in dest) return { ok: false, output: dest.refusal };
  const { cluster } = dest;
  let project: AppProject;
  try {
    const { projects } = await loadRepoApps(ctx, input.repo, input.configSha);
    project = projectFor(app, projects);
    const refused = projectRefusesApp(project, app, app.spec.destination.server ?? app.spec.destination.name ?? "");
    if (refused) throw new ConfigError(refused, [{ message: refused, field: "spec.destination", severity: "error" }]);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, output: configFailure(`${input.name}: ${err.message}`, err, loaded.doc) };
    throw err;
  }
  const checkouts = new GitHubCheckouts(ctx, input.repo, ctx.renderCache);
  try {
    const r = await renderApplication(app, { tools: ctx.tools ?? new BinaryToolRunner(), checkout: checkouts.checkout, cache: checkouts.cache });
    return { ok: true, prepared: { loaded, app, project, cluster, rendered: r.objects, revision: r.revisions[0] ?? input.sha } };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, output: configFailure(`${input.name}: manifests could not be generated`, err, loaded.doc) };
    throw err;
  }
}

/** Desired against live, as a sync would see it before it starts (no writes). */
export async function compareLive(cluster: Cluster, app: Application, rendered: KubeObject[]): Promise<AppComparison> {
  const { scopeOf } = await discoverScopes(cluster, rendered);
  const targets = prepareTargets(app, rendered, scopeOf);
  const inventory = (await readInventory(cluster, app))?.resources ?? [];
  const live = await loadLive(cluster, kindsToList(targets, inventory), scopeOf);
  return compareApp(app, targets, live, inventory);
}
