// The web and prometheus metric providers with `fetch` injected (the answers are the shapes Prometheus's
// HTTP API and a JSON endpoint give), the measurement each records as Argo's providers do, and the
// JSON merge patch the controller writes statuses with.
import { describe, expect, it } from "vitest";
import type { Cluster } from "../../../src/core/ports/cluster.js";
import { mergePatchOf } from "../../../src/reconcilers/rollout/merge-patch.js";
import { providerFor, type ProviderContext } from "../../../src/reconcilers/rollout/providers.js";
import { formatSample } from "../../../src/reconcilers/rollout/providers-prometheus.js";
import { jsonPathOf } from "../../../src/reconcilers/rollout/providers-web.js";
import { podTemplateEqualIgnoreHash } from "../../../src/reconcilers/rollout/template-equal.js";
import type { Metric } from "../../../src/reconcilers/rollout/types.js";

const NOW = new Date("2026-01-01T00:00:00Z");

function fakeFetch(answer: (url: string, init: RequestInit) => { status: number; body: string }) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (async (url: string | URL, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    const a = answer(String(url), init);
    return new Response(a.body, { status: a.status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { fetch: f, calls };
}

const ctx = (f: typeof fetch): ProviderContext => ({
  cluster: {} as Cluster,
  run: { apiVersion: "argoproj.io/v1alpha1", kind: "AnalysisRun", metadata: { name: "r", namespace: "default", uid: "u1" }, spec: { metrics: [] } },
  fetch: f,
  now: () => NOW,
});

describe("web provider", () => {
  const metric = (web: Record<string, unknown>, extra: Partial<Metric> = {}): Metric => ({ name: "m", provider: { web }, ...extra });

  it("POSTs a JSON body with its headers, takes the first jsonPath match as result and its JSON as value", async () => {
    const f = fakeFetch(() => ({ status: 200, body: JSON.stringify({ data: { ok: true, rate: 0.99 } }) }));
    const spec = metric({ url: "http://x/q", method: "POST", jsonBody: { q: 1 }, headers: [{ key: "X-A", value: "b" }], jsonPath: "{$.data}" }, { successCondition: "result.ok && result.rate > 0.9" });
    const m = await providerFor(spec).run(ctx(f.fetch), spec);
    expect(m).toEqual({ phase: "Successful", value: '{"ok":true,"rate":0.99}', startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:00Z" });
    expect(f.calls[0].init.method).toBe("POST");
    expect(f.calls[0].init.body).toBe('{"q":1}');
    expect(f.calls[0].init.headers).toEqual({ "X-A": "b", "Content-Type": "application/json" });
  });

  it("fails the condition, errors on a non-2xx answer or a missing path, and takes a non-JSON body as the value", async () => {
    const run = async (status: number, body: string, web: Record<string, unknown> = {}, extra: Partial<Metric> = {}) => {
      const m = metric({ url: "http://x/", ...web }, extra);
      return providerFor(m).run(ctx(fakeFetch(() => ({ status, body })).fetch), m);
    };
    expect(await run(200, "5", {}, { successCondition: "result > 10" })).toMatchObject({ phase: "Failed", value: "5" });
    expect(await run(503, "down")).toMatchObject({ phase: "Error", message: "received non 2xx response code: 503" });
    expect(await run(200, '{"a":1}', { jsonPath: "{$.b}" })).toMatchObject({ phase: "Error", message: "Could not find JSONPath in body: {$.b} is not found" });
    expect(await run(200, "plain text", {}, { successCondition: "result == 'x'" })).toMatchObject({ phase: "Successful", value: "plain text" });
    expect(await run(200, "{}", { body: "x" })).toMatchObject({ phase: "Error", message: "Body/JSONBody can only be used with POST or PUT WebMetric Method types" });
  });

  it("reads kubectl JSONPath the way Argo writes it", () => {
    expect(jsonPathOf("{$}")).toBe("$");
    expect(jsonPathOf("{$.data.ok}")).toBe("$.data.ok");
    expect(jsonPathOf("{.data}")).toBe("$.data");
    expect(jsonPathOf("{.items[0]}")).toBe("$.items[0]");
  });
});

describe("prometheus provider", () => {
  const metric = (extra: Partial<Metric> = {}): Metric => ({ name: "rate", successCondition: "result[0] >= 0.95", provider: { prometheus: { address: "http://prom:9090/", query: "sum(rate(x[5m]))", headers: [{ key: "Authorization", value: "Bearer t" }] } }, ...extra });

  it("queries /api/v1/query and reads a vector as a list of numbers", async () => {
    const f = fakeFetch(() => ({ status: 200, body: JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "0.97"] }] } }) }));
    const m = await providerFor(metric()).run(ctx(f.fetch), metric());
    expect(m).toMatchObject({ phase: "Successful", value: "[0.97]" });
    expect(f.calls[0].url).toBe("http://prom:9090/api/v1/query");
    expect(f.calls[0].init.method).toBe("POST");
    expect(new URLSearchParams(String(f.calls[0].init.body)).get("query")).toBe("sum(rate(x[5m]))");
    expect((f.calls[0].init.headers as Record<string, string>).Authorization).toBe("Bearer t");
    expect(providerFor(metric()).metadata?.(metric())).toEqual({ ResolvedPrometheusQuery: "sum(rate(x[5m]))" });
  });

  it("reads a scalar as a number, errors on a matrix, on Prometheus's error and on an empty vector indexed", async () => {
    const answer = (body: unknown, status = 200) => fakeFetch(() => ({ status, body: JSON.stringify(body) })).fetch;
    const scalar = metric({ successCondition: "result < 1" });
    expect(await providerFor(scalar).run(ctx(answer({ status: "success", data: { resultType: "scalar", result: [1, "0.5"] } })), scalar)).toMatchObject({ phase: "Successful", value: "0.5" });
    expect(await providerFor(metric()).run(ctx(answer({ status: "success", data: { resultType: "matrix", result: [] } })), metric())).toMatchObject({ phase: "Error", message: "Prometheus metric type not supported" });
    expect(await providerFor(metric()).run(ctx(answer({ status: "error", errorType: "bad_data", error: "parse error" }, 400)), metric())).toMatchObject({ phase: "Error", message: "bad_data: parse error" });
    const empty = await providerFor(metric()).run(ctx(answer({ status: "success", data: { resultType: "vector", result: [] } })), metric());
    expect(empty).toMatchObject({ phase: "Error", value: "[]" });
  });

  it("writes sample values as Prometheus does, never in exponent form", () => {
    expect(formatSample(0.95)).toBe("0.95");
    expect(formatSample(1e21)).toBe("1000000000000000000000");
    expect(formatSample(1.5e-7)).toBe("0.00000015");
    expect(formatSample(Number.NaN)).toBe("NaN");
    expect(formatSample(Infinity)).toBe("+Inf");
  });

  it("names an unsupported provider", () => {
    expect(() => providerFor({ name: "d", provider: { datadog: {} } })).toThrow("the datadog provider is not supported: Tiphys runs web, prometheus and job metrics");
  });
});

