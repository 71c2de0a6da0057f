import { appRegistry, authorize, isBotLogin, parseCommands, renderHelp, renderRefusal, type CommandRegistry, type ParsedCommand } from "../chatops/index.js";
import type { Reaction, RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AuditEntry } from "../core/ports/store.js";
import { ensureApprovalCheck, recordApproval } from "./approval.js";
import { diffAppCommand } from "./app-diff-command.js";
import type { AppContext } from "./context.js";
import { CANCEL_NS } from "./execute-run.js";
import { onPullRequest, type EventJob } from "./on-event.js";
import { requeueRun } from "./rerun.js";
import { APP_COMMANDS } from "./app-commands.js";
import { retryRolloutNamed, rolloutWhoMay, ROLLOUT_COMMANDS } from "./rollout-commands.js";

interface CommandContext {
  ctx: AppContext;
  repo: RepoRef;
  issue: number;
  isPullRequest: boolean;
  actor: string;
  commentId: number;
  payload: EventJob["payload"];
  /** The commenter's repository permission (read once per comment). */
  permission?: string;
}

type Outcome = { decision: AuditEntry["decision"]; reply?: string; reason?: string; sha?: string };
type VerbHandler = (c: CommandContext, cmd: ParsedCommand) => Promise<Outcome>;

const needsPullRequest = (c: CommandContext, verb: string): Outcome | undefined =>
  c.isPullRequest ? undefined : { decision: "refused", reply: `\`/tiphys ${verb}\` works on pull requests only.`, reason: "not a pull request" };

/** Approves a PR's head commit for untrusted code and starts its workflows from the base branch. */
export async function approveAndStart(ctx: AppContext, repo: RepoRef, number: number, actor: string, expectedSha?: string): Promise<string> {
  const pr = await ctx.github.getPullRequest(repo, number);
  if (expectedSha && pr.headSha !== expectedSha) return pr.headSha;
  await recordApproval(ctx, repo, number, pr.headSha, actor);
  const pull = {
    number,
    state: pr.state,
    head: { sha: pr.headSha, ref: pr.headRef, repo: { full_name: pr.headRepo } },
    base: { sha: pr.baseSha, ref: pr.baseRef, repo: { full_name: repoFullName(repo) } },
    user: { login: pr.author },
  };
  await ensureApprovalCheck(ctx, repo, pull, "approved", actor);
  const payload = { action: "synchronize", number, pull_request: pull, repository: { name: repo.name, owner: { login: repo.owner }, full_name: repoFullName(repo) }, installation: { id: repo.installationId }, sender: { login: actor } };
  await onPullRequest(ctx, repo, { id: `ok-to-test:${number}:${pr.headSha}`, name: "pull_request", payload }, { approvedSha: pr.headSha });
  return pr.headSha;
}

const HANDLERS: Record<string, VerbHandler> = {
  ...APP_COMMANDS,
  ...ROLLOUT_COMMANDS,
  async help(c, cmd) {
    return { decision: "done", reply: renderHelp(appRegistry(), cmd.target) };
  },
  async "ok-to-test"(c) {
    const refused = needsPullRequest(c, "ok-to-test");
    if (refused) return refused;
    const sha = await approveAndStart(c.ctx, c.repo, c.issue, c.actor);
    return { decision: "done", sha };
  },
  async retry(c, cmd) {
    // A Rollout of the repository by that name: its aborted release starts again (anywhere in the repo).
    const rollout = cmd.target ? await retryRolloutNamed(c, cmd.target) : undefined;
    if (rollout) return rollout;
    const refused = needsPullRequest(c, "retry");
    if (refused) return refused;
    const pr = await c.ctx.github.getPullRequest(c.repo, c.issue);
    const runs = await c.ctx.store.findRuns({ repo: repoFullName(c.repo), prNumber: c.issue, headSha: pr.headSha });
    const latest = new Map<string, (typeof runs)[number]>();
    for (const r of runs) if (!latest.has(r.workflowName)) latest.set(r.workflowName, r);
    const failed = [...latest.values()].filter((r) => (r.phase === "Failed" || r.phase === "Error") && (!cmd.target || r.workflowName === cmd.target));
    if (failed.length === 0) {
      const what = cmd.target ? `workflow \`${cmd.target}\`` : "any workflow";
      return { decision: "refused", reply: `Nothing to retry: no failed run of ${what} at \`${pr.headSha.slice(0, 7)}\`.`, reason: "nothing failed", sha: pr.headSha };
    }
    for (const r of failed) await requeueRun(c.ctx, r, { failedOnly: true, actor: c.actor });
    return { decision: "done", sha: pr.headSha };
  },
  async cancel(c, cmd) {
    const refused = needsPullRequest(c, "cancel");
    if (refused) return refused;
    const runs = await c.ctx.store.findRuns({ repo: repoFullName(c.repo), prNumber: c.issue, phases: ["Pending", "Running"] });
    const targets = runs.filter((r) => !cmd.target || r.workflowName === cmd.target);
    if (targets.length === 0) return { decision: "refused", reply: "Nothing to cancel: no run of this pull request is in progress.", reason: "nothing running" };
    for (const r of targets) await c.ctx.store.putValue(CANCEL_NS, r.id, { by: c.actor });
    return { decision: "done" };
  },
  async diff(c, cmd) {
    return diffAppCommand(c.ctx, c.repo, { issue: c.issue, isPullRequest: c.isPullRequest, app: cmd.target!, live: cmd.flags.live === true });
  },
};

