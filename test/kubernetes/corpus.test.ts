/**
 * Acceptance for workflow steps as Pods: every row of ../shared/corpus/argo-workflows/expected.tsv,
 * run through the real CLI with `--executor kubernetes --cluster simulated`, reaches the row's phase
 * (the same one the local executor reaches, test/cli/corpus.test.ts), with Argo's status shape.
 *
 * Rows that cannot pass yet are listed in NOT_YET with the reason, and are still run: their test
 * asserts the row does NOT reach its phase, so it fails (and is noticed) the day it starts passing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { argoShapeProblems, CORPUS, describeResult, parseJson, workspace } from "../cli/helpers.js";

interface Row {
  path: string;
  expectedPhase: string;
}

/** The rows of expected.tsv, read as test/cli/corpus.test.ts reads them (by column name). */
function readRows(): Row[] {
  const [header, ...lines] = readFileSync(join(CORPUS, "expected.tsv"), "utf8").split("\n").filter((l) => l.trim() !== "");
  const cols = header.split("\t");
  const [p, ph] = [cols.indexOf("path"), cols.indexOf("expected_phase")];
  if (p < 0 || ph < 0) throw new Error(`expected.tsv has no path / expected_phase column: ${header}`);
  return lines.map((l) => {
    const c = l.split("\t");
    return { path: c[p], expectedPhase: c[ph] };
  });
}

/** Rows that do not reach their phase under the kubernetes executor yet, and why. */
export const NOT_YET: Record<string, string> = {};

const rows = readRows();
vi.setConfig({ maxConcurrency: 5 });
afterAll(() => vi.resetConfig());
const ROW_TIMEOUT_MS = 170_000;

describe.concurrent("tiphys run --executor kubernetes --cluster simulated on expected.tsv", () => {
  for (const row of rows) {
    const notYet = NOT_YET[row.path];
    test(`${row.path} reaches ${row.expectedPhase}${notYet ? ` (NOT YET: ${notYet})` : ""}`, async (ctx) => {
      const ws = workspace(ctx);
      const r = await ws.run(["run", row.path, "--templates", "examples", "--executor", "kubernetes", "--cluster", "simulated", "-o", "json"], { cwd: CORPUS, timeoutMs: ROW_TIMEOUT_MS - 10_000 });
      expect(r.timedOut, describeResult(r)).toBe(false);
      let wf;
      try {
        wf = parseJson(r.stdout);
      } catch (err) {
        throw new Error(`stdout is not one JSON document (${(err as Error).message})\n${describeResult(r)}`);
      }
      const failed = Object.values(wf.status?.nodes ?? {})
        .filter((n) => n.phase === "Failed" || n.phase === "Error")
        .map((n) => `${n.name}: ${n.phase} ${n.message ?? ""}`);
      const why = `status.message: ${wf.status?.message}\nfailed nodes:\n${failed.join("\n")}\nstderr:\n${r.stderr.slice(-3000)}`;
      if (notYet) {
        expect(wf.status?.phase, `listed in NOT_YET but reaches its phase now: remove it from the list\n${why}`).not.toBe(row.expectedPhase);
        return;
      }
      expect(wf.status?.phase, why).toBe(row.expectedPhase);
      expect(r.code, describeResult(r)).toBe(row.expectedPhase === "Succeeded" ? 0 : 1);
      expect(r.stderr).toMatch(/SIMULATED cluster/);
      expect(argoShapeProblems(wf)).toEqual([]);
      expect(ws.liveProcesses()).toEqual([]);
    }, ROW_TIMEOUT_MS);
  }
});
