/**
 * The fake GitHub serves what a real client asks for, in GitHub's shapes: content from a real git
 * repository, pull requests, check runs (with GitHub's validation), comments, reactions, permissions.
 * App-level routes, auth and the test-side controls are in fake-github-app.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runGit } from "../helpers/git-fixture.js";
import { createWorld, disposeWorld, issueToken, LONG_DOC, NAME, OWNER, statusOf, TestOctokit, type World } from "./setup.js";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => disposeWorld(w));
afterEach(() => expect(w.fake.unhandled).toEqual([]));

const repo = { owner: OWNER, repo: NAME };
// Routes typed as plain strings, so that the tests can send what Octokit's types would refuse.
const CREATE_CHECK_RUN: string = "POST /repos/{owner}/{repo}/check-runs";
const REACT_TO_COMMENT: string = "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions";
const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

describe("content from the real repository", () => {
  it("serves the recursive tree and the blobs of a commit", async () => {
    const { data: tree } = await w.octokit.rest.git.getTree({ ...repo, tree_sha: w.head, recursive: "1" });

    expect(tree.sha).toBe((await runGit(w.repo.dir, ["rev-parse", `${w.head}^{tree}`])).trim());
    expect(tree.truncated).toBe(false);
    expect(tree.tree.map((e) => `${e.type} ${e.path}`)).toEqual([
      "tree .tiphys", "blob .tiphys/build.yaml", "blob .tiphys/lint.yaml", "tree docs", "blob docs/b.md",
    ]);
    const content = "kind: Workflow\nname: build\nsteps: 2\n";
    const entry = tree.tree.find((e) => e.path === ".tiphys/build.yaml")!;
    expect(entry).toMatchObject({ mode: "100644", size: content.length });
    const { data: blob } = await w.octokit.rest.git.getBlob({ ...repo, file_sha: entry.sha! });
    expect(blob).toMatchObject({ sha: entry.sha, size: content.length, encoding: "base64" });
    expect(decode(blob.content)).toBe(content);
  });

  it("resolves a branch name to its tree and lists only the top level without recursive", async () => {
    const { data } = await w.octokit.rest.git.getTree({ ...repo, tree_sha: "main" });
    expect(data.tree.map((e) => e.path)).toEqual([".tiphys", "README.md", "docs"]);
  });

  it("lists the files a commit changed and what a compare between two refs changed", async () => {
    const { data: commit } = await w.octokit.rest.repos.getCommit({ ...repo, ref: "feature" });
    expect(commit.sha).toBe(w.head);
    expect(commit.commit.message).toBe("feature work");
    expect(commit.parents.map((p) => p.sha)).toEqual([w.base]);

    const { data: cmp } = await w.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...feature" });
    expect(cmp).toMatchObject({ status: "ahead", ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(cmp.commits.map((c) => c.sha)).toEqual([w.head]);
    const changes = cmp.files!.map((f) => [f.filename, f.status, f.previous_filename]);
    expect(changes).toEqual(expect.arrayContaining([
      [".tiphys/build.yaml", "modified", undefined],
      [".tiphys/lint.yaml", "added", undefined],
      ["README.md", "removed", undefined],
      ["docs/b.md", "renamed", "docs/a.md"],
    ]));
    expect(changes).toHaveLength(4);
    expect(commit.files!.map((f) => f.filename).sort()).toEqual(cmp.files!.map((f) => f.filename).sort());
  });

  it("serves refs, branches, file contents (base64 and raw) and the repository", async () => {
    const { data: ref } = await w.octokit.rest.git.getRef({ ...repo, ref: "heads/feature" });
    expect(ref).toMatchObject({ ref: "refs/heads/feature", object: { sha: w.head, type: "commit" } });
    const { data: branch } = await w.octokit.rest.repos.getBranch({ ...repo, branch: "main" });
    expect(branch).toMatchObject({ name: "main", commit: { sha: w.base } });

    const { data: file } = await w.octokit.rest.repos.getContent({ ...repo, path: "docs/b.md", ref: "feature" });
    expect(file).toMatchObject({ type: "file", encoding: "base64", path: "docs/b.md", size: LONG_DOC.length });
    expect(decode((file as { content: string }).content)).toBe(LONG_DOC);
    const raw = await w.octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo, path: ".tiphys/build.yaml", mediaType: { format: "raw" },
    });
    // GitHub sends raw content with charset=utf-8, which Octokit hands back as a string.
    expect(raw.data).toBe("kind: Workflow\nname: build\n"); // default branch
    const { data: dir } = await w.octokit.rest.repos.getContent({ ...repo, path: ".tiphys", ref: w.head });
    expect((dir as Array<{ type: string; path: string }>).map((e) => `${e.type} ${e.path}`)).toEqual([
      "file .tiphys/build.yaml", "file .tiphys/lint.yaml",
    ]);
    expect(await statusOf(w.octokit.rest.repos.getContent({ ...repo, path: "README.md", ref: "feature" }))).toBe(404);

    const { data: meta } = await w.octokit.rest.repos.get(repo);
    expect(meta).toMatchObject({ name: NAME, full_name: `${OWNER}/${NAME}`, default_branch: "main", private: false, owner: { login: OWNER } });
  });

  it("serves a bare repository and takes its default branch from HEAD", async () => {
    const bare = mkdtempSync(join(tmpdir(), "tiphys-bare-"));
    try {
      execFileSync("git", ["clone", "-q", "--bare", w.repo.dir, bare]);
      execFileSync("git", ["-C", bare, "symbolic-ref", "HEAD", "refs/heads/feature"]);
      w.fake.addRepo({ owner: OWNER, name: "bare", gitDir: bare, installationId: 7 });
      const { data } = await w.octokit.rest.repos.get({ owner: OWNER, repo: "bare" });
      expect(data.default_branch).toBe("feature");
      const { data: tree } = await w.octokit.rest.git.getTree({ owner: OWNER, repo: "bare", tree_sha: "feature", recursive: "1" });
      expect(tree.tree.some((e) => e.path === ".tiphys/lint.yaml")).toBe(true);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe("pull requests", () => {
  beforeAll(() => {
    w.fake.addPullRequest({ owner: OWNER, name: NAME, number: 5, headRef: "feature", baseRef: "main", headSha: w.head, baseSha: w.base, author: "octo", fork: true });
  });

  it("returns the pull request with its head from the fork", async () => {
    const { data } = await w.octokit.rest.pulls.get({ ...repo, pull_number: 5 });
    expect(data).toMatchObject({
      number: 5,
      state: "open",
      user: { login: "octo" },
      head: { sha: w.head, ref: "feature", repo: { full_name: `octo/${NAME}`, fork: true } },
      base: { sha: w.base, ref: "main", repo: { full_name: `${OWNER}/${NAME}`, fork: false } },
      changed_files: 4,
    });
  });

  it("pages the changed files with a Link header", async () => {
    const first = await w.octokit.rest.pulls.listFiles({ ...repo, pull_number: 5, per_page: 3 });
    expect(first.data).toHaveLength(3);
    expect(first.headers.link).toContain('rel="next"');
    const all = await w.octokit.paginate(w.octokit.rest.pulls.listFiles, { ...repo, pull_number: 5, per_page: 3 });
    expect(all.map((f) => f.filename).sort()).toEqual([".tiphys/build.yaml", ".tiphys/lint.yaml", "README.md", "docs/b.md"]);
  });

  it("finds the pull requests associated with a commit", async () => {
    const { data } = await w.octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: w.head });
    expect(data.map((p) => p.number)).toEqual([5]);
    const { data: none } = await w.octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: w.base });
    expect(none).toEqual([]);
  });
});

describe("check runs", () => {
  it("keeps each run as GitHub returns it, with its history and annotations", async () => {
    const { data: created } = await w.octokit.rest.checks.create({ ...repo, name: "tiphys/build", head_sha: w.head, external_id: "run-1" });
    expect(created).toMatchObject({ name: "tiphys/build", head_sha: w.head, status: "queued", conclusion: null, completed_at: null });
    await w.octokit.rest.checks.update({ ...repo, check_run_id: created.id, status: "in_progress", output: { title: "Running", summary: "1 of 2" } });
    const annotation = { path: ".tiphys/build.yaml", start_line: 2, end_line: 2, annotation_level: "failure" as const, message: "bad" };
    await w.octokit.rest.checks.update({
      ...repo, check_run_id: created.id, conclusion: "failure",
      output: { title: "Failed", summary: "step failed", text: "log", annotations: [annotation, { ...annotation, start_line: 3, end_line: 3 }] },
      actions: [{ label: "Retry", identifier: "retry", description: "Run the failed steps again" }],
    });

    const { data: got } = await w.octokit.rest.checks.get({ ...repo, check_run_id: created.id });
    expect(got).toMatchObject({ status: "completed", conclusion: "failure", external_id: "run-1", output: { title: "Failed", summary: "step failed", text: "log", annotations_count: 2 } });
    expect(got.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const [run] = w.fake.checkRuns(OWNER, NAME).filter((r) => r.id === created.id);
    expect(run.history.map((h) => h.status)).toEqual(["queued", "in_progress", "completed"]);
    expect(run.history[0].at).toBeLessThan(run.history[2].at);
    expect(run.annotations.map((a) => a.start_line)).toEqual([2, 3]);
    expect(run.actions).toEqual([{ label: "Retry", identifier: "retry", description: "Run the failed steps again" }]);
  });

  it("lists the latest run per name for a ref, filtered by check_name", async () => {
    const first = await w.octokit.rest.checks.create({ ...repo, name: "tiphys/lint", head_sha: w.head });
    const second = await w.octokit.rest.checks.create({ ...repo, name: "tiphys/lint", head_sha: w.head, conclusion: "success" });
    const { data } = await w.octokit.rest.checks.listForRef({ ...repo, ref: "feature", check_name: "tiphys/lint" });
    expect(data.total_count).toBe(1);
    expect(data.check_runs.map((r) => [r.id, r.status])).toEqual([[second.data.id, "completed"]]);
    const { data: all } = await w.octokit.rest.checks.listForRef({ ...repo, ref: w.head, check_name: "tiphys/lint", filter: "all" });
    expect(all.check_runs.map((r) => r.id)).toEqual([second.data.id, first.data.id]);

    await w.repo.git(["branch", "topic/lint", w.head]); // a ref with a slash, sent as topic%2Flint
    const paged = await w.octokit.paginate(w.octokit.rest.checks.listForRef, { ...repo, ref: "topic/lint", check_name: "tiphys/lint", filter: "all", per_page: 1 });
    expect(paged.map((r) => r.id)).toEqual([second.data.id, first.data.id]);
  });

  const text = (n: number) => "x".repeat(n);
  const annotation = { path: "a", start_line: 1, end_line: 1, annotation_level: "notice", message: "m" };
  const action = { label: "Retry", identifier: "retry", description: "again" };
  it.each([
    ["summary over 65535 characters", { output: { title: "t", summary: text(65536) } }],
    ["text over 65535 characters", { output: { title: "t", summary: "s", text: text(65536) } }],
    ["51 annotations", { output: { title: "t", summary: "s", annotations: Array(51).fill(annotation) } }],
    ["completed without a conclusion", { status: "completed" }],
    ["an unknown conclusion", { conclusion: "great" }],
    ["4 actions", { actions: Array(4).fill(action) }],
    ["an action label of 21 characters", { actions: [{ ...action, label: text(21) }] }],
    ["an action identifier of 21 characters", { actions: [{ ...action, identifier: text(21) }] }],
    ["an action description of 41 characters", { actions: [{ ...action, description: text(41) }] }],
    ["output without a title", { output: { summary: "s" } }],
  ])("refuses %s with 422 and stores nothing", async (_, extra) => {
    const before = w.fake.checkRuns(OWNER, NAME).length;
    const body = { ...repo, name: "tiphys/invalid", head_sha: w.head, ...extra };
    expect(await statusOf(w.octokit.request(CREATE_CHECK_RUN, body))).toBe(422);
    expect(w.fake.checkRuns(OWNER, NAME)).toHaveLength(before);
  });

  it("accepts the limits themselves and refuses an update past them", async () => {
    const { data } = await w.octokit.rest.checks.create({
      ...repo, name: "tiphys/limits", head_sha: w.head,
      output: { title: "t", summary: text(65535), annotations: Array(50).fill({ ...annotation, annotation_level: "notice" as const }) },
      actions: Array(3).fill({ label: text(20), identifier: text(20), description: text(40) }),
    });
    expect(data.output.annotations_count).toBe(50);
    expect(await statusOf(w.octokit.rest.checks.update({ ...repo, check_run_id: data.id, output: { summary: text(65536) } }))).toBe(422);
    expect(await statusOf(w.octokit.rest.checks.create({ ...repo, name: "x", head_sha: "f".repeat(40) }))).toBe(422);
  });
});

describe("comments, reactions and permissions", () => {
  it("creates, lists (paginated) and edits issue comments", async () => {
    for (const body of ["one", "two", "three"]) await w.octokit.rest.issues.createComment({ ...repo, issue_number: 9, body });
    const page = await w.octokit.rest.issues.listComments({ ...repo, issue_number: 9, per_page: 2 });
    expect(page.data.map((c) => c.body)).toEqual(["one", "two"]);
    const all = await w.octokit.paginate(w.octokit.rest.issues.listComments, { ...repo, issue_number: 9, per_page: 2 });
    expect(all.map((c) => c.body)).toEqual(["one", "two", "three"]);
    expect(all[0].user?.login).toBe("tiphys[bot]");

    await w.octokit.rest.issues.updateComment({ ...repo, comment_id: all[1].id, body: "two, edited" });
    expect(w.fake.comments(OWNER, NAME, 9).map((c) => c.body)).toEqual(["one", "two, edited", "three"]);
    expect(await statusOf(w.octokit.rest.issues.updateComment({ ...repo, comment_id: 1, body: "x" }))).toBe(404);
  });

  it("adds reactions once, refuses unknown ones, and records commit comments", async () => {
    const seeded = w.fake.addComment({ owner: OWNER, name: NAME, number: 3, body: "/tiphys run build", author: "octo", id: 555 });
    expect(seeded.id).toBe(555);
    const react = (content: string) =>
      statusOf(w.octokit.request(REACT_TO_COMMENT, { ...repo, comment_id: 555, content }));
    expect(await react("eyes")).toBe(201);
    expect(await react("eyes")).toBe(200);
    expect(await react("thumbsup")).toBe(422);
    expect(w.fake.reactions(OWNER, NAME).map((r) => [r.subjectId, r.content, r.user])).toEqual([[555, "eyes", "tiphys[bot]"]]);
    const { data: comment } = await w.octokit.rest.issues.getComment({ ...repo, comment_id: 555 });
    expect(comment.reactions).toMatchObject({ total_count: 1, eyes: 1 });

    const { status } = await w.octokit.rest.repos.createCommitComment({ ...repo, commit_sha: w.head, body: "built" });
    expect(status).toBe(201);
    expect(w.fake.commitComments(OWNER, NAME)).toMatchObject([{ commit_id: w.head, body: "built" }]);
  });

  it("answers collaborator permissions, with the legacy permission beside the role", async () => {
    w.fake.setPermission(OWNER, NAME, "Alice", "admin");
    w.fake.setPermission(OWNER, NAME, "bob", "maintain");
    const get = async (username: string) => (await w.octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username })).data;
    expect(await get("alice")).toMatchObject({ permission: "admin", role_name: "admin", user: { login: "alice" } });
    expect(await get("bob")).toMatchObject({ permission: "write", role_name: "maintain" });
    expect(await get("mallory")).toMatchObject({ permission: "none" });
  });

  it("hides another installation's repositories behind a 404", async () => {
    const other = new TestOctokit({ auth: { token: await issueToken(w.fake, 7) }, baseUrl: w.fake.apiUrl });
    expect(await statusOf(other.rest.repos.get(repo))).toBe(200);
    w.fake.addRepo({ owner: "other", name: "thing", gitDir: w.repo.dir, installationId: 8 });
    expect(await statusOf(other.rest.repos.get({ owner: "other", repo: "thing" }))).toBe(404);
  });
});
