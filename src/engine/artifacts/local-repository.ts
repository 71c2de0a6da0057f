/**
 * A local-directory artifact repository: what Argo's S3/GCS/... repository is to a pod, a folder under
 * the run's directory is to Tiphys. Semantics follow Argo's executor (`workflow/executor/executor.go`
 * saveArtifact/stageArchiveFile and loadArtifacts/untar/unpack/chmod):
 *
 * - outputs are tar+gzip by default (`<nodeId>/<name>.tgz`), `archive: {none: {}}` stores the file or
 *   folder as is (`<nodeId>/<name>`), `archive.tar.compressionLevel` picks the gzip level;
 * - inputs come from a stored artifact (`local.key`), `raw`, `http` or `git`. A tarball holding one
 *   entry becomes that entry at the input's path, one holding several becomes a folder; without an
 *   explicit `archive` a tarball is detected by content, as Argo does;
 * - `subPath` picks a path inside the artifact, `mode` (and `recurseMode`) chmods the result,
 *   `optional` turns a missing source into "nothing to do";
 * - any other storage kind is a ConfigError: a local run has no such repository.
 */
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { Artifact } from "../model/types.js";
import type { GitAuth, GitCloner } from "./git-port.js";
import { createTarGz, gzipOptions, isTarball, untarTo } from "./archive.js";
import { ArtifactError, ArtifactNotFoundError } from "./errors.js";
import { downloadHttp } from "./http-source.js";
import { checkRelative, isNotFound, isSafeSegment, resolveInside } from "./paths.js";
import { redact } from "./redact.js";

/** Storage kinds Argo knows but a local run cannot reach. */
export const UNSUPPORTED_STORAGE_KINDS = ["s3", "gcs", "azure", "oss", "hdfs", "artifactory", "plugin"] as const;
/** Storage kinds this repository can load from, in the order they are looked for. */
export const LOADABLE_STORAGE_KINDS = ["local", "raw", "http", "git"] as const;

export interface SaveArtifactInput {
  nodeId: string;
  artifact: Artifact;
  /** Host location of the container's `artifact.path`. */
  hostPath: string;
}

export interface LoadArtifactInput {
  artifact: Artifact;
  /** Host location of the input's `path`. Whatever is there is replaced. */
  hostPath: string;
  /** Credentials for an https `git` artifact. */
  gitAuth?: GitAuth;
  /** Cancels an HTTP download or a git clone. */
  signal?: AbortSignal;
}

/** The storage location this repository writes into a status artifact. */
export interface LocalArtifactLocation {
  key: string;
}

function present(artifact: Artifact, kind: string): boolean {
  return artifact[kind] !== undefined && artifact[kind] !== null;
}

function unsupportedKind(artifact: Artifact): string | undefined {
  return UNSUPPORTED_STORAGE_KINDS.find((k) => present(artifact, k));
}

function noRepository(artifact: Artifact, kind: string, direction: "input" | "output"): ConfigError {
  return new ConfigError(
    `${direction} artifact "${artifact.name}" uses ${kind} storage, but a local run has no ${kind} artifact ` +
      `repository configured (only the local repository, raw, http and git inputs are available)`,
  );
}

export class LocalArtifactRepository {
  readonly rootDir: string;

  private readonly cloneGit?: GitCloner;

  /** `cloneGit` clones `git` inputs (the composition root passes the simple-git adapter). */
  constructor(rootDir: string, opts: { cloneGit?: GitCloner } = {}) {
    this.rootDir = path.resolve(rootDir);
    this.cloneGit = opts.cloneGit;
  }

