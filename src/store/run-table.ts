import type { Kysely } from "kysely";
import type { NodeStatus } from "../engine/model/types.js";
import type { RunFilter, RunPhase, RunRow } from "../core/ports/store.js";
import { fromJson, runFromRow, runPatchToColumns, runToRow, toJson } from "./rows.js";
import type { Database, DialectName } from "./schema.js";
import { deleteRunLogs } from "./node-logs.js";
import { chunk, inWriteTransaction } from "./transactions.js";

/** Workflow runs and their node states. */

export interface RunContext {
  db: Kysely<Database>;
  dialect: DialectName;
}

/** Phases of a run that is not finished: someone must own it and drive it on. */
const UNFINISHED: RunPhase[] = ["Pending", "Running"];
const DEFAULT_FIND_LIMIT = 100;

export async function createRun(ctx: RunContext, run: RunRow): Promise<void> {
  await ctx.db.insertInto("runs").values(runToRow(run)).execute();
}

export async function updateRun(ctx: RunContext, id: string, patch: Parameters<typeof runPatchToColumns>[0]): Promise<void> {
  const cols = runPatchToColumns(patch);
  if (Object.keys(cols).length === 0) return;
  await ctx.db.updateTable("runs").set(cols).where("id", "=", id).execute();
}

export async function getRun(ctx: RunContext, id: string): Promise<RunRow | undefined> {
  const row = await ctx.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? runFromRow(row) : undefined;
}

/** Runs matching every given filter, newest first. */
export async function findRuns(ctx: RunContext, filter: RunFilter): Promise<RunRow[]> {
  if (filter.phases && filter.phases.length === 0) return [];
  let query = ctx.db.selectFrom("runs").selectAll();
  if (filter.repo !== undefined) query = query.where("repo", "=", filter.repo);
  if (filter.workflowName !== undefined) query = query.where("workflow_name", "=", filter.workflowName);
  if (filter.prNumber !== undefined) query = query.where("pr_number", "=", filter.prNumber);
  if (filter.headSha !== undefined) query = query.where("head_sha", "=", filter.headSha);
  if (filter.installationId !== undefined) query = query.where("installation_id", "=", filter.installationId);
  if (filter.phases) query = query.where("phase", "in", filter.phases);
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit ?? DEFAULT_FIND_LIMIT)
    .execute();
  return rows.map(runFromRow);
}

/**
 * One UPDATE ... RETURNING: atomic on both databases. On PostgreSQL a second replica updating the same
 * row waits for the first, then re-checks the WHERE against the new lease and skips the row.
 */
export async function adoptRuns(ctx: RunContext, worker: string, leaseMs: number, now = new Date()): Promise<RunRow[]> {
  const nowMs = now.getTime();
  const rows = await ctx.db
    .updateTable("runs")
    .set({ owner_id: worker, lease_until: nowMs + leaseMs })
    .where("phase", "in", UNFINISHED)
    .where((eb) => eb.or([eb("owner_id", "is", null), eb("lease_until", "is", null), eb("lease_until", "<", nowMs)]))
    .returningAll()
    .execute();
  return rows.map(runFromRow).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

export async function renewRunLeases(ctx: RunContext, worker: string, leaseMs: number, now = new Date()): Promise<void> {
  await ctx.db
    .updateTable("runs")
    .set({ lease_until: now.getTime() + leaseMs })
    .where("owner_id", "=", worker)
    .where("phase", "in", UNFINISHED)
    .execute();
}

/** Upserts node states in batches of one statement each, all in one transaction. */
export async function saveNodes(ctx: RunContext, runId: string, nodes: NodeStatus[]): Promise<void> {
  if (nodes.length === 0) return;
  await inWriteTransaction(ctx.db, ctx.dialect, (trx) => upsertNodes(trx, runId, nodes));
}

async function upsertNodes(trx: Kysely<Database>, runId: string, nodes: NodeStatus[]): Promise<void> {
  // The last state of a node wins when the same id appears twice (one statement may not upsert a key twice).
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const batch of chunk([...byId.values()])) {
    await trx
      .insertInto("run_nodes")
      .values(batch.map((n) => ({ run_id: runId, node_id: n.id, status: toJson(n) })))
      .onConflict((oc) => oc.columns(["run_id", "node_id"]).doUpdateSet((eb) => ({ status: eb.ref("excluded.status") })))
      .execute();
  }
}

export async function loadNodes(ctx: RunContext, runId: string): Promise<Record<string, NodeStatus>> {
  const rows = await ctx.db
    .selectFrom("run_nodes")
    .select(["node_id", "status"])
    .where("run_id", "=", runId)
    .orderBy("node_id")
    .execute();
  const out: Record<string, NodeStatus> = {};
  for (const r of rows) out[r.node_id] = fromJson<NodeStatus>(r.status);
  return out;
}

export async function replaceNodes(ctx: RunContext, runId: string, nodes: NodeStatus[]): Promise<void> {
  await inWriteTransaction(ctx.db, ctx.dialect, async (trx) => {
    await trx.deleteFrom("run_nodes").where("run_id", "=", runId).execute();
    if (nodes.length > 0) await upsertNodes(trx, runId, nodes);
  });
}

/** Removes a run, its node states and its logs (history limits). */
export async function deleteRun(ctx: RunContext, runId: string): Promise<void> {
  await inWriteTransaction(ctx.db, ctx.dialect, async (trx) => {
    await trx.deleteFrom("run_nodes").where("run_id", "=", runId).execute();
    await deleteRunLogs(trx, runId);
    await trx.deleteFrom("runs").where("id", "=", runId).execute();
  });
}
