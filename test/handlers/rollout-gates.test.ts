/**
 * Rollout gates through the App: real webhook payloads through Probot, GitHub mocked by nock, the
 * simulated cluster as the destination. A push syncs an app whose manifests hold the corpus's canary
 * Rollout; the release pauses at `pause: {}`; the gate's check run (with Promote / Promote full / Abort)
 * and the pull request's comment appear; commands and clicks are authorised (write permission,
 * promoters, the second-person rule) and audited; the release completes (or its gate times out and it
 * aborts); and a restart while paused loses nothing.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { staticClusterResolver } from "../../src/app/clusters.js";
import { RELEASE_NS, type RolloutRelease } from "../../src/app/rollout-release.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { openStore } from "../../src/store/index.js";
import { testWorkRoot } from "../support/work-root.js";
import { expectComment, expectPermission, expectReaction, expectToken, type Captured } from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";
import { click, comment, eventually, expectAppSync, expectCommentEdits, expectPullsOfCommit, expectReleaseComment, expectRolloutCheck, expectRolloutPatches, push, repoFiles } from "./rollout-fixtures.js";

const SHA1 = "1".repeat(40);
const SHA2 = "2".repeat(40);
const PR = 42;
const CHECK = 901;
const COMMENT = 9501;
const KEY = "Codertocat/Hello-World/default/web";

let sim: SimulatedCluster;
let cluster: KubeCluster;
let h: Harness | undefined;

async function start(store?: Awaited<ReturnType<typeof openStore>>): Promise<Harness> {
  const harness = await startHarness({
    settleMs: 20_000,
    ...(store ? { store } : {}),
    compose: {
      clusters: staticClusterResolver({ home: cluster }),
      appSync: { waveDelayMs: 50, pollMs: 50, busyRetryMs: 50 },
      rollouts: { controllerPollMs: 100, gatePollMs: 60_000, adoptMs: 0 },
    },
  });
  harness.gh.allowLoopback();
  return harness;
}

beforeEach(async () => {
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 10, readyDelayMs: 10 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.close();
});

type RolloutObject = KubeObject & { status?: { pauseConditions?: Array<{ reason: string }>; currentStepIndex?: number; abort?: boolean; stableRS?: string; currentPodHash?: string } };
const liveRollout = () => cluster.get<RolloutObject>({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: "default", name: "web" });
const release = () => h!.app.store.getValue<RolloutRelease>(RELEASE_NS, KEY);

/**
 * Pushes blue (the first deploy: no steps, straight to Healthy) and then yellow from PR #42 (by
 * octocat), which pauses at step 2 (`pause: {}`). `more` sets up what else GitHub gets meanwhile.
 */
async function releaseToGate(annotations: Record<string, string> = {}, more?: (scope: Harness["gh"]["scope"]) => void) {
  const { scope } = h!.gh;
  expectToken(scope);
  expectAppSync(scope, SHA1, repoFiles({ image: "blue", annotations }), { check: 701, deployment: 801, blobs: [".tiphys/apps.yaml", "deploy/rollout.yaml"] });
  expectPullsOfCommit(scope, SHA1, []);
  const first = expectRolloutCheck(scope, 900, "in_progress");
  expectRolloutPatches(scope, 900, ["success"], first);
  await h!.deliver("push", push(SHA1));
  await eventually("the first release's success", () => first[1]);

  expectAppSync(scope, SHA2, repoFiles({ image: "yellow", annotations }), { check: 702, deployment: 802, blobs: ["deploy/rollout.yaml"] });
  expectPullsOfCommit(scope, SHA2, [{ number: PR, author: "octocat" }]);
  const check = expectRolloutCheck(scope, CHECK, "in_progress");
  expectRolloutPatches(scope, CHECK, ["action_required"], check);
  const comments = expectReleaseComment(scope, PR, COMMENT);
  more?.(scope);
  await h!.deliver("push", push(SHA2));
  await eventually("the gate's comment", () => comments[0]);
  return { first, check, comments };
}

