import type { Catalog, TemplateScope } from "./catalog.js";
import { templateMap } from "./catalog.js";
import { templateType, type LifecycleHook, type Template, type TemplateCall, type TemplateType, type WorkflowManifest, type WorkflowSpec } from "./types.js";

export interface ReachedTemplate {
  template: Template;
  type: TemplateType | undefined;
  /** `name` or `WorkflowTemplate/name`, for messages. */
  label: string;
}

/**
 * Every template a prepared workflow can reach from its entrypoint, exit handler and hooks,
 * following `template`, `templateRef` and `inline` through steps, tasks and their hooks. Names that
 * do not resolve are left to validation.
 */
export function reachableTemplates(wf: WorkflowManifest, catalog: Catalog): ReachedTemplate[] {
  const spec = wf.spec as WorkflowSpec;
  const root: TemplateScope = { kind: "Workflow", name: wf.metadata.name ?? "", templates: templateMap(spec) };
  const seen = new Set<Template>();
  const out: ReachedTemplate[] = [];
  const queue: Array<{ call: Pick<TemplateCall, "template" | "templateRef" | "inline">; scope: TemplateScope }> = [];
  const push = (call: Pick<TemplateCall, "template" | "templateRef" | "inline"> | undefined, scope: TemplateScope) => {
    if (call && (call.template || call.templateRef || call.inline)) queue.push({ call, scope });
  };
  const pushHooks = (hooks: Record<string, LifecycleHook> | undefined, scope: TemplateScope) => {
    for (const h of Object.values(hooks ?? {})) push(h, scope);
  };
  push({ template: spec.entrypoint }, root);
  push({ template: spec.onExit }, root);
  pushHooks(spec.hooks, root);
  while (queue.length > 0) {
    const { call, scope } = queue.shift()!;
    let resolved;
    try {
      resolved = catalog.resolveCall(call, scope);
    } catch {
      continue;
    }
    const t = resolved.template;
    if (seen.has(t)) continue;
    seen.add(t);
    const label = resolved.scope.kind === "Workflow" ? (resolved.templateName ?? "inline") : `${resolved.scope.kind} ${resolved.scope.name}/${resolved.templateName}`;
    out.push({ template: t, type: templateType(t), label });
    const calls: TemplateCall[] = [...(t.steps ?? []).flat(), ...(t.dag?.tasks ?? [])];
    for (const c of calls) {
      if (!c) continue;
      push(c, resolved.scope);
      pushHooks(c.hooks, resolved.scope);
      push({ template: c.onExit }, resolved.scope);
    }
  }
  return out;
}

/** What a local run cannot execute, by template type, and what it would need. */
export const NEEDS: Partial<Record<TemplateType, string>> = {
  resource: "a Kubernetes cluster (resource templates create, patch or delete cluster objects): run it with `--executor kubernetes --cluster simulated` or `--kubeconfig FILE`",
  plugin: "executor plugins, which a local run does not have",
  data: "an artifact repository with a bucket to list, which a local run does not have",
};

/** What a run has besides local processes. */
export interface RunCapabilities {
  /** A Kubernetes cluster (`--executor kubernetes`): resource templates can run. */
  cluster?: boolean;
}

/** What a run with these capabilities lacks to execute a template of this type, or undefined. */
export function missingFor(type: TemplateType, caps: RunCapabilities = {}): string | undefined {
  if (type === "resource" && caps.cluster) return undefined;
  return NEEDS[type];
}
