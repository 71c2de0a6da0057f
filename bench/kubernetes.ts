/**
 * `npm run bench:kubernetes`: workflow steps as Pods, with the real @kubernetes/client-node and the
 * KubernetesExecutor against the simulated cluster (in a process of its own, bench/kubernetes/
 * sim-process.ts, whose server counts every request by verb and resource):
 *
 * (a) requests to the API server per workflow node: 50 sequential plain container steps (no
 *     artifacts). Target: one create plus at most two reads per node; status from the shared watch.
 * (b) a fan-out of 500 parallel `true` steps (withSequence, parallelism unbounded): Pods created per
 *     second and Tiphys CPU time per node (process.cpuUsage of this process, which holds only the
 *     engine, the executor and the client), against baselines measured in the same run: 500 raw
 *     `cluster.create` calls through the same client, and the same 500 nodes with the local executor.
 *     Measured with the client's default rate limit (what Tiphys ships: 50 requests/s, burst 100) and
 *     with the limit lifted, to tell the limit from Tiphys's own cost.
 *
 * Options: --steps 50, --fanout 500, --limits default,lifted (which client limits (b) runs with).
 */
import { fork, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterFromKubeconfig } from "../src/cluster/registry.js";
import type { KubeCluster } from "../src/cluster/kube-cluster.js";
import type { ClusterLimits } from "../src/cluster/registry.js";
import { KubernetesExecutor } from "../src/engine/executors/kubernetes/executor.js";
import { LocalExecutor } from "../src/engine/executors/local.js";
import type { Executor } from "../src/engine/executors/types.js";
import { Catalog } from "../src/engine/model/catalog.js";
import { parseYamlDocuments } from "../src/engine/model/load.js";
import { prepareWorkflow } from "../src/engine/model/prepare.js";
import { WorkflowRun } from "../src/engine/runtime/operator.js";
import { RunJournal } from "../src/engine/runtime/run-store.js";
import type { RequestRecord } from "../src/simcluster/index.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt("steps", 50);
const FANOUT = opt("fanout", 500);
const LIFTED: ClusterLimits = { qps: 100_000, burst: 100_000 };
const LIMITS = (args.includes("--limits") ? args[args.indexOf("--limits") + 1] : "default,lifted").split(",") as Array<"default" | "lifted">;
const NAMESPACES = ["bench-warm", "bench-seq", "bench-fan-default", "bench-fan-lifted", "bench-raw-default", "bench-raw-lifted"];

interface SimReply {
  records: RequestRecord[];
  total: number;
  cpu: NodeJS.CpuUsage;
}