/** Every call of a `/tiphys` comment on the PR whose command is refused. */
function expectRefusedComment(scope: Harness["gh"]["scope"], p: ReturnType<typeof comment>, login: string, permission: "read" | "write"): Captured {
  expectReaction(scope, p.comment.id, "eyes");
  expectPermission(scope, login, permission);
  const replies = expectComment(scope, PR);
  expectReaction(scope, p.comment.id, "confused");
  return replies;
}

describe("a release through its gate", () => {
  it("pauses with a check run and a PR comment, refuses a reader, promotes on an authorised click and ends in success", async () => {
    h = await start();
    const { first, check, comments } = await releaseToGate();

    expect(first[1]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(first[1].output.title).toBe("web is fully promoted: revision 1 is stable");
    expect(check[0]).toMatchObject({ name: "tiphys/rollout/web", head_sha: SHA2, status: "in_progress", actions: [] });
    const gate = check[1]!;
    expect(gate).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(gate.actions).toEqual([
      { label: "Promote", description: "Go on to the next step", identifier: "promote" },
      { label: "Promote full", description: "Skip the remaining steps", identifier: "promote-full" },
      { label: "Abort", description: "Go back to the stable revision", identifier: "abort" },
    ]);
    expect(gate.output.title).toBe("web waits for promotion at step 2 of 8 (pause: {})");
    expect(gate.output.summary).toMatch(/^⏸️ \*\*Paused\*\* at step 2 of 8 \(`pause: \{\}`\) since \S+Z: \*\*CanaryPauseStep\*\*\./);
    expect(gate.output.summary).toContain("Promote to go on (`setWeight: 40`), Promote full to skip the remaining steps, or Abort to go back to the stable revision: with the buttons above, or a comment `/tiphys promote web`, `/tiphys promote web --full`, `/tiphys abort web`.");
    expect(gate.output.summary).toContain("Who may promote `web`: people with write permission on Codertocat/Hello-World.");
    expect(gate.output.summary).toContain("**Rollout** `default/web` · **Revision** 2 · **Phase** Paused (CanaryPauseStep) · **App** `web` at `2222222` · **Weights** canary 20% set, 20% actual");
    expect(gate.output.summary).toMatch(/\*\*Pods\*\* stable 4\/4 pods available \(`web-\w+`\) · canary 1\/1 pod available \(`web-\w+`\)/);
    expect(gate.output.summary).toContain("### Steps\n\n| # | Step | State |\n| --- | --- | --- |\n| 1 | setWeight: 20 | ✅ done |\n| 2 | pause: {} | ▶️ current |\n| 3 | setWeight: 40 | next |");
    expect(gate.output.summary).toMatch(/### ReplicaSets\n\n\| ReplicaSet \| Role \| Replicas \| Available \|\n\| --- \| --- \| --- \| --- \|\n(\| web-\w+ \| (stable \| 4 \| 4|canary \| 1 \| 1) \|\n?){2}/);
    const body: string = comments[0]!.body;
    expect(body.startsWith("<!-- tiphys:rollout:default/web -->\n### ⏸️ Rollout `web` waits for promotion\n")).toBe(true);
    expect(body).toContain("The release of `2222222` (app `web`, revision 2) paused at step 2 of 8 (`pause: {}`) ([check run](https://github.com/Codertocat/Hello-World/runs/901)).");
    expect(body).toContain("| `/tiphys promote web` | Go on with `setWeight: 40` |");
    expect(body).toContain("| `/tiphys promote web --full` | Skip the remaining steps: revision 2 serves everything |");
    expect(body).toContain("| `/tiphys abort web` | Back to the stable revision: the new pods scale down |");
    expect(body).toMatch(/⏰ Without an answer, Tiphys will \*\*abort\*\* the release at \S+Z \(`tiphys.io\/gate-timeout: 24h` after the pause began\)\./);
    expect((await liveRollout())?.status?.pauseConditions?.[0]?.reason).toBe("CanaryPauseStep");
    h.gh.done();

    // Someone with read permission: refused, with who may, and audited.
    const { scope } = h.gh;
    const asked = comment("/tiphys promote web", { issue: PR, login: "mallory" });
    const refusal = expectRefusedComment(scope, asked, "mallory", "read");
    await h.deliver("issue_comment", asked);
    h.gh.done();
    expect(refusal[0].body).toBe("`/tiphys promote` needs write permission on this repository; @mallory has read.\n\nWho may promote `web`: people with write permission on Codertocat/Hello-World.");
    expect((await liveRollout())?.status?.pauseConditions).toHaveLength(1);

    // Codertocat (write) clicks Promote: the release goes on to the end.
    expectPermission(scope, "Codertocat", "write");
    const patches = expectRolloutPatches(scope, CHECK, [undefined, "success"]);
    const edits = expectCommentEdits(scope, COMMENT, 2);
    await h.deliver("check_run", click("promote", { id: CHECK, sha: SHA2, login: "Codertocat" }));
    await eventually("the release's success", () => patches[1], 30_000);
    await eventually("the comment's last edit", () => edits[1]);
    h.gh.done();

    expect(patches[0]).toMatchObject({ status: "in_progress", actions: [] });
    expect(patches[0].output.title).toMatch(/^web is progressing: step [3-8] of 8/);
    expect(patches[0].output.summary).toMatch(/- promote by @Codertocat at \S+Z/);
    expect(patches[1].output.title).toBe("web is fully promoted: revision 2 is stable");
    expect(patches[1].output.summary).toMatch(/- promote by @Codertocat at \S+Z/);
    expect(edits[0].body).toContain("### 🚀 Rollout `web` is progressing");
    expect(edits[1].body).toMatch(/^<!-- tiphys:rollout:default\/web -->\n### ✅ Rollout `web` is fully promoted\n\nRevision 2 from `2222222` serves everything/);
    const live = await liveRollout();
    expect(live?.status?.stableRS).toBe(live?.status?.currentPodHash);
    expect((await release())?.finished).toMatchObject({ phase: "Healthy", conclusion: "success" });
    const audit = await h.app.store.listAudit();
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: "mallory", action: "command", target: "promote web", sha: SHA2, decision: "refused", reason: "promote needs write; @mallory has read" }),
        expect.objectContaining({ actor: "Codertocat", action: "button", target: "promote web", sha: SHA2, decision: "allowed" }),
      ]),
    );
  });
});

