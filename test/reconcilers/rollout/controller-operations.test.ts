// The operations people run (abort, retry, undo) through the controller against the simulated cluster,
// restart safety (a second RolloutController, as another process would, carries on from the step and
// the analysis run the first left), Services switched by the canary, and a Rollout naming a Service that
// does not exist (InvalidSpec, as Argo reports it). Timed pauses of rollout-canary.yaml are shortened to
// 2s in the test copy.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/core/ports/cluster.js";
import { healthOf } from "../../../src/reconcilers/application/health.js";
import type { RolloutState } from "../../../src/reconcilers/rollout/controller.js";
import { NS, corpusObjects, startCluster, until, type TestCluster } from "./cluster.js";

let tc: TestCluster;
beforeEach(async () => {
  tc = await startCluster();
});
afterEach(async () => {
  await tc.close();
});

const ref = { namespace: NS, name: "rollout-canary" };
const CANARY = () => corpusObjects("rollout-canary.yaml", (t) => t.replace(/duration: (40|20)s/g, "duration: 2s"));
const roleOf = (s: RolloutState, role: string) => s.replicaSets.find((rs) => rs.role === role);
const rsNames = async () => (await tc.cluster.list("apps/v1", "ReplicaSet", { namespace: NS })).map((rs) => rs.metadata.name).sort();

async function atFirstGate(objects = CANARY()): Promise<{ first: RolloutState; gate: RolloutState }> {
  await tc.apply(objects);
  const first = await tc.controller().run(ref);
  await tc.setImage("rollout-canary", "argoproj/rollouts-demo:yellow");
  const gate = await tc.controller().run(ref);
  expect(gate.gate?.reason).toBe("CanaryPauseStep");
  return { first, gate };
}

