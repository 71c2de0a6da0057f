/**
 * What the App keeps about each Application between syncs, in the store (keyed `<owner>/<repo>/<app>`):
 * the newest revision a push wants, the retry count of an automated sync, a revision whose automated
 * sync failed for good, the `/tiphys lock`, and the apps known to have synced (self-heal resumes them).
 * Also Argo CD's backoff rules, as pure functions.
 */
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { Store } from "../core/ports/store.js";
import { parseDuration } from "../engine/model/durations.js";
import type { Application, ApplicationSource, RetryStrategy } from "../reconcilers/application/types.js";

export const APP_SYNC_JOB = "app-sync";
export const appCheckName = (app: string) => `tiphys/app/${app}`;
export const APP_CHECK_PREFIX = "tiphys/app/";
/** The check-run button of a manual app. */
export const SYNC_ACTION = "sync";

/** Store namespaces. */
export const WANTED_NS = "app-wanted";
export const RETRY_NS = "app-retry";
export const FAILED_NS = "app-failed";
export const LOCK_NS = "app-lock";
export const KNOWN_NS = "app-known";

export function appKey(repo: Pick<RepoRef, "owner" | "name">, app: string): string {
  return `${repoFullName(repo)}/${app}`;
}

/** The store lock that makes one operation per app at a time (syncs and self-heal alike). */
export function operationLockName(repo: Pick<RepoRef, "owner" | "name">, app: string): string {
  return `app-sync:${repoFullName(repo)}:${app}`;
}

export type SyncTrigger = "push" | "retry" | "manual" | "rollback";

/** The payload of an `app-sync` job. */
export interface AppSyncJob {
  repo: RepoRef;
  app: string;
  /** The commit to sync. */
  sha: string;
  /** The commit whose `.tiphys/` defines the Application. */
  configSha: string;
  trigger: SyncTrigger;
  /** Who asked (manual, rollback). */
  initiatedBy?: string;
  /** Who pushed the commit (push): a Rollout's second-person rule keeps them from promoting it. */
  pushedBy?: string;
  prune?: boolean;
  /** Automated retries done so far for this revision. */
  retry?: number;
  /** A check run already made for this operation (by the command, or an earlier attempt). */
  checkRunId?: number;
  checkRunUrl?: string;
  /** The Deployment of an earlier attempt of the same operation. */
  deploymentId?: number;
  /** Rollback: the history entry synced (its revision is `sha`). */
  rollback?: { id: number; source?: ApplicationSource; sources?: ApplicationSource[] };
}

export interface WantedRevision {
  sha: string;
  trigger: SyncTrigger;
  at: string;
}

export interface FailedRevision {
  revision: string;
  phase: string;
  message: string;
  at: string;
}

export interface AppLock {
  by: string;
  at: string;
  reason?: string;
}

/** An app that synced here, for self-heal to watch again after a restart. */
export interface KnownApp {
  repo: RepoRef;
  app: Application;
  revision: string;
  configSha: string;
  syncedAt: string;
}

export interface AppSyncOptions {
  /** Between a healthy wave and the next (Argo CD: 2 s). */
  waveDelayMs?: number;
  /** How often running tasks are looked at. */
  pollMs?: number;
  /** An operation running longer is terminated (0: never). Default 30 minutes. */
  timeoutMs?: number;
  /** When another operation of the app holds its lock, the job comes back after this. */
  busyRetryMs?: number;
  /** The operation lock's lease (renewed while it runs). */
  lockTtlMs?: number;
  /** Watch events of an app are gathered this long before it is compared (Argo CD: a refresh). */
  selfHealDebounceMs?: number;
  /** Argo CD's --self-heal-backoff-timeout-seconds, -factor and -cap-seconds. */
  selfHealBackoff?: { baseMs: number; factor: number; capMs: number };
}

export const SYNC_DEFAULTS = {
  waveDelayMs: 2000,
  pollMs: 1000,
  timeoutMs: 30 * 60_000,
  busyRetryMs: 2000,
  lockTtlMs: 60_000,
  selfHealDebounceMs: 1000,
  selfHealBackoff: { baseMs: 2000, factor: 3, capMs: 300_000 },
} satisfies Required<AppSyncOptions>;

export function syncOptionsOf(opts: AppSyncOptions | undefined): Required<AppSyncOptions> {
  return { ...SYNC_DEFAULTS, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) };
}

/**
 * Argo CD's retry of an automated sync: `syncPolicy.retry`, or `{limit: 5}` when unset; a negative
 * limit retries forever. Backoff `duration * factor^retries`, capped by `maxDuration` (defaults 5 s,
 * 2, 3 m; `RetryStrategy.NextRetryAt`).
 */
export function retryPlan(strategy: RetryStrategy | undefined, retriesDone: number): { retry: boolean; limit: number; delayMs: number } {
  const s = strategy ?? { limit: 5 };
  const limit = s.limit ?? 0;
  const duration = s.backoff?.duration ? parseDuration(s.backoff.duration, "retry.backoff.duration") : 5000;
  const max = s.backoff?.maxDuration ? parseDuration(s.backoff.maxDuration, "retry.backoff.maxDuration") : 180_000;
  const factor = s.backoff?.factor ?? 2;
  let delayMs = duration * Math.pow(factor, retriesDone);
  if (max > 0) delayMs = Math.min(max, delayMs);
  return { retry: limit < 0 || retriesDone < limit, limit, delayMs: Math.round(delayMs) };
}

/**
 * Argo CD's self-heal backoff: the n-th heal of a revision (n from 0) waits 0, then base, base×factor,
 * … capped, counted from the end of the app's last operation.
 */
export function selfHealDelayMs(attemptsDone: number, backoff: { baseMs: number; factor: number; capMs: number }): number {
  if (attemptsDone <= 0) return 0;
  return Math.min(backoff.capMs, backoff.baseMs * Math.pow(backoff.factor, attemptsDone - 1));
}

export async function readLock(store: Store, repo: RepoRef, app: string): Promise<AppLock | undefined> {
  return store.getValue<AppLock>(LOCK_NS, appKey(repo, app));
}

/** A short line about a lock, for check runs and replies. */
export function describeLock(app: string, lock: AppLock): string {
  const why = lock.reason ? `: ${lock.reason}` : "";
  return `🔒 \`${app}\` is locked by @${lock.by} since ${lock.at}${why}. It does not sync automatically until \`/tiphys unlock ${app}\`; a manual sync still works.`;
}
