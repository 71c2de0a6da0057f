// DAG `depends` logic (docs/enhanced-depends-logic.md, workflow/common/ancestry.go, dag.go
// evaluateDependsLogic): `&&`, `||`, `!` and parentheses over `task` or `task.Result`.

export class DependsError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = "DependsError";
  }
}

export type TaskResult = "Succeeded" | "Failed" | "Errored" | "Skipped" | "Omitted" | "Daemoned" | "AnySucceeded" | "AllFailed";

export type DependsAst =
  /** `result` undefined is a bare task name: Succeeded || Skipped || Daemoned. */
  | { kind: "task"; task: string; result?: TaskResult; pos: number }
  | { kind: "not"; operand: DependsAst; pos: number }
  | { kind: "and" | "or"; left: DependsAst; right: DependsAst; pos: number };

export type TaskResultView = {
  phase: "Pending" | "Running" | "Succeeded" | "Failed" | "Error" | "Skipped" | "Omitted";
  daemoned?: boolean;
  /** For loop (TaskGroup) tasks: the phases of its children. */
  childPhases?: string[];
};

const RESULTS = new Set<string>(["Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"]);

type Token = { kind: "name" | "op" | "eof"; text: string; pos: number };

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|(&&|\|\||!|\(|\))|([A-Za-z0-9_][-A-Za-z0-9_]*(?:\.[A-Za-z0-9_]*)?)/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) {
      const hint = text[i] === "&" || text[i] === "|" ? ` (use "${text[i].repeat(2)}")` : "";
      throw new DependsError(`unexpected character '${text[i]}' at offset ${i} in depends '${text}'${hint}`, i);
    }
    if (m[1]) tokens.push({ kind: "op", text: m[1], pos: i });
    else if (m[2]) tokens.push({ kind: "name", text: m[2], pos: i });
    i = re.lastIndex;
  }
  tokens.push({ kind: "eof", text: "", pos: text.length });
  return tokens;
}

export function parseDepends(text: string): DependsAst {
  const tokens = lex(text);
  let i = 0;
  const fail = (t: Token, what: string): DependsError =>
    new DependsError(`${what} at offset ${t.pos} in depends '${text}'`, t.pos);
  const expr = (): DependsAst => {
    let left = conj();
    while (tokens[i].text === "||") {
      const pos = tokens[i++].pos;
      left = { kind: "or", left, right: conj(), pos };
    }
    return left;
  };
  const conj = (): DependsAst => {
    let left = unary();
    while (tokens[i].text === "&&") {
      const pos = tokens[i++].pos;
      left = { kind: "and", left, right: unary(), pos };
    }
    return left;
  };
  const unary = (): DependsAst => {
    const t = tokens[i++];
    if (t.text === "!") return { kind: "not", operand: unary(), pos: t.pos };
    if (t.text === "(") {
      const inner = expr();
      if (tokens[i].text !== ")") throw fail(tokens[i], tokens[i].kind === "eof" ? "missing ')'" : `expected ')' but found '${tokens[i].text}'`);
      i++;
      return inner;
    }
    if (t.kind !== "name") throw fail(t, t.kind === "eof" ? "unexpected end of expression" : `unexpected '${t.text}'`);
    const dot = t.text.indexOf(".");
    if (dot < 0) return { kind: "task", task: t.text, pos: t.pos };
    const task = t.text.slice(0, dot);
    const result = t.text.slice(dot + 1);
    if (!RESULTS.has(result)) {
      throw new DependsError(
        `task result '${result}' for task '${task}' is invalid (expected one of ${[...RESULTS].join(", ")}) in depends '${text}'`,
        t.pos + dot + 1,
      );
    }
    return { kind: "task", task, result: result as TaskResult, pos: t.pos };
  };
  let ast: DependsAst;
  try {
    ast = expr();
  } catch (e) {
    if (e instanceof RangeError) throw new DependsError(`depends '${text.slice(0, 80)}…' is nested too deeply`);
    throw e;
  }
  if (tokens[i].kind !== "eof") throw fail(tokens[i], `unexpected '${tokens[i].text}'`);
  return ast;
}

export function dependsTaskNames(ast: DependsAst): string[] {
  const names = new Set<string>();
  const walk = (n: DependsAst): void => {
    if (n.kind === "task") names.add(n.task);
    else if (n.kind === "not") walk(n.operand);
    else {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(ast);
  return [...names];
}

function result(view: TaskResultView, r: TaskResult): boolean {
  switch (r) {
    case "Succeeded": return view.phase === "Succeeded";
    case "Failed": return view.phase === "Failed";
    case "Errored": return view.phase === "Error";
    case "Skipped": return view.phase === "Skipped";
    case "Omitted": return view.phase === "Omitted";
    case "Daemoned": return view.daemoned === true && view.phase !== "Pending";
    case "AnySucceeded": return (view.childPhases ?? []).some((p) => p === "Succeeded");
    case "AllFailed": return view.childPhases !== undefined && view.childPhases.length > 0 && view.childPhases.every((p) => p === "Failed");
  }
}

/** Evaluates against the views of the referenced tasks (Argo evaluates once they are all fulfilled). */
export function evaluateDepends(ast: DependsAst, view: (task: string) => TaskResultView): boolean {
  switch (ast.kind) {
    case "task": {
      const v = view(ast.task);
      if (ast.result !== undefined) return result(v, ast.result);
      return result(v, "Succeeded") || result(v, "Skipped") || result(v, "Daemoned");
    }
    case "not": return !evaluateDepends(ast.operand, view);
    case "and": return evaluateDepends(ast.left, view) && evaluateDepends(ast.right, view);
    case "or": return evaluateDepends(ast.left, view) || evaluateDepends(ast.right, view);
  }
}

/** The legacy `dependencies` list as the equivalent `depends` text (ancestry.go expandDependency). */
export function dependenciesToDepends(
  deps: string[],
  continueOn: (task: string) => { failed?: boolean; error?: boolean } | undefined,
): string {
  return deps
    .map((dep) => {
      const results = ["Succeeded", "Skipped", "Daemoned"];
      const c = continueOn(dep);
      if (c?.error) results.push("Errored");
      if (c?.failed) results.push("Failed");
      return `(${results.map((r) => `${dep}.${r}`).join(" || ")})`;
    })
    .join(" && ");
}