  /**
   * Stores the file or folder at `hostPath` and returns the status artifact (the input plus
   * `local: {key}`), or undefined when the source is missing and the artifact is optional.
   */
  async save(input: SaveArtifactInput): Promise<Artifact | undefined> {
    const { nodeId, artifact, hostPath } = input;
    const name = artifact.name;
    if (!isSafeSegment(nodeId)) throw new ConfigError(`invalid node id ${JSON.stringify(nodeId)} for an artifact key`);
    if (!isSafeSegment(name)) throw new ConfigError(`invalid artifact name ${JSON.stringify(name)}`);
    const unsupported = unsupportedKind(artifact);
    if (unsupported) throw noRepository(artifact, unsupported, "output");
    for (const kind of ["http", "git", "raw"]) {
      if (present(artifact, kind)) {
        throw new ConfigError(`output artifact "${name}": ${kind} output artifacts are not supported by a local run`);
      }
    }
    if (artifact.archive?.zip) {
      throw new ConfigError(
        `output artifact "${name}": archive.zip is not supported by the local artifact repository; use tar (the default) or none`,
      );
    }
    const none = artifact.archive?.none !== undefined;
    const level = artifact.archive?.tar?.compressionLevel;
    try {
      gzipOptions(level);
    } catch (err) {
      throw new ConfigError(`output artifact "${name}": ${(err as Error).message}`);
    }

    const shownPath = artifact.path ?? hostPath;
    let source: string;
    try {
      await stat(hostPath);
      source = await realpath(hostPath);
    } catch (err) {
      if (!isNotFound(err)) {
        throw new ArtifactError(`failed to save outputs: ${shownPath}: ${(err as Error).message}`, name, { cause: err });
      }
      if (artifact.optional) return undefined;
      throw new ArtifactNotFoundError(`failed to save outputs: ${shownPath} no such file or directory`, name);
    }

    const key = none ? `${nodeId}/${name}` : `${nodeId}/${name}.tgz`;
    const dest = path.join(this.rootDir, nodeId, none ? name : `${name}.tgz`);
    const nodeDir = path.dirname(dest);
    try {
      await mkdir(nodeDir, { recursive: true });
      const work = await mkdtemp(path.join(nodeDir, `.${name}.saving-`));
      try {
        const staged = path.join(work, "artifact");
        if (none) {
          await cp(source, staged, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, dereference: false });
        } else {
          await createTarGz(source, staged, level);
        }
        await rm(dest, { recursive: true, force: true });
        await rename(staged, dest);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    } catch (err) {
      throw new ArtifactError(`failed to save outputs: ${shownPath}: ${(err as Error).message}`, name, { cause: err });
    }
    return { ...artifact, local: { key } satisfies LocalArtifactLocation };
  }

