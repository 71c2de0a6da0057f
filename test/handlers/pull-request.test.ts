/** pull_request: trusted PRs run their own `.tiphys/`; untrusted ones wait for an approval first. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../helpers/webhooks.js";
import {
  example,
  expectCheckCreated,
  expectCheckLookup,
  expectPermission,
  expectPullFiles,
  expectToken,
  expectWorkflowCheck,
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

type Pull = { number: number; head: { sha: string; repo: { full_name: string } }; base: { sha: string }; user: { login: string } };

/** An `opened` example with an installation: PR #2 of Codertocat, from a branch of the same repo. */
function opened(): WebhookPayload & { pull_request: Pull } {
  return example("pull_request.opened", (p) => p.installation !== undefined) as WebhookPayload & { pull_request: Pull };
}

const files = { ".tiphys/ci.yaml": workflowYaml({ script: "echo pr" }) };

/** The approval check run an untrusted PR gets instead of runs, and the base's apps looked up for their preview. */
function expectApprovalWaiting(pr: Pull) {
  expectToken(h.gh.scope);
  expectCheckLookup(h.gh.scope, pr.head.sha, "tiphys/approval");
  const approval = expectCheckCreated(h.gh.scope, { name: "tiphys/approval", id: 301 });
  expectPullFiles(h.gh.scope, pr.number, []);
  serveRepo(h.gh.scope, pr.base.sha, {});
  return approval;
}

describe("pull_request", () => {
  it("opened by a writer from the same repo: the PR's own config read, the workflow runs", async () => {
    const p = opened();
    const pr = p.pull_request;
    const { scope } = h.gh;
    expectToken(scope);
    expectPermission(scope, pr.user.login, "write");
    serveRepo(scope, pr.head.sha, files);
    const check = expectWorkflowCheck(scope, { workflow: "ci", id: 311 });
    expectPullFiles(scope, pr.number, []);

    await h.deliver("pull_request", p);

    expect(h.gh.calls.slice(0, 3)).toEqual([
      "POST /app/installations/1/access_tokens",
      `GET ${R}/collaborators/${pr.user.login}/permission`,
      `GET ${R}/git/trees/${pr.head.sha}?recursive=1`,
    ]);
    expect(check[0]).toMatchObject({ name: "tiphys/workflow/ci", status: "queued", head_sha: pr.head.sha });
    expect(check[2]).toMatchObject({ status: "completed", conclusion: "success" });
    const [run] = await h.app.store.findRuns({ prNumber: pr.number });
    expect(run).toMatchObject({ phase: "Succeeded", event: "pull_request", headSha: pr.head.sha });
    h.gh.done();
  });

  it("from a fork: an action_required tiphys/approval check with an Approve button, and no workflow check run", async () => {
    const p = opened();
    const pr = p.pull_request;
    pr.head.repo.full_name = "mallory/Hello-World";
    const approval = expectApprovalWaiting(pr);

    await h.deliver("pull_request", p);

    // The fork's code is not even read: no tree or blob of its commit, no permission lookup; only the
    // base's tree, for the apps the PR may touch.
    expect(h.gh.calls).toEqual([
      "POST /app/installations/1/access_tokens",
      `GET ${R}/commits/${pr.head.sha}/check-runs?check_name=tiphys%2Fapproval&filter=latest`,
      `POST ${R}/check-runs`,
      `GET ${R}/pulls/${pr.number}/files?per_page=100`,
      `GET ${R}/git/trees/${pr.base.sha}?recursive=1`,
    ]);
    expect(approval).toEqual([
      expect.objectContaining({
        name: "tiphys/approval",
        head_sha: pr.head.sha,
        status: "completed",
        conclusion: "action_required",
        actions: [expect.objectContaining({ label: "Approve", identifier: "ok-to-test" })],
      }),
    ]);
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("from the same repo by a read-only author: untrusted too, so it waits for approval", async () => {
    const p = opened();
    const pr = p.pull_request;
    expectPermission(h.gh.scope, pr.user.login, "read");
    const approval = expectApprovalWaiting(pr);

    await h.deliver("pull_request", p);

    expect(approval[0]).toMatchObject({ conclusion: "action_required" });
    expect(await h.app.store.findRuns({})).toEqual([]);
    h.gh.done();
  });

  it("closed: acknowledged and ignored, with no GitHub call and nothing queued", async () => {
    const p = example("pull_request.closed", (e) => e.installation !== undefined);
    const id = "pr-closed-1";

    await h.deliver("pull_request", p, id);

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.hasDelivery(id)).toBe(false);
    const counts = (await h.app.metrics.webhooksReceived.get()).values;
    expect(counts).toEqual([expect.objectContaining({ value: 1, labels: { event: "pull_request", outcome: "ignored" } })]);
    h.gh.done();
  });
});