describe("who may promote", () => {
  it("with tiphys.io/require-second-person, the PR's author may not promote the change", async () => {
    h = await start();
    await releaseToGate({ "tiphys.io/require-second-person": "true" });
    const asked = comment("/tiphys promote web", { issue: PR, login: "octocat" });
    const replies = expectRefusedComment(h.gh.scope, asked, "octocat", "write");

    await h.deliver("issue_comment", asked);

    h.gh.done();
    expect(replies[0].body).toBe(
      "`/tiphys promote web` was refused: @octocat is the author of this change, and web requires a second person to promote it.\n\nWho may promote `web`: people with write permission on Codertocat/Hello-World, other than the change's author @octocat (`tiphys.io/require-second-person`).",
    );
    expect((await liveRollout())?.status?.pauseConditions).toHaveLength(1);
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "octocat", target: "promote web", sha: SHA2, decision: "refused", reason: "@octocat is the author of this change, and web requires a second person to promote it" })]);
  });

  it("tiphys.io/promoters narrows it to the people and teams it names", async () => {
    h = await start();
    await releaseToGate({ "tiphys.io/promoters": "@octo-org/release-managers, hubot" });
    const { scope } = h.gh;
    const asked = comment("/tiphys promote web", { issue: PR, login: "Codertocat" });
    scope.get("/orgs/octo-org/teams/release-managers/memberships/Codertocat").reply(404, { message: "Not Found" });
    const replies = expectRefusedComment(scope, asked, "Codertocat", "write");
    await h.deliver("issue_comment", asked);
    h.gh.done();
    expect(replies[0].body).toBe(
      "`/tiphys promote web` was refused: @Codertocat is not one of the promoters of web.\n\nWho may promote `web`: people with write permission on Codertocat/Hello-World who are one of @hubot, @octo-org/release-managers (`tiphys.io/promoters`).",
    );

    // A member of the team clicks Promote full: every remaining step is skipped.
    expectPermission(scope, "alice", "write");
    scope.get("/orgs/octo-org/teams/release-managers/memberships/alice").reply(200, { state: "active", role: "member" });
    // Pods start at once in the simulated cluster: the release may be complete before its first report.
    const patches = expectRolloutPatches(scope, CHECK, ["maybe in progress", "success"]);
    const edits = expectCommentEdits(scope, COMMENT, 2, [], true);
    await h.deliver("check_run", click("promote-full", { id: CHECK, sha: SHA2, login: "alice" }));
    const done = await eventually("the release's success", () => patches.find((b) => b.conclusion === "success"), 20_000);
    await eventually("the comment's last edit", () => edits.find((b) => b.body.includes("is fully promoted")));
    h.gh.done();
    expect(done.output.summary).toMatch(/- promote-full by @alice at /);
    expect(await h.app.store.listAudit()).toEqual(expect.arrayContaining([expect.objectContaining({ actor: "alice", action: "button", target: "promote-full web", decision: "allowed" })]));
  });
});

