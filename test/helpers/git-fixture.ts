/**
 * Real git repositories for tests, made with the `git` CLI (no simple-git: its environment guard
 * refuses this machine's ambient GIT_* variables). Each repo lives in a temp folder of its own and has
 * a fixed identity and no signing, so commits work on a machine with no global git config.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const IDENTITY = ["-c", "user.name=tiphys", "-c", "user.email=dev@tiphys.local", "-c", "commit.gpgsign=false"];

/**
 * Variables that would point `git -C dir` at another repository (a test run from inside a git hook
 * inherits them) or pull in the developer's config; dropped from every child's environment.
 */
const DROPPED_ENV = [
  "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
];

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };
  for (const name of DROPPED_ENV) delete env[name];
  return env;
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(`git ${args.join(" ")} failed (${code}): ${stderr.trim()}`);
  }
}

/** Runs `git -C dir ...args` and returns stdout as text. Rejects with GitError on a non-zero exit. */
export function runGit(dir: string, args: string[]): Promise<string>;
export function runGit(dir: string, args: string[], encoding: "buffer"): Promise<Buffer>;
export function runGit(dir: string, args: string[], encoding: "utf8" | "buffer" = "utf8"): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["-C", dir, ...args],
      { encoding, env: gitEnv(), maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new GitError(args, String(stderr), code));
        } else resolve(stdout);
      },
    );
  });
}

export interface GitFixture {
  /** The work tree (a non-bare repository). */
  readonly dir: string;
  /** HEAD of the checked-out branch: the first commit, then whatever `commit` made last. */
  readonly sha: string;
  /** The checked-out branch. */
  readonly currentBranch: string;
  /** Writes (string) or deletes (null) files, commits everything, returns the new commit's sha. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Checks out `name`, creating it at HEAD when it does not exist yet. */
  branch(name: string): Promise<void>;
  /** Any other git command in this repo. */
  git(args: string[]): Promise<string>;
  /** Removes the temp folder. */
  cleanup(): void;
}

/** Creates a repository whose first commit (on `opts.branch`, default `main`) holds `files`. */
export async function createRepo(
  files: Record<string, string>,
  opts: { branch?: string } = {},
): Promise<GitFixture> {
  const dir = mkdtempSync(join(tmpdir(), "tiphys-git-"));
  let sha = "";
  let currentBranch = opts.branch ?? "main";
  const git = (args: string[]) => runGit(dir, args);

  async function commit(changes: Record<string, string | null>, message = "test commit"): Promise<string> {
    for (const [path, content] of Object.entries(changes)) {
      const abs = join(dir, path);
      if (content === null) rmSync(abs, { force: true });
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
    }
    await git(["add", "-A"]);
    await git([...IDENTITY, "commit", "--allow-empty", "--no-verify", "-q", "-m", message]);
    sha = (await git(["rev-parse", "HEAD"])).trim();
    return sha;
  }

  async function branch(name: string): Promise<void> {
    const exists = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${name}`]).then(
      () => true,
      () => false,
    );
    await git(exists ? ["checkout", "-q", name] : ["checkout", "-q", "-b", name]);
    currentBranch = name;
    sha = (await git(["rev-parse", "HEAD"])).trim();
  }

  try {
    await git(["init", "-q", "-b", currentBranch]);
    await commit(files, "initial commit");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    get sha() {
      return sha;
    },
    get currentBranch() {
      return currentBranch;
    },
    commit,
    branch,
    git,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
