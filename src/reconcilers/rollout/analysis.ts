/**
 * An AnalysisRun's bookkeeping and verdict, as Argo Rollouts' analysis controller keeps them
 * (`analysis/analysis.go` generateMetricTasks, runMeasurements, assessRunStatus, assessMetricStatus,
 * assessMetricFailureInconclusiveOrError, calculateNextReconcileTime, garbageCollectMeasurements) and
 * the success/failure conditions (`utils/evaluate/evaluate.go`). Providers are not here: a provider turns
 * a metric into a Measurement (measurementFromResult helps with conditions); this module decides which
 * metrics are due, counts what came back and says what the run is.
 */
import { evaluateExpr } from "../../engine/expr/expr-lang.js";
import { argValuesWithoutSecrets, durationMs, resolveMetric, validateMetrics, type ArgInputs } from "./analysis-run.js";
import { intValue } from "./model-analysis.js";
import type { AnalysisPhase, AnalysisRun, Measurement, Metric, MetricResult, RunSummary } from "./types.js";
import { isCompleted } from "./types.js";

export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_MEASUREMENT_HISTORY_LIMIT = 10;
export const DEFAULT_ERROR_RETRY_INTERVAL_MS = 10_000;

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();

// ---------------------------------------------------------------- conditions

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "number") return "float64"; // providers decode JSON numbers as float64
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

const isNilOrEmpty = (v: unknown): boolean => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

