import { describe, expect, it } from "vitest";
import { codeFence, escapeCell, formatDuration, inlineCode, truncateToLimit } from "../../src/reporting/index.js";

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [850, "850ms"],
    [12_000, "12s"],
    [72_400, "1m 12s"],
    [60_000, "1m"],
    [3_725_000, "1h 2m"],
    [90_000_000, "1d 1h"],
  ])("%i ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("codeFence and inlineCode", () => {
  it("uses a fence longer than any backtick run in the content", () => {
    expect(codeFence("plain", "text")).toBe("```text\nplain\n```");
    expect(codeFence("a\n```\nb\n`````x", "text")).toBe("``````text\na\n```\nb\n`````x\n``````");
  });

  it("keeps backticks inside inline code", () => {
    expect(inlineCode("build")).toBe("`build`");
    expect(inlineCode("a`b")).toBe("``a`b``");
    expect(inlineCode("`x`")).toBe("`` `x` ``");
  });
});

describe("escapeCell", () => {
  it("keeps a cell on one line and its pipes out of the table", () => {
    expect(escapeCell("a|b\nc\r\nd <details>")).toBe("a\\|b c d &lt;details>");
    expect(escapeCell("x".repeat(20), 10)).toBe("x".repeat(9) + "…");
  });
});

describe("truncateToLimit", () => {
  it("joins everything when it fits", () => {
    expect(truncateToLimit(["a", "b"], 3, "never")).toBe("a\nb");
  });

  it("keeps whole sections and appends the note, within the limit", () => {
    const sections = Array.from({ length: 100 }, (_, i) => `row ${i}`);
    const out = truncateToLimit(sections, 60, (n) => `… ${n} more`);
    expect(out.length).toBeLessThanOrEqual(60);
    const lines = out.split("\n");
    expect(lines.at(-1)).toBe(`… ${100 - (lines.length - 1)} more`);
    expect(lines.slice(0, -1)).toEqual(sections.slice(0, lines.length - 1));
  });

  it("returns just the note when nothing fits", () => {
    expect(truncateToLimit(["x".repeat(100)], 20, "(cut)")).toBe("(cut)");
  });
});
