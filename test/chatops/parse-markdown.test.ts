import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/chatops/parse.js";

/** `verb target @line` for each command found, so a table row reads like the comment it checks. */
const found = (body: string) =>
  parseCommands(body).commands.map((c) => `${c.verb}${c.target === undefined ? "" : " " + c.target} @${c.line}`);

const lines = (...l: string[]) => l.join("\n");

describe("where a command may be written", () => {
  it.each([
    // [case, body, commands found]
    ["a command alone", "/tiphys retry", ["retry @1"]],
    ["after prose and a blank line", lines("Thanks!", "", "/tiphys ok-to-test", "more prose"), ["ok-to-test @3"]],
    ["several commands, one per line", lines("/tiphys retry", "/tiphys cancel e2e"), ["retry @1", "cancel e2e @2"]],
    ["up to 3 leading spaces", "   /tiphys retry", ["retry @1"]],
    ["4 leading spaces: indented code", "    /tiphys retry", []],
    ["a leading tab: indented code", "\t/tiphys retry", []],
    ["indented line continuing a paragraph", lines("some text", "    /tiphys retry"), []],
    ["not at the start of the line", "please /tiphys retry", []],
    ["in a list item", "- /tiphys retry", []],
    ["in bold", "**/tiphys retry**", []],
    ["in an inline code span", "`/tiphys retry`", []],
    ["a longer word than the prefix", "/tiphysfoo retry", []],
    ["the prefix joined by a dash", "/tiphys-retry", []],
    ["a non-breaking space after the prefix", "/tiphys\u00a0retry", ["retry @1"]],
  ])("%s", (_case, body, expected) => {
    expect(found(body)).toEqual(expected);
  });
});

describe("fenced code blocks hide commands", () => {
  it.each([
    ["backtick fence", lines("```", "/tiphys retry", "```", "/tiphys cancel"), ["cancel @4"]],
    ["tilde fence", lines("~~~", "/tiphys retry", "~~~", "/tiphys cancel"), ["cancel @4"]],
    ["fence with an info string", lines("```yaml title=x", "/tiphys retry", "```", "/tiphys cancel"), ["cancel @4"]],
    ["fence indented by 2", lines("  ```", "/tiphys retry", "  ```", "/tiphys cancel"), ["cancel @4"]],
    ["closing fence with trailing spaces", lines("```", "/tiphys retry", "```   ", "/tiphys cancel"), ["cancel @4"]],
    ["longer fence is not closed by a shorter one", lines("````", "```", "/tiphys retry", "```", "/tiphys abort", "````", "/tiphys cancel"), ["cancel @7"]],
    ["closing fence may be longer", lines("```", "/tiphys retry", "`````", "/tiphys cancel"), ["cancel @4"]],
    ["~~~ does not close ```", lines("```", "~~~", "/tiphys retry", "```", "/tiphys cancel"), ["cancel @5"]],
    ["``` does not close ~~~", lines("~~~", "```", "/tiphys retry", "~~~", "/tiphys cancel"), ["cancel @5"]],
    ["a fence with an info string does not close", lines("```", "```js", "/tiphys retry", "```", "/tiphys cancel"), ["cancel @5"]],
    ["unclosed fence swallows the rest", lines("text", "```", "/tiphys retry", "", "/tiphys cancel"), []],
    ["two backticks are not a fence", lines("``", "/tiphys retry"), ["retry @2"]],
    ["```x``` on one line is inline code", lines("```x```", "/tiphys retry"), ["retry @2"]],
    ["fence indented by 4 is indented code, not a fence", lines("    ```", "/tiphys retry"), ["retry @2"]],
    ["fence in a list item", lines("- ```", "  /tiphys retry", "  ```", "/tiphys cancel"), ["cancel @4"]],
    ["fence in a numbered list item", lines("1. ~~~", "   /tiphys retry", "   ~~~", "/tiphys cancel"), ["cancel @4"]],
  ])("%s", (_case, body, expected) => {
    expect(found(body)).toEqual(expected);
  });
});

describe("block quotes are someone else's words", () => {
  it.each([
    ["quoted command", "> /tiphys retry", []],
    ["quoted without a space", ">/tiphys retry", []],
    ["quote indented by 3", "   > /tiphys retry", []],
    ["nested quote", "> > /tiphys retry", []],
    ["the writer's own line after a quote", lines("> can you retry?", "/tiphys retry"), ["retry @2"]],
    ["a fence opened inside a quote ends with it", lines("> ```", "/tiphys retry"), ["retry @2"]],
  ])("%s", (_case, body, expected) => {
    expect(found(body)).toEqual(expected);
  });
});

describe("HTML comments hide commands", () => {
  it.each([
    ["on one line", "<!-- /tiphys retry -->", []],
    ["over several lines", lines("<!--", "/tiphys retry", "-->", "/tiphys cancel"), ["cancel @4"]],
    ["a trailing comment on a command", "/tiphys retry <!-- it was flaky -->", ["retry @1"]],
    ["a comment opened at the end of a command", lines("/tiphys retry <!--", "/tiphys cancel", "-->"), ["retry @1"]],
    ["a command after a comment on its line", "<!-- note --> /tiphys retry", []],
    ["text after --> does not start a line", lines("<!--", "x --> /tiphys retry"), []],
    ["`<!--` in a code span", lines("Write `<!--` to hide text.", "/tiphys retry"), ["retry @2"]],
    ["<!--> is a complete comment", lines("<!-->", "/tiphys retry"), ["retry @2"]],
    ["<!-- in a fence opens nothing", lines("```", "<!--", "```", "/tiphys retry"), ["retry @4"]],
    ["a fence in a comment opens nothing", lines("<!--", "```", "-->", "/tiphys retry"), ["retry @4"]],
    ["a PR template's hidden hint", lines("## Summary", "<!-- Type /tiphys ok-to-test", "/tiphys ok-to-test -->", "done"), []],
  ])("%s", (_case, body, expected) => {
    expect(found(body)).toEqual(expected);
  });
});

describe("line endings", () => {
  it.each([
    ["CRLF", "/tiphys retry\r\n/tiphys cancel e2e\r\n", ["retry @1", "cancel e2e @2"]],
    ["CR only", "/tiphys retry\r/tiphys cancel", ["retry @1", "cancel @2"]],
    ["CRLF fences", "```\r\n/tiphys retry\r\n```\r\n/tiphys cancel\r\n", ["cancel @4"]],
    ["byte order mark", "\uFEFF/tiphys retry", ["retry @1"]],
  ])("%s", (_case, body, expected) => {
    expect(found(body)).toEqual(expected);
  });

  it("keeps no carriage return in the last word", () => {
    const [cmd] = parseCommands("/tiphys retry build\r\n").commands;
    expect(cmd.target).toBe("build");
    expect(cmd.raw).toBe("/tiphys retry build");
  });
});
