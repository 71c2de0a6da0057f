import { describe, expect, it } from "vitest";
import { evaluateExpr, ExprError } from "../../../src/engine/expr/expr-lang.js";

const env = {
  list: [1, 2, 3],
  d: { a: 1, b: { c: 2 } },
  d2: { a: 9, b: { c: 3, e: 4 }, f: 5 },
  jsonText: '{"a": 1}',
};
const ev = (src: string): unknown => evaluateExpr(src, env);

describe("sprig strings", () => {
  it.each<[string, unknown]>([
    ["sprig.trim('  x  ')", "x"],
    ["sprig.trimAll('$', '$5.00$')", "5.00"],
    ["sprig.trimPrefix('-', '-hi')", "hi"],
    ["sprig.trimSuffix('-', 'hi-')", "hi"],
    ["sprig.upper('hello')", "HELLO"],
    ["sprig.lower('HELLO')", "hello"],
    ["sprig.title('hello world-wide x_y')", "Hello World-Wide X_y"],
    ["sprig.untitle('Hello World')", "hello World"],
    ["sprig.repeat(3, 'ab')", "ababab"],
    ["sprig.substr(0, 5, 'hello world')", "hello"],
    ["sprig.substr(6, -1, 'hello world')", "world"],
    ["sprig.substr(-1, 2, 'hello')", "he"],
    ["sprig.nospace('h e l\tl\no')", "hello"],
    ["sprig.trunc(5, 'hello world')", "hello"],
    ["sprig.trunc(-5, 'hello world')", "world"],
    ["sprig.trunc(50, 'hello')", "hello"],
    ["sprig.abbrev(5, 'hello world')", "he..."],
    ["sprig.abbrev(3, 'hello world')", "hello world"],
    ["sprig.abbrevboth(5, 10, '1234 5678 9123')", "...5678..."],
    ["sprig.initials('First Try')", "FT"],
    ["sprig.contains('cat', 'catch')", true],
    ["sprig.hasPrefix('cat', 'catch')", true],
    ["sprig.hasSuffix('ch', 'catch')", true],
    ["sprig.quote('a\"b', 1, nil)", '"a\\"b" "1"'],
    ["sprig.squote('a', 2)", "'a' '2'"],
    ["sprig.cat('hello', 'beautiful', nil, 'world', 1)", "hello beautiful world 1"],
    ["sprig.indent(2, 'a\\nb')", "  a\n  b"],
    ["sprig.nindent(2, 'a')", "\n  a"],
    ["sprig.replace(' ', '-', 'a b c')", "a-b-c"],
    ["sprig.plural('one anchovy', 'many anchovies', 1)", "one anchovy"],
    ["sprig.plural('one anchovy', 'many anchovies', 2)", "many anchovies"],
    ["sprig.snakecase('FirstName')", "first_name"],
    ["sprig.snakecase('HTTPServer')", "http_server"],
    ["sprig.kebabcase('FirstName')", "first-name"],
    ["sprig.camelcase('http_server')", "HttpServer"],
    ["sprig.camelcase('GOLANG_IS_GREAT')", "GolangIsGreat"],
    ["sprig.swapcase('Hello')", "hELLO"],
    ["sprig.split('$', 'foo$bar$baz')", { _0: "foo", _1: "bar", _2: "baz" }],
    ["sprig.splitn('$', 2, 'foo$bar$baz')", { _0: "foo", _1: "bar$baz" }],
    ["sprig.splitList('$', 'foo$bar$baz')", ["foo", "bar", "baz"]],
    ["sprig.join('-', ['a', 1, nil, true])", "a-1-true"],
    ["sprig.sortAlpha(['c', 'a', 'b'])", ["a", "b", "c"]],
    ["sprig.toString(1.5)", "1.5"],
    ["sprig.toStrings([1, 'a'])", ["1", "a"]],
    ["sprig.b64enc('hello')", "aGVsbG8="],
    ["sprig.b64dec('aGVsbG8=')", "hello"],
    ["sprig.b64dec('!!')", "illegal base64 data at input byte 0"],
    ["sprig.b32enc('hello')", "NBSWY3DP"],
    ["sprig.b32dec('NBSWY3DP')", "hello"],
    ["sprig.b32enc('hi')", "NBUQ===="],
    ["sprig.b32dec('NBUQ====')", "hi"],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });
});

