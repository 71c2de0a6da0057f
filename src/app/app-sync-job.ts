/**
 * The `app-sync` job: one operation per app at a time (a store lock), superseded when a newer push
 * wants another revision. Automated apps sync on a push; manual (or `/tiphys lock`ed) apps get a
 * check run with what differs and a Sync button. A sync is reported as a check run on the commit
 * (debounced progress, then the result table) and a GitHub Deployment with its statuses; a failed
 * automated sync is retried with Argo CD's backoff, and once it failed for good its revision is not
 * synced automatically again.
 */
import type { CheckAction, CheckAnnotation, DeploymentStatusInput, RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { Job } from "../core/ports/store.js";
import { isAutomated } from "../reconcilers/application/model.js";
import { runSync, type SyncOutcome } from "../reconcilers/application/sync.js";
import { RolloutController } from "../reconcilers/rollout/controller.js";
import { reconcileRolloutsWhile } from "./rollouts.js";
import type { Application, OperationState } from "../reconcilers/application/types.js";
import { enqueueAppSync, pinRevision } from "./app-sync-push.js";
import { compareLive, findApp, prepareApp, type Prepared, type PreparedApp } from "./app-sync-prepare.js";
import { renderDriftCheckRun, renderSyncCheckRun, renderSyncProgress, short, SYNC_BUTTON, type AppCheckOutput } from "./app-sync-report.js";
import {
  appCheckName,
  appKey,
  FAILED_NS,
  KNOWN_NS,
  operationLockName,
  readLock,
  retryPlan,
  RETRY_NS,
  syncOptionsOf,
  WANTED_NS,
  type AppSyncJob,
  type FailedRevision,
  type KnownApp,
  type WantedRevision,
} from "./app-sync-state.js";
import type { AppContext } from "./context.js";

export const ENVIRONMENT_ANNOTATION = "tiphys.io/environment";

/** The GitHub environment an app deploys to: its `tiphys.io/environment` annotation, else its name. */
export function environmentOf(app: Application): string {
  return app.metadata.annotations?.[ENVIRONMENT_ANNOTATION]?.trim() || app.metadata.name;
}

const isAutomatedTrigger = (p: AppSyncJob) => p.trigger === "push" || p.trigger === "retry";

function initiator(p: AppSyncJob): string {
  if (p.trigger === "push") return "push (automated)";
  if (p.trigger === "retry") return `push (automated, retry #${p.retry ?? 0})`;
  if (p.trigger === "rollback") return `@${p.initiatedBy ?? "unknown"} (rollback to history ${p.rollback?.id ?? "?"})`;
  return `@${p.initiatedBy ?? "unknown"}`;
}

/** The job handler (registered for kind `app-sync` in the composition root). */
export async function runAppSyncJob(ctx: AppContext, job: Job): Promise<void> {
  const p = job.payload as AppSyncJob;
  const opts = syncOptionsOf(ctx.appSync);
  const log = ctx.log.child({ app: p.app, repo: repoFullName(p.repo), sha: p.sha, trigger: p.trigger });
  const scoped: AppContext = { ...ctx, log };
  if (isAutomatedTrigger(p)) {
    const wanted = await ctx.store.getValue<WantedRevision>(WANTED_NS, appKey(p.repo, p.app));
    if (wanted && wanted.sha !== p.sha) return supersede(scoped, p, wanted.sha);
  }
  const owner = `${ctx.workerId}:${job.id}`;
  const lockName = operationLockName(p.repo, p.app);
  if (!(await ctx.store.tryLock(lockName, owner, opts.lockTtlMs))) {
    log.info({ retryInMs: opts.busyRetryMs }, "another operation of the app is running; the sync waits");
    await enqueueAppSync(ctx, p, { runAt: new Date(Date.now() + opts.busyRetryMs) });
    return;
  }
  const renew = setInterval(() => void ctx.store.tryLock(lockName, owner, opts.lockTtlMs).catch(() => undefined), Math.max(100, opts.lockTtlMs / 3));
  renew.unref();
  let released = false;
  // The lock guards the cluster operation; the GitHub reports written after it do not hold up the next one.
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(renew);
    await ctx.store.unlock(lockName, owner).catch((err) => log.warn({ err }, "releasing the app's operation lock failed"));
  };
  try {
    await operate(scoped, p, release);
  } finally {
    await release();
  }
}

