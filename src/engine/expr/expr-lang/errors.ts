/** An error of the expr-lang evaluator; `offset` is the 0-based index in the source when known. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = "ExprError";
  }
}

/** Formats `message` with expr-lang's "(line:column)" suffix for an offset into `source`. */
export function errorAt(source: string, offset: number, message: string): ExprError {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return new ExprError(`${message} (${line}:${col})`, offset);
}
