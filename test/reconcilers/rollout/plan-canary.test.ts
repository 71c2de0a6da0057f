// The canary planner over Argo's examples, step by step: what a user would see (replica counts by image,
// phase and message, the gate, the timer) after each operation, with the exact numbers Argo gives.
import { describe, expect, it } from "vitest";
import { computePodTemplateHash, planRollout, type Rollout } from "../../../src/reconcilers/rollout/index.js";
import { Sim, T0, corpusRollout } from "./sim.js";

const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString().replace(".000Z", "Z");
const eventsOf = (sim: Sim): string[] => sim.plans.flatMap((p) => p.events.map((e) => `${e.reason}: ${e.message}`));
const scales = (sim: Sim): string[] => sim.plans.flatMap((p) => p.actions.flatMap((a) => (a.kind === "scaleReplicaSet" ? [`${a.name.slice(a.name.lastIndexOf("-") + 1) === sim.hashOfImage("blue") ? "blue" : "new"} ${a.from}→${a.to}`] : [])));

function deployed(file: string, mutate?: (ro: Rollout) => void): Sim {
  const ro = corpusRollout(file);
  mutate?.(ro);
  const sim = new Sim(ro);
  sim.settle();
  sim.plans = [];
  return sim;
}

function update(sim: Sim, tag = "yellow"): void {
  sim.setImage(`argoproj/rollouts-demo:${tag}`);
  sim.plans = [];
  sim.settle();
}

function step(sim: Sim, f: () => void): void {
  f();
  sim.plans = [];
  sim.settle();
}

