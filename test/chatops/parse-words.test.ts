import { describe, expect, it } from "vitest";
import { parseCommands, type ParsedCommand } from "../../src/chatops/parse.js";

type Shape = Pick<ParsedCommand, "verb" | "target" | "args" | "flags" | "params">;

/** The one command on a line, without its position. */
function one(line: string, takesValue?: (verb: string, flag: string) => boolean): Shape {
  const { commands, problems } = parseCommands(line, { takesValue });
  expect(problems).toEqual([]);
  expect(commands).toHaveLength(1);
  const { verb, target, args, flags, params } = commands[0];
  return { verb, target, args, flags, params };
}

const cmd = (verb: string, more: Partial<Shape> = {}): Shape => ({
  verb,
  target: undefined,
  args: [],
  flags: {},
  params: {},
  ...more,
});

describe("words of a command", () => {
  it.each<[string, string, Shape]>([
    ["verb only", "/tiphys retry", cmd("retry")],
    ["verb and target", "/tiphys retry build", cmd("retry", { target: "build" })],
    ["extra positional words", "/tiphys retry a b c", cmd("retry", { target: "a", args: ["b", "c"] })],
    ["verb is case-insensitive", "/TIPHYS Ok-To-Test", cmd("ok-to-test")],
    ["target keeps its case", "/tiphys RETRY Build", cmd("retry", { target: "Build" })],
    ["extra spaces", "/tiphys   retry    build   ", cmd("retry", { target: "build" })],
    ["switch flag", "/tiphys promote --full", cmd("promote", { flags: { full: true } })],
    ["flag names are lower-cased", "/tiphys promote --Full", cmd("promote", { flags: { full: true } })],
    ["--flag=value", "/tiphys promote --step=3", cmd("promote", { flags: { step: "3" } })],
    ["--flag= is an empty value", "/tiphys promote --step=", cmd("promote", { flags: { step: "" } })],
    ["only the first = splits", "/tiphys promote --expr=a==b", cmd("promote", { flags: { expr: "a==b" } })],
    ["--flag value without a registry: the value is positional", "/tiphys promote --step 3", cmd("promote", { target: "3", flags: { step: true } })],
    ["a repeated switch", "/tiphys promote --full --full", cmd("promote", { flags: { full: true } })],
    ["key=value", "/tiphys retry build image=v2", cmd("retry", { target: "build", params: { image: "v2" } })],
    ["keys keep their case", "/tiphys retry Image=v2 a.b-c_d=1", cmd("retry", { params: { Image: "v2", "a.b-c_d": "1" } })],
    ["a value with = in it", "/tiphys retry q=a=b", cmd("retry", { params: { q: "a=b" } })],
    ["a URL is positional", "/tiphys retry https://x.test/?a=b", cmd("retry", { target: "https://x.test/?a=b" })],
    ["flags, params and target in any order", "/tiphys promote k=v --full app", cmd("promote", { target: "app", flags: { full: true }, params: { k: "v" } })],
    ["an em dash typed for --", "/tiphys promote —full", cmd("promote", { flags: { full: true } })],
    ["an en dash typed for --", "/tiphys promote –full", cmd("promote", { flags: { full: true } })],
    ["an apostrophe inside a word", "/tiphys retry don't", cmd("retry", { target: "don't" })],
    ["a trailing HTML comment", "/tiphys retry build <!-- flaky -->", cmd("retry", { target: "build" })],
  ])("%s", (_case, line, expected) => {
    expect(one(line)).toEqual(expected);
  });
});

describe("quoting", () => {
  it.each<[string, string, Shape]>([
    ["a target with spaces", '/tiphys retry "build and test"', cmd("retry", { target: "build and test" })],
    ["a value with spaces", '/tiphys retry msg="a b"', cmd("retry", { params: { msg: "a b" } })],
    ["single quotes", "/tiphys retry msg='a b'", cmd("retry", { params: { msg: "a b" } })],
    ["an empty quoted value", '/tiphys retry msg=""', cmd("retry", { params: { msg: "" } })],
    ["a flag value with spaces", '/tiphys promote --note="a b"', cmd("promote", { flags: { note: "a b" } })],
    ["escaped quotes", '/tiphys retry "say \\"hi\\""', cmd("retry", { target: 'say "hi"' })],
    ["typographic quotes", "/tiphys retry “build and test”", cmd("retry", { target: "build and test" })],
    ["a quoted key=value is positional", '/tiphys retry "a=b"', cmd("retry", { target: "a=b" })],
    ["a quoted --flag is positional", '/tiphys retry "--full"', cmd("retry", { target: "--full" })],
    ["quotes join with what follows", '/tiphys retry "a b"c', cmd("retry", { target: "a bc" })],
  ])("%s", (_case, line, expected) => {
    expect(one(line)).toEqual(expected);
  });
});

