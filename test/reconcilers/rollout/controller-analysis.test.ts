// Analysis through the controller against the simulated cluster: Argo's rollout-analysis-step example
// with its Job-provider templates (the Jobs really run: the simulated kubelet runs their `sh -c`), and a
// web-provider template against an HTTP server in the test, with a Secret argument and a fieldRef one.
// The test copy of analysis-templates.yaml replaces random-fail's coin flip by `exit 0` or `exit 1` (the
// outcome is the point of each test) and its 5s interval by 1s.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/core/ports/cluster.js";
import type { AnalysisRun } from "../../../src/reconcilers/rollout/types.js";
import { NS, corpusObjects, startCluster, until, type TestCluster } from "./cluster.js";

let tc: TestCluster;
beforeEach(async () => {
  tc = await startCluster();
});
afterEach(async () => {
  await tc.close();
});

const runsOf = async () => (await tc.cluster.list<KubeObject>("argoproj.io/v1alpha1", "AnalysisRun", { namespace: NS })) as unknown as AnalysisRun[];

describe("rollout-analysis-step (Job provider: random-fail and the always-pass ClusterAnalysisTemplate)", () => {
  const ref = { namespace: NS, name: "rollout-analysis-step" };
  async function setUp(exit: 0 | 1) {
    const templates = corpusObjects("analysis-templates.yaml", (t) => t.replace("[FLIP=$(($(($RANDOM%10))%2)) && exit $FLIP]", `[exit ${exit}]`).replaceAll("interval: 5s", "interval: 1s"));
    expect(JSON.stringify(templates)).toContain(`exit ${exit}`);
    await tc.apply([...templates, ...corpusObjects("cluster-analysis-templates.yaml"), ...corpusObjects("rollout-analysis-step.yaml")]);
    const first = await tc.controller().run(ref);
    expect(first.phase).toBe("Healthy");
    expect(first.analysisRuns).toEqual([]); // the first deploy skips the steps and their analysis
    await tc.setImage("rollout-analysis-step", "argoproj/rollouts-demo:yellow");
    return first;
  }

  it("promotes when the analysis passes", async () => {
    await setUp(0);
    const done = await tc.controller().run(ref, { timeoutMs: 20_000 });
    expect(done.phase).toBe("Healthy");
    expect(done.rollout.status).toMatchObject({ stableRS: done.podTemplateHash, currentStepIndex: 2 });
    const name = `rollout-analysis-step-${done.podTemplateHash}-2-1`;
    expect(done.analysisRuns).toHaveLength(1);
    expect(done.analysisRuns[0]).toMatchObject({ name, phase: "Successful" });
    expect(done.analysisRuns[0].metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "random-fail", phase: "Successful", successful: 2, failed: 0 }),
        expect.objectContaining({ name: "pass", phase: "Successful", successful: 1, failed: 0 }),
      ]),
    );
    const [run] = await runsOf();
    expect(run.metadata.labels).toMatchObject({ "rollout-type": "Step", "step-index": "1", "rollouts-pod-template-hash": done.podTemplateHash });
    expect(run.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Rollout", name: "rollout-analysis-step" });
    expect(run.status?.metricResults?.find((r) => r.name === "random-fail")?.measurements.map((m) => m.phase)).toEqual(["Successful", "Successful"]);
    const jobs = await tc.cluster.list("batch/v1", "Job", { namespace: NS, labelSelector: `analysisrun.argoproj.io/uid=${run.metadata.uid}` });
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual([`${run.metadata.uid}.pass.1`, `${run.metadata.uid}.random-fail.1`, `${run.metadata.uid}.random-fail.2`]);
    expect(await until(async () => (await tc.readyPods(done.podTemplateHash!)) === 4, "4 new pods")).toBe(true);
  });

  it("aborts back to the stable ReplicaSet when the analysis fails", async () => {
    const first = await setUp(1);
    const out = await tc.controller().run(ref, { timeoutMs: 20_000 });
    expect(out.phase).toBe("Degraded");
    expect(out.aborted).toBe(true);
    expect(out.message).toBe('RolloutAborted: Rollout aborted update to revision 2: Metric "random-fail" assessed Failed due to failed (2) > failureLimit (1)');
    expect(out.rollout.status).toMatchObject({ abort: true, stableRS: first.podTemplateHash, currentStepIndex: 0 });
    expect(out.analysisRuns[0]).toMatchObject({ phase: "Failed" });
    expect(out.replicaSets.map((rs) => [rs.role, rs.replicas])).toEqual([
      ["canary", 0],
      ["stable", 4],
    ]);
    expect(await until(async () => (await tc.readyPods(first.podTemplateHash!)) === 4 && (await tc.readyPods(out.podTemplateHash!)) === 0, "4 stable pods and no canary")).toBe(true);
  });
});