/** A newer push wants another revision: this one is dropped, and its open reports are closed. */
async function supersede(ctx: AppContext, p: AppSyncJob, newer: string): Promise<void> {
  ctx.log.info({ newer }, "app sync superseded by a newer push");
  const description = `Superseded by ${short(newer)}`;
  if (p.checkRunId) {
    await ctx.github.updateCheckRun(p.repo, p.checkRunId, { status: "completed", conclusion: "neutral", completedAt: ctx.now().toISOString(), output: { title: description, summary: `A newer push (\`${newer}\`) is synced instead of \`${p.sha}\`.` } });
  }
  await deploymentStatus(ctx, p.repo, p.deploymentId, { state: "inactive", description });
}

async function writeCheck(ctx: AppContext, p: AppSyncJob, out: AppCheckOutput & { annotations?: CheckAnnotation[] }, extra: { actions?: CheckAction[] } = {}): Promise<{ id: number; url?: string }> {
  const now = ctx.now().toISOString();
  const input = {
    status: out.status,
    ...(out.conclusion ? { conclusion: out.conclusion, completedAt: now } : {}),
    output: { title: out.title.slice(0, 250), summary: out.summary, ...(out.text ? { text: out.text } : {}), ...(out.annotations?.length ? { annotations: out.annotations } : {}) },
    ...(extra.actions ? { actions: extra.actions } : {}),
  };
  if (p.checkRunId) {
    await ctx.github.updateCheckRun(p.repo, p.checkRunId, input);
    return { id: p.checkRunId, url: p.checkRunUrl };
  }
  const c = await ctx.github.createCheckRun(p.repo, { name: appCheckName(p.app), headSha: p.sha, externalId: `app:${p.app}`, startedAt: now, ...input });
  return { id: c.id, url: c.htmlUrl ?? undefined };
}

async function operate(ctx: AppContext, p: AppSyncJob, clusterDone: () => Promise<void>): Promise<void> {
  const shape = (app: Application): Application => {
    if (!p.rollback) return pinRevision(app, p.repo, p.sha);
    const copy = structuredClone(app);
    if (p.rollback.sources) copy.spec.sources = p.rollback.sources.map((s, i) => (i === 0 || s.path !== undefined ? { ...s, targetRevision: p.sha } : s));
    else if (p.rollback.source) copy.spec.source = { ...p.rollback.source, targetRevision: p.sha };
    return pinRevision(copy, p.repo, p.sha);
  };
  if (p.trigger === "push") {
    // Before anything is fetched or rendered: a revision whose automated sync failed for good waits.
    const definition = (await findApp(ctx, p.repo, p.configSha, p.app)).loaded?.app;
    const failed = await ctx.store.getValue<FailedRevision>(FAILED_NS, appKey(p.repo, p.app));
    if (definition && isAutomated(definition) && failed?.revision === p.sha && !(await readLock(ctx.store, p.repo, p.app))) {
      ctx.log.info({ phase: failed.phase }, "the automated sync of this revision failed before; it is not retried until a new commit or a manual sync");
      return;
    }
  }
  const prep: Prepared = await prepareApp(ctx, { repo: p.repo, name: p.app, configSha: p.configSha, sha: p.sha, shape });
  if (!prep.ok) {
    await writeCheck(ctx, p, prep.output);
    await deploymentStatus(ctx, p.repo, p.deploymentId, { state: "error", description: prep.output.title });
    return;
  }
  const prepared = prep.prepared;
  const definition = prepared.loaded.app;
  const automated = isAutomated(definition);
  if (isAutomatedTrigger(p)) {
    const lock = await readLock(ctx.store, p.repo, p.app);
    if (!automated) {
      // No longer automated: self-heal stops watching it.
      await ctx.store.deleteValue(KNOWN_NS, appKey(p.repo, p.app));
      ctx.selfHeal?.untrack(appKey(p.repo, p.app));
    }
    if (!automated || lock) {
      const comparison = await compareLive(prepared.cluster, prepared.app, prepared.rendered);
      const out = renderDriftCheckRun({ app: p.app, revision: p.sha, comparison, automated, lock });
      await writeCheck(ctx, p, out, out.conclusion === "action_required" ? { actions: [SYNC_BUTTON] } : {});
      return;
    }
    if (p.trigger === "push") {
      const comparison = await compareLive(prepared.cluster, prepared.app, prepared.rendered);
      if (comparison.sync === "Synced") {
        await writeCheck(ctx, p, renderDriftCheckRun({ app: p.app, revision: p.sha, comparison, automated }));
        await remember(ctx, p, prepared, ctx.now().toISOString());
        return;
      }
    }
  }
  await syncAndReport(ctx, p, prepared, automated && isAutomatedTrigger(p), clusterDone);
}

