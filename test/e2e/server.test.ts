/**
 * End to end: the real server process (as `npm start` runs it) against the loopback fake of GitHub's
 * REST API (GHE_HOST), receiving signed webhooks over HTTP.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook, type WebhookPayload } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "./server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP_ID = 4242;
const INSTALLATION = 77;
const OWNER = "octo-org";
const NAME = "service";

const ROOT = testWorkRoot(REPO_ROOT, `e2e-server-${process.pid}`);
const markers = join(ROOT, "markers");

const ciWorkflow = (name: string, script: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${name}-
  annotations:
    tiphys.io/on: push, pull_request
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: sha
      - name: branch
  templates:
    - name: main
      steps:
        - - name: build
            template: sh
    - name: sh
      script:
        image: alpine
        command: [sh]
        source: |
${script
  .split("\n")
  .map((l) => "          " + l)
  .join("\n")}
`;

let fake: FakeGitHub;
let repo: GitFixture;
let server: ServerProcess | undefined;
let env: Record<string, string>;
let dataDir: string;
let deliveries = 0;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(markers, { recursive: true });
  fake = await startFakeGitHub({ appId: APP_ID });
  repo = await createRepo({ ".tiphys/ci.yaml": ciWorkflow("ci", 'echo "building {{workflow.parameters.branch}} at {{workflow.parameters.sha}}"'), "README.md": "hi\n" });
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  fake.setPermission(OWNER, NAME, "maintainer", "admin");
  fake.setPermission(OWNER, NAME, "outsider", "read");
  env = {
    APP_ID: String(APP_ID),
    PRIVATE_KEY_PATH: writePrivateKey(join(ROOT, "keys")),
    WEBHOOK_SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
    TIPHYS_CHECK_RUN_DEBOUNCE_MS: "200",
    TIPHYS_POLL_MS: "50",
    TIPHYS_REPLICA_ID: "e2e-replica",
    TIPHYS_RUN_LEASE_MS: "3000",
  };
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await fake?.close();
  await repo?.cleanup();
  rmSync(ROOT, { recursive: true, force: true });
});

async function boot(name: string): Promise<ServerProcess> {
  dataDir = join(ROOT, name);
  server = await startServer({ env: { ...env, TIPHYS_DATA_DIR: dataDir } });
  return server;
}

function pushPayload(sha: string, before: string): WebhookPayload {
  return retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
}

const checkRunsNamed = (name: string) => fake.checkRuns(OWNER, NAME).filter((c) => c.name === name);

/** The completed check runs of this name (at this commit), once there is one. */
async function waitCompleted(name: string, sha?: string, timeoutMs = WAIT_MS) {
  return fake.waitFor(() => {
    const done = checkRunsNamed(name).filter((c) => c.status === "completed" && (!sha || c.head_sha === sha));
    return done.length > 0 ? done : undefined;
  }, timeoutMs);
}

// Upper bounds for waiting, not speed targets: on a loaded CI machine, with GitHub's pacing of one
// write a second, a run's check run has taken over 20 s to complete.
const WAIT_MS = 45_000;

