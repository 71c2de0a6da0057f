// Analysis-run assessment as Argo Rollouts' analysis controller does it: conditions over a provider's
// result, counters, limits and their defaults, when the next measurement is due, the run's verdict.
// Titles name the upstream test (analysis/analysis_test.go, utils/evaluate) where a case is ported.
import { describe, expect, it } from "vitest";
import {
  assessMetric,
  assessRun,
  dueMetrics,
  evaluateResult,
  loadRollouts,
  mergeArgs,
  newAnalysisRun,
  nextMeasurementTime,
  reconcileAnalysisRun,
  recordMeasurement,
  resolveArgValues,
  resolveMetric,
  rolloutAnalysisArgs,
  type AnalysisRun,
  type Measurement,
  type Metric,
  type MetricResult,
} from "../../../src/reconcilers/rollout/index.js";
import { corpusDocs, corpusRollout } from "./sim.js";

const T = Date.parse("2026-01-01T00:00:00Z");
const at = (s: number): string => new Date(T + s * 1000).toISOString();
const done = (phase: Measurement["phase"], s = 0, value?: string): Measurement => ({ phase, startedAt: at(s), finishedAt: at(s), ...(value ? { value } : {}) });
const result = (over: Partial<MetricResult>): MetricResult => ({ name: "success-rate", phase: "Running", measurements: [], count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, ...over });
const run = (metrics: Metric[], results: MetricResult[] = [], extra: Partial<AnalysisRun["status"]> = {}): AnalysisRun => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "AnalysisRun",
  metadata: { name: "r" },
  spec: { metrics },
  status: { phase: "Running", metricResults: results, ...extra },
});
const web: Metric["provider"] = { web: { url: "http://x" } };

describe("evaluateResult (utils/evaluate EvaluateResult)", () => {
  it.each([
    ["no condition: Successful", {}, 1, "Successful"],
    ["success only, true", { successCondition: "result[0] >= 0.95" }, [0.97], "Successful"],
    ["success only, false: Failed", { successCondition: "result[0] >= 0.95" }, [0.9], "Failed"],
    ["failure only, true", { failureCondition: "result > 5" }, 6, "Failed"],
    ["failure only, false: Successful", { failureCondition: "result > 5" }, 2, "Successful"],
    ["both, neither true: Inconclusive", { successCondition: "result == 1", failureCondition: "result == 2" }, 3, "Inconclusive"],
    ["both true: failure wins", { successCondition: "result > 0", failureCondition: "result > 1" }, 2, "Failed"],
    ["a web body compared as text", { successCondition: 'result == "true"' }, "true", "Successful"],
    ["len() of a vector", { successCondition: "len(result) > 0" }, [], "Failed"],
    ["Argo's helpers: default, isNil, isNaN, asInt", { successCondition: "default(result, 0) == 0 && isNil(result)" }, null, "Successful"],
    ["asInt of a string", { successCondition: 'asInt(result) == 3 && !isNaN(asFloat("1.5"))' }, "3", "Successful"],
  ] as const)("%s", (_n, metric, value, phase) => {
    expect(evaluateResult(value, metric as Metric).phase).toBe(phase);
  });
  it("indexing into an empty result is an Error telling to guard it", () => {
    expect(evaluateResult([], { successCondition: "result[0] >= 0.95" })).toEqual({
      phase: "Error",
      message: 'could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider',
    });
  });
  it("a condition that is not a bool is an Error naming the Go type", () => {
    expect(evaluateResult([1], { successCondition: "result[0]" })).toEqual({ phase: "Error", message: 'could not evaluate successCondition "result[0]": expected bool, but got float64' });
  });
});