describe("`--` ends the flags", () => {
  it.each<[string, string, Shape]>([
    ["words after -- are positional", "/tiphys retry -- --full a=b", cmd("retry", { target: "--full", args: ["a=b"] })],
    ["a second -- is a word", "/tiphys retry -- --", cmd("retry", { target: "--" })],
    ["a trailing -- changes nothing", "/tiphys promote --full --", cmd("promote", { flags: { full: true } })],
    ["flags before -- still count", "/tiphys promote --full -- x", cmd("promote", { target: "x", flags: { full: true } })],
  ])("%s", (_case, line, expected) => {
    expect(one(line)).toEqual(expected);
  });
});

describe("--flag value, when told which flags take values", () => {
  const takesValue = (verb: string, flag: string) => verb === "promote" && flag === "step";

  it.each<[string, string, Shape]>([
    ["takes the next word", "/tiphys promote --step 3 canary", cmd("promote", { target: "canary", flags: { step: "3" } })],
    ["not a following flag", "/tiphys promote --step --full", cmd("promote", { flags: { step: true, full: true } })],
    ["not past the end", "/tiphys promote --step", cmd("promote", { flags: { step: true } })],
    ["only for flags that take values", "/tiphys promote --full canary", cmd("promote", { target: "canary", flags: { full: true } })],
    ["only for that verb", "/tiphys retry --step 3", cmd("retry", { target: "3", flags: { step: true } })],
  ])("%s", (_case, line, expected) => {
    expect(one(line, takesValue)).toEqual(expected);
  });
});

describe("lines that start with the prefix but are not commands", () => {
  it.each([
    ["no verb", "/tiphys", "`/tiphys` needs a command: try `/tiphys help`"],
    ["only spaces after the prefix", "/tiphys   ", "`/tiphys` needs a command: try `/tiphys help`"],
    ["a flag for a verb", "/tiphys --help", "`--help` is not a command name: try `/tiphys help`"],
    ["a quoted verb", '/tiphys "retry"', "`retry` is not a command name: try `/tiphys help`"],
    ["punctuation in the verb", "/tiphys retry!", "`retry!` is not a command name"],
    ["three dashes", "/tiphys promote ---full", "`---full`: a flag starts with exactly two dashes"],
    ["a flag without a name", "/tiphys promote --=3", "`--=3`: the flag has no name"],
    ["a bad flag name", "/tiphys promote --fu!l", "`--fu!l` is not a valid flag"],
    ["one dash", "/tiphys promote -f", "`-f`: flags start with two dashes, as in `--f`"],
    ["an unclosed quote", '/tiphys retry "build and', 'the quote at `"build and` is never closed'],
    ["a flag given two values", "/tiphys promote --step=1 --step=2", "`--step` is given twice"],
    ["a key given two values", "/tiphys retry a=1 a=2", "`a` is given twice"],
  ])("%s", (_case, line, message) => {
    const { commands, problems } = parseCommands(`ok\n${line}`);
    expect(commands).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(2);
    expect(problems[0].message).toContain(message);
  });

  it("reports the bad line and still runs the good ones", () => {
    const { commands, problems } = parseCommands("/tiphys retry\n/tiphys ---x\n/tiphys cancel");
    expect(commands.map((c) => c.verb)).toEqual(["retry", "cancel"]);
    expect(problems.map((p) => p.line)).toEqual([2]);
  });
});

describe("options and positions", () => {
  it("uses another prefix when given one", () => {
    const { commands } = parseCommands("/tiphys retry\n/ci retry\n/cix retry", { prefix: "/ci" });
    expect(commands.map((c) => `${c.verb}@${c.line}`)).toEqual(["retry@2"]);
  });

  it("records the 1-based line and the trimmed text as written", () => {
    const [c] = parseCommands("hello\n\n  /tiphys retry  build  \n").commands;
    expect(c.line).toBe(3);
    expect(c.raw).toBe("/tiphys retry  build");
  });
});
