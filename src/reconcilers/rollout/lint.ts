/**
 * Rollouts and analysis templates among a repo's documents, checked one by one and against each other
 * (templates a Rollout names, arguments they need, metric names that collide when templates are
 * combined), and a Rollout's `workloadRef` resolved against the workload it points to.
 */
import { ConfigError, type ConfigProblem } from "../../core/errors.js";
import type { LoadedDoc, PathSeg } from "../../engine/model/load.js";
import { readAnalysisTemplate } from "./model-analysis.js";
import { isObj, problem, readRollout } from "./model.js";
import type { AnalysisTemplate, KubeObject, LabelSelector, PodTemplateSpec, Rollout, RolloutAnalysis } from "./types.js";

export interface LoadedRollout {
  rollout: Rollout;
  doc: LoadedDoc;
}

export interface LoadedAnalysisTemplate {
  template: AnalysisTemplate;
  doc: LoadedDoc;
}

export interface RolloutDocuments {
  rollouts: LoadedRollout[];
  /** Namespaced AnalysisTemplates. */
  templates: LoadedAnalysisTemplate[];
  clusterTemplates: LoadedAnalysisTemplate[];
}

const ROLLOUT_KINDS = new Set(["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"]);

/** Every RolloutAnalysis of a Rollout, with its path in the document. */
export function analysesOf(ro: Rollout): Array<{ analysis: RolloutAnalysis; path: PathSeg[] }> {
  const out: Array<{ analysis: RolloutAnalysis; path: PathSeg[] }> = [];
  const canary = ro.spec.strategy.canary;
  const bg = ro.spec.strategy.blueGreen;
  canary?.steps?.forEach((s, i) => s.analysis && out.push({ analysis: s.analysis, path: ["spec", "strategy", "canary", "steps", i, "analysis"] }));
  if (canary?.analysis) out.push({ analysis: canary.analysis, path: ["spec", "strategy", "canary", "analysis"] });
  if (bg?.prePromotionAnalysis) out.push({ analysis: bg.prePromotionAnalysis, path: ["spec", "strategy", "blueGreen", "prePromotionAnalysis"] });
  if (bg?.postPromotionAnalysis) out.push({ analysis: bg.postPromotionAnalysis, path: ["spec", "strategy", "blueGreen", "postPromotionAnalysis"] });
  return out;
}

function checkReferences(lr: LoadedRollout, docs: RolloutDocuments, out: ConfigProblem[]): void {
  const ns = lr.rollout.metadata.namespace;
  for (const { analysis, path } of analysesOf(lr.rollout)) {
    const found: AnalysisTemplate[] = [];
    let missing = false;
    (analysis.templates ?? []).forEach((ref, i) => {
      const pool = ref.clusterScope ? docs.clusterTemplates : docs.templates.filter((t) => !ns || !t.template.metadata.namespace || t.template.metadata.namespace === ns);
      const t = pool.find((x) => x.template.metadata.name === ref.templateName);
      if (t) found.push(t.template);
      else {
        missing = true;
        const kind = ref.clusterScope ? "ClusterAnalysisTemplate" : "AnalysisTemplate";
        out.push(problem(lr.doc, [...path, "templates", i, "templateName"], `${kind} "${ref.templateName}" is not among the repo's documents; it must exist in the cluster`, "warning"));
      }
    });
    if (missing) continue;
    const metricNames = new Map<string, string>();
    const templateArgs = new Map<string, { value?: string; resolved: boolean }>();
    for (const t of found) {
      for (const m of t.spec.metrics) {
        const prev = metricNames.get(m.name);
        if (prev !== undefined) out.push(problem(lr.doc, path, `two metrics have the same name '${m.name}' (templates ${prev} and ${t.metadata.name})`));
        metricNames.set(m.name, t.metadata.name);
      }
      for (const a of t.spec.args ?? []) {
        const prev = templateArgs.get(a.name);
        if (prev?.value !== undefined && a.value !== undefined && prev.value !== a.value) {
          out.push(problem(lr.doc, path, `Argument \`${a.name}\` specified multiple times with different values: '${prev.value}', '${a.value}'`));
        }
        if (!prev || !prev.resolved) templateArgs.set(a.name, { value: a.value, resolved: a.value !== undefined || a.valueFrom !== undefined });
      }
    }
    const given = new Set((analysis.args ?? []).map((a) => a.name));
    for (const [name, a] of templateArgs) {
      if (!a.resolved && !given.has(name)) out.push(problem(lr.doc, path, `args.${name} was not resolved: the template needs it and the Rollout gives no value`));
    }
    (analysis.args ?? []).forEach((a, i) => {
      if (!templateArgs.has(a.name)) out.push(problem(lr.doc, [...path, "args", i, "name"], `argument "${a.name}" is not declared by the templates and is ignored`, "warning"));
    });
  }
}

