/**
 * Building an AnalysisRun from the templates a Rollout names (`utils/analysis` NewAnalysisRunFromTemplates,
 * FlattenTemplates, MergeArgs) and resolving its arguments: `{{args.name}}` placeholders (`utils/template`
 * ResolveArgs / ResolveQuotedArgs), values from Secrets and from fields given as a map of resolved inputs
 * (the cluster side reads them; this module stays pure), and the checks the analysis controller makes on
 * a run's metrics before it measures (ValidateMetrics).
 */
import { parseGoDuration } from "../../engine/model/durations.js";
import { intValue } from "./model-analysis.js";
import type { AnalysisRun, AnalysisRunArgument, AnalysisRunSpec, AnalysisTemplate, Argument, Metric, Rollout } from "./types.js";

/** Values the caller has looked up: Secret keys as `secret/key`, fields by their fieldPath. */
export interface ArgInputs {
  secrets?: Record<string, string>;
  fields?: Record<string, string>;
}

/** ResolveArgs: substitutes every `{{tag}}`; a tag that is not a known `args.name` is an error. */
export function substituteArgs(text: string, args: Record<string, string>): string {
  let unresolved: string | undefined;
  const out = text.replace(/\{\{([^}]*)\}\}/g, (_m, tag: string) => {
    const key = tag.trim();
    if (key.startsWith("args.") && Object.prototype.hasOwnProperty.call(args, key.slice(5))) return args[key.slice(5)];
    unresolved = tag;
    return "";
  });
  if (unresolved !== undefined) throw new Error(`failed to resolve {{${unresolved}}}`);
  return out;
}

/** strconv.Quote without its quotes: what ResolveQuotedArgs substitutes into JSON. */
const quoteInner = (s: string): string => JSON.stringify(s).slice(1, -1);

/** ResolveMetricArgs: the metric with `{{args.*}}` filled in (values escaped for JSON). */
export function resolveMetric(metric: Metric, args: Record<string, string>): Metric {
  const quoted = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, quoteInner(v)]));
  return JSON.parse(substituteArgs(JSON.stringify(metric), quoted)) as Metric;
}

/**
 * The value of each argument: `value`, a Secret key from `inputs.secrets` (`name/key`), or a field from
 * `inputs.fields`. Throws Argo's messages for an argument without a value or a missing Secret key.
 */
export function resolveArgValues(args: readonly Argument[], inputs: ArgInputs = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const ref = a.valueFrom?.secretKeyRef;
    const field = a.valueFrom?.fieldRef?.fieldPath;
    if (ref) {
      const v = inputs.secrets?.[`${ref.name}/${ref.key}`];
      if (v === undefined) throw new Error(`key '${ref.key}' does not exist in secret '${ref.name}'`);
      out[a.name] = v;
    } else if (a.value !== undefined) {
      out[a.name] = a.value;
    } else if (field !== undefined && inputs.fields?.[field] !== undefined) {
      out[a.name] = inputs.fields[field];
    } else {
      throw new Error(`argument "${a.name}" was not supplied`);
    }
  }
  return out;
}

/** The argument values with every Secret replaced by a placeholder: enough to assess, never to show. */
export function argValuesWithoutSecrets(args: readonly Argument[], inputs: ArgInputs = {}): Record<string, string> {
  return resolveArgValues(
    args.map((a) => (a.valueFrom?.secretKeyRef ? { name: a.name, value: "temp-for-secret" } : a)),
    inputs,
  );
}

/** extractValueFromRollout: a field of the Rollout by a path like `metadata.labels.app` or `spec.template.metadata.labels['app']`. */
export function rolloutFieldValue(ro: Rollout, path: string): string {
  let cur: unknown = JSON.parse(JSON.stringify(ro));
  for (const raw of path.split(/[.[\]]+/)) {
    if (raw === "") continue;
    const section = raw.replace(/^['"]|['"]$/g, "");
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(section)) throw new Error(`invalid index '${section}'`);
      if (Number(section) >= cur.length) throw new Error(`index ${section} out of range`);
      cur = cur[Number(section)];
    } else if (typeof cur === "object" && cur !== null) {
      cur = (cur as Record<string, unknown>)[section];
    } else {
      throw new Error(`invalid path ${path} in rollout`);
    }
  }
  if (cur === undefined || cur === null) throw new Error(`invalid path ${path} in rollout`);
  if (typeof cur === "object") throw new Error(`path ${path} in rollout must terminate in a primitive value`);
  return String(cur);
}

/**
 * BuildArgumentsForRolloutAnalysisRun: the Rollout's arguments with `podTemplateHashValue` (Stable or
 * Latest) and `fieldRef` turned into values.
 */
export function rolloutAnalysisArgs(args: readonly AnalysisRunArgument[] | undefined, ro: Rollout, hashes: { stable?: string; latest: string }): Argument[] {
  return (args ?? []).map((a) => {
    if (a.value !== undefined) return { name: a.name, value: a.value };
    const vf = a.valueFrom;
    if (vf?.podTemplateHashValue === "Stable") return { name: a.name, value: hashes.stable ?? "" };
    if (vf?.podTemplateHashValue === "Latest") return { name: a.name, value: hashes.latest };
    if (vf?.fieldRef) return { name: a.name, value: rolloutFieldValue(ro, vf.fieldRef.fieldPath) };
    return { name: a.name };
  });
}

/** MergeArgs: the Rollout's values override the templates' arguments of the same name; all must end up resolved. */
export function mergeArgs(incoming: readonly Argument[], templateArgs: readonly Argument[]): Argument[] {
  const merged = templateArgs.map((a) => ({ ...a }));
  for (const a of incoming) {
    const i = merged.findIndex((t) => t.name === a.name);
    if (i < 0) continue;
    if (a.value !== undefined) merged[i].value = a.value;
    else if (a.valueFrom !== undefined) merged[i].valueFrom = a.valueFrom;
  }
  for (const a of merged) if (a.value === undefined && a.valueFrom === undefined) throw new Error(`args.${a.name} was not resolved`);
  return merged;
}

