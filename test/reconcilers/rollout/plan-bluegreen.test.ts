// The blue-green planner over Argo's example: the preview comes up behind the preview Service, the gate
// holds until a promote, the active Service switches, the old ReplicaSet goes after its delay.
import { describe, expect, it } from "vitest";
import type { BlueGreenStrategy } from "../../../src/reconcilers/rollout/index.js";
import { Sim, T0, corpusRollout } from "./sim.js";

const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString().replace(".000Z", "Z");
const ACTIVE = "rollout-bluegreen-active";
const PREVIEW = "rollout-bluegreen-preview";

function deployed(over: Partial<BlueGreenStrategy> = {}): Sim {
  const ro = corpusRollout("rollout-bluegreen.yaml");
  Object.assign(ro.spec.strategy.blueGreen!, over);
  const sim = new Sim(ro);
  sim.settle();
  sim.plans = [];
  return sim;
}

function step(sim: Sim, f: () => void): void {
  f();
  sim.plans = [];
  sim.settle();
}

const update = (sim: Sim): void => step(sim, () => sim.setImage("argoproj/rollouts-demo:green"));
const selectors = (sim: Sim) => ({ active: sim.services[ACTIVE]?.selector, preview: sim.services[PREVIEW]?.selector });

describe("rollout-bluegreen.yaml (2 replicas, autoPromotionEnabled: false)", () => {
  it("the first deploy points both Services at the new ReplicaSet without a gate", () => {
    const sim = new Sim(corpusRollout("rollout-bluegreen.yaml"));
    const plan = sim.settle();
    const blue = sim.hashOfImage("blue");
    expect(selectors(sim)).toEqual({ active: blue, preview: blue });
    expect(plan.next).toEqual({ kind: "done" });
    expect(plan.status).toMatchObject({ phase: "Healthy", stableRS: blue, blueGreen: { activeSelector: blue, previewSelector: blue }, selector: `app=rollout-bluegreen,rollouts-pod-template-hash=${blue}` });
    expect(sim.plans.flatMap((p) => p.events).map((e) => e.message)).toContain(`Rollout completed update to revision 1 (${blue}): Initial deploy`);
  });

  it("waits for promotion with the preview up, then moves the active selector and scales the old one down after 30s", () => {
    const sim = deployed();
    const blue = sim.hashOfImage("blue");
    update(sim);
    const green = sim.hashOfImage("green");
    let plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 2, green: 2 });
    expect(selectors(sim)).toEqual({ active: blue, preview: green });
    expect(plan.next).toEqual({ kind: "gate", reason: "BlueGreenPause" });
    expect(plan.status).toMatchObject({ phase: "Paused", message: "BlueGreenPause", stableRS: blue, currentPodHash: green, controllerPause: true, blueGreen: { activeSelector: blue, previewSelector: green } });
    expect(plan.status.pauseConditions).toEqual([{ reason: "BlueGreenPause", startTime: at(0) }]);
    expect(plan.replicaSets.map((r) => [r.role, r.replicas])).toEqual([
      ["active", 2],
      ["preview", 2],
    ]);

    step(sim, () => sim.advance(3600));
    expect(sim.plans.at(-1)!.status.phase).toBe("Paused");
    expect(selectors(sim).active).toBe(blue);

    step(sim, () => sim.promote());
    plan = sim.plans.at(-1)!;
    expect(selectors(sim)).toEqual({ active: green, preview: green });
    expect(plan.status).toMatchObject({ phase: "Healthy", stableRS: green, blueGreen: { activeSelector: green } });
    expect(plan.next).toEqual({ kind: "waitUntil", at: at(3630), reason: "ScaleDownDelay" });
    expect(sim.replicaSets.get(`rollout-bluegreen-${blue}`)).toMatchObject({ replicas: 2, scaleDownDeadline: at(3630) });
    expect(sim.plans.flatMap((p) => p.events).map((e) => e.message)).toContain(`Switched selector for service '${ACTIVE}' from '${blue}' to '${green}'`);

    step(sim, () => sim.advance(31));
    expect(sim.byImage()).toEqual({ blue: 0, green: 2 });
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "done" });
  });

  it("autoPromotionSeconds promotes by itself once the time is up", () => {
    const sim = deployed({ autoPromotionEnabled: true, autoPromotionSeconds: 60 });
    update(sim);
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "waitUntil", at: at(60), reason: "AutoPromotion" });
    step(sim, () => sim.advance(59));
    expect(selectors(sim).active).toBe(sim.hashOfImage("blue"));
    step(sim, () => sim.advance(1));
    expect(selectors(sim).active).toBe(sim.hashOfImage("green"));
    expect(sim.plans.at(-1)!.status.phase).toBe("Healthy");
  });

  it("with autoPromotionEnabled (the default) the switch happens as soon as the preview is ready", () => {
    const sim = deployed({ autoPromotionEnabled: true });
    update(sim);
    expect(selectors(sim).active).toBe(sim.hashOfImage("green"));
    expect(sim.plans.flatMap((p) => p.status.pauseConditions ?? [])).toEqual([]);
  });

  it("previewReplicaCount: the preview runs 1 pod until promoted, then 2, then the switch", () => {
    const sim = deployed({ previewReplicaCount: 1 });
    update(sim);
    expect(sim.byImage()).toEqual({ blue: 2, green: 1 });
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "gate", reason: "BlueGreenPause" });
    step(sim, () => sim.promote());
    const order = sim.plans.flatMap((p) => p.actions).filter((a) => a.kind === "scaleReplicaSet" || a.kind === "switchService").map((a) => a.kind);
    expect(order.slice(0, 2)).toEqual(["scaleReplicaSet", "switchService"]);
    expect(sim.byImage()).toEqual({ blue: 2, green: 2 });
    expect(selectors(sim).active).toBe(sim.hashOfImage("green"));
  });

  it("abort keeps the active Service on the stable and scales the preview down after abortScaleDownDelaySeconds", () => {
    const sim = deployed();
    update(sim);
    const blue = sim.hashOfImage("blue");
    step(sim, () => sim.abort());
    let plan = sim.plans.at(-1)!;
    expect(selectors(sim).active).toBe(blue);
    expect(plan.status).toMatchObject({ phase: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2", abort: true });
    expect(plan.next).toEqual({ kind: "aborted", message: "RolloutAborted: Rollout aborted update to revision 2" });
    expect(sim.byImage()).toEqual({ blue: 2, green: 2 });
    expect(plan.requeueAt).toBe(at(30));
    step(sim, () => sim.advance(31));
    plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 2, green: 0 });
    expect(plan.status.phase).toBe("Degraded");
  });

  it("scaleDownDelaySeconds: 0 scales the old ReplicaSet down at once (Argo never does, argo-rollouts#1992)", () => {
    const sim = deployed({ scaleDownDelaySeconds: 0 });
    update(sim);
    step(sim, () => sim.promote());
    expect(sim.byImage()).toEqual({ blue: 0, green: 2 });
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "done" });
  });

  it("pre-promotion analysis runs before the gate; post-promotion analysis before the old stack goes", () => {
    const sim = deployed({ prePromotionAnalysis: { templates: [{ templateName: "pass" }] }, postPromotionAnalysis: { templates: [{ templateName: "pass" }] } });
    update(sim);
    const green = sim.hashOfImage("green");
    const pre = `rollout-bluegreen-${green}-2-pre`;
    const post = `rollout-bluegreen-${green}-2-post`;
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "waitForAnalysis", runs: [pre] });
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Progressing", message: "active service cutover pending" });
    step(sim, () => sim.setRun(pre, "Successful"));
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "gate", reason: "BlueGreenPause" });
    step(sim, () => sim.promote());
    expect(selectors(sim).active).toBe(green);
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "waitForAnalysis", runs: [post] });
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Progressing", message: "waiting for analysis to complete" });
    expect(sim.byImage()).toEqual({ blue: 2, green: 2 });
    step(sim, () => sim.setRun(post, "Successful"));
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", stableRS: green });
    expect(sim.plans.at(-1)!.next.kind).toBe("waitUntil");
  });

  it("a failed pre-promotion analysis aborts: the active Service never moves", () => {
    const sim = deployed({ prePromotionAnalysis: { templates: [{ templateName: "pass" }] } });
    update(sim);
    const green = sim.hashOfImage("green");
    step(sim, () => sim.setRun(`rollout-bluegreen-${green}-2-pre`, "Failed", "smoke test failed"));
    expect(sim.plans.at(-1)!.status.message).toBe("RolloutAborted: Rollout aborted update to revision 2: smoke test failed");
    expect(selectors(sim).active).toBe(sim.hashOfImage("blue"));
  });

  it("promote full skips the gate", () => {
    const sim = deployed();
    update(sim);
    step(sim, () => sim.promote(true));
    expect(selectors(sim).active).toBe(sim.hashOfImage("green"));
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", stableRS: sim.hashOfImage("green") });
    expect(sim.plans.at(-1)!.status.promoteFull).toBeUndefined();
  });
});
