/**
 * The acceptance corpus: every row of ../shared/corpus/argo-workflows/expected.tsv, run through the
 * real CLI (`tiphys run <path> --templates examples -o json`), reaches the phase Argo reaches, with the
 * matching exit code and Argo's status shape. The rows are read at test time.
 *
 * Rows run concurrently, five at a time (set below): most of the time goes to steps that sleep (the
 * parallelism examples take over a minute each), not to the CPU, of which the machine has two cores.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { argoShapeProblems, CORPUS, describeResult, parseJson, workspace } from "./helpers.js";

interface Row {
  path: string;
  expectedPhase: string;
  features: string;
}

function readRows(): Row[] {
  const text = readFileSync(join(CORPUS, "expected.tsv"), "utf8");
  const [header, ...lines] = text.split("\n").filter((l) => l.trim() !== "");
  const cols = header.split("\t");
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`expected.tsv has no column ${name}: ${header}`);
    return i;
  };
  const [p, ph, f] = [at("path"), at("expected_phase"), at("features")];
  return lines.map((l) => {
    const c = l.split("\t");
    return { path: c[p], expectedPhase: c[ph], features: c[f] ?? "" };
  });
}

/** The key at line:column (1-based) and the key of the block that encloses it, by indentation. */
function enclosingKeys(lines: string[], line: number, column: number): string[] {
  const keyOf = (text: string) => /^\s*(?:- )?([\w.-]+):/.exec(text)?.[1] ?? "";
  const out = [keyOf(lines[line - 1].slice(column - 1))];
  for (let i = line - 2; i >= 0; i--) {
    const indent = lines[i].search(/\S/);
    if (indent >= 0 && indent < column - 1 && !lines[i].trimStart().startsWith("#")) {
      out.push(keyOf(lines[i]));
      break;
    }
  }
  return out;
}

const rows = readRows();
/** How many rows run at once (vitest's limit for the concurrent tests of this file). */
vi.setConfig({ maxConcurrency: 5 });
afterAll(() => vi.resetConfig());
/** A row may sleep for a while (parallelism examples take over a minute on their own). */
const ROW_TIMEOUT_MS = 170_000;

describe("expected.tsv", () => {
  test("has rows, each with a path and a phase Argo reaches", () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.path).toMatch(/^examples\/.+\.ya?ml$/);
      expect(["Succeeded", "Failed"]).toContain(r.expectedPhase);
    }
  });
});

describe.concurrent("tiphys run on the Argo examples of expected.tsv", () => {
  for (const row of rows) {
    test(
      `${row.path} reaches ${row.expectedPhase}`,
      async (ctx) => {
        const ws = workspace(ctx);
        const r = await ws.run(["run", row.path, "--templates", "examples", "-o", "json"], { cwd: CORPUS, timeoutMs: ROW_TIMEOUT_MS - 10_000 });
        expect(r.timedOut, describeResult(r)).toBe(false);
        expect(r.outputHeldOpen, describeResult(r)).toBe(false);
        let wf;
        try {
          wf = parseJson(r.stdout);
        } catch (err) {
          throw new Error(`stdout is not one JSON document (${(err as Error).message})\n${describeResult(r)}`);
        }
        const failed = Object.values(wf.status?.nodes ?? {})
          .filter((n) => n.phase === "Failed" || n.phase === "Error")
          .map((n) => `${n.name}: ${n.phase} ${n.message ?? ""}`);
        expect(wf.status?.phase, `status.message: ${wf.status?.message}\nfailed nodes:\n${failed.join("\n")}\nstderr:\n${r.stderr.slice(-3000)}`).toBe(row.expectedPhase);
        expect(r.code, describeResult(r)).toBe(row.expectedPhase === "Succeeded" ? 0 : 1);
        expect(argoShapeProblems(wf)).toEqual([]);
        expect(ws.liveProcesses()).toEqual([]);
      },
      ROW_TIMEOUT_MS,
    );
  }
});

describe("tiphys lint on the whole examples folder", () => {
  test("exits 0, and every warning has file:line:column pointing at the field", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["lint", "examples"], { cwd: CORPUS, timeoutMs: 60_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    const summary = lines.pop() ?? "";
    expect(summary).toMatch(/^\d+ file\(s\), \d+ document\(s\): 0 error\(s\), \d+ warning\(s\)$/);
    const files = Number(/^(\d+) file/.exec(summary)![1]);
    expect(files).toBeGreaterThan(90);
    const warnings = Number(/(\d+) warning/.exec(summary)![1]);
    expect(lines).toHaveLength(warnings);
    // The corpus has resource and plugin templates: lint warns about them, so there are warnings to check.
    expect(warnings).toBeGreaterThan(0);
    for (const line of lines) {
      const m = /^(examples\/[^:]+\.ya?ml):(\d+):(\d+): warning: (.+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, file, lineNo, col, message] = m!;
      const text = readFileSync(join(CORPUS, file), "utf8").split("\n");
      expect(Number(lineNo), line).toBeLessThanOrEqual(text.length);
      expect(Number(col), line).toBeLessThanOrEqual(text[Number(lineNo) - 1].length + 1);
      // Where the warning names a template type, the position is that field: its key, or its value
      // (a line whose enclosing key is that field).
      const kind = /^(resource|plugin) templates need/.exec(message)?.[1];
      if (kind) expect(enclosingKeys(text, Number(lineNo), Number(col)), line).toContain(kind);
    }
    expect(lines.some((l) => /resource templates need a cluster/.test(l))).toBe(true);
  });
});
