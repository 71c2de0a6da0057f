import type { ExprAst } from "./ast.js";
import { errorAt, type ExprError } from "./errors.js";
import { lex, type Token } from "./lexer.js";

interface BinaryOperator {
  prec: number;
  right?: boolean;
}

// Precedences as in expr-lang's parser/operator package.
const BINARY: Record<string, BinaryOperator> = {
  "|": { prec: 0 },
  or: { prec: 10 }, "||": { prec: 10 },
  and: { prec: 15 }, "&&": { prec: 15 },
  "==": { prec: 20 }, "!=": { prec: 20 }, "<": { prec: 20 }, ">": { prec: 20 }, "<=": { prec: 20 }, ">=": { prec: 20 },
  in: { prec: 20 }, matches: { prec: 20 }, contains: { prec: 20 }, startsWith: { prec: 20 }, endsWith: { prec: 20 },
  "..": { prec: 25 },
  "+": { prec: 30 }, "-": { prec: 30 },
  "*": { prec: 60 }, "/": { prec: 60 }, "%": { prec: 60 },
  "**": { prec: 100, right: true }, "^": { prec: 100, right: true },
  "??": { prec: 500 },
};
const UNARY: Record<string, number> = { not: 50, "!": 50, "-": 90, "+": 90 };
const NEGATABLE = new Set(["in", "matches", "contains", "startsWith", "endsWith"]);
const CHAINED_COMPARISONS = new Set(["<", ">", "<=", ">="]);

/** Builtins whose second argument is a predicate (closure) rather than a value. */
export const PREDICATE_BUILTINS = new Set([
  "all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
  "count", "sum", "groupBy", "sortBy", "reduce",
]);

