import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatProblem, type ConfigProblem } from "../../../src/core/errors.js";
import { lintPaths } from "../../../src/engine/validate/index.js";

const EXAMPLES = "/work/shared/corpus/argo-workflows/examples";

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(name) ? [p] : [];
    });
}

const files = yamlFiles(EXAMPLES);
const errorsIn = (problems: ConfigProblem[], file: string) =>
  problems.filter((p) => p.severity === "error" && p.pos?.file === file).map(formatProblem);

describe("Argo's examples lint clean as one set", () => {
  let problems: ConfigProblem[] = [];
  beforeAll(async () => {
    problems = (await lintPaths([EXAMPLES], [])).problems;
  });

  it("finds every file", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files.map((f) => [relative(EXAMPLES, f), f]))("%s", (_name, file) => {
    expect(errorsIn(problems, file)).toEqual([]);
  });
});

describe("each example linted alone, with --templates the examples dir", () => {
  it.each(files.map((f) => [relative(EXAMPLES, f), f]))("%s", async (_name, file) => {
    const { problems } = await lintPaths([file], [EXAMPLES]);
    expect(problems.filter((p) => p.severity === "error").map(formatProblem)).toEqual([]);
  });
});
