// Acceptance of Tiphys as the Rollout controller on Argo's canary examples (../shared/corpus/argo-rollouts),
// against the simulated cluster: ReplicaSets, Ready pods by pod-template hash, the status Argo CD reads.
// The test copy of rollout-canary.yaml shortens its timed pauses (40s, 20s, 20s) to 2s each so the
// test runs in seconds; every other field is Argo's. (A pause starts at a whole second, as metav1.Time
// records it, so a 2 s pause lasts between 1 and 2 s.)
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { healthOf } from "../../../src/reconcilers/application/health.js";
import type { RolloutState } from "../../../src/reconcilers/rollout/controller.js";
import { NS, corpusObjects, startCluster, until, type TestCluster } from "./cluster.js";

const CANARY = () => corpusObjects("rollout-canary.yaml", (t) => t.replace(/duration: (40|20)s/g, "duration: 2s"));
const ref = { namespace: NS, name: "rollout-canary" };

let tc: TestCluster;
beforeEach(async () => {
  tc = await startCluster();
});
afterEach(async () => {
  await tc.close();
});

const byRole = (s: RolloutState, role: string) => s.replicaSets.find((rs) => rs.role === role);
const readyOf = async (s: RolloutState) => ({ canary: await tc.readyPods(byRole(s, "canary")?.hash ?? "-"), stable: await tc.readyPods(byRole(s, "stable")?.hash ?? "-") });

/** The first deploy (no canary steps, as Argo does it), then a new image. */
async function deployThenUpdate(): Promise<{ first: RolloutState; gate: RolloutState }> {
  await tc.apply(CANARY());
  const first = await tc.controller().run(ref);
  await tc.setImage("rollout-canary", "argoproj/rollouts-demo:yellow");
  const gate = await tc.controller().run(ref);
  return { first, gate };
}

describe("rollout-canary (5 replicas, setWeight 20 then pause {})", () => {
  it("skips the steps on the first deploy and ends Healthy with 5 Ready pods", async () => {
    await tc.apply(CANARY());
    const s = await tc.controller().run(ref);
    expect(s.phase).toBe("Healthy");
    expect(s.revision).toBe(1);
    expect(s.replicaSets).toEqual([expect.objectContaining({ role: "stable", replicas: 5, available: 5 })]);
    expect(s.rollout.status).toMatchObject({ stableRS: s.podTemplateHash, currentPodHash: s.podTemplateHash, currentStepIndex: 8 });
    expect(await tc.readyPods(s.podTemplateHash!)).toBe(5);
    const rs = await tc.cluster.get({ apiVersion: "apps/v1", kind: "ReplicaSet", namespace: NS, name: `rollout-canary-${s.podTemplateHash}` });
    expect(rs?.metadata.annotations?.["rollout.argoproj.io/revision"]).toBe("1");
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Rollout", name: "rollout-canary", uid: (s.rollout.metadata as { uid: string }).uid, controller: true });
    expect(await tc.controller().list()).toEqual([ref]);
    expect(await tc.controller().list("kube-system")).toEqual([]);
  });

  it("pauses at step 1 with 1 canary and 4 stable pods; Argo CD sees it Suspended", async () => {
    const { first, gate } = await deployThenUpdate();
    expect(gate.phase).toBe("Paused");
    expect(gate.message).toBe("CanaryPauseStep");
    expect(gate.gate).toEqual({ reason: "CanaryPauseStep", since: expect.any(String) });
    expect(gate.currentStepIndex).toBe(1);
    expect(gate.steps.map((s) => `${s.state}:${s.text}`)).toEqual([
      "done:setWeight: 20",
      "current:pause: {}",
      "next:setWeight: 40",
      "next:pause: 2s",
      "next:setWeight: 60",
      "next:pause: 2s",
      "next:setWeight: 80",
      "next:pause: 2s",
    ]);
    expect(gate.weights).toEqual({ setWeight: 20, actualWeight: 20 });
    expect(byRole(gate, "stable")).toMatchObject({ hash: first.podTemplateHash, replicas: 4 });
    expect(byRole(gate, "canary")).toMatchObject({ replicas: 1, available: 1 });
    expect(gate.revision).toBe(2);
    expect(await until(async () => {
      const r = await readyOf(gate);
      return r.canary === 1 && r.stable === 4 && r;
    }, "1 canary and 4 stable Ready pods")).toEqual({ canary: 1, stable: 4 });
    const live = await tc.cluster.get({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "rollout-canary" });
    expect(healthOf(live!)).toEqual({ status: "Suspended", message: "CanaryPauseStep" });
    // Nothing moves while it waits: another reconcile writes nothing.
    const again = await tc.controller().reconcile(ref);
    expect(again.rollout.metadata.resourceVersion).toBe(live!.metadata.resourceVersion);
  });

  it("continues on promote, lets the timed pauses elapse and ends Healthy on the new revision", async () => {
    const { first, gate } = await deployThenUpdate();
    const seen: number[] = [];
    const controller = tc.controller({ onChange: (s) => void seen.push(s.currentStepIndex ?? -1) });
    const promoted = await controller.promote(ref, { by: "octocat" });
    expect(promoted.currentStepIndex).toBeGreaterThanOrEqual(2);
    expect(promoted.gate).toBeUndefined();
    const started = Date.now();
    const done = await controller.run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.rollout.status).toMatchObject({ stableRS: gate.podTemplateHash, currentPodHash: gate.podTemplateHash, currentStepIndex: 8 });
    expect(done.revision).toBe(2);
    expect(done.steps.every((s) => s.state === "done")).toBe(true);
    expect(done.weights).toEqual({ setWeight: 100, actualWeight: 100 });
    // Three pauses of at least 1 s each elapsed on the way, and the steps only went forward.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(8);
    expect(await until(async () => (await tc.readyPods(gate.podTemplateHash!)) === 5 && (await tc.readyPods(first.podTemplateHash!)) === 0, "5 new pods and no old one")).toBe(true);
    const live = await tc.cluster.get({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "rollout-canary" });
    expect(healthOf(live!)).toEqual({ status: "Healthy" });
  });
});
