import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { TriggerEvent } from "../triggers/index.js";
import { ensureApprovalCheck, isApproved, isTrustedPullRequest } from "./approval.js";
import { previewPullRequest } from "./app-preview.js";
import { onCommentCommand } from "./commands.js";
import { repoOf, type AppContext } from "./context.js";
import { CANCEL_NS } from "./execute-run.js";
import { rerunCheckRun } from "./rerun.js";
import { queueAppSyncsForPush } from "./app-sync-push.js";
import { isAppCheckRun, onAppCheckRunAction } from "./app-commands.js";
import { isRolloutCheckRun, onRolloutCheckRunAction } from "./rollout-commands.js";
import { recordCronConfig } from "./scheduler.js";
import { loadRepoConfig, startRunsForEvent } from "./start-runs.js";
import { mayTrigger, recordEventIndex } from "./event-index.js";

export interface EventJob {
  id: string;
  name: string;
  payload: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a webhook payload, narrowed per event below
}

const ZERO_SHA = /^0+$/;
const PR_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

async function onPush(ctx: AppContext, repo: RepoRef, ev: EventJob): Promise<void> {
  const p = ev.payload;
  if (p.deleted || !p.after || ZERO_SHA.test(p.after)) return;
  // Only path filters need the changed files: from the payload's commits when it lists them all
  // (GitHub lists up to 20), else one compare call.
  const changedFiles = async (): Promise<string[] | undefined> => {
    const commits: Array<{ added?: string[]; modified?: string[]; removed?: string[] }> = p.commits ?? [];
    if (commits.length > 0 && commits.length < 20 && commits.every((c) => Array.isArray(c.added))) {
      return [...new Set(commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]))];
    }
    if (!p.before || ZERO_SHA.test(p.before)) return undefined;
    try {
      return await ctx.github.compareFiles(repo, p.before, p.after);
    } catch (err) {
      ctx.log.warn({ err }, "listing changed files failed; path filters pass");
      return undefined;
    }
  };
  const event: TriggerEvent = { name: "push", payload: p, deliveryId: ev.id, time: ctx.now() };
  const result = await startRunsForEvent(ctx, { repo, sha: p.after, configSha: p.after, event, changedFiles });
  // CronWorkflows run from the default branch: a push there is what (re)defines the schedules.
  const defaultBranch = p.repository?.default_branch ?? p.repository?.master_branch;
  if (defaultBranch && p.ref === `refs/heads/${defaultBranch}` && result.docs) {
    await recordCronConfig(ctx, repo, p.after, result.docs);
    await recordEventIndex(ctx, repo, p.after, result.docs);
  }
  // Applications that follow the pushed branch sync (or say why they do not).
  if (typeof p.ref === "string" && p.ref.startsWith("refs/heads/")) {
    const branch = p.ref.slice("refs/heads/".length);
    await queueAppSyncsForPush(ctx, repo, { sha: p.after, branch, defaultBranch: defaultBranch ?? (await ctx.github.getRepo(repo)).defaultBranch, deliveryId: ev.id, pushedBy: p.sender?.login ?? p.pusher?.name });
  }
}

/** Runs of this PR's workflows still going at an older head: a new push makes them moot. */
async function cancelSuperseded(ctx: AppContext, repo: RepoRef, pr: number, headSha: string, workflows: Set<string>): Promise<void> {
  const active = await ctx.store.findRuns({ repo: repoFullName(repo), prNumber: pr, phases: ["Pending", "Running"] });
  for (const run of active) {
    if (run.headSha === headSha || !workflows.has(run.workflowName) || run.meta.cancelInProgress === false) continue;
    await ctx.store.putValue(CANCEL_NS, run.id, { by: "tiphys", reason: `superseded by ${headSha.slice(0, 7)}` });
  }
}

export async function onPullRequest(ctx: AppContext, repo: RepoRef, ev: EventJob, opts: { approvedSha?: string } = {}): Promise<void> {
  const p = ev.payload;
  const pr = p.pull_request;
  if (!pr) return;
  if (!PR_ACTIONS.has(p.action) && !opts.approvedSha && !(await mayTrigger(ctx, repo, "pull_request", p.action))) return;
  const headSha: string = pr.head.sha;
  let configSha = headSha;
  const trusted = await isTrustedPullRequest(ctx, repo, pr);
  if (!trusted) {
    // Only the actions that bring new code ask for approval; the others of an untrusted PR run nothing.
    if (!PR_ACTIONS.has(p.action)) return;
    // Untrusted code runs nothing until someone with write access approves this exact commit, and
    // even then the workflows come from the base branch, not from the PR.
    if (opts.approvedSha !== headSha && !(await isApproved(ctx, repo, pr.number, headSha))) {
      await ensureApprovalCheck(ctx, repo, pr, "waiting");
      // The apps' comments say they wait for the approval too; nothing of the head is rendered.
      await previewPullRequest(ctx, repo, pr, { trusted: false, definitionsSha: pr.base.sha });
      return;
    }
    configSha = pr.base.sha;
  }
  const changedFiles = async (): Promise<string[] | undefined> => {
    try {
      return await ctx.github.pullRequestFiles(repo, pr.number);
    } catch (err) {
      ctx.log.warn({ err }, "listing the pull request's files failed; path filters pass");
      return undefined;
    }
  };
  const event: TriggerEvent = { name: "pull_request", action: p.action, payload: p, deliveryId: ev.id, time: ctx.now() };
  // Path filters and the app preview both need the files: one call.
  let files: Promise<string[] | undefined> | undefined;
  const changedFilesOnce = () => (files ??= changedFiles());
  const result = await startRunsForEvent(ctx, { repo, sha: headSha, configSha, event, prNumber: pr.number, changedFiles: changedFilesOnce });
  if (p.action === "synchronize") await cancelSuperseded(ctx, repo, pr.number, headSha, new Set(result.runs.map((r) => r.workflowName)));
  if (PR_ACTIONS.has(p.action) || opts.approvedSha) await previewPullRequest(ctx, repo, pr, { trusted: true, changedFiles: changedFilesOnce, definitionsSha: configSha });
}

