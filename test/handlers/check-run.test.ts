/** check_run: "Re-run" of a finished run, and the Approve button of `tiphys/approval`. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../helpers/webhooks.js";
import {
  example,
  expectCheckCreated,
  expectCheckLookup,
  expectCheckUpdated,
  expectPermission,
  expectPull,
  expectPullFiles,
  expectPushRun,
  expectToken,
  expectWorkflowCheck,
  OWNER,
  R,
  REPO,
  pushPayload,
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

type CheckRunEvent = {
  check_run: { name: string; head_sha: string; external_id: string | null; pull_requests: Array<{ number: number }> };
  requested_action?: { identifier: string };
  sender: { login: string };
};

describe("check_run.rerequested", () => {
  it("re-runs a finished run: a new queued check run that completes again", async () => {
    const push = pushPayload("refs/heads/main");
    const sha = String(push.after);
    const files = { ".tiphys/ci.yaml": workflowYaml({ script: "echo again" }) };
    expectPushRun(h.gh.scope, sha, files, { id: 401 });
    await h.deliver("push", push);
    const [run] = await h.app.store.findRuns({});
    expect(run).toMatchObject({ phase: "Succeeded", checkRunId: 401 });
    h.gh.done();
    const before = h.gh.calls.length;

    // GitHub's own example (another repository's), as Tiphys's check run: external_id is the run id.
    const p = example("check_run.rerequested") as WebhookPayload & CheckRunEvent;
    Object.assign(p.check_run, { name: "tiphys/workflow/ci", head_sha: sha, external_id: run.id });
    const again = expectWorkflowCheck(h.gh.scope, { workflow: "ci", id: 402 });

    await h.deliver("check_run", p);

    // The installation token is still good, and the config's blobs are cached.
    expect(h.gh.calls.slice(before)).toEqual([`POST ${R}/check-runs`, `PATCH ${R}/check-runs/402`, `PATCH ${R}/check-runs/402`]);
    expect(again[0]).toMatchObject({ name: "tiphys/workflow/ci", head_sha: sha, status: "queued", external_id: run.id });
    expect(again[0].output.summary).toContain(`queued again by @${p.sender.login}`);
    expect(again[2]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(await h.app.store.getRun(run.id)).toMatchObject({ phase: "Succeeded", checkRunId: 402, meta: expect.objectContaining({ attempt: 1 }) });
    h.gh.done();
  });

  it("a check run Tiphys does not know (no external id): no GitHub call", async () => {
    const p = example("check_run.rerequested") as WebhookPayload & CheckRunEvent;

    await h.deliver("check_run", p);

    expect(h.gh.calls).toEqual([]);
    h.gh.done();
  });
});

describe("check_run.requested_action ok-to-test", () => {
  const HEAD = "c".repeat(40);
  const BASE = "b".repeat(40);
  const FORK = "mallory/Hello-World";
  const files = { ".tiphys/ci.yaml": workflowYaml({ script: "echo approved" }) };

  /** A fork's PR #2 is opened: Tiphys answers with the waiting approval check run 501. */
  async function forkPullRequestWaiting() {
    const pr = example("pull_request.opened", (e) => e.installation !== undefined) as WebhookPayload & {
      pull_request: { head: { sha: string; repo: { full_name: string } }; base: { sha: string } };
    };
    Object.assign(pr.pull_request.head, { sha: HEAD, repo: { ...pr.pull_request.head.repo, full_name: FORK } });
    pr.pull_request.base.sha = BASE;
    expectToken(h.gh.scope);
    expectCheckLookup(h.gh.scope, HEAD, "tiphys/approval");
    expectCheckCreated(h.gh.scope, { name: "tiphys/approval", id: 501 });
    // The apps' preview reads the PR's files and the base's `.tiphys/` (never the fork's).
    expectPullFiles(h.gh.scope, 2, []);
    serveRepo(h.gh.scope, BASE, files);
    await h.deliver("pull_request", pr);
    h.gh.done();
  }

  /** The button press on `tiphys/approval`, by `login`. */
  function buttonPress(login: string): WebhookPayload & CheckRunEvent {
    const p = example("check_run.requested_action") as WebhookPayload & CheckRunEvent;
    Object.assign(p.check_run, { name: "tiphys/approval", head_sha: HEAD, external_id: "" });
    p.check_run.pull_requests[0].number = 2;
    p.requested_action = { identifier: "ok-to-test" };
    p.sender.login = login;
    return p;
  }

  it("pressed by a writer: the approval check succeeds and the base branch's workflow runs on the fork's commit", async () => {
    await forkPullRequestWaiting();
    const before = h.gh.calls.length;
    const { scope } = h.gh;
    expectPermission(scope, "maintainer", "write");
    expectPull(scope, { number: 2, headSha: HEAD, baseSha: BASE, headRepo: FORK, author: "mallory" });
    expectCheckLookup(scope, HEAD, "tiphys/approval", [{ id: 501 }]);
    const approval = expectCheckUpdated(scope, 501, "completed");
    // The base's config was read when the PR was opened; the approved preview lists the files again.
    const check = expectWorkflowCheck(scope, { workflow: "ci", id: 502 });
    expectPullFiles(scope, 2, []);

    await h.deliver("check_run", buttonPress("maintainer"));

    expect(h.gh.calls.slice(before, before + 4)).toEqual([
      `GET ${R}/collaborators/maintainer/permission`,
      `GET ${R}/pulls/2`,
      `GET ${R}/commits/${HEAD}/check-runs?check_name=tiphys%2Fapproval&filter=latest`,
      `PATCH ${R}/check-runs/501`,
    ]);
    // The config is read at the base commit, never at the fork's.
    expect(h.gh.calls.filter((c) => c.includes(`/git/trees/${HEAD}`))).toEqual([]);
    expect(approval[0]).toMatchObject({ conclusion: "success", actions: [], output: { title: "approved by @maintainer" } });
    expect(check[0]).toMatchObject({ name: "tiphys/workflow/ci", head_sha: HEAD, status: "queued" });
    expect(check[2]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(await h.app.store.listAudit()).toEqual([
      expect.objectContaining({ actor: "maintainer", action: "button", target: "ok-to-test", sha: HEAD, decision: "allowed", repo: `${OWNER}/${REPO}` }),
    ]);
    h.gh.done();
  });

  it("pressed by a read-only user: refused and audited, nothing runs", async () => {
    await forkPullRequestWaiting();
    const before = h.gh.calls.length;
    expectPermission(h.gh.scope, "passer-by", "read");

    await h.deliver("check_run", buttonPress("passer-by"));

    expect(h.gh.calls.slice(before)).toEqual([`GET ${R}/collaborators/passer-by/permission`]);
    expect(await h.app.store.findRuns({})).toEqual([]);
    expect(await h.app.store.listAudit()).toEqual([
      expect.objectContaining({ actor: "passer-by", action: "button", target: "ok-to-test", decision: "refused", reason: "needs write permission; has read" }),
    ]);
    h.gh.done();
  });
});
