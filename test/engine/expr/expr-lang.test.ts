import { describe, expect, it } from "vitest";
import { evaluateExpr, ExprError, parseExpr } from "../../../src/engine/expr/expr-lang.js";

const env = {
  a: 1,
  b: 2.5,
  s: "hello",
  t: true,
  n: null,
  arr: [1, 2, 3, 4, 5],
  words: ["apple", "banana", "cherry"],
  obj: { x: 10, y: { z: "deep" }, "dash-key": "dashed", list: [{ v: 1 }, { v: 2 }] },
  users: [
    { name: "Ann", age: 30 },
    { name: "Bob", age: 25 },
    { name: "Cid", age: 35 },
  ],
};

const ev = (src: string, e: Record<string, unknown> = env): unknown => evaluateExpr(src, e);

describe("expr-lang literals", () => {
  it.each<[string, unknown]>([
    ["42", 42],
    ["0x2A", 42],
    ["0o52", 42],
    ["0b101010", 42],
    ["1_000_000", 1000000],
    ["0.5", 0.5],
    [".5", 0.5],
    ["1e3", 1000],
    ["2.5e-1", 0.25],
    ["'single'", "single"],
    ['"double"', "double"],
    ["`raw \\n ${x}`", "raw \\n ${x}"],
    ['"tab\\tnew\\nline"', "tab\tnew\nline"],
    ['"\\u00e9\\x41\\101"', "éAA"],
    ["'it\\'s'", "it's"],
    ["true", true],
    ["false", false],
    ["nil", null],
    ["[1, 'two', [3]]", [1, "two", [3]]],
    ["[1, 2,]", [1, 2]],
    ["[]", []],
    ["{a: 1, 'b': 2, \"c\": 3}", { a: 1, b: 2, c: 3 }],
    ["{(s): 1, 2: 'n'}", { hello: 1, "2": "n" }],
    ["{}", {}],
    ["1 /* comment */ + 2 // trailing", 3],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });
});

describe("expr-lang operators", () => {
  it.each<[string, unknown]>([
    ["1 + 2", 3],
    ["5 - 7", -2],
    ["3 * 4", 12],
    ["7 / 2", 3.5],
    ["10 / 5", 2],
    ["1 / 0", Infinity],
    ["7 % 3", 1],
    ["-7 % 3", -1],
    ["2 ** 10", 1024],
    ["2 ^ 3", 8],
    ["2 ** 3 ** 2", 512],
    ["-2 ** 2", -4],
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["10 - 2 - 3", 5],
    ["-a", -1],
    ["+a", 1],
    ["'ab' + 'cd'", "abcd"],
    ["a + b", 3.5],
    ["1 == 1.0", true],
    ["1 == '1'", false],
    ["'a' == 'a'", true],
    ["nil == nil", true],
    ["n == nil", true],
    ["a != nil", true],
    ["[1, 2] == [1, 2]", true],
    ["{a: 1} == {a: 1}", true],
    ["1 < 2", true],
    ["2 <= 2", true],
    ["3 > 2.5", true],
    ["'abc' < 'abd'", true],
    ["'b' >= 'a'", true],
    ["1 < 2 < 3", true],
    ["3 > 2 > 2", false],
    ["true && false", false],
    ["true and true", true],
    ["false || true", true],
    ["false or false", false],
    ["!true", false],
    ["not false", true],
    ["not (1 == 2)", true],
    ["false && s.missing.deeper", false],
    ["true || n.x", true],
    ["2 in [1, 2, 3]", true],
    ["'x' in ['a']", false],
    ["'x' in {x: 1}", true],
    ["'y' not in {x: 1}", true],
    ["4 not in arr", false],
    ["'a' in nil", false],
    ["'hello' matches '^h.*o$'", true],
    ["'hello' matches 'ell'", true],
    ["'Hello' matches '(?i)^hello$'", true],
    ["'hello' not matches 'z'", true],
    ["'foobar' contains 'oba'", true],
    ["'foobar' startsWith 'foo'", true],
    ["'foobar' endsWith 'bar'", true],
    ["'foobar' not startsWith 'bar'", true],
    ["n ?? 'default'", "default"],
    ["a ?? 2", 1],
    ["obj.nope ?? 'fallback'", "fallback"],
    ["t ? 'yes' : 'no'", "yes"],
    ["a == 1? 'one': 'other'", "one"],
    ["a == 2 ? 'two' : a == 1 ? 'one' : 'none'", "one"],
    ["false ?: 'other'", "other"],
    ["1..3", [1, 2, 3]],
    ["3..1", []],
    ["let x = 2; x * 3", 6],
    ["let x = 2; let y = x + 1; x * y", 6],
    ["s | upper()", "HELLO"],
    ["s | upper() | split('L')", ["HE", "", "O"]],
    ["arr | filter(# > 3)", [4, 5]],
    ["arr | map(# * 2) | sum()", 30],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });
});

