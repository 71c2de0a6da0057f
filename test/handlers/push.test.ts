/** push: the repo's `.tiphys/` read at the pushed commit, one check run per matching workflow. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../helpers/webhooks.js";
import {
  BEFORE,
  example,
  expectCompare,
  expectCheckCreated,
  expectCheckLookup,
  expectToken,
  expectWorkflowCheck,
  pushPayload,
  R,
  serveRepo,
  gitBlobSha,
  workflowYaml,
  ZERO,
} from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("push", () => {
  it("reads the config at the commit and runs the workflow: check run queued, in progress, success", async () => {
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    const files = { ".tiphys/ci.yaml": workflowYaml({ script: "echo hi" }), "README.md": "hello\n" };
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, files);
    const check = expectWorkflowCheck(scope, { workflow: "ci", id: 101 });

    await h.deliver("push", p);

    expect(h.gh.calls).toEqual([
      "POST /app/installations/1/access_tokens",
      `GET ${R}/git/trees/${sha}?recursive=1`,
      `GET ${R}/git/blobs/${gitBlobSha(files[".tiphys/ci.yaml"])}`,
      `POST ${R}/check-runs`,
      `PATCH ${R}/check-runs/101`,
      `PATCH ${R}/check-runs/101`,
    ]);
    const [queued, inProgress, completed] = check;
    expect(queued).toMatchObject({ name: "tiphys/workflow/ci", status: "queued", head_sha: sha });
    expect(queued.external_id).toMatch(/^ci-/);
    expect(inProgress.status).toBe("in_progress");
    expect(completed).toMatchObject({ status: "completed", conclusion: "success" });
    h.gh.done();
  });

  it("a failing step fails the check run and shows the step's log tail", async () => {
    const p = pushPayload("refs/heads/main", ZERO);
    const sha = String(p.after);
    const files = { ".tiphys/ci.yaml": workflowYaml({ script: 'echo "compiling widget.c"\necho "widget.c:3: error: boom" >&2\nexit 3' }) };
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, files);
    const check = expectWorkflowCheck(scope, { workflow: "ci", id: 102 });

    await h.deliver("push", p);

    // A new branch (before = zeros) has nothing to compare with: no compare call.
    expect(h.gh.calls.some((c) => c.includes("/compare/"))).toBe(false);
    const completed = check[2];
    expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(completed.output.text).toContain("widget.c:3: error: boom");
    expect(completed.output.title).toContain("exit code 3");
    h.gh.done();
  });

  it("an unknown template field fails tiphys/config with an annotation at its line, and runs nothing", async () => {
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    const yaml = [
      "apiVersion: argoproj.io/v1alpha1",
      "kind: Workflow",
      "metadata:",
      "  generateName: ci-",
      "  annotations:",
      "    tiphys.io/on: push",
      "spec:",
      "  entrypoint: main",
      "  templates:",
      "    - name: main",
      "      scriptt:", // line 11: not a template field
      "        image: alpine",
      "        source: echo hi",
      "",
    ].join("\n");
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, { ".tiphys/ci.yaml": yaml });
    expectCheckLookup(scope, sha, "tiphys/config");
    const config = expectCheckCreated(scope, { name: "tiphys/config", id: 201 });

    await h.deliver("push", p);

    expect(config).toHaveLength(1);
    expect(config[0]).toMatchObject({ head_sha: sha, status: "completed", conclusion: "failure" });
    expect(config[0].output.annotations).toEqual([
      expect.objectContaining({ path: ".tiphys/ci.yaml", start_line: 11, annotation_level: "failure", message: expect.stringContaining('unknown field "scriptt"') }),
    ]);
    // No workflow check run was created (its POST would have gone unmatched) and no run stored.
    expect(h.gh.calls.filter((c) => c.startsWith("POST") && c.endsWith("/check-runs"))).toHaveLength(1);
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("a YAML syntax error fails tiphys/config with an annotation at the broken line", async () => {
    const p = pushPayload("refs/heads/main");
    const sha = String(p.after);
    // Line 6 is not YAML: a mapping cannot nest inside a compact one.
    const yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: ci-\nspec:\n  entrypoint: main: x\n  templates: []\n";
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, { ".tiphys/ci.yaml": yaml });
    expectCheckLookup(scope, sha, "tiphys/config");
    const config = expectCheckCreated(scope, { name: "tiphys/config", id: 202 });

    await h.deliver("push", p);

    expect(config).toHaveLength(1);
    expect(config[0]).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "1 error in .tiphys/ci.yaml" } });
    expect(config[0].output.annotations).toEqual([
      expect.objectContaining({ path: ".tiphys/ci.yaml", start_line: 6, start_column: 15, annotation_level: "failure", message: expect.stringContaining("Nested mappings") }),
    ]);
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("a workflow for `tiphys.io/branches: main` does not run for a push to another branch: no check run at all", async () => {
    const p = pushPayload("refs/heads/feature/x");
    const sha = String(p.after);
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, { ".tiphys/ci.yaml": workflowYaml({ script: "echo hi", on: "push", branches: "main" }) });

    await h.deliver("push", p);

    expect(h.gh.calls.filter((c) => !c.startsWith("GET") && !c.includes("access_tokens"))).toEqual([]);
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("tiphys.io/paths: the push's own commit lists decide, with no API call for the changed files", async () => {
    const p = pushPayload("refs/heads/main");
    p.commits = [{ id: "c1", added: ["docs/guide.md"], modified: [], removed: [] }];
    const sha = String(p.after);
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, { ".tiphys/ci.yaml": workflowYaml({ script: "echo hi", on: "push" }).replace("tiphys.io/on: push", 'tiphys.io/on: push\n    tiphys.io/paths: "src/**"') });

    await h.deliver("push", p);

    expect(h.gh.calls.some((c) => c.includes("/compare/"))).toBe(false);
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("tiphys.io/paths with a push too long for its commit lists (20+ commits): one compare call decides", async () => {
    const p = pushPayload("refs/heads/main");
    p.commits = Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, added: [], modified: ["docs/x.md"], removed: [] }));
    const sha = String(p.after);
    const files = { ".tiphys/ci.yaml": workflowYaml({ script: "echo hi", on: "push" }).replace("tiphys.io/on: push", 'tiphys.io/on: push\n    tiphys.io/paths: "src/**"') };
    const { scope } = h.gh;
    expectToken(scope);
    serveRepo(scope, sha, files);
    expectCompare(scope, BEFORE, sha, ["src/app.ts"]);
    const check = expectWorkflowCheck(scope, { workflow: "ci", id: 141 });

    await h.deliver("push", p);

    expect(h.gh.calls.filter((c) => c.includes("/compare/"))).toEqual([`GET ${R}/compare/${BEFORE}...${sha}`]);
    expect(check[2]).toMatchObject({ status: "completed", conclusion: "success" });
    h.gh.done();
  });

  it("a deleted branch: acknowledged and processed without a single GitHub call", async () => {
    // The examples' deletion is of a tag; the same payload for a branch.
    const p: WebhookPayload = { ...example("push", (e) => e.deleted === true), ref: "refs/heads/feature/x" };
    expect(p.after).toBe(ZERO);
    const id = "deleted-branch-1";

    await h.deliver("push", p, id);

    expect(await h.app.store.hasDelivery(id)).toBe(true);
    expect(h.gh.calls).toEqual([]);
    h.gh.done();
  });
});