describe("rollout-canary.yaml (5 replicas: 20%, pause {}, 40%, 40s, 60%, 20s, 80%, 20s)", () => {
  it("the first deploy skips the steps: 5 pods at once, Healthy, step index 8", () => {
    const sim = new Sim(corpusRollout("rollout-canary.yaml"));
    const plan = sim.settle();
    const hash = computePodTemplateHash(sim.rollout.spec.template!);
    expect(sim.plans[0].actions.map((a) => a.kind)).toEqual(["createReplicaSet", "scaleReplicaSet"]);
    expect(sim.plans[0].actions[0]).toMatchObject({ kind: "createReplicaSet", name: `rollout-canary-${hash}`, podTemplateHash: hash, revision: 1 });
    expect(sim.plans[0].actions[1]).toEqual({ kind: "scaleReplicaSet", name: `rollout-canary-${hash}`, from: 0, to: 5 });
    expect(eventsOf(sim)).toContain(`RolloutCompleted: Rollout completed update to revision 1 (${hash}): Initial deploy`);
    expect(plan.next).toEqual({ kind: "done" });
    expect(plan.status).toMatchObject({ phase: "Healthy", message: "", stableRS: hash, currentPodHash: hash, currentStepIndex: 8, availableReplicas: 5, selector: "app=rollout-canary" });
    expect(sim.byImage()).toEqual({ blue: 5 });
  });

  it("the ReplicaSet it creates carries the hash label, selector and revision annotations", () => {
    const sim = new Sim(corpusRollout("rollout-canary.yaml"));
    const create = sim.plan().actions[0];
    if (create.kind !== "createReplicaSet") throw new Error("expected createReplicaSet");
    const rs = create.replicaSet as unknown as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> };
    expect(rs.metadata.labels).toEqual({ app: "rollout-canary", "rollouts-pod-template-hash": create.podTemplateHash });
    expect(rs.metadata.annotations).toEqual({ "rollout.argoproj.io/revision": "1", "rollout.argoproj.io/desired-replicas": "5" });
    expect(rs.spec.selector).toEqual({ matchLabels: { app: "rollout-canary", "rollouts-pod-template-hash": create.podTemplateHash } });
    expect(rs.spec.replicas).toBe(0);
  });

  it("pauses at step 1 with 1 canary and 4 stable pods, then follows every step to Healthy", () => {
    const sim = deployed("rollout-canary.yaml");
    const blue = sim.hashOfImage("blue");
    update(sim);
    const yellow = sim.hashOfImage("yellow");
    expect(scales(sim)).toEqual(["blue 5→4", "new 0→1"]);
    let plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 4, yellow: 1 });
    expect(plan.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
    expect(plan.status).toMatchObject({ phase: "Paused", message: "CanaryPauseStep", currentStepIndex: 1, controllerPause: true, stableRS: blue, currentPodHash: yellow });
    expect(plan.status.pauseConditions).toEqual([{ reason: "CanaryPauseStep", startTime: at(0) }]);
    expect(plan.weights).toEqual({ setWeight: 20, actualWeight: 20 });
    expect(eventsOf(sim)).toContain("RolloutStepCompleted: Rollout step 1/8 completed (setWeight: 20)");
    expect(plan.replicaSets.map((r) => [r.role, r.replicas])).toEqual([
      ["stable", 4],
      ["canary", 1],
    ]);

    step(sim, () => sim.promote());
    plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 3, yellow: 2 });
    expect(plan.next).toEqual({ kind: "waitUntil", at: at(40), reason: "PauseDuration" });
    expect(plan.requeueAt).toBe(at(40));
    expect(plan.status).toMatchObject({ phase: "Paused", message: "CanaryPauseStep", currentStepIndex: 3 });
    expect(eventsOf(sim)).toEqual(expect.arrayContaining(["RolloutStepCompleted: Rollout step 2/8 completed (pause)", "RolloutStepCompleted: Rollout step 3/8 completed (setWeight: 40)"]));

    step(sim, () => sim.advance(39)); // not yet
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "waitUntil", at: at(40), reason: "PauseDuration" });
    expect(sim.plans.at(-1)!.actions).toEqual([]);

    step(sim, () => sim.advance(1)); // a timer set for `at` finds the pause over
    expect(sim.byImage()).toEqual({ blue: 2, yellow: 3 });
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "waitUntil", at: at(60), reason: "PauseDuration" });
    expect(sim.plans.at(-1)!.status.currentStepIndex).toBe(5);

    step(sim, () => sim.advance(21));
    expect(sim.byImage()).toEqual({ blue: 1, yellow: 4 });
    expect(sim.plans.at(-1)!.status.currentStepIndex).toBe(7);

    step(sim, () => sim.advance(21));
    plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 0, yellow: 5 });
    expect(plan.next).toEqual({ kind: "done" });
    expect(plan.status).toMatchObject({ phase: "Healthy", message: "", stableRS: yellow, currentPodHash: yellow, currentStepIndex: 8 });
    expect(plan.status.pauseConditions).toBeUndefined();
    expect(eventsOf(sim)).toContain(`RolloutCompleted: Rollout completed update to revision 2 (${yellow}): Completed all 8 canary steps`);
    expect(plan.status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`).sort()).toEqual([
      "Available=True/AvailableReason",
      "Completed=True/RolloutCompleted",
      "Healthy=True/RolloutHealthy",
      "Paused=False/RolloutPaused",
      "Progressing=True/NewReplicaSetAvailable",
    ]);
  });

  it("waits for pods that are not ready, saying which ReplicaSet", () => {
    const sim = deployed("rollout-canary.yaml");
    sim.podsReady = false;
    update(sim);
    const plan = sim.plans.at(-1)!;
    const name = `rollout-canary-${sim.hashOfImage("yellow")}`;
    expect(plan.next).toEqual({ kind: "waitForPods", replicaSets: [name] });
    expect(plan.status).toMatchObject({ phase: "Progressing", message: "more replicas need to be updated", currentStepIndex: 0 });
    expect(plan.requeueAt).toBe(at(600));
    step(sim, () => sim.podsBecomeReady());
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
  });

  it("abort: the canary goes to 0, the stable back to 5, Degraded with Argo's message; retry starts again", () => {
    const sim = deployed("rollout-canary.yaml");
    update(sim);
    step(sim, () => sim.abort());
    let plan = sim.plans.at(-1)!;
    expect(scales(sim)).toEqual(["blue 4→5", "new 1→0"]);
    expect(plan.next).toEqual({ kind: "aborted", message: "RolloutAborted: Rollout aborted update to revision 2" });
    expect(plan.status).toMatchObject({ phase: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2", abort: true, abortedAt: at(0), currentStepIndex: 0 });
    expect(plan.status.pauseConditions).toBeUndefined();
    expect(plan.weights).toEqual({ setWeight: 0, actualWeight: 0 });

    step(sim, () => sim.retry());
    plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 4, yellow: 1 });
    expect(plan.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
    expect(plan.status).toMatchObject({ phase: "Paused", message: "CanaryPauseStep", currentStepIndex: 1 });
    expect(plan.status.abort).toBeUndefined();
    expect(plan.status.conditions?.find((c) => c.type === "Progressing")?.reason).not.toBe("RolloutAborted");
  });

  it("abort points the canary Service back at the stable", () => {
    const sim = deployed("rollout-canary.yaml", (ro) => Object.assign(ro.spec.strategy.canary!, { canaryService: "web-canary", stableService: "web-stable" }));
    const blue = sim.hashOfImage("blue");
    expect(sim.services).toEqual({ "web-canary": { selector: blue, managedBy: "rollout-canary" }, "web-stable": { selector: blue, managedBy: "rollout-canary" } });
    update(sim);
    expect(sim.services["web-canary"].selector).toBe(sim.hashOfImage("yellow"));
    expect(sim.plans.at(-1)!.services).toEqual([
      { name: "web-stable", role: "stable", podTemplateHash: blue },
      { name: "web-canary", role: "canary", podTemplateHash: sim.hashOfImage("yellow") },
    ]);
    step(sim, () => sim.abort());
    expect(sim.services["web-canary"].selector).toBe(blue);
    expect(sim.services["web-stable"].selector).toBe(blue);
  });

  it("promote full skips the remaining steps and pauses", () => {
    const sim = deployed("rollout-canary.yaml");
    update(sim);
    step(sim, () => sim.promote(true));
    const plan = sim.plans.at(-1)!;
    const yellow = sim.hashOfImage("yellow");
    expect(sim.byImage()).toEqual({ blue: 0, yellow: 5 });
    expect(plan.next).toEqual({ kind: "done" });
    expect(plan.status).toMatchObject({ phase: "Healthy", stableRS: yellow, currentStepIndex: 8 });
    expect(plan.status.promoteFull).toBeUndefined();
    expect(eventsOf(sim)).toContain(`RolloutCompleted: Rollout completed update to revision 2 (${yellow}): Full promotion requested`);
    expect(eventsOf(sim).filter((e) => e.startsWith("RolloutStepCompleted"))).toEqual([]);
  });

  it("undo to the stable template mid-update is a rollback: steps skipped, the stable scaled back", () => {
    const sim = deployed("rollout-canary.yaml");
    update(sim);
    const blue = sim.hashOfImage("blue");
    let message = "";
    step(sim, () => (message = sim.undo()));
    expect(message).toBe("rollout 'rollout-canary' undo");
    const plan = sim.plans.at(-1)!;
    expect(eventsOf(sim)).toContain("SkipSteps: Rollback to stable ReplicaSets");
    expect(sim.byImage()).toEqual({ blue: 5, yellow: 0 });
    expect(plan.status).toMatchObject({ phase: "Healthy", stableRS: blue, currentPodHash: blue, currentStepIndex: 8 });
    expect(sim.plans.flatMap((p) => p.actions).find((a) => a.kind === "setRevision")).toEqual({ kind: "setRevision", name: `rollout-canary-${blue}`, revision: 3 });
  });

  it("undo after a completed update goes through the steps again with the old ReplicaSet as canary", () => {
    const sim = deployed("rollout-canary.yaml");
    update(sim);
    step(sim, () => sim.promote(true));
    step(sim, () => sim.undo());
    expect(sim.byImage()).toEqual({ blue: 1, yellow: 4 });
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
    expect(sim.plans.at(-1)!.revision).toBe(3);
    expect(() => sim.undo(7)).toThrow("unable to find specified revision 7 in history");
  });
});

describe("rollbackWindow and scaling", () => {
  it("undo within rollbackWindow.revisions goes straight back, skipping the steps", () => {
    const sim = deployed("rollout-canary.yaml", (ro) => void (ro.spec.rollbackWindow = { revisions: 1 }));
    sim.advance(60);
    update(sim);
    step(sim, () => sim.promote(true));
    step(sim, () => sim.undo());
    expect(sim.byImage()).toEqual({ blue: 5, yellow: 0 });
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", stableRS: sim.hashOfImage("blue"), currentStepIndex: 8 });
    expect(eventsOf(sim)).toContain(`RolloutCompleted: Rollout completed update to revision 3 (${sim.hashOfImage("blue")}): Rollback within window`);
    expect(eventsOf(sim).filter((e) => e.startsWith("RolloutStepCompleted"))).toEqual([]);
  });

  it("a change of spec.replicas alone scales the stable ReplicaSet, no steps", () => {
    const sim = deployed("rollout-canary.yaml");
    step(sim, () => (sim.rollout = { ...sim.rollout, spec: { ...sim.rollout.spec, replicas: 8 } }));
    expect(sim.byImage()).toEqual({ blue: 8 });
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", currentStepIndex: 8 });
    expect(eventsOf(sim).filter((e) => e.startsWith("RolloutStepCompleted"))).toEqual([]);
  });
});

describe("progressDeadlineSeconds", () => {
  it("pods that never become ready: Degraded ProgressDeadlineExceeded after 600s, the canary left as it is", () => {
    const sim = deployed("rollout-canary.yaml");
    sim.podsReady = false;
    update(sim);
    const name = `rollout-canary-${sim.hashOfImage("yellow")}`;
    step(sim, () => sim.advance(599));
    expect(sim.plans.at(-1)!.status.phase).toBe("Progressing");
    step(sim, () => sim.advance(2));
    const plan = sim.plans.at(-1)!;
    expect(plan.status).toMatchObject({ phase: "Degraded", message: `ProgressDeadlineExceeded: ReplicaSet "${name}" has timed out progressing.` });
    expect(plan.next).toEqual({ kind: "degraded", message: `ProgressDeadlineExceeded: ReplicaSet "${name}" has timed out progressing.` });
    expect(sim.byImage()).toEqual({ blue: 4, yellow: 1 });
  });

  it("with progressDeadlineAbort the update is aborted and the stable restored", () => {
    const sim = deployed("rollout-canary.yaml", (ro) => void (ro.spec.progressDeadlineAbort = true));
    sim.podsReady = false;
    update(sim);
    step(sim, () => sim.advance(601));
    const plan = sim.plans.at(-1)!;
    expect(plan.status).toMatchObject({ phase: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2", abort: true });
    expect(sim.byImage()).toEqual({ blue: 5, yellow: 0 });
    expect(eventsOf(sim)[0]).toBe(`RolloutAborted: ReplicaSet "rollout-canary-${sim.hashOfImage("yellow")}" has timed out progressing.`);
  });

  it("a gate does not time out, however long it waits", () => {
    const sim = deployed("rollout-canary.yaml");
    update(sim);
    step(sim, () => sim.advance(3600));
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Paused", message: "CanaryPauseStep" });
    expect(sim.plans.at(-1)!.requeueAt).toBeUndefined();
  });
});

describe("rollout-rolling-update.yaml (no steps, maxSurge 1, maxUnavailable 1)", () => {
  it("rolls through like a Deployment: never more than 6 pods, never fewer than 4 available", () => {
    const sim = deployed("rollout-rolling-update.yaml");
    update(sim, "green");
    expect(scales(sim)).toEqual(["blue 5→4", "new 0→2", "blue 4→2", "new 2→4", "blue 2→0", "new 4→5"]);
    for (const p of sim.plans) {
      const total = p.replicaSets.reduce((n, rs) => n + rs.replicas, 0);
      expect(total).toBeLessThanOrEqual(6);
      expect(p.replicaSets.reduce((n, rs) => n + rs.availableReplicas, 0)).toBeGreaterThanOrEqual(4);
    }
    const plan = sim.plans.at(-1)!;
    expect(plan.next).toEqual({ kind: "done" });
    expect(plan.status).toMatchObject({ phase: "Healthy", stableRS: sim.hashOfImage("green") });
    expect(plan.status.currentStepIndex).toBeUndefined();
    expect(eventsOf(sim)).toContain(`RolloutCompleted: Rollout completed update to revision 2 (${sim.hashOfImage("green")}): Completed all 0 canary steps`);
  });
});

describe("rollout-analysis-step.yaml (25%, then an analysis step)", () => {
  function atAnalysis(): { sim: Sim; run: string } {
    const sim = deployed("rollout-analysis-step.yaml");
    update(sim, "green");
    return { sim, run: `rollout-analysis-step-${sim.hashOfImage("green")}-2-1` };
  }

  it("creates the step's AnalysisRun with Argo's name, labels and the templates to use", () => {
    const { sim, run } = atAnalysis();
    const create = sim.plans.flatMap((p) => p.actions).find((a) => a.kind === "createAnalysisRun");
    expect(create).toEqual({
      kind: "createAnalysisRun",
      run: {
        name: run,
        type: "Step",
        stepIndex: 1,
        analysis: { templates: [{ templateName: "random-fail" }, { templateName: "always-pass", clusterScope: true }] },
        args: [],
        labels: { "rollouts-pod-template-hash": sim.hashOfImage("green"), "rollout-type": "Step", "step-index": "1", app: "rollout-analysis-step" },
        annotations: { "rollout.argoproj.io/revision": "2" },
      },
    });
    const plan = sim.plans.at(-1)!;
    expect(plan.next).toEqual({ kind: "waitForAnalysis", runs: [run] });
    expect(plan.status.canary?.currentStepAnalysisRunStatus).toEqual({ name: run, status: "Running" });
    expect(sim.byImage()).toEqual({ blue: 3, green: 1 });
  });

  it("promotes when the analysis passes", () => {
    const { sim, run } = atAnalysis();
    step(sim, () => sim.setRun(run, "Successful"));
    expect(sim.byImage()).toEqual({ blue: 0, green: 4 });
    expect(sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", currentStepIndex: 2 });
    expect(eventsOf(sim)[0]).toBe("RolloutStepCompleted: Rollout step 2/2 completed (analysis)");
  });

  it("aborts back to stable when it fails, with the analysis' message", () => {
    const { sim, run } = atAnalysis();
    const why = 'Metric "random-fail" assessed Failed due to failed (2) > failureLimit (1)';
    step(sim, () => sim.setRun(run, "Failed", why));
    const plan = sim.plans.at(-1)!;
    expect(sim.byImage()).toEqual({ blue: 4, green: 0 });
    expect(plan.status).toMatchObject({ phase: "Degraded", message: `RolloutAborted: Rollout aborted update to revision 2: ${why}`, abort: true, currentStepIndex: 0 });
    expect(plan.next.kind).toBe("aborted");
  });

  it("an Error aborts too; an Inconclusive run pauses with InconclusiveAnalysisRun and halts scaling", () => {
    const err = atAnalysis();
    step(err.sim, () => err.sim.setRun(err.run, "Error", "boom"));
    expect(err.sim.plans.at(-1)!.status.message).toBe("RolloutAborted: Rollout aborted update to revision 2: boom");
    const inc = atAnalysis();
    step(inc.sim, () => inc.sim.setRun(inc.run, "Inconclusive"));
    const plan = inc.sim.plans.at(-1)!;
    expect(plan.next).toEqual({ kind: "gate", reason: "InconclusiveAnalysisRun" });
    expect(plan.status).toMatchObject({ phase: "Paused", message: "InconclusiveAnalysisRun" });
    expect(inc.sim.byImage()).toEqual({ blue: 3, green: 1 });
    step(inc.sim, () => inc.sim.promote());
    expect(inc.sim.plans.at(-1)!.status).toMatchObject({ phase: "Healthy", currentStepIndex: 2 });
  });
});

describe("rollout-background-analysis.yaml (background analysis from step 0)", () => {
  it("starts one background run with the update, keeps it across the gate and stops it once promoted", () => {
    const sim = deployed("rollout-background-analysis.yaml");
    update(sim, "green");
    const run = `rollout-background-analysis-${sim.hashOfImage("green")}-2`;
    const plan = sim.plans.at(-1)!;
    expect(sim.runs).toEqual([{ name: run, phase: "Running" }]);
    expect(plan.status.canary?.currentBackgroundAnalysisRunStatus).toEqual({ name: run, status: "Running" });
    expect(plan.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
    step(sim, () => sim.promote());
    expect(sim.plans.flatMap((p) => p.actions).filter((a) => a.kind === "terminateAnalysisRun")).toEqual([{ kind: "terminateAnalysisRun", name: run }]);
    expect(sim.plans.at(-1)!.status.phase).toBe("Healthy");
  });

  it("a failing background run aborts the update; retry starts a new run named with .1", () => {
    const sim = deployed("rollout-background-analysis.yaml");
    update(sim, "green");
    const run = `rollout-background-analysis-${sim.hashOfImage("green")}-2`;
    step(sim, () => sim.setRun(run, "Failed", "nope"));
    expect(sim.plans.at(-1)!.status.message).toBe("RolloutAborted: Rollout aborted update to revision 2: nope");
    expect(sim.byImage()).toEqual({ blue: 4, green: 0 });
    step(sim, () => sim.retry());
    expect(sim.runs.map((r) => r.name)).toEqual([run, `${run}.1`]);
    expect(sim.plans.at(-1)!.next).toEqual({ kind: "gate", reason: "CanaryPauseStep" });
  });

  it("startingStep delays the background run until that step", () => {
    const sim = deployed("rollout-background-analysis.yaml", (ro) => void (ro.spec.strategy.canary!.analysis!.startingStep = 1));
    sim.podsReady = false;
    update(sim, "green");
    expect(sim.runs).toEqual([]);
    step(sim, () => sim.podsBecomeReady());
    expect(sim.runs.map((r) => r.name)).toEqual([`rollout-background-analysis-${sim.hashOfImage("green")}-2`]);
  });
});

describe("planRollout itself", () => {
  it("is a pure function: the same input gives the same plan", () => {
    const sim = deployed("rollout-canary.yaml");
    sim.setImage("argoproj/rollouts-demo:yellow");
    const input = { rollout: sim.rollout, replicaSets: [...sim.replicaSets.values()], services: sim.services, analysisRuns: sim.runs, now: sim.nowIso };
    const before = JSON.stringify(input);
    expect(planRollout(input)).toEqual(planRollout(input));
    expect(JSON.stringify(input)).toBe(before);
  });
  it("refuses a Rollout whose workloadRef was not resolved", () => {
    const ro = corpusRollout("rollout-canary.yaml");
    delete ro.spec.template;
    expect(() => planRollout({ rollout: ro, replicaSets: [], now: at(0) })).toThrow("Rollout rollout-canary has no pod template: resolve its workloadRef first");
  });
});
