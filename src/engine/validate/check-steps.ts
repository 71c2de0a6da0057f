import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Template } from "../model/types.js";
import { checkCallSite, checkCallTags, type TemplateChecker } from "./check-call.js";
import { resolveCall, type CallResolution, type DocContext } from "./context.js";
import type { NodeRef, VarScope } from "./scope.js";
import { asList, str } from "./template-info.js";
import { checkWorkflowFieldName } from "./values.js";

interface StepAt {
  step: Record<string, unknown>;
  path: PathSeg[];
  group: number;
  name: string;
  called: CallResolution;
}

function isLoop(call: Record<string, unknown>): boolean {
  return asList(call.withItems).length > 0 || (typeof call.withParam === "string" && call.withParam !== "");
}

/**
 * Argo's validateSteps: step names unique across all groups; a step sees the outputs of the
 * steps of earlier groups (and its hooks, those of its own group).
 */
export function checkSteps(
  ctx: DocContext,
  t: Template,
  path: PathSeg[],
  scope: VarScope,
  checkTemplate: TemplateChecker,
): Map<string, NodeRef> {
  const tname = str(t.name) ?? "";
  const groups = t.steps as unknown;
  const nodes = new Map<string, NodeRef>();
  const steps: StepAt[] = [];
  if (!Array.isArray(groups)) return nodes;
  groups.forEach((group, i) => {
    if (!Array.isArray(group)) {
      ctx.report.error([...path, "steps", i], `templates.${tname}.steps[${i}] must be a list of steps (a step group)`);
      return;
    }
    group.forEach((step, j) => {
      const at = [...path, "steps", i, j];
      if (!isObject(step)) {
        ctx.report.error(at, "a step must be a map");
        return;
      }
      const name = step.name;
      if (typeof name !== "string" || name === "") {
        ctx.report.error(at, `templates.${tname}.steps[${i}].name is required`);
        return;
      }
      if (nodes.has(name)) {
        ctx.report.error([...at, "name"], `templates.${tname}.steps[${i}].name '${name}' is not unique`);
        return;
      }
      const err = checkWorkflowFieldName(name);
      if (err) ctx.report.error([...at, "name"], `templates.${tname}.steps[${i}].name '${name}' is invalid: ${err}`);
      const called = resolveCall(ctx, step, at, `step "${name}"`);
      nodes.set(name, { template: called.template, templateName: called.name, aggregate: isLoop(step) });
      steps.push({ step, path: at, group: i, name, called });
    });
  });

  const groupNames = new Map<number, string[]>();
  for (const s of steps) groupNames.set(s.group, [...(groupNames.get(s.group) ?? []), s.name]);
  const visible = new Set<string>();
  let group = 0;
  let pending: string[] = [];
  for (const s of steps) {
    if (s.group !== group) {
      for (const n of pending) visible.add(n);
      pending = [];
      group = s.group;
    }
    pending.push(s.name);
    const loop = checkCallSite(ctx, s.step, s.path, `step "${s.name}"`, s.called);
    const sees = new Set(visible);
    const stepScope: VarScope = { ...scope, nodes, visible: sees, loop, nodeKind: "steps", self: s.name };
    checkCallTags(ctx, s.step, s.path, stepScope, new Set([...visible, ...(groupNames.get(s.group) ?? [])]));
    if (isObject(s.step.inline)) {
      checkTemplate(ctx, s.step.inline, [...s.path, "inline"], {
        loop,
        nodes,
        visible: sees,
        nodeKind: "steps",
        self: s.name,
        inputParams: scope.inputParams,
        inputArtifacts: scope.inputArtifacts,
      });
    }
  }
  return nodes;
}
