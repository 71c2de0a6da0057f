// Splitting long markdown into comments: every part within the limit, fences and tables whole in each.
import { describe, expect, it } from "vitest";
import { fenceFor, splitIntoParts, type Segment } from "../../src/app/comment-parts.js";

const heading = (i: number, total: number) => `# part ${i + 1} of ${total}`;

describe("splitIntoParts", () => {
  it("keeps short text in one part with its heading", () => {
    expect(splitIntoParts([{ lines: ["hello"] }, { lines: ["world"] }], { limit: 1000, headingReserve: 20, heading })).toEqual(["# part 1 of 1\n\nhello\n\nworld"]);
  });

  it("moves a segment that fits a part of its own to the next part rather than splitting it", () => {
    const parts = splitIntoParts([{ lines: ["a".repeat(50)] }, { lines: ["b".repeat(50)] }], { limit: 100, headingReserve: 20, heading });
    expect(parts).toEqual([`# part 1 of 2\n\n${"a".repeat(50)}`, `# part 2 of 2\n\n${"b".repeat(50)}`]);
  });

  it("splits a long fenced block between lines, closing and reopening the fence in every part", () => {
    const fence: Segment = { open: ["<details>", "```diff"], reopen: ["<details>", "```diff (more)"], lines: Array.from({ length: 30 }, (_, i) => `+line ${i}`), close: ["```", "</details>"] };
    const parts = splitIntoParts([fence], { limit: 120, headingReserve: 20, heading });
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(120);
      expect(p.split("\n").filter((l) => l.startsWith("```")).length).toBe(2);
      expect(p.endsWith("```\n</details>")).toBe(true);
    }
    expect(parts[1]).toContain("```diff (more)");
    const body = parts.map((p) => p.split("\n").filter((l) => l.startsWith("+line")).join("\n")).join("\n");
    expect(body).toBe(fence.lines.join("\n"));
  });

  it("repeats a table's header in each part", () => {
    const table: Segment = { open: ["| a |", "| - |"], lines: Array.from({ length: 20 }, (_, i) => `| ${i} |`) };
    const parts = splitIntoParts([table], { limit: 80, headingReserve: 20, heading });
    for (const p of parts) expect(p.split("\n").slice(2, 4)).toEqual(["| a |", "| - |"]);
  });

  it("cuts a single line longer than a whole part", () => {
    const [part, ...rest] = splitIntoParts([{ lines: ["x".repeat(500)] }], { limit: 200, headingReserve: 20, heading });
    expect(rest).toEqual([]);
    expect(part!.length).toBeLessThanOrEqual(200);
    expect(part).toContain("(line cut: too long for a comment)");
  });
});

describe("fenceFor", () => {
  it("is longer than any backtick run inside", () => {
    expect(fenceFor(["plain"])).toBe("```");
    expect(fenceFor(["a ```` b"])).toBe("`````");
  });
});
