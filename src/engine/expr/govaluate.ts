// Argo's `when` (steps.go shouldExecute): after tag substitution the text is parsed by govaluate,
// every VARIABLE token becomes a STRING literal (so `heads == heads` compares two strings), and the
// result must be a bool. Numbers are float64; `==` is Go's reflect.DeepEqual, so 5 == '5' is false.
import { formatGoFloat } from "./expr-lang/values.js";
import { goRegExp } from "./go-regexp.js";
import { checkSyntax, tokenize, type GovToken } from "./govaluate/lexer.js";

export class WhenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhenError";
  }
}

type Node =
  | { k: "lit"; v: unknown }
  | { k: "acc"; path: string[] }
  | { k: "var"; name: string }
  | { k: "list"; items: Node[] }
  | { k: "un"; op: string; x: Node }
  | { k: "bin"; op: string; l: Node; r: Node };

// Lowest precedence first, as govaluate's stage planner.
const LEVELS: Array<{ kinds: string[]; ops: string[] }> = [
  { kinds: ["TERNARY"], ops: ["?", ":", "??"] },
  { kinds: ["LOGICALOP"], ops: ["||"] },
  { kinds: ["LOGICALOP"], ops: ["&&"] },
  { kinds: ["COMPARATOR"], ops: ["==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"] },
  { kinds: ["MODIFIER"], ops: ["&", "|", "^"] },
  { kinds: ["MODIFIER"], ops: ["<<", ">>"] },
  { kinds: ["MODIFIER"], ops: ["+", "-"] },
  { kinds: ["MODIFIER"], ops: ["*", "/", "%"] },
  { kinds: ["MODIFIER"], ops: ["**"] },
];

class Parser {
  private i = 0;
  constructor(private readonly tokens: GovToken[]) {}

  parse(): Node {
    const node = this.separated();
    if (this.i < this.tokens.length) throw new Error(`Unexpected token '${this.tokens[this.i].text}'`);
    return node;
  }

  private peek(): GovToken | undefined {
    return this.tokens[this.i];
  }

  private separated(): Node {
    const first = this.level(0);
    if (this.peek()?.kind !== "SEPARATOR") return first;
    const items = [first];
    while (this.peek()?.kind === "SEPARATOR") {
      this.i++;
      items.push(this.level(0));
    }
    return { k: "list", items };
  }

  private level(n: number): Node {
    if (n === LEVELS.length) return this.unary();
    let left = this.level(n + 1);
    for (;;) {
      const t = this.peek();
      if (!t || !LEVELS[n].kinds.includes(t.kind) || !LEVELS[n].ops.includes(String(t.value))) return left;
      this.i++;
      left = { k: "bin", op: String(t.value), l: left, r: this.level(n + 1) };
    }
  }

  private unary(): Node {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new Error("Unexpected end of expression");
    switch (t.kind) {
      case "PREFIX":
        return { k: "un", op: String(t.value), x: this.unary() };
      case "CLAUSE": {
        if (this.peek()?.kind === "CLAUSE_CLOSE") {
          this.i++;
          return { k: "lit", v: null };
        }
        const inner = this.separated();
        if (this.tokens[this.i++]?.kind !== "CLAUSE_CLOSE") throw new Error("Unbalanced parenthesis");
        return inner;
      }
      case "ACCESSOR":
        return { k: "acc", path: t.value as string[] };
      case "VARIABLE":
        // Only evaluateGovaluate keeps VARIABLE tokens; `when` turns them into strings first.
        return { k: "var", name: String(t.value) };
      case "NUMERIC": case "STRING": case "BOOLEAN": case "TIME": case "PATTERN":
        return { k: "lit", v: t.value };
      default:
        throw new Error(`Unexpected token '${t.text}'`);
    }
  }
}

/** Go's %v of a govaluate value (all numbers are float64). */
function show(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "number") return formatGoFloat(v);
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (v instanceof RegExp) return v.source;
  return String(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a instanceof RegExp && b instanceof RegExp) return a.source === b.source;
  return a === b;
}

