// Reading Rollouts and analysis templates: Argo's examples load clean; mistakes and what Tiphys cannot do
// yet come back located at file:line and field, never silently ignored.
import { describe, expect, it } from "vitest";
import { ConfigError, formatProblem } from "../../../src/core/errors.js";
import { parseYamlDocuments } from "../../../src/engine/model/load.js";
import { lintRolloutDocuments, loadRollouts, pauseDurationSeconds, resolveWorkloadRef } from "../../../src/reconcilers/rollout/index.js";
import { corpusDocs } from "./sim.js";

const CORPUS_FILES = ["rollout-canary.yaml", "rollout-bluegreen.yaml", "rollout-rolling-update.yaml", "rollout-analysis-step.yaml", "rollout-background-analysis.yaml", "analysis-templates.yaml", "cluster-analysis-templates.yaml"];

const lint = (yaml: string, file = "app/rollout.yaml") => lintRolloutDocuments(parseYamlDocuments(yaml, file)).problems.map(formatProblem);

const canary = (strategy: string, extra = "") => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 3${extra}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx}]
  strategy:
${strategy}`;

describe("the corpus", () => {
  it("loads every Argo example with no error and no warning", () => {
    const docs = CORPUS_FILES.flatMap((f) => corpusDocs(f));
    const r = loadRollouts(docs);
    expect(r.rollouts.map((x) => x.rollout.metadata.name).sort()).toEqual(["rollout-analysis-step", "rollout-background-analysis", "rollout-bluegreen", "rollout-canary", "rollout-rollingupdate"]);
    expect(r.templates.map((t) => t.template.metadata.name)).toEqual(["pass", "random-fail"]);
    expect(r.clusterTemplates.map((t) => t.template.metadata.name)).toEqual(["always-pass"]);
    expect(r.warnings).toEqual([]);
  });
  it("warns, with the line, when a referenced template is not in the repo", () => {
    const { problems } = lintRolloutDocuments(corpusDocs("rollout-analysis-step.yaml"));
    expect(problems.map(formatProblem)).toEqual([
      'rollout-analysis-step.yaml:37:27: warning: AnalysisTemplate "random-fail" is not among the repo\'s documents; it must exist in the cluster (spec.strategy.canary.steps[1].analysis.templates[0].templateName)',
      'rollout-analysis-step.yaml:38:27: warning: ClusterAnalysisTemplate "always-pass" is not among the repo\'s documents; it must exist in the cluster (spec.strategy.canary.steps[1].analysis.templates[1].templateName)',
    ]);
  });
});

describe("not supported yet, said clearly", () => {
  it("an experiment step is an error at its line", () => {
    const yaml = canary(`    canary:
      steps:
      - setWeight: 20
      - experiment:
          duration: 1h
          templates: [{name: baseline, specRef: stable}]`);
    expect(lint(yaml)).toEqual([
      "app/rollout.yaml:19:11: error: experiment steps are not supported yet: Tiphys does not run Argo Rollouts Experiments (spec.strategy.canary.steps[1].experiment)",
    ]);
    expect(() => loadRollouts(parseYamlDocuments(yaml, "app/rollout.yaml"))).toThrow(ConfigError);
  });
  it("trafficRouting is an error naming the router", () => {
    const yaml = canary(`    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        nginx: {stableIngress: web}
      steps: [{setWeight: 20}]`);
    expect(lint(yaml)).toEqual([
      "app/rollout.yaml:19:9: error: traffic routing (nginx) is not supported yet: Tiphys runs a basic canary, shifting traffic by replica counts; remove trafficRouting (spec.strategy.canary.trafficRouting)",
    ]);
  });
  it("setHeaderRoute and step plugins are errors too; setCanaryScale without a router is a warning", () => {
    const yaml = canary(`    canary:
      steps:
      - setCanaryScale: {replicas: 2}
      - setHeaderRoute: {name: h}
      - plugin: {name: x}`);
    expect(lint(yaml)).toEqual([
      "app/rollout.yaml:17:25: warning: setCanaryScale has an effect only with trafficRouting; a basic canary ignores it (the step completes at once) (spec.strategy.canary.steps[0].setCanaryScale)",
      "app/rollout.yaml:18:25: error: setHeaderRoute steps are not supported yet: they need a traffic router (spec.strategy.canary.steps[1].setHeaderRoute)",
      "app/rollout.yaml:19:17: error: step plugins are not supported yet (spec.strategy.canary.steps[2].plugin)",
    ]);
  });
});

describe("Argo's own rules", () => {
  it("maxSurge and maxUnavailable cannot both be 0; a string without % is read as a percentage", () => {
    expect(lint(canary(`    canary: {maxSurge: 0, maxUnavailable: "0"}`))).toEqual([
      'app/rollout.yaml:15:43: warning: "0" is read as 0% (a string is a percentage); write 0 unquoted for a number of pods (spec.strategy.canary.maxUnavailable)',
      "app/rollout.yaml:15:43: error: maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress (spec.strategy.canary.maxUnavailable)",
    ]);
  });
  it("bad weights, steps with two kinds, and pause durations without a unit", () => {
    const yaml = canary(`    canary:
      steps:
      - setWeight: 120
      - {setWeight: 10, pause: {}}
      - pause: {duration: 10 minutes}`);
    expect(lint(yaml)).toEqual([
      "app/rollout.yaml:17:20: error: setWeight must be a whole number from 0 to 100 (spec.strategy.canary.steps[0].setWeight)",
      "app/rollout.yaml:18:32: error: a step has one of setWeight, pause, experiment or analysis; found setWeight and pause (spec.strategy.canary.steps[1].pause)",
      "app/rollout.yaml:19:27: error: pause duration must be a number of seconds or a duration like 30s, 5m, 1h (spec.strategy.canary.steps[2].pause.duration)",
    ]);
  });
  it("the selector must match the template's labels, and one strategy only", () => {
    const yaml = canary(`    canary: {}
    blueGreen: {activeService: web}`).replace("matchLabels: {app: web}", "matchLabels: {app: api}");
    expect(lint(yaml)).toEqual([
      "app/rollout.yaml:8:5: error: the selector does not match the template's labels (spec.selector)",
      "app/rollout.yaml:16:16: error: a Rollout has one strategy: canary or blueGreen, not both (spec.strategy.blueGreen)",
    ]);
  });
  it("blue-green needs an activeService distinct from the preview", () => {
    expect(lint(canary(`    blueGreen: {activeService: web, previewService: web, autoPromotionSeconds: -1}`))).toEqual([
      "app/rollout.yaml:15:53: error: previewService and activeService must be two different Services (spec.strategy.blueGreen.previewService)",
      "app/rollout.yaml:15:80: error: autoPromotionSeconds must be a whole number ≥ 0 (spec.strategy.blueGreen.autoPromotionSeconds)",
    ]);
  });
  it("progressDeadlineSeconds must exceed minReadySeconds", () => {
    expect(lint(canary(`    canary: {}`, "\n  minReadySeconds: 30\n  progressDeadlineSeconds: 20"))).toEqual([
      "app/rollout.yaml:8:28: error: progressDeadlineSeconds must be greater than minReadySeconds (spec.progressDeadlineSeconds)",
    ]);
  });
  it("pause durations read as Argo reads them: int seconds, numeric strings, Go durations truncated to seconds", () => {
    expect([pauseDurationSeconds(40), pauseDurationSeconds("40"), pauseDurationSeconds("40s"), pauseDurationSeconds("1h"), pauseDurationSeconds("1500ms"), pauseDurationSeconds("soon")]).toEqual([40, 40, 40, 3600, 1, -1]);
  });
});

describe("analysis templates", () => {
  const template = (metric: string, args = "") => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:${args}
  metrics:
${metric}`;
  it("ValidateMetric: count ≥ failureLimit, an interval for count > 1, a known provider", () => {
    expect(
      lint(
        template(`  - name: rate
    count: 3
    failureLimit: 5
    provider:
      datadog: {query: x}`),
        "t.yaml",
      ),
    ).toEqual([
      "t.yaml:8:12: error: count must be >= failureLimit (spec.metrics[0].count)",
      "t.yaml:7:5: error: interval must be specified when count > 1 (spec.metrics[0].interval)",
      "t.yaml:11:16: error: the datadog provider is not supported yet: Tiphys runs web, prometheus and job metrics (spec.metrics[0].provider.datadog)",
    ]);
  });
  it("a condition that does not parse, an interval without a unit, an undeclared argument", () => {
    expect(
      lint(
        template(
          `  - name: rate
    interval: "30"
    successCondition: result[0] >=
    provider:
      prometheus: {address: "http://prom", query: "rate({{args.service-name}})"}`,
        ),
        "t.yaml",
      ),
    ).toEqual([
      't.yaml:8:15: error: interval "30" is not a duration: write it with a unit, like 30s, 5m or 1h (spec.metrics[0].interval)',
      expect.stringMatching(/^t\.yaml:9:23: error: successCondition is not a valid expression: .+ \(spec\.metrics\[0\]\.successCondition\)$/),
      "t.yaml:7:5: error: {{args.service-name}} is used but no argument \"service-name\" is declared in spec.args (spec.metrics[0])",
    ]);
  });
  it("a Rollout that gives no value to a template argument without one: args.x was not resolved", () => {
    const docs = parseYamlDocuments(
      `${template(
        `  - name: rate
    provider:
      web: {url: "http://x/{{args.service-name}}"}`,
        `
  args:
  - name: service-name`,
      )}
---
${canary(`    canary:
      analysis:
        templates: [{templateName: success-rate}]
      steps: [{setWeight: 20}]`)}`,
      "app.yaml",
    );
    expect(lintRolloutDocuments(docs).problems.map(formatProblem)).toEqual([
      "app.yaml:29:9: error: args.service-name was not resolved: the template needs it and the Rollout gives no value (spec.strategy.canary.analysis)",
    ]);
  });
});

