import { isObject, workflowSpecOf, type Catalog, type CatalogEntry } from "../model/catalog.js";
import type { WorkflowSpec } from "../model/types.js";
import { emptyGlobalScope, type GlobalScope } from "./scope.js";
import { asList } from "./template-info.js";

function addOutputs(outputs: unknown, g: GlobalScope): void {
  if (!isObject(outputs)) return;
  for (const p of asList(outputs.parameters)) {
    if (!isObject(p) || typeof p.globalName !== "string") continue;
    if (p.globalName.includes("{{")) g.anyOutputParameter = true;
    else g.outputParameters.add(p.globalName);
  }
  for (const a of asList(outputs.artifacts)) {
    if (!isObject(a) || typeof a.globalName !== "string") continue;
    if (a.globalName.includes("{{")) g.anyOutputArtifact = true;
    else g.outputArtifacts.add(a.globalName);
  }
}

/** Walks a spec for `outputs` (their globalNames) and `templateRef`s (the WorkflowTemplates it uses). */
function walk(value: unknown, g: GlobalScope, refs: Array<{ name: string; clusterScope: boolean }>): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, g, refs);
    return;
  }
  if (!isObject(value)) return;
  if (isObject(value.outputs)) addOutputs(value.outputs, g);
  const ref = value.templateRef;
  if (isObject(ref) && typeof ref.name === "string")
    refs.push({ name: ref.name, clusterScope: ref.clusterScope === true });
  for (const v of Object.values(value)) if (typeof v === "object" && v !== null) walk(v, g, refs);
}

function keysOf(v: unknown): string[] {
  return isObject(v) ? Object.keys(v) : [];
}

/**
 * The `workflow.*` variables of a document, as Argo's ValidateWorkflow fills `globalParams`:
 * arguments (merged with a referenced WorkflowTemplate's), labels and annotations from metadata and
 * workflowMetadata, priority, and every globalName of the templates it can run.
 */
export function buildGlobalScope(
  entry: CatalogEntry,
  spec: WorkflowSpec,
  refEntry: CatalogEntry | undefined,
  catalog: Catalog,
): GlobalScope {
  const g = emptyGlobalScope();
  const m = entry.manifest;
  g.anyParameter = entry.kind === "WorkflowTemplate" || entry.kind === "ClusterWorkflowTemplate";
  const specs: WorkflowSpec[] = [spec];
  if (refEntry) specs.push(workflowSpecOf(refEntry.manifest));
  for (const s of specs) {
    if (!isObject(s)) continue;
    for (const p of asList(isObject(s.arguments) ? s.arguments.parameters : undefined)) {
      if (isObject(p) && typeof p.name === "string") g.parameters.add(p.name);
    }
    const wm = s.workflowMetadata as Record<string, unknown> | undefined;
    if (isObject(wm)) {
      for (const k of [...keysOf(wm.labels), ...keysOf(wm.labelsFrom)]) g.labels.add(k);
      for (const k of keysOf(wm.annotations)) g.annotations.add(k);
    }
    if (s.priority !== undefined && s.priority !== null) g.priority = true;
  }
  if (isObject(m.metadata)) {
    for (const k of keysOf(m.metadata.labels)) g.labels.add(k);
    for (const k of keysOf(m.metadata.annotations)) g.annotations.add(k);
  }
  if (entry.kind === "CronWorkflow" && isObject(m.spec)) {
    const wm = (m.spec as Record<string, unknown>).workflowMetadata;
    if (isObject(wm)) {
      for (const k of keysOf(wm.labels)) g.labels.add(k);
      for (const k of keysOf(wm.annotations)) g.annotations.add(k);
    }
    g.labels.add("workflows.argoproj.io/cron-workflow");
    g.annotations.add("workflows.argoproj.io/scheduled-time");
  }
  const refs: Array<{ name: string; clusterScope: boolean }> = [];
  walk(spec, g, refs);
  if (refEntry) walk(workflowSpecOf(refEntry.manifest), g, refs);
  const done = new Set<string>();
  for (let i = 0; i < refs.length; i++) {
    const key = `${refs[i].clusterScope}/${refs[i].name}`;
    if (done.has(key)) continue;
    done.add(key);
    const wt = catalog.workflowTemplate(refs[i].name, refs[i].clusterScope);
    if (wt) walk(workflowSpecOf(wt.manifest), g, refs);
  }
  return g;
}