describe("expr-lang member access, indexing and slices", () => {
  it.each<[string, unknown]>([
    ["obj.x", 10],
    ["obj['x']", 10],
    ["obj.y.z", "deep"],
    ["obj['dash-key']", "dashed"],
    ["obj.missing", null],
    ["obj.list[1].v", 2],
    ["obj?.y?.z", "deep"],
    ["n?.x", null],
    ["n?.x.y.z", null],
    ["n?.[0]", null],
    ["obj.nope?.deeper", null],
    ["arr[0]", 1],
    ["arr[-1]", 5],
    ["arr[1:3]", [2, 3]],
    ["arr[:2]", [1, 2]],
    ["arr[3:]", [4, 5]],
    ["arr[1:-1]", [2, 3, 4]],
    ["arr[:]", [1, 2, 3, 4, 5]],
    ["arr[-10:10]", [1, 2, 3, 4, 5]],
    ["s[1:3]", "el"],
    ["s[0]", "h"],
    ["$env.a", 1],
    ["$env['obj'].x", 10],
    ["'a' in $env", true],
    ["obj.in", null],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });
});

describe("expr-lang closures and predicates", () => {
  it.each<[string, unknown]>([
    ["all(arr, {# > 0})", true],
    ["all([], {# > 0})", true],
    ["any(arr, # > 4)", true],
    ["none(arr, # > 5)", true],
    ["one(arr, # == 3)", true],
    ["one(arr, # > 3)", false],
    ["filter(arr, # % 2 == 0)", [2, 4]],
    ["map(arr, # * 10)", [10, 20, 30, 40, 50]],
    ["map(arr, #index)", [0, 1, 2, 3, 4]],
    ["map(users, .name)", ["Ann", "Bob", "Cid"]],
    ["map(users, {.name + '!'})", ["Ann!", "Bob!", "Cid!"]],
    ["filter(users, .age > 26) | map(.name)", ["Ann", "Cid"]],
    ["count(arr, # > 2)", 3],
    ["count([true, false, true])", 2],
    ["find(arr, # > 2)", 3],
    ["find(arr, # > 9)", null],
    ["findIndex(arr, # > 2)", 2],
    ["findLast(arr, # < 3)", 2],
    ["findLastIndex(arr, # < 3)", 1],
    ["groupBy(arr, # % 2 == 0)", { false: [1, 3, 5], true: [2, 4] }],
    ["sortBy(users, .age) | map(.name)", ["Bob", "Ann", "Cid"]],
    ["sortBy(users, .age, 'desc') | map(.name)", ["Cid", "Ann", "Bob"]],
    ["sum(arr)", 15],
    ["sum(users, .age)", 90],
    ["mean(arr)", 3],
    ["reduce(arr, #acc + #)", 15],
    ["reduce(arr, #acc + #, 100)", 115],
    ["map([[1, 2], [3]], map(#, # + 1))", [[2, 3], [4]]],
    ["map(arr, let d = # * 2; d + 1)", [3, 5, 7, 9, 11]],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("builds maps inside a braced closure", () => {
    expect(ev("map(arr[:2], { {v: #, sq: # * #} })")).toEqual([
      { v: 1, sq: 1 },
      { v: 2, sq: 4 },
    ]);
  });
});

describe("expr-lang errors", () => {
  it.each<[string, RegExp]>([
    ["1 +", /unexpected end of expression \(1:4\)/],
    ["(1 + 2", /an opened parenthesis is not balanced/],
    ["[1, 2", /unexpected end of expression/],
    ["'abc", /literal not terminated/],
    ["1 @ 2", /unrecognized character: U\+0040 '@'/],
    ['"\\q"', /invalid char escape/],
    ["a ?? b + c", /cannot be mixed/],
    ["a not b", /unexpected token "b"/],
    ["0b102", /invalid number/],
    ["let = 1; 2", /unexpected token "="/],
    ["x ? 1", /unexpected end of expression/],
  ])("parse error for %s", (src, message) => {
    expect(() => parseExpr(src)).toThrow(ExprError);
    expect(() => parseExpr(src)).toThrow(message);
  });

  it("reports the offset of a syntax error", () => {
    try {
      parseExpr("1 +\n  * 2");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExprError);
      expect((e as ExprError).offset).toBe(6);
      expect((e as ExprError).message).toContain("(2:3)");
    }
  });

  it.each<[string, RegExp]>([
    ["unknownVar", /unknown name unknownVar/],
    ["n.x", /cannot fetch x from <nil>/],
    ["obj.nope.deeper", /cannot fetch deeper from <nil>/],
    ["'a' < 1", /invalid operation: < \(mismatched types string and int\)/],
    ["'a' + 1", /invalid operation: \+ \(mismatched types string and int\)/],
    ["'a' - 'b'", /invalid operation: - \(mismatched types string and string\)/],
    ["1.5 % 1", /invalid operation: %/],
    ["1 % 0", /integer divide by zero/],
    ["arr[10]", /index out of range: 10 \(array length is 5\)/],
    ["arr['x']", /cannot fetch x from \[\]interface \{\}/],
    ["!1", /invalid operation: ! \(mismatched type int\)/],
    ["-'a'", /invalid operation: - \(mismatched type string\)/],
    ["1 && true", /invalid operation: && \(mismatched types int and bool\)/],
    ["true && 'x'", /invalid operation: && \(mismatched types bool and string\)/],
    ["s ? 1 : 2", /non-bool expression \(type string\) used as condition/],
    ["1 contains 'a'", /invalid operation: contains/],
    ["'a' matches '('", /error parsing regexp/],
    ["filter(a, # > 1)", /cannot iterate over int/],
    ["filter(arr, #)", /predicate of filter must return a bool/],
    ["# + 1", /unexpected token "#"/],
    ["notAFunction(1)", /unknown name notAFunction/],
    ["obj.x(1)", /obj.x is not a function \(type int\)/],
    ["len(1)", /invalid argument for len \(type int\)/],
    ["1 in 2", /invalid operation: in/],
  ])("runtime error for %s", (src, message) => {
    let err: unknown;
    try {
      evaluateExpr(src, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprError);
    expect((err as Error).message).toMatch(message);
  });

  it("gives runtime errors an offset", () => {
    try {
      evaluateExpr("1 + n.x", env);
      expect.unreachable();
    } catch (e) {
      expect((e as ExprError).offset).toBe(6);
    }
  });
});

describe("expr-lang ASTs and caching", () => {
  it("evaluates a pre-parsed AST", () => {
    const ast = parseExpr("a + 1");
    expect(evaluateExpr(ast, { a: 41 })).toBe(42);
    expect(evaluateExpr(ast, { a: 1 })).toBe(2);
  });

  it("re-evaluates cached sources against a new env", () => {
    for (let i = 0; i < 1500; i++) expect(evaluateExpr(`x + ${i % 3}`, { x: i })).toBe(i + (i % 3));
  });

  it("hides builtins disabled like Argo's DisableBuiltin(\"string\")", () => {
    expect(evaluateExpr("string(1)", {})).toBe("1");
    expect(() => evaluateExpr("string(1)", {}, { disabledBuiltins: ["string"] })).toThrow(/unknown func string/);
  });

  it("does not read prototype properties", () => {
    expect(ev("obj.constructor")).toBeNull();
    expect(ev("{}.toString")).toBeNull();
    expect(ev("{'__proto__': 1}")).toEqual(JSON.parse('{"__proto__": 1}'));
  });
});
