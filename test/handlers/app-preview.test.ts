/**
 * The diff preview of a pull request's Applications through the real handlers: real webhook payloads,
 * GitHub mocked by nock, the real helm and kustomize, the corpus apps as the repository's files.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { staticClusterResolver } from "../../src/app/clusters.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import { DEFAULT_PROJECT } from "../../src/reconcilers/application/model.js";
import { runSync } from "../../src/reconcilers/application/sync.js";
import type { Application, KubeObject } from "../../src/reconcilers/application/types.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { expectCheckCreated, expectCheckLookup, expectPermission, expectReaction, expectToken, R } from "./fixtures.js";
import {
  appYaml,
  BASE,
  commentPayload,
  corpusFolder,
  expectCommentList,
  expectCommentsCreated,
  expectCommentUpdated,
  expectPullFiles,
  expectPullHead,
  fenceLines,
  HEAD,
  pullPayload,
  RepoServer,
} from "./app-preview-fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
let repo: RepoServer;
beforeEach(async () => {
  h = await startHarness();
  repo = new RepoServer(h.gh.scope);
});
afterEach(async () => {
  await h.close();
});

const MARKER = "<!-- tiphys:app-diff:guestbook -->";
const guestbook = corpusFolder("guestbook");
const deploymentPath = "guestbook/guestbook-ui-deployment.yaml";
const servicePath = "guestbook/guestbook-ui-svc.yaml";
const configPath = "guestbook/config.yaml";

const baseFiles: Record<string, string> = { ".tiphys/apps.yaml": appYaml("guestbook", "guestbook"), "README.md": "# Hello\n", ...guestbook };

/** The head: the Deployment's image and replicas changed, the Service removed, a ConfigMap added. */
function headFiles(): Record<string, string> {
  const files = { ...baseFiles };
  delete files[servicePath];
  files[deploymentPath] = guestbook[deploymentPath]!.replace("gb-frontend:v5", "gb-frontend:v6").replace("replicas: 1", "replicas: 2");
  files[configPath] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook-config\ndata:\n  greeting: hello\n";
  return files;
}
const changed = [deploymentPath, servicePath, configPath];

/**
 * The reads of a trusted PR event up to the preview's writes: the author's permission, the head's
 * config, the PR's files, and (with `render`) the checkouts of both sides.
 */
function expectPreviewReads(head: string, headTree: Record<string, string>, files: string[], opts: { render?: boolean; author?: string } = {}) {
  const render = opts.render ?? true;
  expectPermission(h.gh.scope, opts.author ?? "Codertocat", "write");
  repo.tree(head, headTree, render ? 2 : 1);
  repo.blobs(render ? headTree : { ".tiphys/apps.yaml": headTree[".tiphys/apps.yaml"]! });
  if (render) {
    repo.tree(BASE, baseFiles, 1);
    repo.blobs(baseFiles);
  }
  expectPullFiles(h.gh.scope, files);
}

const commentWrites = () => h.gh.calls.filter((c) => /^(POST|PATCH) .*\/(issues\/\d+\/comments|issues\/comments\/\d+)$/.test(c));