/**
 * Any other event (release, issues, issue_comment, workflow_dispatch-like events ...): Sensors and
 * `tiphys.io/on` may name it. Its commit is the one it carries, else the default branch's head.
 */
async function onOtherEvent(ctx: AppContext, repo: RepoRef, ev: EventJob): Promise<void> {
  const p = ev.payload;
  if (!(await mayTrigger(ctx, repo, ev.name, p.action))) return;
  let sha: string | undefined = p.after ?? p.head_sha ?? p.check_run?.head_sha ?? p.workflow_run?.head_sha ?? p.deployment?.sha;
  if (!sha || ZERO_SHA.test(sha)) {
    const branch = p.repository?.default_branch ?? (await ctx.github.getRepo(repo)).defaultBranch;
    sha = await ctx.github.getBranchSha(repo, branch);
  }
  const event: TriggerEvent = { name: ev.name, action: p.action, payload: p, deliveryId: ev.id, time: ctx.now(), sha };
  await startRunsForEvent(ctx, { repo, sha, configSha: sha, event, prNumber: p.issue?.pull_request ? p.issue.number : undefined });
}

/**
 * The App was installed on repos (or given more): learn each default branch's schedules and the events
 * its triggers name.
 */
async function onInstallation(ctx: AppContext, ev: EventJob): Promise<void> {
  const p = ev.payload;
  const installationId: number | undefined = p.installation?.id;
  if (!installationId || (p.action !== "created" && p.action !== "added")) return;
  const repos: Array<{ full_name: string }> = p.repositories_added ?? p.repositories ?? [];
  for (const r of repos) {
    const [owner, name] = r.full_name.split("/");
    const repo: RepoRef = { owner, name, installationId };
    const { defaultBranch } = await ctx.github.getRepo(repo);
    const sha = await ctx.github.getBranchSha(repo, defaultBranch);
    const { loaded } = await loadRepoConfig(ctx, repo, sha);
    const docs = loaded.documents.map((d) => ({ file: d.file, manifest: d.data }));
    await recordCronConfig(ctx, repo, sha, docs);
    await recordEventIndex(ctx, repo, sha, docs);
  }
}

/** Dispatches one queued webhook to its use-case. */
export async function processEvent(ctx: AppContext, ev: EventJob): Promise<void> {
  if (ev.name === "installation" || ev.name === "installation_repositories") return onInstallation(ctx, ev);
  const repo = repoOf(ev.payload);
  if (!repo) return;
  const log = ctx.log.child({ delivery: ev.id, event: ev.name, repo: repoFullName(repo) });
  const scoped = { ...ctx, log };
  switch (ev.name) {
    case "push":
      return onPush(scoped, repo, ev);
    case "pull_request":
      return onPullRequest(scoped, repo, ev);
    case "issue_comment":
      if (ev.payload.action === "created" && /(^|\n)\s{0,3}\/tiphys\b/i.test(ev.payload.comment?.body ?? "")) await onCommentCommand(scoped, repo, ev);
      if (ev.payload.comment?.user?.type === "Bot" || !(await mayTrigger(scoped, repo, "issue_comment", ev.payload.action))) return;
      return onOtherEvent(scoped, repo, ev);
    case "check_run":
      if (ev.payload.action === "requested_action" && isAppCheckRun(ev.payload.check_run?.name)) return onAppCheckRunAction(scoped, repo, ev);
      if (ev.payload.action === "requested_action" && isRolloutCheckRun(ev.payload.check_run?.name)) return onRolloutCheckRunAction(scoped, repo, ev);
      if (ev.payload.action === "rerequested" || ev.payload.action === "requested_action") return rerunCheckRun(scoped, repo, ev);
      return;
    case "check_suite":
      if (ev.payload.action === "rerequested") return rerunCheckRun(scoped, repo, ev);
      return;
    default:
      return onOtherEvent(scoped, repo, ev);
  }
}
