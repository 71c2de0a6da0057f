/**
 * The job metric provider (`metricproviders/job/job.go`): a `batch/v1` Job from the metric's
 * `provider.job` (metadata and spec), named `<run uid>.<metric>.<n>` (n: measurements so far + 1) and
 * owned by the AnalysisRun; the measurement stays Running until the Job's `Complete` condition
 * (Successful) or `Failed` (Failed). Terminating deletes the Job (foreground) and succeeds, as Argo does.
 */
import type { KubeObject } from "../../core/ports/cluster.js";
import { measurementError, nowIso, providerSpec, type MetricProvider, type ProviderContext } from "./providers-support.js";
import type { Measurement, Metric } from "./types.js";

export const JOB_NAME_KEY = "job-name";
export const ANALYSIS_RUN_NAME_ANNOTATION = "analysisrun.argoproj.io/name";
export const ANALYSIS_RUN_METRIC_ANNOTATION = "analysisrun.argoproj.io/metric-name";
export const ANALYSIS_RUN_UID_LABEL = "analysisrun.argoproj.io/uid";

const isConflict = (err: unknown) => (err as { status?: number }).status === 409;

/** getJobIDSuffix: every measurement ever taken of the metric, plus one. */
function jobName(ctx: ProviderContext, metric: Metric): string {
  const r = ctx.run.status?.metricResults?.find((x) => x.name === metric.name);
  const n = (r?.count ?? 0) + (r?.error ?? 0) + 1;
  return `${ctx.run.metadata.uid ?? ctx.run.metadata.name}.${metric.name}.${n}`;
}

/** newMetricJob. */
export function metricJob(ctx: ProviderContext, metric: Metric): KubeObject {
  const spec = providerSpec(metric, "job");
  const meta = (spec.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const run = ctx.run;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(ctx, metric),
      namespace: run.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [ANALYSIS_RUN_UID_LABEL]: run.metadata.uid ?? "" },
      annotations: { ...(meta.annotations ?? {}), [ANALYSIS_RUN_NAME_ANNOTATION]: run.metadata.name, [ANALYSIS_RUN_METRIC_ANNOTATION]: metric.name },
      ownerReferences: [{ apiVersion: run.apiVersion, kind: "AnalysisRun", name: run.metadata.name, uid: run.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(spec.spec ?? {}),
  };
}

const jobRef = (ctx: ProviderContext, name: string) => ({ apiVersion: "batch/v1", kind: "Job", namespace: ctx.run.metadata.namespace, name });

function jobNameOf(m: Measurement): string {
  const name = m.metadata?.[JOB_NAME_KEY];
  if (!name) throw new Error("job metadata reference missing");
  return name;
}

export const jobProvider: MetricProvider = {
  async run(ctx, metric) {
    const m: Measurement = { phase: "Running", startedAt: nowIso(ctx) };
    const job = metricJob(ctx, metric);
    try {
      let created: KubeObject;
      try {
        created = await ctx.cluster.create(job);
      } catch (err) {
        if (!isConflict(err)) throw err;
        // A measurement started before a restart: the Job is ours when the same run owns it.
        const existing = await ctx.cluster.get(jobRef(ctx, job.metadata.name!));
        const owner = existing?.metadata.ownerReferences?.find((o) => o.controller);
        if (!existing || owner?.uid !== ctx.run.metadata.uid) throw err;
        created = existing;
      }
      return { ...m, metadata: { [JOB_NAME_KEY]: created.metadata.name! } };
    } catch (err) {
      return measurementError(m, err, ctx);
    }
  },

  async resume(ctx, _metric, m) {
    try {
      const name = jobNameOf(m);
      const job = await ctx.cluster.get(jobRef(ctx, name));
      if (!job) throw new Error(`jobs.batch "${name}" not found`);
      const conditions = ((job.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).filter((c) => c.status === "True");
      let phase: Measurement["phase"] = m.phase;
      for (const c of conditions) {
        if (c.type === "Complete") phase = "Successful";
        else if (c.type === "Failed") phase = "Failed";
      }
      return phase === m.phase ? m : { ...m, phase, finishedAt: nowIso(ctx) };
    } catch (err) {
      return measurementError(m, err, ctx);
    }
  },

  async terminate(ctx, _metric, m) {
    try {
      await ctx.cluster.delete(jobRef(ctx, jobNameOf(m)), { propagationPolicy: "Foreground" });
      return { ...m, phase: "Successful", finishedAt: nowIso(ctx) };
    } catch (err) {
      return measurementError(m, err, ctx);
    }
  },
};
