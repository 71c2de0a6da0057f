import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Kysely, sql, type Dialect } from "kysely";
import type { Store } from "../core/ports/store.js";
import { ExternalError } from "../core/errors.js";
import { checkSchemaName, createPostgresDialect, createSqliteDialect, maskDatabaseUrl } from "./dialects.js";
import { migrateToLatest } from "./migrations.js";
import type { Database, DialectName } from "./schema.js";
import { SqlStore } from "./sql-store.js";

export { maskDatabaseUrl } from "./dialects.js";
export { SqlStore } from "./sql-store.js";

export interface OpenStoreOptions {
  /** postgres://user:password@host:port/db: PostgreSQL (several replicas). Without it, SQLite in dataDir. */
  databaseUrl?: string;
  /** Folder of the SQLite file `tiphys.db` (created if missing). Default: `.tiphys-data`. */
  dataDir?: string;
  /**
   * PostgreSQL only: the schema that holds Tiphys's tables (created if missing; every connection's
   * search_path). Lets Tiphys share a database with other tenants, and tests run in isolation.
   */
  schema?: string;
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
}

export const SQLITE_FILE_NAME = "tiphys.db";
const DEFAULT_DATA_DIR = ".tiphys-data";

/** Opens (and migrates) the store: PostgreSQL when a database URL is given, else a SQLite file. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl) {
    const where = `PostgreSQL at ${maskDatabaseUrl(opts.databaseUrl)}${opts.schema ? ` (schema ${opts.schema})` : ""}`;
    const schema = opts.schema === undefined ? undefined : checkSchemaName(opts.schema);
    return open(
      () => createPostgresDialect({ databaseUrl: opts.databaseUrl!, schema, poolSize: opts.poolSize }),
      "postgres",
      where,
      schema,
    );
  }
  const dir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const file = join(dir, SQLITE_FILE_NAME);
  return open(
    () => {
      mkdirSync(dir, { recursive: true });
      return createSqliteDialect(file);
    },
    "sqlite",
    `SQLite database ${file}`,
  );
}

/** A SQLite store in memory: for tests and one-shot local runs (nothing survives close). */
export async function openMemoryStore(): Promise<Store> {
  return open(() => createSqliteDialect(":memory:"), "sqlite", "in-memory SQLite database");
}

/**
 * Drops a PostgreSQL schema and everything in it. For tests that isolate themselves in a schema of their
 * own, and for uninstalling; never called by the App itself.
 */
export async function dropPostgresSchema(opts: { databaseUrl: string; schema: string }): Promise<void> {
  const schema = checkSchemaName(opts.schema);
  const db = new Kysely<Database>({ dialect: createPostgresDialect({ databaseUrl: opts.databaseUrl, poolSize: 1 }) });
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
  } catch (err) {
    throw new ExternalError(`cannot drop schema ${schema} of PostgreSQL at ${maskDatabaseUrl(opts.databaseUrl)}: ${message(err)}`, "database", {
      cause: err,
    });
  } finally {
    await db.destroy();
  }
}

/** Connects, creates the schema if asked for, migrates; any failure is an ExternalError naming the database. */
async function open(makeDialect: () => Dialect, dialect: DialectName, where: string, schema?: string): Promise<Store> {
  let db: Kysely<Database> | undefined;
  try {
    db = new Kysely<Database>({ dialect: makeDialect() });
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    else await sql`select 1`.execute(db);
  } catch (err) {
    await db?.destroy().catch(() => {});
    throw new ExternalError(`cannot open the ${where}: ${message(err)}`, "database", { cause: err });
  }
  try {
    await migrateToLatest(db, dialect, schema);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw new ExternalError(`cannot migrate the ${where}: ${message(err)}`, "database", { cause: err });
  }
  return new SqlStore(db, dialect);
}

function message(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(message).join("; ");
  return err instanceof Error ? err.message || err.name : String(err);
}
