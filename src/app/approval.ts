import { meetsPermission } from "../chatops/index.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AppContext } from "./context.js";

export const APPROVAL_CHECK = "tiphys/approval";
export const APPROVE_ACTION = "ok-to-test";
const NS = "approval";

interface PullLike {
  number: number;
  head: { sha: string; repo?: { full_name?: string } | null };
  base: { sha: string; repo?: { full_name?: string } | null };
  user?: { login?: string } | null;
}

const approvalKey = (repo: RepoRef, pr: number) => `${repoFullName(repo)}#${pr}`;

/** A PR is trusted when it comes from this repository and its author can write to it. */
export async function isTrustedPullRequest(ctx: AppContext, repo: RepoRef, pr: PullLike): Promise<boolean> {
  const head = pr.head.repo?.full_name;
  if (!head || head !== (pr.base.repo?.full_name ?? repoFullName(repo))) return false;
  const author = pr.user?.login;
  if (!author) return false;
  return meetsPermission(await ctx.github.getPermission(repo, author), "write");
}

/** Approval binds to one head commit: a new push needs a new approval. */
export async function isApproved(ctx: AppContext, repo: RepoRef, pr: number, sha: string): Promise<boolean> {
  const v = await ctx.store.getValue<{ sha: string }>(NS, approvalKey(repo, pr));
  return v?.sha === sha;
}

export async function recordApproval(ctx: AppContext, repo: RepoRef, pr: number, sha: string, actor: string): Promise<void> {
  await ctx.store.putValue(NS, approvalKey(repo, pr), { sha, by: actor, at: ctx.now().toISOString() });
}

/** The `tiphys/approval` check run of the PR's head: waiting (with an Approve button) or approved. */
export async function ensureApprovalCheck(ctx: AppContext, repo: RepoRef, pr: PullLike, state: "waiting" | "approved", actor?: string): Promise<void> {
  const sha = pr.head.sha;
  const existing = (await ctx.github.findCheckRuns(repo, sha, APPROVAL_CHECK))[0];
  const input =
    state === "waiting"
      ? {
          status: "completed" as const,
          conclusion: "action_required" as const,
          completedAt: ctx.now().toISOString(),
          output: {
            title: "waiting for /tiphys ok-to-test",
            summary:
              `This pull request comes from a fork or from an author without write access, so Tiphys runs nothing until ` +
              `someone with write access approves commit \`${sha.slice(0, 7)}\`: press **Approve** or comment \`/tiphys ok-to-test\`. ` +
              `A new push needs a new approval, and the workflows run from the base branch's \`.tiphys/\`, not from this pull request.`,
          },
          actions: [{ label: "Approve", description: "Run this commit's workflows", identifier: APPROVE_ACTION }],
        }
      : {
          status: "completed" as const,
          conclusion: "success" as const,
          completedAt: ctx.now().toISOString(),
          output: { title: `approved by @${actor}`, summary: `@${actor} approved running the workflows at \`${sha.slice(0, 7)}\`.` },
          actions: [],
        };
  if (existing) await ctx.github.updateCheckRun(repo, existing.id, input);
  else await ctx.github.createCheckRun(repo, { name: APPROVAL_CHECK, headSha: sha, ...input });
}
