import { evaluateExpr, expandDottedKeys } from "../expr/expr-lang.js";
import type { Artifact, Outputs, Parameter, Template } from "../model/types.js";
import { formatItemValue } from "./names.js";
import { NodeInputError } from "./scope.js";
import { flattenVars, substituteString, tagsOf, type Vars } from "./substitute.js";

function exprValueToString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return formatItemValue(v);
}

/**
 * Outputs of a steps or DAG template from its scope (getTemplateOutputsFromScope): parameters from
 * `valueFrom.parameter` or `valueFrom.expression` (with `default` as the fallback for a missing
 * value), artifacts from `from` / `fromExpression`.
 */
export function templateOutputsFromScope(t: Template, vars: Vars): Outputs | undefined {
  const decl = t.outputs;
  if (!decl || (!decl.parameters?.length && !decl.artifacts?.length)) return undefined;
  const outputs: Outputs = {};
  if (decl.parameters?.length) {
    outputs.parameters = decl.parameters.map((p): Parameter => {
      const vf = p.valueFrom;
      let value: string | undefined;
      if (vf?.parameter !== undefined) {
        const tags = tagsOf(vf.parameter);
        const missing = tags.some((k) => !k.startsWith("=") && !(k in vars));
        value = missing ? undefined : substituteString(vf.parameter, vars);
      } else if (vf?.expression !== undefined) {
        let v: unknown;
        try {
          v = evaluateExpr(vf.expression, expandDottedKeys(flattenVars(vars)));
        } catch (err) {
          if (vf.default === undefined) throw new NodeInputError(`failed to evaluate expression of outputs.parameters.${p.name}: ${(err as Error).message}`);
        }
        value = v === undefined || v === null ? undefined : exprValueToString(v);
      } else if (p.value !== undefined) value = substituteString(p.value, vars);
      if (value === undefined) value = vf?.default;
      if (value === undefined) throw new NodeInputError(`unable to resolve outputs.parameters.${p.name}: ${vf?.parameter ?? vf?.expression ?? "no value"}`);
      const out: Parameter = { name: p.name, value };
      if (p.globalName) out.globalName = p.globalName;
      return out;
    });
  }
  if (decl.artifacts?.length) {
    const arts: Artifact[] = [];
    for (const a of decl.artifacts) {
      let src: unknown;
      if (a.fromExpression) {
        try {
          src = evaluateExpr(a.fromExpression, expandDottedKeys(flattenVars(vars)));
        } catch (err) {
          throw new NodeInputError(`outputs.artifacts.${a.name}.fromExpression: ${(err as Error).message}`);
        }
      } else if (a.from) src = resolveArtifactRef(a.from, vars);
      if (!src || typeof src !== "object") {
        if (a.optional) continue;
        throw new NodeInputError(`unable to resolve outputs.artifacts.${a.name} from ${a.from ?? a.fromExpression}`);
      }
      arts.push({ ...(src as Artifact), name: a.name, globalName: a.globalName, path: undefined });
    }
    outputs.artifacts = arts;
  }
  return outputs;
}

/** `{{steps.x.outputs.artifacts.y}}` (or tasks/workflow/inputs) to the artifact object in scope. */
export function resolveArtifactRef(ref: string, vars: Vars): Artifact | undefined {
  const m = /^\s*\{\{\s*([^}]+?)\s*\}\}\s*$/.exec(ref);
  if (!m) return undefined;
  const v = vars[m[1]];
  if (v && typeof v === "object") return v as Artifact;
  if (typeof v === "string") {
    try {
      const parsed = JSON.parse(v) as unknown;
      return parsed && typeof parsed === "object" ? (parsed as Artifact) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
