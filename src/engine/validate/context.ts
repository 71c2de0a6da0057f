import { isObject, type Catalog, type TemplateScope } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Arguments, Template, TemplateRef, WorkflowKind } from "../model/types.js";
import type { DocReport } from "./report.js";
import type { GlobalScope } from "./scope.js";
import { didYouMean } from "./suggest.js";
import { asList, hasLocation, inputArtifacts, inputParams, str } from "./template-info.js";
import { hasTag } from "./values.js";

/** What the rules of one workflow-kind document share. */
export interface DocContext {
  report: DocReport;
  catalog: Catalog;
  kind: WorkflowKind;
  /** `["spec"]`, or `["spec", "workflowSpec"]` for a CronWorkflow. */
  specPath: PathSeg[];
  spec: Record<string, unknown>;
  /** Where `template:` names of this document resolve. */
  scope: TemplateScope;
  global: GlobalScope;
  templateDefaults?: Template;
}

export interface CallResolution {
  template?: Template;
  /** For messages: `print`, or `wftmpl/print` for a templateRef. */
  name: string;
  /** The scope the resolved template's own references live in. */
  scope?: TemplateScope;
}

function refKind(clusterScope: boolean): string {
  return clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
}

/** Names of the (Cluster)WorkflowTemplates the catalog holds, for did-you-mean. */
function templateNames(catalog: Catalog, clusterScope: boolean): string[] {
  const kind = refKind(clusterScope);
  return catalog.entries.filter((e) => e.kind === kind).map((e) => e.name);
}

/** Resolves a `templateRef`, reporting a missing WorkflowTemplate or template at its field. */
export function resolveTemplateRef(ctx: DocContext, ref: TemplateRef, path: PathSeg[]): CallResolution {
  const name = str(ref.name) ?? "";
  const template = str(ref.template) ?? "";
  const clusterScope = ref.clusterScope === true;
  const label = `${name}/${template}`;
  if (!name) {
    ctx.report.error([...path, "name"], "templateRef.name is required");
    return { name: label };
  }
  if (!template) {
    ctx.report.error([...path, "template"], "templateRef.template is required");
    return { name: label };
  }
  if (hasTag(name) || hasTag(template)) return { name: label };
  const scope = ctx.catalog.scopeOf(name, clusterScope);
  if (!scope) {
    const other = ctx.catalog.scopeOf(name, !clusterScope)
      ? ` (a ${refKind(!clusterScope)} of that name exists: set clusterScope: ${!clusterScope})`
      : didYouMean(name, templateNames(ctx.catalog, clusterScope));
    ctx.report.error(
      [...path, "name"],
      `${refKind(clusterScope)} "${name}" not found (templateRef ${label}): pass its file or --templates DIR${other}`,
    );
    return { name: label };
  }
  const t = scope.templates.get(template);
  if (!t) {
    ctx.report.error(
      [...path, "template"],
      `template "${template}" not found in ${refKind(clusterScope)} "${name}"${didYouMean(template, scope.templates.keys())}`,
    );
    return { name: label };
  }
  return { template: t, name: label, scope };
}

/** Resolves a template name in a scope (Argo: "template name '%s' undefined"). */
export function resolveTemplateName(ctx: DocContext, name: string, path: PathSeg[], scope = ctx.scope): CallResolution {
  if (hasTag(name)) return { name };
  const t = scope.templates.get(name);
  if (!t) {
    const where = scope.kind === "Workflow" ? "" : ` in ${scope.kind} "${scope.name}"`;
    ctx.report.error(path, `template name '${name}' undefined${where}${didYouMean(name, scope.templates.keys())}`);
    return { name };
  }
  return { template: t, name, scope };
}

/**
 * Resolves what a step, task or hook calls. `what` names the caller in messages ("step \"a\"").
 * Inline templates are returned as they are; the caller validates them.
 */
export function resolveCall(
  ctx: DocContext,
  call: Record<string, unknown>,
  path: PathSeg[],
  what: string,
): CallResolution {
  const hasName = call.template !== undefined && call.template !== null;
  const hasRef = isObject(call.templateRef);
  const hasInline = isObject(call.inline);
  if ([hasName, hasRef, hasInline].filter(Boolean).length > 1) {
    ctx.report.error(path, `${what}: template name cannot be specified with templateRef or inline; choose one`);
    return { name: "" };
  }
  if (hasInline) return { template: call.inline as Template, name: "(inline)", scope: ctx.scope };
  if (hasRef) return resolveTemplateRef(ctx, call.templateRef as TemplateRef, [...path, "templateRef"]);
  if (hasName) {
    const name = str(call.template);
    if (name === undefined || name === "") {
      ctx.report.error([...path, "template"], `${what}: template must be a template name`);
      return { name: "" };
    }
    return resolveTemplateName(ctx, name, [...path, "template"]);
  }
  ctx.report.error(path, `${what} must name a template, a templateRef or an inline template`);
  return { name: "" };
}

/**
 * Argo's ProcessArgs: every input parameter without a value or default, and every input artifact
 * without a location that is not optional, must come from the caller's arguments.
 */
export function checkSupplied(
  ctx: DocContext,
  called: CallResolution,
  args: Arguments | undefined,
  path: PathSeg[],
  what: string,
): void {
  const t = called.template;
  if (!isObject(t)) return;
  const argParams = new Set(
    asList<{ name?: unknown }>(isObject(args) ? args.parameters : undefined)
      .filter(isObject)
      .map((p) => p.name),
  );
  const argArts = new Set(
    asList<{ name?: unknown }>(isObject(args) ? args.artifacts : undefined)
      .filter(isObject)
      .map((a) => a.name),
  );
  for (const p of inputParams(t)) {
    const given = p.value !== undefined && p.value !== null;
    const dflt = p.default !== undefined && p.default !== null;
    if (given || dflt || isObject(p.valueFrom) || argParams.has(p.name)) continue;
    ctx.report.error(
      path,
      `inputs.parameters.${p.name} was not supplied: template "${called.name}" declares it without a value or default, and ${what} passes no argument "${p.name}"`,
    );
  }
  for (const a of inputArtifacts(t)) {
    if (a.optional === true || hasLocation(a) || argArts.has(a.name) || a.from !== undefined) continue;
    ctx.report.error(
      path,
      `inputs.artifacts.${a.name} was not supplied: template "${called.name}" declares it without a location, and ${what} passes no artifact "${a.name}"`,
    );
  }
}
