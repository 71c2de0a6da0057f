import { describe, expect, it } from "vitest";
import { evaluateGovaluate, evaluateWhen, parseGovaluate } from "../../src/engine/expr/govaluate.js";

// Argo Events `exprs`: govaluate with `fields` bound as variables (values as gjson's Value() gives them).
describe("evaluateGovaluate", () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    ["a == 'x'", { a: "x" }, true],
    ["n > 1 && n < 10", { n: 5 }, true],
    ["n == 5", { n: 5 }, true],
    ["n == '5'", { n: 5 }, false],
    ["ok", { ok: true }, true],
    ["!ok || n >= 3", { ok: true, n: 3 }, true],
    ["ref =~ '^refs/heads/'", { ref: "refs/heads/main" }, true],
    ["'bug' in labels", { labels: ["bug", "ui"] }, true],
    ["[my-field] == 1", { "my-field": 1 }, true],
    ["a + b", { a: 1, b: 2 }, 3],
  ])("%s with %j", (expr, params, want) => {
    expect(evaluateGovaluate(expr, params)).toEqual(want);
  });

  it("fails on an unbound variable, as govaluate", () => {
    expect(() => evaluateGovaluate("a == b", { a: 1 })).toThrow("No parameter 'b' found.");
  });

  it("fails on syntax errors at parse time", () => {
    expect(() => parseGovaluate("a ==")).toThrow();
    expect(() => parseGovaluate("f(a)")).toThrow("Undefined function f");
  });

  it("leaves `when` as it was: bare words are strings there", () => {
    expect(evaluateWhen("heads == heads")).toBe(true);
  });
});
