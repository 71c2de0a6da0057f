import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import { TEMPLATE_TYPES, templateTypes, type Template } from "../model/types.js";
import { checkNames } from "./check-arguments.js";
import { checkDag } from "./check-dag.js";
import { checkExpression, checkTags } from "./check-expr.js";
import { checkSteps } from "./check-steps.js";
import { checkTemplateFields } from "./check-template-fields.js";
import type { DocContext } from "./context.js";
import { ARGO_TYPES } from "./schema-argo.js";
import type { OuterScope, VarScope } from "./scope.js";
import { closestMatch } from "./suggest.js";
import {
  asList,
  hasRetryStrategy,
  inputArtifacts,
  inputParams,
  isLeaf,
  isPodType,
  kindOf,
  outputArtifacts,
  outputParams,
  str,
} from "./template-info.js";

const TYPE_LIST = TEMPLATE_TYPES.join(", ");
const TEMPLATE_FIELDS = ARGO_TYPES.Template as Record<string, unknown>;

/** The variables a template's own fields can use, before any of its steps or tasks. */
export function templateScope(ctx: DocContext, t: Template, outer?: OuterScope): VarScope {
  const leaf = isLeaf(t);
  const outputParamPaths = new Map<string, boolean>();
  for (const p of outputParams(t))
    outputParamPaths.set(String(p.name), leaf && isObject(p.valueFrom) && !!p.valueFrom.path);
  const outputArtifactPaths = new Map<string, boolean>();
  for (const a of outputArtifacts(t)) outputArtifactPaths.set(String(a.name), leaf && !!a.path);
  return {
    global: ctx.global,
    templateName: str(t.name) ?? "(inline)",
    leaf,
    pod: isPodType(t),
    retry: hasRetryStrategy(t, ctx.templateDefaults),
    inputParams: new Set([...(outer?.inputParams ?? []), ...inputParams(t).map((p) => String(p.name))]),
    inputArtifacts: new Set([...(outer?.inputArtifacts ?? []), ...inputArtifacts(t).map((a) => String(a.name))]),
    outputParams: outputParamPaths,
    outputArtifacts: outputArtifactPaths,
    loop: outer?.loop,
    nodes: outer?.nodes ?? new Map(),
    visible: outer?.visible ?? new Set(),
    nodeKind: outer?.nodeKind,
    self: outer?.self,
    metrics: false,
  };
}

function checkOutputParameters(ctx: DocContext, t: Template, path: PathSeg[]): void {
  const kind = kindOf(t);
  const name = str(t.name) ?? "";
  outputParams(t).forEach((p, i) => {
    const at = [...path, "outputs", "parameters", i];
    const ref = `templates.${name}.outputs.parameters.${p.name}`;
    const vf = p.valueFrom as Record<string, unknown> | undefined;
    const hasValue = p.value !== undefined && p.value !== null;
    if (isObject(vf) && hasValue) {
      ctx.report.error(at, `${ref} has both valueFrom and value specified. Choose one.`);
      return;
    }
    if (hasValue) return;
    if (!isObject(vf)) {
      ctx.report.error(at, `${ref} does not have valueFrom or value specified`);
      return;
    }
    const sources = [
      "path",
      "jqFilter",
      "jsonPath",
      "parameter",
      "expression",
      "supplied",
      "event",
      "configMapKeyRef",
    ].filter((k) => vf[k] !== undefined && vf[k] !== null && vf[k] !== "");
    if (sources.length === 0) {
      ctx.report.error(
        [...at, "valueFrom"],
        `${ref}: valueFrom type unspecified. choose one of: path, jqFilter, jsonPath, parameter, expression, supplied`,
      );
      return;
    }
    if (sources.length > 1) {
      ctx.report.error(
        [...at, "valueFrom"],
        `${ref}: multiple valueFrom types specified (${sources.join(", ")}). choose one`,
      );
      return;
    }
    if ((kind === "container" || kind === "containerSet" || kind === "script") && !vf.path) {
      ctx.report.error([...at, "valueFrom"], `${ref}.path must be specified for ${kind} templates`);
    } else if (kind === "resource" && !vf.jqFilter && !vf.jsonPath) {
      ctx.report.error([...at, "valueFrom"], `${ref} .jqFilter or jsonPath must be specified for resource templates`);
    } else if ((kind === "steps" || kind === "dag") && !vf.parameter && !vf.expression) {
      ctx.report.error([...at, "valueFrom"], `${ref}.parameter or expression must be specified for ${kind} templates`);
    }
  });
}

