/**
 * The fake GitHub serves `git clone` over smart HTTP the way GitHub does for an App: a private
 * repository needs Basic auth with `x-access-token` and an installation token of its installation,
 * anything else gets a 401 challenge; a public one may be cloned anonymously. The real git client
 * is used throughout, so the protocol details (v2, gzip request bodies, the 401-then-askpass dance)
 * are git's, not ours.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, runGit, type GitFixture } from "../helpers/git-fixture.js";
import { APP_ID, issueToken } from "./setup.js";

const OWNER = "acme";
const PRIVATE = "secret-sauce";
const PUBLIC = "open-source";
const INSTALLATION = 7;
const OTHER_INSTALLATION = 8;

let fake: FakeGitHub;
let privateRepo: GitFixture;
let publicRepo: GitFixture;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tiphys-git-http-"));
  privateRepo = await createRepo({ "README.md": "private readme\n" });
  publicRepo = await createRepo({ "README.md": "public readme\n" });
  fake = await startFakeGitHub({ appId: APP_ID });
  fake.addRepo({ owner: OWNER, name: PRIVATE, gitDir: privateRepo.dir, installationId: INSTALLATION, private: true });
  fake.addRepo({ owner: OWNER, name: PUBLIC, gitDir: publicRepo.dir, installationId: OTHER_INSTALLATION });
});

afterAll(async () => {
  await fake?.close();
  privateRepo?.cleanup();
  publicRepo?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

afterEach(() => {
  expect(fake.unhandled).toEqual([]);
  fake.gitRequests.length = 0;
});

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The git client with no user or system config, no inherited GIT_* variable and no prompt. */
function git(args: string[], extraEnv: Record<string, string> = {}): Promise<GitResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  Object.assign(env, { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" }, extraEnv);
  return new Promise((resolve) => {
    execFile("git", args, { env, cwd: work }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const basic = (user: string, password: string) => `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const url = (name: string) => `${fake.url}/${OWNER}/${name}.git`;
let clones = 0;
const dest = () => join(work, `clone-${++clones}`);

describe("git clone over smart HTTP", () => {
  it("clones a private repository with an installation token as the Basic password, at the repository's HEAD", async () => {
    const token = await issueToken(fake, INSTALLATION);
    const dir = dest();

    const res = await git(["-c", `http.extraHeader=${basic("x-access-token", token)}`, "clone", "-q", url(PRIVATE), dir]);

    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("private readme\n");
    expect((await runGit(dir, ["rev-parse", "HEAD"])).trim()).toBe(privateRepo.sha);
    expect(fake.gitRequests.map((r) => [r.method, r.endpoint, r.credentials, r.status])).toEqual([
      ["GET", "info/refs", "valid", 200],
      ["POST", "git-upload-pack", "valid", 200],
      ["POST", "git-upload-pack", "valid", 200],
    ]);
    expect(fake.gitRequests[0]).toMatchObject({ owner: OWNER, name: PRIVATE, service: "git-upload-pack", username: "x-access-token" });
    // The record says whether auth succeeded, never with what.
    expect(JSON.stringify(fake.gitRequests)).not.toContain(token);
  });

  it("without credentials answers 401 with GitHub's Basic challenge, and git fails", async () => {
    const res = await git(["clone", "-q", url(PRIVATE), dest()]);

    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/could not read Username|Authentication failed/);
    expect(fake.gitRequests.map((r) => [r.endpoint, r.credentials, r.status])).toEqual([["info/refs", "none", 401]]);
    const raw = await fetch(`${url(PRIVATE)}/info/refs?service=git-upload-pack`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toBe('Basic realm="GitHub"');
  });

  it.each([
    ["a token never issued", () => Promise.resolve("ghs_notissuedbythisfake000000000000000"), "x-access-token"],
    ["another installation's token", () => issueToken(fake, OTHER_INSTALLATION), "x-access-token"],
    ["a valid token under another username", () => issueToken(fake, INSTALLATION), "octocat"],
    [
      "an expired token",
      async () => {
        const token = await issueToken(fake, INSTALLATION);
        fake.state.tokens.get(token)!.expiresAt = Date.now() - 1000;
        return token;
      },
      "x-access-token",
    ],
  ])("refuses %s with 401", async (_what, tokenOf, user) => {
    const token = await tokenOf();

    const res = await git(["-c", `http.extraHeader=${basic(user, token)}`, "clone", "-q", url(PRIVATE), dest()]);

    expect(res.code).not.toBe(0);
    expect(fake.gitRequests.map((r) => [r.endpoint, r.credentials, r.status])).toEqual([["info/refs", "invalid", 401]]);
  });

  it("answers an unknown repository like a private one (401), so its existence does not leak", async () => {
    const res = await fetch(`${fake.url}/${OWNER}/no-such-repo.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(fake.gitRequests.map((r) => [r.name, r.credentials, r.status])).toEqual([["no-such-repo", "none", 401]]);
  });

  it("asks for credentials on the 401 and retries with what GIT_ASKPASS answers, as Tiphys' clone does", async () => {
    const token = await issueToken(fake, INSTALLATION);
    const askpass = join(work, "askpass.sh");
    writeFileSync(join(work, "askpass-token"), token, { mode: 0o600 });
    writeFileSync(askpass, `#!/bin/sh\ncase "$1" in Username*) echo x-access-token ;; *) cat "${join(work, "askpass-token")}" ;; esac\n`);
    chmodSync(askpass, 0o700);
    const dir = dest();

    const res = await git(["-c", "credential.helper=", "clone", "-q", url(PRIVATE), dir], { GIT_ASKPASS: askpass });

    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("private readme\n");
    const [challenge, ...rest] = fake.gitRequests;
    expect([challenge.credentials, challenge.status]).toEqual(["none", 401]);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((r) => r.credentials === "valid" && r.status === 200)).toBe(true);
    expect(readFileSync(join(dir, ".git", "config"), "utf8")).not.toContain(token);
  });

  it("clones a public repository anonymously, also by the URL without .git", async () => {
    const dir = dest();

    const res = await git(["clone", "-q", `${fake.url}/${OWNER}/${PUBLIC}`, dir]);

    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("public readme\n");
    expect(fake.gitRequests.every((r) => r.credentials === "none" && r.status === 200)).toBe(true);
  });

  it("inflates gzip request bodies (git compresses negotiation requests over 1 KiB)", async () => {
    // 40 branches at 40 different commits: 40 `want` lines make the fetch request gzip-sized.
    let parent = publicRepo.sha;
    const tree = (await publicRepo.git(["rev-parse", "HEAD^{tree}"])).trim();
    for (let i = 0; i < 40; i++) {
      const env = ["-c", "user.name=t", "-c", "user.email=t@t"];
      parent = (await publicRepo.git([...env, "commit-tree", tree, "-p", parent, "-m", `c${i}`])).trim();
      await publicRepo.git(["update-ref", `refs/heads/b${i}`, parent]);
    }
    const dir = dest();

    const res = await git(["clone", "-q", "--mirror", url(PUBLIC), dir]);

    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(fake.gitRequests.some((r) => r.endpoint === "git-upload-pack" && r.gzip && r.status === 200)).toBe(true);
    expect((await runGit(dir, ["rev-parse", "refs/heads/b39"])).trim()).toBe(parent);
  });

  it("refuses a push with 403, even with a valid token", async () => {
    const token = await issueToken(fake, INSTALLATION);
    const dir = dest();
    await git(["-c", `http.extraHeader=${basic("x-access-token", token)}`, "clone", "-q", url(PRIVATE), dir]);

    const res = await git(["-C", dir, "-c", `http.extraHeader=${basic("x-access-token", token)}`, "push", "-q", "origin", "HEAD:refs/heads/pushed"]);

    expect(res.code).not.toBe(0);
    expect(fake.gitRequests.at(-1)).toMatchObject({ service: "git-receive-pack", credentials: "valid", status: 403 });
    expect(await privateRepo.git(["branch", "--list", "pushed"])).toBe("");
  });
});
