import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { TriggerEvent } from "../triggers/index.js";
import { ensureApprovalCheck, isApproved, isTrustedPullRequest } from "./approval.js";
import { onCommentCommand } from "./commands.js";
import { repoOf, type AppContext } from "./context.js";
import { CANCEL_NS } from "./execute-run.js";
import { rerunCheckRun } from "./rerun.js";
import { recordCronConfig } from "./scheduler.js";
import { startRunsForEvent } from "./start-runs.js";

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
  let changedFiles: string[] | undefined;
  if (p.before && !ZERO_SHA.test(p.before)) {
    try {
      changedFiles = await ctx.github.compareFiles(repo, p.before, p.after);
    } catch (err) {
      ctx.log.warn({ err }, "listing changed files failed; path filters pass");
    }
  }
  const event: TriggerEvent = { name: "push", payload: p, deliveryId: ev.id, changedFiles, time: ctx.now() };
  const result = await startRunsForEvent(ctx, { repo, sha: p.after, configSha: p.after, event });
  // CronWorkflows run from the default branch: a push there is what (re)defines the schedules.
  const defaultBranch = p.repository?.default_branch ?? p.repository?.master_branch;
  if (defaultBranch && p.ref === `refs/heads/${defaultBranch}` && result.docs) await recordCronConfig(ctx, repo, p.after, result.docs);
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
  if (!pr || !PR_ACTIONS.has(p.action)) return;
  const headSha: string = pr.head.sha;
  let configSha = headSha;
  const trusted = await isTrustedPullRequest(ctx, repo, pr);
  if (!trusted) {
    // Untrusted code runs nothing until someone with write access approves this exact commit, and
    // even then the workflows come from the base branch, not from the PR.
    if (opts.approvedSha !== headSha && !(await isApproved(ctx, repo, pr.number, headSha))) {
      await ensureApprovalCheck(ctx, repo, pr, "waiting");
      return;
    }
    configSha = pr.base.sha;
  }
  let changedFiles: string[] | undefined;
  try {
    changedFiles = await ctx.github.pullRequestFiles(repo, pr.number);
  } catch (err) {
    ctx.log.warn({ err }, "listing the pull request's files failed; path filters pass");
  }
  const event: TriggerEvent = { name: "pull_request", action: p.action, payload: p, deliveryId: ev.id, changedFiles, time: ctx.now() };
  const result = await startRunsForEvent(ctx, { repo, sha: headSha, configSha, event, prNumber: pr.number });
  if (p.action === "synchronize") await cancelSuperseded(ctx, repo, pr.number, headSha, new Set(result.runs.map((r) => r.workflowName)));
}

/** Dispatches one queued webhook to its use-case. */
export async function processEvent(ctx: AppContext, ev: EventJob): Promise<void> {
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
      if (ev.payload.action === "created") return onCommentCommand(scoped, repo, ev);
      return;
    case "check_run":
      if (ev.payload.action === "rerequested" || ev.payload.action === "requested_action") return rerunCheckRun(scoped, repo, ev);
      return;
    case "check_suite":
      if (ev.payload.action === "rerequested") return rerunCheckRun(scoped, repo, ev);
      return;
    default:
      return;
  }
}
