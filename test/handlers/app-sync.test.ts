/**
 * Applications synced through the App: real webhook payloads through Probot, GitHub mocked by nock,
 * a simulated cluster as the destination. A push syncs an automated app (check run, Deployment), a
 * manual app waits for its Sync button, commands sync, dry-run, refuse rollbacks, lock and unlock,
 * failed revisions are not retried forever, and self-heal repairs drift only when asked to.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { staticClusterResolver } from "../../src/app/clusters.js";
import { FAILED_NS } from "../../src/app/app-sync-state.js";
import { SelfHealer } from "../../src/app/self-heal.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import type { WebhookPayload } from "../helpers/webhooks.js";
import { appsYaml, expectCheckPatches, expectDefaultHead, expectDeployment, expectDeploymentStatus, guestbookFiles, serveAppRepo, type AppYamlOptions } from "./app-fixtures.js";
import { example, expectCheckCreated, expectCheckUpdated, expectComment, expectPermission, expectReaction, expectToken, pushPayload, R, type Captured } from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let sim: SimulatedCluster;
let cluster: KubeCluster;
let h: Harness;

beforeEach(async () => {
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
  h = await startHarness({
    settleMs: 20_000,
    compose: {
      clusters: staticClusterResolver({ home: cluster }),
      appSync: { waveDelayMs: 50, pollMs: 50, busyRetryMs: 50, selfHealDebounceMs: 100, selfHealBackoff: { baseMs: 200, factor: 3, capMs: 2000 } },
    },
  });
  h.gh.allowLoopback();
});
afterEach(async () => {
  await h.close();
  await sim.close();
});

const GUESTBOOK = ["guestbook/guestbook-ui-deployment.yaml", "guestbook/guestbook-ui-svc.yaml"];
const DEPLOYMENT = { apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" };
type DeploymentObject = KubeObject & { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } };
const liveImage = async () => (await cluster.get<DeploymentObject>(DEPLOYMENT))?.spec.template.spec.containers[0]!.image;

/** A push of `sha` to the default branch (`master`). */
function push(sha: string): WebhookPayload {
  const p = pushPayload("refs/heads/master");
  return { ...p, after: sha, head_commit: { ...(p.head_commit as object), id: sha } };
}

function repoFiles(opts: AppYamlOptions, extra: Record<string, string> = {}): Record<string, string> {
  return { ".tiphys/apps.yaml": appsYaml(opts), ...guestbookFiles(), ...extra };
}

type CheckRunPayload = WebhookPayload & { check_run: { id: number; name: string; head_sha: string }; requested_action: { identifier: string }; sender: { login: string; type: string } };
type CommentPayload = WebhookPayload & { issue: { number: number }; comment: { id: number; body: string } };

function comment(body: string): CommentPayload {
  const p = example("issue_comment.created", (e) => e.installation !== undefined) as CommentPayload;
  p.comment.body = body;
  return p;
}