async function react(c: CommandContext, reaction: Reaction): Promise<void> {
  try {
    await c.ctx.github.reactToComment(c.repo, c.commentId, reaction);
  } catch (err) {
    c.ctx.log.warn({ err }, "reacting to a comment failed");
  }
}

/** `/tiphys <verb>` lines of a new comment: each validated, authorised, acknowledged, done and audited. */
export async function onCommentCommand(ctx: AppContext, repo: RepoRef, ev: EventJob, registry: CommandRegistry = appRegistry()): Promise<void> {
  const p = ev.payload;
  const actor: string = p.comment?.user?.login ?? "";
  if (!actor || p.comment?.user?.type === "Bot" || isBotLogin(actor)) return;
  const parsed = parseCommands(p.comment.body ?? "", { takesValue: registry.flagTakesValue.bind(registry) });
  if (parsed.commands.length === 0 && parsed.problems.length === 0) return;
  const c: CommandContext = { ctx, repo, issue: p.issue.number, isPullRequest: !!p.issue.pull_request, actor, commentId: p.comment.id, payload: p };
  // The acknowledgement does not hold the commands up: GitHub's write pacing may delay it by a second.
  const seen = react(c, "eyes");
  const replies: string[] = parsed.problems.map((pr) => `Line ${pr.line}: ${pr.message}`);
  let anyRefused = parsed.problems.length > 0;
  let permission: string | undefined;
  for (const cmd of parsed.commands) {
    const checked = registry.validate(cmd);
    let outcome: Outcome;
    if (!checked.ok) outcome = { decision: "refused", reply: checked.message, reason: "invalid command" };
    else {
      permission ??= await ctx.github.getPermission(repo, actor);
      const auth = authorize({ spec: checked.command.spec, actor, actorPermission: permission, isBot: false });
      if (!auth.allowed) {
        // A Rollout verb: the refusal also says who may operate that Rollout (its promoters, the second-person rule).
        const rollout = (ROLLOUT_COMMANDS[cmd.verb] && cmd.verb !== "status") || cmd.verb === "retry" ? await rolloutWhoMay({ ctx, repo, actor }, cmd) : undefined;
        outcome = {
          decision: "refused",
          reply: renderRefusal({ verb: cmd.verb, actor, actorPermission: permission, required: auth.required, reason: rollout?.whoMay }),
          reason: auth.reason,
          ...(rollout ? { sha: rollout.sha } : {}),
        };
      } else {
        try {
          outcome = await HANDLERS[cmd.verb]({ ...c, permission }, cmd);
        } catch (err) {
          ctx.log.error({ err, verb: cmd.verb }, "command failed");
          outcome = { decision: "failed", reply: `\`/tiphys ${cmd.verb}\` failed: ${(err as Error).message}`, reason: (err as Error).message };
        }
      }
    }
    if (outcome.decision !== "done") anyRefused = true;
    if (outcome.reply) replies.push(outcome.reply);
    ctx.metrics.commands.inc({ verb: cmd.verb, decision: outcome.decision });
    await ctx.store.audit({
      at: ctx.now(),
      installationId: repo.installationId,
      repo: repoFullName(repo),
      actor,
      action: "command",
      target: [cmd.verb, cmd.target].filter(Boolean).join(" "),
      sha: outcome.sha,
      decision: outcome.decision,
      reason: outcome.reason,
      details: { raw: cmd.raw, comment: c.commentId },
    });
  }
  if (replies.length > 0) await ctx.github.createComment(repo, c.issue, replies.join("\n\n---\n\n"));
  await seen;
  await react(c, anyRefused ? "confused" : "rocket");
}
