// A Rollout in a wave that is not the last: the next wave waits for the Rollout to be healthy, which only
// its controller brings. reconcileRolloutsWhile (what the App's app-sync job and `tiphys sync` run beside
// the sync operation) reconciles the app's Rollouts meanwhile, so the sync goes on to the next wave.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileRolloutsWhile } from "../../src/app/rollouts.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { Cluster, KubeObject } from "../../src/core/ports/cluster.js";
import { DEFAULT_PROJECT } from "../../src/reconcilers/application/model.js";
import { runSync } from "../../src/reconcilers/application/sync.js";
import type { Application } from "../../src/reconcilers/application/types.js";
import { RolloutController } from "../../src/reconcilers/rollout/controller.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";

let sim: SimulatedCluster;
let cluster: Cluster;
beforeEach(async () => {
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
});
afterEach(async () => {
  await sim.close();
});

const app: Application = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: "waves" },
  spec: { source: { repoURL: "https://github.com/acme/deploy.git", path: "deploy" }, destination: { server: "https://kubernetes.default.svc", namespace: "default" } },
};

const rollout: KubeObject = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Rollout",
  metadata: { name: "web", annotations: { "argocd.argoproj.io/sync-wave": "0" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1" }] } },
    strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
  },
};
const after: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after-web", annotations: { "argocd.argoproj.io/sync-wave": "1" } }, data: { ready: "yes" } };

describe("a Rollout in an early wave", () => {
  it("becomes healthy through its controller during the sync, and the next wave is applied", async () => {
    const during = new AbortController();
    const background = reconcileRolloutsWhile(new RolloutController({ cluster, pollMs: 100 }), cluster, app, during.signal, 100);
    try {
      const out = await runSync({ app, project: DEFAULT_PROJECT, rendered: [rollout, after], revision: "r1" }, { cluster, waveDelayMs: 50, pollMs: 50, timeoutMs: 30_000 });
      expect(out.operationState.phase, out.operationState.message).toBe("Succeeded");
      expect(out.operationState.syncResult!.resources.map((r) => `${r.syncWave}:${r.kind}/${r.name}`)).toEqual(["0:Rollout/web", "1:ConfigMap/after-web"]);
    } finally {
      during.abort();
      await background;
    }
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "after-web" })).toBeDefined();
  }, 40_000);

  it("without its controller the sync waits on the Rollout (Argo CD's rule) until its time limit", async () => {
    const out = await runSync({ app, project: DEFAULT_PROJECT, rendered: [rollout, after], revision: "r1" }, { cluster, waveDelayMs: 50, pollMs: 50, timeoutMs: 1500 });
    expect(out.operationState.phase).toBe("Failed");
    expect(out.operationState.message).toMatch(/operation terminated/);
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "after-web" })).toBeUndefined();
  }, 20_000);
});