/** Every GitHub call of an automated sync at `sha`: check run, Deployment and its statuses. */
function expectAutomatedSync(scope: Harness["gh"]["scope"], ids: { check: number; deployment: number }) {
  const created = expectCheckCreated(scope, { name: "tiphys/app/guestbook", id: ids.check, status: "in_progress" });
  const deployment = expectDeployment(scope, ids.deployment);
  const statuses = expectDeploymentStatus(scope, ids.deployment, "in_progress");
  const completed = expectCheckUpdated(scope, ids.check, "completed");
  expectDeploymentStatus(scope, ids.deployment, "success", statuses);
  return { created, deployment, statuses, completed };
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a push to the branch an automated app follows", () => {
  it("syncs it: objects in the cluster, a check run with the result table, a Deployment in_progress then success", async () => {
    const sha = "1".repeat(40);
    const files = repoFiles({ automated: { prune: true }, environment: "production" });
    const { scope } = h.gh;
    expectToken(scope);
    serveAppRepo(scope, sha, files, { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const calls = expectAutomatedSync(scope, { check: 701, deployment: 801 });

    await h.deliver("push", push(sha));

    h.gh.done();
    const live = await cluster.get(DEPLOYMENT);
    expect(live?.metadata.annotations?.["tiphys.io/tracking-id"]).toBe("guestbook:apps/Deployment:default/guestbook-ui");
    expect(await cluster.get({ apiVersion: "v1", kind: "Service", namespace: "default", name: "guestbook-ui" })).toBeDefined();
    expect(calls.created[0]).toMatchObject({ name: "tiphys/app/guestbook", head_sha: sha, status: "in_progress" });
    expect(calls.deployment[0]).toMatchObject({ ref: sha, environment: "production", auto_merge: false, required_contexts: [] });
    expect(calls.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(calls.statuses[1]).toMatchObject({ auto_inactive: true });
    const done = calls.completed[0]!;
    expect(done).toMatchObject({ status: "completed", conclusion: "success" });
    expect(done.output.title).toBe(`guestbook synced to ${sha.slice(0, 7)}: Synced, ${done.output.title.split(", ").pop()}`);
    expect(done.output.summary).toContain("**Operation** Succeeded · **Sync status** Synced");
    expect(done.output.summary).toContain("initiated by push (automated) · prune");
    expect(done.output.text).toContain("| Resource | Phase | Wave | Action | Result | Health |");
    expect(done.output.text).toContain("| Service default/guestbook-ui | Sync | 0 | create | Synced: service/guestbook-ui created |");
    expect(done.output.text).toMatch(/\| Deployment default\/guestbook-ui \| Sync \| 0 \| create \| Synced: deployment.apps\/guestbook-ui created \| (Healthy|Progressing) \|/);
  });
});

describe("a manual app", () => {
  it("gets action_required with a Sync button, and clicking it syncs the commit", async () => {
    const sha = "2".repeat(40);
    const files = repoFiles({});
    const { scope } = h.gh;
    expectToken(scope);
    serveAppRepo(scope, sha, files, { trees: 3, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const waiting = expectCheckCreated(scope, { name: "tiphys/app/guestbook", id: 702, status: "completed" });

    await h.deliver("push", push(sha));

    expect(waiting[0]).toMatchObject({ head_sha: sha, conclusion: "action_required", actions: [{ label: "Sync", identifier: "sync", description: expect.any(String) }] });
    expect(waiting[0].output.title).toBe(`guestbook is OutOfSync at ${sha.slice(0, 7)}: 2 resources differ`);
    expect(waiting[0].output.text).toContain("| Deployment default/guestbook-ui | 0 | missing |");
    expect(await cluster.get(DEPLOYMENT)).toBeUndefined();

    const click = example("check_run.requested_action") as CheckRunPayload;
    Object.assign(click.check_run, { id: 702, name: "tiphys/app/guestbook", head_sha: sha });
    click.requested_action = { identifier: "sync" };
    click.sender = { ...click.sender, login: "Codertocat", type: "User" };
    expectPermission(scope, "Codertocat", "write");
    const calls = expectAutomatedSync(scope, { check: 703, deployment: 803 });

    await h.deliver("check_run", click);

    h.gh.done();
    expect(await cluster.get(DEPLOYMENT)).toBeDefined();
    expect(calls.deployment[0]).toMatchObject({ ref: sha, environment: "guestbook" });
    expect(calls.completed[0].output.summary).toContain("initiated by @Codertocat");
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "Codertocat", action: "button", target: "sync guestbook", decision: "allowed", sha })]);
  });

  it("a click by someone with read permission syncs nothing", async () => {
    const click = example("check_run.requested_action") as CheckRunPayload;
    Object.assign(click.check_run, { id: 702, name: "tiphys/app/guestbook", head_sha: "2".repeat(40) });
    click.requested_action = { identifier: "sync" };
    click.sender = { ...click.sender, login: "mallory", type: "User" };
    expectToken(h.gh.scope);
    expectPermission(h.gh.scope, "mallory", "read");

    await h.deliver("check_run", click);

    h.gh.done();
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "mallory", action: "button", decision: "refused" })]);
  });
});