  /** Materialises an input artifact at `hostPath`. */
  async load(input: LoadArtifactInput): Promise<void> {
    const { artifact } = input;
    const name = artifact.name;
    const unsupported = unsupportedKind(artifact);
    if (unsupported) throw noRepository(artifact, unsupported, "input");
    const kind = LOADABLE_STORAGE_KINDS.find((k) => present(artifact, k));
    if (!kind) {
      if (artifact.optional) return;
      throw new ArtifactNotFoundError(`required artifact '${name}' not supplied`, name);
    }
    if (artifact.archive?.zip) {
      throw new ConfigError(`input artifact "${name}": archive.zip is not supported by the local artifact repository`);
    }
    let subPath: string | undefined;
    if (artifact.subPath !== undefined && artifact.subPath !== "") {
      const checked = checkRelative(artifact.subPath, "subPath");
      if (!checked.ok) throw new ArtifactError(`artifact ${name} failed to load: ${checked.reason}`, name);
      subPath = checked.value;
    }

    const dest = path.resolve(input.hostPath);
    const parent = path.dirname(dest);
    try {
      await mkdir(parent, { recursive: true });
      const work = await mkdtemp(path.join(parent, `.${path.basename(dest)}.loading-`));
      try {
        await this.fetchAndPlace(kind, input, dest, work, subPath);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      if (artifact.mode !== undefined) await applyMode(dest, artifact.mode, artifact.recurseMode === true);
    } catch (err) {
      if (err instanceof ArtifactNotFoundError && artifact.optional) return;
      if (err instanceof ArtifactError || err instanceof ConfigError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const safe = redact(message, [input.gitAuth?.password], input.gitAuth?.username);
      throw new ArtifactError(`artifact ${name} failed to load: ${safe}`, name, {
        cause: (err as Error)?.name === "GitCloneError" ? undefined : err,
      });
    }
  }

  private async fetchAndPlace(
    kind: (typeof LOADABLE_STORAGE_KINDS)[number],
    input: LoadArtifactInput,
    dest: string,
    work: string,
    subPath: string | undefined,
  ): Promise<void> {
    const { artifact } = input;
    const name = artifact.name;
    const downloaded = path.join(work, "download");
    switch (kind) {
      case "local": {
        const stored = await this.resolveKey(artifact);
        await place(artifact, stored, false, dest, subPath);
        return;
      }
      case "raw": {
        const raw = artifact.raw as { data?: unknown };
        if (typeof raw?.data !== "string") throw new ConfigError(`input artifact "${name}": raw.data must be a string`);
        await writeFile(downloaded, raw.data, { mode: 0o644 });
        break;
      }
      case "http": {
        const http = artifact.http as { url?: unknown; headers?: Array<{ name: string; value: string }> };
        if (typeof http?.url !== "string" || http.url === "") {
          throw new ConfigError(`input artifact "${name}": http.url is required`);
        }
        await downloadHttp(
          { url: http.url, headers: http.headers, artifact: name, ...(input.signal ? { signal: input.signal } : {}) },
          downloaded,
        );
        break;
      }
      case "git": {
        const git = artifact.git;
        if (!git || typeof git.repo !== "string" || git.repo === "") {
          throw new ConfigError(`input artifact "${name}": git.repo is required`);
        }
        if (git.singleBranch && !git.branch) {
          throw new ConfigError(`input artifact "${name}": single branch mode without a branch specified`);
        }
        if (!this.cloneGit) throw new ConfigError(`input artifact "${name}": git artifacts are not available here (no git adapter configured)`);
        await this.cloneGit({
          repo: git.repo,
          dest: downloaded,
          revision: git.revision || undefined,
          depth: git.depth,
          branch: git.branch || undefined,
          singleBranch: git.singleBranch,
          disableSubmodules: git.disableSubmodules,
          fetch: git.fetch,
          insecureIgnoreHostKey: git.insecureIgnoreHostKey,
          auth: input.gitAuth,
          signal: input.signal,
        });
        break;
      }
    }
    await place(artifact, downloaded, true, dest, subPath);
  }

  /** The stored file or folder behind `artifact.local.key`, checked to stay under rootDir. */
  private async resolveKey(artifact: Artifact): Promise<string> {
    const local = artifact.local as { key?: unknown } | undefined;
    if (typeof local?.key !== "string") {
      throw new ConfigError(`input artifact "${artifact.name}": local.key must be a string`);
    }
    const checked = checkRelative(local.key, "artifact key");
    if (!checked.ok) throw new ArtifactError(`artifact ${artifact.name} failed to load: ${checked.reason}`, artifact.name);
    let stored: string | undefined;
    try {
      stored = await resolveInside(this.rootDir, checked.value);
    } catch (err) {
      throw new ArtifactError(`artifact ${artifact.name} failed to load: ${(err as Error).message}`, artifact.name);
    }
    if (!stored) {
      throw new ArtifactNotFoundError(
        `artifact ${artifact.name} failed to load: key ${checked.value} does not exist in the local artifact repository`,
        artifact.name,
      );
    }
    return stored;
  }
}

/**
 * Puts `source` at `dest`: a folder (optionally its `subPath`) is moved or copied; a file is
 * untarred when it is a tarball (explicit `archive.tar`, or detected when `archive` is unset),
 * otherwise moved or copied. `owned` says `source` is a temporary that may be moved.
 */
async function place(artifact: Artifact, source: string, owned: boolean, dest: string, subPath?: string): Promise<void> {
  const name = artifact.name;
  const notFound = (): ArtifactNotFoundError =>
    new ArtifactNotFoundError(`artifact ${name} failed to load: subPath ${subPath} does not exist in the artifact`, name);
  const info = await lstat(source);
  if (info.isDirectory()) {
    let from = source;
    if (subPath) {
      const inside = await resolveInside(source, subPath);
      if (!inside) throw notFound();
      from = inside;
    }
    await replaceWith(from, owned, dest);
    return;
  }
  const none = artifact.archive?.none !== undefined;
  const tar = !none && (artifact.archive?.tar !== undefined || (await isTarball(source)));
  if (tar) {
    await rm(dest, { recursive: true, force: true });
    const pick = subPath ? (root: string) => pickInside(root, subPath) : undefined;
    if (!(await untarTo(source, dest, pick))) throw notFound();
    return;
  }
  if (subPath) {
    throw new ArtifactError(`artifact ${name} failed to load: subPath ${subPath} given, but the artifact is a single file`, name);
  }
  await replaceWith(source, owned, dest);
}

async function pickInside(root: string, subPath: string): Promise<string | undefined> {
  const info = await lstat(root);
  if (!info.isDirectory()) return undefined;
  return resolveInside(root, subPath);
}

async function replaceWith(from: string, owned: boolean, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  if (owned) {
    await rename(from, dest);
    return;
  }
  await cp(from, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, dereference: false });
}

/** Argo's chmod: the top entry, and everything below it when `recurseMode`. Symlinks are left alone. */
async function applyMode(target: string, mode: number, recurse: boolean): Promise<void> {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ConfigError(`artifact mode must be an integer from 0 to 4095 (0o7777), got ${mode}`);
  }
  await chmod(target, mode);
  if (!recurse) return;
  const info = await lstat(target);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    await applyMode(path.join(target, entry.name), mode, true);
  }
}
