/**
 * A push to a branch some Application follows: remember the pushed commit as the app's newest wanted
 * revision and queue an `app-sync` job for it. A job whose commit is no longer the newest wanted one
 * ends as superseded, so a burst of pushes syncs the last one.
 */
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import { sourcesOf } from "../reconcilers/application/model.js";
import type { Application, ApplicationSource } from "../reconcilers/application/types.js";
import { configAnnotations, chunkAnnotations, problemsFromConfig } from "../reporting/index.js";
import { isThisRepo, loadRepoApps } from "./app-sources.js";
import { APP_SYNC_JOB, appKey, KNOWN_NS, WANTED_NS, type AppSyncJob, type WantedRevision } from "./app-sync-state.js";
import type { AppContext } from "./context.js";

const SHA = /^[0-9a-f]{40}$/i;
export const APPS_CONFIG_CHECK = "tiphys/apps";

/** The source whose revision decides when an app syncs: the first with a path (or the only one). */
export function primarySource(app: Application): ApplicationSource | undefined {
  const sources = sourcesOf(app);
  return sources.find((s) => s.path !== undefined) ?? sources[0];
}

/** The branch a source follows (`HEAD` or nothing: the default branch), or undefined when it pins a SHA. */
export function followedBranch(source: ApplicationSource, defaultBranch: string): string | undefined {
  const rev = (source.targetRevision ?? "").trim();
  if (rev === "" || rev === "HEAD") return defaultBranch;
  if (SHA.test(rev)) return undefined;
  return rev.replace(/^refs\/heads\//, "");
}

/**
 * The app at a commit: the primary source (and every source of this repo following the same
 * revision) pinned to `sha`, so the sync renders exactly what was pushed even if the branch moves on.
 */
export function pinRevision(app: Application, repo: RepoRef, sha: string): Application {
  const primary = primarySource(app);
  if (!primary) return app;
  const follows = (s: ApplicationSource) => s === primary || (isThisRepo(s.repoURL, repo) && (s.targetRevision ?? "") === (primary.targetRevision ?? ""));
  const copy = structuredClone(app);
  if (copy.spec.sources && copy.spec.sources.length > 0) copy.spec.sources = app.spec.sources!.map((s) => (follows(s) ? { ...s, targetRevision: sha } : s));
  else if (copy.spec.source) copy.spec.source = { ...copy.spec.source, targetRevision: sha };
  return copy;
}

/** Queues the sync of one app at one commit. */
export async function enqueueAppSync(ctx: AppContext, job: AppSyncJob, opts: { key?: string; runAt?: Date } = {}): Promise<string | undefined> {
  const id = await ctx.store.enqueue({ kind: APP_SYNC_JOB, key: opts.key, installationId: job.repo.installationId, repo: repoFullName(job.repo), payload: job, runAt: opts.runAt });
  if (id && !opts.runAt) ctx.wakeWorker?.();
  return id;
}

/**
 * The push use-case for Applications: every app of the pushed commit whose primary source is this
 * repository at the pushed branch gets a sync job. Problems in the Application documents fail the
 * `tiphys/apps` check run with an annotation each.
 */
export async function queueAppSyncsForPush(ctx: AppContext, repo: RepoRef, push: { sha: string; branch: string; defaultBranch: string; deliveryId: string; pushedBy?: string }): Promise<number> {
  const { apps, error } = await loadRepoApps(ctx, repo, push.sha);
  if (error) {
    const problems = problemsFromConfig(error.problems.length > 0 ? error.problems : [{ message: error.message, severity: "error" }]);
    const annotations = chunkAnnotations(configAnnotations(problems));
    await ctx.github.createCheckRun(repo, {
      name: APPS_CONFIG_CHECK,
      headSha: push.sha,
      status: "completed",
      conclusion: "failure",
      completedAt: ctx.now().toISOString(),
      output: { title: error.message, summary: `The Application documents at \`${push.sha.slice(0, 7)}\` have problems; no app was synced.\n\n${error.describe()}`, annotations: annotations[0] ?? [] },
    });
    return 0;
  }
  let queued = 0;
  for (const { app } of apps) {
    const source = primarySource(app);
    if (!source || !isThisRepo(source.repoURL, repo)) continue;
    if (followedBranch(source, push.defaultBranch) !== push.branch) continue;
    const name = app.metadata.name;
    const wanted: WantedRevision = { sha: push.sha, trigger: "push", at: ctx.now().toISOString() };
    await ctx.store.putValue(WANTED_NS, appKey(repo, name), wanted);
    const id = await enqueueAppSync(ctx, { repo, app: name, sha: push.sha, configSha: push.sha, trigger: "push", ...(push.pushedBy ? { pushedBy: push.pushedBy } : {}) }, { key: `app-sync:${appKey(repo, name)}@${push.sha}:${push.deliveryId}` });
    if (id) queued++;
  }
  if (queued > 0) ctx.log.info({ sha: push.sha, apps: queued }, "application syncs queued");
  if (push.branch === push.defaultBranch) await forgetRemovedApps(ctx, repo, new Set(apps.map((a) => a.app.metadata.name)));
  return queued;
}

/** Apps gone from the default branch are no longer watched for drift. */
async function forgetRemovedApps(ctx: AppContext, repo: RepoRef, present: Set<string>): Promise<void> {
  const prefix = `${repoFullName(repo)}/`;
  for (const { key } of await ctx.store.listValues(KNOWN_NS, prefix)) {
    if (present.has(key.slice(prefix.length))) continue;
    await ctx.store.deleteValue(KNOWN_NS, key);
    ctx.selfHeal?.untrack(key);
  }
}
