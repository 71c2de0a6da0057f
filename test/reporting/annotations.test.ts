import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import {
  chunkAnnotations,
  configAnnotations,
  problemsFromConfig,
  renderConfigCheckRun,
  type AnnotationProblem,
} from "../../src/reporting/index.js";

const problem = (over: Partial<AnnotationProblem> = {}): AnnotationProblem => ({
  file: ".tiphys/ci.yaml",
  line: 12,
  column: 5,
  message: "unknown template \"biuld\"; did you mean \"build\"?",
  severity: "error",
  ...over,
});

describe("configAnnotations", () => {
  it("puts each problem on its file and line, errors as failures", () => {
    const [a, b] = configAnnotations([problem(), problem({ file: "./.tiphys/deploy.yaml", line: 3, endLine: 7, severity: "warning", message: "unused parameter" })]);
    expect(a).toEqual({
      path: ".tiphys/ci.yaml",
      start_line: 12,
      end_line: 12,
      start_column: 5,
      end_column: 5,
      annotation_level: "failure",
      message: "unknown template \"biuld\"; did you mean \"build\"?",
    });
    // Columns are only allowed on one-line annotations.
    expect(b).toEqual({ path: ".tiphys/deploy.yaml", start_line: 3, end_line: 7, annotation_level: "warning", message: "unused parameter" });
  });

  it("puts a problem without a line on line 1", () => {
    const [a] = configAnnotations([problem({ line: undefined, column: undefined })]);
    expect(a.start_line).toBe(1);
    expect(a.end_line).toBe(1);
    expect(a.start_column).toBeUndefined();
  });

  it("takes ConfigError problems with their position and field", () => {
    const err = new ConfigError(".tiphys/ci.yaml is invalid", [
      { message: "depends on unknown task \"tset\"", field: "spec.templates[0].dag.tasks[1].depends", pos: { file: ".tiphys/ci.yaml", line: 9, column: 18 }, severity: "error" },
      { message: "no entrypoint", severity: "error" },
    ]);
    const [a, b] = configAnnotations(problemsFromConfig(err.problems, ".tiphys/ci.yaml"));
    expect(a).toMatchObject({ path: ".tiphys/ci.yaml", start_line: 9, start_column: 18, title: "spec.templates[0].dag.tasks[1].depends" });
    expect(b).toMatchObject({ path: ".tiphys/ci.yaml", start_line: 1, annotation_level: "failure", message: "no entrypoint" });
  });
});

describe("chunkAnnotations", () => {
  it("sends 120 annotations in 3 requests of at most 50, in order", () => {
    const list = configAnnotations(Array.from({ length: 120 }, (_, i) => problem({ line: i + 1 })));
    const chunks = chunkAnnotations(list, 50);
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 20]);
    expect(chunks.flat().map((a) => a.start_line)).toEqual(list.map((a) => a.start_line));
  });

  it("defaults to GitHub's 50 and sends nothing for no annotations", () => {
    expect(chunkAnnotations(Array.from({ length: 50 }, (_, i) => i))).toHaveLength(1);
    expect(chunkAnnotations([])).toEqual([]);
  });
});

describe("renderConfigCheckRun", () => {
  it("fails with the count of errors in the file", () => {
    const out = renderConfigCheckRun([problem(), problem({ line: 20 }), problem({ line: 31, column: undefined })], { sha: "0123456789abcdef" });
    expect(out.conclusion).toBe("failure");
    expect(out.title).toBe("3 errors in .tiphys/ci.yaml");
    expect(out.summary).toContain("`0123456`");
    expect(out.text).toContain("- **error** `.tiphys/ci.yaml:12:5`: unknown template \"biuld\"; did you mean \"build\"?");
    expect(out.text).toContain("`.tiphys/ci.yaml:31`");
  });

  it("counts errors and warnings across files", () => {
    const out = renderConfigCheckRun([problem(), problem({ file: ".tiphys/cd.yaml" }), problem({ severity: "warning" })], { sha: "abc" });
    expect(out.title).toBe("2 errors and 1 warning in 2 files");
    expect(out.summary).toContain("- `.tiphys/ci.yaml`: 1 error and 1 warning");
    expect(out.summary).toContain("- `.tiphys/cd.yaml`: 1 error");
  });

  it("passes with warnings only, and with no problems", () => {
    const warned = renderConfigCheckRun([problem({ severity: "warning" })], { sha: "abc" });
    expect(warned).toMatchObject({ conclusion: "success", title: "1 warning in .tiphys/ci.yaml" });
    expect(renderConfigCheckRun([], { sha: "abc" })).toMatchObject({ conclusion: "success", title: "No problems in .tiphys/" });
  });

  it("keeps thousands of problems within GitHub's limit", () => {
    const many = Array.from({ length: 5000 }, (_, i) => problem({ line: i + 1, message: "x".repeat(100) }));
    const out = renderConfigCheckRun(many, { sha: "abc" });
    expect(out.text.length).toBeLessThanOrEqual(65_535);
    expect(out.text).toMatch(/… \d+ more lines not shown; every problem is annotated on its file\./);
  });
});
