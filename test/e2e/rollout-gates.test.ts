/**
 * End to end: the real server process (as `npm start` runs it) against the loopback fake of GitHub's
 * API and a simulated cluster given through TIPHYS_KUBECONFIG. The merge of PR #7 changes the image of
 * the app's canary Rollout: the release pauses at `pause: {}`, its check run waits with its buttons and
 * PR #7 gets the release comment; `/tiphys promote web` from a maintainer lets it go on to the end.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "./server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CORPUS = join(REPO_ROOT, "../shared/corpus/argo-rollouts/rollout-canary.yaml");
const APP_ID = 4545;
const INSTALLATION = 79;
const OWNER = "octo-org";
const NAME = "shop";
const ROOT = testWorkRoot(REPO_ROOT, `e2e-rollout-gates-${process.pid}`);

const appYaml = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  project: default
  source:
    repoURL: https://github.com/${OWNER}/${NAME}.git
    targetRevision: HEAD
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: default
  syncPolicy:
    automated: { prune: true }
`;
const rollout = (image: string) =>
  readFileSync(CORPUS, "utf8").replace(/rollout-canary/g, "web").replace(/duration: \d+s/g, "duration: 1s").replace("rollouts-demo:blue", `rollouts-demo:${image}`);

let fake: FakeGitHub;
let repo: GitFixture;
let sim: SimulatedCluster;
let server: ServerProcess | undefined;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  fake = await startFakeGitHub({ appId: APP_ID });
  repo = await createRepo({ ".tiphys/apps.yaml": appYaml, "deploy/rollout.yaml": rollout("blue") });
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  const kubeconfig = join(ROOT, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  server = await startServer({
    env: {
      APP_ID: String(APP_ID),
      PRIVATE_KEY_PATH: writePrivateKey(join(ROOT, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      TIPHYS_POLL_MS: "50",
      TIPHYS_ROLLOUT_POLL_MS: "200",
      TIPHYS_GITHUB_WRITE_INTERVAL_MS: "100",
      TIPHYS_REPLICA_ID: "e2e-rollout-gates",
      TIPHYS_DATA_DIR: join(ROOT, "data"),
      TIPHYS_KUBECONFIG: kubeconfig,
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
  await fake?.close();
  repo?.cleanup();
  rmSync(ROOT, { recursive: true, force: true });
});

async function pushed(sha: string, before: string): Promise<void> {
  const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
  (payload.repository as { default_branch: string }).default_branch = "main";
  const res = await sendWebhook({ url: server!.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload });
  expect(res.status).toBe(200);
}

const rolloutCheck = (sha: string, conclusion: string) => () => fake.checkRuns(OWNER, NAME).find((c) => c.name === "tiphys/rollout/web" && c.head_sha === sha && c.conclusion === conclusion);
const withOutput = <T>(p: Promise<T>) => p.catch((err: Error) => Promise.reject(new Error(`${err.message}\nserver output:\n${server!.output().slice(-4000)}`)));

describe("a Rollout release through the real server", () => {
  it("pauses at its gate in the PR, and a /tiphys promote takes it to the end", async () => {
    const first = repo.sha;
    await pushed(first, "0".repeat(40));
    await withOutput(fake.waitFor(rolloutCheck(first, "success"), 30_000));

    const sha = await repo.commit({ "deploy/rollout.yaml": rollout("yellow") }, "Merge pull request #7 from octo-org/yellow");
    fake.addPullRequest({ owner: OWNER, name: NAME, number: 7, headRef: "yellow", baseRef: "main", headSha: sha, baseSha: first, author: "octocat", state: "closed" });
    await pushed(sha, first);
    const gate = await withOutput(fake.waitFor(rolloutCheck(sha, "action_required"), 30_000));
    expect(gate.output.title).toBe("web waits for promotion at step 2 of 8 (pause: {})");
    expect(gate.actions.map((a) => a.identifier)).toEqual(["promote", "promote-full", "abort"]);
    const note = await withOutput(fake.waitFor(() => fake.comments(OWNER, NAME, 7).find((c) => String(c.body).startsWith("<!-- tiphys:rollout:default/web -->")), 10_000));
    expect(note.body).toContain("### ⏸️ Rollout `web` waits for promotion");
    expect(note.body).toContain("| `/tiphys promote web` | Go on with `setWeight: 40` |");

    fake.setPermission(OWNER, NAME, "hubot", "maintain");
    const asked = fake.addComment({ owner: OWNER, name: NAME, number: 7, body: "/tiphys promote web", author: "hubot" });
    const payload = retarget(examplePayload("issue_comment.created", (e) => e.installation !== undefined), { owner: OWNER, name: NAME, installationId: INSTALLATION, number: 7 });
    Object.assign(payload.comment as object, { id: asked.id, body: "/tiphys promote web", user: { login: "hubot", type: "User" } });
    (payload.issue as { number: number }).number = 7;
    payload.sender = { login: "hubot", type: "User" };
    const res = await sendWebhook({ url: server!.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload });
    expect(res.status).toBe(200);

    const done = await withOutput(fake.waitFor(rolloutCheck(sha, "success"), 60_000));
    expect(done.id).toBe(gate.id);
    expect(done.output.title).toBe("web is fully promoted: revision 2 is stable");
    expect(done.output.summary).toMatch(/- promote by @hubot at /);
    await fake.waitFor(() => fake.comments(OWNER, NAME, 7).some((c) => String(c.body).includes("### ✅ Rollout `web` is fully promoted")), 10_000);
    // The reply is a new comment: Octokit paces those 3 s apart (after the gate's), so it may come last.
    const reply = await fake.waitFor(() => fake.comments(OWNER, NAME, 7).find((c) => !String(c.body).startsWith("<!--") && c.body !== "/tiphys promote web"), 10_000);
    expect(reply.body).toMatch(/^Promoted `web`: now /);
    expect(fake.comments(OWNER, NAME, 7).filter((c) => String(c.body).startsWith("<!-- tiphys:rollout:default/web -->"))).toHaveLength(1);
    await fake.waitFor(() => fake.reactions(OWNER, NAME).length === 2, 10_000);
    expect(fake.reactions(OWNER, NAME).map((r) => r.content)).toEqual(["eyes", "rocket"]);
    expect(fake.unhandled).toEqual([]);
  }, 120_000);
});