/** FlattenTemplates: metrics, dry-run and retention rules and arguments of several templates as one. */
export function flattenTemplates(templates: readonly AnalysisTemplate[]): AnalysisRunSpec {
  const metrics: Metric[] = [];
  const args: Argument[] = [];
  const dryRun: Array<{ metricName: string }> = [];
  const retention: Array<{ metricName: string; limit: number }> = [];
  for (const t of templates) {
    metrics.push(...t.spec.metrics);
    dryRun.push(...(t.spec.dryRun ?? []));
    retention.push(...(t.spec.measurementRetention ?? []));
    for (const a of t.spec.args ?? []) {
      const i = args.findIndex((p) => p.name === a.name);
      if (i < 0) args.push({ ...a });
      else {
        const prev = args[i];
        if (prev.value !== undefined && a.value !== undefined && prev.value !== a.value) {
          throw new Error(`Argument \`${a.name}\` specified multiple times with different values: '${prev.value}', '${a.value}'`);
        }
        if (prev.value === undefined) args[i] = { ...a };
      }
    }
  }
  const seen = new Set<string>();
  for (const m of metrics) {
    if (seen.has(m.name)) throw new Error(`two metrics have the same name '${m.name}'`);
    seen.add(m.name);
  }
  const unique = (rules: Array<{ metricName: string }>, what: string): void => {
    const names = new Set<string>();
    for (const r of rules) {
      if (names.has(r.metricName)) throw new Error(`two ${what} metric rules have the same name '${r.metricName}'`);
      names.add(r.metricName);
    }
  };
  unique(dryRun, "Dry-Run");
  unique(retention, "Measurement Retention");
  return { metrics, args, dryRun, measurementRetention: retention };
}

export interface NewAnalysisRunInput {
  name: string;
  namespace?: string;
  /** AnalysisTemplates first, then ClusterAnalysisTemplates, as the Rollout lists them. */
  templates: readonly AnalysisTemplate[];
  args?: readonly Argument[];
  dryRun?: Array<{ metricName: string }>;
  measurementRetention?: Array<{ metricName: string; limit: number }>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** NewAnalysisRunFromTemplates: a new AnalysisRun object (no status) ready to create. Throws Argo's messages. */
export function newAnalysisRun(input: NewAnalysisRunInput): AnalysisRun {
  const ordered = [...input.templates.filter((t) => t.kind !== "ClusterAnalysisTemplate"), ...input.templates.filter((t) => t.kind === "ClusterAnalysisTemplate")];
  const flat = flattenTemplates(ordered);
  const args = mergeArgs(input.args ?? [], flat.args ?? []);
  const dryRun = [...(input.dryRun ?? []), ...(flat.dryRun ?? [])];
  const retention = [...(input.measurementRetention ?? []), ...(flat.measurementRetention ?? [])];
  flattenTemplates([{ apiVersion: "", kind: "AnalysisTemplate", metadata: { name: "" }, spec: { metrics: [], dryRun, measurementRetention: retention } }]);
  const spec: AnalysisRunSpec = { metrics: flat.metrics, args };
  if (dryRun.length) spec.dryRun = dryRun;
  if (retention.length) spec.measurementRetention = retention;
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisRun",
    metadata: {
      name: input.name,
      ...(input.namespace ? { namespace: input.namespace } : {}),
      ...(input.labels ? { labels: { ...input.labels } } : {}),
      ...(input.annotations ? { annotations: { ...input.annotations } } : {}),
    },
    spec,
  };
}


/** A duration field in milliseconds; undefined when it does not parse (Argo logs it and skips the metric). */
export function durationMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  try {
    return parseGoDuration(text, "duration");
  } catch {
    return undefined;
  }
}

/** ValidateMetrics, as the analysis controller checks a run before measuring (errors the run, not the lint). */
export function validateMetrics(metrics: readonly Metric[]): void {
  if (metrics.length === 0) throw new Error("no metrics specified");
  const names = new Set<string>();
  metrics.forEach((m, i) => {
    if (names.has(m.name)) throw new Error(`metrics[${i}]: duplicate name '${m.name}'`);
    names.add(m.name);
    const fail = (why: string): never => {
      throw new Error(`metrics[${i}]: ${why}`);
    };
    const count = intValue(m.count);
    const failureLimit = intValue(m.failureLimit);
    const inconclusiveLimit = intValue(m.inconclusiveLimit);
    if (count > 0 && count < failureLimit) fail("count must be >= failureLimit");
    if (count > 0 && count < inconclusiveLimit) fail("count must be >= inconclusiveLimit");
    if (count > 1 && !m.interval) fail("interval must be specified when count > 1");
    if (m.interval && durationMs(m.interval) === undefined) fail(`invalid interval string: ${m.interval}`);
    if (m.initialDelay && durationMs(m.initialDelay) === undefined) fail(`invalid startDelay string: ${m.initialDelay}`);
    if (failureLimit < 0) fail("failureLimit must be >= 0");
    if (inconclusiveLimit < 0) fail("inconclusiveLimit must be >= 0");
    if (m.consecutiveErrorLimit !== undefined && intValue(m.consecutiveErrorLimit) < 0) fail("consecutiveErrorLimit must be >= 0");
    const providers = Object.keys(m.provider ?? {});
    if (providers.length === 0) fail("no provider specified");
    if (providers.length > 1) fail("multiple providers specified");
  });
}
