/**
 * Reading `AnalysisTemplate` and `ClusterAnalysisTemplate` documents, with every problem located at its
 * file, line and field. The metric rules are Argo Rollouts' `utils/analysis` ValidateMetric; conditions are
 * parsed with the expr-lang parser the engine uses, so a syntax error points at the template, not at a
 * failed measurement later. Providers other than web, prometheus and job are refused as not supported yet.
 */
import type { ConfigProblem } from "../../core/errors.js";
import { parseGoDuration } from "../../engine/model/durations.js";
import { parseExpr } from "../../engine/expr/expr-lang.js";
import type { LoadedDoc, PathSeg } from "../../engine/model/load.js";
import { ARGO_API_VERSION, isObj, problem } from "./model.js";
import type { AnalysisTemplate } from "./types.js";

export const SUPPORTED_PROVIDERS = ["web", "prometheus", "job"] as const;
const KNOWN_PROVIDERS = [...SUPPORTED_PROVIDERS, "datadog", "newRelic", "wavefront", "kayenta", "cloudWatch", "graphite", "influxdb", "skywalking", "plugin"];

/** `{{args.name}}` references in a text (spaces allowed inside the braces, as fasttemplate trims them). */
export function argReferences(text: string): string[] {
  return [...text.matchAll(/\{\{\s*args\.([^}\s]+)\s*\}\}/g)].map((m) => m[1]);
}

/** intstr.IntValue(): an int, or a string's integer value (0 when it is not one, e.g. "{{args.count}}"). */
export function intValue(v: unknown): number {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
  return 0;
}

function checkMetric(doc: LoadedDoc, m: unknown, at: PathSeg[], declared: Set<string>, out: ConfigProblem[]): void {
  if (!isObj(m)) {
    out.push(problem(doc, at, "a metric must be a map with name and provider"));
    return;
  }
  if (typeof m.name !== "string" || m.name === "") out.push(problem(doc, [...at, "name"], "a metric needs a name"));
  for (const f of ["interval", "initialDelay"]) {
    const v = m[f];
    if (v === undefined) continue;
    if (typeof v !== "string") out.push(problem(doc, [...at, f], `${f} must be a duration like 30s or 5m (quoted)`));
    else if (!v.includes("{{")) {
      try {
        parseGoDuration(v, f);
      } catch {
        out.push(problem(doc, [...at, f], `${f} "${v}" is not a duration: write it with a unit, like 30s, 5m or 1h`));
      }
    }
  }
  for (const f of ["count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit"]) {
    const v = m[f];
    if (v === undefined) continue;
    if (typeof v === "string" && v.includes("{{")) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) out.push(problem(doc, [...at, f], `${f} must be a whole number ≥ 0`));
  }
  const count = intValue(m.count);
  if (count > 0) {
    if (count < intValue(m.failureLimit)) out.push(problem(doc, [...at, "count"], "count must be >= failureLimit"));
    if (count < intValue(m.inconclusiveLimit)) out.push(problem(doc, [...at, "count"], "count must be >= inconclusiveLimit"));
  }
  if (count > 1 && m.interval === undefined) out.push(problem(doc, [...at, "interval"], "interval must be specified when count > 1"));
  for (const f of ["successCondition", "failureCondition"]) {
    const v = m[f];
    if (v === undefined) continue;
    if (typeof v !== "string") {
      out.push(problem(doc, [...at, f], `${f} must be an expression string, e.g. "result[0] >= 0.95"`));
      continue;
    }
    try {
      parseExpr(v.replace(/\{\{[^}]*\}\}/g, "0"));
    } catch (e) {
      out.push(problem(doc, [...at, f], `${f} is not a valid expression: ${(e as Error).message}`));
    }
  }
  const provider = m.provider;
  const kinds = isObj(provider) ? Object.keys(provider) : [];
  if (!isObj(provider) || kinds.length === 0) out.push(problem(doc, [...at, "provider"], "a metric needs a provider: web, prometheus or job"));
  else if (kinds.length > 1) out.push(problem(doc, [...at, "provider", kinds[1]], `a metric has one provider; found ${kinds.join(" and ")}`));
  else if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(kinds[0])) {
    const known = KNOWN_PROVIDERS.includes(kinds[0]);
    out.push(problem(doc, [...at, "provider", kinds[0]], known ? `the ${kinds[0]} provider is not supported yet: Tiphys runs web, prometheus and job metrics` : `unknown provider ${kinds[0]}; expected web, prometheus or job`));
  }
  const text = JSON.stringify(m);
  for (const name of new Set(argReferences(text))) {
    if (!declared.has(name)) out.push(problem(doc, at, `{{args.${name}}} is used but no argument "${name}" is declared in spec.args`));
  }
}