describe("assessMetric (analysis_test.go)", () => {
  it("TestAssessMetricStatusNoMeasurements: Pending, Successful when terminating", () => {
    const m: Metric = { name: "success-rate", provider: web };
    expect(assessMetric(m, result({}), false)).toBe("Pending");
    expect(assessMetric(m, result({}), true)).toBe("Successful");
  });
  it("TestAssessMetricStatusInFlightMeasurement: Running either way", () => {
    const r = result({ measurements: [done("Successful", -60), { phase: "Running", startedAt: at(0) }] });
    expect(assessMetric({ name: "success-rate", provider: web }, r, false)).toBe("Running");
    expect(assessMetric({ name: "success-rate", provider: web }, r, true)).toBe("Running");
  });
  it("TestAssessMetricStatusFailureLimit: 3 failures over a limit of 2 fail; a limit of 3 keeps running", () => {
    const r = result({ failed: 3, count: 3, measurements: [done("Failed", -60)] });
    expect(assessMetric({ name: "success-rate", interval: "60s", failureLimit: 2, provider: web }, r, false)).toBe("Failed");
    expect(assessMetric({ name: "success-rate", interval: "60s", failureLimit: 2, provider: web }, r, true)).toBe("Failed");
    expect(assessMetric({ name: "success-rate", interval: "60s", failureLimit: 3, provider: web }, r, false)).toBe("Running");
    expect(assessMetric({ name: "success-rate", interval: "60s", failureLimit: 3, provider: web }, r, true)).toBe("Successful");
  });
  it("TestAssessMetricStatusInconclusiveLimit", () => {
    const r = result({ inconclusive: 3, count: 3, measurements: [done("Inconclusive", -60)] });
    expect(assessMetric({ name: "success-rate", interval: "60s", inconclusiveLimit: 2, provider: web }, r, false)).toBe("Inconclusive");
    expect(assessMetric({ name: "success-rate", interval: "60s", inconclusiveLimit: 3, provider: web }, r, false)).toBe("Running");
    expect(assessMetric({ name: "success-rate", interval: "60s", inconclusiveLimit: 3, provider: web }, r, true)).toBe("Successful");
  });
  it("TestAssessMetricStatusConsecutiveErrors: the default limit is 4, so the 5th error in a row is an Error", () => {
    const m: Metric = { name: "success-rate", interval: "60s", provider: web };
    expect(assessMetric(m, result({ consecutiveError: 5, count: 5, measurements: [done("Error", -60)] }), false)).toBe("Error");
    expect(assessMetric(m, result({ consecutiveError: 4, count: 5, measurements: [done("Error", -60)] }), false)).toBe("Running");
    expect(assessMetric(m, result({ consecutiveError: 4, count: 5, measurements: [done("Error", -60)] }), true)).toBe("Successful");
  });
  it("TestAssessMetricStatusCountReached: Successful at the count, unless over a limit", () => {
    const m: Metric = { name: "success-rate", count: 10, provider: web };
    expect(assessMetric(m, result({ successful: 10, count: 10, measurements: [done("Successful", -60)] }), false)).toBe("Successful");
    expect(assessMetric(m, result({ successful: 5, inconclusive: 5, count: 10, measurements: [done("Successful", -60)] }), false)).toBe("Inconclusive");
  });
  it("the defaults: failureLimit 0 (one failure fails), inconclusiveLimit 0, count 1 without an interval", () => {
    const m: Metric = { name: "success-rate", provider: web };
    expect(assessMetric(m, result({ failed: 1, count: 1, measurements: [done("Failed")] }), false)).toBe("Failed");
    expect(assessMetric(m, result({ inconclusive: 1, count: 1, measurements: [done("Inconclusive")] }), false)).toBe("Inconclusive");
    expect(assessMetric(m, result({ successful: 1, count: 1, measurements: [done("Successful")] }), false)).toBe("Successful");
  });
});

describe("recordMeasurement (runMeasurements bookkeeping)", () => {
  it("TestRunMeasurementsResetConsecutiveErrorCounter: an Error counts as error, not as a measurement", () => {
    const r = run([{ name: "test", provider: { job: {} } }], [result({ name: "test", consecutiveError: 4, count: 4, error: 4 })]);
    const after = recordMeasurement(r, "test", { phase: "Error", startedAt: at(0) }, at(0)).status!.metricResults![0];
    expect([after.consecutiveError, after.error, after.count]).toEqual([5, 5, 4]);
    const ok = recordMeasurement(r, "test", done("Successful"), at(0)).status!.metricResults![0];
    expect([ok.consecutiveError, ok.successful, ok.count]).toEqual([0, 1, 5]);
  });
  it("sets finishedAt when the provider did not", () => {
    const r = recordMeasurement(run([{ name: "m", provider: web }]), "m", { phase: "Successful", startedAt: at(0) }, at(3));
    expect(r.status!.metricResults![0].measurements[0].finishedAt).toBe(at(3));
  });
});

