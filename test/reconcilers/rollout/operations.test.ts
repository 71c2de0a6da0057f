// The operations as the patches kubectl-argo-rollouts sends (cmd/promote/promote.go getPatches and the
// abort, retry, pause and undo commands): pure transforms of the Rollout.
import { describe, expect, it } from "vitest";
import { abortRollout, pauseRollout, promoteRollout, retryRollout, undoRollout, type ObservedReplicaSet, type Rollout } from "../../../src/reconcilers/rollout/index.js";
import { corpusRollout } from "./sim.js";

const canaryAt = (status: Rollout["status"]): Rollout => ({ ...corpusRollout("rollout-canary.yaml"), status });
const pausedAt1 = canaryAt({ currentStepIndex: 1, controllerPause: true, pauseConditions: [{ reason: "CanaryPauseStep", startTime: "2026-01-01T00:00:00Z" }], stableRS: "a", currentPodHash: "b" });

describe("promote", () => {
  it("at a pause: clears pauseConditions only (controllerPause tells the controller a person resumed)", () => {
    const r = promoteRollout(pausedAt1);
    expect(r.message).toBe("rollout 'rollout-canary' promoted");
    expect(r.changed).toBe(true);
    expect(r.rollout.status).toEqual({ currentStepIndex: 1, controllerPause: true, stableRS: "a", currentPodHash: "b" });
    expect(pausedAt1.status?.pauseConditions).toHaveLength(1);
  });
  it("with no pause, mid-step (e.g. a running analysis): the next step, never past the last", () => {
    expect(promoteRollout(canaryAt({ currentStepIndex: 2, stableRS: "a", currentPodHash: "b" })).rollout.status?.currentStepIndex).toBe(3);
    expect(promoteRollout(canaryAt({ currentStepIndex: 8, stableRS: "a", currentPodHash: "b" })).rollout.status?.currentStepIndex).toBe(8);
  });
  it("after an inconclusive step analysis: clears the pause and controllerPause and moves on", () => {
    const ro = canaryAt({
      currentStepIndex: 1,
      controllerPause: true,
      pauseConditions: [{ reason: "InconclusiveAnalysisRun", startTime: "2026-01-01T00:00:00Z" }],
      canary: { currentStepAnalysisRunStatus: { name: "r", status: "Inconclusive" } },
    });
    expect(promoteRollout(ro).rollout.status).toMatchObject({ controllerPause: false, currentStepIndex: 2 });
    expect(promoteRollout(ro).rollout.status?.pauseConditions).toBeUndefined();
  });
  it("blue-green without a pause changes nothing; a manual pause (spec.paused) is lifted", () => {
    const bg = { ...corpusRollout("rollout-bluegreen.yaml"), status: { stableRS: "a" } };
    expect(promoteRollout(bg).changed).toBe(false);
    const paused = { ...bg, spec: { ...bg.spec, paused: true } };
    expect(promoteRollout(paused).rollout.spec.paused).toBe(false);
  });
  it("--full sets promoteFull, unless already fully promoted", () => {
    const r = promoteRollout(pausedAt1, { full: true });
    expect(r.rollout.status?.promoteFull).toBe(true);
    expect(r.message).toBe("rollout 'rollout-canary' fully promoted");
    expect(promoteRollout(canaryAt({ stableRS: "a", currentPodHash: "a" }), { full: true }).changed).toBe(false);
  });
});

describe("abort, retry, pause", () => {
  it("abort sets status.abort; retry clears it; pause sets spec.paused", () => {
    const aborted = abortRollout(pausedAt1);
    expect([aborted.rollout.status?.abort, aborted.message]).toEqual([true, "rollout 'rollout-canary' aborted"]);
    const retried = retryRollout(aborted.rollout);
    expect([retried.rollout.status?.abort, retried.message]).toEqual([false, "rollout 'rollout-canary' retried"]);
    const paused = pauseRollout(pausedAt1);
    expect([paused.rollout.spec.paused, paused.message]).toEqual([true, "rollout 'rollout-canary' paused"]);
  });
});

describe("undo", () => {
  const ro = corpusRollout("rollout-canary.yaml");
  const template = (image: string, hash: string) => ({ ...structuredClone(ro.spec.template!), metadata: { labels: { app: "rollout-canary", "rollouts-pod-template-hash": hash } }, spec: { containers: [{ name: "rollouts-demo", image }] } });
  const rss: ObservedReplicaSet[] = [
    { name: "a", podTemplateHash: "a", revision: 1, replicas: 0, template: template("argoproj/rollouts-demo:blue", "a") },
    { name: "b", podTemplateHash: "b", revision: 2, replicas: 0, template: template("argoproj/rollouts-demo:green", "b") },
    { name: "c", podTemplateHash: "c", revision: 3, replicas: 5, template: template("argoproj/rollouts-demo:red", "c") },
  ];
  it("goes to the previous revision by default, without the hash label", () => {
    const r = undoRollout(ro, rss);
    expect(r.message).toBe("rollout 'rollout-canary' undo");
    expect(r.rollout.spec.template).toEqual({ metadata: { labels: { app: "rollout-canary" } }, spec: { containers: [{ name: "rollouts-demo", image: "argoproj/rollouts-demo:green" }] } });
  });
  it("--to-revision picks that one; a missing revision is an error", () => {
    expect((undoRollout(ro, rss, { toRevision: 1 }).rollout.spec.template?.spec as { containers: Array<{ image: string }> }).containers[0].image).toBe("argoproj/rollouts-demo:blue");
    expect(() => undoRollout(ro, rss, { toRevision: 9 })).toThrow("unable to find specified revision 9 in history");
    expect(() => undoRollout(ro, rss.slice(0, 1))).toThrow('no revision found for rollout "rollout-canary"');
  });
  it("skips when the template already matches", () => {
    const same = { ...ro, spec: { ...ro.spec, template: template("argoproj/rollouts-demo:blue", "x") } };
    const r = undoRollout(same, rss, { toRevision: 1 });
    expect([r.changed, r.message]).toEqual([false, "skipped rollback (current template already matches revision 1)"]);
  });
  it("with a workloadRef the template is for the workload; the Rollout is unchanged", () => {
    const withRef = { ...ro, spec: { ...ro.spec, template: undefined, workloadRef: { apiVersion: "apps/v1", kind: "Deployment" as const, name: "web" } } };
    const r = undoRollout(withRef, rss);
    expect(r.rollout).toBe(withRef);
    expect((r.template?.spec as { containers: Array<{ image: string }> }).containers[0].image).toBe("argoproj/rollouts-demo:green");
  });
});
