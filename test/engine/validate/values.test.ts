import { describe, expect, it } from "vitest";
import {
  checkArgoDuration,
  checkCronSchedule,
  checkGoDuration,
  checkTimezone,
} from "../../../src/engine/validate/values.js";
import { describeErrors, errorMatching, lintYaml, posIn } from "./helpers.js";

const wf = (templates: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: values-
spec:
  entrypoint: main
  templates:
${templates}`;

const cron = (spec: string) => `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
${spec}  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      suspend: {}
`;

describe("durations", () => {
  it.each([
    ["20", undefined],
    ["1h30m", undefined],
    ["1.5s", undefined],
    ["10 minutes", 'invalid duration "10 minutes"'],
    ["1d", 'invalid duration "1d"'],
  ])("argo duration %s", (text, err) => {
    const got = checkArgoDuration(text);
    if (err === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(err);
  });

  it("Go durations need a unit", () => {
    expect(checkGoDuration("30")).toBe('missing unit in duration "30"');
    expect(checkGoDuration("0")).toBeUndefined();
  });

  it("reports bad durations in suspend, backoff, timeout and memoize", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    suspend:
      duration: 2 hours
  - name: b
    timeout: "30"
    retryStrategy:
      limit: 2
      backoff: {duration: "5x", cap: "1m", maxDuration: "2m"}
    memoize:
      key: k
      maxAge: "3600"
      cache: {configMap: {name: c}}
    container:
      image: alpine
`),
    );
    expect(errorMatching(r, /"2 hours"/).pos).toEqual(posIn(r, "2 hours"));
    expect(errorMatching(r, /invalid duration format in timeout/).message).toBe(
      'b has invalid duration format in timeout: write "30s"',
    );
    expect(errorMatching(r, /"5x"/).pos).toEqual(posIn(r, '"5x"'));
    expect(errorMatching(r, /missing unit/).pos).toEqual(posIn(r, '"3600"'));
    expect(r.errors).toHaveLength(4);
  });

  it("accepts good ones, and leaves {{variables}} alone", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      parameters: [{name: d, value: "5"}]
    suspend:
      duration: "{{inputs.parameters.d}}"
  - name: b
    timeout: 30s
    retryStrategy: {backoff: {duration: "5", cap: 1m, maxDuration: 2h}}
    container:
      image: alpine
`),
    );
    expect(describeErrors(r)).toBe("");
  });
});

describe("cron", () => {
  it.each([
    ["*/5 * * * *", undefined],
    ["0 9 * * MON-FRI", undefined],
    ["@daily", undefined],
    ["@every 1h30m", undefined],
    ["CRON_TZ=Europe/Paris 0 1 * * *", undefined],
    ["0 24 * * *", "end of range (24) above maximum (23)"],
    ["* * * *", "expected exactly 5 fields, found 4"],
    ["@fortnightly", "unrecognized descriptor"],
    ["0 0 1 FOO *", "failed to parse int from FOO"],
  ])("schedule %s", (text, err) => {
    const got = checkCronSchedule(text);
    if (err === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(err);
  });

  it("time zones are IANA names", () => {
    expect(checkTimezone("America/New_York")).toBeUndefined();
    expect(checkTimezone("Mars/Olympus")).toContain('unknown time zone "Mars/Olympus"');
  });

  it("reports a bad schedule, time zone and concurrencyPolicy where they are", async () => {
    const r = await lintYaml(
      cron(`  schedules: ["0 9 * * *", "61 * * * *"]\n  timezone: Europe/Pariss\n  concurrencyPolicy: Forbidd\n`),
    );
    expect(errorMatching(r, /malformed/).message).toBe(
      "cron schedule 61 * * * * is malformed: minute: end of range (61) above maximum (59): 61",
    );
    expect(errorMatching(r, /malformed/).pos).toEqual(posIn(r, '"61 * * * *"'));
    expect(errorMatching(r, /time zone/).pos).toEqual(posIn(r, "Europe/Pariss"));
    expect(errorMatching(r, /concurrencyPolicy/).message).toContain('(did you mean "Forbid"?)');
  });

  it("requires schedules", async () => {
    const r = await lintYaml(cron("  timezone: UTC\n"));
    expect(errorMatching(r, /spec.schedules is required/)).toBeTruthy();
    expect(describeErrors(await lintYaml(cron(`  schedules: ["@hourly"]\n  concurrencyPolicy: Replace\n`)))).toBe("");
  });
});

describe("policies and expressions", () => {
  it("reports an unknown retryPolicy with a did-you-mean", async () => {
    const r = await lintYaml(
      wf(`  - name: main\n    retryStrategy:\n      retryPolicy: OnFailed\n    container:\n      image: alpine\n`),
    );
    const e = errorMatching(r, /RetryPolicy/);
    expect(e.message).toBe(
      'OnFailed is not a valid RetryPolicy: expected one of Always, OnFailure, OnError, OnTransientError (did you mean "OnFailure"?)',
    );
    expect(e.pos).toEqual(posIn(r, "OnFailed"));
  });

  it("reports a when that does not parse, a depends that does not parse, and a bad expression", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    dag:
      tasks:
      - name: a
        template: leaf
      - name: b
        depends: "a &&"
        template: leaf
      - name: c
        depends: a
        when: "{{tasks.a.outputs.result}} =="
        template: leaf
  - name: leaf
    retryStrategy:
      expression: "lastRetry.status == (\\"Error\\""
    container:
      image: alpine
`),
    );
    expect(errorMatching(r, /invalid depends/).pos).toEqual(posIn(r, '"a &&"'));
    expect(errorMatching(r, /Invalid 'when' expression/).pos).toEqual(posIn(r, '"{{tasks.a.outputs.result}} =="'));
    expect(errorMatching(r, /invalid retryStrategy expression/)).toBeTruthy();
  });
});

describe("cluster-only templates", () => {
  it("warns, without an error, for resource and plugin templates, and stays quiet about Kubernetes-only fields", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    steps:
    - - {name: a, template: create}
      - {name: b, template: plug}
  - name: create
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {generateName: x-}
  - name: plug
    plugin:
      hello: {}
`).replace(
        "spec:\n",
        "spec:\n  podGC: {strategy: OnPodSuccess}\n  ttlStrategy: {secondsAfterCompletion: 10}\n  podDisruptionBudget: {minAvailable: 1}\n  archiveLogs: true\n  serviceAccountName: sa\n",
      ),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "resource templates need a cluster: run with `--executor kubernetes` (`--cluster simulated` or `--kubeconfig FILE`)",
      "plugin templates need an executor plugin: `tiphys run` refuses them until one is configured",
    ]);
  });

  it("reports an unknown resource action", async () => {
    const r = await lintYaml(wf(`  - name: main\n    resource:\n      action: craete\n      manifest: "{}"\n`));
    expect(errorMatching(r, /resource.action/).message).toContain('(did you mean "create"?)');
  });
});