describe("sprig numbers (int64 coercion as spf13/cast)", () => {
  it.each<[string, unknown]>([
    ["sprig.add(1, 2, 3)", 6],
    ["sprig.add('4', 1.9)", 5],
    ["sprig.add('x', 1)", 1],
    ["sprig.add1(41)", 42],
    ["sprig.sub(10, 3)", 7],
    ["sprig.mul(2, 3, 4)", 24],
    ["sprig.div(7, 2)", 3],
    ["sprig.div(-7, 2)", -3],
    ["sprig.mod(7, 3)", 1],
    ["sprig.max(1, '9', 3)", 9],
    ["sprig.min(4, 2.9, 3)", 2],
    ["sprig.biggest(1, 5)", 5],
    ["sprig.addf(1.5, 2)", 3.5],
    ["sprig.subf(5, 1.5)", 3.5],
    ["sprig.mulf(1.5, 2)", 3],
    ["sprig.divf(7, 2)", 3.5],
    ["sprig.maxf(1.5, 2.5)", 2.5],
    ["sprig.minf(1.5, 2.5)", 1.5],
    ["sprig.floor(1.7)", 1],
    ["sprig.ceil(1.2)", 2],
    ["sprig.round(3.14159, 2)", 3.14],
    ["sprig.round(2.5, 0)", 3],
    ["sprig.int('12')", 12],
    ["sprig.int('0x1F')", 31],
    ["sprig.int('010')", 8],
    ["sprig.int('3.0')", 3],
    ["sprig.int('3.5')", 0],
    ["sprig.int64(7.9)", 7],
    ["sprig.float64('1.25')", 1.25],
    ["sprig.atoi('42')", 42],
    ["sprig.atoi('x')", 0],
    ["sprig.seq(3)", "1 2 3"],
    ["sprig.seq(2, 4)", "2 3 4"],
    ["sprig.seq(0, 2, 6)", "0 2 4 6"],
    ["sprig.seq(-3)", "1 0 -1 -2 -3"],
    ["sprig.until(3)", [0, 1, 2]],
    ["sprig.untilStep(3, 6, 2)", [3, 5]],
    ["sprig.toDecimal('0777')", 511],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("fails on integer division by zero", () => {
    expect(() => ev("sprig.div(1, 0)")).toThrow(/integer divide by zero/);
  });
});

describe("sprig lists, dicts and defaults", () => {
  it.each<[string, unknown]>([
    ["sprig.list(1, 'a')", [1, "a"]],
    ["sprig.first(list)", 1],
    ["sprig.last(list)", 3],
    ["sprig.rest(list)", [2, 3]],
    ["sprig.initial(list)", [1, 2]],
    ["sprig.rest([])", null],
    ["sprig.append(list, 4)", [1, 2, 3, 4]],
    ["sprig.prepend(list, 0)", [0, 1, 2, 3]],
    ["sprig.concat(list, [4], [5])", [1, 2, 3, 4, 5]],
    ["sprig.reverse(list)", [3, 2, 1]],
    ["sprig.uniq([1, 1, 2])", [1, 2]],
    ["sprig.has(2, list)", true],
    ["sprig.has(9, list)", false],
    ["sprig.without(list, 1, 3)", [2]],
    ["sprig.compact([1, '', nil, 0, 'x', false])", [1, "x"]],
    ["sprig.slice(list, 1)", [2, 3]],
    ["sprig.slice(list, 0, 2)", [1, 2]],
    ["sprig.chunk(2, [1, 2, 3, 4, 5])", [[1, 2], [3, 4], [5]]],
    ["sprig.dict('a', 1, 'b')", { a: 1, b: "" }],
    ["sprig.get(d, 'a')", 1],
    ["sprig.get(d, 'zz')", ""],
    ["sprig.set(d, 'z', 26).z", 26],
    ["sprig.unset(d, 'a')", { b: { c: 2 } }],
    ["sprig.hasKey(d, 'a')", true],
    ["sprig.pluck('a', d, d2, {})", [1, 9]],
    ["sprig.keys(d)", ["a", "b"]],
    ["sprig.values({x: 1})", [1]],
    ["sprig.pick(d2, 'a', 'f')", { a: 9, f: 5 }],
    ["sprig.omit(d2, 'a', 'b')", { f: 5 }],
    ["sprig.merge(d, d2)", { a: 1, b: { c: 2, e: 4 }, f: 5 }],
    ["sprig.mergeOverwrite(d, d2)", { a: 9, b: { c: 3, e: 4 }, f: 5 }],
    ["sprig.dig('b', 'c', 'none', d)", 2],
    ["sprig.dig('b', 'x', 'none', d)", "none"],
    ["sprig.default('foo', '')", "foo"],
    ["sprig.default('foo', 'bar')", "bar"],
    ["sprig.default('foo', nil)", "foo"],
    ["sprig.empty('')", true],
    ["sprig.empty(0)", true],
    ["sprig.empty([1])", false],
    ["sprig.coalesce(nil, '', 0, 'x')", "x"],
    ["sprig.all(1, 'a', true)", true],
    ["sprig.any(0, '', 'a')", true],
    ["sprig.ternary('yes', 'no', true)", "yes"],
    ["sprig.ternary('yes', 'no', false)", "no"],
    ["sprig.toJson({b: 1, a: '<x>'})", '{"a":"\\u003cx\\u003e","b":1}'],
    ["sprig.toRawJson({a: '<x>'})", '{"a":"<x>"}'],
    ["sprig.toPrettyJson({a: [1]})", '{\n  "a": [\n    1\n  ]\n}'],
    ["sprig.fromJson(jsonText).a", 1],
    ["sprig.fromJson('{')", null],
    ["sprig.typeOf('x')", "string"],
    ["sprig.typeOf(list)", "[]interface {}"],
    ["sprig.kindOf(d)", "map"],
    ["sprig.kindIs('slice', list)", true],
    ["sprig.deepEqual([1, {a: 2}], [1, {a: 2}])", true],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("does not mutate dicts passed to set/unset/merge", () => {
    ev("sprig.set(d, 'z', 1)");
    ev("sprig.unset(d, 'a')");
    ev("sprig.merge(d, d2)");
    expect(env.d).toEqual({ a: 1, b: { c: 2 } });
  });

  it("fails where sprig errors", () => {
    expect(() => ev("sprig.first(1)")).toThrow(/Cannot find first on type int/);
    expect(() => ev("sprig.mustFromJson('{')")).toThrow(ExprError);
    expect(() => ev("sprig.fail('boom')")).toThrow(/boom/);
    expect(() => ev("sprig.upper(1)")).toThrow(/invalid argument for upper/);
  });

  it("has no env or expandenv", () => {
    expect(() => ev("sprig.env('HOME')")).toThrow(/sprig.env is not a function \(type <nil>\)/);
    expect(() => ev("sprig.expandenv('$HOME')")).toThrow(ExprError);
  });
});

describe("sprig regex, hashes, dates, paths", () => {
  it.each<[string, unknown]>([
    ["sprig.regexMatch('^[a-z]+\\\\d$', 'abc1')", true],
    ["sprig.regexMatch('(', 'x')", false],
    ["sprig.regexFind('[a-z]+', 'x12abc34')", "x"],
    ["sprig.regexFindAll('[0-9]+', 'a1b22c333', -1)", ["1", "22", "333"]],
    ["sprig.regexFindAll('[0-9]+', 'a1b22c333', 2)", ["1", "22"]],
    ["sprig.regexFindAll('a*', 'baaac', -1)", ["", "aaa", ""]],
    ["sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"],
    ["sprig.regexReplaceAll('(?P<first>\\\\w+) (?P<last>\\\\w+)', 'John Smith', '$last, $first')", "Smith, John"],
    ["sprig.regexReplaceAllLiteral('a(x*)b', '-ab-axxb-', '${1}')", "-${1}-${1}-"],
    ["sprig.regexSplit('z+', 'pizza', -1)", ["pi", "a"]],
    ["sprig.regexSplit('z+', 'pizza', 1)", ["pizza"]],
    ["sprig.regexQuoteMeta('1.5+x')", "1\\.5\\+x"],
    ["sprig.sha1sum('hello')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"],
    ["sprig.sha256sum('hello')", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"],
    ["sprig.adler32sum('hello')", "103547413"],
    ["len(sprig.uuidv4())", 36],
    ["len(sprig.randAlphaNum(8))", 8],
    ["sprig.date('2006-01-02', date('2023-08-14 10:11:12'))", "2023-08-14"],
    ["sprig.date('Jan 2, 2006 at 3:04pm (MST)', date('2023-08-14 15:11:12'))", "Aug 14, 2023 at 3:11pm (UTC)"],
    ["sprig.date('20060102T150405.000Z07:00', date('2023-08-14 10:11:12'))", "20230814T101112.000Z"],
    ["sprig.unixEpoch(date('2023-08-14'))", "1691971200"],
    ["sprig.toDate('2006-01-02', '2023-08-14') == date('2023-08-14')", true],
    ["sprig.duration(95)", "1m35s"],
    ["sprig.base('/a/b/c.txt')", "c.txt"],
    ["sprig.dir('/a/b/c.txt')", "/a/b"],
    ["sprig.ext('/a/b/c.txt')", ".txt"],
    ["sprig.clean('/a/../b//c/.')", "/b/c"],
    ["sprig.isAbs('/a')", true],
  ])("%s", (src, want) => {
    expect(ev(src)).toEqual(want);
  });

  it("returns a Date from now()", () => {
    expect(ev("sprig.now()")).toBeInstanceOf(Date);
  });
});