const NOT_NUMBER = (op: string, v: unknown, what: string): Error =>
  new Error(`Value '${show(v)}' cannot be used with the ${what} '${op}', it is not a number`);

function num(op: string, v: unknown, what: string): number {
  if (typeof v !== "number") throw NOT_NUMBER(op, v, what);
  return v;
}

function bool(op: string, v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new Error(`Value '${show(v)}' cannot be used with the ${what} '${op}', it is not a bool`);
  return v;
}

function regex(v: unknown): RegExp {
  if (v instanceof RegExp) return v;
  try {
    return goRegExp(String(v));
  } catch (e) {
    throw new Error(`Unable to compile regexp pattern '${show(v)}': ${(e as Error).message}`);
  }
}

/** Variables bound by evaluateGovaluate; `when` evaluates without any. */
type Params = Readonly<Record<string, unknown>>;

function evalNode(node: Node, params?: Params): unknown {
  switch (node.k) {
    case "lit":
      return node.v;
    case "acc":
      if (params !== undefined && Object.hasOwn(params, node.path[0])) {
        // govaluate reads accessor parts as struct fields; a JSON value is never a struct.
        throw new Error(`Unable to access '${node.path[1]}', '${node.path[0]}' is not a struct`);
      }
      throw new Error(`No parameter '${node.path[0]}' found.`);
    case "var":
      if (params === undefined || !Object.hasOwn(params, node.name)) throw new Error(`No parameter '${node.name}' found.`);
      return params[node.name] ?? null;
    case "list":
      return node.items.map((item) => evalNode(item, params));
    case "un": {
      const x = evalNode(node.x, params);
      if (node.op === "!") {
        if (typeof x !== "boolean") throw new Error(`Value '${show(x)}' cannot be used with the prefix '!'`);
        return !x;
      }
      if (typeof x !== "number") throw new Error(`Value '${show(x)}' cannot be used with the prefix '${node.op}'`);
      return node.op === "-" ? -x : Number(~BigInt.asIntN(64, BigInt(Math.trunc(x))));
    }
    case "bin":
      return evalBinary(node.op, node.l, node.r, params);
  }
}

function evalBinary(op: string, l: Node, r: Node, params?: Params): unknown {
  const left = evalNode(l, params);
  // Short-circuits, before any type check, as govaluate's evaluateStage.
  if (op === "&&" && left === false) return false;
  if (op === "||" && left === true) return true;
  if (op === "??" && left !== null && left !== undefined) return left;
  if (op === "?" && left === false) return null;
  if (op === ":" && left !== null && left !== undefined) return left;
  const right = evalNode(r, params);
  switch (op) {
    case "&&": case "||":
      bool(op, left, "logical operator");
      bool(op, right, "logical operator");
      return op === "&&" ? left && right : left || right;
    case "?":
      bool(op, left, "ternary operator");
      return right;
    case ":": case "??":
      return right;
    case "==": return deepEqual(left, right);
    case "!=": return !deepEqual(left, right);
    case ">": case ">=": case "<": case "<=": {
      const ok = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
      if (!ok) throw NOT_NUMBER(op, left, "comparator");
      const a = left as number | string;
      const b = right as number | string;
      return op === ">" ? a > b : op === ">=" ? a >= b : op === "<" ? a < b : a <= b;
    }
    case "=~": case "!~": {
      if (typeof left !== "string") throw new Error(`Value '${show(left)}' cannot be used with the comparator '${op}', it is not a string`);
      const matched = regex(right).test(left);
      return op === "=~" ? matched : !matched;
    }
    case "in":
      if (!Array.isArray(right)) throw NOT_NUMBER(op, right, "comparator");
      return right.some((x) => x === left);
    case "+":
      if (typeof left === "string" || typeof right === "string") return show(left) + show(right);
      if (typeof left !== "number" || typeof right !== "number") throw NOT_NUMBER(op, left, "modifier");
      return left + right;
  }
  const a = num(op, left, "modifier");
  const b = num(op, right, "modifier");
  const int = (x: number): bigint => BigInt.asIntN(64, BigInt(Math.trunc(x)));
  switch (op) {
    case "-": return a - b;
    case "*": return a * b;
    case "/": return a / b;
    case "%": return a % b;
    case "**": return a ** b;
    case "&": return Number(int(a) & int(b));
    case "|": return Number(int(a) | int(b));
    case "^": return Number(int(a) ^ int(b));
    case "<<": return Number(BigInt.asUintN(64, int(a) << int(b)));
    default: return Number(BigInt.asUintN(64, int(a)) >> int(b));
  }
}

