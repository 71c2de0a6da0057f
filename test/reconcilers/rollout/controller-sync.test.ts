// Tiphys's Rollout CRDs and the Argo CD side: the CRDs installed once (with the status subresource the
// controller writes through, so an apply never clobbers the status), and an Application sync of Argo's
// blue-green example into a cluster without Argo Rollouts: the sync installs the CRDs and applies the
// Rollout, the controller brings it to Healthy, and Argo CD's health of the app follows the Rollout's.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clusterFromKubeconfig } from "../../../src/cluster/registry.js";
import type { Cluster, KubeObject } from "../../../src/core/ports/cluster.js";
import { DEFAULT_PROJECT } from "../../../src/reconcilers/application/model.js";
import { runSync } from "../../../src/reconcilers/application/sync.js";
import type { Application } from "../../../src/reconcilers/application/types.js";
import { ensureRolloutCrds, RolloutController } from "../../../src/reconcilers/rollout/controller.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../../src/simcluster/index.js";
import { NS, corpusObjects } from "./cluster.js";

let sim: SimulatedCluster;
let cluster: Cluster;
beforeEach(async () => {
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
});
afterEach(async () => {
  await sim.close();
});

const RO = { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "r" };

describe("ensureRolloutCrds", () => {
  it("installs the four CRDs once, and the cluster then serves them", async () => {
    expect(await cluster.resourceFor("argoproj.io/v1alpha1", "Rollout")).toBeUndefined();
    const first = await ensureRolloutCrds(cluster);
    expect(first.installed.sort()).toEqual(["analysisruns.argoproj.io", "analysistemplates.argoproj.io", "clusteranalysistemplates.argoproj.io", "rollouts.argoproj.io"]);
    expect(await cluster.resourceFor("argoproj.io/v1alpha1", "ClusterAnalysisTemplate")).toMatchObject({ namespaced: false, plural: "clusteranalysistemplates" });
    expect((await ensureRolloutCrds(cluster)).installed).toEqual([]);
  });

  it("keeps a Rollout's status apart: only the status subresource writes it, with the resourceVersion as a precondition", async () => {
    await ensureRolloutCrds(cluster);
    const created: KubeObject = await cluster.create<KubeObject>({ apiVersion: RO.apiVersion, kind: "Rollout", metadata: { name: "r", namespace: NS }, spec: { strategy: { canary: {} } }, status: { phase: "Healthy" } });
    expect(created.status).toBeUndefined();
    await cluster.patch(RO, { status: { phase: "Paused" } }, "merge");
    expect((await cluster.get(RO))?.status).toBeUndefined();
    const written = await cluster.patch(RO, { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { phase: "Paused", message: "CanaryPauseStep" } }, "merge", { subresource: "status" });
    expect(written.status).toEqual({ phase: "Paused", message: "CanaryPauseStep" });
    await cluster.apply({ apiVersion: RO.apiVersion, kind: "Rollout", metadata: { name: "r", namespace: NS }, spec: { replicas: 2, strategy: { canary: {} } } }, { force: true });
    expect((await cluster.get(RO))?.status).toEqual({ phase: "Paused", message: "CanaryPauseStep" });
    await expect(cluster.patch(RO, { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { phase: "Healthy" } }, "merge", { subresource: "status" })).rejects.toMatchObject({ status: 409 });
  });
});

describe("an Application holding a Rollout, synced into a cluster without Argo Rollouts", () => {
  const app: Application = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "bluegreen" },
    spec: { source: { repoURL: "https://github.com/argoproj/argo-rollouts.git", path: "examples", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: NS } },
  };

  it("installs the CRDs, applies the Rollout and its Services, and the app turns Healthy once the controller has run", async () => {
    const rendered = corpusObjects("rollout-bluegreen.yaml");
    const sync = () => runSync({ app, project: DEFAULT_PROJECT, rendered, revision: "9f8d1110000000000000000000000000000000000" }, { cluster, waveDelayMs: 50, pollMs: 50 });
    const out = await sync();
    expect(out.operationState.phase).toBe("Succeeded");
    expect(out.operationState.syncResult!.resources.map((r) => `${r.kind}/${r.name}:${r.status}`)).toEqual(["Service/rollout-bluegreen-active:Synced", "Service/rollout-bluegreen-preview:Synced", "Rollout/rollout-bluegreen:Synced"]);
    const rolloutHealth = () => out.after.resources.find((r) => r.key.kind === "Rollout")?.health?.status;
    expect(rolloutHealth()).toBe("Progressing"); // no controller has observed it yet

    const state = await new RolloutController({ cluster, pollMs: 200 }).run({ namespace: NS, name: "rollout-bluegreen" });
    expect(state.phase).toBe("Healthy");
    const again = await sync();
    expect(again.before.sync).toBe("Synced");
    expect(again.after.health.status).toBe("Healthy");
    // The status the controller wrote survives the sync's apply.
    const live = await cluster.get<KubeObject>({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "rollout-bluegreen" });
    expect((live?.status as { phase?: string }).phase).toBe("Healthy");
  });

  it("a dry run installs nothing and says the kind is not served", async () => {
    const out = await runSync({ app, project: DEFAULT_PROJECT, rendered: corpusObjects("rollout-bluegreen.yaml"), revision: "abc", dryRun: true }, { cluster });
    expect(out.operationState.phase).toBe("Failed");
    expect(await cluster.resourceFor("argoproj.io/v1alpha1", "Rollout")).toBeUndefined();
  });
});