/** EvalCondition: runs an expr-lang condition over `result`; throws on an error or a non-bool value. */
export function evaluateCondition(result: unknown, condition: string): boolean {
  const value = result === undefined ? null : result;
  if (/\bresult\s*\[/.test(condition) && (value === null || ((Array.isArray(value) || typeof value === "string") && value.length === 0))) {
    throw new Error("metric result is empty or unavailable, and the condition cannot index into result; guard the condition with len(result) > 0");
  }
  const env = {
    result: value,
    isNaN: (x: unknown) => typeof x === "number" && Number.isNaN(x),
    isInf: (x: unknown) => x === Infinity || x === -Infinity,
    isNil: () => value === null,
    default: (_v: unknown, d: unknown) => (value === null ? d : value),
  };
  const out = evaluateExpr(condition, env);
  if (typeof out !== "boolean") throw new Error(`expected bool, but got ${goTypeName(out)}`);
  return out;
}

/**
 * EvaluateResult: a measurement's phase from the metric's conditions. Neither condition: Successful;
 * only one: the other is its negation; both false: Inconclusive; failure wins over success.
 */
export function evaluateResult(result: unknown, metric: Pick<Metric, "successCondition" | "failureCondition">): { phase: AnalysisPhase; message?: string } {
  let success = false;
  let failure = false;
  for (const [which, expr] of [["successCondition", metric.successCondition], ["failureCondition", metric.failureCondition]] as const) {
    if (!expr) continue;
    try {
      const v = evaluateCondition(result, expr);
      if (which === "successCondition") success = v;
      else failure = v;
    } catch (e) {
      const detail = isNilOrEmpty(result) ? "metric result is nil or empty: no data returned from the metric provider" : (e as Error).message;
      return { phase: "Error", message: `could not evaluate ${which} "${expr}": ${detail}` };
    }
  }
  if (!metric.successCondition && !metric.failureCondition) return { phase: "Successful" };
  if (metric.successCondition && !metric.failureCondition) failure = !success;
  if (!metric.successCondition && metric.failureCondition) success = !failure;
  if (failure) return { phase: "Failed" };
  if (!success) return { phase: "Inconclusive" };
  return { phase: "Successful" };
}

/** A finished Measurement from a provider's result value (web, prometheus): conditions decide the phase. */
export function measurementFromResult(metric: Metric, result: unknown, times: { startedAt: string; finishedAt: string }, value?: string): Measurement {
  const { phase, message } = evaluateResult(result, metric);
  return { phase, ...(message ? { message } : {}), startedAt: times.startedAt, finishedAt: times.finishedAt, ...(value !== undefined ? { value } : {}) };
}

// ---------------------------------------------------------------- metric assessment

/** EffectiveCount: count; 1 without count and interval; none (indefinite) with only an interval. */
export function effectiveCount(metric: Metric): number | undefined {
  const count = intValue(metric.count);
  if (metric.count === undefined || count === 0) return metric.interval ? undefined : 1;
  return count;
}

/** assessMetricFailureInconclusiveOrError: later checks win (Failed, then Inconclusive, then Error). */
export function assessMetricLimits(metric: Metric, result: MetricResult): { phase?: AnalysisPhase; message: string } {
  let phase: AnalysisPhase | undefined;
  let message = "";
  const failureLimit = metric.failureLimit === undefined ? 0 : intValue(metric.failureLimit);
  if (result.failed > failureLimit) {
    phase = "Failed";
    message = `failed (${result.failed}) > failureLimit (${failureLimit})`;
  }
  const inconclusiveLimit = metric.inconclusiveLimit === undefined ? 0 : intValue(metric.inconclusiveLimit);
  if (result.inconclusive > inconclusiveLimit) {
    phase = "Inconclusive";
    message = `inconclusive (${result.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})`;
  }
  const errorLimit = metric.consecutiveErrorLimit === undefined ? DEFAULT_CONSECUTIVE_ERROR_LIMIT : intValue(metric.consecutiveErrorLimit);
  if (result.consecutiveError > errorLimit) {
    phase = "Error";
    message = `consecutiveErrors (${result.consecutiveError}) > consecutiveErrorLimit (${errorLimit})`;
  }
  return { phase, message };
}

/** assessMetricStatus: a metric's phase from its measurements, its limits and its count. */
export function assessMetric(metric: Metric, result: MetricResult, terminating: boolean): AnalysisPhase {
  if (isCompleted(result.phase)) return result.phase;
  if (result.measurements.length === 0) return terminating ? "Successful" : "Pending";
  const last = result.measurements[result.measurements.length - 1];
  if (!isCompleted(last.phase)) return "Running";
  const limits = assessMetricLimits(metric, result);
  if (limits.phase) return limits.phase;
  const count = effectiveCount(metric);
  if (count !== undefined && result.count >= count) return "Successful";
  return terminating ? "Successful" : "Running";
}

const ORDER: readonly AnalysisPhase[] = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"];
/** IsWorse in the order Successful < Running < Pending < Inconclusive < Error < Failed. */
export const isWorse = (current: AnalysisPhase, next: AnalysisPhase): boolean => ORDER.indexOf(next) > ORDER.indexOf(current);

/** IsTerminating: terminate was asked, or a metric (not a dry-run one) ended Failed, Error or Inconclusive. */
export function isTerminating(run: AnalysisRun): boolean {
  if (run.spec.terminate) return true;
  return (run.status?.metricResults ?? []).some((r) => !r.dryRun && (r.phase === "Failed" || r.phase === "Error" || r.phase === "Inconclusive"));
}

// ---------------------------------------------------------------- run bookkeeping

/** Names matched by dry-run or retention rules (Go regexp MatchString, unanchored; `*` alone matches all). */
function matchRules<T extends { metricName: string }>(rules: readonly T[] | undefined, metrics: readonly Metric[], what: string): Map<string, T> {
  const out = new Map<string, T>();
  (rules ?? []).forEach((rule, i) => {
    const re = rule.metricName === "*" ? /.*/ : new RegExp(rule.metricName);
    const hits = metrics.filter((m) => re.test(m.name));
    if (hits.length === 0) throw new Error(`${what}[${i}]: Rule didn't match any metric name(s)`);
    for (const m of hits) out.set(m.name, rule);
  });
  return out;
}

/** The run's metrics with arguments filled in (Secrets as placeholders). Throws Argo's messages. */
export function resolvedMetrics(run: AnalysisRun, inputs?: ArgInputs): Metric[] {
  const args = argValuesWithoutSecrets(run.spec.args ?? [], inputs);
  return run.spec.metrics.map((m) => resolveMetric(m, args));
}

const resultOf = (run: AnalysisRun, name: string): MetricResult | undefined => run.status?.metricResults?.find((r) => r.name === name);
const lastOf = (r: MetricResult | undefined): Measurement | undefined => r?.measurements[r.measurements.length - 1];

function intervalAfter(metric: Metric, last: Measurement): number | undefined | null {
  if (last.phase === "Error") return DEFAULT_ERROR_RETRY_INTERVAL_MS;
  if (!metric.interval) return undefined;
  return durationMs(metric.interval) ?? null;
}

export interface DueMetric {
  metric: Metric;
  /** An in-flight measurement to resume, or (terminate) to terminate because the run is ending. */
  resume?: Measurement;
  terminate?: boolean;
}

/** generateMetricTasks: the metrics to measure (or resume) now. */
export function dueMetrics(run: AnalysisRun, now: string, inputs?: ArgInputs): DueMetric[] {
  const out: DueMetric[] = [];
  const terminating = isTerminating(run);
  const t = ms(now);
  for (const metric of resolvedMetrics(run, inputs)) {
    const result = resultOf(run, metric.name);
    if (result && isCompleted(result.phase)) continue;
    const last = lastOf(result);
    if (last && !last.finishedAt) {
      if (last.resumeAt && ms(last.resumeAt) > t) continue;
      out.push({ metric, resume: last, ...(terminating ? { terminate: true } : {}) });
      continue;
    }
    if (terminating) continue;
    if (!last) {
      if (metric.initialDelay) {
        const delay = durationMs(metric.initialDelay);
        if (!run.status?.startedAt || delay === undefined) continue;
        if (ms(run.status.startedAt) + delay > t) continue;
      }
      out.push({ metric });
      continue;
    }
    const count = effectiveCount(metric);
    if (count !== undefined && (result?.count ?? 0) >= count) continue;
    const interval = intervalAfter(metric, last);
    if (interval === null) continue;
    // Argo measures strictly after the interval; at the instant is enough here, so a timer set for nextMeasurementTime finds it due.
    if (t >= ms(last.finishedAt!) + (interval ?? DEFAULT_ERROR_RETRY_INTERVAL_MS)) out.push({ metric });
  }
  return out;
}

/** calculateNextReconcileTime: when the next measurement falls due (undefined when none will by itself). */
export function nextMeasurementTime(run: AnalysisRun, inputs?: ArgInputs): string | undefined {
  let next: number | undefined;
  const consider = (t: number): void => void (next = next === undefined ? t : Math.min(next, t));
  for (const metric of resolvedMetrics(run, inputs)) {
    const result = resultOf(run, metric.name);
    if (result && isCompleted(result.phase)) continue;
    const last = lastOf(result);
    if (!last) {
      const delay = durationMs(metric.initialDelay);
      if (delay !== undefined) consider((run.status?.startedAt ? ms(run.status.startedAt) : 0) + delay);
      continue;
    }
    if (!last.finishedAt) {
      if (last.resumeAt) consider(ms(last.resumeAt));
      continue;
    }
    const count = effectiveCount(metric);
    if (count !== undefined && (result?.count ?? 0) >= count) continue;
    const interval = intervalAfter(metric, last);
    if (interval !== undefined && interval !== null) consider(ms(last.finishedAt) + interval);
  }
  return next === undefined ? undefined : iso(next);
}

function emptyResult(name: string, dryRun: boolean): MetricResult {
  return { name, phase: "Running", measurements: [], count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, ...(dryRun ? { dryRun } : {}) };
}

/**
 * runMeasurements for one metric: adds (or, for a resumed one, replaces the last) measurement and counts
 * it once finished: Successful, Failed and Inconclusive count and reset consecutiveError; Error does not
 * count and adds to consecutiveError.
 */
export function recordMeasurement(run: AnalysisRun, metricName: string, measurement: Measurement, now: string, opts: { resumed?: boolean; dryRun?: boolean } = {}): AnalysisRun {
  const results = [...(run.status?.metricResults ?? [])];
  const i = results.findIndex((r) => r.name === metricName);
  const r: MetricResult = i >= 0 ? { ...results[i], measurements: [...results[i].measurements] } : emptyResult(metricName, opts.dryRun ?? false);
  const m = { ...measurement };
  if (isCompleted(m.phase)) {
    if (!m.finishedAt) m.finishedAt = now;
    if (m.phase === "Error") {
      r.error++;
      r.consecutiveError++;
    } else {
      if (m.phase === "Successful") r.successful++;
      else if (m.phase === "Failed") r.failed++;
      else r.inconclusive++;
      r.count++;
      r.consecutiveError = 0;
    }
  }
  if (opts.resumed && r.measurements.length > 0) r.measurements[r.measurements.length - 1] = m;
  else r.measurements.push(m);
  if (i >= 0) results[i] = r;
  else results.push(r);
  return { ...run, status: { ...run.status, metricResults: results } };
}

const emptySummary = (): RunSummary => ({ count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 });

/**
 * assessRunStatus (plus garbageCollectMeasurements): every metric's phase, the run's phase and message
 * (Running until every metric completes, then the worst; a terminating run ends at once with the worst
 * so far), the summaries, startedAt, and the measurement history trimmed (10, or measurementRetention).
 */
export function assessRun(run: AnalysisRun, now: string, inputs?: ArgInputs): AnalysisRun {
  let metrics: Metric[];
  let dryRun: Map<string, { metricName: string }>;
  let retention: Map<string, { metricName: string; limit: number }>;
  try {
    metrics = resolvedMetrics(run, inputs);
    validateMetrics(metrics);
    dryRun = matchRules(run.spec.dryRun, metrics, "dryRun");
    retention = matchRules(run.spec.measurementRetention, metrics, "measurementRetention");
  } catch (e) {
    const text = (e as Error).message;
    const message = /resolve|supplied|secret/.test(text) ? `Unable to resolve metric arguments: ${text}` : `Analysis spec invalid: ${text}`;
    return { ...run, status: { ...run.status, phase: "Error", message } };
  }
  const terminating = isTerminating(run);
  const status = { ...run.status, startedAt: run.status?.startedAt ?? now };
  const results = [...(status.metricResults ?? [])];
  const summary = emptySummary();
  const drySummary = emptySummary();
  let worst: AnalysisPhase | undefined;
  let worstMessage = run.spec.terminate ? "Run Terminated" : "";
  let everythingCompleted = true;
  for (const metric of metrics) {
    const isDry = dryRun.has(metric.name);
    (isDry ? drySummary : summary).count++;
    const i = results.findIndex((r) => r.name === metric.name);
    if (i < 0) {
      everythingCompleted = false;
      continue;
    }
    const result = { ...results[i] };
    const phase = assessMetric(metric, result, terminating);
    if (result.phase !== phase) {
      const last = lastOf(result);
      if (last) result.message = last.message;
      result.phase = phase;
    }
    if (!isCompleted(phase)) everythingCompleted = false;
    else {
      const limits = assessMetricLimits(metric, result);
      if (!isDry) {
        if (worst === undefined || isWorse(worst, phase)) {
          worst = phase;
          if (limits.message) {
            worstMessage = `Metric "${metric.name}" assessed ${phase} due to ${limits.message}`;
            if (result.message) worstMessage += `: "Error Message: ${result.message}"`;
          }
        }
      } else {
        if (worst === undefined) worst = "Successful";
        if (limits.message) result.message = `Metric assessed ${phase} due to ${limits.message}`;
      }
      const s = isDry ? drySummary : summary;
      if (limits.phase === "Error") s.error++;
      else if (limits.phase === "Failed") s.failed++;
      else if (limits.phase === "Inconclusive") s.inconclusive++;
      else s.successful++;
    }
    const limit = retention.get(metric.name)?.limit || DEFAULT_MEASUREMENT_HISTORY_LIMIT;
    if (result.measurements.length > limit) result.measurements = result.measurements.slice(result.measurements.length - limit);
    results[i] = result;
  }
  let phase: AnalysisPhase;
  let message = worstMessage.trim();
  if (terminating) phase = worst ?? "Successful";
  else if (!everythingCompleted || worst === undefined) {
    phase = "Running";
    message = "";
  } else phase = worst;
  const prevPhase = run.status?.phase;
  return {
    ...run,
    status: {
      ...status,
      metricResults: results,
      runSummary: summary,
      dryRunSummary: drySummary,
      phase,
      ...(phase !== prevPhase ? { message: message || undefined } : {}),
    },
  };
}

/**
 * One pass of the analysis controller: a completed run stays as it is; otherwise the measurements the
 * caller took (by metric name, for the metrics dueMetrics gave) are recorded, the run assessed, and the
 * time of the next due measurement returned.
 */
export function reconcileAnalysisRun(run: AnalysisRun, measurements: Readonly<Record<string, Measurement>>, now: string, inputs?: ArgInputs): { run: AnalysisRun; nextAt?: string } {
  if (isCompleted(run.status?.phase)) return { run };
  let out = run;
  let dry: Map<string, unknown> = new Map();
  try {
    dry = matchRules(run.spec.dryRun, resolvedMetrics(run, inputs), "dryRun");
  } catch {
    /* assessRun reports it */
  }
  const due = new Map(safeDue(run, now, inputs).map((d) => [d.metric.name, d]));
  for (const [name, m] of Object.entries(measurements)) {
    const d = due.get(name);
    const measurement = d?.terminate && m.phase === "Successful" ? { ...m, message: "Metric Terminated" } : m;
    out = recordMeasurement(out, name, measurement, now, { resumed: d?.resume !== undefined, dryRun: dry.has(name) });
  }
  out = assessRun(out, now, inputs);
  return isCompleted(out.status?.phase) ? { run: out } : { run: out, nextAt: nextMeasurementTime(out, inputs) };
}

function safeDue(run: AnalysisRun, now: string, inputs?: ArgInputs): DueMetric[] {
  try {
    return dueMetrics(run, now, inputs);
  } catch {
    return [];
  }
}