describe("when measurements are due (generateMetricTasks, calculateNextReconcileTime)", () => {
  const last30 = result({ measurements: [done("Successful", -30)], count: 1, successful: 1 });
  it("TestCalculateNextReconcileTimeInterval: 30s after a measurement with a 60s interval; none in flight or completed", () => {
    expect(nextMeasurementTime(run([{ name: "success-rate", interval: "60s", provider: web }], [last30]))).toBe(at(30));
    const inflight = result({ measurements: [{ phase: "Running", startedAt: at(-30) }] });
    expect(nextMeasurementTime(run([{ name: "success-rate", interval: "60s", provider: web }], [inflight]))).toBeUndefined();
    expect(nextMeasurementTime(run([{ name: "success-rate", interval: "60s", provider: web }], [{ ...last30, phase: "Successful" }]))).toBeUndefined();
  });
  it("TestCalculateNextReconcileTimeInitialDelay: the start delay counts from startedAt; an invalid one is skipped", () => {
    const metrics: Metric[] = [
      { name: "success-rate", interval: "60s", provider: web },
      { name: "start-delay", interval: "60s", initialDelay: "40s", provider: web },
    ];
    expect(nextMeasurementTime(run(metrics, [last30], { startedAt: at(-30) }))).toBe(at(10));
    metrics[1].initialDelay = "not-valid-start-delay";
    expect(nextMeasurementTime(run(metrics, [last30], { startedAt: at(-30) }))).toBe(at(30));
  });
  it("TestCalculateNextReconcileTimeNoInterval, EarliestMetric, HonorResumeAt, UponError", () => {
    expect(nextMeasurementTime(run([{ name: "success-rate", count: 1, provider: web }], [result({ phase: "Successful", measurements: [done("Successful")] })]))).toBeUndefined();
    const two: Metric[] = [
      { name: "success-rate", interval: "60s", provider: web },
      { name: "latency", interval: "60s", provider: web },
    ];
    expect(nextMeasurementTime(run(two, [last30, result({ name: "latency", measurements: [done("Successful", -50)] })]))).toBe(at(10));
    expect(nextMeasurementTime(run([two[0]], [result({ measurements: [{ phase: "Successful", startedAt: at(-30), resumeAt: at(10) }] })]))).toBe(at(10));
    const errored = result({ error: 1, measurements: [done("Error")] });
    expect(nextMeasurementTime(run([{ name: "success-rate", provider: web }], [errored]))).toBe(at(10));
    expect(nextMeasurementTime(run([{ name: "success-rate", interval: "5m", provider: web }], [errored]))).toBe(at(10));
  });
  it("dueMetrics: first measurement at once, the next after the interval, nothing past the count", () => {
    const m: Metric = { name: "random-fail", count: 2, interval: "5s", failureLimit: 1, provider: { job: {} } };
    expect(dueMetrics(run([m]), at(0)).map((d) => d.metric.name)).toEqual(["random-fail"]);
    const one = run([m], [result({ name: "random-fail", count: 1, failed: 1, measurements: [done("Failed")] })]);
    expect(dueMetrics(one, at(4))).toEqual([]);
    expect(dueMetrics(one, at(5)).map((d) => d.metric.name)).toEqual(["random-fail"]);
    const two = run([m], [result({ name: "random-fail", count: 2, measurements: [done("Successful"), done("Successful", 6)] })]);
    expect(dueMetrics(two, at(20))).toEqual([]);
  });
});

