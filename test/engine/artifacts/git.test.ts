import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { access, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { ArtifactError } from "../../../src/engine/artifacts/errors.js";
import { LocalArtifactRepository } from "../../../src/engine/artifacts/local-repository.js";
import { cloneAt, GitCloneError } from "../../../src/repo/git.js";
import { tempDir } from "./fixtures.js";

/** The git CLI with a clean environment and a test identity. */
function git(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", "-c", "protocol.file.allow=always", ...args],
    { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  ).trim();
}

let root: string;
let cleanup: () => Promise<void>;
let source: string;
let fileUrl: string;
let commit1: string;
let commit2: string;
let featureCommit: string;
let repo: LocalArtifactRepository;
let n = 0;
const nextDest = (): string => path.join(root, "clones", `c${n++}`);

// A dumb-HTTP server for a bare copy of the repository, behind Basic auth.
let server: Server;
let httpRepoUrl: string;
const authSeen: string[] = [];
/** Processes whose argv or environment held the password while git talked to the server. */
const leaks: string[] = [];

/** Linux: looks through every process's argv and environment for `secret`. */
function scanProcesses(secret: string): void {
  if (!existsSync("/proc/self/environ")) return;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    for (const what of ["cmdline", "environ"]) {
      try {
        if (readFileSync(`/proc/${pid}/${what}`).includes(secret)) leaks.push(`${pid}/${what}`);
      } catch {
        // gone, or not ours
      }
    }
  }
}
const USER = "robot";
const PASSWORD = "pa55-w0rd-never-shown";

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("tiphys-git-"));
  source = path.join(root, "source");
  await mkdir(path.join(source, "dir"), { recursive: true });
  git(source, "init", "-q", "-b", "main");
  await writeFile(path.join(source, "a.txt"), "one\n");
  await writeFile(path.join(source, "dir", "in-dir.txt"), "in dir\n");
  git(source, "add", ".");
  git(source, "commit", "-q", "-m", "first");
  commit1 = git(source, "rev-parse", "HEAD");
  git(source, "tag", "v1.0");
  git(source, "branch", "feature");
  await writeFile(path.join(source, "a.txt"), "two\n");
  git(source, "commit", "-q", "-am", "second");
  commit2 = git(source, "rev-parse", "HEAD");
  git(source, "checkout", "-q", "feature");
  await writeFile(path.join(source, "feature.txt"), "feature\n");
  git(source, "add", ".");
  git(source, "commit", "-q", "-m", "feature work");
  featureCommit = git(source, "rev-parse", "HEAD");
  git(source, "checkout", "-q", "main");
  // A ref outside refs/heads and refs/tags, like a pull request head.
  git(source, "update-ref", "refs/pull/1/head", featureCommit);
  fileUrl = `file://${source}`;
  repo = new LocalArtifactRepository(path.join(root, "artifacts"), { cloneGit: cloneAt });

  const bare = path.join(root, "served", "repo.git");
  git(root, "clone", "-q", "--bare", source, bare);
  git(bare, "update-server-info");
  server = createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    authSeen.push(auth);
    scanProcesses(PASSWORD);
    if (auth !== "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64")) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
      return;
    }
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.join(root, "served", path.normalize(rel));
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.writeHead(200, { "content-type": "application/octet-stream" });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  httpRepoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await cleanup();
});

