/** The syntax tree of an expr-lang expression. `pos` is the 0-based offset of the node's first token. */
export type ExprAst =
  | { kind: "literal"; value: null | boolean | number | string; pos: number }
  | { kind: "array"; items: ExprAst[]; pos: number }
  | { kind: "map"; entries: Array<{ key: ExprAst; value: ExprAst }>; pos: number }
  | { kind: "ident"; name: string; pos: number }
  /** `#` (name ""), `#index`, `#acc`; `.field` inside a closure is a member of the pointer `#`. */
  | { kind: "pointer"; name: string; pos: number }
  | { kind: "member"; object: ExprAst; property: ExprAst; optional: boolean; pos: number }
  | { kind: "slice"; object: ExprAst; from: ExprAst | null; to: ExprAst | null; pos: number }
  | { kind: "call"; callee: ExprAst; args: ExprAst[]; pos: number }
  /** A call of a builtin function; predicate builtins carry a `closure` node as their second argument. */
  | { kind: "builtin"; name: string; args: ExprAst[]; pos: number }
  | { kind: "closure"; body: ExprAst; pos: number }
  /** Wraps a member chain containing `?.`, so a nil anywhere in it makes the whole chain nil. */
  | { kind: "chain"; node: ExprAst; pos: number }
  | { kind: "unary"; op: string; operand: ExprAst; pos: number }
  | { kind: "binary"; op: string; left: ExprAst; right: ExprAst; pos: number }
  | { kind: "conditional"; cond: ExprAst; then: ExprAst; else: ExprAst; pos: number }
  | { kind: "let"; name: string; value: ExprAst; body: ExprAst; pos: number };