export function parse(source: string, isBuiltin: (name: string) => boolean): ExprAst {
  const parser = new Parser(source, lex(source), isBuiltin);
  const ast = parser.parseExpression(0);
  const rest = parser.cur;
  if (rest.kind !== "eof") throw parser.unexpected(rest);
  return ast;
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly isBuiltin: (name: string) => boolean,
  ) {}

  get cur(): Token {
    return this.tokens[this.i];
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private is(kind: Token["kind"], value?: string, tok = this.cur): boolean {
    return tok.kind === kind && (value === undefined || tok.value === value);
  }

  private expect(kind: Token["kind"], value?: string): Token {
    const tok = this.cur;
    if (!this.is(kind, value)) throw this.unexpected(tok, value);
    this.i++;
    return tok;
  }

  unexpected(tok: Token, wanted?: string): ExprError {
    const found = tok.kind === "eof" ? "end of expression" : `token ${tok.kind === "string" ? JSON.stringify(tok.value) : `"${tok.value}"`}`;
    const hint = wanted === ")" ? " (an opened parenthesis is not balanced)" : wanted ? ` (expected ${JSON.stringify(wanted)})` : "";
    return errorAt(this.source, tok.pos, `unexpected ${found}${hint}`);
  }

  parseExpression(prec: number): ExprAst {
    if (prec === 0 && this.is("op", "let")) return this.parseLet();
    let left = this.parsePrimary();
    let prevOp = "";
    for (;;) {
      let opTok = this.cur;
      if (opTok.kind !== "op") break;
      let negate = false;
      if (opTok.value === "not") {
        const next = this.peek();
        if (!(next.kind === "op" && NEGATABLE.has(next.value))) throw this.unexpected(next);
        if (BINARY[next.value].prec < prec) break;
        negate = true;
        this.i++;
        opTok = this.cur;
      }
      const op = BINARY[opTok.value];
      if (op === undefined || op.prec < prec) break;
      this.i++;
      if (opTok.value === "|") {
        const name = this.expect("ident");
        left = this.parseCall(name, [left]);
        prevOp = "|";
        continue;
      }
      if (prevOp === "??" && opTok.value !== "??") {
        throw errorAt(this.source, opTok.pos, `Operator (${opTok.value}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.`);
      }
      if (CHAINED_COMPARISONS.has(opTok.value)) {
        left = this.parseComparison(left, opTok, op.prec);
      } else {
        const right = this.parseExpression(op.right ? op.prec : op.prec + 1);
        left = { kind: "binary", op: opTok.value, left, right, pos: opTok.pos };
        if (negate) left = { kind: "unary", op: "not", operand: left, pos: opTok.pos };
      }
      prevOp = opTok.value;
    }
    return prec === 0 ? this.parseConditional(left) : left;
  }

  /** `a < b < c` means `a < b && b < c`. */
  private parseComparison(left: ExprAst, opTok: Token, prec: number): ExprAst {
    let root: ExprAst | undefined;
    for (;;) {
      const right = this.parseExpression(prec + 1);
      const cmp: ExprAst = { kind: "binary", op: opTok.value, left, right, pos: opTok.pos };
      root = root === undefined ? cmp : { kind: "binary", op: "&&", left: root, right: cmp, pos: opTok.pos };
      left = right;
      if (!(this.cur.kind === "op" && CHAINED_COMPARISONS.has(this.cur.value))) return root;
      opTok = this.cur;
      this.i++;
    }
  }

  private parseConditional(node: ExprAst): ExprAst {
    while (this.is("op", "?")) {
      const pos = this.cur.pos;
      this.i++;
      let then: ExprAst;
      if (this.is("op", ":")) {
        this.i++;
        then = node;
      } else {
        then = this.parseExpression(0);
        this.expect("op", ":");
      }
      const otherwise = this.parseExpression(0);
      node = { kind: "conditional", cond: node, then, else: otherwise, pos };
    }
    return node;
  }

  private parseLet(): ExprAst {
    const pos = this.expect("op", "let").pos;
    const name = this.expect("ident").value;
    this.expect("op", "=");
    const value = this.parseExpression(0);
    this.expect("op", ";");
    const body = this.parseExpression(0);
    return { kind: "let", name, value, body, pos };
  }

  private parsePrimary(): ExprAst {
    const tok = this.cur;
    if (tok.kind === "op" && tok.value in UNARY) {
      this.i++;
      const operand = this.parseExpression(UNARY[tok.value]);
      return this.parsePostfix({ kind: "unary", op: tok.value, operand, pos: tok.pos });
    }
    if (this.is("bracket", "(")) {
      this.i++;
      const inner = this.parseExpression(0);
      this.expect("bracket", ")");
      return this.parsePostfix(inner);
    }
    if (this.depth > 0 && (this.is("op", "#") || this.is("op", "."))) {
      let name = "";
      if (this.is("op", "#")) {
        this.i++;
        if (this.is("ident")) name = this.expect("ident").value;
      }
      return this.parsePostfix({ kind: "pointer", name, pos: tok.pos });
    }
    return this.parseSecondary();
  }

  private parseSecondary(): ExprAst {
    const tok = this.cur;
    let node: ExprAst;
    switch (tok.kind) {
      case "ident":
        this.i++;
        if (this.is("bracket", "(")) {
          node = this.parseCall(tok, []);
        } else if (tok.value === "true" || tok.value === "false") {
          node = { kind: "literal", value: tok.value === "true", pos: tok.pos };
        } else if (tok.value === "nil") {
          node = { kind: "literal", value: null, pos: tok.pos };
        } else {
          node = { kind: "ident", name: tok.value, pos: tok.pos };
        }
        break;
      case "number":
        this.i++;
        node = { kind: "literal", value: tok.num!, pos: tok.pos };
        break;
      case "string":
        this.i++;
        node = { kind: "literal", value: tok.value, pos: tok.pos };
        break;
      case "bracket":
        if (tok.value === "[") {
          node = { kind: "array", items: this.parseList("[", "]", () => this.parseExpression(0)), pos: tok.pos };
          break;
        }
        if (tok.value === "{") {
          node = { kind: "map", entries: this.parseList("{", "}", () => this.parseMapEntry()), pos: tok.pos };
          break;
        }
        throw this.unexpected(tok);
      default:
        throw this.unexpected(tok);
    }
    return this.parsePostfix(node);
  }

  private parseList<T>(open: string, close: string, item: () => T): T[] {
    this.expect("bracket", open);
    const items: T[] = [];
    while (!this.is("bracket", close)) {
      if (items.length > 0) {
        this.expect("op", ",");
        if (this.is("bracket", close)) break; // trailing comma
      }
      items.push(item());
    }
    this.expect("bracket", close);
    return items;
  }

  private parseMapEntry(): { key: ExprAst; value: ExprAst } {
    const tok = this.cur;
    let key: ExprAst;
    if (tok.kind === "ident" || tok.kind === "string" || (tok.kind === "op" && /^[a-zA-Z]/.test(tok.value))) {
      this.i++;
      key = { kind: "literal", value: tok.value, pos: tok.pos };
    } else if (tok.kind === "number") {
      this.i++;
      key = { kind: "literal", value: tok.num!, pos: tok.pos };
    } else if (this.is("bracket", "(")) {
      this.i++;
      key = this.parseExpression(0);
      this.expect("bracket", ")");
    } else {
      throw errorAt(this.source, tok.pos, `a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected token ${JSON.stringify(tok.value)})`);
    }
    this.expect("op", ":");
    return { key, value: this.parseExpression(0) };
  }

  private parseCall(nameTok: Token, leading: ExprAst[]): ExprAst {
    const name = nameTok.value;
    const predicate = PREDICATE_BUILTINS.has(name);
    const args = [...leading];
    // With a pipe, the piped value is argument 0, so the predicate is the first one written.
    this.parseList("(", ")", () => {
      const arg = predicate && args.length === 1 ? this.parseClosure() : this.parseExpression(0);
      args.push(arg);
      return arg;
    });
    if (predicate || this.isBuiltin(name)) return { kind: "builtin", name, args, pos: nameTok.pos };
    return { kind: "call", callee: { kind: "ident", name, pos: nameTok.pos }, args, pos: nameTok.pos };
  }

  private parseClosure(): ExprAst {
    const pos = this.cur.pos;
    const braced = this.is("bracket", "{");
    if (braced) this.i++;
    this.depth++;
    const body = this.parseExpression(0);
    this.depth--;
    if (braced) this.expect("bracket", "}");
    return { kind: "closure", body, pos };
  }

  private parsePostfix(node: ExprAst): ExprAst {
    let optionalSeen = false;
    for (;;) {
      const tok = this.cur;
      if (this.is("op", ".") || this.is("op", "?.")) {
        const optional = tok.value === "?.";
        optionalSeen ||= optional;
        this.i++;
        if (optional && this.is("bracket", "[")) {
          node = this.parseIndex(node, true);
          continue;
        }
        const prop = this.cur;
        // Property names may be words that are operators elsewhere (`a.in`, `x.not`).
        if (!(prop.kind === "ident" || (prop.kind === "op" && /^[a-zA-Z]/.test(prop.value)))) throw this.unexpected(prop);
        this.i++;
        node = { kind: "member", object: node, property: { kind: "literal", value: prop.value, pos: prop.pos }, optional, pos: prop.pos };
        if (this.is("bracket", "(")) {
          const args = this.parseList("(", ")", () => this.parseExpression(0));
          node = { kind: "call", callee: node, args, pos: prop.pos };
        }
      } else if (this.is("bracket", "[")) {
        node = this.parseIndex(node, false);
      } else {
        break;
      }
    }
    return optionalSeen ? { kind: "chain", node, pos: node.pos } : node;
  }

  private parseIndex(object: ExprAst, optional: boolean): ExprAst {
    const pos = this.expect("bracket", "[").pos;
    if (this.is("op", ":")) {
      this.i++;
      const to = this.is("bracket", "]") ? null : this.parseExpression(0);
      this.expect("bracket", "]");
      return { kind: "slice", object, from: null, to, pos };
    }
    const index = this.parseExpression(0);
    if (this.is("op", ":")) {
      this.i++;
      const to = this.is("bracket", "]") ? null : this.parseExpression(0);
      this.expect("bracket", "]");
      return { kind: "slice", object, from: index, to, pos };
    }
    this.expect("bracket", "]");
    return { kind: "member", object, property: index, optional, pos };
  }
}
