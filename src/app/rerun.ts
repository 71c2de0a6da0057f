import { meetsPermission } from "../chatops/index.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { RunRow } from "../core/ports/store.js";
import type { NodeStatus } from "../engine/model/types.js";
import { APPROVAL_CHECK, APPROVE_ACTION } from "./approval.js";
import type { AppContext } from "./context.js";
import type { EventJob } from "./on-event.js";
import { workflowCheckName } from "./start-runs.js";

/** Argo's retry: keep Succeeded nodes (not exit handlers), run everything else again. */
export function nodesToKeep(row: RunRow, nodes: Record<string, NodeStatus>): NodeStatus[] {
  return Object.values(nodes).filter((n) => n.phase === "Succeeded" && !n.name.startsWith(`${row.id}.onExit`));
}

/**
 * Queues a finished run again with a new check run: `failedOnly` keeps its Succeeded nodes (Argo's
 * retry, `/tiphys retry`); otherwise every node runs again (GitHub's "Re-run").
 */
export async function requeueRun(ctx: AppContext, row: RunRow, opts: { failedOnly: boolean; actor: string }): Promise<void> {
  const repo: RepoRef = { owner: row.repo.split("/")[0], name: row.repo.split("/")[1], installationId: row.installationId };
  const keep = opts.failedOnly ? nodesToKeep(row, await ctx.store.loadNodes(row.id)) : [];
  await ctx.store.replaceNodes(row.id, keep);
  const attempt = Number(row.meta.attempt ?? 0) + 1;
  const check = await ctx.github.createCheckRun(repo, {
    name: workflowCheckName(row.workflowName),
    headSha: row.headSha,
    status: "queued",
    externalId: row.id,
    output: {
      title: "Queued",
      summary: `Run \`${row.id}\` is queued again by @${opts.actor} (${opts.failedOnly ? "failed nodes only" : "every node"}).`,
    },
  });
  await ctx.store.updateRun(row.id, { phase: "Pending", message: "", checkRunId: check.id, meta: { ...row.meta, attempt } });
  await ctx.store.enqueue({ kind: "run", key: `run:${row.id}:${attempt}`, installationId: row.installationId, repo: row.repo, payload: { runId: row.id } });
}

const FINISHED = new Set(["Succeeded", "Failed", "Error"]);

/** check_run.rerequested / requested_action, check_suite.rerequested. */
export async function rerunCheckRun(ctx: AppContext, repo: RepoRef, ev: EventJob): Promise<void> {
  const p = ev.payload;
  const actor: string = p.sender?.login ?? "unknown";
  if (ev.name === "check_run" && p.action === "requested_action") {
    const identifier = p.requested_action?.identifier;
    if (p.check_run?.name === APPROVAL_CHECK && identifier === APPROVE_ACTION) {
      // A button is authorised like a command: against the person who pressed it.
      const permission = await ctx.github.getPermission(repo, actor);
      const allowed = meetsPermission(permission, "write");
      await ctx.store.audit({
        at: ctx.now(),
        installationId: repo.installationId,
        repo: repoFullName(repo),
        actor,
        action: "button",
        target: "ok-to-test",
        sha: p.check_run.head_sha,
        decision: allowed ? "allowed" : "refused",
        reason: allowed ? undefined : `needs write permission; has ${permission}`,
      });
      ctx.metrics.commands.inc({ verb: "ok-to-test", decision: allowed ? "allowed" : "refused" });
      if (!allowed) return;
      const prNumber: number | undefined = p.check_run.pull_requests?.[0]?.number;
      if (prNumber === undefined) return;
      const { approveAndStart } = await import("./commands.js");
      await approveAndStart(ctx, repo, prNumber, actor, p.check_run.head_sha);
    }
    return;
  }
  if (ev.name === "check_run") {
    const runId: string | undefined = p.check_run?.external_id;
    if (!runId) return;
    const row = await ctx.store.getRun(runId);
    if (row && FINISHED.has(row.phase)) await requeueRun(ctx, row, { failedOnly: false, actor });
    return;
  }
  const sha: string | undefined = p.check_suite?.head_sha;
  if (!sha) return;
  const runs = await ctx.store.findRuns({ repo: repoFullName(repo), headSha: sha });
  const latest = new Map<string, RunRow>();
  for (const r of runs) if (!latest.has(r.workflowName)) latest.set(r.workflowName, r);
  for (const r of latest.values()) if (FINISHED.has(r.phase)) await requeueRun(ctx, r, { failedOnly: false, actor });
}

