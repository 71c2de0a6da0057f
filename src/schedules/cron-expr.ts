// The two expressions of a CronWorkflow, evaluated as Argo's workflow/cron/operator.go does:
// - `spec.when`: its `{{…}}` tags are substituted (expr-lang for `{{= }}`), then the text is a
//   govaluate condition (evalWhen + shouldExecute).
// - `spec.stopStrategy.expression`: an expr-lang boolean (checkStopingCondition, argoexpr.EvalBool).
// Both see the `cronworkflow.*` variables of expressionEnv. `now()` is the planner's `now`, so
// plans stay reproducible.
import { evaluateExpr, expandDottedKeys, ExprError, formatGoValue, GoDuration, goJson, parseExpr, type ExprAst } from "../engine/expr/expr-lang.js";
import { evaluateWhen } from "../engine/expr/govaluate.js";

export interface CronExprContext {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Children that ended Succeeded. */
  succeeded: number;
  /** Children that ended Failed or Error. */
  failed: number;
  /** Scheduled time of the last run started; nil in expressions before the first one. */
  lastScheduledTime?: Date;
  now: Date;
}

/** Argo's expressionEnv, keyed as Argo's template substitution sees it (`cronworkflow.name` …). */
function flatVars(ctx: CronExprContext): Record<string, unknown> {
  const labels = ctx.labels ?? {};
  const annotations = ctx.annotations ?? {};
  return {
    "cronworkflow.name": ctx.name,
    "cronworkflow.namespace": ctx.namespace ?? "",
    // Argo sets `annotations` from the labels (a slip in expressionEnv); Tiphys gives the annotations.
    "cronworkflow.labels": labels,
    "cronworkflow.annotations": annotations,
    "cronworkflow.labels.json": goJson(labels),
    "cronworkflow.annotations.json": goJson(annotations),
    "cronworkflow.failed": ctx.failed,
    "cronworkflow.succeeded": ctx.succeeded,
    "cronworkflow.lastScheduledTime": ctx.lastScheduledTime ?? null,
  };
}

// The expr-lang evaluator has no Go methods; Argo's own example calls Duration.Seconds()
// (`(now() - cronworkflow.lastScheduledTime).Seconds() > 360`). Calls of these names are rewritten
// into calls of helper functions placed in the environment.
const METHOD_PREFIX = "\u0000go.";

const durationOf = (v: unknown, method: string): GoDuration => {
  if (v instanceof GoDuration) return v;
  throw new ExprError(`type ${v instanceof Date ? "time.Time" : typeof v} has no method ${method}`);
};
const timeOf = (v: unknown, method: string): Date => {
  if (v instanceof Date) return v;
  throw new ExprError(`type ${v instanceof GoDuration ? "time.Duration" : typeof v} has no method ${method}`);
};

const GO_METHODS: Record<string, (self: unknown, ...args: unknown[]) => unknown> = {
  Seconds: (d) => durationOf(d, "Seconds").ns / 1e9,
  Minutes: (d) => durationOf(d, "Minutes").ns / 60e9,
  Hours: (d) => durationOf(d, "Hours").ns / 3600e9,
  Milliseconds: (d) => Math.trunc(durationOf(d, "Milliseconds").ns / 1e6),
  Nanoseconds: (d) => durationOf(d, "Nanoseconds").ns,
  Unix: (t) => Math.floor(timeOf(t, "Unix").getTime() / 1000),
  UnixMilli: (t) => timeOf(t, "UnixMilli").getTime(),
  Sub: (t, u) => new GoDuration((timeOf(t, "Sub").getTime() - timeOf(u, "Sub").getTime()) * 1e6),
  Before: (t, u) => timeOf(t, "Before").getTime() < timeOf(u, "Before").getTime(),
  After: (t, u) => timeOf(t, "After").getTime() > timeOf(u, "After").getTime(),
  Equal: (t, u) => timeOf(t, "Equal").getTime() === timeOf(u, "Equal").getTime(),
};

