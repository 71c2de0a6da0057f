import type { Logger } from "probot";
import type { GitHubPort, RepoRef } from "../core/ports/github.js";
import type { Store } from "../core/ports/store.js";
import type { BlobCache } from "./config-source.js";
import type { AppMetrics } from "./metrics.js";
import type { DeliveryBatcher } from "./delivery-batcher.js";
import type { NodeSlots } from "./node-slots.js";

export interface AppLimits {
  /** Nodes (processes) running at once in this replica, over every run. */
  maxRunningNodes: number;
  /** Runs executing at once per installation (fair share). */
  maxRunsPerInstallation: number;
  /** Runs executing at once in this replica. */
  maxRuns: number;
  /** Webhook (and schedule) jobs handled at once in this replica. */
  maxEvents: number;
  /**
   * Of those, at most this many of one installation (fair share): an installation whose writes wait
   * for GitHub's pacing, or whose burst fills the queue, leaves the other places to the others.
   */
  maxEventsPerInstallation: number;
  /** The least time between two updates of one check run while it is in progress. */
  checkRunDebounceMs: number;
  /** A run's lease: another replica takes it over when its owner stops renewing. */
  runLeaseMs: number;
}

export const DEFAULT_LIMITS: AppLimits = {
  maxRunningNodes: 8,
  maxRunsPerInstallation: 2,
  maxRuns: 8,
  maxEvents: 32,
  maxEventsPerInstallation: 4,
  checkRunDebounceMs: 10_000,
  runLeaseMs: 60_000,
};

/** What every use-case gets: the ports, this replica's identity and its limits. No globals. */
export interface AppContext {
  github: GitHubPort;
  store: Store;
  dataDir: string;
  log: Logger;
  metrics: AppMetrics;
  limits: AppLimits;
  workerId: string;
  blobs: BlobCache;
  slots: NodeSlots;
  /** Group commit of webhook deliveries (the server); without it each is written on its own. */
  deliveries?: DeliveryBatcher;
  /** Also told of each run's progress (the terminal in `tiphys local`). */
  observe?: (run: import("../core/ports/store.js").RunRow) => import("../engine/runtime/reporter.js").Reporter | undefined;
  /** Told which triggers matched and which did not, for each event (the terminal in `tiphys local`). */
  onPlanned?: (result: { runs: Array<{ id: string; workflowName: string; meta: Record<string, unknown> }>; skipped: Array<{ name: string; reason: string }>; problems: Array<{ message: string }> }) => void;
  /** The clusters Applications sync to (none configured: apps say so instead of syncing). */
  clusters?: import("./app-sources.js").ClusterResolver;
  /** Rendered manifests by revision, path and parameters (helm and kustomize are not run twice). */
  renderCache?: import("../reconcilers/application/render.js").RenderCache;
  /** How helm and kustomize run (the real binaries by default). */
  tools?: import("../core/ports/tools.js").ToolRunner;
  /** Timings of Application syncs and self-heal (Argo CD's defaults when unset). */
  appSync?: import("./app-sync-state.js").AppSyncOptions;
  /** Watches synced automated apps and repairs drift (the worker's; absent where nothing syncs). */
  selfHeal?: import("./self-heal.js").SelfHealer;
  /** Hosts the Rollout controller for the releases of synced apps (the worker's; absent where nothing syncs). */
  rollouts?: import("./rollout-host.js").RolloutHost;
  /** Where workflow steps run: local processes, or Pods (TIPHYS_EXECUTOR, `tiphys.io/executor`). Local when unset. */
  executors?: import("./executors.js").AppExecutors;
  /** Tells this replica's worker that a job was queued (it would otherwise see it at its next poll). */
  wakeWorker?: () => void;
  /** Where a check run's "Details" link points (none when unset). */
  publicUrl?: string;
  now(): Date;
}

/** A repository named by a webhook payload. */
export function repoOf(payload: { repository?: { name: string; owner: { login: string } }; installation?: { id: number } }): RepoRef | undefined {
  if (!payload.repository || !payload.installation) return undefined;
  return { owner: payload.repository.owner.login, name: payload.repository.name, installationId: payload.installation.id };
}