describe("rollout-background-analysis (a background run from the start of the update)", () => {
  const ref = { namespace: NS, name: "rollout-background-analysis" };

  it("runs the background analysis while paused at the gate and stops it once the update completes", async () => {
    // random-fail measured every 1 s, 2 times, always passing; then the run ends Successful by itself.
    const templates = corpusObjects("analysis-templates.yaml", (t) => t.replace("[FLIP=$(($(($RANDOM%10))%2)) && exit $FLIP]", "[exit 0]").replaceAll("interval: 5s", "interval: 1s"));
    await tc.apply([...templates, ...corpusObjects("rollout-background-analysis.yaml")]);
    expect((await tc.controller().run(ref)).analysisRuns).toEqual([]);
    await tc.setImage("rollout-background-analysis", "argoproj/rollouts-demo:yellow");
    const gate = await tc.controller().run(ref);
    expect(gate.gate?.reason).toBe("CanaryPauseStep");
    expect(gate.analysisRuns).toHaveLength(1);
    const [run] = await runsOf();
    expect(run.metadata.name).toBe(`rollout-background-analysis-${gate.podTemplateHash}-2`);
    expect(run.metadata.labels?.["rollout-type"]).toBe("Background");
    expect((gate.rollout.status as { canary?: { currentBackgroundAnalysisRunStatus?: { name: string } } }).canary?.currentBackgroundAnalysisRunStatus?.name).toBe(run.metadata.name);
    await tc.controller().promote(ref);
    const done = await tc.controller().run(ref, { timeoutMs: 15_000 });
    expect(done.phase).toBe("Healthy");
    const [after] = await runsOf();
    expect(after.status?.phase).toBe("Successful");
    expect(after.spec.terminate === true || after.status?.metricResults?.[0]?.count === 2).toBe(true);
  });
});

describe("a web-provider analysis against a local HTTP server", () => {
  let server: Server;
  let rate = 0.97;
  const seen: Array<{ url?: string; auth?: string }> = [];
  beforeEach(async () => {
    seen.length = 0;
    server = createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      if (req.headers.authorization !== "Bearer s3cr3t-token") {
        res.writeHead(401).end("no");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { ok: true, successPercent: rate } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  const ref = { namespace: NS, name: "web-canary" };
  async function setUp() {
    const port = (server.address() as AddressInfo).port;
    const [rollout] = corpusObjects("rollout-canary.yaml");
    rollout.metadata = { name: "web-canary", labels: { team: "payments" } };
    const spec = rollout.spec as { replicas: number; strategy: { canary: { steps: unknown[] } } };
    spec.replicas = 2;
    spec.strategy.canary.steps = [
      { setWeight: 50 },
      { analysis: { templates: [{ templateName: "success-rate" }], args: [{ name: "service", valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } }] } },
    ];
    const template: KubeObject = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AnalysisTemplate",
      metadata: { name: "success-rate" },
      spec: {
        args: [{ name: "service" }, { name: "api-token", valueFrom: { secretKeyRef: { name: "metrics-token", key: "token" } } }],
        metrics: [
          {
            name: "success-rate",
            successCondition: "result.ok && result.successPercent >= 0.90",
            provider: { web: { url: `http://127.0.0.1:${port}/api/{{args.service}}`, headers: [{ key: "Authorization", value: "Bearer {{args.api-token}}" }], jsonPath: "{$.data}" } },
          },
        ],
      },
    };
    const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "metrics-token" }, data: { token: Buffer.from("s3cr3t-token").toString("base64") } };
    await tc.apply([secret, template, rollout]);
    expect((await tc.controller().run(ref)).phase).toBe("Healthy");
    await tc.setImage("web-canary", "argoproj/rollouts-demo:yellow");
  }

  it("measures through the web provider with the Secret and the Rollout's label, and promotes", async () => {
    await setUp();
    const done = await tc.controller().run(ref, { timeoutMs: 15_000 });
    expect(done.phase).toBe("Healthy");
    expect(seen).toEqual([{ url: "/api/payments", auth: "Bearer s3cr3t-token" }]);
    expect(done.analysisRuns).toEqual([expect.objectContaining({ phase: "Successful", metrics: [expect.objectContaining({ name: "success-rate", phase: "Successful", successful: 1, lastValue: '{"ok":true,"successPercent":0.97}' })] })]);
    const runs = await runsOf();
    expect(runs[0].spec.args).toEqual(expect.arrayContaining([{ name: "service", value: "payments" }]));
    expect(JSON.stringify(runs)).not.toContain("s3cr3t");
  });

  it("aborts when the success condition does not hold", async () => {
    rate = 0.5;
    try {
      await setUp();
      const out = await tc.controller().run(ref, { timeoutMs: 15_000 });
      expect(out.phase).toBe("Degraded");
      expect(out.message).toBe('RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)');
      expect(out.analysisRuns[0].metrics[0]).toMatchObject({ phase: "Failed", failed: 1, lastValue: '{"ok":true,"successPercent":0.5}' });
    } finally {
      rate = 0.97;
    }
  });
});
