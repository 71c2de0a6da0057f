/**
 * A restarted Tiphys re-adopts the running Pod of a node by its name and labels, and never starts a
 * second Pod for it: `tiphys run --executor kubernetes` is killed (SIGKILL) mid-step, then the run is
 * continued in this process with a fresh KubernetesExecutor on the same simulated cluster.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { markInterrupted } from "../../src/app/execute-run.js";
import { continueRun } from "../../src/app/run-workflow.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { KubernetesExecutor } from "../../src/engine/executors/kubernetes/executor.js";
import type { NodeStatus } from "../../src/engine/model/types.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { REPO, workspace } from "../engine/runtime/helpers.js";

const NS = "adopt";
let sim: SimulatedCluster;
let cluster: KubeCluster;

beforeAll(async () => {
  sim = await startSimulatedCluster({ port: 0, namespaces: [NS], kubelet: { mode: "process", podStartDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
});
afterAll(async () => {
  await sim?.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A one-step workflow whose step counts its starts, then waits for a gate file. */
function gatedWorkflow(name: string, shared: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ${name}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gated, template: gated}
  - name: gated
    container:
      image: alpine:3.23
      command: [sh, -c, 'echo started >> ${shared}/starts; echo "started once"; while [ ! -e ${shared}/gate ]; do sleep 0.05; done; echo "through the gate"']
`;
}

/** Starts `tiphys run --executor kubernetes` on the simulated cluster, from source, in a process of its own. */
function startCli(dir: string, file: string) {
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig());
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "test/kubernetes/fixtures/tiphys-from-source.ts"), "run", file, "--executor", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", NS], {
    cwd: REPO,
    env: { ...process.env, TIPHYS_DATA_DIR: join(dir, "data"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return { child, exited, output: () => output };
}

/** The Pod creates the API server answered in the test's namespace since `from` (their status codes). */
function createCodes(from: number): number[] {
  return sim.api.requests
    .list({ verb: "create", resource: "pods", namespace: NS })
    .slice(from)
    .map((r) => r.code);
}

async function podsOf(workflow: string) {
  return cluster.list("v1", "Pod", { namespace: NS, labelSelector: `tiphys.io/workflow=${workflow}` });
}

describe("a restarted Tiphys and the Pods of its run", () => {
  test.each([
    ["still running when Tiphys comes back", false],
    ["finished while Tiphys was down", true],
  ])("re-adopts the node's Pod %s, and never starts a second one", async (_label, finishWhileDown) => {
    const ws = workspace();
    const name = `adopt-${finishWhileDown ? "done" : "running"}-${process.pid % 1000}`;
    const file = join(ws.dir, "wf.yaml");
    writeFileSync(file, gatedWorkflow(name, ws.shared));
    const requestsBefore = sim.api.requests.list({ verb: "create", resource: "pods", namespace: NS }).length;

    // Tiphys starts the run; its step's Pod runs and waits at the gate; then Tiphys dies.
    const cli = startCli(ws.dir, file);
    const pod = await until("the step's Pod to run", async () => {
      const [p] = await podsOf(name);
      return (p?.status as { phase?: string } | undefined)?.phase === "Running" && existsSync(join(ws.shared, "starts")) ? p : undefined;
    });
    cli.child.kill("SIGKILL");
    await cli.exited;
    expect(pod.metadata.labels?.["tiphys.io/node"]).toBeTruthy();
    if (finishWhileDown) {
      writeFileSync(join(ws.shared, "gate"), "");
      await until("the Pod to finish on its own", async () => ((await podsOf(name))[0]?.status as { phase?: string } | undefined)?.phase === "Succeeded" || undefined);
    }

    // A new Tiphys continues the run from its journal, with a fresh executor on the same cluster.
    const executor = new KubernetesExecutor({ cluster, namespace: NS });
    const lines: string[] = [];
    const started = await continueRun({ dataDir: join(ws.dir, "data"), name, mode: "resume", executor, reporter: { log: (_n, _s, line) => lines.push(line) } });
    const done = started.run.execute();
    if (!finishWhileDown) {
      await until("the new Tiphys to find the Pod there", () => (createCodes(requestsBefore).includes(409) ? true : undefined));
      writeFileSync(join(ws.shared, "gate"), "");
    }
    const status = await done;
    started.journal.close();
    await executor.close();

    expect(status.phase, cli.output()).toBe("Succeeded");
    const node = Object.values(status.nodes).find((n) => n.type === "Pod")!;
    expect(node.phase).toBe("Succeeded");
    expect(node.id).toBe(pod.metadata.labels?.["tiphys.io/node"]);
    // One Pod ever: created once by the first Tiphys, refused (409) to the second, which adopted it.
    expect(createCodes(requestsBefore)).toEqual([201, 409]);
    expect((await podsOf(name)).map((p) => p.metadata.uid)).toEqual([pod.metadata.uid]);
    // The step's command ran once, and its whole log reached the resumed run.
    expect(readFileSync(join(ws.shared, "starts"), "utf8")).toBe("started\n");
    expect(lines).toEqual(["started once", "through the gate"]);
  }, 60_000);
});

describe("the App, taking over a run whose replica died", () => {
  const node = (id: string, type: NodeStatus["type"], phase: NodeStatus["phase"]): NodeStatus => ({ id, name: id, displayName: id, type, phase });
  const nodes = { pod: node("pod", "Pod", "Running"), http: node("http", "HTTP", "Running"), done: node("done", "Pod", "Succeeded") };
  const at = new Date("2030-01-01T00:00:00Z");

  test("with local processes, a step that was running is an Error: its process died with the replica", () => {
    const out = markInterrupted(nodes, at);
    expect([out.pod.phase, out.pod.message, out.http.phase, out.done.phase]).toEqual(["Error", "interrupted", "Error", "Succeeded"]);
  });

  test("with Pods, a step that was running stays Running, to be run again and adopt its Pod", () => {
    const out = markInterrupted(nodes, at, { adoptPods: true });
    expect([out.pod.phase, out.pod.message, out.http.phase, out.done.phase]).toEqual(["Running", undefined, "Error", "Succeeded"]);
  });
});