describe("abort, retry and undo", () => {
  it("abort scales the canary to 0 and the stable back to 5 (Degraded, RolloutAborted); retry starts the steps again", async () => {
    const { first, gate } = await atFirstGate();
    const aborted = await tc.controller().abort(ref, { by: "octocat" });
    expect(aborted.phase).toBe("Degraded");
    expect(aborted.message).toBe("RolloutAborted: Rollout aborted update to revision 2");
    expect(aborted.aborted).toBe(true);
    expect(aborted.gate).toBeUndefined();
    expect(aborted.weights?.setWeight).toBe(0);
    const settled = await tc.controller().run(ref);
    expect(settled.phase).toBe("Degraded");
    expect(roleOf(settled, "canary")).toMatchObject({ hash: gate.podTemplateHash, replicas: 0 });
    expect(roleOf(settled, "stable")).toMatchObject({ hash: first.podTemplateHash, replicas: 5 });
    expect(await until(async () => (await tc.readyPods(first.podTemplateHash!)) === 5 && (await tc.readyPods(gate.podTemplateHash!)) === 0, "5 stable pods, no canary")).toBe(true);
    const live = await tc.cluster.get({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: NS, name: "rollout-canary" });
    expect(healthOf(live!)).toEqual({ status: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2" });

    await tc.controller().retry(ref);
    const again = await tc.controller().run(ref);
    expect(again.phase).toBe("Paused");
    expect(again.aborted).toBe(false);
    expect(again.currentStepIndex).toBe(1);
    expect(roleOf(again, "canary")).toMatchObject({ hash: gate.podTemplateHash, replicas: 1 });
  });

  it("undo at the gate goes back to the stable template at once (Argo's rollback to stable skips the steps)", async () => {
    const { first, gate } = await atFirstGate();
    const undone = await tc.controller().undo(ref);
    const done = undone.phase === "Healthy" ? undone : await tc.controller().run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.podTemplateHash).toBe(first.podTemplateHash);
    expect(done.rollout.status).toMatchObject({ stableRS: first.podTemplateHash, currentStepIndex: 8 });
    const spec = done.rollout.spec as { template: { spec: { containers: Array<{ image: string }> }; metadata: { labels: Record<string, string> } } };
    expect(spec.template.spec.containers[0].image).toBe("argoproj/rollouts-demo:blue");
    expect(spec.template.metadata.labels["rollouts-pod-template-hash"]).toBeUndefined();
    expect(done.replicaSets.find((rs) => rs.hash === gate.podTemplateHash)?.replicas).toBe(0);
    await expect(tc.controller().undo(ref, { toRevision: 9 })).rejects.toThrow("unable to find specified revision 9 in history");
  });
});

describe("restart safety: a second controller carries on where the first stopped", () => {
  it("continues the canary from the step the first controller left, with the same ReplicaSets", async () => {
    const { gate } = await atFirstGate();
    const ac = new AbortController();
    let leftAt = -1;
    const a = tc.controller({
      onChange: (s) => {
        if ((s.currentStepIndex ?? 0) >= 3 && !ac.signal.aborted) {
          leftAt = s.currentStepIndex!;
          ac.abort();
        }
      },
    });
    await a.promote(ref);
    const stopped = await a.run(ref, { signal: ac.signal });
    expect(stopped.phase).not.toBe("Healthy");
    expect(leftAt).toBeGreaterThanOrEqual(3);
    const names = await rsNames();

    const b = tc.controller();
    const where = await b.status(ref);
    expect(where.currentStepIndex).toBeGreaterThanOrEqual(leftAt);
    const seen: number[] = [];
    const done = await tc.controller({ onChange: (s) => void seen.push(s.currentStepIndex ?? -1) }).run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.podTemplateHash).toBe(gate.podTemplateHash);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(leftAt);
    expect(await rsNames()).toEqual(names);
  });

  it("continues an analysis run whose Job is in flight without measuring twice", async () => {
    const templates = corpusObjects("analysis-templates.yaml", (t) => t.replace("[FLIP=$(($(($RANDOM%10))%2)) && exit $FLIP]", "[sleep 0.5; exit 0]").replaceAll("interval: 5s", "interval: 1s"));
    await tc.apply([...templates, ...corpusObjects("cluster-analysis-templates.yaml"), ...corpusObjects("rollout-analysis-step.yaml")]);
    const stepRef = { namespace: NS, name: "rollout-analysis-step" };
    await tc.controller().run(stepRef);
    await tc.setImage("rollout-analysis-step", "argoproj/rollouts-demo:yellow");
    const ac = new AbortController();
    await tc.controller({ onChange: (s) => void (s.analysisRuns.some((r) => r.phase === "Running") && ac.abort()) }).run(stepRef, { signal: ac.signal });
    const runs = await tc.cluster.list<KubeObject>("argoproj.io/v1alpha1", "AnalysisRun", { namespace: NS });
    expect(runs).toHaveLength(1);
    expect((runs[0].status as { phase?: string } | undefined)?.phase).toBe("Running");

    const done = await tc.controller().run(stepRef, { timeoutMs: 20_000 });
    expect(done.phase).toBe("Healthy");
    expect(done.analysisRuns.map((r) => [r.name, r.phase])).toEqual([[runs[0].metadata.name, "Successful"]]);
    const jobs = await tc.cluster.list("batch/v1", "Job", { namespace: NS });
    expect(jobs.map((j) => j.metadata.name!.split(".").slice(1).join(".")).sort()).toEqual(["pass.1", "random-fail.1", "random-fail.2"]);
  });
});