describe("the run (assessRunStatus)", () => {
  const randomFail: Metric = { name: "random-fail", count: 2, interval: "5s", failureLimit: 1, provider: { job: {} } };
  const pass: Metric = { name: "pass", count: 1, interval: "5s", failureLimit: 1, provider: { job: {} } };

  it("random-fail (count 2, failureLimit 1): two failures fail the run with Argo's message", () => {
    let r = run([randomFail], [], { phase: undefined });
    r = reconcileAnalysisRun(r, { "random-fail": done("Failed", 0) }, at(0)).run;
    expect(r.status).toMatchObject({ phase: "Running", startedAt: at(0) });
    expect(r.status!.metricResults![0]).toMatchObject({ phase: "Running", count: 1, failed: 1 });
    const second = reconcileAnalysisRun(r, { "random-fail": done("Failed", 6) }, at(6));
    expect(second.run.status).toMatchObject({ phase: "Failed", message: 'Metric "random-fail" assessed Failed due to failed (2) > failureLimit (1)' });
    expect(second.run.status!.runSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 });
    expect(second.nextAt).toBeUndefined();
  });

  it("one failure within the limit and the count reached: Successful", () => {
    let r = reconcileAnalysisRun(run([randomFail]), { "random-fail": done("Successful", 0) }, at(0)).run;
    const next = reconcileAnalysisRun(r, {}, at(1));
    expect(next.nextAt).toBe(at(5));
    r = reconcileAnalysisRun(r, { "random-fail": done("Failed", 6) }, at(6)).run;
    expect(r.status).toMatchObject({ phase: "Successful", runSummary: { count: 1, successful: 1, failed: 0, inconclusive: 0, error: 0 } });
    expect(r.status!.message).toBeUndefined();
  });

  it("the run waits for every metric: random-fail and always-pass together", () => {
    let r = reconcileAnalysisRun(run([randomFail, pass]), { "random-fail": done("Successful"), pass: done("Successful") }, at(0)).run;
    expect(r.status!.phase).toBe("Running");
    expect(r.status!.metricResults!.map((x) => x.phase)).toEqual(["Running", "Successful"]);
    r = reconcileAnalysisRun(r, { "random-fail": done("Successful", 6) }, at(6)).run;
    expect(r.status!.phase).toBe("Successful");
  });

  it("TestReconcileAnalysisRunInitial: an interval without a count keeps running; count 1 completes", () => {
    const m: Metric = { name: "success-rate", interval: "60s", provider: { prometheus: {} } };
    const a = reconcileAnalysisRun(run([m], [], { phase: undefined }), { "success-rate": done("Successful") }, at(0)).run;
    expect([a.status!.phase, a.status!.metricResults![0].phase]).toEqual(["Running", "Running"]);
    const b = reconcileAnalysisRun(run([{ ...m, count: 1 }], [], { phase: undefined }), { "success-rate": done("Successful") }, at(0)).run;
    expect([b.status!.phase, b.status!.metricResults![0].phase]).toEqual(["Successful", "Successful"]);
    const c = reconcileAnalysisRun(run([{ ...m, count: 0, interval: undefined }], [], { phase: undefined }), { "success-rate": done("Successful") }, at(0)).run;
    expect(c.status!.phase).toBe("Successful");
  });

  it("TestReconcileAnalysisRunInvalid: a metric without a provider errors the run", () => {
    const r = assessRun(run([{ name: "success-rate" } as Metric]), at(0));
    expect(r.status).toMatchObject({ phase: "Error", message: "Analysis spec invalid: metrics[0]: no provider specified" });
  });

  it("TestReconcileAnalysisRunTerminateSiblingAfterFail: a failed sibling ends the run; the in-flight one is terminated", () => {
    const r = run(
      [
        { name: "run-forever", provider: web },
        { name: "failed-metric", provider: web },
      ],
      [
        result({ name: "run-forever", measurements: [{ phase: "Running", startedAt: at(-60) }] }),
        result({ name: "failed-metric", phase: "Failed", count: 1, failed: 1, measurements: [done("Failed", -60)] }),
      ],
    );
    expect(dueMetrics(r, at(0))).toEqual([{ metric: r.spec.metrics[0], resume: r.status!.metricResults![0].measurements[0], terminate: true }]);
    const out = reconcileAnalysisRun(r, { "run-forever": done("Successful") }, at(0)).run;
    expect(out.status!.phase).toBe("Failed");
    expect(out.status!.metricResults![0]).toMatchObject({ phase: "Successful", message: "Metric Terminated" });
    expect(out.status!.metricResults![0].measurements).toHaveLength(1);
  });

  it("a dry-run metric's failure does not fail the run", () => {
    const r: AnalysisRun = { ...run([{ name: "dry", provider: web }, { name: "real", provider: web }]), spec: { metrics: [{ name: "dry", provider: web }, { name: "real", provider: web }], dryRun: [{ metricName: "dry" }] } };
    let out = recordMeasurement(r, "dry", done("Failed"), at(0), { dryRun: true });
    out = recordMeasurement(out, "real", done("Successful"), at(0));
    out = assessRun(out, at(0));
    expect(out.status!.phase).toBe("Successful");
    expect(out.status!.dryRunSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 });
    expect(out.status!.metricResults![0].message).toBe("Metric assessed Failed due to failed (1) > failureLimit (0)");
  });

  it("keeps the last 10 measurements of an indefinite metric", () => {
    let r = run([{ name: "m", interval: "1s", provider: web }]);
    for (let i = 0; i < 12; i++) r = reconcileAnalysisRun(r, { m: done("Successful", i * 2) }, at(i * 2)).run;
    const res = r.status!.metricResults![0];
    expect([res.measurements.length, res.count, res.measurements[0].startedAt]).toEqual([10, 12, at(4)]);
  });
});

