import type { Kysely } from "kysely";
import { NODE_LOG_MAX_BYTES, type NodeLogChunk, type NodeLogText } from "../core/ports/store.js";
import type { Database, DialectName } from "./schema.js";
import { inWriteTransaction } from "./transactions.js";

/**
 * Node logs as chunks (one row per append), so an append costs one insert however long the log is.
 * Each node keeps about its last `maxBytes`: when an append takes it past that, whole chunks are
 * deleted from the start; a single chunk larger than the limit keeps its own end.
 */

export interface LogContext {
  db: Kysely<Database>;
  dialect: DialectName;
}

/** The last `maxBytes` of `text` in UTF-8, starting on a character boundary. */
export function utf8Tail(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= maxBytes) return text;
  let start = buf.length - maxBytes;
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString("utf8");
}

export async function appendNodeLogs(ctx: LogContext, runId: string, chunks: NodeLogChunk[], maxBytes = NODE_LOG_MAX_BYTES): Promise<void> {
  const byNode = new Map<string, string>();
  for (const c of chunks) if (c.text !== "") byNode.set(c.nodeId, (byNode.get(c.nodeId) ?? "") + c.text);
  if (byNode.size === 0) return;
  await inWriteTransaction(ctx.db, ctx.dialect, async (trx) => {
    for (const [nodeId, whole] of byNode) {
      const text = utf8Tail(whole, maxBytes);
      const bytes = Buffer.byteLength(text);
      const agg = await trx
        .selectFrom("node_logs")
        .select((eb) => [eb.fn.max("seq").as("last"), eb.fn.sum<number>("bytes").as("total")])
        .where("run_id", "=", runId)
        .where("node_id", "=", nodeId)
        .executeTakeFirst();
      const last = agg?.last === null || agg?.last === undefined ? 0 : Number(agg.last);
      const total = agg?.total === null || agg?.total === undefined ? 0 : Number(agg.total);
      await trx
        .insertInto("node_logs")
        .values({ run_id: runId, node_id: nodeId, seq: last + 1, text, bytes, cut: text === whole ? 0 : 1 })
        .execute();
      if (total + bytes <= maxBytes) continue;
      // Over the limit: drop the oldest chunks until what is left fits (the new one always stays).
      const rows = await trx
        .selectFrom("node_logs")
        .select(["seq", "bytes"])
        .where("run_id", "=", runId)
        .where("node_id", "=", nodeId)
        .where("seq", "<=", last)
        .orderBy("seq")
        .execute();
      let left = total + bytes;
      let upTo = 0;
      for (const r of rows) {
        if (left <= maxBytes) break;
        left -= Number(r.bytes);
        upTo = Number(r.seq);
      }
      if (upTo > 0) await trx.deleteFrom("node_logs").where("run_id", "=", runId).where("node_id", "=", nodeId).where("seq", "<=", upTo).execute();
    }
  });
}

export async function readNodeLog(ctx: LogContext, runId: string, nodeId: string, tailBytes?: number): Promise<NodeLogText | undefined> {
  const sizes = await ctx.db
    .selectFrom("node_logs")
    .select(["seq", "bytes", "cut"])
    .where("run_id", "=", runId)
    .where("node_id", "=", nodeId)
    .orderBy("seq", "desc")
    .execute();
  if (sizes.length === 0) return undefined;
  // The newest chunks that cover the tail asked for (all of them without one).
  let from = sizes[sizes.length - 1];
  if (tailBytes !== undefined) {
    let sum = 0;
    for (const r of sizes) {
      from = r;
      sum += Number(r.bytes);
      if (sum >= tailBytes) break;
    }
  }
  const rows = await ctx.db
    .selectFrom("node_logs")
    .select("text")
    .where("run_id", "=", runId)
    .where("node_id", "=", nodeId)
    .where("seq", ">=", Number(from.seq))
    .orderBy("seq")
    .execute();
  const joined = rows.map((r) => r.text).join("");
  const text = tailBytes === undefined ? joined : utf8Tail(joined, tailBytes);
  return { text, truncated: Number(from.seq) > 1 || Number(from.cut) === 1 || text !== joined };
}

export async function deleteRunLogs(trx: Kysely<Database>, runId: string): Promise<void> {
  await trx.deleteFrom("node_logs").where("run_id", "=", runId).execute();
}