function isNode(v: unknown): v is ExprAst {
  return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string" && typeof (v as { pos?: unknown }).pos === "number";
}

function rewriteMethods(node: ExprAst): ExprAst {
  const copy: Record<string, unknown> = { ...node };
  for (const [key, value] of Object.entries(node)) {
    if (isNode(value)) copy[key] = rewriteMethods(value);
    else if (Array.isArray(value)) {
      copy[key] = value.map((item: unknown) => {
        if (isNode(item)) return rewriteMethods(item);
        const entry = item as { key?: unknown; value?: unknown };
        return isNode(entry.key) && isNode(entry.value) ? { key: rewriteMethods(entry.key), value: rewriteMethods(entry.value) } : item;
      });
    }
  }
  const out = copy as ExprAst;
  if (out.kind === "call" && out.callee.kind === "member" && out.callee.property.kind === "literal") {
    const method = out.callee.property.value;
    if (typeof method === "string" && Object.hasOwn(GO_METHODS, method)) {
      return { kind: "call", callee: { kind: "ident", name: METHOD_PREFIX + method, pos: out.callee.pos }, args: [out.callee.object, ...out.args], pos: out.pos };
    }
  }
  return out;
}

function exprEnv(ctx: CronExprContext): Record<string, unknown> {
  const env = expandDottedKeys(flatVars(ctx));
  env.now = () => ctx.now;
  for (const [name, fn] of Object.entries(GO_METHODS)) env[METHOD_PREFIX + name] = fn;
  return env;
}

function evaluate(source: string, ctx: CronExprContext): unknown {
  return evaluateExpr(rewriteMethods(parseExpr(source)), exprEnv(ctx), { disabledBuiltins: ["now"] });
}

const TAG = /\{\{(.*?)\}\}/gs;

/**
 * Argo's template pass over `when`: `{{= expr}}` is JSON-unquoted (a bare `"` is an error, use
 * single quotes), evaluated, and written as fmt's %v; `{{cronworkflow.x}}` is the variable's
 * value. Anything unresolved is an error.
 */
function substituteWhen(text: string, ctx: CronExprContext): string {
  const vars = flatVars(ctx);
  return text.replace(TAG, (_whole, body: string) => {
    if (body.startsWith("=")) {
      let source: string;
      try {
        source = JSON.parse(`"${body.slice(1)}"`) as string;
      } catch (e) {
        throw new ExprError(`failed to unmarshall JSON expression: ${(e as Error).message}`);
      }
      let result: unknown;
      try {
        result = evaluate(source, ctx);
      } catch (e) {
        throw new ExprError(`failed to evaluate expression: ${(e as Error).message}`);
      }
      if (result === null || result === undefined) throw new ExprError(`failed to evaluate expression "${body.slice(1)}"`);
      return JSON.stringify(formatGoValue(result)).slice(1, -1);
    }
    const key = body.trim();
    if (!Object.hasOwn(vars, key)) throw new ExprError(`failed to resolve {{${key}}}`);
    return formatGoValue(vars[key]);
  });
}

export type ExprVerdict = { ok: true; value: boolean } | { ok: false; error: string };

/** `spec.when`: an empty one is true. */
export function evaluateCronWhen(when: string | undefined, ctx: CronExprContext): ExprVerdict {
  if (!when) return { ok: true, value: true };
  try {
    return { ok: true, value: evaluateWhen(substituteWhen(when, ctx)) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** `spec.stopStrategy.expression`: true means stop scheduling for good. */
export function evaluateStopExpression(expression: string, ctx: CronExprContext): ExprVerdict {
  try {
    const result = evaluate(expression, ctx);
    if (typeof result !== "boolean") return { ok: false, error: `expected a boolean, got ${formatGoValue(result)}` };
    return { ok: true, value: result };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
