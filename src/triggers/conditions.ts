// A trigger's `conditions`: `&&`, `||` and parentheses over dependency names (which may contain `-`),
// e.g. "(dep01 || dep02) && dep03". Argo evaluates it with govaluate after escaping the names; this
// small parser gives the same answers and says which name or token is wrong.

export type Condition =
  | { k: "dep"; name: string }
  | { k: "and" | "or"; l: Condition; r: Condition };

export class ConditionError extends Error {
  override name = "ConditionError";
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(&&|\|\||\(|\)|[A-Za-z0-9_][A-Za-z0-9_.-]*|\S)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) tokens.push(m[1]);
  return tokens;
}

/** Parses `conditions`; throws ConditionError naming the bad token or the unknown dependency. */
export function parseCondition(text: string, dependencies: readonly string[]): Condition {
  const tokens = tokenize(text);
  let i = 0;
  const expr = (): Condition => {
    let left = term();
    while (tokens[i] === "||") {
      i++;
      left = { k: "or", l: left, r: term() };
    }
    return left;
  };
  const term = (): Condition => {
    let left = atom();
    while (tokens[i] === "&&") {
      i++;
      left = { k: "and", l: left, r: atom() };
    }
    return left;
  };
  const atom = (): Condition => {
    const t = tokens[i++];
    if (t === undefined) throw new ConditionError(`'${text}' ends too early`);
    if (t === "(") {
      const inner = expr();
      if (tokens[i++] !== ")") throw new ConditionError(`missing ')' in '${text}'`);
      return inner;
    }
    if (!/^[A-Za-z0-9_]/.test(t)) {
      throw new ConditionError(`unexpected '${t}' in '${text}' (only dependency names, &&, || and parentheses are supported)`);
    }
    if (!dependencies.includes(t)) {
      throw new ConditionError(`'${t}' is not a dependency of this Sensor (dependencies: ${dependencies.join(", ")})`);
    }
    return { k: "dep", name: t };
  };
  if (tokens.length === 0) throw new ConditionError("empty conditions");
  const cond = expr();
  if (i < tokens.length) throw new ConditionError(`unexpected '${tokens[i]}' in '${text}'`);
  return cond;
}

/** Argo's default when `conditions` is absent: every dependency. */
export function allOf(dependencies: readonly string[]): Condition {
  return dependencies
    .map((name): Condition => ({ k: "dep", name }))
    .reduce((l, r) => ({ k: "and", l, r }));
}

export function evaluateCondition(cond: Condition, satisfied: (name: string) => boolean): boolean {
  if (cond.k === "dep") return satisfied(cond.name);
  return cond.k === "and"
    ? evaluateCondition(cond.l, satisfied) && evaluateCondition(cond.r, satisfied)
    : evaluateCondition(cond.l, satisfied) || evaluateCondition(cond.r, satisfied);
}

/** The dependency names a condition mentions, in order, without repeats. */
export function conditionNames(cond: Condition): string[] {
  if (cond.k === "dep") return [cond.name];
  return [...new Set([...conditionNames(cond.l), ...conditionNames(cond.r)])];
}
