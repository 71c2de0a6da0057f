import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDepends, DependsError } from "../../../src/engine/expr/depends.js";
import { evaluateExpr, ExprError, parseExpr } from "../../../src/engine/expr/expr-lang.js";
import { evaluateWhen, WhenError } from "../../../src/engine/expr/govaluate.js";

// Fragments that make random text look like the languages, so the parsers get past the first token.
const fragment = fc.constantFrom(
  "a", "b.c", "x['k']", "1", "2.5", "'s'", '"t"', "(", ")", "[", "]", "{", "}", ",", ":", "?", "?.", "??",
  "+", "-", "*", "/", "%", "**", "==", "!=", "<", ">=", "&&", "||", "!", "not", "in", "matches", "..", "|",
  "#", ".", "map(", "filter(", "len(", "let", "=", ";", "true", "nil", " ", "=~", "A.Failed", "heads",
);
const source = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(" "));

function onlyThrows<E extends Error>(kind: new (...args: never[]) => E, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(kind);
  }
}

describe("parsers fail only with their own errors", () => {
  it("expr-lang", () => {
    fc.assert(
      fc.property(source, (src) => {
        onlyThrows(ExprError, () => parseExpr(src));
        onlyThrows(ExprError, () => evaluateExpr(src, { a: 1, b: { c: [1, 2] }, x: { k: "v" } }));
      }),
      { numRuns: 3000 },
    );
  });

  it("expr-lang on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (src) => onlyThrows(ExprError, () => evaluateExpr(src, {}))), { numRuns: 2000 });
  });

  it("when", () => {
    fc.assert(fc.property(source, (src) => onlyThrows(WhenError, () => evaluateWhen(src))), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (src) => onlyThrows(WhenError, () => evaluateWhen(src))), { numRuns: 2000 });
  });

  it("depends", () => {
    fc.assert(fc.property(source, (src) => onlyThrows(DependsError, () => parseDepends(src))), { numRuns: 3000 });
  });
});