describe("building the run from the templates", () => {
  const { templates, clusterTemplates } = loadRollouts([...corpusDocs("analysis-templates.yaml"), ...corpusDocs("cluster-analysis-templates.yaml")]);

  it("rollout-analysis-step's run: random-fail then always-pass, metrics in that order", () => {
    const run = newAnalysisRun({
      name: "rollout-analysis-step-abc-2-1",
      templates: [templates.find((t) => t.template.metadata.name === "random-fail")!.template, clusterTemplates[0].template],
      labels: { "rollout-type": "Step" },
    });
    expect(run.metadata).toEqual({ name: "rollout-analysis-step-abc-2-1", labels: { "rollout-type": "Step" } });
    expect(run.spec.metrics.map((m) => [m.name, m.count, m.interval, m.failureLimit])).toEqual([
      ["random-fail", 2, "5s", 1],
      ["pass", 1, "5s", 1],
    ]);
    expect(run.spec.args).toEqual([]);
  });

  it("two templates with a metric of the same name cannot be combined", () => {
    const pass = templates.find((t) => t.template.metadata.name === "pass")!.template;
    expect(() => newAnalysisRun({ name: "x", templates: [pass, clusterTemplates[0].template] })).toThrow("two metrics have the same name 'pass'");
  });

  it("arguments: the Rollout's values win, Secrets come from the inputs, and every placeholder must resolve", () => {
    const args = mergeArgs([{ name: "service", value: "web" }], [{ name: "service" }, { name: "token", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }]);
    expect(resolveArgValues(args, { secrets: { "creds/token": 's3"cret' } })).toEqual({ service: "web", token: 's3"cret' });
    expect(() => resolveArgValues(args)).toThrow("key 'token' does not exist in secret 'creds'");
    expect(() => mergeArgs([], [{ name: "service" }])).toThrow("args.service was not resolved");
    const m = resolveMetric({ name: "m", provider: { web: { url: "http://x/{{ args.service }}", headers: [{ key: "A", value: "{{args.token}}" }] } } }, { service: "web", token: 's3"cret' });
    expect(m.provider).toEqual({ web: { url: "http://x/web", headers: [{ key: "A", value: 's3"cret' }] } });
    expect(() => resolveMetric({ name: "m", provider: { web: { url: "{{args.nope}}" } } }, {})).toThrow("failed to resolve {{args.nope}}");
  });

  it("a Rollout's podTemplateHashValue and fieldRef arguments become values", () => {
    const ro = corpusRollout("rollout-canary.yaml");
    expect(
      rolloutAnalysisArgs(
        [
          { name: "stable", valueFrom: { podTemplateHashValue: "Stable" } },
          { name: "latest", valueFrom: { podTemplateHashValue: "Latest" } },
          { name: "app", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "label", valueFrom: { fieldRef: { fieldPath: "spec.template.metadata.labels['app']" } } },
        ],
        ro,
        { stable: "aaa", latest: "bbb" },
      ),
    ).toEqual([
      { name: "stable", value: "aaa" },
      { name: "latest", value: "bbb" },
      { name: "app", value: "rollout-canary" },
      { name: "label", value: "rollout-canary" },
    ]);
  });
});
