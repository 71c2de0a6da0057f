import { join } from "node:path";
import { ConfigError, ExternalError } from "../core/errors.js";
import type { RepoRef } from "../core/ports/github.js";
import type { RunRow } from "../core/ports/store.js";
import type { CloneOptions } from "../engine/artifacts/git-port.js";
import { LocalArtifactRepository } from "../engine/artifacts/local-repository.js";
import type { KubernetesExecutor } from "../engine/executors/kubernetes/executor.js";
import { LocalExecutor } from "../engine/executors/local.js";
import type { Executor } from "../engine/executors/types.js";
import { loadCatalogFromTexts } from "../engine/model/catalog.js";
import type { NodeStatus, WorkflowStatus } from "../engine/model/types.js";
import type { Reporter } from "../engine/runtime/reporter.js";
import { MemoStore } from "../engine/runtime/memo.js";
import { WorkflowRun } from "../engine/runtime/operator.js";
import { cloneAt } from "../repo/git.js";
import { CheckRunReporter } from "./check-run-reporter.js";
import { readRepoConfig } from "./config-source.js";
import type { AppContext } from "./context.js";
import { SlottedExecutor } from "./node-slots.js";
import { StoreLocks } from "./store-locks.js";
import { readStoredLogTail, StoreLogSink } from "./store-log-sink.js";
import { StoreRunSink } from "./store-run-sink.js";

const FINISHED = new Set(["Succeeded", "Failed", "Error"]);
const LEAF_TYPES = new Set(["Pod", "Container", "HTTP", "Plugin", "Suspend"]);

export const CANCEL_NS = "cancel";

export function repoOfRun(row: RunRow): RepoRef {
  const [owner, name] = row.repo.split("/");
  return { owner, name, installationId: row.installationId };
}

/**
 * A node that was running when its replica died did not finish: Argo calls such a node Error. The
 * retry node above it (if any) then decides, by its retryStrategy, whether to try again. With Pods
 * (`adoptPods`) a Pod node is not interrupted: its Pod runs on, and the node is run again, which
 * adopts that Pod by its name instead of starting a second one.
 */
export function markInterrupted(nodes: Record<string, NodeStatus>, at: Date, opts: { adoptPods?: boolean } = {}): Record<string, NodeStatus> {
  const out: Record<string, NodeStatus> = {};
  for (const [id, n] of Object.entries(nodes)) {
    if (opts.adoptPods && n.type === "Pod") out[id] = n;
    else if (LEAF_TYPES.has(n.type) && n.type !== "Suspend" && (n.phase === "Running" || n.phase === "Pending")) {
      out[id] = { ...n, phase: "Error", message: "interrupted", finishedAt: at.toISOString() };
    } else out[id] = n;
  }
  return out;
}

function sameRepo(url: string, repo: RepoRef): boolean {
  const m = /^(?:https?:\/\/[^/]+\/|git@[^:]+:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  return !!m && m[1].toLowerCase() === repo.owner.toLowerCase() && m[2].toLowerCase() === repo.name.toLowerCase();
}

/** Same scheme, host and port; false when either is not a URL (an scp-style SSH address). */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * The final check-run update matters most (a run must not look in progress forever): it is tried
 * again, honouring GitHub's Retry-After, before the failure is logged.
 */
async function completeCheckRun(send: () => Promise<void>, log: AppContext["log"], attempts = 4): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await send();
    } catch (err) {
      if (i >= attempts) {
        log.error({ err }, "completing the check run failed");
        return;
      }
      const wait = err instanceof ExternalError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, 60_000) : 500 * 2 ** i;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Completes a run that was cancelled before it started. */
