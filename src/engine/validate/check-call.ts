import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Arguments } from "../model/types.js";
import { checkArguments } from "./check-arguments.js";
import { checkExpression, checkTags, checkWhen } from "./check-expr.js";
import { checkSupplied, resolveCall, resolveTemplateName, type CallResolution, type DocContext } from "./context.js";
import type { OuterScope, VarScope } from "./scope.js";
import { asList } from "./template-info.js";
import { hasTag } from "./values.js";

/** The template checker, passed in to validate inline templates without an import cycle. */
export type TemplateChecker = (ctx: DocContext, t: unknown, path: PathSeg[], outer?: OuterScope) => void;

const LOOP_KEYS = ["withItems", "withParam", "withSequence"] as const;

/** Argo's addItemsToScope: at most one loop, and what `{{item...}}` may name inside it. */
export function checkLoop(ctx: DocContext, call: Record<string, unknown>, path: PathSeg[]): VarScope["loop"] {
  const present = LOOP_KEYS.filter((k) => call[k] !== undefined && call[k] !== null && call[k] !== "");
  if (present.length > 1) {
    ctx.report.keyError([...path, present[1]], "only one of withItems, withParam, withSequence can be specified");
  }
  if (present.length === 0) return undefined;
  const seq = call.withSequence;
  if (isObject(seq)) {
    if (seq.count !== undefined && seq.count !== null && seq.end !== undefined && seq.end !== null) {
      ctx.report.keyError([...path, "withSequence", "end"], "only one of count or end can be defined in withSequence");
    }
    for (const k of ["count", "start", "end"]) {
      const v = seq[k];
      if (typeof v === "string" && !hasTag(v) && !/^-?\d+$/.test(v)) {
        ctx.report.error(
          [...path, "withSequence", k],
          `withSequence.${k} must be an integer or a {{variable}}, got "${v}"`,
        );
      }
    }
  }
  const param = call.withParam;
  if (typeof param === "string" && param !== "" && !hasTag(param)) {
    let ok = false;
    try {
      ok = Array.isArray(JSON.parse(param));
    } catch {
      ok = false;
    }
    if (!ok) ctx.report.error([...path, "withParam"], `withParam value could not be parsed as a JSON list: ${param}`);
  }
  const keys = new Set<string>();
  for (const item of asList(call.withItems)) {
    if (isObject(item)) for (const k of Object.keys(item)) keys.add(k);
  }
  const anyKey = present.includes("withParam");
  return { anyKey, keys, sequence: present.length === 1 && present[0] === "withSequence" };
}

/** Lifecycle hooks of a step, a task or the workflow. */
export function checkHooks(ctx: DocContext, hooks: unknown, path: PathSeg[], owner: string): void {
  if (!isObject(hooks)) return;
  for (const [name, hook] of Object.entries(hooks)) {
    if (!isObject(hook)) continue;
    const at = [...path, name];
    if (name !== "exit" && !hook.expression)
      ctx.report.error(at, `${owner} hook "${name}": Expression required (only the "exit" hook runs without one)`);
    if (typeof hook.expression === "string" && hook.expression.trim() !== "") {
      checkExpression(ctx.report, [...at, "expression"], hook.expression, undefined, "hook expression");
    }
    const what = `hook "${name}" of ${owner}`;
    const called = resolveCall(ctx, hook, at, what);
    checkArguments(ctx.report, hook.arguments, [...at, "arguments"], false);
    checkSupplied(ctx, called, hook.arguments as Arguments, hook.arguments ? [...at, "arguments"] : at, what);
  }
}

/** What steps and tasks have in common: the call, its arguments, hooks, loop and when. */
export function checkCallSite(
  ctx: DocContext,
  call: Record<string, unknown>,
  path: PathSeg[],
  what: string,
  called: CallResolution,
): VarScope["loop"] {
  const loop = checkLoop(ctx, call, path);
  checkArguments(ctx.report, call.arguments, [...path, "arguments"], false);
  checkSupplied(ctx, called, call.arguments as Arguments, call.arguments ? [...path, "arguments"] : path, what);
  checkHooks(ctx, call.hooks, [...path, "hooks"], what);
  if (typeof call.onExit === "string" && call.onExit !== "") resolveTemplateName(ctx, call.onExit, [...path, "onExit"]);
  if (typeof call.when === "string" && call.when.trim() !== "") checkWhen(ctx.report, [...path, "when"], call.when);
  return loop;
}

/**
 * The tags of a step or task. Its hooks run once it is done, so they also see `hookVisible`: the
 * node itself (Argo: exit hooks read the hooked node's outputs) and, for steps, its group. The
 * inline template is checked as a template by the caller.
 */
export function checkCallTags(
  ctx: DocContext,
  call: Record<string, unknown>,
  path: PathSeg[],
  scope: VarScope,
  hookVisible: Set<string>,
): void {
  const at = path.length;
  checkTags(ctx.report, call, path, scope, (p) => p.length === at + 1 && (p[at] === "inline" || p[at] === "hooks"));
  checkTags(ctx.report, call.hooks, [...path, "hooks"], { ...scope, visible: hookVisible });
}