describe("commands on any issue of the repository", () => {
  /** Every call of a `/tiphys` comment on issue 7 that is done. */
  function expectDoneComment(scope: Harness["gh"]["scope"], p: ReturnType<typeof comment>): Captured {
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    const replies = expectComment(scope, 7);
    expectReaction(scope, p.comment.id, "rocket");
    return replies;
  }

  it("status lists the release, abort stops it, retry starts it again up to the gate", async () => {
    h = await start();
    await releaseToGate();
    const { scope } = h.gh;

    const status = comment("/tiphys status", { issue: 7, login: "Codertocat" });
    const listed = expectDoneComment(scope, status);
    await h.deliver("issue_comment", status);
    h.gh.done();
    expect(listed[0].body).toContain("| Rollout | App | Commit | Where it stands |");
    expect(listed[0].body).toContain("| `default/web` | `web` | `2222222` | Paused at step 2 of 8 (`pause: {}`), revision 2, canary at 20%, paused (CanaryPauseStep) |");

    const abort = comment("/tiphys abort web", { issue: 7, login: "Codertocat" });
    const aborted = expectDoneComment(scope, abort);
    const patches = expectRolloutPatches(scope, CHECK, ["failure"]);
    const edits = expectCommentEdits(scope, COMMENT, 1);
    await h.deliver("issue_comment", abort);
    await eventually("the aborted release's comment", () => edits[0]);
    h.gh.done();
    expect(aborted[0].body).toMatch(/^Aborted `web`: now Degraded at step 1 of 8 \(`setWeight: 20`\), revision 2/);
    expect(patches[0].output.title).toMatch(/^web was aborted: RolloutAborted: Rollout aborted update to revision 2/);
    expect(edits[0].body).toContain("- abort by @Codertocat at");

    const retry = comment("/tiphys retry web", { issue: 7, login: "Codertocat" });
    const retried = expectDoneComment(scope, retry);
    // The simulated cluster may reach the gate within the retry's own reconcile: then no update in between.
    expectRolloutPatches(scope, CHECK, ["maybe in progress", "action_required"], patches);
    expectCommentEdits(scope, COMMENT, 2, edits, true);
    await h.deliver("issue_comment", retry);
    const gateAgain = await eventually("the gate again", () => edits.slice(1).find((e) => e.body.includes("waits for promotion")));
    h.gh.done();
    expect(retried[0].body).toMatch(/^Retrying `web`: now (Progressing at step 1|Paused at step 2) of 8/);
    expect(patches[patches.length - 1]).toMatchObject({ conclusion: "action_required" });
    expect(gateAgain.body).toContain("### ⏸️ Rollout `web` waits for promotion");
    expect(gateAgain.body).toContain("- retry by @Codertocat at");
    expect((await liveRollout())?.status?.abort).toBeFalsy();
    expect((await release())?.finished).toBeUndefined();
    expect((await h.app.store.listAudit()).map((a) => [a.actor, a.target, a.decision, a.sha])).toEqual([
      ["Codertocat", "retry web", "done", SHA2],
      ["Codertocat", "abort web", "done", SHA2],
      ["Codertocat", "status", "done", undefined],
    ]);
  });
});

