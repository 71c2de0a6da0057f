/**
 * CronWorkflows of the default branch run on their schedules, each run a check run on the default
 * branch's head commit; with two replicas on one PostgreSQL database a scheduled time runs once.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "./server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP_ID = 5151;
const INSTALLATION = 12;
const OWNER = "octo-org";
const ROOT = testWorkRoot(REPO_ROOT, `e2e-cron-${process.pid}`);

const cronWorkflow = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: heartbeat
spec:
  schedules: ["@every 2s"]
  concurrencyPolicy: Allow
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        script:
          image: alpine
          command: [sh]
          source: echo beat
`;

let fake: FakeGitHub;
let servers: ServerProcess[] = [];
let keyPath: string;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  fake = await startFakeGitHub({ appId: APP_ID });
  keyPath = writePrivateKey(join(ROOT, "keys"));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});
afterAll(async () => {
  await fake?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

async function setUpRepo(name: string): Promise<{ repo: GitFixture; sha: string; before: string }> {
  const repo = await createRepo({ "README.md": "cron\n" });
  const before = repo.sha;
  const sha = await repo.commit({ ".tiphys/heartbeat.yaml": cronWorkflow }, "add a schedule");
  fake.addRepo({ owner: OWNER, name, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  return { repo, sha, before };
}

function env(extra: Record<string, string>): Record<string, string> {
  return {
    APP_ID: String(APP_ID),
    PRIVATE_KEY_PATH: keyPath,
    WEBHOOK_SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
    TIPHYS_CHECK_RUN_DEBOUNCE_MS: "200",
    TIPHYS_POLL_MS: "50",
    TIPHYS_CRON_TICK_MS: "250",
    ...extra,
  };
}

async function pushMain(server: ServerProcess, name: string, sha: string, before: string, id: string) {
  const payload = retarget(examplePayload("push"), { owner: OWNER, name, installationId: INSTALLATION, sha, before, ref: "main" });
  (payload.repository as { default_branch: string }).default_branch = "main";
  const res = await sendWebhook({ url: server.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload, deliveryId: id });
  expect(res.status).toBe(200);
}

// On a loaded CI machine a server start and a scheduled run have together taken over 30 s.
describe("CronWorkflow schedules", { timeout: 90_000 }, () => {
  it("a CronWorkflow pushed to the default branch runs on its schedule, reported on the branch's head commit", async () => {
    const name = "cron-single";
    const { repo, sha, before } = await setUpRepo(name);
    const s = await startServer({ env: env({ TIPHYS_DATA_DIR: join(ROOT, "single") }) });
    servers.push(s);
    await pushMain(s, name, sha, before, "cron-1");
    const runs = await fake.waitFor(() => {
      const done = fake.checkRuns(OWNER, name).filter((c) => c.name === "tiphys/workflow/heartbeat" && c.status === "completed");
      return done.length >= 2 ? done : undefined;
    }, 20_000);
    for (const c of runs) {
      expect(c.head_sha).toBe(sha);
      expect(c.conclusion).toBe("success");
      expect(c.external_id).toMatch(/^heartbeat-\d{10}$/);
    }
    await repo.cleanup();
  });

  it.skipIf(!process.env.DATABASE_URL)("two replicas on one PostgreSQL database run each scheduled time once", async () => {
    const name = "cron-replicas";
    const { repo, sha, before } = await setUpRepo(name);
    const schema = `tiphys_e2e_${process.pid}`;
    const common = { DATABASE_URL: process.env.DATABASE_URL!, TIPHYS_DATABASE_SCHEMA: schema };
    const a = await startServer({ env: env({ ...common, TIPHYS_DATA_DIR: join(ROOT, "a"), TIPHYS_REPLICA_ID: "replica-a" }) });
    servers.push(a);
    const b = await startServer({ env: env({ ...common, TIPHYS_DATA_DIR: join(ROOT, "b"), TIPHYS_REPLICA_ID: "replica-b" }) });
    servers.push(b);
    await pushMain(a, name, sha, before, "cron-2");
    const runs = await fake.waitFor(() => {
      const all = fake.checkRuns(OWNER, name).filter((c) => c.name === "tiphys/workflow/heartbeat");
      return all.filter((c) => c.status === "completed").length >= 3 ? all : undefined;
    }, 30_000);
    const ids = runs.map((c) => c.external_id);
    expect(new Set(ids).size).toBe(ids.length);
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    const { dropPostgresSchema } = await import("../../src/store/index.js");
    await dropPostgresSchema({ databaseUrl: process.env.DATABASE_URL!, schema });
    await repo.cleanup();
  });
});