/** The simulated cluster's process. */
async function startSim() {
  const child = fork(fileURLToPath(new URL("./kubernetes/sim-process.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_NAMESPACES: NAMESPACES.join(",") },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { type: string; kubeconfig: string }) => resolve(m.kubeconfig));
    child.once("exit", (code) => reject(new Error(`the simulated cluster exited (${code})`)));
  });
  let since = 0;
  return {
    kubeconfig,
    /** The requests since the last call (or since `from`), and the server process's CPU so far. */
    async requests(from?: number): Promise<SimReply> {
      child.send({ type: "requests", since: from ?? since });
      const reply = await new Promise<SimReply>((resolve) => child.once("message", (m: SimReply) => resolve(m)));
      since = reply.total;
      return reply;
    },
    async close() {
      child.send({ type: "close" });
      await new Promise((r) => child.once("exit", r));
    },
  };
}

function workflow(name: string, shape: "sequence" | "fanout", n: number): string {
  const main =
    shape === "fanout"
      ? `    steps:
    - - name: fan
        template: work
        withSequence: {count: "${n}"}`
      : `    steps:\n${Array.from({ length: n }, (_, i) => `    - - {name: s${i}, template: work}`).join("\n")}`;
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ${name}}
spec:
  entrypoint: main
  templates:
  - name: main
${main}
  - name: work
    container: {image: busybox:1.36, command: ["true"]}
`;
}

async function runWorkflow(yaml: string, executor: Executor, dataDir: string, cluster?: KubeCluster) {
  const catalog = new Catalog();
  for (const d of parseYamlDocuments(yaml, "bench.yaml")) catalog.add(d);
  const wf = prepareWorkflow(catalog.entries[0], catalog);
  const journal = RunJournal.create(dataDir, { name: wf.metadata.name!, createdAt: new Date().toISOString(), executor: executor.name }, wf);
  const run = new WorkflowRun({ workflow: wf, catalog, executor, journal, logsDir: journal.logsDir, cluster });
  const timer = setTimeout(() => run.stop("Terminate"), 600_000);
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const status = await run.execute();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearTimeout(timer);
  journal.close();
  if (status.phase !== "Succeeded") throw new Error(`${wf.metadata.name}: ${status.phase} ${status.message ?? ""}`);
  const pods = Object.values(status.nodes).filter((n) => n.type === "Pod").length;
  return { ms, startedAt, cpuMs: (cpu.user + cpu.system) / 1000, pods };
}

function kubeRun(kubeconfig: string, namespace: string, limits?: ClusterLimits) {
  const cluster = clusterFromKubeconfig({ text: kubeconfig, limits });
  return { cluster, executor: new KubernetesExecutor({ cluster, namespace }) };
}

/** Requests to the Pod API of one namespace, by kind. */
function countPods(records: RequestRecord[], namespace: string) {
  const mine = records.filter((r) => r.resource === "pods" && r.namespace === namespace);
  const n = (f: (r: RequestRecord) => boolean) => mine.filter(f).length;
  return {
    create: n((r) => r.verb === "create"),
    get: n((r) => r.verb === "get" && r.subresource === undefined),
    log: n((r) => r.verb === "get" && r.subresource === "log"),
    list: n((r) => r.verb === "list"),
    watch: n((r) => r.verb === "watch"),
    delete: n((r) => r.verb === "delete"),
    other: records.length - mine.length,
    creates: mine.filter((r) => r.verb === "create").map((r) => r.at),
  };
}

/** Waits until every Pod of the namespace has ended (the next measurement starts on a quiet server). */
async function settle(cluster: KubeCluster, namespace: string): Promise<void> {
  for (;;) {
    const pods = await cluster.list("v1", "Pod", { namespace });
    if (pods.every((p) => ["Succeeded", "Failed"].includes((p.status as { phase?: string } | undefined)?.phase ?? ""))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `count` Pods created at once through the client, each running `true`. */
async function rawCreates(kubeconfig: string, namespace: string, count: number, limits?: ClusterLimits) {
  const cluster = clusterFromKubeconfig({ text: kubeconfig, limits });
  await cluster.list("v1", "Pod", { namespace }); // the connection and discovery, as the executor's watch does first
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      cluster.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `raw-${i}`, namespace, labels: { "tiphys.io/workflow": "raw", "tiphys.io/node": `raw-${i}` } },
        spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36", command: ["true"] }] },
      }),
    ),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await settle(cluster, namespace);
  return { ms, startedAt, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

async function main() {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
  const commit = spawnSync("git", ["log", "-1", "--format=%h"], { encoding: "utf8" }).stdout.trim() || "unknown";
  console.log(`bench:kubernetes, ${STEPS} sequential steps and a ${FANOUT}-node fan-out; ${machine}; node ${process.version}; commit ${commit}`);
  const sim = await startSim();
  const dataDir = mkdtempSync(join(tmpdir(), "tiphys-bench-k8s-"));
  try {
    // Warm-up: the code paths of both executors, and the server's.
    const warm = kubeRun(sim.kubeconfig, "bench-warm");
    await runWorkflow(workflow("warm-k8s", "fanout", 20), warm.executor, join(dataDir, "warm"), warm.cluster);
    await warm.executor.close();
    await runWorkflow(workflow("warm-local", "fanout", 20), new LocalExecutor({ workDir: join(dataDir, "sandboxes") }), join(dataDir, "warm"));
    await sim.requests();

    // (a) requests per node.
    const seq = kubeRun(sim.kubeconfig, "bench-seq");
    const a = await runWorkflow(workflow("seq", "sequence", STEPS), seq.executor, join(dataDir, "seq"), seq.cluster);
    await seq.executor.close();
    const ra = countPods((await sim.requests()).records, "bench-seq");
    const reads = ra.get + ra.log + ra.list;

    // (b) the fan-out, with the client's default limit and with it lifted; baselines in between.
    const fan: Record<string, { ms: number; cpuMs: number; simCpuMs: number; podsPerSec: number; req: ReturnType<typeof countPods> }> = {};
    const raw: Record<string, { ms: number; cpuMs: number; podsPerSec: number }> = {};
    for (const [tag, limits] of ([["default", undefined], ["lifted", LIFTED]] as const).filter(([t]) => LIMITS.includes(t))) {
      const ns = `bench-fan-${tag}`;
      const k = kubeRun(sim.kubeconfig, ns, limits);
      const before = await sim.requests();
      const r = await runWorkflow(workflow(`fan-${tag}`, "fanout", FANOUT), k.executor, join(dataDir, `fan-${tag}`), k.cluster);
      await k.executor.close();
      const after = await sim.requests();
      const req = countPods(after.records, ns);
      const lastCreate = Math.max(...req.creates);
      const simCpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
      fan[tag] = { ms: r.ms, cpuMs: r.cpuMs, simCpuMs, podsPerSec: (req.create / (lastCreate - r.startedAt)) * 1000, req };
      await settle(k.cluster, ns);

      const rawNs = `bench-raw-${tag}`;
      await sim.requests();
      const b = await rawCreates(sim.kubeconfig, rawNs, FANOUT, limits);
      const rb = countPods((await sim.requests()).records, rawNs);
      raw[tag] = { ms: b.ms, cpuMs: b.cpuMs, podsPerSec: (rb.create / (Math.max(...rb.creates) - b.startedAt)) * 1000 };
    }
    const local = await runWorkflow(workflow("fan-local", "fanout", FANOUT), new LocalExecutor({ workDir: join(dataDir, "sandboxes") }), join(dataDir, "fan-local"));

    const per = (x: number) => f2(x / STEPS);
    const lines = [
      `| figure | Tiphys | baseline | ratio | target |`,
      `|---|---|---|---|---|`,
      `| (a) ${STEPS} sequential steps: Pod requests per node | create ${per(ra.create)}, get ${per(ra.get)}, log ${per(ra.log)}, list ${per(ra.list)}, watch ${per(ra.watch)}, delete ${per(ra.delete)} (${f1(a.ms / STEPS)} ms per step) | | | |`,
      `| (a) creates + reads per node | ${per(ra.create)} + ${per(reads)} | 1 + 2 | | ≤ 1 create + 2 reads; watch shared |`,
      `| (a) other requests (discovery ...) in the run | ${ra.other} | | | |`,
    ];
    for (const tag of LIMITS) {
      const f = fan[tag];
      const b = raw[tag];
      const label = tag === "default" ? "client's default limit (50/s, burst 100)" : "limit lifted";
      lines.push(
        `| (b) ${FANOUT}-node fan-out, ${label}: Pods created per second | ${f1(f.podsPerSec)} (run ${f1(f.ms / 1000)} s) | raw cluster.create ×${FANOUT}: ${f1(b.podsPerSec)} | ${f2(f.podsPerSec / b.podsPerSec)} | |`,
        `| (b) ${label}: Tiphys CPU per node | ${f2(f.cpuMs / FANOUT)} ms | raw create: ${f2(b.cpuMs / FANOUT)} ms; local executor: ${f2(local.cpuMs / FANOUT)} ms | ${f1(f.cpuMs / b.cpuMs)} × raw; ${f2(f.cpuMs / local.cpuMs)} × local | |`,
        `| (b) ${label}: Pod requests per node | create ${f2(f.req.create / FANOUT)}, get ${f2(f.req.get / FANOUT)}, log ${f2(f.req.log / FANOUT)}, list ${f.req.list}, watch ${f.req.watch} (total) | | | |`,
        `| (b) ${label}: simulated API server + kubelet CPU per node (other process) | ${f2(f.simCpuMs / FANOUT)} ms | | | |`,
      );
    }
    lines.push(`| (b) local executor, same ${FANOUT} nodes | run ${f1(local.ms / 1000)} s, ${f1((FANOUT / local.ms) * 1000)} nodes/s | | | |`);
    console.log("\n" + lines.join("\n"));
    console.log(`\nload after: ${loadavg().map((l) => l.toFixed(1)).join(" ")}; memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
