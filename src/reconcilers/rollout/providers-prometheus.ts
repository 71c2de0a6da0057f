/**
 * The prometheus metric provider (`metricproviders/prometheus/prometheus.go`): an instant query
 * through Prometheus's HTTP API (`POST <address>/api/v1/query`, form-encoded as client_golang sends
 * it, GET when the server refuses POST), `timeout` seconds (default 30), custom `headers`. A scalar is
 * `result` as a number, a vector a list of numbers (so conditions say `result[0]`); the value is
 * Prometheus's own text of the numbers; any other result type is an Error measurement.
 */
import { evaluateResult } from "./analysis.js";
import { headersOf, measurementError, nowIso, providerSpec, type MetricProvider, type ProviderContext } from "./providers-support.js";
import type { Measurement, Metric } from "./types.js";

const DEFAULT_TIMEOUT_SECONDS = 30;

interface QueryAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}

/** A sample's value ("0.95", "NaN", "+Inf") as a number. */
function sampleValue(v: unknown): number {
  const s = String(v);
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return Number(s);
}

/** model.SampleValue.String(): strconv.FormatFloat(f, 'f', -1, 64), never in exponent form. */
export function formatSample(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = "", expText] = m;
  const exp = Number(expText);
  const digits = lead + frac;
  if (exp >= 0) return sign + (exp + 1 >= digits.length ? digits + "0".repeat(exp + 1 - digits.length) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`);
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

/** processResponse: `result` and the value text of a query answer. */
export function readQueryResult(data: QueryAnswer["data"]): { result: number | number[]; value: string } {
  const type = data?.resultType;
  if (type === "scalar") {
    const pair = data?.result as [number, string] | undefined;
    const n = sampleValue(pair?.[1]);
    return { result: n, value: formatSample(n) };
  }
  if (type === "vector") {
    const samples = (Array.isArray(data?.result) ? data.result : []) as Array<{ value?: [number, string] } | null>;
    const values = samples.filter((s) => s !== null).map((s) => sampleValue(s?.value?.[1]));
    return { result: values, value: `[${values.map(formatSample).join(",")}]` };
  }
  throw new Error("Prometheus metric type not supported");
}

async function query(ctx: ProviderContext, spec: Record<string, unknown>): Promise<QueryAnswer> {
  const address = typeof spec.address === "string" ? spec.address : "";
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(address ? "prometheus address is not is url format" : "prometheus address is not configured");
  }
  const seconds = typeof spec.timeout === "number" ? spec.timeout : DEFAULT_TIMEOUT_SECONDS;
  if (seconds < 0) throw new Error("prometheus timeout should not be negative");
  const endpoint = `${url.href.replace(/\/+$/, "")}/api/v1/query`;
  const form = new URLSearchParams({ query: String(spec.query ?? ""), time: String(ctx.now().getTime() / 1000) });
  const signal = AbortSignal.timeout(seconds * 1000);
  const headers = headersOf(spec);
  let res = await ctx.fetch(endpoint, { method: "POST", headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" }, body: form.toString(), signal });
  if (res.status === 405) res = await ctx.fetch(`${endpoint}?${form.toString()}`, { method: "GET", headers, signal });
  const text = await res.text();
  let answer: QueryAnswer;
  try {
    answer = JSON.parse(text) as QueryAnswer;
  } catch {
    throw new Error(`server_error: server error: ${res.status}`);
  }
  if (answer.status === "error") throw new Error(`${answer.errorType ?? "error"}: ${answer.error ?? ""}`);
  if (res.status < 200 || res.status >= 300) throw new Error(`server_error: server error: ${res.status}`);
  return answer;
}

async function measure(ctx: ProviderContext, metric: Metric): Promise<Measurement> {
  const m: Measurement = { phase: "Running", startedAt: nowIso(ctx) };
  try {
    const answer = await query(ctx, providerSpec(metric, "prometheus"));
    const { result, value } = readQueryResult(answer.data);
    const { phase, message } = evaluateResult(result, metric);
    const warnings = (answer.warnings ?? []).map((w) => `"${w}"`).join(", ");
    return { ...m, value, phase, ...(message ? { message } : {}), ...(warnings ? { metadata: { warnings } } : {}), finishedAt: nowIso(ctx) };
  } catch (err) {
    return measurementError(m, err, ctx);
  }
}

export const prometheusProvider: MetricProvider = {
  run: measure,
  resume: (ctx, metric) => measure(ctx, metric),
  terminate: async (ctx, _metric, m) => ({ ...m, phase: "Successful", finishedAt: m.finishedAt ?? nowIso(ctx) }),
  metadata(metric) {
    const q = providerSpec(metric, "prometheus").query;
    return typeof q === "string" && q !== "" ? { ResolvedPrometheusQuery: q } : undefined;
  },
};