async function finishWithoutRunning(ctx: AppContext, row: RunRow, phase: "Failed" | "Error", message: string, cancelled: boolean): Promise<void> {
  const now = ctx.now();
  await ctx.store.updateRun(row.id, { phase, message, finishedAt: now });
  if (row.checkRunId) {
    await ctx.github.updateCheckRun(repoOfRun(row), row.checkRunId, {
      status: "completed",
      conclusion: cancelled ? "cancelled" : "failure",
      completedAt: now.toISOString(),
      output: { title: cancelled ? "Cancelled" : `Error: ${message}`.slice(0, 200), summary: message },
    });
  }
  ctx.metrics.runsFinished.inc({ phase });
}

/**
 * Executes (or continues) a stored run in this replica: node states go to the store as they change,
 * progress to the run's check run. A run that another replica began and abandoned continues here,
 * reusing its finished nodes.
 */
export async function executeRun(ctx: AppContext, runId: string): Promise<WorkflowStatus | undefined> {
  const row = await ctx.store.getRun(runId);
  if (!row || FINISHED.has(row.phase)) return undefined;
  // Another replica is executing it and still renewing its lease.
  if (row.ownerId && row.ownerId !== ctx.workerId && row.leaseUntil && row.leaseUntil > ctx.now()) return undefined;
  const repo = repoOfRun(row);
  const log = ctx.log.child({ run: row.id, repo: row.repo, sha: row.headSha });
  if (await ctx.store.getValue(CANCEL_NS, row.id)) {
    await finishWithoutRunning(ctx, row, "Failed", "cancelled before it started", true);
    return undefined;
  }
  await ctx.store.updateRun(row.id, { ownerId: ctx.workerId, leaseUntil: new Date(ctx.now().getTime() + ctx.limits.runLeaseMs) });

  // Local processes, or Pods (TIPHYS_EXECUTOR, or the workflow's tiphys.io/executor annotation).
  let pods: KubernetesExecutor | undefined;
  try {
    if ((ctx.executors?.kindFor(row.workflow) ?? "local") === "kubernetes") pods = await ctx.executors!.kubernetes();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.warn({ err }, "no executor for the run");
    await finishWithoutRunning(ctx, row, "Error", err.message, false);
    return undefined;
  }

  const configSha = String(row.meta.configSha ?? row.headSha);
  const config = await readRepoConfig(ctx.github, repo, configSha, ctx.blobs);
  const { catalog } = loadCatalogFromTexts(config.files);
  const previous = markInterrupted(await ctx.store.loadNodes(row.id), ctx.now(), { adoptPods: pods !== undefined });

  const dir = join(ctx.dataDir, "runs", row.id);
  const secrets: string[] = [];
  let token: { token: string; expiresAt: string } | undefined;
  const cloneGit = async (opts: CloneOptions) => {
    if (!sameRepo(opts.repo, repo) || opts.auth) return cloneAt(opts);
    // `tiphys local`: the repository is the checkout itself.
    const local = ctx.github.cloneUrl(repo);
    if (!/^[a-z]+:\/\//i.test(local)) return cloneAt({ ...opts, repo: local });
    // The token is for the GitHub this App talks to: the same owner/name on another host is someone
    // else's repository, and git would hand the token to whoever answers with a 401.
    if (!sameOrigin(opts.repo, local)) return cloneAt(opts);
    // The repo's own checkout gets a short-lived installation token, passed to git as a credential
    // (never in the URL) and masked wherever output is shown.
    if (!token || Date.parse(token.expiresAt) - Date.now() < 5 * 60_000) {
      token = await ctx.github.createInstallationToken(repo.installationId);
      secrets.push(token.token);
    }
    return cloneAt({ ...opts, auth: { username: "x-access-token", password: token.token } });
  };

  const sink = new StoreRunSink(ctx.store, row.id, (err) => log.error({ err }, "storing node states failed"));
  // Node output goes to the store (not the replica's disk): any replica can render the log tails.
  const logs = new StoreLogSink(ctx.store, row.id, { onError: (err) => log.warn({ err }, "storing node logs failed") });
  // The reporter is built before the run it reports on.
  const runRef: { current?: WorkflowRun } = {};
  const reporter = new CheckRunReporter({
    github: ctx.github,
    repo,
    checkRunId: row.checkRunId ?? 0,
    workflowName: row.workflowName,
    runId: row.id,
    debounceMs: ctx.limits.checkRunDebounceMs,
    logTail: (nodeId) => readStoredLogTail(ctx.store, row.id, nodeId),
    secrets: () => secrets,
    nodes: () => Object.fromEntries(runRef.current?.nodes ?? []),
    onError: (err) => log.warn({ err }, "updating the check run failed"),
    onNodeFinished: (n) => {
      if (n.type === "Pod" && n.startedAt && n.finishedAt) {
        ctx.metrics.nodeSeconds.observe({ type: n.type, phase: n.phase }, (Date.parse(n.finishedAt) - Date.parse(n.startedAt)) / 1000);
      }
    },
  });
  const watcher = ctx.observe?.(row);
  const checkReporter = row.checkRunId ? reporter : undefined;
  const reporters: Reporter[] = [logs, checkReporter, watcher].filter((r): r is Reporter => !!r);
  const tee: Reporter = {
    nodeUpdated: (n) => reporters.forEach((r) => r.nodeUpdated?.(n)),
    log: (n, s, l) => reporters.forEach((r) => r.log?.(n, s, l)),
    workflowUpdated: (s) => reporters.forEach((r) => r.workflowUpdated?.(s)),
    warn: (m) => reporters.forEach((r) => r.warn?.(m)),
  };
  // Pods run on the cluster, not in this replica: the replica's node slots limit local processes only.
  const executor: Executor = pods ?? new SlottedExecutor(new LocalExecutor({ workDir: join(dir, "sandboxes") }), ctx.slots);
  const run = new WorkflowRun({
    workflow: row.workflow,
    catalog,
    executor,
    reporter: tee,
    journal: sink,
    artifacts: new LocalArtifactRepository(join(dir, "artifacts"), { cloneGit }),
    memo: new MemoStore(join(ctx.dataDir, "memo")),
    locks: new StoreLocks(ctx.store, row.repo),
    previousNodes: previous,
    uid: row.workflow.metadata.uid,
    createdAt: row.createdAt,
    // Resource templates act on the cluster the Pods go to.
    cluster: pods?.cluster,
    clusterNamespace: pods?.namespace,
  });
  runRef.current = run;
  if (row.startedAt) run.status.startedAt = row.startedAt.toISOString();

  let cancelled = false;
  const watch = setInterval(() => {
    void (async () => {
      try {
        await ctx.store.renewRunLeases(ctx.workerId, ctx.limits.runLeaseMs);
        if (!cancelled && (await ctx.store.getValue(CANCEL_NS, row.id))) {
          cancelled = true;
          log.info("run cancelled");
          run.stop("Terminate");
        }
      } catch (err) {
        log.warn({ err }, "renewing the run lease failed");
      }
    })();
  }, Math.min(2_000, ctx.limits.runLeaseMs / 3));
  ctx.metrics.runsActive.inc();
  let status: WorkflowStatus;
  try {
    status = await run.execute();
  } catch (err) {
    log.error({ err }, "run failed to execute");
    status = { ...run.snapshot(), phase: "Error", message: (err as Error).message, finishedAt: ctx.now().toISOString() };
    sink.writeStatus(status);
  } finally {
    clearInterval(watch);
    ctx.metrics.runsActive.dec();
  }
  ctx.metrics.runsFinished.inc({ phase: status.phase });
  await pods?.completeWorkflow({ name: run.name, spec: run.spec }, status.phase).catch((err: unknown) => log.warn({ err }, "deleting the run's Pods failed"));
  await sink.drain();
  await logs.drain();
  if (row.checkRunId) await completeCheckRun(() => reporter.finish(status, { cancelled }), log);
  await ctx.store.updateRun(row.id, { phase: status.phase, message: status.message, ownerId: undefined, leaseUntil: undefined });
  await ctx.store.deleteValue(CANCEL_NS, row.id);
  log.info({ phase: status.phase }, "run finished");
  return status;
}
