// Tree-walking evaluation of expr-lang ASTs.
import { goRegExp } from "../go-regexp.js";
import type { ExprAst } from "./ast.js";
import { BUILTINS, PREDICATES, type Predicate } from "./builtins.js";
import { ExprError } from "./errors.js";
import { GoDuration } from "./go-time.js";
import { equal, formatGoNumber, formatGoValue, hasKey, isMap, isNil, mismatch, order, setKey, typeName } from "./values.js";

export interface Scope {
  env: Record<string, unknown>;
  /** Names resolved before `env` (Argo's functions). */
  globals: Readonly<Record<string, unknown>>;
  vars?: ReadonlyMap<string, unknown>;
  pointer?: { item: unknown; index: number; acc?: unknown };
  disabledBuiltins?: ReadonlySet<string>;
}

/** Thrown by `?.` on nil and caught by the enclosing chain node. */
const NIL_CHAIN = Symbol("nil-chain");

const RANGE_LIMIT = 1e6;

function fail(message: string, node: ExprAst): ExprError {
  return new ExprError(message, node.pos);
}

function describe(key: unknown): string {
  return typeof key === "string" ? key : formatGoValue(key);
}

function fetch(obj: unknown, key: unknown, node: ExprAst): unknown {
  if (isMap(obj)) {
    if (typeof key !== "string") throw fail(`cannot use ${typeName(key)} as a key of ${typeName(obj)}`, node);
    return hasKey(obj, key) ? (obj[key] ?? null) : null;
  }
  if (Array.isArray(obj) || typeof obj === "string") {
    if (typeof key !== "number") throw fail(`cannot fetch ${describe(key)} from ${typeName(obj)}`, node);
    const items = typeof obj === "string" ? [...obj] : obj;
    const i = Math.trunc(key);
    const at = i < 0 ? items.length + i : i;
    if (at < 0 || at >= items.length) throw fail(`index out of range: ${i} (array length is ${items.length})`, node);
    return items[at] ?? null;
  }
  throw fail(`cannot fetch ${describe(key)} from ${typeName(obj)}`, node);
}

function toIndex(v: unknown, node: ExprAst): number {
  if (typeof v !== "number") throw fail(`invalid operation: int(${typeName(v)})`, node);
  return Math.trunc(v);
}

function bool(op: string, v: unknown, side: "left" | "right", other: unknown, node: ExprAst): boolean {
  if (typeof v !== "boolean") throw side === "left" ? mismatch(op, v, other, node.pos) : mismatch(op, other, v, node.pos);
  return v;
}

function arithmetic(op: string, a: unknown, b: unknown, node: ExprAst): unknown {
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "+": return a + b;
      case "-": return a - b;
      case "*": return a * b;
      case "/": return a / b;
      case "%":
        if (!Number.isInteger(a) || !Number.isInteger(b)) throw mismatch(op, a, b, node.pos);
        if (b === 0) throw fail("integer divide by zero", node);
        return a % b;
      default: return a ** b;
    }
  }
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  if (a instanceof Date && b instanceof GoDuration && (op === "+" || op === "-")) {
    return new Date(a.getTime() + (op === "+" ? 1 : -1) * (b.ns / 1e6));
  }
  if (op === "+" && a instanceof GoDuration && b instanceof Date) return new Date(b.getTime() + a.ns / 1e6);
  if (op === "-" && a instanceof Date && b instanceof Date) return new GoDuration((a.getTime() - b.getTime()) * 1e6);
  if (a instanceof GoDuration && b instanceof GoDuration && (op === "+" || op === "-")) {
    return new GoDuration(op === "+" ? a.ns + b.ns : a.ns - b.ns);
  }
  throw mismatch(op, a, b, node.pos);
}

