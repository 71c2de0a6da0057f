/**
 * End to end: a workflow whose `git` input artifact names its own (private) repository. The real
 * server process clones it from the loopback GitHub over smart HTTP with a short-lived installation
 * token, and that token must not surface anywhere: not in the check run, not in the server's
 * output (simple-git's debug log included), not on disk under the data dir, not in the clone's
 * `.git/config`. The same owner and name on another host is not this repository and gets no token.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "./server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP_ID = 4343;
const INSTALLATION = 88;
const OWNER = "octo-org";
const NAME = "private-service";

const ROOT = testWorkRoot(REPO_ROOT, `e2e-git-artifact-${process.pid}`);
const dataDir = join(ROOT, "data");

/** The workflow clones `cloneUrl` at the pushed commit, shows what it got, then fails on purpose. */
const cloneWorkflow = (name: string, cloneUrl: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${name}-
  annotations:
    tiphys.io/on: push
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: sha
      - name: repo
  templates:
    - name: main
      inputs:
        artifacts:
          - name: src
            # Under /tmp, the node's private one: a step sees a folder outside /tmp only when the
            # host has that top-level folder to bind over, and hosts have no /src.
            path: /tmp/src
            git:
              repo: ${JSON.stringify(cloneUrl)}
              revision: "{{workflow.parameters.sha}}"
      script:
        image: alpine/git
        command: [sh]
        source: |
          echo "repo parameter: {{workflow.parameters.repo}}"
          cat /tmp/src/README.md
          echo "checked out: $(git -C /tmp/src log -1 --format=%H)"
          env
          echo "--- .git/config"
          cat /tmp/src/.git/config
          exit 1
`;

let fake: FakeGitHub;
/** Another host serving a repository of the same owner and name. */
let elsewhere: FakeGitHub;
let repo: GitFixture;
let server: ServerProcess;
let deliveries = 0;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  fake = await startFakeGitHub({ appId: APP_ID });
  elsewhere = await startFakeGitHub();
  // The URL names the fake's host, so the repository is written once the fake listens.
  repo = await createRepo({
    ".tiphys/clone.yaml": cloneWorkflow("clone", `http://${fake.host}/${OWNER}/${NAME}.git`),
    "README.md": "placeholder\n",
  });
  // Private: git sends credentials only after a 401, so an anonymous clone would fail, not pass.
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION, private: true });
  elsewhere.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", private: true });
  server = await startServer({
    env: {
      APP_ID: String(APP_ID),
      PRIVATE_KEY_PATH: writePrivateKey(join(ROOT, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      TIPHYS_DATA_DIR: dataDir,
      TIPHYS_CHECK_RUN_DEBOUNCE_MS: "200",
      TIPHYS_POLL_MS: "50",
      // The most verbose the server gets: its own debug logs and simple-git's (argv and environment).
      LOG_LEVEL: "debug",
      DEBUG: "simple-git,simple-git:*",
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
  await elsewhere?.close();
  repo?.cleanup();
  rmSync(ROOT, { recursive: true, force: true });
});

/** Pushes `sha` to main and waits for the workflow's check run at it to complete. */
async function pushAndWait(workflow: string, sha: string, before: string) {
  const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
  const res = await sendWebhook({ url: server.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload, deliveryId: `git-artifact-${++deliveries}` });
  expect(res.status).toBe(200);
  const name = `tiphys/workflow/${workflow}`;
  return fake
    .waitFor(() => fake.checkRuns(OWNER, NAME).find((c) => c.name === name && c.head_sha === sha && c.status === "completed"), 30_000)
    .catch((err: Error) => {
      throw new Error(`${err.message}\n--- server output ---\n${server.output()}`);
    });
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** The token as itself, and as it would be in a Basic header or base64-encoded on its own. */
const formsOf = (token: string) => [token, Buffer.from(`x-access-token:${token}`).toString("base64"), Buffer.from(token).toString("base64")];

/** No installation token ever issued is in any check-run update, in the server's output, or on disk. */
function expectNoTokenAnywhere(): void {
  const tokens = fake.issuedTokens.map((t) => t.token);
  expect(tokens.length).toBeGreaterThan(0);
  const checkRunText = JSON.stringify(fake.checkRuns(OWNER, NAME));
  const output = server.output();
  // The debug logs were really on, the clone's argv and environment among them.
  expect(output).toMatch(/simple-git:task:clone/);
  const files = filesUnder(dataDir);
  // Node logs live in the store (the SQLite file and its write-ahead log), which is read below like any file.
  expect(files.some((f) => /tiphys\.db(-wal)?$/.test(f))).toBe(true);
  const onDisk = files.map((f) => [f, readFileSync(f).toString("latin1")] as const);
  for (const token of tokens) {
    for (const form of formsOf(token)) {
      expect(checkRunText).not.toContain(form);
      expect(output).not.toContain(form);
      for (const [file, content] of onDisk) expect(content.includes(form), `${file} holds an installation token`).toBe(false);
    }
  }
  // Nothing these scripts print holds the token, so nothing was there for the masker to hide: a
  // `***` would mean it reached the environment or .git/config and was only masked on the way out.
  expect(checkRunText).not.toContain("***");
}

describe("a git input artifact", () => {
  it("naming the repository itself is cloned at the pushed commit with an installation token that appears nowhere", async () => {
    const before = repo.sha;
    const pushed = await repo.commit({ "README.md": "readme at the pushed commit\n" }, "pushed");
    // main moves on before the run clones: only checking out `revision` gives the pushed content.
    const later = await repo.commit({ "README.md": "readme at a later commit\n" }, "later");

    const check = await pushAndWait("clone", pushed, before);

    const text = check.output.text ?? "";
    // The deliberate `exit 1`, not a failed clone: the script ran and printed what it cloned.
    expect(check.conclusion, text).toBe("failure");
    expect(text).toContain(`repo parameter: ${OWNER}/${NAME}`);
    expect(text).toContain("readme at the pushed commit");
    expect(text).not.toContain("readme at a later commit");
    expect(text).toContain(`checked out: ${pushed}`);
    expect(text).not.toContain(later);
    // The clone's config keeps the plain URL: no user, no token, no credential helper.
    expect(text).toContain(`url = http://${fake.host}/${OWNER}/${NAME}.git`);
    expect(text).not.toMatch(/x-access-token|\[credential/);
    // The token was used: git was challenged, then sent the installation token and was let in.
    const gitRequests = fake.gitRequests.filter((r) => r.owner === OWNER && r.name === NAME);
    expect(gitRequests[0]).toMatchObject({ endpoint: "info/refs", credentials: "none", status: 401 });
    expect(gitRequests.some((r) => r.endpoint === "git-upload-pack" && r.credentials === "valid" && r.status === 200)).toBe(true);
    expect(gitRequests.filter((r) => r.credentials === "invalid")).toEqual([]);
    expect(fake.unhandled).toEqual([]);
    expectNoTokenAnywhere();
  });

  it("naming the same owner and name on another host gets no token: that is another repository", async () => {
    const before = repo.sha;
    const sha = await repo.commit(
      { ".tiphys/clone.yaml": null, ".tiphys/elsewhere.yaml": cloneWorkflow("elsewhere", `http://${elsewhere.host}/${OWNER}/${NAME}.git`) },
      "clone from elsewhere",
    );

    const check = await pushAndWait("elsewhere", sha, before);

    // The other host challenged, nothing answered it, so the clone (and the node) failed.
    expect(check.conclusion).toBe("failure");
    expect(check.output.text).toMatch(/failed to clone/);
    expect(elsewhere.gitRequests.length).toBeGreaterThan(0);
    expect(elsewhere.gitRequests.map((r) => r.credentials)).toEqual(elsewhere.gitRequests.map(() => "none"));
    expect(elsewhere.requests.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
    expectNoTokenAnywhere();
  });
});
