/**
 * The analysis side of the controller (Argo Rollouts' analysis controller, `analysis/analysis.go`
 * reconcileAnalysisRun): for each AnalysisRun of a Rollout that is not finished, the metrics due now
 * are measured (or resumed, or terminated) through their providers, the measurements recorded and the
 * run assessed (the pure bookkeeping in analysis.ts), and the run's status written through its status
 * subresource. Argument values come from the run (`value`), Secrets (`valueFrom.secretKeyRef`, read
 * through the cluster) and the owning Rollout (`valueFrom.fieldRef`); Secret values are masked in what
 * is recorded.
 */
import type { Cluster } from "../../core/ports/cluster.js";
import { dueMetrics, reconcileAnalysisRun } from "./analysis.js";
import { resolveArgValues, resolveMetric, rolloutFieldValue, type ArgInputs } from "./analysis-run.js";
import { mergePatchOf } from "./merge-patch.js";
import { providerFor } from "./providers.js";
import { measurementError, type ProviderContext } from "./providers-support.js";
import { rfc3339 } from "./status.js";
import type { AnalysisRun, Measurement, Rollout } from "./types.js";
import { isCompleted } from "./types.js";

export interface AnalysisDeps {
  cluster: Cluster;
  fetch: typeof fetch;
  now: () => Date;
}

export interface AnalysisPass {
  /** The runs as they are after this pass. */
  runs: AnalysisRun[];
  /** Whether any run's status was written. */
  changed: boolean;
  /** The earliest time a measurement falls due. */
  nextAt?: string;
  /** A measurement is in flight (a Job running): look again soon. */
  inFlight: boolean;
}

const SECRET_MASK = "*****";

/** The Secret keys and Rollout fields the run's arguments name, read from the cluster. */
async function argInputs(cluster: Cluster, run: AnalysisRun, rollout: Rollout | undefined): Promise<{ inputs: ArgInputs; secretValues: string[] }> {
  const secrets: Record<string, string> = {};
  const fields: Record<string, string> = {};
  const cache = new Map<string, Record<string, string> | undefined>();
  for (const a of run.spec.args ?? []) {
    const ref = a.valueFrom?.secretKeyRef;
    if (ref) {
      if (!cache.has(ref.name)) {
        const secret = await cluster.get({ apiVersion: "v1", kind: "Secret", namespace: run.metadata.namespace, name: ref.name });
        const data = (secret?.data ?? {}) as Record<string, string>;
        const strings = (secret?.stringData ?? {}) as Record<string, string>;
        cache.set(ref.name, secret ? { ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])), ...strings } : undefined);
      }
      const value = cache.get(ref.name)?.[ref.key];
      if (value !== undefined) secrets[`${ref.name}/${ref.key}`] = value;
    }
    const path = a.valueFrom?.fieldRef?.fieldPath;
    if (path && rollout) {
      try {
        fields[path] = rolloutFieldValue(rollout, path);
      } catch {
        /* resolveArgValues says the argument was not supplied */
      }
    }
  }
  return { inputs: { secrets, fields }, secretValues: Object.values(secrets).filter((v) => v.length > 0) };
}

const hide = (s: string, secrets: readonly string[]): string => secrets.reduce((t, v) => t.split(v).join(SECRET_MASK), s);

function mask(m: Measurement, secrets: readonly string[]): Measurement {
  if (secrets.length === 0) return m;
  return { ...m, ...(m.message !== undefined ? { message: hide(m.message, secrets) } : {}), ...(m.value !== undefined ? { value: hide(m.value, secrets) } : {}) };
}

