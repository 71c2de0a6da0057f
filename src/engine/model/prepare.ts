import { ConfigError } from "../../core/errors.js";
import { isObject, workflowSpecOf, type Catalog, type CatalogEntry } from "./catalog.js";
import type { Arguments, Parameter, Template, WorkflowManifest, WorkflowSpec } from "./types.js";

export interface PrepareOptions {
  /** `-p name=value` overrides of workflow arguments. */
  parameters?: Record<string, string>;
  entrypoint?: string;
  parallelism?: number;
}

/** Merges parameter lists by name, the first list winning (Argo: workflow args over template args). */
function mergeParams(over: Parameter[] = [], under: Parameter[] = []): Parameter[] {
  const out = under.map((p) => ({ ...p }));
  for (const p of over) {
    const i = out.findIndex((q) => q.name === p.name);
    if (i >= 0) out[i] = { ...out[i], ...p };
    else out.push({ ...p });
  }
  return out;
}

function mergeArguments(over: Arguments | undefined, under: Arguments | undefined): Arguments | undefined {
  if (!over && !under) return undefined;
  const artifacts = [...(under?.artifacts ?? [])];
  for (const a of over?.artifacts ?? []) {
    const i = artifacts.findIndex((b) => b.name === a.name);
    if (i >= 0) artifacts[i] = { ...artifacts[i], ...a };
    else artifacts.push(a);
  }
  return { parameters: mergeParams(over?.parameters, under?.parameters), artifacts };
}

/** Deep merge of plain objects, `over` winning; arrays are replaced (Argo's strategic merge of WorkflowSpec). */
function mergeObjects(over: Record<string, unknown>, under: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) {
    const u = out[k];
    out[k] = isObject(v) && isObject(u) ? mergeObjects(v, u) : v;
  }
  return out;
}

/** Argo's JoinWorkflowSpec: the workflow's spec over the referenced template's spec. */
export function joinWorkflowSpec(wf: WorkflowSpec, tmpl: WorkflowSpec): WorkflowSpec {
  const { arguments: wfArgs, workflowTemplateRef: _ref, ...rest } = wf;
  const { arguments: tArgs, ...tRest } = tmpl;
  const merged = mergeObjects(rest, tRest) as WorkflowSpec;
  const args = mergeArguments(wfArgs, tArgs);
  if (args) merged.arguments = args;
  return merged;
}

/** Merges `templateDefaults` under a template, as Argo's mergedTemplateDefaultsInto does. */
export function withTemplateDefaults(t: Template, defaults: Template | undefined): Template {
  if (!defaults) return t;
  return mergeObjects(t as Record<string, unknown>, defaults as Record<string, unknown>) as Template;
}

/**
 * Builds the Workflow to run from a Workflow, a CronWorkflow (its workflowSpec, once) or a
 * WorkflowTemplate (as `argo submit --from workflowtemplate/x`), resolving `workflowTemplateRef`.
 */
export function prepareWorkflow(entry: CatalogEntry, catalog: Catalog, opts: PrepareOptions = {}): WorkflowManifest {
  const m = entry.manifest;
  let spec: WorkflowSpec = structuredClone(workflowSpecOf(m));
  let metadata = structuredClone(m.metadata);
  if (m.kind === "CronWorkflow") {
    const cron = m.spec as { workflowMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
    metadata = {
      generateName: `${m.metadata.name ?? "cron"}-`,
      labels: { ...(cron.workflowMetadata?.labels ?? {}) },
      annotations: { ...(cron.workflowMetadata?.annotations ?? {}) },
    };
  } else if (m.kind !== "Workflow") {
    spec = { workflowTemplateRef: { name: entry.name, clusterScope: m.kind === "ClusterWorkflowTemplate" } };
    metadata = { generateName: `${entry.name}-` };
  }
  if (spec.workflowTemplateRef) {
    const ref = spec.workflowTemplateRef;
    if (spec.templates && spec.templates.length > 0) {
      throw new ConfigError("spec.templates is not allowed alongside spec.workflowTemplateRef");
    }
    const target = catalog.workflowTemplate(ref.name, ref.clusterScope);
    if (!target) {
      const kind = ref.clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
      throw new ConfigError(`${kind} "${ref.name}" not found (spec.workflowTemplateRef); pass its file or --templates DIR`);
    }
    spec = joinWorkflowSpec(spec, structuredClone(workflowSpecOf(target.manifest)));
  }
  if (opts.entrypoint) spec.entrypoint = opts.entrypoint;
  if (opts.parallelism !== undefined) spec.parallelism = opts.parallelism;
  if (opts.parameters && Object.keys(opts.parameters).length > 0) {
    const params = spec.arguments?.parameters ?? [];
    for (const [name, value] of Object.entries(opts.parameters)) {
      const p = params.find((q) => q.name === name);
      if (!p) {
        throw new ConfigError(
          `parameter "${name}" is not declared in spec.arguments.parameters` +
            (params.length ? ` (declared: ${params.map((q) => q.name).join(", ")})` : ""),
        );
      }
      p.value = value;
      delete p.valueFrom;
    }
    spec.arguments = { ...(spec.arguments ?? {}), parameters: params };
  }
  if (!spec.entrypoint) throw new ConfigError("spec.entrypoint is required (or --entrypoint NAME)");
  return { apiVersion: m.apiVersion, kind: "Workflow", metadata, spec };
}
