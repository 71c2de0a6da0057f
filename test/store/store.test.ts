import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ExternalError } from "../../src/core/errors.js";
import { maskDatabaseUrl, openMemoryStore, openStore } from "../../src/store/index.js";
import { makeRun, postgresBackend, sqliteBackend } from "./backends.js";
import { defineQueueSuite } from "./queue-suite.js";
import { defineStateSuite } from "./state-suite.js";

// The same behavioural tests against both backends. PostgreSQL needs a server: DATABASE_URL (each test
// works in a schema of its own and drops it).
const databaseUrl = process.env.DATABASE_URL;

describe("SQLite store (file)", () => {
  defineQueueSuite(sqliteBackend);
  defineStateSuite(sqliteBackend);
});

describe.skipIf(!databaseUrl)("PostgreSQL store", () => {
  const backend = postgresBackend(databaseUrl ?? "");
  defineQueueSuite(backend);
  defineStateSuite(backend);
});

describe("opening a store", () => {
  it("reports an unreachable PostgreSQL as an ExternalError naming it, without the password", async () => {
    const url = "postgres://tiphys:s3cret-pw@127.0.0.1:1/tiphys";
    const err = await openStore({ databaseUrl: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as ExternalError).system).toBe("database");
    expect((err as Error).message).toContain("127.0.0.1:1/tiphys");
    expect((err as Error).message).not.toContain("s3cret-pw");
  });

  it("masks the password of database URLs", () => {
    expect(maskDatabaseUrl("postgres://u:p%40ss@db.example:5432/app")).toBe("postgres://u:***@db.example:5432/app");
    expect(maskDatabaseUrl("postgres://db.example/app")).toBe("postgres://db.example/app");
  });

  it("refuses a schema name that is not a plain identifier", async () => {
    await expect(openStore({ databaseUrl: "postgres://127.0.0.1:1/x", schema: 'x"; drop' })).rejects.toBeInstanceOf(ConfigError);
  });

  it("reports a data folder it cannot use as an ExternalError naming the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tiphys-store-bad-"));
    try {
      const notADir = join(dir, "file");
      await writeFile(notADir, "");
      const err = await openStore({ dataDir: notADir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExternalError);
      expect((err as Error).message).toContain(join(notADir, "tiphys.db"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("creates the data folder and an in-memory store keeps nothing after close", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tiphys-store-new-"));
    try {
      const store = await openStore({ dataDir: join(dir, "nested", "data") });
      expect(await store.ping()).toBe(true);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const memory = await openMemoryStore();
    await memory.createRun(makeRun("m"));
    expect((await memory.getRun("m"))?.id).toBe("m");
    await memory.close();
    const fresh = await openMemoryStore();
    expect(await fresh.getRun("m")).toBeUndefined();
    await fresh.close();
  });
});