/** One pass over one run: measure what is due, record, assess. */
export async function reconcileRun(deps: AnalysisDeps, run: AnalysisRun, rollout: Rollout | undefined): Promise<{ run: AnalysisRun; nextAt?: string; inFlight: boolean }> {
  if (isCompleted(run.status?.phase)) return { run, inFlight: false };
  const now = rfc3339(deps.now().getTime());
  const { inputs, secretValues } = await argInputs(deps.cluster, run, rollout);
  let args: Record<string, string>;
  try {
    args = resolveArgValues(run.spec.args ?? [], inputs);
  } catch (err) {
    const message = `Unable to resolve metric arguments: ${(err as Error).message}`;
    return { run: { ...run, status: { ...run.status, phase: "Error", message, startedAt: run.status?.startedAt ?? now } }, inFlight: false };
  }
  const ctx: ProviderContext = { cluster: deps.cluster, run, fetch: deps.fetch, now: deps.now };
  let due: ReturnType<typeof dueMetrics> = [];
  try {
    due = dueMetrics(run, now, inputs);
  } catch {
    /* reconcileAnalysisRun assesses the run as Error with the reason */
  }
  const measurements: Record<string, Measurement> = {};
  await Promise.all(
    due.map(async (d) => {
      const raw = run.spec.metrics.find((m) => m.name === d.metric.name)!;
      let m: Measurement;
      try {
        const metric = resolveMetric(raw, args);
        const provider = providerFor(metric);
        if (d.resume && d.terminate) m = await provider.terminate(ctx, metric, d.resume);
        else if (d.resume) m = await provider.resume(ctx, metric, d.resume);
        else m = await provider.run(ctx, metric);
      } catch (err) {
        m = measurementError(d.resume ?? { phase: "Running", startedAt: now }, err, ctx);
      }
      // A resumed measurement that is still in flight changes nothing.
      if (d.resume && !d.terminate && m === d.resume) return;
      measurements[d.metric.name] = mask(m, secretValues);
    }),
  );
  const out = reconcileAnalysisRun(run, measurements, now, inputs);
  let next = out.run;
  // Argo keeps the provider's metadata (the resolved Prometheus query) on the metric's result.
  for (const r of next.status?.metricResults ?? []) {
    if (r.metadata) continue;
    const raw = run.spec.metrics.find((m) => m.name === r.name);
    const meta = raw ? safeMetadata(raw, args) : undefined;
    if (!meta) continue;
    const metadata = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, hide(v, secretValues)]));
    next = { ...next, status: { ...next.status, metricResults: next.status!.metricResults!.map((x) => (x.name === r.name ? { ...x, metadata } : x)) } };
  }
  const inFlight = (next.status?.metricResults ?? []).some((r) => {
    const last = r.measurements[r.measurements.length - 1];
    return !isCompleted(r.phase) && last !== undefined && !last.finishedAt;
  });
  return { run: next, ...(out.nextAt ? { nextAt: out.nextAt } : {}), inFlight };
}

function safeMetadata(raw: AnalysisRun["spec"]["metrics"][number], args: Record<string, string>): Record<string, string> | undefined {
  try {
    const metric = resolveMetric(raw, args);
    return providerFor(metric).metadata?.(metric);
  } catch {
    return undefined;
  }
}

/** Writes a run's status when it changed (merge patch on the status subresource). */
export async function writeRunStatus(cluster: Cluster, before: AnalysisRun, after: AnalysisRun): Promise<boolean> {
  const patch = mergePatchOf(before.status ?? {}, after.status ?? {});
  if (patch === undefined) return false;
  await cluster.patch(
    { apiVersion: before.apiVersion, kind: "AnalysisRun", namespace: before.metadata.namespace, name: before.metadata.name },
    { metadata: { resourceVersion: before.metadata.resourceVersion }, status: patch },
    "merge",
    { subresource: "status" },
  );
  return true;
}

/** Reconciles every unfinished run of a Rollout once. A conflicting write (another replica) is left for the next pass. */
export async function reconcileRuns(deps: AnalysisDeps, runs: readonly AnalysisRun[], rollout: Rollout | undefined): Promise<AnalysisPass> {
  const out: AnalysisPass = { runs: [], changed: false, inFlight: false };
  for (const run of runs) {
    const r = await reconcileRun(deps, run, rollout);
    let written = false;
    try {
      written = await writeRunStatus(deps.cluster, run, r.run);
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
      out.runs.push(run);
      out.inFlight = true;
      continue;
    }
    out.changed ||= written;
    out.runs.push(r.run);
    out.inFlight ||= r.inFlight;
    if (r.nextAt && (!out.nextAt || Date.parse(r.nextAt) < Date.parse(out.nextAt))) out.nextAt = r.nextAt;
  }
  return out;
}