describe("pull_request: the app diff preview", () => {
  it("opened: one comment with the marker, the counts, the table and each resource's diff", async () => {
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, headFiles(), changed);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 1);

    await h.deliver("pull_request", pullPayload("opened"));

    expect(created).toHaveLength(1);
    const body: string = created[0]!.body;
    expect(body.split("\n")[0]).toBe(MARKER);
    expect(body).toContain("### Tiphys: application `guestbook` → `https://kubernetes.default.svc` namespace `default`");
    expect(body).toContain("**1 added, 1 changed, 1 removed** (0 unchanged)");
    expect(body).toContain(
      ["| Kind | Namespace/Name | Change |", "| --- | --- | --- |", "| ConfigMap | default/guestbook-config | added |", "| Service | default/guestbook-ui | removed |", "| apps/Deployment | default/guestbook-ui | changed |"].join("\n"),
    );
    expect(body).toContain("--- base apps/Deployment default/guestbook-ui\n+++ head apps/Deployment default/guestbook-ui");
    expect(body).toContain("\n-  replicas: 1\n+  replicas: 2\n");
    expect(body).toContain("\n-        - image: gcr.io/google-samples/gb-frontend:v5\n+        - image: gcr.io/google-samples/gb-frontend:v6\n");
    expect(body).toContain("\n+  greeting: hello\n");
    expect(body).toContain("\n-    - port: 80\n");
    expect(fenceLines(body)).toEqual(["```diff", "```", "```diff", "```", "```diff", "```"]);
    h.gh.done();
  });

  it("synchronize to a commit that renders the same: the comment is read, nothing is written", async () => {
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, headFiles(), changed);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 1);
    await h.deliver("pull_request", pullPayload("opened"));
    h.gh.done();

    const next = "d".repeat(40);
    const before = h.gh.calls.length;
    expectPermission(h.gh.scope, "Codertocat", "write");
    repo.tree(next, headFiles(), 2);
    repo.tree(BASE, baseFiles, 1);
    expectPullFiles(h.gh.scope, changed);
    expectCommentList(h.gh.scope, 2, [{ id: 7001, body: created[0]!.body }]);

    await h.deliver("pull_request", pullPayload("synchronize", next));

    expect(h.gh.calls.slice(before).at(-1)).toBe(`GET ${R}/issues/2/comments?per_page=100`);
    expect(commentWrites()).toEqual([`POST ${R}/issues/2/comments`]);
    h.gh.done();
  });

  it("a change outside the app's path: no comment at all", async () => {
    const head = { ...baseFiles, "README.md": "# Hello again\n" };
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, head, ["README.md"], { render: false });
    expectCommentList(h.gh.scope, 2, []);

    await h.deliver("pull_request", pullPayload("opened"));

    expect(commentWrites()).toEqual([]);
    expect(h.gh.calls.filter((c) => c.includes("/git/trees/"))).toEqual([`GET ${R}/git/trees/${HEAD}?recursive=1`]);
    h.gh.done();
  });

  it("an earlier preview the PR no longer earns is brought up to date, and surplus parts are emptied", async () => {
    const head = { ...baseFiles, "README.md": "# Hello again\n" };
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, head, ["README.md"], { render: false });
    expectCommentList(h.gh.scope, 2, [
      { id: 51, body: `${MARKER}\nan old diff` },
      { id: 52, body: "<!-- tiphys:app-diff:guestbook:2 -->\nits second part" },
    ]);
    expectPullHead(h.gh.scope, HEAD);
    const first = expectCommentUpdated(h.gh.scope, 51);
    const second = expectCommentUpdated(h.gh.scope, 52);

    await h.deliver("pull_request", pullPayload("opened"));

    expect(first[0]!.body).toBe(`${MARKER}\n### Tiphys: application \`guestbook\`\n\nNothing to preview: this pull request no longer changes what \`guestbook\` renders.`);
    expect(second[0]!.body).toBe("<!-- tiphys:app-diff:guestbook:2 -->\n_This part of an earlier, longer comment is no longer needed._");
    h.gh.done();
  });

  it("a Helm chart whose values the PR changes: the diff shows the changed field", async () => {
    const chart = corpusFolder("helm-guestbook");
    const base = { ...baseFiles, ".tiphys/apps.yaml": appYaml("helm-guestbook", "helm-guestbook"), ...chart };
    const head = { ...base, "helm-guestbook/values.yaml": chart["helm-guestbook/values.yaml"]!.replace("replicaCount: 1", "replicaCount: 3") };
    expect(head["helm-guestbook/values.yaml"]).not.toBe(chart["helm-guestbook/values.yaml"]);
    expectToken(h.gh.scope);
    expectPermission(h.gh.scope, "Codertocat", "write");
    repo.tree(HEAD, head, 2);
    repo.tree(BASE, base, 1);
    repo.blobs(head);
    repo.blobs(base);
    expectPullFiles(h.gh.scope, ["helm-guestbook/values.yaml"]);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 1);

    await h.deliver("pull_request", pullPayload("opened"));

    const body: string = created[0]!.body;
    expect(body.split("\n")[0]).toBe("<!-- tiphys:app-diff:helm-guestbook -->");
    expect(body).toContain("**0 added, 1 changed, 0 removed** (1 unchanged)");
    expect(body).toContain("| apps/Deployment | default/helm-guestbook | changed |");
    expect(body).toContain("\n-  replicas: 1\n+  replicas: 3\n");
    h.gh.done();
  });

  it("a chart that does not render: the comment shows helm's error instead of a diff", async () => {
    const chart = corpusFolder("helm-guestbook");
    const base = { ...baseFiles, ".tiphys/apps.yaml": appYaml("helm-guestbook", "helm-guestbook"), ...chart };
    const template = "helm-guestbook/templates/deployment.yaml";
    const head = { ...base, [template]: chart[template]!.replace("replicas: {{ .Values.replicaCount }}", "replicas: {{ .Values.replicaCount | nosuchfunc }}") };
    expect(head[template]).toContain("nosuchfunc");
    expectToken(h.gh.scope);
    expectPermission(h.gh.scope, "Codertocat", "write");
    repo.tree(HEAD, head, 2);
    repo.tree(BASE, base, 1);
    repo.blobs(head);
    repo.blobs(base);
    expectPullFiles(h.gh.scope, [template]);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 1);

    await h.deliver("pull_request", pullPayload("opened"));

    const body: string = created[0]!.body;
    expect(body).toContain(":x: The head of this pull request does not render:");
    expect(body).toMatch(/helm template .*failed with exit code 1: Error: parse error at \(helm-guestbook\/templates\/deployment.yaml:\d+\): function "nosuchfunc" not defined/);
    expect(body).not.toContain("```diff");
    h.gh.done();
  });

  it("a diff longer than one comment: parts under 65,536 characters, each fence closed where it opened", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `  key-${String(i).padStart(4, "0")}: "${"x".repeat(40)}"`);
    const big = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${lines.join("\n")}\n`;
    const head = { ...baseFiles, "guestbook/big.yaml": big };
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, head, ["guestbook/big.yaml"]);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 3);

    await h.deliver("pull_request", pullPayload("opened"));

    const bodies = created.map((c) => c.body as string);
    expect(bodies.length).toBe(3);
    expect(bodies.map((b) => b.split("\n")[0])).toEqual([MARKER, "<!-- tiphys:app-diff:guestbook:2 -->", "<!-- tiphys:app-diff:guestbook:3 -->"]);
    for (const b of bodies) {
      expect(b.length).toBeLessThan(65_536);
      expect(fenceLines(b).length % 2).toBe(0);
      expect(b.split("\n").filter((l) => l.startsWith("<details")).length).toBe(b.split("\n").filter((l) => l === "</details>").length);
    }
    expect(bodies[1]).toContain("### Tiphys: application `guestbook` → `https://kubernetes.default.svc` namespace `default` (part 2 of 3)");
    const all = bodies.join("\n");
    expect(all).toContain("**1 added, 0 changed, 0 removed** (2 unchanged)");
    // Every line of the diff made it into some part, once.
    for (const i of [0, 1500, 2999]) expect(all.split(`+  key-${String(i).padStart(4, "0")}: `).length).toBe(2);
    h.gh.done();
  });
});

