import { sql, type Kysely } from "kysely";
import type { Database, DialectName } from "./schema.js";

/**
 * Runs `fn` in a transaction that writes. On SQLite it starts with BEGIN IMMEDIATE, taking the write lock
 * up front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY without waiting
 * when another connection wrote in between. Kysely serialises the single SQLite connection, so this also
 * orders the transactions of one process. On PostgreSQL it is an ordinary (read committed) transaction;
 * callers lock the rows they claim.
 */
export async function inWriteTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (dialect === "postgres") return db.transaction().execute(fn);
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {
        // The failure that got us here is the one to report; SQLite may already have rolled back.
      });
      throw err;
    }
  });
}

/** Rows written per statement when inserting many: well under both databases' bound-parameter limits. */
export const BATCH_ROWS = 500;

export function chunk<T>(items: readonly T[], size: number = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Affected-row count of an insert/update/delete result, as a number. */
export function affected(result: { numInsertedOrUpdatedRows?: bigint; numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numInsertedOrUpdatedRows ?? result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