function binary(op: string, a: unknown, b: unknown, node: ExprAst): unknown {
  switch (op) {
    case "==": return equal(a, b);
    case "!=": return !equal(a, b);
    case "<": return order(op, a, b, node.pos) < 0;
    case ">": return order(op, a, b, node.pos) > 0;
    case "<=": return order(op, a, b, node.pos) <= 0;
    case ">=": return order(op, a, b, node.pos) >= 0;
    case "in":
      if (Array.isArray(b)) return b.some((x) => equal(a, x));
      if (isMap(b)) return typeof a === "string" && hasKey(b, a);
      if (isNil(b)) return false;
      throw mismatch(op, a, b, node.pos);
    case "matches":
      if (typeof a !== "string" || typeof b !== "string") throw mismatch(op, a, b, node.pos);
      try {
        return goRegExp(b).test(a);
      } catch (e) {
        throw fail((e as Error).message, node);
      }
    case "contains":
    case "startsWith":
    case "endsWith":
      if (typeof a !== "string" || typeof b !== "string") throw mismatch(op, a, b, node.pos);
      return op === "contains" ? a.includes(b) : op === "startsWith" ? a.startsWith(b) : a.endsWith(b);
    case "..": {
      if (typeof a !== "number" || typeof b !== "number" || !Number.isInteger(a) || !Number.isInteger(b)) throw mismatch(op, a, b, node.pos);
      if (b - a >= RANGE_LIMIT) throw fail("memory budget exceeded", node);
      const out: number[] = [];
      for (let i = a; i <= b; i++) out.push(i);
      return out;
    }
    default:
      return arithmetic(op, a, b, node);
  }
}

