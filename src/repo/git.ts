/**
 * The one module that imports simple-git (project rule). Everything that runs `git` goes through here.
 *
 * Credentials: a username/password is handed to git through a GIT_ASKPASS script that reads them from
 * 0600 files in a private temp folder (removed afterwards), so they are never in argv nor in the child's
 * environment (which simple-git's debug log prints), and they are redacted from every message.
 * Credential helpers are switched off for such a clone so the password is not stored anywhere.
 */
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit, type SimpleGit, type SimpleGitOptions } from "simple-git";

import type { CloneOptions } from "../engine/artifacts/git-port.js";

export type { CloneOptions, GitAuth } from "../engine/artifacts/git-port.js";

export class GitCloneError extends Error {
  override name = "GitCloneError";
}

/** Environment variables simple-git refuses to see in a supplied environment (its environment guard). */
const GUARDED_ENV = new Set(["editor", "pager", "prefix", "visual", "ssh_askpass"]);

/** Answers git's prompts from files beside it, so no credential is in argv or the environment. */
const ASKPASS_SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
case "$1" in
Username*|username*) cat "$dir/username" ;;
*) cat "$dir/password" ;;
esac
`;

/** `https://user:token@host/x` → `https://host/x`, plus every secret replaced by `***`. */
export function redactGitText(text: string, secrets: Array<string | undefined> = []): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]*@/gi, "$1");
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join("***");
  }
  return out;
}

function checkArg(value: string | undefined, what: string): void {
  if (value === undefined) return;
  if (value === "" || value.startsWith("-") || /[\0\n\r]/.test(value)) {
    throw new GitCloneError(`invalid git ${what}: ${JSON.stringify(redactGitText(value))}`);
  }
}

/**
 * Clones `repo` into `dest` with Argo's git-artifact semantics (`workflow/artifacts/git/git.go`):
 * clone (shallow when `depth`), fetch the extra `fetch` refspecs, resolve `revision` and check it out
 * detached, then update submodules unless disabled. Returns the checked-out commit.
 */