const compiled = new Map<string, Node>();

function compile(text: string): Node {
  const hit = compiled.get(text);
  if (hit) return hit;
  const node = compileUncached(text);
  if (compiled.size >= 1000) compiled.delete(compiled.keys().next().value as string);
  compiled.set(text, node);
  return node;
}

function compileUncached(text: string): Node {
  let tokens: GovToken[];
  try {
    tokens = tokenize(text);
    checkSyntax(tokens);
  } catch (e) {
    const message = (e as Error).message;
    const hint = message.includes("Invalid token") ? ` (hint: try wrapping the affected expression in quotes ("))` : "";
    throw new WhenError(`Invalid 'when' expression '${text}': ${message}${hint}`);
  }
  try {
    // Argo does not use govaluate variables: bare words are string literals.
    const strings = tokens.map((t): GovToken => (t.kind === "VARIABLE" ? { ...t, kind: "STRING" } : t));
    checkSyntax(strings);
    // govaluate precompiles the literal right operand of =~ and !~.
    const planned = strings.map((t, i): GovToken => {
      const prev = strings[i - 1];
      return t.kind === "STRING" && prev?.kind === "COMPARATOR" && (prev.value === "=~" || prev.value === "!~")
        ? { ...t, kind: "PATTERN", value: regex(t.value) }
        : t;
    });
    return new Parser(planned).parse();
  } catch (e) {
    throw new WhenError(`Failed to parse 'when' expression '${text}': ${(e as Error).message}`);
  }
}

/** Syntax check for lint: throws WhenError where Argo could not parse the (substituted) text. */
export function parseWhen(text: string): void {
  if (text !== "") compile(text);
}

/** Evaluates a substituted `when`; an empty one is true. Throws WhenError when Argo would fail. */
export function evaluateWhen(text: string): boolean {
  if (text === "") return true;
  const ast = compile(text);
  let result: unknown;
  try {
    result = evalNode(ast);
  } catch (e) {
    throw new WhenError(`Failed to evaluate 'when' expression '${text}': ${(e as Error).message}`);
  }
  if (typeof result !== "boolean") throw new WhenError(`Expected boolean evaluation for '${text}'. Got ${show(result)}`);
  return result;
}

const compiledBound = new Map<string, Node>();

/** govaluate's NewEvaluableExpression as Argo Events uses it: bare words are variables. */
function compileBound(text: string): Node {
  const hit = compiledBound.get(text);
  if (hit) return hit;
  const tokens = tokenize(text);
  checkSyntax(tokens);
  const planned = tokens.map((t, i): GovToken => {
    const prev = tokens[i - 1];
    return t.kind === "STRING" && prev?.kind === "COMPARATOR" && (prev.value === "=~" || prev.value === "!~")
      ? { ...t, kind: "PATTERN", value: regex(t.value) }
      : t;
  });
  const node = new Parser(planned).parse();
  if (compiledBound.size >= 1000) compiledBound.delete(compiledBound.keys().next().value as string);
  compiledBound.set(text, node);
  return node;
}

/** Syntax check of an expression with variables (Argo Events `exprs`); throws an Error with govaluate's message. */
export function parseGovaluate(text: string): void {
  compileBound(text);
}

/**
 * Evaluates an expression with variables bound, as govaluate's `Evaluate(parameters)` (Argo Events
 * `exprs[].fields`). Returns the raw result (a bool for a filter); throws where govaluate fails, e.g.
 * "No parameter 'x' found." for an unbound variable.
 */
export function evaluateGovaluate(text: string, params: Readonly<Record<string, unknown>>): unknown {
  return evalNode(compileBound(text), params);
}
