import { describe, expect, it } from "vitest";
import { evaluateExpr, ExprError, formatGoValue, GoDuration } from "../../../src/engine/expr/expr-lang.js";

const env = { m: { b: 2, a: 1 }, xs: [3, 1, 2], strs: ["b", "a", "c"], nested: [1, [2, [3, [4]]]] };
const ev = (src: string): unknown => evaluateExpr(src, env);

describe("expr-lang builtins", () => {
  it.each<[string, unknown]>([
    ["len('héllo')", 5],
    ["len([1, 2])", 2],
    ["len(m)", 2],
    ["abs(-3)", 3],
    ["abs(-2.5)", 2.5],
    ["ceil(1.2)", 2],
    ["floor(1.8)", 1],
    ["floor(-1.2)", -2],
    ["round(1.5)", 2],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["round(1.4)", 1],
    ["int(3.9)", 3],
    ["int(-3.9)", -3],
    ["int('42')", 42],
    ["int('-7')", -7],
    ["float('1.5')", 1.5],
    ["float(2)", 2],
    ["float('1e3')", 1000],
    ["string(12)", "12"],
    ["string(1.5)", "1.5"],
    ["string(true)", "true"],
    ["string(nil)", "<nil>"],
    ["string([1, 'a'])", "[1 a]"],
    ["string({b: 1, a: 'x'})", "map[a:x b:1]"],
    ["trim('  hi  ')", "hi"],
    ["trim('__hi__', '_')", "hi"],
    ["trimPrefix('HelloWorld', 'Hello')", "World"],
    ["trimPrefix(' x')", "x"],
    ["trimSuffix('HelloWorld', 'World')", "Hello"],
    ["upper('abc')", "ABC"],
    ["lower('ABC')", "abc"],
    ["split('a,b,c', ',')", ["a", "b", "c"]],
    ["split('a,b,c', ',', 2)", ["a", "b,c"]],
    ["split('abc', '')", ["a", "b", "c"]],
    ["splitAfter('a,b,c', ',')", ["a,", "b,", "c"]],
    ["splitAfter('a,b,c', ',', 2)", ["a,", "b,c"]],
    ["replace('aaa', 'a', 'b')", "bbb"],
    ["replace('aaa', 'a', 'b', 2)", "bba"],
    ["replace('ab', '', '-')", "-a-b-"],
    ["repeat('ab', 3)", "ababab"],
    ["indexOf('apple pie', 'pie')", 6],
    ["indexOf('apple', 'z')", -1],
    ["lastIndexOf('apple pie apple', 'apple')", 10],
    ["hasPrefix('HelloWorld', 'Hello')", true],
    ["hasSuffix('HelloWorld', 'World')", true],
    ["max(5, 7)", 7],
    ["max([1, 9, 3])", 9],
    ["min(5, 7, 1.5)", 1.5],
    ["min(xs)", 1],
    ["mean([1, 2, 3, 4])", 2.5],
    ["median([3, 1, 2])", 2],
    ["median([4, 1, 2, 3])", 2.5],
    ["keys(m)", ["b", "a"]],
    ["values(m)", [2, 1]],
    ["toPairs({a: 1})", [["a", 1]]],
    ["fromPairs([['a', 1], ['b', 2]])", { a: 1, b: 2 }],
    ["first(xs)", 3],
    ["first([])", null],
    ["last(xs)", 2],
    ["get(xs, 1)", 1],
    ["get(xs, 10)", null],
    ["get(m, 'a')", 1],
    ["get(m, 'zz')", null],
    ["take(xs, 2)", [3, 1]],
    ["take(xs, 10)", [3, 1, 2]],
    ["toJSON({b: [1, 2], a: 'x'})", '{\n  "a": "x",\n  "b": [\n    1,\n    2\n  ]\n}'],
    ["toJSON([])", "[]"],
    ["fromJSON('{\"a\": [1, 2.5]}')", { a: [1, 2.5] }],
    ["toBase64('Hello World')", "SGVsbG8gV29ybGQ="],
    ["fromBase64('SGVsbG8gV29ybGQ=')", "Hello World"],
    ["join(['a', 'b', 'c'], ',')", "a,b,c"],
    ["join(['a', 'b'])", "ab"],
    ["reverse(xs)", [2, 1, 3]],
    ["uniq([1, 2, 1, 3, 2])", [1, 2, 3]],
    ["concat([1], [2, 3], [])", [1, 2, 3]],
    ["flatten(nested)", [1, 2, 3, 4]],
    ["sort(xs)", [1, 2, 3]],
    ["sort(strs, 'desc')", ["c", "b", "a"]],
    ["type(1)", "int"],
    ["type(1.5)", "float"],
    ["type('a')", "string"],
    ["type(nil)", "nil"],
    ["type([])", "array"],
    ["type({})", "map"],
    ["bitand(0b1010, 0b1100)", 0b1000],
    ["bitor(0b1010, 0b1100)", 0b1110],
    ["bitxor(0b1010, 0b1100)", 0b110],
    ["bitnand(0b1010, 0b1100)", 0b10],
    ["bitnot(0b1010)", -0b1011],
    ["bitshl(0b101101, 2)", 0b10110100],
    ["bitshr(0b101101, 2)", 0b1011],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("does not mutate its input when sorting or reversing", () => {
    ev("sort(xs)");
    ev("reverse(xs)");
    expect(env.xs).toEqual([3, 1, 2]);
  });

  it.each<[string, RegExp]>([
    ["int('3.5')", /invalid operation: int\(3.5\)/],
    ["int('abc')", /invalid operation: int\(abc\)/],
    ["float('x')", /invalid operation: float\(x\)/],
    ["upper(1)", /invalid argument for upper \(type int\)/],
    ["len(1, 2)", /invalid number of arguments for len \(expected 1, got 2\)/],
    ["repeat('a', -1)", /expected positive integer/],
    ["max()", /not enough arguments to call max/],
    ["max('a')", /invalid argument for max \(type string\)/],
    ["join([1, 2])", /invalid argument for join \(type int\)/],
    ["fromJSON('{')", /invalid JSON/],
    ["fromBase64('abc')", /illegal base64 data at input byte 3/],
    ["sort(xs, 'up')", /invalid order up/],
    ["keys([1])", /invalid argument for keys/],
    ["duration('5 parsecs')", /time: unknown unit/],
    ["date('not a date')", /invalid date not a date/],
  ])("%s fails", (src, message) => {
    expect(() => ev(src)).toThrow(ExprError);
    expect(() => ev(src)).toThrow(message);
  });
});

describe("expr-lang dates and durations", () => {
  it("parses durations and prints them like Go", () => {
    expect(ev("duration('1h30m')")).toEqual(new GoDuration(5400e9));
    expect(formatGoValue(ev("duration('1h')"))).toBe("1h0m0s");
    expect(formatGoValue(ev("duration('1.5s')"))).toBe("1.5s");
    expect(formatGoValue(ev("duration('250ms')"))).toBe("250ms");
    expect(formatGoValue(ev("duration('90s') + duration('30s')"))).toBe("2m0s");
    expect(ev("duration('1h') > duration('59m')")).toBe(true);
  });

  it("parses dates in expr-lang's default layouts and with a Go layout", () => {
    expect(ev("date('2023-08-14')")).toEqual(new Date("2023-08-14T00:00:00Z"));
    expect(ev("date('2023-08-14 10:11:12')")).toEqual(new Date("2023-08-14T10:11:12Z"));
    expect(ev("date('2023-08-14T00:00:00+02:00')")).toEqual(new Date("2023-08-13T22:00:00Z"));
    expect(ev("date('14/08/2023', '02/01/2006')")).toEqual(new Date("2023-08-14T00:00:00Z"));
    expect(ev("date('Mon, 14 Aug 2023 10:00:00 UTC')")).toEqual(new Date("2023-08-14T10:00:00Z"));
  });

  it("does date arithmetic", () => {
    expect(ev("date('2023-08-14') + duration('36h')")).toEqual(new Date("2023-08-15T12:00:00Z"));
    expect(formatGoValue(ev("date('2023-08-15') - date('2023-08-14')"))).toBe("24h0m0s");
    expect(ev("date('2023-08-15') > date('2023-08-14')")).toBe(true);
    expect(ev("now() > date('2020-01-01')")).toBe(true);
    expect(formatGoValue(ev("date('2023-08-14 10:11:12')"))).toBe("2023-08-14 10:11:12 +0000 UTC");
  });
});