describe("commands", () => {
  it("/tiphys sync guestbook --dry-run says what would be applied and changes nothing", async () => {
    const head = "3".repeat(40);
    const files = repoFiles({ automated: {} });
    const p = comment("/tiphys sync guestbook --dry-run");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, head);
    serveAppRepo(scope, head, files, { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "rocket");
    const writesBefore = ["create", "update", "patch", "delete"].reduce((n, verb) => n + sim.api.requests.count({ verb }), 0);

    await h.deliver("issue_comment", p);

    h.gh.done();
    expect(replies[0].body).toContain(`Dry run of \`guestbook\` at \`${head.slice(0, 7)}\`: Succeeded, 2 resources out of sync (now OutOfSync). Nothing was changed.`);
    expect(replies[0].body).toContain("| Deployment default/guestbook-ui | Missing | deployment.apps/guestbook-ui created (dry run) |");
    expect(await cluster.get(DEPLOYMENT)).toBeUndefined();
    const dryRunWrites = sim.api.requests.list().filter((r) => ["create", "update", "patch", "delete"].includes(r.verb)).slice(writesBefore);
    expect(dryRunWrites.length).toBeGreaterThan(0);
    expect(dryRunWrites.filter((r) => !/dryRun=All/.test(r.query))).toEqual([]);
  });

  it("/tiphys sync guestbook queues a manual sync and links its check run", async () => {
    const head = "4".repeat(40);
    const files = repoFiles({});
    const p = comment("/tiphys sync guestbook");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, head);
    serveAppRepo(scope, head, files, { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    scope.post(`${R}/check-runs`, (b) => b.status === "queued" && b.name === "tiphys/app/guestbook").reply(201, (_u, b) => ({ id: 704, name: (b as { name: string }).name, head_sha: head, status: "queued", html_url: "https://github.com/Codertocat/Hello-World/runs/704" }));
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "rocket");
    const inProgress = expectCheckPatches(scope, 704, "in_progress", 1);
    const completed = expectCheckUpdated(scope, 704, "completed");
    const deployment = expectDeployment(scope, 804);
    expectDeploymentStatus(scope, 804, "in_progress");
    expectDeploymentStatus(scope, 804, "success");

    await h.deliver("issue_comment", p);

    h.gh.done();
    expect(replies[0].body).toBe(`Syncing \`guestbook\` to \`${head.slice(0, 7)}\` (\`master\`): see the check run [\`tiphys/app/guestbook\`](https://github.com/Codertocat/Hello-World/runs/704).`);
    expect(inProgress[0].output.title).toBe(`Syncing guestbook to ${head.slice(0, 7)}`);
    expect(completed[0]).toMatchObject({ conclusion: "success" });
    expect(deployment[0]).toMatchObject({ ref: head });
    expect(await cluster.get(DEPLOYMENT)).toBeDefined();
  });

  it("/tiphys rollback guestbook is refused while automated sync is on", async () => {
    const head = "5".repeat(40);
    const p = comment("/tiphys rollback guestbook");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, head);
    serveAppRepo(scope, head, repoFiles({ automated: { selfHeal: true } }), { trees: 1, blobs: [".tiphys/apps.yaml"] });
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "confused");

    await h.deliver("issue_comment", p);

    h.gh.done();
    expect(replies[0].body).toContain("rollback cannot be initiated when auto-sync is enabled: disable `syncPolicy.automated` on the Application, or `/tiphys lock guestbook`");
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ target: "rollback guestbook", decision: "refused", reason: "rollback cannot be initiated when auto-sync is enabled" })]);
  });

  it("lock: a push does not sync and the check run says who locked it and why; unlock: the next push syncs", async () => {
    const head = "6".repeat(40);
    const files = repoFiles({ automated: {} });
    const { scope } = h.gh;
    const lock = comment("/tiphys lock guestbook deploy freeze until Friday");
    expectToken(scope);
    expectReaction(scope, lock.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, head);
    serveAppRepo(scope, head, files, { trees: 1, blobs: [".tiphys/apps.yaml"] });
    const lockReply = expectComment(scope, lock.issue.number);
    expectReaction(scope, lock.comment.id, "rocket");
    await h.deliver("issue_comment", lock);
    expect(lockReply[0].body).toMatch(/^🔒 `guestbook` is locked by @Codertocat since \S+: deploy freeze until Friday\. It does not sync automatically/);

    const first = "7".repeat(40);
    serveAppRepo(scope, first, files, { trees: 2, blobs: GUESTBOOK });
    const locked = expectCheckCreated(scope, { name: "tiphys/app/guestbook", id: 705, status: "completed" });
    await h.deliver("push", push(first));
    expect(locked[0]).toMatchObject({ conclusion: "action_required", actions: [expect.objectContaining({ identifier: "sync" })] });
    expect(locked[0].output.summary).toContain("locked by @Codertocat");
    expect(locked[0].output.summary).toContain("deploy freeze until Friday");
    expect(await cluster.get(DEPLOYMENT)).toBeUndefined();

    const unlock = comment("/tiphys unlock guestbook");
    expectReaction(scope, unlock.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    const unlockReply = expectComment(scope, unlock.issue.number);
    expectReaction(scope, unlock.comment.id, "rocket");
    await h.deliver("issue_comment", unlock);
    expect(unlockReply[0].body).toContain("🔓 `guestbook` is unlocked (it was locked by @Codertocat");

    const second = "8".repeat(40);
    serveAppRepo(scope, second, files, { trees: 2, blobs: [] });
    const calls = expectAutomatedSync(scope, { check: 706, deployment: 806 });
    await h.deliver("push", push(second));

    h.gh.done();
    expect(calls.completed[0]).toMatchObject({ conclusion: "success" });
    expect(await cluster.get(DEPLOYMENT)).toBeDefined();
  });
});