describe("Services", () => {
  const services = (): KubeObject[] =>
    ["rollout-canary-stable", "rollout-canary-canary"].map((name) => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: "rollout-canary" }, ports: [{ port: 80, targetPort: 8080 }] } }));
  const withServices = () =>
    CANARY().map((o) => {
      if (o.kind !== "Rollout") return o;
      const canary = (o.spec as { strategy: { canary: Record<string, unknown> } }).strategy.canary;
      Object.assign(canary, { stableService: "rollout-canary-stable", canaryService: "rollout-canary-canary" });
      return o;
    });

  it("points the stable Service at the stable pods and the canary Service at the canary; after an abort both at the stable", async () => {
    await tc.apply(services());
    const { first, gate } = await atFirstGate(withServices());
    expect(await tc.selectorOf("rollout-canary-stable")).toBe(first.podTemplateHash);
    expect(await tc.selectorOf("rollout-canary-canary")).toBe(gate.podTemplateHash);
    const svc = await tc.cluster.get({ apiVersion: "v1", kind: "Service", namespace: NS, name: "rollout-canary-canary" });
    expect(svc?.metadata.annotations?.["argo-rollouts.argoproj.io/managed-by-rollouts"]).toBe("rollout-canary");
    await tc.controller().abort(ref);
    await tc.controller().run(ref);
    expect(await tc.selectorOf("rollout-canary-canary")).toBe(first.podTemplateHash);
  });

  it("a missing Service is an InvalidSpec (Degraded) until it exists", async () => {
    await tc.apply(withServices());
    const invalid = await tc.controller().run(ref);
    expect(invalid.phase).toBe("Degraded");
    expect(invalid.message).toBe('InvalidSpec: The Rollout "rollout-canary" is invalid: spec.strategy.canary.stableService: Invalid value: "rollout-canary-stable": services "rollout-canary-stable" not found');
    expect(invalid.replicaSets).toEqual([]);
    await tc.apply(services());
    const healthy = await tc.controller().run(ref);
    expect(healthy.phase).toBe("Healthy");
    expect((healthy.rollout.status as { conditions: Array<{ type: string }> }).conditions.map((c) => c.type)).not.toContain("InvalidSpec");
  });
});

describe("workloadRef", () => {
  it("takes the pod template from a Deployment, and a change to the Deployment is the next revision", async () => {
    const [rollout] = CANARY();
    const spec = rollout.spec as Record<string, unknown>;
    const deployment: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 0, selector: spec.selector, template: spec.template },
    };
    delete spec.template;
    spec.workloadRef = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };
    await tc.apply([deployment, rollout]);
    const first = await tc.controller().run(ref);
    expect(first.phase).toBe("Healthy");
    expect(await until(async () => (await tc.readyPods(first.podTemplateHash!)) === 5 && true, "5 pods from the Deployment's template")).toBe(true);
    await tc.cluster.patch({ apiVersion: "apps/v1", kind: "Deployment", namespace: NS, name: "web" }, [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "argoproj/rollouts-demo:yellow" }], "json");
    const gate = await tc.controller().run(ref);
    expect(gate.gate?.reason).toBe("CanaryPauseStep");
    expect(gate.revision).toBe(2);
    expect(roleOf(gate, "canary")?.replicas).toBe(1);
    // undo writes the previous template back into the Deployment.
    const undone = await tc.controller().undo(ref);
    const done = undone.phase === "Healthy" ? undone : await tc.controller().run(ref);
    expect(done.phase).toBe("Healthy");
    expect(done.podTemplateHash).toBe(first.podTemplateHash);
    const dep = await tc.cluster.get<KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }>({ apiVersion: "apps/v1", kind: "Deployment", namespace: NS, name: "web" });
    expect(dep?.spec.template.spec.containers[0].image).toBe("argoproj/rollouts-demo:blue");
  });

  it("a missing Deployment is an InvalidSpec", async () => {
    const [rollout] = CANARY();
    const spec = rollout.spec as Record<string, unknown>;
    delete spec.template;
    spec.workloadRef = { apiVersion: "apps/v1", kind: "Deployment", name: "nope" };
    await tc.apply([rollout]);
    const s = await tc.controller().run(ref);
    expect(s.phase).toBe("Degraded");
    expect(s.message).toBe('InvalidSpec: The Rollout "rollout-canary" is invalid: deployments.apps "nope" not found');
  });
});