describe("workloadRef", () => {
  const ref = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  strategy:
    blueGreen: {activeService: web}`;
  it("takes the template and the selector from the Deployment", () => {
    const { rollouts } = loadRollouts(parseYamlDocuments(ref, "r.yaml"));
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1" }] } } },
    };
    const resolved = resolveWorkloadRef(rollouts[0].rollout, deployment);
    expect(resolved.spec.selector).toEqual({ matchLabels: { app: "web" } });
    expect(resolved.spec.template?.spec).toEqual({ containers: [{ name: "web", image: "nginx:1" }] });
    expect(() => resolveWorkloadRef(rollouts[0].rollout, { ...deployment, metadata: { name: "other" } })).toThrow("workloadRef names Deployment web, got Deployment other");
  });
  it("refuses a template next to a workloadRef, and an unknown workload kind", () => {
    const bad = ref.replace("kind: Deployment", "kind: StatefulSet") + "\n  template: {spec: {containers: []}}";
    expect(lint(bad, "r.yaml")).toEqual([
      "r.yaml:6:44: error: workloadRef.kind must be Deployment, ReplicaSet or PodTemplate (spec.workloadRef.kind)",
      "r.yaml:9:13: error: template must be empty for a Rollout with a workloadRef (the template comes from the workload) (spec.template)",
    ]);
  });
});
