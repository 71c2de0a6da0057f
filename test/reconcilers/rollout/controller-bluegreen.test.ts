// Acceptance on Argo's blue-green and rolling-update examples against the simulated cluster: which
// ReplicaSet each Service selects before and after the promotion, and a canary without steps rolling
// through within maxSurge/maxUnavailable. The test copy of rollout-bluegreen.yaml adds
// `scaleDownDelaySeconds: 1` (Argo's default keeps the old pods 30 s after the switch).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { healthOf } from "../../../src/reconcilers/application/health.js";
import { NS, corpusObjects, startCluster, until, type TestCluster } from "./cluster.js";

let tc: TestCluster;
beforeEach(async () => {
  tc = await startCluster();
});
afterEach(async () => {
  await tc.close();
});

describe("rollout-bluegreen (autoPromotionEnabled: false)", () => {
  const ref = { namespace: NS, name: "rollout-bluegreen" };
  const objects = () => corpusObjects("rollout-bluegreen.yaml", (t) => t.replace("autoPromotionEnabled: false", "autoPromotionEnabled: false\n      scaleDownDelaySeconds: 1"));

  it("waits for promotion with the preview on the new ReplicaSet, then moves the active Service", async () => {
    await tc.apply(objects());
    const first = await tc.controller().run(ref);
    expect(first.phase).toBe("Healthy");
    const blue = first.podTemplateHash!;
    expect(await tc.selectorOf("rollout-bluegreen-active")).toBe(blue);
    expect(await tc.selectorOf("rollout-bluegreen-preview")).toBe(blue);

    await tc.setImage("rollout-bluegreen", "argoproj/rollouts-demo:green");
    const gate = await tc.controller().run(ref);
    const green = gate.podTemplateHash!;
    expect(green).not.toBe(blue);
    expect(gate.phase).toBe("Paused");
    expect(gate.message).toBe("BlueGreenPause");
    expect(gate.gate?.reason).toBe("BlueGreenPause");
    expect(gate.strategy).toBe("blueGreen");
    expect(await tc.selectorOf("rollout-bluegreen-preview")).toBe(green);
    expect(await tc.selectorOf("rollout-bluegreen-active")).toBe(blue);
    expect(gate.replicaSets.map((rs) => [rs.role, rs.hash, rs.replicas])).toEqual([
      ["preview", green, 2],
      ["active", blue, 2],
    ]);
    expect(await until(async () => (await tc.readyPods(green)) === 2 && (await tc.readyPods(blue)) === 2, "2 preview and 2 active Ready pods")).toBe(true);
    const live = await tc.cluster.get({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "rollout-bluegreen" });
    expect(healthOf(live!)?.status).toBe("Suspended");

    const promoted = await tc.controller().promote(ref);
    expect(await tc.selectorOf("rollout-bluegreen-active")).toBe(green);
    expect(promoted.gate).toBeUndefined();
    const done = await tc.controller().run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.rollout.status).toMatchObject({ stableRS: green, blueGreen: { activeSelector: green, previewSelector: green } });
    // The old ReplicaSet goes to 0 once its scale-down delay has passed.
    expect(done.replicaSets.find((rs) => rs.hash === blue)?.replicas).toBe(0);
    expect(await until(async () => (await tc.readyPods(blue)) === 0, "no blue pod left")).toBe(true);
  });
});

describe("rollout-rolling-update (canary without steps: maxSurge 1, maxUnavailable 1)", () => {
  const ref = { namespace: NS, name: "rollout-rollingupdate" };

  it("rolls through to the new revision without ever going above 6 pods or below 4 available", async () => {
    await tc.apply(corpusObjects("rollout-rolling-update.yaml"));
    const first = await tc.controller().run(ref);
    expect(first.phase).toBe("Healthy");
    await tc.setImage("rollout-rollingupdate", "argoproj/rollouts-demo:yellow");
    const sizes: Array<[number, number]> = [];
    const done = await tc.controller({
      onChange: (s) => void sizes.push([s.replicaSets.reduce((n, rs) => n + rs.replicas, 0), s.replicaSets.reduce((n, rs) => n + rs.available, 0)]),
    }).run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.revision).toBe(2);
    expect(done.rollout.status).toMatchObject({ stableRS: done.podTemplateHash, currentPodHash: done.podTemplateHash });
    expect(done.replicaSets.map((rs) => [rs.role, rs.replicas])).toEqual([
      ["stable", 5],
      ["old", 0],
    ]);
    expect(sizes.length).toBeGreaterThan(1);
    for (const [desired, available] of sizes) {
      expect(desired).toBeLessThanOrEqual(6);
      expect(available).toBeGreaterThanOrEqual(4);
    }
    expect(await until(async () => (await tc.readyPods(done.podTemplateHash!)) === 5 && (await tc.readyPods(first.podTemplateHash!)) === 0, "5 new pods")).toBe(true);
  });
});
