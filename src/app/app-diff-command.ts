/**
 * `/tiphys diff <app> [--live]`. On a pull request: the app's preview comment rendered again now (even
 * when the PR does not touch the app), with `--live` its drift against the live cluster added. On an
 * issue: the app as the default branch defines it, at its targetRevision, against the live cluster.
 */
import { closestWord } from "../chatops/index.js";
import { inlineCode } from "../chatops/markdown-text.js";
import type { RepoRef } from "../core/ports/github.js";
import type { AuditEntry } from "../core/ports/store.js";
import { describeError, liveDrift } from "./app-drift.js";
import { renderDriftReply } from "./app-preview-body.js";
import { previewApps } from "./app-preview.js";
import { foreignSources } from "./app-preview-select.js";
import { GitHubCheckouts, loadRepoApps } from "./app-sources.js";
import { isApproved, isTrustedPullRequest } from "./approval.js";
import type { AppContext } from "./context.js";
import { repoFullName } from "../core/ports/github.js";

export interface DiffCommand {
  issue: number;
  isPullRequest: boolean;
  app: string;
  live: boolean;
}

export interface DiffOutcome {
  decision: AuditEntry["decision"];
  reply?: string;
  reason?: string;
  sha?: string;
}

/** "No application `gustbook` ... Did you mean `guestbook`?" */
function unknownApp(name: string, known: string[], where: string): DiffOutcome {
  const near = closestWord(name, known);
  const hint = near ? ` Did you mean ${inlineCode(near)}?` : "";
  const list = known.length > 0 ? ` Applications: ${known.map(inlineCode).join(", ")}.` : " It defines no Application in `.tiphys/`.";
  return { decision: "refused", reply: `${where} has no application ${inlineCode(name)}.${hint}${list}`, reason: "unknown application" };
}

async function diffOnPullRequest(ctx: AppContext, repo: RepoRef, cmd: DiffCommand): Promise<DiffOutcome> {
  const pr = await ctx.github.getPullRequest(repo, cmd.issue);
  const pull = {
    number: pr.number,
    head: { sha: pr.headSha, repo: { full_name: pr.headRepo } },
    base: { sha: pr.baseSha, repo: { full_name: repoFullName(repo) } },
    user: { login: pr.author },
  };
  // The head of an untrusted PR is rendered only once approved, whoever asks.
  const trusted = (await isTrustedPullRequest(ctx, repo, pull)) || (await isApproved(ctx, repo, pr.number, pr.headSha));
  const result = await previewApps(
    ctx,
    repo,
    { number: pr.number, baseSha: pr.baseSha, headSha: pr.headSha, headRef: pr.headRef, baseRef: pr.baseRef },
    { trusted, only: cmd.app, live: cmd.live },
  );
  if (result.unknown) return { ...unknownApp(cmd.app, result.known, "This pull request"), sha: pr.headSha };
  if (result.superseded) {
    return { decision: "done", reply: `The pull request moved on from \`${pr.headSha.slice(0, 7)}\` while ${inlineCode(cmd.app)} was rendered; the newer push's preview replaces it.`, sha: pr.headSha };
  }
  return { decision: "done", sha: pr.headSha };
}

async function diffOnIssue(ctx: AppContext, repo: RepoRef, cmd: DiffCommand): Promise<DiffOutcome> {
  const { defaultBranch } = await ctx.github.getRepo(repo);
  const sha = await ctx.github.getBranchSha(repo, defaultBranch);
  const defs = await loadRepoApps(ctx, repo, sha);
  if (defs.error) {
    return { decision: "failed", reply: `The Application documents of \`${defaultBranch}\` do not load:\n\n\`\`\`text\n${describeError(defs.error)}\n\`\`\``, reason: "invalid Application documents", sha };
  }
  const found = defs.apps.find((a) => a.app.metadata.name === cmd.app);
  if (!found) return { ...unknownApp(cmd.app, defs.apps.map((a) => a.app.metadata.name).sort(), `\`${defaultBranch}\``), sha };
  const foreign = foreignSources(found.app, repo);
  if (foreign.length > 0) {
    return {
      decision: "refused",
      reply: `The sources of ${inlineCode(cmd.app)} are not in ${inlineCode(repoFullName(repo))} (${foreign.map(inlineCode).join(", ")}): Tiphys renders only sources in the repository that defines the app.`,
      reason: "sources in another repository",
      sha,
    };
  }
  const view = await liveDrift(ctx, repo, found.app, new GitHubCheckouts(ctx, repo, ctx.renderCache));
  const parts = renderDriftReply(cmd.app, view, 60_000);
  const more = parts.length > 1 ? `\n\n_The drift is longer than one comment: ${parts.length - 1} more part(s) left out; \`tiphys diff\` from a terminal shows all of it._` : "";
  const title = `### Tiphys: application ${inlineCode(cmd.app)} as \`${defaultBranch}\` defines it`;
  return { decision: view.kind === "error" ? "failed" : "done", reply: `${title}\n\n${parts[0]}${more}`, ...(view.kind === "error" ? { reason: "live comparison failed" } : {}), sha };
}

export function diffAppCommand(ctx: AppContext, repo: RepoRef, cmd: DiffCommand): Promise<DiffOutcome> {
  return cmd.isPullRequest ? diffOnPullRequest(ctx, repo, cmd) : diffOnIssue(ctx, repo, cmd);
}
