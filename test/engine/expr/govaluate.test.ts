import { describe, expect, it } from "vitest";
import { evaluateWhen, parseWhen, WhenError } from "../../../src/engine/expr/govaluate.js";

describe("when: values and comparisons", () => {
  it.each<[string, boolean]>([
    // examples/coinflip.yaml after substitution
    ["heads == heads", true],
    ["tails == heads", false],
    ["heads != tails", true],
    // examples/conditionals-complex.yaml
    ["( heads == heads &&\n  tails == tails\n) ||\n( heads == tails &&\n  tails == tails )", true],
    ["( tails == heads && tails == tails ) || ( tails == tails && heads == tails )", false],
    ["heads =~ hea", true],
    ["tails =~ hea", false],
    // examples/fibonacci-seq-conditional-param.yaml
    ["5 != 1 && 5 != 2", true],
    ["2 != 1 && 2 != 2", false],
    // examples/parameter-aggregation.yaml, examples/custom-metrics.yaml, conditionals.yaml
    ["even == even", true],
    ["Succeeded == Succeeded", true],
    ["true == true", true],
    ["false == true", false],
    // skipped-output-defaults: when: "false"
    ["false", false],
    ["true", true],
    ["5 < 10", true],
    ["10 < 5", false],
    ["9 <= 9", true],
    ["2.5 > 2", true],
    ["10 >= 10.0", true],
    ["'abc' < 'abd'", true],
    ["b > a", true],
    ["5 == '5'", false],
    ["5 == 5.0", true],
    ["'a b' == 'a b'", true],
    ['"quoted" == quoted', true],
    ["'it\\'s' == 'it\\'s'", true],
    ["[spaced var] == 'spaced var'", true],
    ["foo !~ bar", true],
    ["'foo123' =~ '^foo[0-9]+$'", true],
    ["'a.b' =~ 'a\\\\.b'", true],
    ["x in (a, b, x)", true],
    ["z in (a, b)", false],
    ["1 in (1, 2)", true],
    ["!true", false],
    ["!(1 == 2)", true],
    ["!false && true", true],
    ["true || false && false", true],
    ["(true || false) && false", false],
    ["1 + 2 == 3", true],
    ["10 - 2 - 3 == 5", true],
    ["2 * 3 + 1 == 7", true],
    ["7 / 2 == 3.5", true],
    ["7 % 3 == 1", true],
    ["2 ** 3 == 8", true],
    ["-1 < 0", true],
    ["- 1 == -1", true],
    ["(6 & 3) == 2", true],
    ["(6 | 3) == 7", true],
    ["(6 ^ 3) == 5", true],
    ["(1 << 3) == 8", true],
    ["(16 >> 2) == 4", true],
    ["a + b == ab", true],
    ["a + 1 == a1", true],
    ["0x1F == 31", true],
    ["true ? true : false", true],
    ["false ? true : false", false],
    ["1 > 2 ? false : true", true],
    ["'2021-01-01' == '2021-01-01T00:00:00Z'", true],
    ["'2021-01-02' > '2021-01-01'", true],
    ["'2021-06-01 10:00' < '2021-06-01 11:00'", true],
  ])("%s is %s", (text, want) => {
    expect(evaluateWhen(text)).toBe(want);
    expect(() => parseWhen(text)).not.toThrow();
  });

  it("treats an empty when as true, as Argo does", () => {
    expect(evaluateWhen("")).toBe(true);
    expect(() => parseWhen("")).not.toThrow();
  });
});

describe("when: errors", () => {
  it.each<[string, RegExp]>([
    ["{x} == 1", /Invalid 'when' expression '\{x\} == 1': Invalid token: '\{' \(hint: try wrapping the affected expression in quotes \("\)\)/],
    ["a==-1", /Invalid token: '==-'/],
    ["a = b", /Invalid token: '='/],
    ["_a == b", /Invalid token: '_'/],
    ["hello world == x", /Cannot transition token types from VARIABLE \[hello\] to VARIABLE \[world\]/],
    ["3abc == 3abc", /Cannot transition token types from NUMERIC \[3\] to VARIABLE \[abc\]/],
    ["1.2.3 == 1", /Unable to parse numeric value '1.2.3' to float64/],
    ["(a == a", /Unbalanced parenthesis/],
    ["a == a)", /Unbalanced parenthesis/],
    ["a ==", /Unexpected end of expression/],
    ["'abc == abc", /Unclosed string literal/],
    ["[abc == abc", /Unclosed parameter bracket/],
    ["foo.bar == x", /Unable to access unexported field 'bar' in token 'foo.bar'/],
    ["foo. == x", /Hanging accessor on token 'foo.'/],
    ["len(x) == 1", /Undefined function len/],
    // Either quote character ends a string, whichever opened it.
    [`"it's" == x`, /Unclosed string literal/],
    ["/tmp/x == y", /Cannot transition token types from UNKNOWN \[<nil>\] to MODIFIER \[\/\]/],
  ])("%s cannot be parsed", (text, message) => {
    expect(() => parseWhen(text)).toThrow(WhenError);
    expect(() => parseWhen(text)).toThrow(message);
    expect(() => evaluateWhen(text)).toThrow(message);
    expect(() => evaluateWhen(text)).toThrow(/^Invalid 'when' expression/);
  });

  it.each<[string, RegExp]>([
    ["!foo", /Failed to parse 'when' expression '!foo': Cannot transition token types from PREFIX \[!\] to STRING \[foo\]/],
    ["x =~ '('", /Failed to parse 'when' expression.*Unable to compile regexp pattern '\('/],
  ])("%s fails once variables become strings", (text, message) => {
    expect(() => parseWhen(text)).toThrow(message);
    expect(() => evaluateWhen(text)).toThrow(message);
  });

  it.each<[string, RegExp]>([
    ["a-b == c", /Failed to evaluate 'when' expression 'a-b == c': Value 'a' cannot be used with the modifier '-', it is not a number/],
    ["'a' < 5", /Value 'a' cannot be used with the comparator '<', it is not a number/],
    ["a * 2 == 2", /Value 'a' cannot be used with the modifier '\*', it is not a number/],
    ["'x' && true", /Value 'x' cannot be used with the logical operator '&&', it is not a bool/],
    ["true && 'x'", /Value 'x' cannot be used with the logical operator '&&', it is not a bool/],
    ["x in y", /Value 'y' cannot be used with the comparator 'in'/],
    ["5 =~ 5", /Value '5' cannot be used with the comparator '=~'/],
    ["v1.2 == v1.2", /No parameter 'v1' found/],
    ["-a == 1", /Cannot transition token types from PREFIX \[-\] to STRING \[a\]/],
  ])("%s fails at evaluation", (text, message) => {
    expect(() => evaluateWhen(text)).toThrow(WhenError);
    expect(() => evaluateWhen(text)).toThrow(message);
  });

  it("short-circuits before type checks, like govaluate", () => {
    expect(evaluateWhen("false && 'x'")).toBe(false);
    expect(evaluateWhen("true || 'x'")).toBe(true);
  });

  it.each<[string, string]>([
    ["heads", "Expected boolean evaluation for 'heads'. Got heads"],
    ["1 + 1", "Expected boolean evaluation for '1 + 1'. Got 2"],
    ["'a' + 'b'", "Expected boolean evaluation for ''a' + 'b''. Got ab"],
    ["a, b", "Expected boolean evaluation for 'a, b'. Got [a b]"],
  ])("requires a bool: %s", (text, message) => {
    expect(() => evaluateWhen(text)).toThrow(message);
    expect(() => parseWhen(text)).not.toThrow();
  });
});