describe("pull_request: when the preview cannot be a diff", () => {
  it("the PR's head moved on while rendering: nothing is written, the newer push previews", async () => {
    expectToken(h.gh.scope);
    expectPreviewReads(HEAD, headFiles(), changed);
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, "e".repeat(40));

    await h.deliver("pull_request", pullPayload("opened"));

    expect(h.gh.calls.at(-1)).toBe(`GET ${R}/pulls/2`);
    expect(commentWrites()).toEqual([]);
    h.gh.done();
  });

  it("an Application document the head breaks: its problems, with file and line, in the preview", async () => {
    const broken = baseFiles[".tiphys/apps.yaml"]!.replace("  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n", "");
    expect(broken).not.toContain("destination");
    const head = { ...baseFiles, ".tiphys/apps.yaml": broken };
    expectToken(h.gh.scope);
    expectPermission(h.gh.scope, "Codertocat", "write");
    repo.tree(HEAD, head, 1);
    repo.blobs({ ".tiphys/apps.yaml": broken });
    // The config check fails on it too; the preview says it where the PR's diff would be.
    expectCheckLookup(h.gh.scope, HEAD, "tiphys/config");
    expectCheckCreated(h.gh.scope, { name: "tiphys/config", id: 900 });
    expectPullFiles(h.gh.scope, [".tiphys/apps.yaml"]);
    repo.tree(BASE, baseFiles, 1);
    repo.blobs({ ".tiphys/apps.yaml": baseFiles[".tiphys/apps.yaml"]! });
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD);
    const created = expectCommentsCreated(h.gh.scope, 2, 1);

    await h.deliver("pull_request", pullPayload("opened"));

    const body: string = created[0]!.body;
    expect(body.split("\n").slice(0, 2)).toEqual(["<!-- tiphys:app-diff:.tiphys -->", "### Tiphys: Application documents in `.tiphys/`"]);
    expect(body).toContain(":x: The Application documents at this pull request's head do not load:");
    expect(body).toMatch(/\.tiphys\/apps\.yaml:\d+:\d+: error: spec\.destination is required/);
    h.gh.done();
  });
});