describe("what stops a sync before it starts", () => {
  it("no clusters: a neutral check run saying how to give Tiphys one", async () => {
    h.app.ctx.clusters = undefined;
    const sha = "c3".repeat(20);
    expectToken(h.gh.scope);
    serveAppRepo(h.gh.scope, sha, repoFiles({ automated: {} }), { trees: 1, blobs: [".tiphys/apps.yaml"] });
    const check = expectCheckCreated(h.gh.scope, { name: "tiphys/app/guestbook", id: 709, status: "completed" });

    await h.deliver("push", push(sha));

    h.gh.done();
    expect(check[0]).toMatchObject({ head_sha: sha, conclusion: "neutral", output: { title: "guestbook cannot sync: Tiphys has no clusters" } });
    expect(check[0].output.summary).toContain("Set `TIPHYS_KUBECONFIG` to a kubeconfig file whose contexts are the clusters");
  });

  it("manifests that cannot be generated fail the check run with an annotation on the Application", async () => {
    const sha = "d4".repeat(20);
    const files = repoFiles({ automated: {} });
    files[".tiphys/apps.yaml"] = files[".tiphys/apps.yaml"]!.replace("path: guestbook", "path: guestbok");
    expectToken(h.gh.scope);
    serveAppRepo(h.gh.scope, sha, files, { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const check = expectCheckCreated(h.gh.scope, { name: "tiphys/app/guestbook", id: 710, status: "completed" });

    await h.deliver("push", push(sha));

    h.gh.done();
    expect(check[0]).toMatchObject({ conclusion: "failure", output: { title: "guestbook: manifests could not be generated" } });
    expect(check[0].output.summary).toContain("guestbok: app path does not exist");
    // The problem is the field `spec.source`: line 8 of apps.yaml.
    expect(check[0].output.annotations).toEqual([expect.objectContaining({ path: ".tiphys/apps.yaml", start_line: 8, annotation_level: "failure", title: "spec.source", message: "guestbok: app path does not exist" })]);
  });
});

describe("rollback", () => {
  it("of a locked app: syncs the previous history entry's revision with hooks skipped", async () => {
    const { scope } = h.gh;
    const [a, b] = ["e5".repeat(20), "f6".repeat(20)];
    const filesA = repoFiles({ automated: {} });
    const filesB = { ...filesA, "guestbook/guestbook-ui-deployment.yaml": filesA["guestbook/guestbook-ui-deployment.yaml"]!.replace("gb-frontend:v5", "gb-frontend:v6") };
    expectToken(scope);
    serveAppRepo(scope, a, filesA, { trees: 3, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    expectAutomatedSync(scope, { check: 711, deployment: 811 });
    await h.deliver("push", push(a));
    serveAppRepo(scope, b, filesB, { trees: 2, blobs: ["guestbook/guestbook-ui-deployment.yaml"] });
    expectAutomatedSync(scope, { check: 712, deployment: 812 });
    await h.deliver("push", push(b));
    expect(await liveImage()).toBe("gcr.io/google-samples/gb-frontend:v6");

    const lock = comment("/tiphys lock guestbook bad release");
    expectReaction(scope, lock.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, b);
    expectComment(scope, lock.issue.number);
    expectReaction(scope, lock.comment.id, "rocket");
    await h.deliver("issue_comment", lock);

    const rollback = comment("/tiphys rollback guestbook");
    expectReaction(scope, rollback.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    expectDefaultHead(scope, b);
    const queued = expectCheckCreated(scope, { name: "tiphys/app/guestbook", id: 713, status: "queued" });
    const reply = expectComment(scope, rollback.issue.number);
    expectReaction(scope, rollback.comment.id, "rocket");
    expectCheckPatches(scope, 713, "in_progress", 1);
    const completed = expectCheckUpdated(scope, 713, "completed");
    const deployment = expectDeployment(scope, 813);
    expectDeploymentStatus(scope, 813, "in_progress");
    expectDeploymentStatus(scope, 813, "success");
    await h.deliver("issue_comment", rollback);

    h.gh.done();
    expect(queued[0]).toMatchObject({ head_sha: a });
    expect(reply[0].body).toContain(`Rolling \`guestbook\` back to history \`0\`: \`${a.slice(0, 7)}\``);
    expect(reply[0].body).toContain("Hooks are skipped and its targetRevision does not change");
    expect(deployment[0]).toMatchObject({ ref: a });
    expect(completed[0]).toMatchObject({ conclusion: "success" });
    expect(completed[0].output.summary).toContain("initiated by @Codertocat (rollback to history 0) · hooks skipped");
    expect(completed[0].output.summary).toContain("🔒 `guestbook` is locked by @Codertocat");
    expect(await liveImage()).toBe("gcr.io/google-samples/gb-frontend:v5");
  });
});

describe("one operation per app", () => {
  it("a sync waits while another operation of the app holds its lock", async () => {
    const sha = "a7".repeat(20);
    expectToken(h.gh.scope);
    serveAppRepo(h.gh.scope, sha, repoFiles({ automated: {} }), { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const calls = expectAutomatedSync(h.gh.scope, { check: 714, deployment: 814 });
    const lockName = "app-sync:Codertocat/Hello-World:guestbook";
    expect(await h.app.store.tryLock(lockName, "another-replica", 60_000)).toBe(true);
    let releasedAt = 0;
    setTimeout(() => {
      releasedAt = Date.now();
      void h.app.store.unlock(lockName, "another-replica");
    }, 400);

    await h.deliver("push", push(sha));

    h.gh.done();
    expect(releasedAt).toBeGreaterThan(0);
    // Nothing started while the other operation held the lock.
    expect(Date.parse(calls.created[0].started_at)).toBeGreaterThanOrEqual(releasedAt);
    expect(calls.completed[0]).toMatchObject({ conclusion: "success" });
  });

  it("a queued sync of an older push ends as superseded, closing its check run and Deployment", async () => {
    const [older, newer] = ["b8".repeat(20), "c9".repeat(20)];
    await h.app.store.putValue("app-wanted", "Codertocat/Hello-World/guestbook", { sha: newer, trigger: "push", at: new Date().toISOString() });
    expectToken(h.gh.scope);
    const closed = expectCheckUpdated(h.gh.scope, 715, "completed");
    const statuses = expectDeploymentStatus(h.gh.scope, 815, "inactive");
    const repo = { owner: "Codertocat", name: "Hello-World", installationId: 1 };
    await h.app.store.enqueue({ kind: "app-sync", installationId: 1, repo: "Codertocat/Hello-World", payload: { repo, app: "guestbook", sha: older, configSha: older, trigger: "retry", retry: 1, checkRunId: 715, deploymentId: 815 } });

    await eventually("the job done", async () => ((await h.app.store.countJobs("queued")) + (await h.app.store.countJobs("running")) === 0 && closed.length > 0 && statuses.length > 0 ? true : undefined));

    h.gh.done();
    expect(closed[0]).toMatchObject({ conclusion: "neutral", output: { title: `Superseded by ${newer.slice(0, 7)}` } });
    expect(statuses[0]).toMatchObject({ state: "inactive" });
  });
});

describe("retries of an automated sync", () => {
  it("retries with the app's backoff, fails for good, and a later push of the same revision does not sync it again", async () => {
    const sha = "9".repeat(40);
    // A kind the cluster does not serve: the operation fails before anything is applied.
    const widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {}\n";
    const files = repoFiles({ automated: {}, retry: "{ limit: 2, backoff: { duration: 20ms, factor: 2, maxDuration: 1s } }" }, { "guestbook/widget.yaml": widget });
    const { scope } = h.gh;
    expectToken(scope);
    serveAppRepo(scope, sha, files, { trees: 4, blobs: [".tiphys/apps.yaml", ...GUESTBOOK, "guestbook/widget.yaml"] });
    expectCheckCreated(scope, { name: "tiphys/app/guestbook", id: 707, status: "in_progress" });
    const deployment = expectDeployment(scope, 807);
    const statuses = expectDeploymentStatus(scope, 807, "in_progress");
    // Attempt 1 fails (retrying #1), attempt 2 starts and fails (retrying #2), attempt 3 starts and fails for good.
    const updates: Captured = [];
    expectCheckPatches(scope, 707, "in_progress", 4, updates);
    expectCheckUpdated(scope, 707, "completed", updates);
    expectDeploymentStatus(scope, 807, "failure", statuses);

    await h.deliver("push", push(sha));

    h.gh.done();
    expect(deployment).toHaveLength(1);
    expect(updates.map((u) => u.output.title)).toEqual([
      "Sync of guestbook failed; retrying (attempt #1)",
      `Syncing guestbook to ${sha.slice(0, 7)}`,
      "Sync of guestbook failed; retrying (attempt #2)",
      `Syncing guestbook to ${sha.slice(0, 7)}`,
      `Sync of guestbook to ${sha.slice(0, 7)} failed`,
    ]);
    const final = updates[4]!;
    expect(final).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(final.output.text).toContain("Widget (example.com/v1) is not served");
    expect(final.output.summary).toContain("(retried 2 times). This revision is not synced automatically again");
    expect(statuses.map((s) => s.state)).toEqual(["in_progress", "failure"]);
    expect(await h.app.store.getValue(FAILED_NS, "Codertocat/Hello-World/guestbook")).toMatchObject({ revision: sha, phase: "Failed" });

    // The same commit pushed again (say, a branch reset to it): nothing is fetched, rendered or synced.
    const callsBefore = h.gh.calls.length;
    const clusterRequests = sim.api.requests.count({});
    await h.deliver("push", push(sha));
    h.gh.done();
    expect(h.gh.calls.slice(callsBefore)).toEqual([]);
    expect(sim.api.requests.count({})).toBe(clusterRequests);
  });
});

describe("self-heal", () => {
  async function syncFirst(sha: string, automated: AppYamlOptions["automated"]) {
    const files = repoFiles({ automated });
    expectToken(h.gh.scope);
    serveAppRepo(h.gh.scope, sha, files, { trees: 2, blobs: [".tiphys/apps.yaml", ...GUESTBOOK] });
    const calls = expectAutomatedSync(h.gh.scope, { check: 708, deployment: 808 });
    await h.deliver("push", push(sha));
    h.gh.done();
    expect(calls.completed[0]).toMatchObject({ conclusion: "success" });
  }
  const drift = async (action: string) => (await h.app.metrics.appDrift.get()).values.find((v) => v.labels.action === action)?.value ?? 0;
  const forgeImage = () => cluster.patch(DEPLOYMENT, { spec: { template: { spec: { containers: [{ name: "guestbook-ui", image: "evil:1" }] } } } }, "strategic");

  it("with selfHeal, a changed image is put back within seconds", async () => {
    await syncFirst("a1".repeat(20), { selfHeal: true });
    const wanted = await liveImage();
    expect(wanted).toBe("gcr.io/google-samples/gb-frontend:v5");

    await forgeImage();
    expect(await liveImage()).toBe("evil:1");

    await eventually("the image restored", async () => ((await liveImage()) === wanted ? true : undefined));
    expect(await drift("healed")).toBeGreaterThanOrEqual(1);
  });

  it("after a restart, resumes watching the apps that synced here and heals them", async () => {
    const sha = "d5".repeat(20);
    await syncFirst(sha, { selfHeal: true });
    await h.app.ctx.selfHeal!.close();
    const healer = new SelfHealer(h.app.ctx);
    h.app.ctx.selfHeal = healer;
    // Rendered again at its revision: one tree call; the checkout on disk and the blobs are reused.
    serveAppRepo(h.gh.scope, sha, repoFiles({ automated: { selfHeal: true } }), { trees: 1, blobs: [] });

    expect(await healer.resume()).toBe(1);
    await forgeImage();

    await eventually("the image restored", async () => ((await liveImage()) === "gcr.io/google-samples/gb-frontend:v5" ? true : undefined));
    h.gh.done();
    expect(healer.watched).toEqual(["Codertocat/Hello-World/guestbook"]);
  });

  it("without selfHeal, the drift is reported and left alone", async () => {
    await syncFirst("b2".repeat(20), {});
    await forgeImage();

    await eventually("the drift reported", async () => ((await drift("reported")) >= 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 600));
    expect(await liveImage()).toBe("evil:1");
    expect(await drift("healed")).toBe(0);
  });
});
