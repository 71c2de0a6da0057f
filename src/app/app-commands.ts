/**
 * The Application commands (`/tiphys sync|rollback|lock|unlock <app>`) and the Sync button of a manual
 * app's check run. Applications are read from the default branch's head (where the team keeps what is
 * deployed), a sync goes to the current commit of the app's targetRevision, and the work itself is an
 * `app-sync` job: the reply names its check run.
 */
import { authorize, defaultRegistry, type ParsedCommand } from "../chatops/index.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AuditEntry } from "../core/ports/store.js";
import { readInventory } from "../reconcilers/application/inventory.js";
import { isAutomated, type LoadedApplication } from "../reconcilers/application/model.js";
import { runSync } from "../reconcilers/application/sync.js";
import { keyString } from "../reconcilers/application/types.js";
import { escapeCell, inlineCode } from "../reporting/index.js";
import { isThisRepo } from "./app-sources.js";
import { clusterOf, findApp, prepareApp } from "./app-sync-prepare.js";
import { enqueueAppSync, followedBranch, pinRevision, primarySource } from "./app-sync-push.js";
import { short } from "./app-sync-report.js";
import { APP_CHECK_PREFIX, appCheckName, appKey, describeLock, LOCK_NS, readLock, SYNC_ACTION, type AppLock, type AppSyncJob } from "./app-sync-state.js";
import type { AppContext } from "./context.js";
import type { EventJob } from "./on-event.js";

export interface AppCommandContext {
  ctx: AppContext;
  repo: RepoRef;
  actor: string;
}

export type AppCommandOutcome = { decision: AuditEntry["decision"]; reply?: string; reason?: string; sha?: string };

const refused = (reply: string, reason: string): AppCommandOutcome => ({ decision: "refused", reply, reason });

/** The app named by a command, as the default branch's head defines it. */
async function appOnDefaultBranch(c: AppCommandContext, name: string): Promise<{ loaded: LoadedApplication; branch: string; head: string } | AppCommandOutcome> {
  const { defaultBranch } = await c.ctx.github.getRepo(c.repo);
  const head = await c.ctx.github.getBranchSha(c.repo, defaultBranch);
  const found = await findApp(c.ctx, c.repo, head, name);
  if (found.error) return refused(`The Application documents on \`${defaultBranch}\` have problems:\n\n\`\`\`\n${found.error.describe().slice(0, 3000)}\n\`\`\``, "invalid Application documents");
  if (!found.loaded) {
    const known = found.names.length > 0 ? `Its apps: ${found.names.map(inlineCode).join(", ")}.` : "It defines no Application.";
    return refused(`No Application named ${inlineCode(name)} on \`${defaultBranch}\` (\`${short(head)}\`). ${known}`, "unknown application");
  }
  return { loaded: found.loaded, branch: defaultBranch, head };
}

const isOutcome = (v: object): v is AppCommandOutcome => "decision" in v;

const checkLink = (name: string, url: string | null | undefined) => (url ? `[\`${appCheckName(name)}\`](${url})` : `\`${appCheckName(name)}\``);

/** Queues an operation with a queued check run on its commit, so that the reply can link to it. */
async function queueOperation(c: AppCommandContext, job: AppSyncJob, title: string): Promise<string | null | undefined> {
  const check = await c.ctx.github.createCheckRun(c.repo, {
    name: appCheckName(job.app),
    headSha: job.sha,
    status: "queued",
    externalId: `app:${job.app}`,
    output: { title, summary: `${title}. It starts as soon as no other operation of \`${job.app}\` runs.` },
  });
  await enqueueAppSync(c.ctx, { ...job, checkRunId: check.id, checkRunUrl: check.htmlUrl ?? undefined });
  return check.htmlUrl;
}