describe("tiphys server (npm start) against a loopback GitHub", { timeout: 120_000 }, () => {
  it("a push becomes a check run: queued at once, in progress, completed with the conclusion", async () => {
    const s = await boot("push");
    const before = repo.sha;
    const sha = await repo.commit({ "src/app.txt": "v1\n" }, "change");
    const res = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: `d-${++deliveries}` });
    expect(res.status).toBe(200);
    const [check] = await waitCompleted("tiphys/workflow/ci", sha);
    expect(check.conclusion).toBe("success");
    const statuses = check.history.map((h: { status: string }) => h.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("in_progress");
    expect(statuses[statuses.length - 1]).toBe("completed");
    expect(check.output.title).toMatch(/Succeeded/);
    // Config came from one tree call and blob calls, never a clone; every call was authenticated.
    expect(fake.requests.some((r) => r.path.includes("/git/trees/"))).toBe(true);
    expect(fake.unhandled).toEqual([]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/tiphys_webhooks_received_total\{event="push",outcome="queued"\} 1/);
    expect(metrics).toMatch(/tiphys_runs_finished_total\{phase="Succeeded"\} 1/);
  });

  it("a forged signature gets 400 and nothing is stored or run; the same delivery signed right then runs", async () => {
    const s = await boot("forged");
    const before = repo.sha;
    const sha = await repo.commit({ "src/app.txt": "v2\n" }, "forged");
    const id = `d-${++deliveries}`;
    const repoRequests = () => fake.requests.filter((r) => r.path.startsWith("/repos/")).length;
    const requestsBefore = repoRequests();
    const forged = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: id, badSignature: true });
    expect(forged.status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    expect(repoRequests()).toBe(requestsBefore);
    // Had the forged delivery been recorded, this one would be dropped as a duplicate.
    const good = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: id });
    expect(good.status).toBe(200);
    const [check] = await waitCompleted("tiphys/workflow/ci", sha);
    expect(check.conclusion).toBe("success");
  });

  it("a redelivered webhook (same delivery id) runs once", async () => {
    const s = await boot("duplicate");
    const before = repo.sha;
    const sha = await repo.commit({ "src/app.txt": "v3\n" }, "dup");
    const id = `d-${++deliveries}`;
    const first = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: id });
    const second = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: id });
    expect([first.status, second.status]).toEqual([200, 200]);
    await fake.waitFor(() => checkRunsNamed("tiphys/workflow/ci").find((c) => c.head_sha === sha && c.status === "completed"), WAIT_MS);
    await new Promise((r) => setTimeout(r, 500));
    expect(checkRunsNamed("tiphys/workflow/ci").filter((c) => c.head_sha === sha)).toHaveLength(1);
  });

  it("acknowledging never waits for GitHub: with its token endpoint failing, a push is answered before any token is issued, and runs once GitHub answers", async () => {
    const s = await boot("token-outage");
    const before = repo.sha;
    const sha = await repo.commit({ "src/app.txt": "v-outage\n" }, "outage");
    const tokenRequests = () => fake.requests.filter((r) => r.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(r.path));
    const seen = tokenRequests().length;
    // A fresh server has no installation token yet; GitHub refuses the next two token requests.
    fake.failNext("POST", /^\/app\/installations\/\d+\/access_tokens$/, 503, 2);
    const res = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: `d-${++deliveries}` });
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    const [check] = await waitCompleted("tiphys/workflow/ci", sha, 40_000);
    expect(check.conclusion).toBe("success");
    // The first token GitHub issued came after the answer: acknowledging never asked for one.
    const issued = tokenRequests().slice(seen).filter((r) => r.status === 201);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued[0].at).toBeGreaterThan(answeredAt);
  }, 60_000);

  it("kill -9 during a run, then start again: finished nodes are not run again, the interrupted one is retried, the check run ends right", async () => {
    const gate = join(markers, "gate");
    const script = [
      `echo a >> ${markers}/first`,
      `touch ${markers}/second-started`,
      `while [ ! -f ${gate} ]; do sleep 0.1; done`,
      `echo b >> ${markers}/second`,
    ];
    const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: resumable-
  annotations:
    tiphys.io/on: push
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: first
            template: first
        - - name: second
            template: second
    - name: first
      script:
        image: alpine
        command: [sh]
        source: ${JSON.stringify(script[0])}
    - name: second
      retryStrategy:
        limit: 1
        retryPolicy: Always
      script:
        image: alpine
        command: [sh]
        source: ${JSON.stringify(script.slice(1).join("\n"))}
`;
    const before = repo.sha;
    const sha = await repo.commit({ ".tiphys/ci.yaml": null, ".tiphys/resumable.yaml": wf }, "resumable");
    let s = await boot("kill9");
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: `d-${++deliveries}` });
    await fake.waitFor(() => existsSync(join(markers, "second-started")), WAIT_MS).catch((err) => {
      throw new Error(`${err.message}\n--- server output ---\n${s.output()}`);
    });
    await s.kill9();
    server = undefined;
    rmSync(join(markers, "second-started"));
    s = await startServer({ env: { ...env, TIPHYS_DATA_DIR: dataDir } });
    server = s;
    await fake.waitFor(() => existsSync(join(markers, "second-started")), WAIT_MS).catch((err) => {
      throw new Error(`${err.message}\n--- server output ---\n${s.output()}`);
    });
    writeFileSync(gate, "open");
    const [check] = await waitCompleted("tiphys/workflow/resumable", sha);
    expect(check.conclusion).toBe("success");
    expect(readFileSync(join(markers, "first"), "utf8")).toBe("a\n");
    expect(readFileSync(join(markers, "second"), "utf8")).toBe("b\n");
    // The check run names the interrupted attempt.
    expect(check.output.text).toMatch(/interrupted/);
    await repo.commit({ ".tiphys/resumable.yaml": null, ".tiphys/ci.yaml": ciWorkflow("ci", "echo ok") }, "restore");
  });

  it("an untrusted pull request runs nothing until /tiphys ok-to-test, then runs the base branch's workflows", async () => {
    const s = await boot("untrusted");
    const baseSha = repo.sha;
    await repo.branch("evil");
    const headSha = await repo.commit({ ".tiphys/ci.yaml": ciWorkflow("evil", "echo pwned") }, "evil change");
    await repo.git(["checkout", "-q", "main"]);
    fake.addPullRequest({ owner: OWNER, name: NAME, number: 9, headRef: "evil", baseRef: "main", headSha, baseSha, author: "outsider", fork: true });
    const require = createRequire(import.meta.url);
    const defs = require("@octokit/webhooks-examples") as Array<{ name: string; examples: WebhookPayload[] }>;
    const prExample = structuredClone(defs.find((d) => d.name === "pull_request")!.examples.find((e) => e.action === "opened")!);
    const pr = retarget(prExample, { owner: OWNER, name: NAME, installationId: INSTALLATION, sha: headSha, ref: "evil", baseRef: "main", baseSha, number: 9 });
    const p = pr.pull_request as { user: { login: string }; head: { repo: { full_name: string } } };
    p.user.login = "outsider";
    p.head.repo.full_name = `outsider/${NAME}`;
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: pr, deliveryId: `d-${++deliveries}` });
    const [approval] = await waitCompleted("tiphys/approval", headSha);
    expect(approval.conclusion).toBe("action_required");
    expect(approval.output.title).toBe("waiting for /tiphys ok-to-test");
    expect(approval.actions.map((a) => a.label)).toEqual(["Approve"]);
    expect(checkRunsNamed("tiphys/workflow/evil")).toHaveLength(0);

    const comment = retarget(examplePayload("issue_comment.created", (e) => !!e.installation), {
      owner: OWNER,
      name: NAME,
      installationId: INSTALLATION,
      number: 9,
    });
    (comment.issue as { pull_request?: unknown }).pull_request = { url: `${fake.apiUrl}/repos/${OWNER}/${NAME}/pulls/9` };
    const body = "Looks fine.\n/tiphys ok-to-test";
    const stored = fake.addComment({ owner: OWNER, name: NAME, number: 9, body, author: "maintainer" });
    (comment.comment as { body: string; id: number }).body = body;
    (comment.comment as { id: number }).id = stored.id as number;
    (comment.comment as { user: { login: string; type: string } }).user = { login: "maintainer", type: "User" };
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: comment, deliveryId: `d-${++deliveries}` });
    const runs = await waitCompleted("tiphys/workflow/ci", headSha);
    expect(runs[0].conclusion).toBe("success");
    expect(checkRunsNamed("tiphys/workflow/evil")).toHaveLength(0);
    await fake.waitFor(() => fake.checkRuns(OWNER, NAME).find((c) => c.name === "tiphys/approval" && c.conclusion === "success"), 5000);
    expect(fake.reactions(OWNER, NAME).map((r: { content: string }) => r.content)).toEqual(expect.arrayContaining(["eyes", "rocket"]));
  });

  it("at start, webhook deliveries GitHub failed to send are redelivered once, and only those", async () => {
    const failed = fake.recordDelivery({ guid: "guid-failed", event: "push", status: "Invalid HTTP Response: 502", status_code: 502 });
    fake.recordDelivery({ guid: "guid-ok", event: "push", status: "OK", status_code: 200 });
    // Failed once, then delivered by a redelivery: nothing to do.
    fake.recordDelivery({ guid: "guid-recovered", event: "push", status: "failed", status_code: 504 });
    fake.recordDelivery({ guid: "guid-recovered", event: "push", status: "OK", status_code: 200, redelivery: true });
    await boot("redeliver");
    await fake.waitFor(() => fake.redeliveries.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.redeliveries.map((r) => r.id)).toEqual([failed.id]);
  });

  it("a new push to a pull request cancels that PR's run still going at the old head", async () => {
    const gate = join(markers, "pr-gate");
    const blocking = ciWorkflow("pr-ci", `while [ ! -f ${gate} ]; do sleep 0.1; done`);
    const base = await repo.commit({ ".tiphys/ci.yaml": blocking }, "blocking ci");
    await repo.branch("feature");
    const first = await repo.commit({ "src/feature.txt": "1\n" }, "feature 1");
    fake.addPullRequest({ owner: OWNER, name: NAME, number: 21, headRef: "feature", baseRef: "main", baseSha: base, author: "maintainer" });
    const s = await boot("cancel-in-progress");
    const require = createRequire(import.meta.url);
    const defs = require("@octokit/webhooks-examples") as Array<{ name: string; examples: WebhookPayload[] }>;
    const prPayload = (action: string, sha: string) => {
      const ex = structuredClone(defs.find((d) => d.name === "pull_request")!.examples.find((e) => e.action === "opened")!);
      const pr = retarget(ex, { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, ref: "feature", baseRef: "main", baseSha: base, number: 21 });
      pr.action = action;
      (pr.pull_request as { user: { login: string } }).user.login = "maintainer";
      return pr;
    };
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: prPayload("opened", first), deliveryId: `d-${++deliveries}` });
    await fake.waitFor(() => checkRunsNamed("tiphys/workflow/pr-ci").find((c) => c.head_sha === first && c.status === "in_progress"), WAIT_MS);
    const second = await repo.commit({ "src/feature.txt": "2\n" }, "feature 2");
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: prPayload("synchronize", second), deliveryId: `d-${++deliveries}` });
    const [cancelled] = await waitCompleted("tiphys/workflow/pr-ci", first);
    expect(cancelled.conclusion).toBe("cancelled");
    writeFileSync(gate, "open");
    const [fresh] = await waitCompleted("tiphys/workflow/pr-ci", second);
    expect(fresh.conclusion).toBe("success");
    await repo.git(["checkout", "-q", "main"]);
  });

  it("a Sensor on another event (issues) starts its workflow once the default branch names it", async () => {
    const sensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: triage
spec:
  dependencies:
    - name: new-issue
      eventSourceName: github
      eventName: issues
      filters:
        data:
          - path: body.action
            type: string
            value: ["opened"]
  triggers:
    - template:
        name: label-it
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: triage-
              spec:
                entrypoint: main
                arguments:
                  parameters:
                    - name: title
                templates:
                  - name: main
                    script:
                      image: alpine
                      command: [sh]
                      source: echo "triage {{workflow.parameters.title}}"
          parameters:
            - src:
                dependencyName: new-issue
                dataKey: body.issue.title
              dest: spec.arguments.parameters.0.value
`;
    const s = await boot("sensor");
    const require = createRequire(import.meta.url);
    const defs = require("@octokit/webhooks-examples") as Array<{ name: string; examples: WebhookPayload[] }>;
    const issue = () => {
      const p = retarget(structuredClone(defs.find((d) => d.name === "issues")!.examples.find((e) => e.action === "opened")!), { owner: OWNER, name: NAME, installationId: INSTALLATION });
      (p.repository as { default_branch: string }).default_branch = "main";
      return p;
    };
    // Before the default branch names the event, an issue costs nothing.
    const before = fake.requests.length;
    const ignored = await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "issues", payload: issue(), deliveryId: `d-${++deliveries}` });
    expect(ignored.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requests.slice(before).filter((r) => r.path.startsWith("/repos/"))).toEqual([]);

    const parent = repo.sha;
    const sha = await repo.commit({ ".tiphys/triage.yaml": sensor, ".tiphys/ci.yaml": ciWorkflow("ci", "echo ok") }, "sensor");
    const push = pushPayload(sha, parent);
    (push.repository as { default_branch: string }).default_branch = "main";
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: push, deliveryId: `d-${++deliveries}` });
    await waitCompleted("tiphys/workflow/ci", sha);
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "issues", payload: issue(), deliveryId: `d-${++deliveries}` });
    const [check] = await waitCompleted("tiphys/workflow/triage", sha);
    expect(check.conclusion).toBe("success");
  });

  it("/tiphys retry on a pull request re-runs only the failed nodes of its failed run", async () => {
    const fixed = join(markers, "retry-fixed");
    const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: flaky-
  annotations:
    tiphys.io/on: pull_request
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: prepare
            template: prepare
        - - name: test
            template: test
    - name: prepare
      script:
        image: alpine
        command: [sh]
        source: echo p >> ${markers}/retry-prepare
    - name: test
      script:
        image: alpine
        command: [sh]
        source: |
          echo t >> ${markers}/retry-test
          [ -f ${fixed} ]
`;
    await repo.git(["checkout", "-q", "main"]);
    const base = await repo.commit({ ".tiphys/flaky.yaml": wf, ".tiphys/ci.yaml": ciWorkflow("ci", "echo ok") }, "flaky");
    await repo.git(["checkout", "-q", "-B", "retry-branch"]);
    const head = await repo.commit({ "src/retry.txt": "1\n" }, "retry me");
    await repo.git(["checkout", "-q", "main"]);
    fake.addPullRequest({ owner: OWNER, name: NAME, number: 31, headRef: "retry-branch", baseRef: "main", headSha: head, baseSha: base, author: "maintainer" });
    const s = await boot("retry");
    const require = createRequire(import.meta.url);
    const defs = require("@octokit/webhooks-examples") as Array<{ name: string; examples: WebhookPayload[] }>;
    const pr = retarget(structuredClone(defs.find((d) => d.name === "pull_request")!.examples.find((e) => e.action === "opened")!), {
      owner: OWNER,
      name: NAME,
      installationId: INSTALLATION,
      sha: head,
      ref: "retry-branch",
      baseRef: "main",
      baseSha: base,
      number: 31,
    });
    (pr.pull_request as { user: { login: string } }).user.login = "maintainer";
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: pr, deliveryId: `d-${++deliveries}` });
    const [failed] = await waitCompleted("tiphys/workflow/flaky", head);
    expect(failed.conclusion).toBe("failure");
    writeFileSync(fixed, "yes");
    const comment = retarget(examplePayload("issue_comment.created", (e) => !!e.installation), { owner: OWNER, name: NAME, installationId: INSTALLATION, number: 31 });
    const stored = fake.addComment({ owner: OWNER, name: NAME, number: 31, body: "/tiphys retry flaky", author: "maintainer" });
    (comment.issue as { pull_request?: unknown }).pull_request = { url: "x" };
    Object.assign(comment.comment as object, { id: stored.id, body: "/tiphys retry flaky", user: { login: "maintainer", type: "User" } });
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: comment, deliveryId: `d-${++deliveries}` });
    const done = await fake.waitFor(() => checkRunsNamed("tiphys/workflow/flaky").find((c) => c.head_sha === head && c.conclusion === "success"), WAIT_MS);
    expect(done.conclusion).toBe("success");
    expect(readFileSync(join(markers, "retry-prepare"), "utf8")).toBe("p\n");
    expect(readFileSync(join(markers, "retry-test"), "utf8")).toBe("t\nt\n");
  });

  it("an approval holds for one head commit: a new push to an untrusted PR waits again", async () => {
    const s = await boot("approval-sha");
    await repo.git(["checkout", "-q", "main"]);
    const base = await repo.commit({ ".tiphys/ci.yaml": ciWorkflow("ci", "echo ok") }, "base for fork");
    await repo.git(["checkout", "-q", "-B", "fork-work"]);
    const first = await repo.commit({ "src/f.txt": "1\n" }, "fork 1");
    await repo.git(["checkout", "-q", "main"]);
    fake.addPullRequest({ owner: OWNER, name: NAME, number: 41, headRef: "fork-work", baseRef: "main", baseSha: base, author: "outsider", fork: true });
    const require = createRequire(import.meta.url);
    const defs = require("@octokit/webhooks-examples") as Array<{ name: string; examples: WebhookPayload[] }>;
    const prPayload = (action: string, sha: string) => {
      const p = retarget(structuredClone(defs.find((d) => d.name === "pull_request")!.examples.find((e) => e.action === "opened")!), {
        owner: OWNER,
        name: NAME,
        installationId: INSTALLATION,
        sha,
        ref: "fork-work",
        baseRef: "main",
        baseSha: base,
        number: 41,
      });
      p.action = action;
      (p.pull_request as { user: { login: string }; head: { repo: { full_name: string } } }).user.login = "outsider";
      (p.pull_request as { head: { repo: { full_name: string } } }).head.repo.full_name = `outsider/${NAME}`;
      return p;
    };
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: prPayload("opened", first), deliveryId: `d-${++deliveries}` });
    await waitCompleted("tiphys/approval", first);
    const comment = retarget(examplePayload("issue_comment.created", (e) => !!e.installation), { owner: OWNER, name: NAME, installationId: INSTALLATION, number: 41 });
    const stored = fake.addComment({ owner: OWNER, name: NAME, number: 41, body: "/tiphys ok-to-test", author: "maintainer" });
    (comment.issue as { pull_request?: unknown }).pull_request = { url: "x" };
    Object.assign(comment.comment as object, { id: stored.id, body: "/tiphys ok-to-test", user: { login: "maintainer", type: "User" } });
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "issue_comment", payload: comment, deliveryId: `d-${++deliveries}` });
    await waitCompleted("tiphys/workflow/ci", first);
    await repo.git(["checkout", "-q", "fork-work"]);
    const second = await repo.commit({ "src/f.txt": "2\n" }, "fork 2");
    await repo.git(["checkout", "-q", "main"]);
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "pull_request", payload: prPayload("synchronize", second), deliveryId: `d-${++deliveries}` });
    const [again] = await waitCompleted("tiphys/approval", second);
    expect(again.conclusion).toBe("action_required");
    await new Promise((r) => setTimeout(r, 500));
    expect(checkRunsNamed("tiphys/workflow/ci").filter((c) => c.head_sha === second)).toEqual([]);
  });

  it("GitHub failing the final check-run update (502, twice) does not leave the check run in progress", async () => {
    const gate = join(markers, "final-gate");
    await repo.git(["checkout", "-q", "main"]);
    const before = repo.sha;
    const sha = await repo.commit({ ".tiphys/ci.yaml": ciWorkflow("ci", `while [ ! -f ${gate} ]; do sleep 0.1; done`) }, "gated");
    const s = await boot("final-update");
    await sendWebhook({ url: s.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload: pushPayload(sha, before), deliveryId: `d-${++deliveries}` });
    await fake.waitFor(() => checkRunsNamed("tiphys/workflow/ci").find((c) => c.head_sha === sha && c.status === "in_progress"), WAIT_MS);
    await new Promise((r) => setTimeout(r, 400)); // past the debounce: the next update is the final one
    fake.failNext("PATCH", /\/check-runs\/\d+$/, 502, 2);
    writeFileSync(gate, "open");
    const [check] = await waitCompleted("tiphys/workflow/ci", sha);
    expect(check.conclusion).toBe("success");
    expect(fake.requests.filter((r) => r.method === "PATCH" && r.status === 502)).toHaveLength(2);
  });
});