/** Remembers a synced automated app and lets self-heal watch it. */
async function remember(ctx: AppContext, p: AppSyncJob, prepared: PreparedApp, finishedAt: string): Promise<void> {
  if (!isAutomated(prepared.loaded.app) || p.rollback) return;
  const known: KnownApp = { repo: p.repo, app: prepared.loaded.app, revision: p.sha, configSha: p.configSha, syncedAt: finishedAt };
  await ctx.store.putValue(KNOWN_NS, appKey(p.repo, p.app), known);
  ctx.selfHeal?.track(known, { cluster: prepared.cluster, app: prepared.app, project: prepared.project, rendered: prepared.rendered, finishedAt });
}

/** A debounced writer of progress to the check run: the first update waits one window after its creation. */
function progressWriter(ctx: AppContext, repo: RepoRef, checkRunId: Promise<number>, render: (s: OperationState) => AppCheckOutput) {
  const windowMs = ctx.limits.checkRunDebounceMs;
  let last = Date.now();
  let latest: OperationState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    push(state: OperationState) {
      latest = state;
      if (timer || closed) return;
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        const out = render(latest!);
        chain = chain
          .then(async () => ctx.github.updateCheckRun(repo, await checkRunId, { status: "in_progress", output: { title: out.title, summary: out.summary, text: out.text } }))
          .catch((err) => ctx.log.warn({ err }, "updating the app's check run failed"));
      }, Math.max(0, last + windowMs - Date.now()));
      timer.unref?.();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
    },
  };
}