async function sync(c: AppCommandContext, cmd: ParsedCommand): Promise<AppCommandOutcome> {
  const name = cmd.target!;
  const found = await appOnDefaultBranch(c, name);
  if (isOutcome(found)) return found;
  const source = primarySource(found.loaded.app);
  if (!source || !isThisRepo(source.repoURL, c.repo)) return refused(`${inlineCode(name)} renders ${source?.repoURL ?? "nothing"}: Tiphys syncs apps whose sources are this repository.`, "source in another repository");
  const branch = followedBranch(source, found.branch);
  const sha = branch === undefined ? source.targetRevision!.toLowerCase() : branch === found.branch ? found.head : await c.ctx.github.getBranchSha(c.repo, branch);
  const prune = cmd.flags.prune === true;
  if (cmd.flags["dry-run"] === true) return dryRun(c, name, found.head, sha, prune);
  const lock = await readLock(c.ctx.store, c.repo, name);
  const url = await queueOperation(c, { repo: c.repo, app: name, sha, configSha: found.head, trigger: "manual", initiatedBy: c.actor, prune }, `Sync of ${name} to ${short(sha)} queued by @${c.actor}`);
  const lockNote = lock ? `\n\n${describeLock(name, lock)}` : "";
  return { decision: "done", sha, reply: `Syncing ${inlineCode(name)} to \`${short(sha)}\` (${branch ? `\`${branch}\`` : "a pinned commit"})${prune ? " with prune" : ""}: see the check run ${checkLink(name, url)}.${lockNote}` };
}

/** `--dry-run`: the sync planned and applied with the server's dry run; nothing changes, nothing is queued. */
async function dryRun(c: AppCommandContext, name: string, configSha: string, sha: string, prune: boolean): Promise<AppCommandOutcome> {
  const prep = await prepareApp(c.ctx, { repo: c.repo, name, configSha, sha, shape: (app) => pinRevision(app, c.repo, sha) });
  if (!prep.ok) return { decision: "failed", reason: prep.output.title, reply: `Dry run of ${inlineCode(name)}: ${prep.output.title}\n\n${prep.output.summary}` };
  const { app, project, rendered, cluster } = prep.prepared;
  const outcome = await runSync({ app, project, rendered, revision: sha, prune, dryRun: true, initiatedBy: { username: c.actor } }, { cluster });
  const before = new Map(outcome.before.resources.map((r) => [keyString(r.key), r]));
  const rows = (outcome.operationState.syncResult?.resources ?? []).slice(0, 50).map((r) => {
    const was = before.get(keyString(r));
    const now = r.hookType ? `${r.hookType} hook` : !was?.live ? "Missing" : was.requiresPruning ? "requires pruning" : (was.status ?? "—");
    return `| ${escapeCell(`${r.kind} ${r.namespace ? r.namespace + "/" : ""}${r.name}`, 200)} | ${now} | ${escapeCell(r.message, 300)} |`;
  });
  const changes = outcome.before.resources.filter((r) => !r.ignored && !r.hook && r.status === "OutOfSync").length;
  const head = `Dry run of ${inlineCode(name)} at \`${short(sha)}\`: ${outcome.operationState.phase}, ${changes} resource${changes === 1 ? "" : "s"} out of sync (now ${outcome.before.sync}). Nothing was changed.`;
  const table = rows.length > 0 ? `\n\n| Resource | Now | Dry run |\n|---|---|---|\n${rows.join("\n")}` : "";
  const why = outcome.operationState.phase === "Succeeded" ? "" : `\n\n> ${escapeCell(outcome.operationState.message, 1000)}`;
  return { decision: outcome.operationState.phase === "Succeeded" ? "done" : "failed", sha, reply: head + why + table, reason: outcome.operationState.phase === "Succeeded" ? undefined : outcome.operationState.message };
}

async function rollback(c: AppCommandContext, cmd: ParsedCommand): Promise<AppCommandOutcome> {
  const name = cmd.target!;
  const found = await appOnDefaultBranch(c, name);
  if (isOutcome(found)) return found;
  const app = found.loaded.app;
  const lock = await readLock(c.ctx.store, c.repo, name);
  if (isAutomated(app) && !lock) {
    return refused(
      `\`/tiphys rollback ${name}\` was refused: rollback cannot be initiated when auto-sync is enabled: disable \`syncPolicy.automated\` on the Application, or \`/tiphys lock ${name}\` so that it stops syncing automatically (the next automated sync would move it forward again). Then roll back.`,
      "rollback cannot be initiated when auto-sync is enabled",
    );
  }
  const dest = await clusterOf(c.ctx, app);
  if ("refusal" in dest) return { decision: "failed", reason: dest.refusal.title, reply: `${dest.refusal.title}\n\n${dest.refusal.summary}` };
  const { cluster } = dest;
  const history = (await readInventory(cluster, app))?.history ?? [];
  const list = history.map((h) => `\`${h.id}\` (\`${short(h.revision)}\`, ${h.deployedAt})`).join(", ") || "none yet";
  const arg = cmd.args[0];
  if (arg !== undefined && !/^\d+$/.test(arg)) return refused(`${inlineCode(arg)} is not a history id. History of ${inlineCode(name)}: ${list}.`, "bad history id");
  const entry = arg !== undefined ? history.find((h) => h.id === Number(arg)) : history[history.length - 2];
  if (!entry) {
    const what = arg !== undefined ? `no history entry ${inlineCode(arg)}` : "no revision before the current one";
    return refused(`${inlineCode(name)} has ${what} to roll back to. History: ${list}.`, "no such history entry");
  }
  const job: AppSyncJob = {
    repo: c.repo,
    app: name,
    sha: entry.revision,
    configSha: found.head,
    trigger: "rollback",
    initiatedBy: c.actor,
    prune: cmd.flags.prune === true,
    rollback: { id: entry.id, ...(entry.sources ? { sources: entry.sources } : {}), ...(entry.source ? { source: entry.source } : {}) },
  };
  const url = await queueOperation(c, job, `Rollback of ${name} to history ${entry.id} (${short(entry.revision)}) queued by @${c.actor}`);
  return {
    decision: "done",
    sha: entry.revision,
    reply: `Rolling ${inlineCode(name)} back to history \`${entry.id}\`: \`${short(entry.revision)}\`, deployed ${entry.deployedAt}. Hooks are skipped and its targetRevision does not change, so it shows OutOfSync against \`${found.branch}\` afterwards. See the check run ${checkLink(name, url)}.`,
  };
}

