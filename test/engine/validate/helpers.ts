import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import type { ConfigProblem, SourcePos } from "../../../src/core/errors.js";
import { lintPaths } from "../../../src/engine/validate/index.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes files (name → YAML) to a fresh directory. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tiphys-lint-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

export interface LintResult {
  problems: ConfigProblem[];
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
  file: string;
  text: string;
}

/** Lints one YAML text (as `main.yaml`), with optional extra files passed as --templates. */
export async function lintYaml(text: string, templates?: Record<string, string>): Promise<LintResult> {
  const dir = await writeTree({ "main.yaml": text });
  const file = join(dir, "main.yaml");
  const tdirs = templates ? [await writeTree(templates)] : [];
  const { problems } = await lintPaths([file], tdirs);
  return {
    problems,
    errors: problems.filter((p) => p.severity === "error"),
    warnings: problems.filter((p) => p.severity === "warning"),
    file,
    text,
  };
}

/** The 1-based line and column of the `occurrence`-th (1-based) match of `needle` in `text`. */
export function posIn(r: LintResult, needle: string, occurrence = 1): SourcePos {
  let index = -1;
  for (let i = 0; i < occurrence; i++) {
    index = r.text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" not found ${occurrence} times`);
  }
  const before = r.text.slice(0, index).split("\n");
  return { file: r.file, line: before.length, column: before[before.length - 1].length + 1 };
}

/** The one error whose message matches, or a failure listing all of them. */
export function errorMatching(r: LintResult, pattern: RegExp): ConfigProblem {
  const found = r.errors.filter((p) => pattern.test(p.message));
  if (found.length !== 1) {
    throw new Error(
      `expected one error matching ${pattern}, got ${found.length}:\n${r.errors.map((p) => `  ${p.pos?.line}:${p.pos?.column} ${p.message}`).join("\n")}`,
    );
  }
  return found[0];
}

export function describeErrors(r: LintResult): string {
  return r.errors.map((p) => `${p.pos?.line}:${p.pos?.column} ${p.message}`).join("\n");
}