describe("mergePatchOf", () => {
  it("gives changed fields, null for removed ones, whole arrays, and nothing when equal", () => {
    expect(mergePatchOf({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { a: 1, b: { c: 2 }, l: [1, 2], n: "x" })).toEqual({ b: { d: null }, l: [1, 2], n: "x" });
    expect(mergePatchOf({ a: { b: 1 } }, { a: { b: 1 } })).toBeUndefined();
    expect(mergePatchOf({ pauseConditions: [{ reason: "CanaryPauseStep" }], abort: true }, {})).toEqual({ pauseConditions: null, abort: null });
  });
});

describe("podTemplateEqualIgnoreHash (FindNewReplicaSet's fallback)", () => {
  const desired = { metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "img:1", ports: [{ containerPort: 80 }] }] } };
  const live = {
    metadata: { labels: { app: "a", "rollouts-pod-template-hash": "abc" } },
    spec: {
      containers: [{ name: "c", image: "img:1", ports: [{ containerPort: 80, protocol: "TCP" }], imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File", resources: {} }],
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      terminationGracePeriodSeconds: 30,
      securityContext: {},
    },
  };
  it("equals a ReplicaSet's template with the server's defaults and the hash label", () => {
    expect(podTemplateEqualIgnoreHash(live, desired)).toBe(true);
    expect(podTemplateEqualIgnoreHash(live, live)).toBe(true);
  });
  it("differs on a change, a removed label or a non-default value", () => {
    expect(podTemplateEqualIgnoreHash(live, { ...desired, spec: { containers: [{ ...desired.spec.containers[0], image: "img:2" }] } })).toBe(false);
    expect(podTemplateEqualIgnoreHash(live, { ...desired, metadata: { labels: {} } })).toBe(false);
    expect(podTemplateEqualIgnoreHash(live, { ...desired, spec: { ...desired.spec, dnsPolicy: "None" } })).toBe(false);
  });
});
