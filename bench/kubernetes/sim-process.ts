/**
 * The simulated cluster of `bench:kubernetes`, in a process of its own: the bench process then holds
 * only Tiphys (engine, executor, client), so its CPU time is Tiphys's, and the API server's and the
 * kubelet's are measured apart. Talks to the bench over the IPC channel of `fork`:
 *   → { type: "ready", kubeconfig }   once listening
 *   ← { type: "requests", since }     → { type: "requests", records, total, cpu }
 *   ← { type: "close" }               → exits once the cluster is stopped
 */
import { startSimulatedCluster } from "../../src/simcluster/index.js";

const namespaces = (process.env.BENCH_NAMESPACES ?? "").split(",").filter(Boolean);
const sim = await startSimulatedCluster({
  port: 0,
  namespaces,
  // Workflow steps run as local processes, started at once (the default start delay is 200 ms).
  kubelet: { mode: "process", podStartDelayMs: 0, readyDelayMs: 0 },
  loadBalancer: false,
});

process.on("message", (m: { type: string; since?: number }) => {
  if (m.type === "requests") {
    const all = sim.api.requests.list();
    process.send!({ type: "requests", records: all.slice(m.since ?? 0), total: all.length, cpu: process.cpuUsage() });
  } else if (m.type === "close") {
    void sim.close().finally(() => process.exit(0));
  }
});
process.on("disconnect", () => void sim.close().finally(() => process.exit(0)));
process.send!({ type: "ready", kubeconfig: sim.kubeconfig() });