async function lock(c: AppCommandContext, cmd: ParsedCommand): Promise<AppCommandOutcome> {
  const name = cmd.target!;
  const found = await appOnDefaultBranch(c, name);
  if (isOutcome(found)) return found;
  const existing = await readLock(c.ctx.store, c.repo, name);
  if (existing) return refused(`${describeLock(name, existing)}\n\n\`/tiphys unlock ${name}\` first to lock it again.`, "already locked");
  const reason = cmd.args.join(" ").replace(/\s+/g, " ").trim().slice(0, 200);
  const value: AppLock = { by: c.actor, at: c.ctx.now().toISOString(), ...(reason ? { reason } : {}) };
  await c.ctx.store.putValue(LOCK_NS, appKey(c.repo, name), value);
  return { decision: "done", reply: describeLock(name, value) };
}

async function unlock(c: AppCommandContext, cmd: ParsedCommand): Promise<AppCommandOutcome> {
  const name = cmd.target!;
  const existing = await readLock(c.ctx.store, c.repo, name);
  if (!existing) return refused(`${inlineCode(name)} is not locked.`, "not locked");
  await c.ctx.store.deleteValue(LOCK_NS, appKey(c.repo, name));
  return { decision: "done", reply: `🔓 ${inlineCode(name)} is unlocked (it was locked by @${existing.by} since ${existing.at}${existing.reason ? `: ${existing.reason}` : ""}). Automated syncs resume with its next push.` };
}

/** Handlers by verb, for the command framework (commands.ts). */
export const APP_COMMANDS: Record<string, (c: AppCommandContext, cmd: ParsedCommand) => Promise<AppCommandOutcome>> = { sync, rollback, lock, unlock };

export function isAppCheckRun(name: unknown): boolean {
  return typeof name === "string" && name.startsWith(APP_CHECK_PREFIX);
}

/** The Sync button of a `tiphys/app/<name>` check run: authorised like `/tiphys sync`, against who clicked. */
export async function onAppCheckRunAction(ctx: AppContext, repo: RepoRef, ev: EventJob): Promise<void> {
  const p = ev.payload;
  if (p.requested_action?.identifier !== SYNC_ACTION) return;
  const name = String(p.check_run.name).slice(APP_CHECK_PREFIX.length);
  const sha: string = p.check_run.head_sha;
  const actor: string = p.sender?.login ?? "unknown";
  const permission = await ctx.github.getPermission(repo, actor);
  const auth = authorize({ spec: defaultRegistry().get("sync")!, actor, actorPermission: permission, isBot: p.sender?.type === "Bot" });
  await ctx.store.audit({
    at: ctx.now(),
    installationId: repo.installationId,
    repo: repoFullName(repo),
    actor,
    action: "button",
    target: `sync ${name}`,
    sha,
    decision: auth.allowed ? "allowed" : "refused",
    reason: auth.allowed ? undefined : auth.reason,
  });
  ctx.metrics.commands.inc({ verb: "sync", decision: auth.allowed ? "allowed" : "refused" });
  if (!auth.allowed) {
    ctx.log.info({ actor, app: name, reason: auth.reason }, "sync button refused");
    return;
  }
  // The button belongs to the check run of a commit: that commit's Application is synced, to it.
  await enqueueAppSync(ctx, { repo, app: name, sha, configSha: sha, trigger: "manual", initiatedBy: actor }, { key: `app-sync:${appKey(repo, name)}@${sha}:button:${ev.id}` });
}
