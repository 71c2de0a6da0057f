/** What every metric provider shares: its context and interface, and small helpers. */
import type { Cluster } from "../../core/ports/cluster.js";
import { rfc3339 } from "./status.js";
import type { AnalysisRun, Measurement, Metric } from "./types.js";

export interface ProviderContext {
  cluster: Cluster;
  /** The AnalysisRun as stored (name, namespace and uid set). */
  run: AnalysisRun;
  fetch: typeof fetch;
  now: () => Date;
}

export interface MetricProvider {
  /** Starts a measurement: a finished one, or (job) one in flight with `metadata` to resume it by. */
  run(ctx: ProviderContext, metric: Metric): Promise<Measurement>;
  /** Looks at an in-flight measurement again. */
  resume(ctx: ProviderContext, metric: Metric, measurement: Measurement): Promise<Measurement>;
  /** Ends an in-flight measurement because the run is ending. */
  terminate(ctx: ProviderContext, metric: Metric, measurement: Measurement): Promise<Measurement>;
  /** Metadata kept on the metric's result (Argo's GetMetadata). */
  metadata?(metric: Metric): Record<string, string> | undefined;
}

export const nowIso = (ctx: Pick<ProviderContext, "now">): string => rfc3339(ctx.now().getTime());

/** metricutil.MarkMeasurementError: phase Error with the message, finished now unless it already was. */
export function measurementError(m: Measurement, err: unknown, ctx: Pick<ProviderContext, "now">): Measurement {
  return { ...m, phase: "Error", message: err instanceof Error ? err.message : String(err), finishedAt: m.finishedAt ?? nowIso(ctx) };
}

/** A provider's fields, as the metric gives them. */
export function providerSpec(metric: Metric, kind: string): Record<string, unknown> {
  const spec = metric.provider?.[kind];
  return typeof spec === "object" && spec !== null ? (spec as Record<string, unknown>) : {};
}

/** `headers: [{key, value}]` as a plain map (later entries win, as http.Header.Set does). */
export function headersOf(spec: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of Array.isArray(spec.headers) ? spec.headers : []) {
    const e = h as { key?: unknown; value?: unknown };
    if (typeof e.key === "string") out[e.key] = String(e.value ?? "");
  }
  return out;
}
