/**
 * The GitHub adapter as the server builds it (Probot's Octokit with Tiphys's pacing, OctokitGitHub),
 * against the loopback fake of GitHub: writes are paced per installation, not per replica, and the
 * answers it parses itself (trees, check runs) come back whole.
 */
import { generateKeyPairSync } from "node:crypto";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepoRef } from "../../src/core/ports/github.js";
import { tiphysOctokit } from "../../src/github/octokit-class.js";
import { OctokitGitHub } from "../../src/github/octokit-github.js";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const A: RepoRef = { owner: "octo-org", name: "alpha", installationId: 11 };
const B: RepoRef = { owner: "other-org", name: "beta", installationId: 22 };
const INTERVAL_MS = 400;

let fake: FakeGitHub;
let repo: GitFixture;

function adapter(writeIntervalMs: number): OctokitGitHub {
  const probot = new Probot({ appId: 1, privateKey, baseUrl: fake.apiUrl, Octokit: tiphysOctokit({ writeIntervalMs }), logLevel: "fatal" } as never);
  return new OctokitGitHub({ auth: (id) => probot.auth(id) as never, webUrl: fake.url, writeIntervalMs });
}

/** When the fake received each check-run POST of a repo (ms, its clock). */
const postsOf = (r: RepoRef) => fake.requests.filter((q) => q.method === "POST" && q.path === `/repos/${r.owner}/${r.name}/check-runs`).map((q) => q.at);

beforeAll(async () => {
  fake = await startFakeGitHub({ appId: 1 });
  repo = await createRepo({ ".tiphys/ci.yaml": "kind: Workflow\n", ".tiphys/nested/more.yaml": "kind: Workflow\n", "src/a.ts": "export {};\n" });
  fake.addRepo({ owner: A.owner, name: A.name, gitDir: repo.dir, installationId: A.installationId });
  fake.addRepo({ owner: B.owner, name: B.name, gitDir: repo.dir, installationId: B.installationId });
});

afterAll(async () => {
  await fake?.close();
  repo?.cleanup();
});

describe("GitHub writes", () => {
  it("are spaced apart per installation, so one installation's burst does not hold back another's", async () => {
    const gh = adapter(INTERVAL_MS);
    // Tokens first: the limiter spaces the starts of writes, and a first call also fetches its token.
    await Promise.all([gh.getRepo(A), gh.getRepo(B)]);
    const create = (r: RepoRef, i: number) => gh.createCheckRun(r, { name: `tiphys/workflow/w${i}`, headSha: repo.sha, status: "queued" });
    // Five writes of A queued first, then one of B: with one lane for the replica B's would go last.
    const burst = [0, 1, 2, 3, 4].map((i) => create(A, i));
    const other = create(B, 9);
    const [created] = await Promise.all([Promise.all(burst), other]);
    expect(created.map((c) => c.headSha)).toEqual(Array(5).fill(repo.sha));

    const a = postsOf(A);
    const b = postsOf(B);
    expect(a).toHaveLength(5);
    expect(b).toHaveLength(1);
    // A's writes keep GitHub's spacing. Writes are spaced from their start; the arrival of one may lag
    // its start under load, so each gap is checked loosely and the whole span closely.
    for (let i = 1; i < a.length; i++) expect(a[i] - a[i - 1]).toBeGreaterThanOrEqual(INTERVAL_MS / 2);
    expect(a[a.length - 1] - a[0]).toBeGreaterThanOrEqual((a.length - 1) * INTERVAL_MS - 100);
    // ... and B's went out before A's were done.
    expect(b[0]).toBeLessThan(a[a.length - 1]);
  });

  it("create a check run before the updates of one installation that were waiting with it", async () => {
    const gh = adapter(INTERVAL_MS);
    const run = await gh.createCheckRun(A, { name: "tiphys/workflow/busy", headSha: repo.sha, status: "queued" });
    const seen = fake.requests.length;
    // A's lane is still held after that write: three progress updates queue in it, then a new push's
    // check run, which goes out first when the lane frees.
    const updates = [1, 2, 3].map((i) => gh.updateCheckRun(A, run.id, { status: "in_progress", output: { title: `step ${i}`, summary: "." } }));
    const created = gh.createCheckRun(A, { name: "tiphys/workflow/next", headSha: repo.sha, status: "queued" });
    await Promise.all([...updates, created]);
    const order = fake.requests
      .slice(seen)
      .filter((q) => q.path.startsWith(`/repos/${A.owner}/${A.name}/check-runs`))
      .map((q) => q.method);
    expect(order).toEqual(["POST", "PATCH", "PATCH", "PATCH"]);
  });
});

describe("answers parsed by the adapter", () => {
  it("reads a recursive tree and a created check run whole", async () => {
    const gh = adapter(0);
    const tree = await gh.getTree(A, repo.sha);
    expect(tree.truncated).toBe(false);
    expect(tree.entries.filter((e) => e.type === "blob").map((e) => e.path).sort()).toEqual([".tiphys/ci.yaml", ".tiphys/nested/more.yaml", "src/a.ts"]);
    const check = await gh.createCheckRun(A, { name: "tiphys/workflow/ci", headSha: repo.sha, status: "queued", externalId: "ci-abc12" });
    expect(check).toMatchObject({ name: "tiphys/workflow/ci", headSha: repo.sha, status: "queued", externalId: "ci-abc12" });
    expect(typeof check.id).toBe("number");
    await gh.updateCheckRun(A, check.id, { status: "completed", conclusion: "success", output: { title: "Succeeded", summary: "ok ✓" } });
    const [found] = await gh.findCheckRuns(A, repo.sha, "tiphys/workflow/ci");
    expect(found).toMatchObject({ id: check.id, status: "completed", conclusion: "success" });
  });

  it("turns a refused write into an error naming the call and the status", async () => {
    const gh = adapter(0);
    await expect(gh.createCheckRun(A, { name: "tiphys/workflow/ci", headSha: "0".repeat(40), status: "queued" })).rejects.toThrow(/creating check run tiphys\/workflow\/ci failed with HTTP 422/);
  });
});