function call(fn: unknown, args: unknown[], name: string, node: ExprAst): unknown {
  if (typeof fn !== "function") throw fail(`${name} is not a function (type ${typeName(fn)})`, node);
  try {
    return (fn as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    if (e instanceof ExprError) throw e.offset === undefined ? new ExprError(e.message, node.pos) : e;
    throw fail(e instanceof Error ? e.message : String(e), node);
  }
}

function lookup(name: string, scope: Scope, node: ExprAst): unknown {
  if (scope.vars?.has(name)) return scope.vars.get(name);
  if (name === "$env") return scope.env;
  if (hasKey(scope.globals, name)) return scope.globals[name];
  if (hasKey(scope.env, name)) return scope.env[name] ?? null;
  throw fail(`unknown name ${name}`, node);
}

function calleeName(node: ExprAst): string {
  if (node.kind === "ident") return node.name;
  if (node.kind === "member" && node.property.kind === "literal") return `${calleeName(node.object)}.${String(node.property.value)}`;
  return "expression";
}

function builtin(node: Extract<ExprAst, { kind: "builtin" }>, scope: Scope): unknown {
  const { name, args } = node;
  if (scope.disabledBuiltins?.has(name)) {
    const fn = scope.vars?.get(name) ?? (hasKey(scope.globals, name) ? scope.globals[name] : hasKey(scope.env, name) ? scope.env[name] : undefined);
    if (fn === undefined) throw fail(`unknown func ${name}`, node);
    return call(fn, args.map((a) => evaluate(a, scope)), name, node);
  }
  const predicate = PREDICATES[name];
  if (predicate !== undefined) {
    if (args.length === 0) throw fail(`invalid number of arguments for ${name} (expected 2, got 0)`, node);
    const items = evaluate(args[0], scope);
    if (!Array.isArray(items)) throw fail(`cannot iterate over ${typeName(items)} in ${name}`, args[0]);
    const closure = args[1];
    const pred: Predicate | undefined =
      closure?.kind === "closure"
        ? (item, index, acc) => evaluate(closure.body, { ...scope, pointer: { item, index, acc } })
        : undefined;
    try {
      return predicate(items, pred, args.slice(2).map((a) => evaluate(a, scope)));
    } catch (e) {
      if (e instanceof ExprError && e.offset === undefined) throw new ExprError(e.message, node.pos);
      throw e;
    }
  }
  const fn = BUILTINS[name];
  return call((...xs: unknown[]) => fn(xs), args.map((a) => evaluate(a, scope)), name, node);
}

export function evaluate(node: ExprAst, scope: Scope): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "array":
      return node.items.map((item) => evaluate(item, scope));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const { key, value } of node.entries) {
        const k = evaluate(key, scope);
        if (typeof k !== "string" && typeof k !== "number") throw fail(`cannot use ${typeName(k)} as a map key`, key);
        setKey(out, typeof k === "number" ? formatGoNumber(k) : k, evaluate(value, scope));
      }
      return out;
    }
    case "ident":
      return lookup(node.name, scope, node);
    case "pointer": {
      const p = scope.pointer;
      if (p === undefined) throw fail("cannot use pointer accessor outside predicate", node);
      if (node.name === "") return p.item;
      if (node.name === "index") return p.index;
      if (node.name === "acc") return p.acc ?? null;
      throw fail(`unknown pointer #${node.name}`, node);
    }
    case "member": {
      const obj = evaluate(node.object, scope);
      if (isNil(obj)) {
        if (node.optional) throw NIL_CHAIN;
        throw fail(`cannot fetch ${describe(evaluate(node.property, scope))} from <nil>`, node);
      }
      return fetch(obj, evaluate(node.property, scope), node);
    }
    case "chain":
      try {
        return evaluate(node.node, scope);
      } catch (e) {
        if (e === NIL_CHAIN) return null;
        throw e;
      }
    case "slice": {
      const obj = evaluate(node.object, scope);
      if (!Array.isArray(obj) && typeof obj !== "string") throw fail(`cannot slice ${typeName(obj)}`, node);
      const len = obj.length;
      let from = node.from ? toIndex(evaluate(node.from, scope), node) : 0;
      let to = node.to ? toIndex(evaluate(node.to, scope), node) : len;
      if (from < 0) from = Math.max(0, len + from);
      if (to < 0) to = Math.max(0, len + to);
      to = Math.min(to, len);
      from = Math.min(from, to);
      return obj.slice(from, to);
    }
    case "call": {
      const fn = node.callee.kind === "ident" ? lookup(node.callee.name, scope, node.callee) : evaluate(node.callee, scope);
      return call(fn, node.args.map((a) => evaluate(a, scope)), calleeName(node.callee), node);
    }
    case "builtin":
      return builtin(node, scope);
    case "closure":
      throw fail("a predicate can only be used as an argument of a builtin", node);
    case "unary": {
      const v = evaluate(node.operand, scope);
      if (node.op === "!" || node.op === "not") {
        if (typeof v !== "boolean") throw fail(`invalid operation: ${node.op} (mismatched type ${typeName(v)})`, node);
        return !v;
      }
      if (v instanceof GoDuration) return node.op === "-" ? new GoDuration(-v.ns) : v;
      if (typeof v !== "number") throw fail(`invalid operation: ${node.op} (mismatched type ${typeName(v)})`, node);
      return node.op === "-" ? -v : v;
    }
    case "binary": {
      const { op } = node;
      if (op === "&&" || op === "and" || op === "||" || op === "or") {
        const left = evaluate(node.left, scope);
        const isAnd = op === "&&" || op === "and";
        if (bool(op, left, "left", true, node) !== isAnd) return left;
        return bool(op, evaluate(node.right, scope), "right", left, node);
      }
      if (op === "??") {
        const left = evaluate(node.left, scope);
        return isNil(left) ? evaluate(node.right, scope) : left;
      }
      return binary(op, evaluate(node.left, scope), evaluate(node.right, scope), node);
    }
    case "conditional": {
      const cond = evaluate(node.cond, scope);
      if (typeof cond !== "boolean") throw fail(`non-bool expression (type ${typeName(cond)}) used as condition`, node);
      return evaluate(cond ? node.then : node.else, scope);
    }
    case "let": {
      const vars = new Map(scope.vars ?? []);
      vars.set(node.name, evaluate(node.value, scope));
      return evaluate(node.body, { ...scope, vars });
    }
  }
}
