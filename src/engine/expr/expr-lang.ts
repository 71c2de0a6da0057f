// expr-lang (github.com/expr-lang/expr) as Argo Workflows uses it: `{{= … }}` tags,
// valueFrom.expression, retryStrategy.expression and lifecycle hook expressions.
import { ARGO_FUNCTIONS } from "./expr-lang/argo-env.js";
import type { ExprAst } from "./expr-lang/ast.js";
import { isBuiltinName } from "./expr-lang/builtins.js";
import { ExprError } from "./expr-lang/errors.js";
import { evaluate } from "./expr-lang/eval.js";
import { parse } from "./expr-lang/parser.js";
import { hasKey } from "./expr-lang/values.js";

export type { ExprAst } from "./expr-lang/ast.js";
export { ExprError } from "./expr-lang/errors.js";
export { expandDottedKeys } from "./expr-lang/argo-env.js";
export { GoDuration } from "./expr-lang/go-time.js";
/** fmt.Sprintf("%v", v) and json.Marshal, for rendering results the way Argo does. */
export { formatGoValue, goJson } from "./expr-lang/values.js";

export interface EvaluateOptions {
  /** Builtins to hide, like Argo's `expr.DisableBuiltin("string")` for `{{= }}` tags. */
  disabledBuiltins?: readonly string[];
}

/** Parses without evaluating; throws ExprError on a syntax error. */
export function parseExpr(source: string): ExprAst {
  try {
    return parse(source, isBuiltinName);
  } catch (e) {
    if (e instanceof ExprError) throw e;
    throw new ExprError(e instanceof RangeError ? "expression is nested too deeply" : String(e));
  }
}

const CACHE_LIMIT = 1000;
const cache = new Map<string, ExprAst>();

function cachedParse(source: string): ExprAst {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  const ast = parseExpr(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, ast);
  return ast;
}

/**
 * Evaluates an expression against `env` (nested objects: expand Argo's dotted names with
 * expandDottedKeys first). Argo's asInt, asFloat, jsonpath, toJson and sprig are always available.
 * Unknown top-level names, nil dereferences and type mismatches throw ExprError; a missing map key is nil.
 */
export function evaluateExpr(source: string | ExprAst, env: Record<string, unknown>, options: EvaluateOptions = {}): unknown {
  const ast = typeof source === "string" ? cachedParse(source) : source;
  const disabled = options.disabledBuiltins?.length ? new Set(options.disabledBuiltins) : undefined;
  try {
    return evaluate(ast, { env, globals: ARGO_FUNCTIONS, disabledBuiltins: disabled }) ?? null;
  } catch (e) {
    if (e instanceof ExprError) throw e;
    throw new ExprError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * The variable paths an expression reads from its env, in order of appearance, e.g.
 * `steps["flip-coin"].outputs.result` gives ["steps", "flip-coin", "outputs", "result"]. A path
 * stops before a computed or numeric index. Let-bound names, `#` pointers and Argo's functions are
 * not env variables and are left out.
 */
export function exprIdentifiers(ast: ExprAst): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  const add = (path: string[]): void => {
    const key = path.join("\u0000");
    if (path.length > 0 && !seen.has(key)) {
      seen.add(key);
      out.push(path);
    }
  };
  const ref = (node: ExprAst, bound: ReadonlySet<string>): string[] | undefined => {
    if (node.kind === "chain") return ref(node.node, bound);
    if (node.kind === "ident") {
      if (bound.has(node.name) || hasKey(ARGO_FUNCTIONS, node.name)) return undefined;
      return node.name === "$env" ? [] : [node.name];
    }
    if (node.kind === "member") {
      const base = ref(node.object, bound);
      const prop = node.property;
      if (prop.kind === "literal" && typeof prop.value === "string") return base ? [...base, prop.value] : undefined;
      if (base) add(base);
      visit(prop, bound);
      return undefined;
    }
    visit(node, bound);
    return undefined;
  };
  const visit = (node: ExprAst, bound: ReadonlySet<string>): void => {
    switch (node.kind) {
      case "ident":
      case "member":
      case "chain": {
        const path = ref(node, bound);
        if (path) add(path);
        return;
      }
      case "literal":
      case "pointer":
        return;
      case "array":
        return node.items.forEach((n) => visit(n, bound));
      case "map":
        return node.entries.forEach((e) => (visit(e.key, bound), visit(e.value, bound)));
      case "slice":
        visit(node.object, bound);
        if (node.from) visit(node.from, bound);
        if (node.to) visit(node.to, bound);
        return;
      case "call":
        visit(node.callee, bound);
        return node.args.forEach((n) => visit(n, bound));
      case "builtin":
        return node.args.forEach((n) => visit(n, bound));
      case "closure":
        return visit(node.body, bound);
      case "unary":
        return visit(node.operand, bound);
      case "binary":
        visit(node.left, bound);
        return visit(node.right, bound);
      case "conditional":
        visit(node.cond, bound);
        visit(node.then, bound);
        return visit(node.else, bound);
      case "let":
        visit(node.value, bound);
        return visit(node.body, new Set([...bound, node.name]));
    }
  };
  visit(ast, new Set());
  return out;
}
