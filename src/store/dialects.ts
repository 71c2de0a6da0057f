import SqliteDatabase from "better-sqlite3";
import { CompiledQuery, PostgresDialect, SqliteDialect, type Dialect } from "kysely";
import pg from "pg";
import { ConfigError } from "../core/errors.js";

/** The two drivers behind Kysely. This folder is the only place that imports them (lint rule). */

const INT8_OID = 20;
/** How long a SQLite writer waits for another connection's write lock before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** A SQLite database: a file path, or ":memory:". WAL so readers do not block the writer. */
export function createSqliteDialect(filename: string): Dialect {
  const database = new SqliteDatabase(filename);
  if (filename !== ":memory:") database.pragma("journal_mode = WAL");
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma("synchronous = NORMAL");
  return new SqliteDialect({ database: withStatementCache(database) });
}

/** Prepared statements kept per connection, by SQL text. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query again; the store sends the same few dozen SQL texts
 * over and over, so the connection keeps its prepared statements (least recently used dropped past
 * STATEMENT_CACHE_SIZE). Safe because the driver runs a statement to completion (`all`/`run`) before
 * the next one starts, and SQLite re-prepares a statement itself after a schema change.
 */
function withStatementCache(database: SqliteDatabase.Database): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

export interface PostgresDialectOptions {
  databaseUrl: string;
  /** Every connection's search_path: all tables live in this schema. */
  schema?: string;
  /** Connections in the pool. */
  poolSize?: number;
}

/** A PostgreSQL pool. bigint (int8) columns come back as numbers: every one of ours is an epoch ms or an id. */
export function createPostgresDialect(opts: PostgresDialectOptions): Dialect {
  const schema = opts.schema === undefined ? undefined : checkSchemaName(opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server emits "error" on the pool; without a listener Node would crash.
  // The next query fails on its own and reports through the caller.
  pool.on("error", () => {});
  return new PostgresDialect({
    pool,
    onCreateConnection: schema
      ? async (conn) => {
          await conn.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
        }
      : undefined,
  });
}

/** Schema names become identifiers in SQL text (search_path): allow plain ones only. */
export function checkSchemaName(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`invalid database schema name "${schema}": use letters, digits and underscores`);
  }
  return schema;
}

/** The URL with its password replaced, for messages and logs. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    // Not a URL we can parse: hide anything between "//user:" and "@".
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}
