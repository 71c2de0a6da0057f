/**
 * `npm run bench:reconcile`: an Application of 1,000 mixed resources (a directory of plain YAML in a
 * real git repo, rendered by the real renderer) synced to the simulated cluster over HTTPS by the real
 * @kubernetes/client-node:
 *
 * - API requests of the first sync, by verb (target: one apply per resource plus one list per kind),
 *   against `kubectl apply --server-side` of the same files into a second, fresh simulated cluster
 *   (the baseline: requests and wall time);
 * - writes of a no-op resync (target: 0);
 * - diff time for the 1,000 resources (target: under 200 ms), against a plain JSON comparison of the
 *   same pairs in the same run;
 * - push-to-first-apply latency through the handlers (target: under 1 s): bench/reconcile/push.ts.
 *
 * The simulated clusters run without controllers (no Pods for the Deployments) so the figures are
 * Tiphys's and the API server's, not the simulation's controllers'.
 *
 * Options: --resources 1000, --reps 5 (diff repetitions; the median is reported), --no-kubectl.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { clusterFromKubeconfig } from "../src/cluster/registry.js";
import { startSimulatedCluster, type SimulatedCluster } from "../src/simcluster/index.js";
import { LocalCheckouts } from "../src/app/applications.js";
import { RenderCache, renderApplication } from "../src/reconcilers/application/render.js";
import { runSync } from "../src/reconcilers/application/sync.js";
import { compareApp, discoverScopes, kindsToList, loadLive, prepareTargets } from "../src/reconcilers/application/compare.js";
import { readInventory } from "../src/reconcilers/application/inventory.js";
import { DEFAULT_PROJECT } from "../src/reconcilers/application/model.js";
import type { Application, KubeObject } from "../src/reconcilers/application/types.js";
import { keyOf, keyString } from "../src/reconcilers/application/types.js";
import { createBinaryToolRunner } from "../src/tools/binaries.js";
import { createRepo } from "../test/helpers/git-fixture.js";
import { toolPath } from "../scripts/tools-path.mjs";
import { pushToFirstApply } from "./reconcile/push.js";

const run = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt("resources", 1000);
const REPS = opt("reps", 5);
const KUBECTL = !args.includes("--no-kubectl");

/** 1,000 resources: Deployments, Services, ConfigMaps, Secrets and ServiceAccounts in two namespaces. */
function manifests(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  const kinds = ["Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount"];
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length]!;
    const name = `${kind.toLowerCase()}-${i}`;
    const ns = i % 2 === 0 ? "bench-a" : "bench-b";
    const labels = { app: `svc-${Math.floor(i / kinds.length)}`, tier: i % 3 === 0 ? "web" : "worker" };
    let obj: KubeObject;
    if (kind === "Deployment") {
      obj = {
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace: ns, labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: `registry.example.com/app:${i}`, ports: [{ containerPort: 8080 }], env: [{ name: "INDEX", value: String(i) }], resources: { requests: { cpu: "100m", memory: "128Mi" } } }] },
          },
        },
      };
    } else if (kind === "Service") obj = { apiVersion: "v1", kind, metadata: { name, namespace: ns, labels }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } };
    else if (kind === "ConfigMap") obj = { apiVersion: "v1", kind, metadata: { name, namespace: ns, labels }, data: { "config.yaml": `index: ${i}\nfeature: ${i % 7 === 0}\n` } };
    else if (kind === "Secret") obj = { apiVersion: "v1", kind, metadata: { name, namespace: ns, labels }, type: "Opaque", stringData: { token: `t-${i}` } };
    else obj = { apiVersion: "v1", kind, metadata: { name, namespace: ns, labels } };
    const file = `app/${kind.toLowerCase()}s-${Math.floor(i / 100)}.yaml`;
    files[file] = (files[file] ?? "") + "---\n" + JSON.stringify(obj) + "\n";
  }
  return files;
}

