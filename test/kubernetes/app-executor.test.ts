/**
 * The App runs a workflow's steps as Pods: TIPHYS_EXECUTOR=kubernetes for the replica, or the
 * workflow's `tiphys.io/executor` annotation. A real Probot with the composed App takes a push (GitHub
 * mocked by nock), and the steps' Pods go through the real client to a simulated cluster. The check
 * run's log tail comes from the store: the replica keeps no log files.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { composeApp, configFromEnv, type ComposedApp } from "../../src/app/compose.js";
import { DEFAULT_LIMITS } from "../../src/app/context.js";
import type { ExecutorConfig } from "../../src/app/executors.js";
import { AppMetrics } from "../../src/app/metrics.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { openMemoryStore } from "../../src/store/index.js";
import { expectCheckCreated, expectCheckUpdated, expectToken, expectWorkflowCheck, pushPayload, serveRepo, type Captured } from "../handlers/fixtures.js";
import { mockGitHub, type GitHubMock } from "../helpers/github-mock.js";
import { testWorkRoot } from "../support/work-root.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NS = "tiphys-runs";
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
// Probot's throttling and retries off, as in test/handlers/harness.ts.
const TestOctokit = ProbotOctokit.defaults((o: { throttle?: object }) => ({
  ...o,
  throttle: { ...o.throttle, enabled: false },
  retry: { enabled: false },
})) as typeof ProbotOctokit;

let sim: SimulatedCluster;
let cluster: KubeCluster;
let kubeconfig: string;
const workDir = testWorkRoot(REPO_ROOT, `k8s-app-${process.pid}`);

beforeAll(async () => {
  sim = await startSimulatedCluster({ port: 0, namespaces: [NS], kubelet: { mode: "process", podStartDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
  mkdirSync(workDir, { recursive: true });
  kubeconfig = join(workDir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig());
});
afterAll(async () => {
  await sim?.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface AppUnderTest {
  app: ComposedApp;
  gh: GitHubMock;
  dataDir: string;
  deliver(name: string, payload: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

let current: AppUnderTest | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function startApp(executor: ExecutorConfig): Promise<AppUnderTest> {
  const gh = mockGitHub();
  gh.allowLoopback();
  const dataDir = join(workDir, randomUUID().slice(0, 8));
  mkdirSync(dataDir, { recursive: true });
  const probot = new Probot({ appId: 123, privateKey, logLevel: "fatal", Octokit: TestOctokit });
  const app = await composeApp({
    probot,
    config: { ...configFromEnv({}), dataDir, pollMs: 10, redeliverIntervalMs: 0, workerId: "k8s-app-tests", githubWriteIntervalMs: 0, limits: { ...DEFAULT_LIMITS, checkRunDebounceMs: 60_000 }, executor },
    log: pino({ level: "silent" }),
    store: await openMemoryStore(),
    metrics: new AppMetrics({ defaultMetrics: false }),
  });
  await probot.load(app.appFn);
  app.worker.start();
  current = {
    app,
    gh,
    dataDir,
    async deliver(name, payload) {
      await probot.receive({ id: randomUUID(), name, payload } as never);
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (gh.unmatched.length > 0) throw new Error(`GitHub got requests nothing was set up for:\n  ${gh.unmatched.join("\n  ")}`);
        await app.worker.idle();
        const busy = (await app.store.countJobs("queued")) + (await app.store.countJobs("running")) + (await app.store.findRuns({ phases: ["Pending", "Running"] })).length;
        if (busy === 0) return;
        if (Date.now() > deadline) throw new Error(`still busy after 30 s; GitHub calls: ${gh.calls.join(", ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await app.worker.idle();
      await app.close();
    },
  };
  return current;
}

function workflow(name: string, script: string, executor?: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${name}-
  annotations:
    tiphys.io/on: push${executor ? `\n    tiphys.io/executor: ${executor}` : ""}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: build
            template: sh
    - name: sh
      script:
        image: alpine:3.23
        command: [sh]
        source: |
${script
  .split("\n")
  .map((l) => `          ${l}`)
  .join("\n")}
`;
}

const podsOf = (runId: string) => cluster.list("v1", "Pod", { namespace: NS, labelSelector: `tiphys.io/workflow=${runId}` });

describe("the App's executor", () => {
  it("TIPHYS_EXECUTOR=kubernetes: the step is a Pod with Tiphys' labels, and the failed step's log tail comes from the store", async () => {
    const t = await startApp({ kind: "kubernetes", kubeconfig, namespace: NS });
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    const files = { ".tiphys/ci.yaml": workflow("ci", 'echo "hello from a pod"\necho "widget.c:3: error: boom" >&2\nexit 3') };
    expectToken(t.gh.scope);
    serveRepo(t.gh.scope, sha, files);
    const check = expectWorkflowCheck(t.gh.scope, { workflow: "ci", id: 301 });

    await t.deliver("push", p);

    const [run] = await t.app.store.findRuns({ workflowName: "ci" });
    expect(run.phase).toBe("Failed");
    const node = Object.values(await t.app.store.loadNodes(run.id)).find((n) => n.type === "Pod")!;
    expect(node.message).toBe("Error (exit code 3)");
    const pods = await podsOf(run.id);
    expect(pods).toHaveLength(1);
    expect(pods[0].metadata.labels).toMatchObject({ "tiphys.io/workflow": run.id, "tiphys.io/node": node.id });
    expect((pods[0].status as { phase: string }).phase).toBe("Failed");
    // The log is in the store, and the check run shows its tail; no log file on the replica's disk.
    expect((await t.app.store.readNodeLog(run.id, node.id))?.text).toBe("hello from a pod\nwidget.c:3: error: boom\n");
    expect(check[2]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check[2].output.text).toContain("hello from a pod\nwidget.c:3: error: boom");
    expect(existsSync(join(t.dataDir, "runs", run.id, "logs"))).toBe(false);
    t.gh.done();
  });

  it("tiphys.io/executor on a workflow overrides the replica's local default: its step is a Pod, the other workflow's a process whose failed log tail also comes from the store", async () => {
    const t = await startApp({ kind: "local", kubeconfig, namespace: NS });
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    const files = {
      ".tiphys/pods.yaml": workflow("pods", 'echo "in a pod: $(hostname)"', "kubernetes"),
      ".tiphys/host.yaml": workflow("host", 'echo "on the host"\nexit 1'),
    };
    expectToken(t.gh.scope);
    serveRepo(t.gh.scope, sha, files);
    const podsCheck = expectWorkflowCheck(t.gh.scope, { workflow: "pods", id: 401 });
    const hostCheck = expectWorkflowCheck(t.gh.scope, { workflow: "host", id: 402 });

    await t.deliver("push", p);

    const [viaPod] = await t.app.store.findRuns({ workflowName: "pods" });
    const [viaHost] = await t.app.store.findRuns({ workflowName: "host" });
    expect([viaPod.phase, viaHost.phase]).toEqual(["Succeeded", "Failed"]);
    const pods = await podsOf(viaPod.id);
    expect(pods).toHaveLength(1);
    const node = Object.values(await t.app.store.loadNodes(viaPod.id)).find((n) => n.type === "Pod")!;
    expect(pods[0].metadata.labels).toMatchObject({ "tiphys.io/workflow": viaPod.id, "tiphys.io/node": node.id });
    expect(await podsOf(viaHost.id)).toEqual([]);
    const hostNode = Object.values(await t.app.store.loadNodes(viaHost.id)).find((n) => n.type === "Pod")!;
    expect((await t.app.store.readNodeLog(viaHost.id, hostNode.id))?.text).toBe("on the host\n");
    expect([podsCheck[2].conclusion, hostCheck[2].conclusion]).toEqual(["success", "failure"]);
    expect(hostCheck[2].output.text).toContain("on the host");
    expect(existsSync(join(t.dataDir, "runs", viaHost.id, "logs"))).toBe(false);
    t.gh.done();
  });

  it("a workflow that asks for Pods where no cluster is configured ends as an Error that says what to set", async () => {
    const t = await startApp({ kind: "local" });
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    const files = { ".tiphys/pods.yaml": workflow("pods", "echo never", "kubernetes") };
    expectToken(t.gh.scope);
    serveRepo(t.gh.scope, sha, files);
    const check: Captured = [];
    expectCheckCreated(t.gh.scope, { name: "tiphys/workflow/pods", id: 501, status: "queued" }, check);
    expectCheckUpdated(t.gh.scope, 501, "completed", check);

    await t.deliver("push", p);

    const [run] = await t.app.store.findRuns({ workflowName: "pods" });
    expect(run).toMatchObject({ phase: "Error", message: "the kubernetes executor has no cluster: set TIPHYS_EXECUTOR_KUBECONFIG, or run Tiphys in a cluster" });
    expect(check[1]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check[1].output.summary).toContain("TIPHYS_EXECUTOR_KUBECONFIG");
    t.gh.done();
  });
});
