import { randomUUID } from "node:crypto";
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { ClaimOptions, Job, JobInput, JobState } from "../core/ports/store.js";
import { jobFromRow, toJson } from "./rows.js";
import type { Database, DialectName } from "./schema.js";
import { affected, inWriteTransaction } from "./transactions.js";

/**
 * The job queue: a table of jobs claimed with leases. On PostgreSQL the claimed rows are locked with
 * SELECT ... FOR UPDATE SKIP LOCKED so that replicas claiming at once never get the same job and do not
 * wait for each other; on SQLite the claim runs in a BEGIN IMMEDIATE transaction (one writer at a time).
 */

export interface QueueContext {
  db: Kysely<Database>;
  dialect: DialectName;
}

/** Any PostgreSQL advisory-lock key will do, as long as nothing else in the database uses it. */
const FAIR_SHARE_LOCK_KEY = 7_140_001;

export async function enqueueJob(ctx: QueueContext, job: JobInput, now = new Date()): Promise<string | undefined> {
  const id = randomUUID();
  const result = await ctx.db
    .insertInto("jobs")
    .values({
      id,
      kind: job.kind,
      key: job.key ?? null,
      installation_id: job.installationId,
      repo: job.repo ?? null,
      payload: toJson(job.payload),
      run_at: (job.runAt ?? now).getTime(),
      delivery_id: job.deliveryId ?? null,
      state: "queued",
      attempts: 0,
      locked_by: null,
      locked_until: null,
      error: null,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return affected(result) > 0 ? id : undefined;
}

/** Queued and due, or running with a lease that ran out (its replica died). */
function isClaimable(nowMs: number, kinds?: string[]) {
  return (eb: ExpressionBuilder<Database, "jobs">) => {
    const due = eb.or([
      eb.and([eb("state", "=", "queued"), eb("run_at", "<=", nowMs)]),
      eb.and([eb("state", "=", "running"), eb("locked_until", "<", nowMs)]),
    ]);
    return kinds && kinds.length > 0 ? eb.and([due, eb("kind", "in", kinds)]) : due;
  };
}

export async function claimJobs(ctx: QueueContext, opts: ClaimOptions): Promise<Job[]> {
  if (opts.limit <= 0) return [];
  const nowMs = (opts.now ?? new Date()).getTime();
  return inWriteTransaction(ctx.db, ctx.dialect, async (trx) => {
    const ids =
      opts.perInstallationLimit === undefined
        ? await lockDue(trx, ctx.dialect, nowMs, opts.limit, opts.kinds)
        : await lockFairShare(trx, ctx.dialect, nowMs, opts.limit, opts.perInstallationLimit, opts.kinds);
    if (ids.length === 0) return [];
    const rows = await trx
      .updateTable("jobs")
      .set((eb) => ({
        state: "running",
        attempts: eb("attempts", "+", 1),
        locked_by: opts.worker,
        locked_until: nowMs + opts.leaseMs,
        updated_at: nowMs,
      }))
      .where("id", "in", ids)
      .returningAll()
      .execute();
    return rows.map(jobFromRow).sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id.localeCompare(b.id));
  });
}

/** The `limit` oldest claimable jobs that no other transaction holds, locked. */
async function lockDue(trx: Kysely<Database>, dialect: DialectName, nowMs: number, limit: number, kinds?: string[]): Promise<string[]> {
  let query = trx
    .selectFrom("jobs")
    .select("id")
    .where(isClaimable(nowMs, kinds))
    .orderBy("run_at")
    .orderBy("id")
    .limit(limit);
  if (dialect === "postgres") query = query.forUpdate().skipLocked();
  return (await query.execute()).map((r) => r.id);
}

/**
 * Like lockDue, but an installation gets at most `perInstallation` running jobs (counting only unexpired
 * leases). Each installation's earliest jobs are ranked by a window function so that one installation's
 * backlog cannot fill the page and starve the others. On PostgreSQL the running counts are only right if
 * no other claimer commits in between, so fair-share claims take a transaction-scoped advisory lock
 * (claims are short); claims without a fair share still only skip each other's locked rows.
 */
async function lockFairShare(
  trx: Kysely<Database>,
  dialect: DialectName,
  nowMs: number,
  limit: number,
  perInstallation: number,
  kinds?: string[],
): Promise<string[]> {
  if (perInstallation <= 0) return [];
  if (dialect === "postgres") await sql`select pg_advisory_xact_lock(${sql.lit(FAIR_SHARE_LOCK_KEY)})`.execute(trx);

  const running = await trx
    .selectFrom("jobs")
    .select((eb) => ["installation_id", eb.fn.countAll<number>().as("n")])
    .where("state", "=", "running")
    .where("locked_until", ">=", nowMs)
    .$if(!!kinds?.length, (q) => q.where("kind", "in", kinds!))
    .groupBy("installation_id")
    .execute();
  const busy = new Map(running.map((r) => [Number(r.installation_id), Number(r.n)]));

  const ranked = trx
    .selectFrom("jobs")
    .select([
      "id",
      "installation_id",
      "run_at",
      sql<number>`row_number() over (partition by installation_id order by run_at, id)`.as("rn"),
    ])
    .where(isClaimable(nowMs, kinds));
  const candidates = await trx
    .selectFrom(ranked.as("c"))
    .select(["id", "installation_id", "rn"])
    .where("rn", "<=", perInstallation)
    .orderBy("run_at")
    .orderBy("id")
    .execute();

  const chosen: string[] = [];
  for (const c of candidates) {
    if (chosen.length >= limit) break;
    const budget = perInstallation - (busy.get(Number(c.installation_id)) ?? 0);
    if (Number(c.rn) <= budget) chosen.push(c.id);
  }
  if (chosen.length === 0 || dialect !== "postgres") return chosen;
  // Lock them, re-checking that they are still claimable (a claimer without fair share may have won).
  const locked = await trx
    .selectFrom("jobs")
    .select("id")
    .where("id", "in", chosen)
    .where(isClaimable(nowMs, kinds))
    .forUpdate()
    .skipLocked()
    .execute();
  return locked.map((r) => r.id);
}

export async function completeJob(ctx: QueueContext, id: string, worker: string, now = new Date()): Promise<void> {
  await ctx.db
    .updateTable("jobs")
    .set({ state: "done", locked_until: null, updated_at: now.getTime() })
    .where("id", "=", id)
    .where("locked_by", "=", worker)
    .where("state", "=", "running")
    .execute();
}

export async function failJob(
  ctx: QueueContext,
  id: string,
  worker: string,
  error: string,
  retryAt?: Date,
  now = new Date(),
): Promise<void> {
  const retry = retryAt
    ? { state: "queued", run_at: retryAt.getTime(), locked_by: null }
    : { state: "failed" };
  await ctx.db
    .updateTable("jobs")
    .set({ ...retry, error, locked_until: null, updated_at: now.getTime() })
    .where("id", "=", id)
    .where("locked_by", "=", worker)
    .where("state", "=", "running")
    .execute();
}

export async function countJobs(ctx: QueueContext, state?: JobState): Promise<number> {
  let query = ctx.db.selectFrom("jobs").select((eb) => eb.fn.countAll<number>().as("n"));
  if (state) query = query.where("state", "=", state);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}