describe("no gate waits forever", () => {
  it("tiphys.io/gate-timeout passes: the comment said when, and the release is aborted", async () => {
    h = await start();
    let patches: Captured = [];
    let edits: Captured = [];
    const { comments } = await releaseToGate({ "tiphys.io/gate-timeout": "1s" }, (scope) => {
      patches = expectRolloutPatches(scope, CHECK, ["failure"]);
      edits = expectCommentEdits(scope, COMMENT, 1);
    });
    expect(comments[0].body).toMatch(/Tiphys will \*\*abort\*\* the release at \S+Z \(`tiphys.io\/gate-timeout: 1s` after the pause began\)/);

    await eventually("the abort", () => edits[0]);
    h.gh.done();
    expect(patches[0].output.title).toMatch(/^web was aborted: RolloutAborted: Rollout aborted update to revision 2/);
    expect(patches[0].output.summary).toContain("- gate timeout: abort after 1s by tiphys at");
    expect(edits[0].body).toContain("### ❌ Rollout `web` was aborted");
    expect(edits[0].body).toContain("`/tiphys retry web` starts it again from the first step");
    expect((await liveRollout())?.status?.abort).toBe(true);
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "tiphys", action: "gate-timeout", target: "abort web", sha: SHA2, decision: "done" })]);
    const stable = `web-${(await liveRollout())?.status?.stableRS}`;
    await eventually("the canary scaled down", async () => (await cluster.list<KubeObject & { spec: { replicas: number } }>("apps/v1", "ReplicaSet", { namespace: "default" })).every((rs) => rs.metadata.name === stable || rs.spec.replicas === 0));
  });
});

describe("a restart while paused", () => {
  it("loses nothing: the new App writes nothing at the gate, then a click goes on with the same check run and comment", async () => {
    const dir = testWorkRoot(fileURLToPath(new URL("../..", import.meta.url)), `rollout-restart-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      h = await start(await openStore({ dataDir: join(dir, "data") }));
      await releaseToGate();
      h.gh.done();
      // The comment's id is recorded just after GitHub answers its creation.
      const before = await eventually("the release's comment recorded", async () => {
        const r = await release();
        return r && Object.keys(r.comments ?? {}).length > 0 ? r : undefined;
      });
      await h.close();
      expect((await liveRollout())?.status?.pauseConditions?.[0]?.reason).toBe("CanaryPauseStep");

      h = await start(await openStore({ dataDir: join(dir, "data") }));
      expect(await h.app.ctx.rollouts!.resume()).toBe(1);
      await eventually("driving again", () => h!.app.ctx.rollouts!.driving.includes(KEY));
      await new Promise((r) => setTimeout(r, 500));
      expect(h.gh.calls).toEqual([]);
      expect(await release()).toEqual(before);

      const { scope } = h.gh;
      expectToken(scope);
      expectPermission(scope, "Codertocat", "write");
      const patches = expectRolloutPatches(scope, CHECK, [undefined, "success"]);
      const edits = expectCommentEdits(scope, COMMENT, 2);
      await h.deliver("check_run", click("promote", { id: CHECK, sha: SHA2, login: "Codertocat" }));
      await eventually("the release's success", () => patches[1], 30_000);
      await eventually("the comment's last edit", () => edits[1]);
      h.gh.done();
      expect(patches[1].output.title).toBe("web is fully promoted: revision 2 is stable");
    } finally {
      await h?.close();
      h = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