/** Checks one AnalysisTemplate or ClusterAnalysisTemplate document. */
export function readAnalysisTemplate(doc: LoadedDoc): { template?: AnalysisTemplate; problems: ConfigProblem[] } {
  const out: ConfigProblem[] = [];
  const d = doc.data;
  if (!isObj(d)) return { problems: [problem(doc, [], "an AnalysisTemplate must be a map")] };
  const kind = String(d.kind);
  if (d.apiVersion !== ARGO_API_VERSION) out.push(problem(doc, ["apiVersion"], `apiVersion must be ${ARGO_API_VERSION}`));
  if (!isObj(d.metadata) || typeof d.metadata.name !== "string" || d.metadata.name === "") out.push(problem(doc, ["metadata", "name"], "metadata.name is required"));
  const spec = d.spec;
  if (!isObj(spec)) return { problems: [...out, problem(doc, ["spec"], "spec is required, with metrics")] };
  const declared = new Set<string>();
  if (spec.args !== undefined) {
    if (!Array.isArray(spec.args)) out.push(problem(doc, ["spec", "args"], "args must be a list"));
    else
      spec.args.forEach((a, i) => {
        const at: PathSeg[] = ["spec", "args", i];
        if (!isObj(a) || typeof a.name !== "string" || a.name === "") return out.push(problem(doc, [...at, "name"], "an argument needs a name"));
        if (declared.has(a.name)) out.push(problem(doc, [...at, "name"], `argument "${a.name}" is declared twice`));
        declared.add(a.name);
        if (a.value !== undefined && typeof a.value !== "string") out.push(problem(doc, [...at, "value"], "an argument's value must be a string (quote numbers)"));
        if (a.value !== undefined && a.valueFrom !== undefined) out.push(problem(doc, [...at, "valueFrom"], `argument "${a.name}" has both value and valueFrom; give one`));
        if (a.valueFrom !== undefined) {
          const vf = a.valueFrom;
          const ok =
            isObj(vf) &&
            ((isObj(vf.secretKeyRef) && typeof vf.secretKeyRef.name === "string" && typeof vf.secretKeyRef.key === "string") ||
              (isObj(vf.fieldRef) && typeof vf.fieldRef.fieldPath === "string"));
          if (!ok) out.push(problem(doc, [...at, "valueFrom"], "valueFrom needs secretKeyRef {name, key} or fieldRef {fieldPath}"));
        }
      });
  }
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) out.push(problem(doc, ["spec", "metrics"], "an analysis template needs at least one metric"));
  else {
    const names = new Set<string>();
    spec.metrics.forEach((m, i) => {
      checkMetric(doc, m, ["spec", "metrics", i], declared, out);
      if (isObj(m) && typeof m.name === "string") {
        if (names.has(m.name)) out.push(problem(doc, ["spec", "metrics", i, "name"], `metrics[${i}]: duplicate name '${m.name}'`));
        names.add(m.name);
      }
    });
  }
  for (const f of ["dryRun", "measurementRetention"]) {
    const list = spec[f];
    if (list === undefined) continue;
    if (!Array.isArray(list)) out.push(problem(doc, ["spec", f], `${f} must be a list of {metricName}`));
    else
      list.forEach((e, i) => {
        if (!isObj(e) || typeof e.metricName !== "string") out.push(problem(doc, ["spec", f, i, "metricName"], "metricName is required"));
        else if (f === "measurementRetention" && (typeof e.limit !== "number" || !Number.isInteger(e.limit) || e.limit < 0)) {
          out.push(problem(doc, ["spec", f, i, "limit"], "limit must be a whole number ≥ 0"));
        }
      });
  }
  if (out.some((p) => p.severity === "error")) return { problems: out };
  return { template: { ...(d as unknown as AnalysisTemplate), kind: kind === "ClusterAnalysisTemplate" ? "ClusterAnalysisTemplate" : "AnalysisTemplate" }, problems: out };
}
