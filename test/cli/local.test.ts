/**
 * `tiphys local`: the App's pipeline on a local checkout. Triggers, runs and the check runs that would
 * be posted, with no App, no network and no database server.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { describeResult, workspace, type Workspace } from "./helpers.js";

const git = (ws: Workspace, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: ws.path("repo"), encoding: "utf8" }).trim();

const wf = (name: string, on: string, script: string, extra = "") => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${name}-
  annotations:
    tiphys.io/on: ${on}
${extra}spec:
  entrypoint: main
  arguments:
    parameters:
      - name: branch
      - name: event
  templates:
    - name: main
      script:
        image: alpine
        command: [sh]
        source: |
          ${script}
`;

function repoWith(ws: Workspace, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) ws.write(`repo/${name}`, text);
  git(ws, "init", "-q", "-b", "main");
  git(ws, "add", "-A");
  git(ws, "commit", "-qm", "init");
}

describe("tiphys local", () => {
  it("runs the workflows a push triggers and shows the check runs that would be posted (exit 0)", async (ctx) => {
    const ws = workspace(ctx);
    repoWith(ws, {
      ".tiphys/ci.yaml": wf("ci", "push", 'echo "on {{workflow.parameters.branch}} by {{workflow.parameters.event}}"'),
      ".tiphys/pr.yaml": wf("pr-only", "pull_request", "echo pr"),
    });
    const r = await ws.run(["local", "-C", "repo"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/✔ ci \(push.*\) → run ci-/);
    expect(r.stdout).toMatch(/pr-only .*pull_request/);
    expect(r.stdout).toContain("on main by push");
    expect(r.stdout).toMatch(/tiphys\/workflow\/ci\s+success\s+Succeeded/);
    expect(r.stdout).not.toMatch(/tiphys\/workflow\/pr-only/);
  });

  it("--event pull_request runs the PR's workflows against the base branch; a failing step exits 1 with its log tail", async (ctx) => {
    const ws = workspace(ctx);
    repoWith(ws, { ".tiphys/pr.yaml": wf("pr", "pull_request", 'echo "broken build" >&2; exit 4') });
    git(ws, "checkout", "-qb", "feature");
    ws.write("repo/src/x.txt", "x\n");
    git(ws, "add", "-A");
    git(ws, "commit", "-qm", "feature");
    const r = await ws.run(["local", "-C", "repo", "--event", "pull_request", "--full"]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stdout).toMatch(/✔ pr \(pull_request/);
    expect(r.stdout).toMatch(/tiphys\/workflow\/pr\s+failure\s+Failed/);
    expect(r.stdout).toContain("broken build");
  });

  it("invalid config: the tiphys/config check run with file:line, nothing runs (exit 2)", async (ctx) => {
    const ws = workspace(ctx);
    repoWith(ws, { ".tiphys/ci.yaml": wf("ci", "push", "echo hi").replace("entrypoint: main", "entrypoint: main\n  tempaltes: []") });
    const r = await ws.run(["local", "-C", "repo"]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stdout).toMatch(/tiphys\/config\s+failure/);
    expect(r.stdout).toMatch(/\.tiphys\/ci\.yaml:\d+: .*tempaltes/);
    expect(r.stdout).not.toMatch(/tiphys\/workflow\/ci/);
  });

  it("a branch filter that does not match starts nothing and says why", async (ctx) => {
    const ws = workspace(ctx);
    repoWith(ws, { ".tiphys/ci.yaml": wf("ci", "push", "echo hi", "    tiphys.io/branches: release/*\n") });
    const r = await ws.run(["local", "-C", "repo"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/· ci .*branch main does not match release\/\*/);
    expect(r.stdout).toMatch(/check runs that would be posted[^\n]*\n.*none/);
  });
});
