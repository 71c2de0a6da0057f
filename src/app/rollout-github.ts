/**
 * A release's GitHub writes, each an "ensure": the pull requests that brought the deployed commit (and
 * their authors) looked up once; the check run created once and then updated only when its text
 * changed; the one comment found by its hidden marker, created or edited only when its text changed.
 * The ids and digests are kept on the release, so a restarted App writes nothing that is already there.
 */
import { createHash } from "node:crypto";
import { repoFullName, type CheckRunInput } from "../core/ports/github.js";
import type { AppContext } from "./context.js";
import { commentMarker, findMarked } from "./marked-comments.js";
import { commentKeyOf, rolloutCheckName, type RolloutRelease } from "./rollout-release.js";
import type { RolloutCheckOutput } from "./rollout-report.js";

const digest = (text: string) => createHash("sha1").update(text).digest("hex").slice(0, 16);

/** The pull requests of the deployed commit and the change's authors (a direct push: the pusher). */
export async function lookUpGitHubContext(ctx: AppContext, release: RolloutRelease): Promise<NonNullable<RolloutRelease["github"]>> {
  let pulls: Awaited<ReturnType<AppContext["github"]["listPullRequestsForCommit"]>> = [];
  try {
    pulls = await ctx.github.listPullRequestsForCommit(release.repo, release.sha);
  } catch (err) {
    ctx.log.warn({ err, sha: release.sha }, "listing the pull requests of the deployed commit failed; the release comments on the commit");
  }
  // The merged one brought the commit; an open one that contains it comes next.
  const ordered = [...pulls].sort((a, b) => Number(b.merged) - Number(a.merged));
  const authors = [...new Set(ordered.map((p) => p.author).filter(Boolean))];
  return { pullRequests: ordered.map((p) => p.number), authors: authors.length > 0 ? authors : release.pushedBy ? [release.pushedBy] : [] };
}

/** Creates the release's check run, or updates it when the output changed; returns the release as written. */
export async function ensureRolloutCheck(ctx: AppContext, release: RolloutRelease, out: RolloutCheckOutput): Promise<RolloutRelease> {
  const now = ctx.now().toISOString();
  const output = { title: out.title, summary: out.summary };
  const d = digest(JSON.stringify([out.status, out.conclusion, output, out.actions]));
  if (release.checkRunId !== undefined && release.written.check === d) return release;
  const input: Partial<CheckRunInput> = {
    status: out.status,
    ...(out.conclusion !== undefined ? { conclusion: out.conclusion, completedAt: now } : {}),
    output,
    actions: out.actions,
  };
  if (release.checkRunId !== undefined) {
    await ctx.github.updateCheckRun(release.repo, release.checkRunId, input);
    return { ...release, written: { ...release.written, check: d } };
  }
  const created = await ctx.github.createCheckRun(release.repo, {
    name: rolloutCheckName(release.ref.name),
    headSha: release.sha,
    externalId: `rollout:${release.ref.namespace}/${release.ref.name}`,
    startedAt: release.startedAt,
    ...(input as Omit<CheckRunInput, "name" | "headSha">),
  });
  return { ...release, checkRunId: created.id, checkRunUrl: created.htmlUrl ?? undefined, written: { ...release.written, check: d } };
}

/**
 * The release's one comment: on the pull request that brought the commit (the merged one first), else
 * on the commit itself. Found by its marker the first time, by its id after that.
 */
export async function ensureRolloutComment(ctx: AppContext, release: RolloutRelease, text: string): Promise<RolloutRelease> {
  const marker = commentMarker(commentKeyOf(release.ref));
  const body = `${marker}\n${text}`;
  const d = digest(body);
  if (release.written.comment === d) return release;
  const pr = release.github?.pullRequests[0];
  const slot = pr !== undefined ? String(pr) : "commit";
  let id: number | undefined = release.comments[slot];
  if (id === undefined) {
    const existing = pr !== undefined ? await ctx.github.listComments(release.repo, pr) : await ctx.github.listCommitComments(release.repo, release.sha);
    const found = findMarked(existing, marker);
    if (found && found.body === body) return { ...release, comments: { ...release.comments, [slot]: found.id }, written: { ...release.written, comment: d } };
    id = found?.id;
  }
  if (id !== undefined) {
    if (pr !== undefined) await ctx.github.updateComment(release.repo, id, body);
    else await ctx.github.updateCommitComment(release.repo, id, body);
  } else {
    id = (pr !== undefined ? await ctx.github.createComment(release.repo, pr, body) : await ctx.github.createCommitComment(release.repo, release.sha, body)).id;
  }
  return { ...release, comments: { ...release.comments, [slot]: id! }, written: { ...release.written, comment: d } };
}

/** A newer commit's release replaces this one at the same Rollout: its check run and comment say so. */
export async function supersedeRelease(ctx: AppContext, old: RolloutRelease, newer: string): Promise<void> {
  const line = `Superseded by the release of \`${newer.slice(0, 7)}\`.`;
  try {
    if (old.checkRunId !== undefined && !old.finished) {
      await ctx.github.updateCheckRun(old.repo, old.checkRunId, {
        status: "completed",
        conclusion: "neutral",
        completedAt: ctx.now().toISOString(),
        output: { title: `${old.ref.name}: superseded by ${newer.slice(0, 7)}`, summary: `${line} Its check run \`${rolloutCheckName(old.ref.name)}\` follows the Rollout from now on.` },
        actions: [],
      });
    }
    const slot = Object.keys(old.comments)[0];
    if (slot !== undefined && !old.finished) {
      const body = `${commentMarker(commentKeyOf(old.ref))}\n### ⏭️ Rollout \`${old.ref.name}\`: superseded\n\n${line}`;
      if (slot === "commit") await ctx.github.updateCommitComment(old.repo, old.comments[slot]!, body);
      else await ctx.github.updateComment(old.repo, old.comments[slot]!, body);
    }
  } catch (err) {
    ctx.log.warn({ err, repo: repoFullName(old.repo), rollout: old.ref.name }, "closing a superseded release's reports failed");
  }
}
