/**
 * The web metric provider (`metricproviders/webmetric/webmetric.go`): one HTTP request (GET by
 * default; POST or PUT with `body` or `jsonBody`), a non-2xx answer is an Error measurement, a body
 * that is not JSON is the (Successful) value as is, otherwise the first match of the kubectl-style
 * `jsonPath` (default `{$}`) is `result` for the success and failure conditions and its JSON is the
 * measurement's value. `timeoutSeconds` defaults to 10.
 */
import { JSONPath } from "jsonpath-plus";
import { evaluateResult } from "./analysis.js";
import { headersOf, measurementError, nowIso, providerSpec, type MetricProvider, type ProviderContext } from "./providers-support.js";
import type { Measurement, Metric } from "./types.js";

const DEFAULT_TIMEOUT_SECONDS = 10;

/** A kubectl JSONPath expression (`{$.data.ok}`, `{.data}`) as a jsonpath-plus path. */
export function jsonPathOf(template: string): string {
  const t = template.trim();
  const inner = t.startsWith("{") && t.endsWith("}") ? t.slice(1, -1).trim() : t;
  if (inner === "" || inner === "$" || inner === ".") return "$";
  if (inner.startsWith("$")) return inner;
  return inner.startsWith(".") || inner.startsWith("[") ? `$${inner}` : `$.${inner}`;
}

function requestOf(spec: Record<string, unknown>): { method: string; url: string; headers: Record<string, string>; body?: string } {
  const method = typeof spec.method === "string" && spec.method !== "" ? spec.method.toUpperCase() : "GET";
  if (typeof spec.url !== "string" || spec.url === "") throw new Error("web metric needs a url");
  const body = typeof spec.body === "string" && spec.body !== "" ? spec.body : undefined;
  const jsonBody = spec.jsonBody;
  if (body !== undefined && jsonBody !== undefined) throw new Error("use either Body or JSONBody; both cannot exists for WebMetric payload");
  if ((body !== undefined || jsonBody !== undefined) && method === "GET") throw new Error("Body/JSONBody can only be used with POST or PUT WebMetric Method types");
  const headers = headersOf(spec);
  if (jsonBody !== undefined) headers["Content-Type"] = "application/json";
  return { method, url: spec.url, headers, ...(body !== undefined ? { body } : jsonBody !== undefined ? { body: JSON.stringify(jsonBody) } : {}) };
}

/** The value and phase of a 2xx answer's body. */
export function parseWebBody(metric: Metric, text: string): { value: string; phase: Measurement["phase"]; message?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Argo: a body that is not JSON is the value, and the measurement succeeds.
    return { value: text, phase: "Successful" };
  }
  const spec = providerSpec(metric, "web");
  const template = typeof spec.jsonPath === "string" && spec.jsonPath !== "" ? spec.jsonPath : "{$}";
  let found: unknown[];
  try {
    found = JSONPath({ path: jsonPathOf(template), json: data as object, wrap: true, eval: "safe" }) as unknown[];
  } catch (err) {
    throw new Error(`Could not find JSONPath in body: ${(err as Error).message}`);
  }
  if (found.length === 0) throw new Error(`Could not find JSONPath in body: ${template} is not found`);
  const result = found[0];
  const { phase, message } = evaluateResult(result, metric);
  return { value: JSON.stringify(result), phase, ...(message ? { message } : {}) };
}

async function measure(ctx: ProviderContext, metric: Metric): Promise<Measurement> {
  const m: Measurement = { phase: "Running", startedAt: nowIso(ctx) };
  try {
    const spec = providerSpec(metric, "web");
    const req = requestOf(spec);
    const seconds = typeof spec.timeoutSeconds === "number" && spec.timeoutSeconds > 0 ? spec.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
    const res = await ctx.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(seconds * 1000) });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) throw new Error(`received non 2xx response code: ${res.status}`);
    const out = parseWebBody(metric, text);
    return { ...m, value: out.value, phase: out.phase, ...(out.message ? { message: out.message } : {}), finishedAt: nowIso(ctx) };
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") return measurementError(m, new Error(`request timed out after ${providerSpec(metric, "web").timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS}s`), ctx);
    return measurementError(m, e.cause instanceof Error && e.message === "fetch failed" ? new Error(`fetch failed: ${e.cause.message}`) : e, ctx);
  }
}

export const webProvider: MetricProvider = {
  run: measure,
  // Everything happens in run: an in-flight web measurement (a restart mid-request) is measured again.
  resume: (ctx, metric) => measure(ctx, metric),
  terminate: async (ctx, _metric, m) => ({ ...m, phase: "Successful", finishedAt: m.finishedAt ?? nowIso(ctx) }),
};
