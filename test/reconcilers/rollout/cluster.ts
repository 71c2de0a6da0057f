// The Rollout controller's tests against the simulated cluster (the real @kubernetes/client-node over
// HTTPS, the simulated ReplicaSet and Job controllers, a kubelet that makes pods Ready after a short delay
// and runs Job containers' commands): a cluster with Tiphys's Rollout CRDs, the corpus documents applied,
// and what a user would look at (Ready pods by pod-template hash, Service selectors).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { clusterFromKubeconfig } from "../../../src/cluster/registry.js";
import type { Cluster, KubeObject } from "../../../src/core/ports/cluster.js";
import { ensureRolloutCrds, RolloutController, type RolloutControllerDeps } from "../../../src/reconcilers/rollout/controller.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../../src/simcluster/index.js";
import { CORPUS } from "./sim.js";

export const NS = "default";

export function corpusObjects(file: string, edit: (text: string) => string = (t) => t): KubeObject[] {
  return parseAllDocuments(edit(readFileSync(join(CORPUS, file), "utf8")))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

export interface TestCluster {
  sim: SimulatedCluster;
  cluster: Cluster;
  controller(extra?: Partial<RolloutControllerDeps>): RolloutController;
  apply(objects: KubeObject[]): Promise<void>;
  setImage(name: string, image: string): Promise<void>;
  readyPods(hash: string): Promise<number>;
  selectorOf(service: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  const sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  const cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
  await ensureRolloutCrds(cluster);
  return {
    sim,
    cluster,
    controller: (extra = {}) => new RolloutController({ cluster, pollMs: 200, ...extra }),
    async apply(objects) {
      for (const o of objects) await cluster.apply({ ...o, metadata: { namespace: o.kind.startsWith("Cluster") ? undefined : NS, ...o.metadata } }, { force: true });
    },
    async setImage(name, image) {
      await cluster.patch({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name }, [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: image }], "json");
    },
    async readyPods(hash) {
      const pods = await cluster.list<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>("v1", "Pod", { namespace: NS, labelSelector: `rollouts-pod-template-hash=${hash}` });
      return pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    },
    async selectorOf(service) {
      const svc = await cluster.get<KubeObject & { spec: { selector?: Record<string, string> } }>({ apiVersion: "v1", kind: "Service", namespace: NS, name: service });
      return svc?.spec.selector?.["rollouts-pod-template-hash"];
    },
    close: () => sim.close(),
  };
}

/** Polls until `fn` gives a value that is not undefined/false, or fails naming what it waited for. */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined | false;
  while (Date.now() < end) {
    last = await fn();
    if (last !== undefined && last !== false) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
