import { evaluateExpr, expandDottedKeys } from "../expr/expr-lang.js";
import { formatItemValue } from "./names.js";

/** Variables visible to a template: Argo's flat map keyed by full dotted names. */
export type Vars = Record<string, unknown>;

/**
 * A scope that sees everything of `parent` and adds `extra`, without copying the parent: scopes
 * nest once per step and task, and a copy each time would make long workflows quadratic.
 */
export function childVars(parent: Vars, extra?: Vars): Vars {
  const v = Object.create(parent) as Vars;
  if (extra) Object.assign(v, extra);
  return v;
}

/** All variables of a scope chain as one plain object (for expression environments). */
export function flattenVars(vars: Vars): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in vars) out[k] = vars[k];
  return out;
}

export class UnresolvedError extends Error {
  override name = "UnresolvedError";
}

export interface SubstituteOptions {
  /** Missing references with these prefixes are errors instead of being left verbatim. */
  strictPrefixes?: readonly string[];
  /**
   * Leave expressions that cannot be evaluated yet verbatim even in a strict pass: a steps or DAG
   * template's `{{=steps['x'].outputs.result}}` is resolved per step, later.
   */
  deferExpressions?: boolean;
}

const TAG = /\{\{(.*?)\}\}/gs;

function isStrict(key: string, opts: SubstituteOptions | undefined): boolean {
  return !!opts?.strictPrefixes?.some((p) => key === p || key.startsWith(p + "."));
}

function exprToString(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "null";
  return JSON.stringify(v);
}

let expandedCache: { vars: Vars; env: Record<string, unknown> } | undefined;
function exprEnv(vars: Vars): Record<string, unknown> {
  if (expandedCache?.vars !== vars) expandedCache = { vars, env: expandDottedKeys(flattenVars(vars)) };
  return expandedCache.env;
}

/** Resolves one tag body; returns undefined when it must stay verbatim. */
function resolveTag(body: string, vars: Vars, opts?: SubstituteOptions): string | undefined {
  if (body.startsWith("=")) {
    try {
      return exprToString(evaluateExpr(body.slice(1), exprEnv(vars)));
    } catch (err) {
      // Late-bound variables (item, retries, workflow.status ...) make expressions resolvable only later.
      if (opts?.strictPrefixes && !opts.deferExpressions) throw new UnresolvedError(`failed to evaluate expression "${body.slice(1).trim()}": ${(err as Error).message}`);
      return undefined;
    }
  }
  const key = body.trim();
  if (key in vars) return formatItemValue(vars[key]);
  if (isStrict(key, opts)) throw new UnresolvedError(`unable to resolve: {{${key}}}`);
  return undefined;
}

/** Substitutes `{{…}}` and `{{=…}}` tags in a string. */
export function substituteString(text: string, vars: Vars, opts?: SubstituteOptions): string {
  if (!text.includes("{{")) return text;
  return text.replace(TAG, (whole, body: string) => resolveTag(body, vars, opts) ?? whole);
}

/**
 * Substitutes tags in a whole object the way Argo does: on its JSON form, with replacement text
 * JSON-escaped so quotes and newlines in values survive.
 */
/** JSON of the objects substituted: a template is substituted once per node that runs it. */
const jsonCache = new WeakMap<object, string>();

export function substituteObject<T>(obj: T, vars: Vars, opts?: SubstituteOptions): T {
  let json: string | undefined;
  if (obj !== null && typeof obj === "object") {
    json = jsonCache.get(obj);
    if (json === undefined) {
      json = JSON.stringify(obj);
      jsonCache.set(obj, json);
    }
  } else json = JSON.stringify(obj);
  if (json === undefined || !json.includes("{{")) return obj;
  const out = json.replace(TAG, (whole, rawBody: string) => {
    let body: string;
    try {
      body = JSON.parse(`"${rawBody}"`) as string;
    } catch {
      body = rawBody;
    }
    const v = resolveTag(body, vars, opts);
    return v === undefined ? whole : JSON.stringify(v).slice(1, -1);
  });
  return JSON.parse(out) as T;
}

/** The tag bodies of a text (trimmed simple keys; expressions keep their `=`). */
export function tagsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TAG)) out.push(m[1].startsWith("=") ? m[1] : m[1].trim());
  return out;
}
