/**
 * An Application's check run (`tiphys/app/<name>`) rendered from a sync's outcome or from a comparison:
 * title, summary and the result table (resource, phase, wave, action, result, health). Pure.
 */
import type { CheckConclusion, CheckStatus } from "../core/ports/github.js";
import type { AppComparison, ComparedResource } from "../reconcilers/application/compare.js";
import type { SyncOutcome } from "../reconcilers/application/sync.js";
import type { OperationState, ResourceKey, ResourceResult } from "../reconcilers/application/types.js";
import { keyString } from "../reconcilers/application/types.js";
import { escapeCell, GITHUB_TEXT_LIMIT, inlineCode, truncateToLimit } from "../reporting/index.js";
import { describeLock, type AppLock } from "./app-sync-state.js";

export interface AppCheckOutput {
  status: CheckStatus;
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
}

export const short = (sha: string) => sha.slice(0, 7);
const resourceName = (k: ResourceKey) => `${k.kind} ${k.namespace ? `${k.namespace}/` : ""}${k.name}`;

/** The result table of a sync: one row per task in the order it ran. */
export function resultTable(results: readonly ResourceResult[], health: Map<string, string>): string {
  if (results.length === 0) return "_No resources._";
  const rows = results.map((r) => {
    const name = resourceName(r) + (r.hookType ? ` (${r.hookType} hook)` : "");
    const result = [r.hookType ? r.hookPhase : r.status, r.message].filter(Boolean).join(": ");
    return `| ${escapeCell(name, 200)} | ${r.syncPhase} | ${r.syncWave ?? 0} | ${escapeCell(r.action ?? "", 60)} | ${escapeCell(result || "—", 400)} | ${health.get(keyString(r)) ?? "—"} |`;
  });
  const head = ["| Resource | Phase | Wave | Action | Result | Health |", "|---|---|---|---|---|---|"];
  return truncateToLimit([...head, ...rows], GITHUB_TEXT_LIMIT - 2000, (n) => `\n_${n} more resources not shown._`);
}

function healthByKey(cmp: AppComparison): Map<string, string> {
  return new Map(cmp.resources.filter((r) => r.health).map((r) => [keyString(r.key), r.health!.status]));
}

export interface SyncReportInput {
  app: string;
  revision: string;
  outcome: SyncOutcome;
  /** "push (automated)", "@octocat", "rollback to history 3 by @octocat". */
  initiatedBy: string;
  lock?: AppLock;
  /** The automated sync failed and is tried again (the check run stays in progress). */
  retrying?: { attempt: number; limit: number; delayMs: number };
  /** The automated sync failed after this many retries: not retried again for this revision. */
  retried?: number;
}

/** The check run of a finished (or retrying) sync. */
export function renderSyncCheckRun(input: SyncReportInput): AppCheckOutput {
  const { outcome } = input;
  const op = outcome.operationState;
  const dry = op.operation.sync.dryRun === true;
  const ok = op.phase === "Succeeded";
  const health = outcome.after.health.status;
  const syncStatus = outcome.after.sync;
  let message = op.message;
  if (input.retrying) message += `. Retrying attempt #${input.retrying.attempt}${input.retrying.limit >= 0 ? ` of ${input.retrying.limit}` : ""} in ${Math.round(input.retrying.delayMs / 100) / 10} s`;
  else if (!ok && input.retried) message += ` (retried ${input.retried} times). This revision is not synced automatically again: push a new commit, or \`/tiphys sync ${input.app}\`.`;
  const title = input.retrying
    ? `Sync of ${input.app} failed; retrying (attempt #${input.retrying.attempt})`
    : ok
      ? `${dry ? "Dry run of " : ""}${input.app} ${dry ? "at" : "synced to"} ${short(input.revision)}: ${syncStatus}, ${health}`
      : `Sync of ${input.app} to ${short(input.revision)} failed`;
  const selective = op.operation.sync.resources ? ` · selective (${op.operation.sync.resources.length} resources)` : "";
  const hooks = op.operation.sync.syncStrategy?.apply ? " · hooks skipped" : "";
  const summary = [
    `**Operation** ${op.phase} · **Sync status** ${syncStatus} · **Health** ${health}`,
    `Revision ${inlineCode(input.revision)} · initiated by ${input.initiatedBy}${op.operation.sync.prune ? " · prune" : ""}${selective}${hooks}`,
    "",
    `> ${escapeCell(message, 2000)}`,
    ...(outcome.after.health.message ? ["", `Health: ${escapeCell(outcome.after.health.message, 500)}`] : []),
    ...(input.lock ? ["", describeLock(input.app, input.lock)] : []),
  ].join("\n");
  const table = resultTable(op.syncResult?.resources ?? [], healthByKey(outcome.after));
  if (input.retrying) return { status: "in_progress", title, summary, text: table };
  return { status: "completed", conclusion: ok ? "success" : "failure", title, summary, text: table };
}

