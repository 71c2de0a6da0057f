/** check_suite.rerequested ("Re-run all checks"): every workflow of that commit runs again. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../helpers/webhooks.js";
import {
  example,
  expectPushRun,
  expectWorkflowCheck,
  pushPayload,
  R,
  serveRepo,
  workflowYaml,
} from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("check_suite.rerequested", () => {
  it("re-runs the latest run of each workflow at the suite's head sha, and nothing at other commits", async () => {
    const { scope } = h.gh;
    const ci = workflowYaml({ script: "echo ci" });
    const lint = workflowYaml({ name: "lint", script: "echo lint; exit 1" });

    // An older commit with ci only.
    const first = pushPayload("refs/heads/main");
    const older = String(first.after);
    expectPushRun(scope, older, { ".tiphys/ci.yaml": ci }, { id: 601 });
    await h.deliver("push", first);

    // The suite's commit: ci (unchanged, so its blob is cached) and a failing lint.
    const sha = "d".repeat(40);
    const files = { ".tiphys/ci.yaml": ci, ".tiphys/lint.yaml": lint };
    serveRepo(scope, sha, files, { blobs: [".tiphys/lint.yaml"] });
    expectWorkflowCheck(scope, { workflow: "ci", id: 611 });
    expectWorkflowCheck(scope, { workflow: "lint", id: 612 });
    await h.deliver("push", { ...pushPayload("refs/heads/main"), after: sha });
    const phases = Object.fromEntries((await h.app.store.findRuns({ headSha: sha })).map((r) => [r.workflowName, r.phase]));
    expect(phases).toEqual({ ci: "Succeeded", lint: "Failed" });
    h.gh.done();
    const before = h.gh.calls.length;

    const p = example("check_suite.rerequested") as WebhookPayload & { check_suite: { head_sha: string } };
    p.check_suite.head_sha = sha;
    const ciAgain = expectWorkflowCheck(scope, { workflow: "ci", id: 621 });
    const lintAgain = expectWorkflowCheck(scope, { workflow: "lint", id: 622 });

    await h.deliver("check_suite", p);

    const calls = h.gh.calls.slice(before);
    expect(calls.filter((c) => c === `POST ${R}/check-runs`)).toHaveLength(2);
    expect(calls.some((c) => c.includes(older))).toBe(false);
    for (const again of [ciAgain, lintAgain]) expect(again[0]).toMatchObject({ head_sha: sha, status: "queued" });
    expect(ciAgain[2]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(lintAgain[2]).toMatchObject({ status: "completed", conclusion: "failure" });
    const runs = await h.app.store.findRuns({});
    expect(runs.map((r) => [r.workflowName, r.headSha === sha ? "suite" : "older", r.checkRunId]).sort()).toEqual([
      ["ci", "older", 601],
      ["ci", "suite", 621],
      ["lint", "suite", 622],
    ]);
    h.gh.done();
  });

  it("a commit Tiphys never ran anything at: no GitHub call", async () => {
    const p = example("check_suite.rerequested");

    await h.deliver("check_suite", p);

    expect(h.gh.calls).toEqual([]);
    h.gh.done();
  });
});