export async function cloneAt(opts: CloneOptions): Promise<{ commit: string }> {
  const secrets = [opts.auth?.password];
  const shownRepo = redactGitText(opts.repo, secrets);
  checkArg(opts.repo, "repository");
  checkArg(opts.revision, "revision");
  checkArg(opts.branch, "branch");
  for (const spec of opts.fetch ?? []) checkArg(spec, "fetch refspec");
  if (opts.singleBranch && !opts.branch) throw new GitCloneError("single branch mode without a branch specified");
  const depth = opts.depth ?? 0;
  if (!Number.isInteger(depth) || depth < 0) throw new GitCloneError(`invalid git depth ${depth}`);

  const dest = path.resolve(opts.dest);
  const parent = path.dirname(dest);
  await mkdir(parent, { recursive: true });
  const destExisted = await exists(dest);

  let askpassDir: string | undefined;
  try {
    const env = baseEnv();
    const allowEnvironment = ["GIT_TERMINAL_PROMPT"];
    const unsafe: SimpleGitOptions["unsafe"] = {};
    const config: string[] = [];
    if (opts.auth) {
      askpassDir = await mkdtemp(path.join(tmpdir(), "tiphys-askpass-"));
      await chmod(askpassDir, 0o700);
      await writeFile(path.join(askpassDir, "username"), opts.auth.username, { mode: 0o600 });
      await writeFile(path.join(askpassDir, "password"), opts.auth.password, { mode: 0o600 });
      const script = path.join(askpassDir, "askpass.sh");
      await writeFile(script, ASKPASS_SCRIPT, { mode: 0o700 });
      await chmod(script, 0o700);
      env.GIT_ASKPASS = script;
      allowEnvironment.push("GIT_ASKPASS");
      unsafe.allowUnsafeAskPass = true;
      // No credential helper may answer instead of us, nor store the password afterwards.
      config.push("credential.helper=");
      unsafe.allowUnsafeCredentialHelper = true;
    }
    if (opts.insecureIgnoreHostKey) {
      env.GIT_SSH_COMMAND = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null";
      allowEnvironment.push("GIT_SSH_COMMAND");
      unsafe.allowUnsafeSshCommand = true;
    }
    const make = (baseDir: string): SimpleGit =>
      simpleGit({
        baseDir,
        config,
        allowEnvironment,
        unsafe,
        timeout: { block: opts.stallTimeoutMs ?? 5 * 60_000 },
        ...(opts.signal ? { abort: opts.signal } : {}),
      }).env(env);

    const run = async (git: SimpleGit, args: string[], what: string): Promise<string> => {
      try {
        return await git.raw(args);
      } catch (err) {
        const raw = err instanceof Error ? err.message : String(err);
        const detail = redactGitText(summariseGitError(raw), secrets).slice(0, 2000);
        throw new GitCloneError(`${what}: ${detail || "git exited with an error"}`);
      }
    };

    // --progress keeps stderr busy on long transfers, so only a real stall trips the timeout.
    const cloneArgs = ["clone", "--progress"];
    if (depth > 0) cloneArgs.push("--depth", String(depth));
    if (opts.singleBranch) cloneArgs.push("--single-branch");
    else if (depth > 0) cloneArgs.push("--no-single-branch");
    if (opts.branch) cloneArgs.push("--branch", opts.branch);
    if (opts.revision) cloneArgs.push("--no-checkout");
    cloneArgs.push("--", opts.repo, dest);
    await run(make(parent), cloneArgs, `failed to clone ${JSON.stringify(shownRepo)}`);

    const git = make(dest);
    const shallow = depth > 0 ? ["--depth", String(depth)] : [];
    if (opts.fetch && opts.fetch.length > 0) {
      await run(
        git,
        ["fetch", "--progress", "--update-head-ok", ...shallow, "origin", ...opts.fetch],
        `failed to fetch ${JSON.stringify(opts.fetch)}`,
      );
    }
    if (opts.revision) {
      const sha = await resolveRevision(git, opts.revision, shallow, run);
      await run(git, ["checkout", "--progress", "--detach", sha], `failed to checkout ${JSON.stringify(sha)}`);
    }
    if (!opts.disableSubmodules && (await exists(path.join(dest, ".gitmodules")))) {
      await run(git, ["submodule", "update", "--progress", "--init", "--recursive", "--force"], "failed to update submodules");
    }
    const commit = (await run(git, ["rev-parse", "HEAD"], "failed to read HEAD")).trim();
    return { commit };
  } catch (err) {
    if (!destExisted) await rm(dest, { recursive: true, force: true });
    if (err instanceof GitCloneError) throw err;
    throw new GitCloneError(redactGitText(err instanceof Error ? err.message : String(err), secrets));
  } finally {
    if (askpassDir) await rm(askpassDir, { recursive: true, force: true });
  }
}

type Runner = (git: SimpleGit, args: string[], what: string) => Promise<string>;

