import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// src/reporting renders values to text: it may read the model and the error types, nothing that does I/O.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");
const DIR = join(SRC, "reporting");
const ALLOWED = ["reporting/", "engine/model/", "core/errors.js"];

describe("src/reporting imports", () => {
  it("only the model, the error types and itself", () => {
    const bad: string[] = [];
    for (const file of readdirSync(DIR).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(join(DIR, file), "utf8");
      for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm)) {
        const target = m[1].startsWith(".") ? relative(SRC, resolve(DIR, m[1])).replace(/\\/g, "/") : m[1];
        if (!ALLOWED.some((a) => target.startsWith(a))) bad.push(`${file} imports ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
