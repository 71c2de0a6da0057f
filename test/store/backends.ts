import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRow, Store } from "../../src/core/ports/store.js";
import type { NodeStatus, WorkflowManifest } from "../../src/engine/model/types.js";
import { dropPostgresSchema, openStore } from "../../src/store/index.js";

/** One database the test may open several stores on (reopen, two replicas); disposed after the test. */
export interface StoreLocation {
  open(): Promise<Store>;
  dispose(): Promise<void>;
  /** The SQLite data folder, for file checks. */
  dataDir?: string;
}

export interface Backend {
  name: string;
  /**
   * Whether two open stores on one database may claim at the same time. PostgreSQL: yes (replicas).
   * SQLite serves one process: better-sqlite3 is synchronous, so a second connection in the same process
   * waiting for the write lock would block the event loop the first one needs to commit.
   */
  concurrentStores: boolean;
  createLocation(): Promise<StoreLocation>;
}

function tracking(openOne: () => Promise<Store>, cleanup: () => Promise<void>): Omit<StoreLocation, "dataDir"> {
  const opened: Store[] = [];
  return {
    async open() {
      const store = await openOne();
      opened.push(store);
      return store;
    },
    async dispose() {
      for (const s of opened) await s.close();
      await cleanup();
    },
  };
}

export const sqliteBackend: Backend = {
  name: "SQLite",
  concurrentStores: false,
  async createLocation() {
    const dataDir = await mkdtemp(join(tmpdir(), "tiphys-store-"));
    return {
      dataDir,
      ...tracking(
        () => openStore({ dataDir }),
        () => rm(dataDir, { recursive: true, force: true }),
      ),
    };
  },
};

/** Every test gets a schema of its own in the shared test database, dropped afterwards. */
export function postgresBackend(databaseUrl: string): Backend {
  return {
    name: "PostgreSQL",
    concurrentStores: true,
    async createLocation() {
      const schema = `tiphys_test_${randomBytes(6).toString("hex")}`;
      return tracking(
        () => openStore({ databaseUrl, schema, poolSize: 4 }),
        () => dropPostgresSchema({ databaseUrl, schema }),
      );
    },
  };
}

export const T0 = new Date("2030-01-01T00:00:00.000Z");
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

export function makeRun(id: string, overrides: Partial<RunRow> = {}): RunRow {
  const workflow: WorkflowManifest = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name: id, annotations: { "tiphys.io/on": "push" } },
    spec: { entrypoint: "main", templates: [{ name: "main", container: { image: "alpine", command: ["true"] } }] },
  };
  return {
    id,
    installationId: 1,
    repo: "octo/app",
    workflowName: "ci",
    headSha: "a".repeat(40),
    event: "push",
    phase: "Pending",
    workflow,
    meta: { trigger: { event: "push" }, attempt: 1 },
    createdAt: T0,
    ...overrides,
  };
}

export function makeNode(i: number, overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: `wf-${i}`,
    name: `wf.step-${i}`,
    displayName: `step-${i}`,
    type: "Pod",
    templateName: "main",
    phase: "Succeeded",
    startedAt: T0.toISOString(),
    outputs: { parameters: [{ name: "out", value: `value ${i}` }] },
    ...overrides,
  };
}