/** An update while the sync runs (debounced by the caller). */
export function renderSyncProgress(app: string, revision: string, state: OperationState, initiatedBy: string): AppCheckOutput {
  const results = state.syncResult?.resources ?? [];
  return {
    status: "in_progress",
    title: `Syncing ${app} to ${short(revision)}`,
    summary: `**Operation** ${state.phase} · initiated by ${initiatedBy}\n\n> ${escapeCell(state.message || "starting", 2000)}`,
    text: resultTable(results, new Map()),
  };
}

const needsSync = (r: ComparedResource) => !r.ignored && !r.hook && r.status === "OutOfSync";

/** What differs between the repo and the cluster, as a table. */
export function driftTable(cmp: AppComparison): string {
  const rows = cmp.resources.filter(needsSync).map((r) => {
    const what = r.requiresPruning ? "requires pruning" : !r.live ? "missing" : "modified";
    return `| ${escapeCell(resourceName(r.key), 200)} | ${r.wave} | ${what} | ${r.health?.status ?? "—"} |`;
  });
  if (rows.length === 0) return "_Nothing differs._";
  return truncateToLimit(["| Resource | Wave | Differs | Health |", "|---|---|---|---|", ...rows], GITHUB_TEXT_LIMIT - 2000, (n) => `\n_${n} more resources not shown._`);
}

/** A manual (or locked) app after a push: Synced, or OutOfSync with what a Sync would change. */
export function renderDriftCheckRun(input: { app: string; revision: string; comparison: AppComparison; automated: boolean; lock?: AppLock }): AppCheckOutput {
  const { comparison: cmp } = input;
  const drifted = cmp.resources.filter(needsSync);
  const why = input.lock ? describeLock(input.app, input.lock) : input.automated ? "" : `\`${input.app}\` has no \`syncPolicy.automated\`: it syncs when someone presses **Sync** or comments \`/tiphys sync ${input.app}\`.`;
  if (cmp.sync === "Synced") {
    return {
      status: "completed",
      conclusion: "success",
      title: `${input.app} is Synced at ${short(input.revision)} (${cmp.health.status})`,
      summary: [`**Sync status** Synced · **Health** ${cmp.health.status}`, `Revision ${inlineCode(input.revision)}: the cluster already matches the repo.`, ...(why ? ["", why] : [])].join("\n"),
    };
  }
  return {
    status: "completed",
    conclusion: "action_required",
    title: `${input.app} is OutOfSync at ${short(input.revision)}: ${drifted.length} resource${drifted.length === 1 ? "" : "s"} differ`,
    summary: [`**Sync status** OutOfSync · **Health** ${cmp.health.status}`, `Revision ${inlineCode(input.revision)}`, ...(why ? ["", why] : [])].join("\n"),
    text: driftTable(cmp),
  };
}

/** The button of a manual app's check run (GitHub: label ≤ 20, description ≤ 40 characters). */
export const SYNC_BUTTON = { label: "Sync", description: "Apply this commit to the cluster", identifier: "sync" };