/** Validates one template: its structure, its values, its variables, and its steps or tasks. */
export function checkTemplate(ctx: DocContext, t: unknown, path: PathSeg[], outer?: OuterScope): void {
  if (!isObject(t)) {
    ctx.report.error(path, "a template must be a map");
    return;
  }
  const tmpl = t as Template;
  const name = str(tmpl.name) ?? "";
  const types = templateTypes(tmpl);
  // A misspelt type key ("contianer") is reported by the field catalogue, with a did-you-mean.
  const misspeltType = Object.keys(tmpl).some((k) => !(k in TEMPLATE_FIELDS) && closestMatch(k, TEMPLATE_TYPES));
  if (types.length === 0 && !misspeltType) {
    ctx.report.error(path, `templates.${name} template type unspecified. choose one of: ${TYPE_LIST}`);
  } else if (types.length > 1) {
    ctx.report.keyError(
      [...path, types[1]],
      `templates.${name} multiple template types specified (${types.join(", ")}). choose one of: ${TYPE_LIST}`,
    );
  }
  const inputs = isObject(tmpl.inputs) ? tmpl.inputs : {};
  const outputs = isObject(tmpl.outputs) ? tmpl.outputs : {};
  checkNames(ctx.report, inputs.parameters, [...path, "inputs", "parameters"], "param", "input parameter");
  checkNames(ctx.report, inputs.artifacts, [...path, "inputs", "artifacts"], "param", "input artifact");
  checkNames(ctx.report, outputs.parameters, [...path, "outputs", "parameters"], "param", "output parameter");
  checkNames(ctx.report, outputs.artifacts, [...path, "outputs", "artifacts"], "param", "output artifact");
  checkTemplateFields(ctx, tmpl, path);
  if (types.length > 0) checkOutputParameters(ctx, tmpl, path);

  const scope = templateScope(ctx, tmpl, outer);
  const leaf = isLeaf(tmpl);
  const isMetrics = (p: PathSeg[]) => p.length === path.length + 1 && p[path.length] === "metrics";
  if (leaf || types.length === 0) {
    checkTags(ctx.report, tmpl, path, scope, isMetrics);
  } else {
    const own = new Set(["steps", "dag", "outputs", "metrics"]);
    checkTags(ctx.report, tmpl, path, scope, (p) => p.length === path.length + 1 && own.has(String(p[path.length])));
  }

  let nodes = scope.nodes;
  let nodeKind = scope.nodeKind;
  if (types[0] === "steps") {
    nodes = checkSteps(ctx, tmpl, path, scope, checkTemplate);
    nodeKind = "steps";
  } else if (types[0] === "dag") {
    nodes = checkDag(ctx, tmpl, path, scope, checkTemplate);
    nodeKind = "tasks";
  }
  // Outputs and metrics of steps/dag templates see every step or task (Argo checks them last).
  const after: VarScope = { ...scope, nodes, nodeKind, visible: new Set(nodes.keys()), self: undefined };
  checkTags(ctx.report, tmpl.metrics, [...path, "metrics"], { ...after, metrics: true });
  if (!leaf && types.length > 0) {
    checkTags(ctx.report, tmpl.outputs, [...path, "outputs"], after);
    outputParams(tmpl).forEach((p, i) => {
      const expr = isObject(p.valueFrom) ? p.valueFrom.expression : undefined;
      if (typeof expr === "string" && expr.trim() !== "") {
        checkExpression(ctx.report, [...path, "outputs", "parameters", i, "valueFrom", "expression"], expr, after);
      }
    });
    asList(outputs.artifacts).forEach((a, i) => {
      if (isObject(a) && typeof a.fromExpression === "string") {
        checkExpression(ctx.report, [...path, "outputs", "artifacts", i, "fromExpression"], a.fromExpression, after);
      }
    });
  }
}