const read = (dir: string, file: string): Promise<string> => readFile(path.join(dir, file), "utf8");
const has = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe("git input artifacts", () => {
  it("clones the default branch's HEAD", async () => {
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", path: "/src", git: { repo: fileUrl } }, hostPath: dest });
    expect(await read(dest, "a.txt")).toBe("two\n");
    expect(git(dest, "rev-parse", "HEAD")).toBe(commit2);
    expect(await has(path.join(dest, "feature.txt"))).toBe(false);
  });

  it.each([
    ["a tag", "v1.0", () => commit1, "one\n"],
    ["a branch", "feature", () => featureCommit, "one\n"],
    ["a commit sha", "COMMIT1", () => commit1, "one\n"],
    ["a short sha", "SHORT2", () => commit2, "two\n"],
    ["a revision expression", "main~1", () => commit1, "one\n"],
  ])("checks out %s", async (_label, revision, expected, content) => {
    const rev = revision === "COMMIT1" ? commit1 : revision === "SHORT2" ? commit2.slice(0, 10) : revision;
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, revision: rev } }, hostPath: dest });
    expect(git(dest, "rev-parse", "HEAD")).toBe(expected());
    expect(await read(dest, "a.txt")).toBe(content);
  });

  it("clones shallow with depth, and still reaches a tag below the tip", async () => {
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, depth: 1 } }, hostPath: dest });
    expect(git(dest, "rev-list", "--count", "HEAD")).toBe("1");
    expect(git(dest, "rev-parse", "--is-shallow-repository")).toBe("true");

    const tagged = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, depth: 1, revision: "v1.0" } }, hostPath: tagged });
    expect(git(tagged, "rev-parse", "HEAD")).toBe(commit1);
    const bySha = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, depth: 1, revision: commit1 } }, hostPath: bySha });
    expect(await read(bySha, "a.txt")).toBe("one\n");
  });

  it("singleBranch fetches only that branch; without a branch it is a ConfigError", async () => {
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, singleBranch: true, branch: "feature" } }, hostPath: dest });
    expect(await read(dest, "feature.txt")).toBe("feature\n");
    expect(git(dest, "branch", "-r", "--format=%(refname:short)")).toBe("origin/feature");

    const err = await repo.load({ artifact: { name: "src", git: { repo: fileUrl, singleBranch: true } }, hostPath: nextDest() }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("single branch mode without a branch specified");
  });

  it("branch without singleBranch checks that branch out but keeps the others", async () => {
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl, branch: "feature" } }, hostPath: dest });
    expect(git(dest, "rev-parse", "HEAD")).toBe(featureCommit);
    expect(git(dest, "branch", "-r", "--format=%(refname:short)")).toContain("origin/main");
  });

  it("fetches extra refspecs before the checkout", async () => {
    const dest = nextDest();
    await repo.load({
      artifact: {
        name: "src",
        git: { repo: fileUrl, fetch: ["+refs/pull/*:refs/remotes/origin/pull/*"], revision: "refs/remotes/origin/pull/1/head" },
      },
      hostPath: dest,
    });
    expect(git(dest, "rev-parse", "HEAD")).toBe(featureCommit);
  });

  it("disableSubmodules leaves submodules uninitialised", async () => {
    const withSub = path.join(root, "with-sub");
    git(root, "clone", "-q", source, withSub);
    git(withSub, "submodule", "add", "-q", fileUrl, "vendored");
    git(withSub, "commit", "-q", "-m", "add submodule");
    const dest = nextDest();
    await repo.load({
      artifact: { name: "src", git: { repo: `file://${withSub}`, disableSubmodules: true } },
      hostPath: dest,
    });
    expect(await has(path.join(dest, ".gitmodules"))).toBe(true);
    expect(await readdir(path.join(dest, "vendored"))).toEqual([]);
  });

  it("subPath picks a folder of the clone and mode applies to it", async () => {
    const dest = nextDest();
    await repo.load({ artifact: { name: "src", git: { repo: fileUrl }, subPath: "dir", mode: 0o700 }, hostPath: dest });
    expect(await readdir(dest)).toEqual(["in-dir.txt"]);
    expect((await stat(dest)).mode & 0o777).toBe(0o700);
  });

  it("an unknown revision is an ArtifactError and leaves nothing behind", async () => {
    const dest = nextDest();
    const err = await repo.load({ artifact: { name: "src", git: { repo: fileUrl, revision: "no-such-ref" } }, hostPath: dest }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/^artifact src failed to load: failed to get resolve revision "no-such-ref"/);
    expect(await has(dest)).toBe(false);
    expect((await readdir(path.dirname(dest))).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("refuses option-like arguments", async () => {
    await expect(cloneAt({ repo: "--upload-pack=touch /tmp/pwned", dest: nextDest() })).rejects.toBeInstanceOf(GitCloneError);
    await expect(cloneAt({ repo: fileUrl, dest: nextDest(), revision: "--output=/tmp/x" })).rejects.toBeInstanceOf(GitCloneError);
  });
});

describe("git over https-style auth", () => {
  it("passes username and password through askpass", async () => {
    authSeen.length = 0;
    const dest = nextDest();
    await repo.load({
      artifact: { name: "src", git: { repo: httpRepoUrl, revision: "v1.0" } },
      hostPath: dest,
      gitAuth: { username: USER, password: PASSWORD },
    });
    expect(await read(dest, "a.txt")).toBe("one\n");
    expect(authSeen).toContain("Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
    const config = await readFile(path.join(dest, ".git", "config"), "utf8");
    expect(config).not.toContain(PASSWORD);
    expect(leaks).toEqual([]);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith("tiphys-askpass-"))).toEqual([]);
  });

  it("a failed clone never shows the password", async () => {
    const wrong = "wr0ng-secret-value";
    const err = await repo
      .load({
        artifact: { name: "src", git: { repo: httpRepoUrl } },
        hostPath: nextDest(),
        gitAuth: { username: USER, password: wrong },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    const message = (err as Error).message;
    expect(message).toContain(`failed to clone "${httpRepoUrl}"`);
    expect(message).toMatch(/Authentication failed/);
    expect(message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong);
    expect(String((err as Error).stack)).not.toContain(wrong);
  });

  it("a failed clone never shows credentials written in the URL", async () => {
    const secretUrl = httpRepoUrl.replace("http://", `http://${USER}:url-secret-123@`).replace("repo.git", "missing.git");
    const err = await repo.load({ artifact: { name: "src", git: { repo: secretUrl } }, hostPath: nextDest() }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).not.toContain("url-secret-123");
    expect((err as Error).message).toContain(httpRepoUrl.replace("repo.git", "missing.git"));
  });
});
