import { sql, type Kysely } from "kysely";
import type { NodeStatus } from "../engine/model/types.js";
import type {
  AuditEntry,
  ClaimOptions,
  DeliveryInput,
  Job,
  JobInput,
  JobState,
  NodeLogChunk,
  NodeLogText,
  RunFilter,
  RunRow,
  Store,
} from "../core/ports/store.js";
import * as queue from "./job-queue.js";
import * as logs from "./node-logs.js";
import * as runs from "./run-table.js";
import { auditFromRow, fromJson, toJson } from "./rows.js";
import type { Database, DialectName } from "./schema.js";
import { affected, inWriteTransaction } from "./transactions.js";

async function insertDelivery(db: Kysely<Database>, d: DeliveryInput): Promise<boolean> {
  const result = await db
    .insertInto("deliveries")
    .values({
      id: d.id,
      event: d.event,
      action: d.action ?? null,
      installation_id: d.installationId ?? null,
      repo: d.repo ?? null,
      received_at: d.receivedAt.getTime(),
      state: "received",
      error: null,
      updated_at: d.receivedAt.getTime(),
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .executeTakeFirst();
  return affected(result) > 0;
}

const DEFAULT_AUDIT_LIMIT = 100;

/** The Store over one Kysely instance; `dialect` picks the few statements that differ (row locks, BEGIN). */
export class SqlStore implements Store {
  private readonly ctx: { db: Kysely<Database>; dialect: DialectName };

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: DialectName,
  ) {
    this.ctx = { db, dialect };
  }

  async acceptDelivery(d: DeliveryInput, job: JobInput): Promise<boolean> {
    return (await this.acceptDeliveries([{ delivery: d, job }]))[0];
  }

  async acceptDeliveries(items: Array<{ delivery: DeliveryInput; job: JobInput }>): Promise<boolean[]> {
    return inWriteTransaction(this.ctx.db, this.ctx.dialect, async (trx) => {
      const out: boolean[] = [];
      for (const { delivery, job } of items) {
        const fresh = await insertDelivery(trx, delivery);
        if (fresh) await queue.enqueueJob({ db: trx, dialect: this.ctx.dialect }, job);
        out.push(fresh);
      }
      return out;
    });
  }

  async recordDelivery(d: DeliveryInput): Promise<boolean> {
    return insertDelivery(this.db, d);
  }

  async markDelivery(id: string, state: "done" | "failed", error?: string): Promise<void> {
    await this.db
      .updateTable("deliveries")
      .set({ state, error: error ?? null, updated_at: Date.now() })
      .where("id", "=", id)
      .execute();
  }

  async hasDelivery(id: string): Promise<boolean> {
    const row = await this.db.selectFrom("deliveries").select("id").where("id", "=", id).executeTakeFirst();
    return row !== undefined;
  }

  enqueue(job: JobInput): Promise<string | undefined> {
    return queue.enqueueJob(this.ctx, job);
  }
  claimJobs(opts: ClaimOptions): Promise<Job[]> {
    return queue.claimJobs(this.ctx, opts);
  }
  completeJob(id: string, worker: string): Promise<void> {
    return queue.completeJob(this.ctx, id, worker);
  }
  failJob(id: string, worker: string, error: string, retryAt?: Date): Promise<void> {
    return queue.failJob(this.ctx, id, worker, error, retryAt);
  }
  countJobs(state?: JobState): Promise<number> {
    return queue.countJobs(this.ctx, state);
  }

  createRun(run: RunRow): Promise<void> {
    return runs.createRun(this.ctx, run);
  }
  updateRun(id: string, patch: Partial<Omit<RunRow, "id" | "createdAt">>): Promise<void> {
    return runs.updateRun(this.ctx, id, patch);
  }
  getRun(id: string): Promise<RunRow | undefined> {
    return runs.getRun(this.ctx, id);
  }
  findRuns(filter: RunFilter): Promise<RunRow[]> {
    return runs.findRuns(this.ctx, filter);
  }
  adoptRuns(worker: string, leaseMs: number, now?: Date): Promise<RunRow[]> {
    return runs.adoptRuns(this.ctx, worker, leaseMs, now);
  }
  renewRunLeases(worker: string, leaseMs: number, now?: Date): Promise<void> {
    return runs.renewRunLeases(this.ctx, worker, leaseMs, now);
  }
  saveNodes(runId: string, nodes: NodeStatus[]): Promise<void> {
    return runs.saveNodes(this.ctx, runId, nodes);
  }
  loadNodes(runId: string): Promise<Record<string, NodeStatus>> {
    return runs.loadNodes(this.ctx, runId);
  }
  replaceNodes(runId: string, nodes: NodeStatus[]): Promise<void> {
    return runs.replaceNodes(this.ctx, runId, nodes);
  }
  deleteRun(runId: string): Promise<void> {
    return runs.deleteRun(this.ctx, runId);
  }
  appendNodeLogs(runId: string, chunks: NodeLogChunk[], opts: { maxBytes?: number } = {}): Promise<void> {
    return logs.appendNodeLogs(this.ctx, runId, chunks, opts.maxBytes);
  }
  readNodeLog(runId: string, nodeId: string, opts: { tailBytes?: number } = {}): Promise<NodeLogText | undefined> {
    return logs.readNodeLog(this.ctx, runId, nodeId, opts.tailBytes);
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto("audit")
      .values({
        at: entry.at.getTime(),
        installation_id: entry.installationId ?? null,
        repo: entry.repo ?? null,
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        sha: entry.sha ?? null,
        decision: entry.decision,
        reason: entry.reason ?? null,
        details: entry.details === undefined ? null : toJson(entry.details),
      })
      .execute();
  }

  async listAudit(filter: { repo?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom("audit").selectAll();
    if (filter.repo !== undefined) query = query.where("repo", "=", filter.repo);
    const rows = await query
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(filter.limit ?? DEFAULT_AUDIT_LIMIT)
      .execute();
    return rows.map(auditFromRow);
  }

  /**
   * One upsert: insert when free; take over when expired; extend when the same owner holds it. When
   * someone else holds an unexpired lock the conditional update touches no row.
   */
  async tryLock(name: string, owner: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const nowMs = now.getTime();
    const result = await this.db
      .insertInto("locks")
      .values({ name, owner, expires_at: nowMs + ttlMs })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet((eb) => ({ owner: eb.ref("excluded.owner"), expires_at: eb.ref("excluded.expires_at") }))
          .where((eb) => eb.or([eb("locks.expires_at", "<=", nowMs), eb("locks.owner", "=", owner)])),
      )
      .executeTakeFirst();
    return affected(result) > 0;
  }

  async unlock(name: string, owner: string): Promise<void> {
    await this.db.deleteFrom("locks").where("name", "=", name).where("owner", "=", owner).execute();
  }

  async getValue<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
    const row = await this.db
      .selectFrom("kv")
      .select("value")
      .where("namespace", "=", namespace)
      .where("key", "=", key)
      .executeTakeFirst();
    return row ? fromJson<T>(row.value) : undefined;
  }

  async putValue(namespace: string, key: string, value: unknown): Promise<void> {
    await this.db
      .insertInto("kv")
      .values({ namespace, key, value: toJson(value), updated_at: Date.now() })
      .onConflict((oc) =>
        oc.columns(["namespace", "key"]).doUpdateSet((eb) => ({
          value: eb.ref("excluded.value"),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      )
      .execute();
  }

  async deleteValue(namespace: string, key: string): Promise<void> {
    await this.db.deleteFrom("kv").where("namespace", "=", namespace).where("key", "=", key).execute();
  }

  /**
   * Values of a namespace in key order. The prefix is compared with substr, not LIKE: LIKE would treat
   * `%` and `_` in keys as wildcards and is case-insensitive on SQLite. Both databases count characters
   * (code points), hence the spread.
   */
  async listValues<T = unknown>(namespace: string, prefix?: string): Promise<Array<{ key: string; value: T }>> {
    let query = this.db.selectFrom("kv").select(["key", "value"]).where("namespace", "=", namespace);
    if (prefix) {
      const length = [...prefix].length;
      query = query.where(sql<string>`substr(${sql.ref("key")}, 1, ${length})`, "=", prefix);
    }
    const rows = await query.orderBy("key").execute();
    return rows.map((r) => ({ key: r.key, value: fromJson<T>(r.value) }));
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