describe("untrusted pull requests", () => {
  it("from a fork: the affected app's comment waits for ok-to-test; nothing of the fork is read", async () => {
    const p = pullPayload("opened");
    p.pull_request.head.repo.full_name = "mallory/Hello-World";
    expectToken(h.gh.scope);
    expectCheckLookup(h.gh.scope, HEAD, "tiphys/approval");
    expectCheckCreated(h.gh.scope, { name: "tiphys/approval", id: 301 });
    expectPullFiles(h.gh.scope, changed);
    repo.tree(BASE, baseFiles, 1);
    repo.blobs({ ".tiphys/apps.yaml": baseFiles[".tiphys/apps.yaml"]! });
    expectCommentList(h.gh.scope, 2, []);
    expectPullHead(h.gh.scope, HEAD, "mallory");
    const created = expectCommentsCreated(h.gh.scope, 2, 1);

    await h.deliver("pull_request", p);

    expect(created[0]!.body).toContain(MARKER);
    expect(created[0]!.body).toContain("Tiphys renders nothing from it until someone with write access approves its head commit: comment `/tiphys ok-to-test`");
    expect(h.gh.calls.filter((c) => c.includes(HEAD) && c.includes("/git/"))).toEqual([]);
    h.gh.done();
  });
});

describe("/tiphys diff <app>", () => {
  let sim: SimulatedCluster | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const reactions = (id: number) => `POST ${R}/issues/comments/${id}/reactions`;
  const yamlObjects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as KubeObject);

  /** A simulated cluster running the base's guestbook, synced, whose Deployment someone then scaled by hand. */
  async function driftedCluster() {
    h.gh.allowLoopback();
    sim = await startSimulatedCluster();
    const cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
    h.app.ctx.clusters = staticClusterResolver({ home: cluster });
    const app = parseAllDocuments(baseFiles[".tiphys/apps.yaml"]!)[0]!.toJS() as Application;
    const synced = await runSync(
      { app, project: DEFAULT_PROJECT, revision: BASE, rendered: [deploymentPath, servicePath].flatMap((f) => yamlObjects(guestbook[f]!)) },
      { cluster, waveDelayMs: 20, pollMs: 20 },
    );
    expect(synced.operationState.phase).toBe("Succeeded");
    await cluster.patch({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" }, { spec: { replicas: 5 } }, "merge");
  }

  it("--live on a PR: the preview comment gains the drift of the head against the live cluster, a forged change included", async () => {
    await driftedCluster();

    const p = commentPayload("/tiphys diff guestbook --live");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    expectPullHead(scope, HEAD, "hubot");
    expectPreviewReads(HEAD, headFiles(), changed, { author: "hubot" });
    expectCommentList(scope, 2, []);
    expectPullHead(scope, HEAD);
    const created = expectCommentsCreated(scope, 2, 1);
    expectReaction(scope, p.comment.id, "rocket");

    await h.deliver("issue_comment", p);

    expect(h.gh.calls.at(-1)).toBe(reactions(p.comment.id));
    expect(created).toHaveLength(1);
    const body: string = created[0]!.body;
    expect(body.split("\n")[0]).toBe(MARKER);
    expect(body).toContain("**1 added, 1 changed, 1 removed** (0 unchanged)");
    const drift = body.slice(body.indexOf("#### Drift against the live cluster"));
    expect(drift).toContain(`\`guestbook\` at \`${HEAD.slice(0, 7)}\` against \`https://kubernetes.default.svc\`: **OutOfSync**: 1 missing, 1 differ, 1 to prune.`);
    expect(drift).toContain("| ConfigMap | default/guestbook-config | missing |");
    expect(drift).toContain("| Service | default/guestbook-ui | to prune |");
    expect(drift).toContain("| apps/Deployment | default/guestbook-ui | differs |");
    // The hand-made change is what the live side shows.
    expect(drift).toContain("\n-  replicas: 5\n+  replicas: 2\n");
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "Codertocat", target: "diff guestbook", decision: "done", sha: HEAD })]);
    h.gh.done();
  });

  it("an unknown app: refused with the apps there are, and a 'did you mean'", async () => {
    const p = commentPayload("/tiphys diff gustbook");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    expectPullHead(scope, HEAD, "hubot");
    expectPreviewReads(HEAD, headFiles(), changed, { render: false, author: "hubot" });
    const replies = expectCommentsCreated(scope, 2, 1);
    expectReaction(scope, p.comment.id, "confused");

    await h.deliver("issue_comment", p);

    expect(replies[0]!.body).toBe("This pull request has no application `gustbook`. Did you mean `guestbook`? Applications: `guestbook`.");
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ target: "diff gustbook", decision: "refused", reason: "unknown application" })]);
    h.gh.done();
  });

  it("on an issue: the app as the default branch defines it, at its targetRevision, against the live cluster", async () => {
    await driftedCluster();
    const p = commentPayload("/tiphys diff guestbook", { onIssue: true });
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    // The default branch twice: for its Applications, then for `targetRevision: HEAD`.
    scope.get(R).times(2).reply(200, { default_branch: "master", private: false });
    scope.get(`${R}/git/ref/heads%2Fmaster`).times(2).reply(200, { ref: "refs/heads/master", object: { sha: BASE, type: "commit" } });
    repo.tree(BASE, baseFiles, 2);
    repo.blobs(baseFiles);
    const replies = expectCommentsCreated(scope, 1, 1);
    expectReaction(scope, p.comment.id, "rocket");

    await h.deliver("issue_comment", p);

    const body: string = replies[0]!.body;
    expect(body).toContain("### Tiphys: application `guestbook` as `master` defines it\n\n#### Drift against the live cluster");
    expect(body).toContain(`\`guestbook\` at \`${BASE.slice(0, 7)}\` against \`https://kubernetes.default.svc\`: **OutOfSync**: 0 missing, 1 differ, 0 to prune.`);
    expect(body).toContain("| apps/Deployment | default/guestbook-ui | differs |");
    expect(body).toContain("\n-  replicas: 5\n+  replicas: 1\n");
    h.gh.done();
  });

  it("on an issue without clusters: the reply says there is nothing to compare with", async () => {
    const p = commentPayload("/tiphys diff guestbook", { onIssue: true });
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    scope.get(R).reply(200, { default_branch: "master", private: false });
    scope.get(`${R}/git/ref/heads%2Fmaster`).reply(200, { ref: "refs/heads/master", object: { sha: BASE, type: "commit" } });
    repo.tree(BASE, baseFiles, 1);
    repo.blobs({ ".tiphys/apps.yaml": baseFiles[".tiphys/apps.yaml"]! });
    const replies = expectCommentsCreated(scope, 1, 1);
    expectReaction(scope, p.comment.id, "rocket");

    await h.deliver("issue_comment", p);

    expect(replies[0]!.body).toBe(
      "### Tiphys: application `guestbook` as `master` defines it\n\n#### Drift against the live cluster\n\n" +
        "Tiphys has no clusters configured (set `TIPHYS_KUBECONFIG`, or run Tiphys in a cluster), so there is no live state to compare with.",
    );
    h.gh.done();
  });
});