function countRequests(sim: SimulatedCluster, since: number) {
  const recs = sim.api.requests.list().slice(since);
  const by: Record<string, number> = {};
  for (const r of recs) by[r.verb] = (by[r.verb] ?? 0) + 1;
  const writes = (by.create ?? 0) + (by.update ?? 0) + (by.patch ?? 0) + (by.delete ?? 0);
  return { total: recs.length, by, writes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
  console.log(`bench:reconcile, ${N} resources; ${machine}; node ${process.version}`);
  const files = manifests(N);
  const repo = await createRepo(files);
  const app: Application = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "bench" },
    spec: { source: { repoURL: "https://github.com/example/bench.git", path: "app", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: "bench-a" } },
  };
  const checkouts = new LocalCheckouts({ fallback: repo.dir, byUrl: new Map() });
  const tools = createBinaryToolRunner();
  const sim = await startSimulatedCluster({ controllers: false, namespaces: ["bench-a", "bench-b"] });
  const cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { qps: 10_000, burst: 10_000 } });
  try {
    // Render (cold, then from the cache).
    const cache = new RenderCache();
    let t = process.hrtime.bigint();
    const rendered = await renderApplication(app, { tools, checkout: checkouts.checkout, cache });
    const renderCold = ms(t);
    t = process.hrtime.bigint();
    await renderApplication(app, { tools, checkout: checkouts.checkout, cache });
    const renderWarm = ms(t);
    const kinds = new Set(rendered.objects.map((o) => o.kind)).size;

    // First sync.
    const before = sim.api.requests.list().length;
    t = process.hrtime.bigint();
    const first = await runSync({ app, project: DEFAULT_PROJECT, rendered: rendered.objects, revision: rendered.revisions[0]! }, { cluster, waveDelayMs: 0, pollMs: 50, concurrency: 32 });
    const firstMs = ms(t);
    if (first.operationState.phase !== "Succeeded") throw new Error(`first sync: ${first.operationState.phase}: ${first.operationState.message}`);
    const firstReq = countRequests(sim, before);

    // No-op resync.
    const before2 = sim.api.requests.list().length;
    t = process.hrtime.bigint();
    const again = await runSync({ app, project: DEFAULT_PROJECT, rendered: rendered.objects, revision: rendered.revisions[0]! }, { cluster, waveDelayMs: 0, pollMs: 50, concurrency: 32 });
    const againMs = ms(t);
    const againReq = countRequests(sim, before2);
    if (again.before.sync !== "Synced") throw new Error(`resync found the app ${again.before.sync}`);

    // Diff of 1,000 resources (CPU only: live objects already listed), against a JSON comparison of the same pairs.
    const { scopeOf } = await discoverScopes(cluster, rendered.objects);
    const targets = prepareTargets(app, rendered.objects, scopeOf);
    const inventory = (await readInventory(cluster, app))?.resources ?? [];
    const live = await loadLive(cluster, kindsToList(targets, inventory), scopeOf);
    const diffTimes: number[] = [];
    const jsonTimes: number[] = [];
    let outOfSync = 0;
    let jsonDiffering = 0;
    for (let i = 0; i < REPS; i++) {
      t = process.hrtime.bigint();
      const cmp = await compareApp(app, targets, live, inventory);
      diffTimes.push(ms(t));
      outOfSync = cmp.resources.filter((r) => r.status === "OutOfSync").length;
      t = process.hrtime.bigint();
      let differ = 0;
      for (const target of targets) {
        const l = live.get(keyString(keyOf(target)));
        if (JSON.stringify(target.spec ?? target.data ?? null) !== JSON.stringify(l?.spec ?? l?.data ?? null)) differ++;
      }
      jsonTimes.push(ms(t));
      jsonDiffering = differ;
    }

    // Baseline: kubectl apply --server-side of the same files into a fresh cluster.
    let kubectl: { ms: number; requests: ReturnType<typeof countRequests> } | undefined;
    if (KUBECTL) {
      const sim2 = await startSimulatedCluster({ controllers: false, namespaces: ["bench-a", "bench-b"] });
      const dir = mkdtempSync(join(tmpdir(), "tiphys-bench-kubectl-"));
      try {
        const kc = join(dir, "kubeconfig");
        writeFileSync(kc, sim2.kubeconfig());
        mkdirSync(join(dir, "app"));
        for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
        const b = sim2.api.requests.list().length;
        t = process.hrtime.bigint();
        await run(toolPath("kubectl"), ["--kubeconfig", kc, "apply", "--server-side", "--field-manager", "kubectl-bench", "-f", join(dir, "app")], { maxBuffer: 64 * 1024 * 1024 });
        kubectl = { ms: ms(t), requests: countRequests(sim2, b) };
      } finally {
        await sim2.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }


    // Push to first apply, through the handlers (the real server process).
    const push = await pushToFirstApply().catch((err: Error) => ({ error: err.message }));

    const target = N + kinds;
    const applies = firstReq.by.patch ?? 0;
    const lists = firstReq.by.list ?? 0;
    const lines = [
      `| figure | Tiphys | baseline | ratio | target |`,
      `|---|---|---|---|---|`,
      `| render ${N} resources (directory, cold / cached) | ${renderCold.toFixed(0)} ms / ${renderWarm.toFixed(1)} ms | | | |`,
      `| first sync: wall time | ${firstMs.toFixed(0)} ms | kubectl apply --server-side: ${kubectl ? kubectl.ms.toFixed(0) + " ms" : "n/a"} | ${kubectl ? (firstMs / kubectl.ms).toFixed(2) : ""} | |`,
      `| first sync: requests (all) | ${firstReq.total} (${Object.entries(firstReq.by).map(([k, v]) => `${k} ${v}`).join(", ")}) | kubectl: ${kubectl ? `${kubectl.requests.total} (${Object.entries(kubectl.requests.by).map(([k, v]) => `${k} ${v}`).join(", ")})` : "n/a"} | ${kubectl ? (firstReq.total / kubectl.requests.total).toFixed(2) : ""} | |`,
      `| first sync: applies + lists | ${applies} + ${lists} = ${applies + lists} | ${N} resources + ${kinds} kinds = ${target} | ${((applies + lists) / target).toFixed(3)} | ≤ ${target} + inventory |`,
      `| no-op resync: writes | ${againReq.writes} (requests ${againReq.total}: ${Object.entries(againReq.by).map(([k, v]) => `${k} ${v}`).join(", ")}; ${againMs.toFixed(0)} ms) | | | 0 |`,
      `| push to first apply, through the handlers | ${"error" in push ? `error: ${push.error}` : `${push.ms.toFixed(0)} ms (${push.detail}; all: ${push.samples.join(", ")})`} | Argo CD polls Git every 180 s | | < 1000 ms |`,
      `| diff of ${N} resources (median of ${REPS}) | ${median(diffTimes).toFixed(1)} ms (${outOfSync} OutOfSync) | JSON compare: ${median(jsonTimes).toFixed(1)} ms (${jsonDiffering} differ: server defaults) | ${(median(diffTimes) / median(jsonTimes)).toFixed(1)} | < 200 ms |`,
    ];
    console.log("\n" + lines.join("\n"));
    console.log(`\nmemory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await sim.close();
    await checkouts.close();
    repo.cleanup();
  }
}

await main();
