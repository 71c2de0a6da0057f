import type { Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
import type { DialectName } from "./schema.js";

/**
 * The schema, as migrations defined in code (no files to ship next to dist/). Written with Kysely's
 * schema builder and portable column types so one list serves SQLite and PostgreSQL; the only
 * dialect-specific column is the audit log's generated id. Never edit a released migration: add one.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's Database type */
type AnyDb = Kysely<any>;

function initial(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("action", "text")
        .addColumn("installation_id", "bigint")
        .addColumn("repo", "text")
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("error", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.unique())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("repo", "text")
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("run_at", "bigint", (c) => c.notNull())
        .addColumn("delivery_id", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("locked_by", "text")
        .addColumn("locked_until", "bigint")
        .addColumn("error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("jobs_state_run_at").on("jobs").columns(["state", "run_at"]).execute();

      await db.schema
        .createTable("runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("workflow_name", "text", (c) => c.notNull())
        .addColumn("head_sha", "text", (c) => c.notNull())
        .addColumn("ref", "text")
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("pr_number", "integer")
        .addColumn("check_run_id", "bigint")
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("workflow", "text", (c) => c.notNull())
        .addColumn("meta", "text", (c) => c.notNull())
        .addColumn("owner_id", "text")
        .addColumn("lease_until", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("finished_at", "bigint")
        .execute();
      await db.schema.createIndex("runs_repo_workflow").on("runs").columns(["repo", "workflow_name"]).execute();
      await db.schema.createIndex("runs_head_sha").on("runs").column("head_sha").execute();
      await db.schema.createIndex("runs_phase").on("runs").column("phase").execute();
      await db.schema.createIndex("runs_created_at").on("runs").column("created_at").execute();

      await db.schema
        .createTable("run_nodes")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("node_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_nodes_pk", ["run_id", "node_id"])
        .execute();

      await db.schema
        .createTable("audit")
        .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("installation_id", "bigint")
        .addColumn("repo", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target", "text")
        .addColumn("sha", "text")
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("details", "text")
        .execute();
      await db.schema.createIndex("audit_repo_at").on("audit").columns(["repo", "at"]).execute();

      await db.schema
        .createTable("locks")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("kv")
        .addColumn("namespace", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("kv_pk", ["namespace", "key"])
        .execute();
    },
    async down(db: AnyDb) {
      for (const table of ["kv", "locks", "audit", "run_nodes", "runs", "jobs", "deliveries"]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

/** Node logs in the store, so any replica can render a run's log tails. */
const nodeLogs: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable("node_logs")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("node_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("text", "text", (c) => c.notNull())
      .addColumn("bytes", "integer", (c) => c.notNull())
      .addColumn("cut", "integer", (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint("node_logs_pk", ["run_id", "node_id", "seq"])
      .execute();
  },
  async down(db: AnyDb) {
    await db.schema.dropTable("node_logs").ifExists().execute();
  },
};

export function createMigrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      return { "0001_initial": initial(dialect), "0002_node_logs": nodeLogs };
    },
  };
}

/** Brings the schema to the latest version; a no-op when it is there already. Throws the first failure. */
export async function migrateToLatest(db: AnyDb, dialect: DialectName, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: createMigrationProvider(dialect),
    migrationTableName: "tiphys_migrations",
    migrationLockTableName: "tiphys_migrations_lock",
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