/** A local ref, then origin's, then a direct fetch of the revision (a tag or sha outside a shallow clone). */
async function resolveRevision(git: SimpleGit, revision: string, shallow: string[], run: Runner): Promise<string> {
  const tryParse = async (rev: string): Promise<string | undefined> => {
    try {
      const out = (await git.raw(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`])).trim();
      return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
    } catch {
      return undefined;
    }
  };
  const local = (await tryParse(revision)) ?? (await tryParse(`origin/${revision}`));
  if (local) return local;
  if (/[:\s^~]/.test(revision)) {
    // An expression (`v1^`, `main~2`) or something refspec-like: nothing sensible to fetch by that name.
    throw new GitCloneError(`failed to get resolve revision ${JSON.stringify(revision)}: not found in the clone`);
  }
  await run(
    git,
    ["fetch", "--progress", ...shallow, "origin", revision],
    `failed to get resolve revision ${JSON.stringify(revision)}`,
  );
  const fetched = await tryParse("FETCH_HEAD");
  if (!fetched) throw new GitCloneError(`failed to get resolve revision ${JSON.stringify(revision)}: not a commit`);
  return fetched;
}

/** git's stderr without progress chatter: its fatal/error lines, else its last lines. */
function summariseGitError(text: string): string {
  const lines = text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(remote: )?[A-Z][a-z]+( [a-z]+)*: +\d+% \(/.test(l) && !/^Cloning into /.test(l));
  const important = lines.filter((l) => /^(fatal|error):/.test(l));
  return (important.length > 0 ? important : lines.slice(-3)).join("; ");
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const k = key.toLowerCase();
    if (k.startsWith("git_") || GUARDED_ENV.has(k)) continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.LC_ALL = "C";
  return env;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}


/** A read-only view of a local repository's objects, for `tiphys local` (trees, blobs, diffs). */
export class LocalRepoReader {
  private readonly git: SimpleGit;
  constructor(readonly dir: string) {
    this.git = simpleGit(dir);
  }
  async revParse(rev: string): Promise<string> {
    return (await this.git.revparse([`${rev}^{commit}`])).trim();
  }
  async currentBranch(): Promise<string | undefined> {
    const b = (await this.git.revparse(["--abbrev-ref", "HEAD"])).trim();
    return b === "HEAD" ? undefined : b;
  }
  async defaultBranch(): Promise<string> {
    for (const b of ["main", "master"]) {
      try {
        await this.revParse(b);
        return b;
      } catch {
        // not this one
      }
    }
    return (await this.currentBranch()) ?? "main";
  }
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.git.raw(["merge-base", a, b])).trim() || undefined;
    } catch {
      return undefined;
    }
  }
  async parent(rev: string): Promise<string | undefined> {
    try {
      return await this.revParse(`${rev}~1`);
    } catch {
      return undefined;
    }
  }
  /** `ls-tree -r -t -l`: every entry of a commit's tree. */
  async tree(rev: string): Promise<{ sha: string; entries: Array<{ path: string; type: "blob" | "tree" | "commit"; sha: string; size?: number }> }> {
    const treeSha = (await this.git.revparse([`${rev}^{tree}`])).trim();
    const out = await this.git.raw(["ls-tree", "-r", "-t", "-l", "-z", treeSha]);
    const entries = out
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf("\t");
        const [, type, sha, size] = line.slice(0, tab).split(/\s+/);
        return { path: line.slice(tab + 1), type: type as "blob" | "tree" | "commit", sha, size: size === "-" ? undefined : Number(size) };
      });
    return { sha: treeSha, entries };
  }
  async blob(sha: string): Promise<Buffer> {
    return Buffer.from(await this.git.binaryCatFile(["blob", sha]));
  }
  async changedFiles(base: string, head: string): Promise<string[]> {
    const out = await this.git.raw(["diff", "--name-only", "-z", `${base}...${head}`]);
    return out.split("\0").filter(Boolean);
  }
  /** `owner/name` from the `origin` remote's URL (GitHub-style), when it has one. */
  async originRepo(): Promise<{ owner: string; name: string } | undefined> {
    try {
      const url = (await this.git.raw(["remote", "get-url", "origin"])).trim();
      const m = /[/:]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
      return m && !url.startsWith("/") && !url.startsWith("file:") ? { owner: m[1], name: m[2] } : undefined;
    } catch {
      return undefined;
    }
  }
  /**
   * The files of a commit, written under `dest` (which must not exist): `git archive` into a tar file,
   * then extracted. Submodules are not included. Returns the commit.
   */
  async exportTree(rev: string, dest: string): Promise<string> {
    checkArg(rev, "revision");
    const commit = await this.revParse(rev);
    await mkdir(dest, { recursive: true });
    const tarFile = `${dest}.tar`;
    try {
      await this.git.raw(["archive", "--format=tar", "-o", tarFile, commit]);
      const { extract } = await import("tar");
      await extract({ file: tarFile, cwd: dest });
    } finally {
      await rm(tarFile, { force: true });
    }
    return commit;
  }
  async topLevel(): Promise<string> {
    return (await this.git.revparse(["--show-toplevel"])).trim();
  }
  async userName(): Promise<string> {
    try {
      return (await this.git.raw(["config", "user.name"])).trim() || "local";
    } catch {
      return "local";
    }
  }
}
