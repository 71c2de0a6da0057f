import { clusterResolverFromEnv } from "./clusters.js";
import { runAppSyncJob } from "./app-sync-job.js";
import { APP_SYNC_JOB, type AppSyncOptions } from "./app-sync-state.js";
import { SelfHealer } from "./self-heal.js";
import { RolloutHost, type RolloutHostOptions } from "./rollout-host.js";
import type { ClusterResolver } from "./app-sources.js";
import { RenderCache } from "../reconcilers/application/render.js";
import { hostname } from "node:os";
import { createProbot, type Logger, type Probot } from "probot";
import { tiphysOctokit } from "../github/octokit-class.js";
import type { GitHubPort } from "../core/ports/github.js";
import type { Store } from "../core/ports/store.js";
import { OctokitGitHub } from "../github/octokit-github.js";
import { webhookHandlers, type AcceptWebhook } from "../handlers/webhooks.js";
import { openStore } from "../store/index.js";
import { acceptEvent, type IncomingEvent } from "./accept-event.js";
import { BlobCache } from "./config-source.js";
import { DeliveryBatcher } from "./delivery-batcher.js";
import { AppExecutors, executorConfigFromEnv, type ExecutorConfig } from "./executors.js";
import { DEFAULT_LIMITS, type AppContext, type AppLimits } from "./context.js";
import { AppMetrics } from "./metrics.js";
import { NodeSlots } from "./node-slots.js";
import { recoverRuns, redeliverFailed } from "./recovery.js";
import { runCronJob, tickCron } from "./scheduler.js";
import { defaultDataDir } from "./run-workflow.js";
import { Worker } from "./worker.js";

export interface ServerConfig {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema for Tiphys's tables (default: the connection's search_path). */
  databaseSchema?: string;
  limits: AppLimits;
  /** This replica's identity: a restarted replica with the same id takes its own runs back at once. */
  workerId: string;
  /** GitHub's web URL, for clone URLs. */
  webUrl: string;
  redeliverIntervalMs: number;
  pollMs: number;
  /** How often CronWorkflow schedules are checked. */
  cronTickMs: number;
  /** Least time between two GitHub writes per installation (GitHub asks 1 s on github.com). */
  githubWriteIntervalMs: number;
  /** Where workflow steps run (TIPHYS_EXECUTOR ...); local processes when unset. */
  executor?: ExecutorConfig;
  /** Timings of the hosted Rollout controller (TIPHYS_ROLLOUT_GATE_POLL_MS ...). */
  rollouts?: RolloutHostOptions;
}

/** Server configuration from the environment (`.env.example` documents each variable). */
export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const num = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative number`);
    return n;
  };
  const gheHost = env.GHE_HOST;
  return {
    dataDir: env.TIPHYS_DATA_DIR || defaultDataDir(),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.TIPHYS_DATABASE_SCHEMA || undefined,
    limits: {
      ...DEFAULT_LIMITS,
      maxRunningNodes: num("TIPHYS_MAX_RUNNING_NODES", DEFAULT_LIMITS.maxRunningNodes),
      maxRunsPerInstallation: num("TIPHYS_MAX_RUNS_PER_INSTALLATION", DEFAULT_LIMITS.maxRunsPerInstallation),
      maxRuns: num("TIPHYS_MAX_RUNS", DEFAULT_LIMITS.maxRuns),
      maxEvents: num("TIPHYS_MAX_EVENTS", DEFAULT_LIMITS.maxEvents),
      maxEventsPerInstallation: num("TIPHYS_MAX_EVENTS_PER_INSTALLATION", DEFAULT_LIMITS.maxEventsPerInstallation),
      checkRunDebounceMs: num("TIPHYS_CHECK_RUN_DEBOUNCE_MS", DEFAULT_LIMITS.checkRunDebounceMs),
      runLeaseMs: num("TIPHYS_RUN_LEASE_MS", DEFAULT_LIMITS.runLeaseMs),
    },
    workerId: env.TIPHYS_REPLICA_ID || hostname(),
    webUrl: gheHost ? `${env.GHE_PROTOCOL || "https"}://${gheHost}` : "https://github.com",
    redeliverIntervalMs: num("TIPHYS_REDELIVER_INTERVAL", 600) * 1000,
    pollMs: num("TIPHYS_POLL_MS", 1000),
    cronTickMs: num("TIPHYS_CRON_TICK_MS", 10_000),
    githubWriteIntervalMs: num("TIPHYS_GITHUB_WRITE_INTERVAL_MS", 1000),
    executor: executorConfigFromEnv(env),
    rollouts: {
      gatePollMs: num("TIPHYS_ROLLOUT_GATE_POLL_MS", 60_000),
      controllerPollMs: num("TIPHYS_ROLLOUT_POLL_MS", 2000),
    },
  };
}