/** Reads the Rollout, AnalysisTemplate and ClusterAnalysisTemplate documents and every problem found; never throws. */
export function lintRolloutDocuments(all: readonly LoadedDoc[]): { documents: RolloutDocuments; problems: ConfigProblem[] } {
  const documents: RolloutDocuments = { rollouts: [], templates: [], clusterTemplates: [] };
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, LoadedDoc>();
  for (const doc of all) {
    const d = doc.data;
    if (!isObj(d) || typeof d.apiVersion !== "string" || !d.apiVersion.startsWith("argoproj.io/") || !ROLLOUT_KINDS.has(String(d.kind))) continue;
    const meta = isObj(d.metadata) ? d.metadata : {};
    const key = `${String(d.kind)}/${String(meta.namespace ?? "")}/${String(meta.name ?? "")}`;
    const prev = seen.get(key);
    if (prev && meta.name) problems.push(problem(doc, ["metadata", "name"], `${String(d.kind)} "${String(meta.name)}" is defined twice (also ${prev.file})`));
    seen.set(key, doc);
    if (d.kind === "Rollout") {
      const r = readRollout(doc);
      problems.push(...r.problems);
      if (r.rollout) documents.rollouts.push({ rollout: r.rollout, doc });
    } else {
      const r = readAnalysisTemplate(doc);
      problems.push(...r.problems);
      if (r.template) (r.template.kind === "ClusterAnalysisTemplate" ? documents.clusterTemplates : documents.templates).push({ template: r.template, doc });
    }
  }
  for (const lr of documents.rollouts) checkReferences(lr, documents, problems);
  return { documents, problems };
}

/** The documents, or one ConfigError listing every error; warnings come back. */
export function loadRollouts(all: readonly LoadedDoc[]): RolloutDocuments & { warnings: ConfigProblem[] } {
  const { documents, problems } = lintRolloutDocuments(all);
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) throw new ConfigError(`${errors.length} problem${errors.length === 1 ? "" : "s"} in Rollout documents`, problems);
  return { ...documents, warnings: problems };
}

/**
 * The template-ref resolver (`rollout/templateref.go`): a Rollout with a workloadRef takes its pod
 * template from the Deployment or ReplicaSet (`spec.template`) or PodTemplate (`template`), and its
 * selector from the workload when it has none. Throws on a workload of the wrong kind or name.
 */
export function resolveWorkloadRef(ro: Rollout, workload: KubeObject): Rollout {
  const ref = ro.spec.workloadRef;
  if (!ref) return ro;
  if (workload.kind !== ref.kind || workload.metadata.name !== ref.name) {
    throw new Error(`workloadRef names ${ref.kind} ${ref.name}, got ${workload.kind} ${workload.metadata.name ?? ""}`);
  }
  const spec = (workload.spec ?? {}) as Record<string, unknown>;
  const template = (ref.kind === "PodTemplate" ? workload.template : spec.template) as PodTemplateSpec | undefined;
  if (!isObj(template)) throw new Error(`workload of type ${ref.kind} ${ref.name} has no pod template`);
  const selector = ro.spec.selector ?? (ref.kind === "PodTemplate" ? undefined : (spec.selector as LabelSelector | undefined));
  return { ...ro, spec: { ...ro.spec, template: structuredClone(template), selector } };
}