async function syncAndReport(ctx: AppContext, p: AppSyncJob, prepared: PreparedApp, automatedRun: boolean, clusterDone: () => Promise<void>): Promise<void> {
  const opts = syncOptionsOf(ctx.appSync);
  const key = appKey(p.repo, p.app);
  const by = initiator(p);
  const lock = await readLock(ctx.store, p.repo, p.app);
  // The cluster does not wait for GitHub: the check run and the Deployment are written while the sync
  // starts (GitHub's write pacing would otherwise delay the first apply by seconds).
  const reporting = (async () => {
    const check = await writeCheck(ctx, p, { status: "in_progress", title: `Syncing ${p.app} to ${short(p.sha)}`, summary: `Initiated by ${by}.` });
    let deploymentId = p.deploymentId;
    if (!deploymentId) {
      // The Deployment reports the sync; without it (say, an installation that has not granted
      // `deployments: write`) the sync still runs and its check run says how it went.
      try {
        deploymentId = (
          await ctx.github.createDeployment(p.repo, {
            ref: p.sha,
            environment: environmentOf(prepared.loaded.app),
            description: `${p.app} at ${short(p.sha)}, by ${by}`,
            payload: { app: p.app, trigger: p.trigger, checkRun: check.id },
            autoMerge: false,
            requiredContexts: [],
          })
        ).id;
      } catch (err) {
        ctx.log.warn({ err }, "creating the GitHub Deployment failed; syncing without it");
      }
      await deploymentStatus(ctx, p.repo, deploymentId, { state: "in_progress", description: `Syncing ${p.app}`, ...(check.url ? { logUrl: check.url } : {}) });
    }
    return { check, deploymentId };
  })();
  // Handled below, after the sync; this only keeps an early failure from being reported as unhandled.
  reporting.catch(() => {});
  const progress = progressWriter(ctx, p.repo, reporting.then((r) => r.check.id), (s) => renderSyncProgress(p.app, p.sha, s, by));
  const policy = prepared.loaded.app.spec.syncPolicy;
  let outcome: SyncOutcome | undefined;
  let error: Error | undefined;
  // Rollouts in the app are reconciled while the sync runs: a wave after one holding a Rollout waits for
  // its health, which only its controller brings (after the sync, the rollout host drives it on).
  const during = new AbortController();
  const rolloutsDuring = prepared.rendered.some((o) => o.kind === "Rollout" && o.apiVersion.startsWith("argoproj.io/"))
    ? reconcileRolloutsWhile(new RolloutController({ cluster: prepared.cluster }), prepared.cluster, prepared.app, during.signal)
    : Promise.resolve();
  try {
    outcome = await runSync(
      {
        app: prepared.app,
        project: prepared.project,
        rendered: prepared.rendered,
        revision: p.sha,
        prune: automatedRun ? policy?.automated?.prune === true : p.prune === true,
        skipHooks: p.rollback !== undefined,
        initiatedBy: { username: p.initiatedBy ?? "tiphys", automated: automatedRun },
      },
      { cluster: prepared.cluster, waveDelayMs: opts.waveDelayMs, pollMs: opts.pollMs, timeoutMs: opts.timeoutMs, onProgress: (s) => progress.push(s) },
    );
  } catch (err) {
    error = err as Error;
    ctx.log.warn({ err }, "the sync operation could not run");
  } finally {
    during.abort();
    await rolloutsDuring;
    await progress.close();
  }
  const ok = outcome?.operationState.phase === "Succeeded";
  // What the next operation reads (retries, the failed-for-good record, the self-heal target) is written
  // before the lock goes; the GitHub reports after it.
  if (ok) {
    await ctx.store.deleteValue(RETRY_NS, key);
    await ctx.store.deleteValue(FAILED_NS, key);
    await remember(ctx, p, prepared, outcome!.operationState.finishedAt ?? ctx.now().toISOString());
    await clusterDone();
    // Rollouts the sync applied: the App drives their releases from here on (their gates, in the PR).
    await ctx.rollouts?.afterSync({ repo: p.repo, app: p.app, destination: prepared.app.spec.destination, sha: p.sha, rendered: prepared.rendered, pushedBy: p.pushedBy ?? p.initiatedBy });
  } else if (!automatedRun) {
    await clusterDone();
  }
  const { check, deploymentId } = await reporting;
  ctx.metrics.appSyncs.inc({ trigger: p.trigger, phase: outcome?.operationState.phase ?? "Error" });
  const retries = p.retry ?? 0;
  if (!ok && automatedRun) {
    const plan = retryPlan(policy?.retry, retries);
    if (plan.retry) {
      const retrying = { attempt: retries + 1, limit: plan.limit, delayMs: plan.delayMs };
      await writeCheck(ctx, { ...p, checkRunId: check.id }, outcome ? renderSyncCheckRun({ app: p.app, revision: p.sha, outcome, initiatedBy: by, retrying, lock }) : errorOutput(p, error!, retrying));
      await ctx.store.putValue(RETRY_NS, key, { revision: p.sha, count: retries + 1 });
      await enqueueAppSync(ctx, { ...p, trigger: "retry", retry: retries + 1, checkRunId: check.id, checkRunUrl: check.url, deploymentId }, { runAt: new Date(Date.now() + plan.delayMs) });
      return;
    }
  }
  const out = outcome ? renderSyncCheckRun({ app: p.app, revision: p.sha, outcome, initiatedBy: by, retried: automatedRun ? retries : undefined, lock }) : errorOutput(p, error!);
  await writeCheck(ctx, { ...p, checkRunId: check.id, checkRunUrl: check.url }, out);
  await deploymentStatus(ctx, p.repo, deploymentId, {
    state: ok ? "success" : outcome ? "failure" : "error",
    description: ok ? `${p.app} synced to ${short(p.sha)} (${outcome!.after.health.status})` : out.title,
    autoInactive: true,
    ...(check.url ? { logUrl: check.url } : {}),
  });
  if (!ok) {
    await ctx.store.deleteValue(RETRY_NS, key);
    const failed: FailedRevision = { revision: p.sha, phase: outcome?.operationState.phase ?? "Error", message: outcome?.operationState.message ?? error!.message, at: ctx.now().toISOString() };
    await ctx.store.putValue(FAILED_NS, key, failed);
  }
}

async function deploymentStatus(ctx: AppContext, repo: RepoRef, id: number | undefined, input: DeploymentStatusInput): Promise<void> {
  if (id === undefined) return;
  try {
    await ctx.github.createDeploymentStatus(repo, id, input);
  } catch (err) {
    ctx.log.warn({ err, deployment: id, state: input.state }, "updating the GitHub Deployment failed");
  }
}

function errorOutput(p: AppSyncJob, err: Error, retrying?: { attempt: number; limit: number; delayMs: number }): AppCheckOutput {
  const title = retrying ? `Sync of ${p.app} failed; retrying (attempt #${retrying.attempt})` : `Sync of ${p.app} to ${short(p.sha)} failed`;
  return { status: retrying ? "in_progress" : "completed", ...(retrying ? {} : { conclusion: "failure" as const }), title, summary: `**Operation** Error\n\n> ${err.message.replace(/\n/g, " ").slice(0, 2000)}` };
}