export interface ComposedApp {
  ctx: AppContext;
  worker: Worker;
  store: Store;
  metrics: AppMetrics;
  appFn: ReturnType<typeof webhookHandlers>;
  /** The webhook use-case itself (what `appFn` registers): record the delivery and queue its work. */
  accept: AcceptWebhook;
  /** Resumes interrupted runs, starts the worker and the periodic redelivery. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Probot as the server runs it: configured from the environment, with Tiphys's Octokit and logger. */
export function createTiphysProbot(env: NodeJS.ProcessEnv, config: ServerConfig, log: Logger): Probot {
  return createProbot({ env, overrides: { log, Octokit: tiphysOctokit({ writeIntervalMs: config.githubWriteIntervalMs }) } });
}

/** The one composition root of the App: adapters built here and handed to the use-cases. */
export interface ComposeOptions {
  probot: Probot;
  config: ServerConfig;
  log: Logger;
  github?: GitHubPort;
  store?: Store;
  metrics?: AppMetrics;
  /**
   * "all" (default): one thread takes webhooks and does the work. The server splits them: "web"
   * answers webhooks and queues them (`wake` tells the other thread), "worker" does the work.
   */
  role?: "all" | "web" | "worker";
  wake?: () => void;
  /** The clusters Applications sync to (default: from TIPHYS_KUBECONFIG or the cluster Tiphys runs in). */
  clusters?: ClusterResolver;
  /** Timings of Application syncs and self-heal (tests make them short). */
  appSync?: AppSyncOptions;
  /** Timings of the hosted Rollout controller (tests make them short); the config's otherwise. */
  rollouts?: RolloutHostOptions;
}

/** App syncs at once in one replica, and how long a claimed one is its own before another may take it. */
const APP_SYNC_LANE = { max: 4, leaseMs: 60 * 60_000 };

export async function composeApp(opts: ComposeOptions): Promise<ComposedApp> {
  const { config } = opts;
  const role = opts.role ?? "all";
  const metrics = opts.metrics ?? new AppMetrics({ defaultMetrics: role !== "worker", part: role });
  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema }));
  const github =
    opts.github ??
    new OctokitGitHub({
      auth: (id) => opts.probot.auth(id) as never,
      webUrl: config.webUrl,
      writeIntervalMs: config.githubWriteIntervalMs,
      onRateLimit: (remaining, id) => metrics.rateLimitRemaining.set({ installation: String(id ?? 0) }, remaining),
    });
  const ctx: AppContext = {
    github,
    store,
    dataDir: config.dataDir,
    log: opts.log,
    metrics,
    limits: config.limits,
    workerId: config.workerId,
    blobs: new BlobCache(),
    slots: new NodeSlots(config.limits.maxRunningNodes),
    deliveries: new DeliveryBatcher(store),
    clusters: opts.clusters ?? clusterResolverFromEnv(process.env),
    renderCache: new RenderCache(),
    appSync: opts.appSync,
    executors: new AppExecutors(config.executor ?? { kind: "local" }),
    now: () => new Date(),
  };
  if (role !== "web") ctx.selfHeal = new SelfHealer(ctx);
  if (role !== "web" && ctx.clusters) ctx.rollouts = new RolloutHost(ctx, { ...config.rollouts, ...opts.rollouts });
  const worker = new Worker(ctx, { pollMs: config.pollMs, handlers: { cron: runCronJob, [APP_SYNC_JOB]: runAppSyncJob }, lanes: { [APP_SYNC_JOB]: APP_SYNC_LANE } });
  const wake = role === "web" ? (opts.wake ?? (() => {})) : () => worker.wake();
  if (role !== "web") ctx.wakeWorker = () => worker.wake();
  const accept: AcceptWebhook = (ev) => acceptEvent(ctx, ev as IncomingEvent, wake);
  const appFn = webhookHandlers(accept);
  let redeliverTimer: NodeJS.Timeout | undefined;
  let cronTimer: NodeJS.Timeout | undefined;
  const processStartedAt = new Date();
  return {
    ctx,
    worker,
    store,
    metrics,
    appFn,
    accept,
    async start() {
      if (role === "web") return;
      await recoverRuns(ctx, { embedded: !config.databaseUrl });
      worker.start();
      const redeliver = () =>
        void redeliverFailed(ctx).catch((err) => ctx.log.warn({ err }, "redelivering failed webhook deliveries failed"));
      redeliver();
      const tick = () =>
        void tickCron(ctx, { processStartedAt })
          .then((n) => n > 0 && worker.wake())
          .catch((err) => ctx.log.warn({ err }, "the cron scheduler's tick failed"));
      tick();
      cronTimer = setInterval(tick, config.cronTickMs);
      cronTimer.unref();
      void ctx.selfHeal?.resume().catch((err) => ctx.log.warn({ err }, "resuming self-heal failed"));
      void ctx.rollouts?.resume().catch((err) => ctx.log.warn({ err }, "resuming rollout releases failed"));
      if (config.redeliverIntervalMs > 0) {
        redeliverTimer = setInterval(redeliver, config.redeliverIntervalMs);
        redeliverTimer.unref();
      }
    },
    async close() {
      if (redeliverTimer) clearInterval(redeliverTimer);
      if (cronTimer) clearInterval(cronTimer);
      await worker.stop();
      await ctx.selfHeal?.close();
      await ctx.rollouts?.close();
      await ctx.executors?.close();
      await store.close();
    },
  };
}
