/**
 * The S3 artifact repository: where the artifacts of steps that run as Pods go, Argo's
 * `artifactRepository.s3` over `@aws-sdk/client-s3`. It implements the engine's ArtifactRepository
 * port, like the local repository, and follows Argo's executor and S3 driver:
 *
 * - an output without a key of its own is stored at `<keyFormat>/<name>.tgz` (tar+gzip, the default)
 *   or `<keyFormat>/<base name of its path>` with `archive: {none: {}}`; the key format defaults to
 *   `{{workflow.name}}/{{pod.name}}` and may use the workflow's variables (key-format.ts);
 * - an output or input with `s3: {key}` and nothing else is a key-only artifact: the bucket and
 *   credentials are the repository's (docs/key-only-artifacts.md). An `s3.bucket` of its own is
 *   honoured; another endpoint is refused, since only the repository's credentials are known here;
 * - an unarchived folder is one object per file below its key; loading a key that is no object but a
 *   prefix gives that folder back. Argo does not add a `/` to such keys; a key written with a trailing
 *   `/` works the same, and is what Argo's artifact GC needs to see a folder;
 * - the status artifact keeps the declaration and records `s3: {key}` (Argo stores key-only locations);
 * - `raw`, `http` and `git` inputs, `subPath`, `mode`, tarball detection and `optional` are handled by
 *   the same code as the local repository: the downloaded object is placed by it;
 * - `archive.zip` and `artifactGC` are not supported: zip is refused, GC settings are ignored (nothing
 *   is deleted when a workflow is).
 *
 * Failures are ArtifactErrors (the node ends in Error) naming the bucket and endpoint, never a secret.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../core/errors.js";
import { createTarGz, gzipOptions } from "../engine/artifacts/archive.js";
import { ArtifactError, ArtifactNotFoundError } from "../engine/artifacts/errors.js";
import type { GitCloner } from "../engine/artifacts/git-port.js";
import { LocalArtifactRepository, UNSUPPORTED_STORAGE_KINDS } from "../engine/artifacts/local-repository.js";
import { isNotFound, isSafeSegment } from "../engine/artifacts/paths.js";
import type { ArtifactRepository, LoadArtifactInput, SaveArtifactInput } from "../engine/artifacts/repository.js";
import type { Artifact } from "../engine/model/types.js";
import type { Vars } from "../engine/runtime/substitute.js";
import { checkRepositoryConfig, createS3Client, effectiveKeyFormat, endpointUrl, type ArtifactRepositoryConfig } from "./config.js";
import { defaultOutputKey, keyVariables, renderArtifactKey } from "./key-format.js";
import { describeS3Failure, type S3Where } from "./s3-errors.js";
import { S3Transfer } from "./s3-transfer.js";

/** The `s3` field of an artifact, as far as this repository reads it. */
export interface S3ArtifactLocation {
  key?: string;
  bucket?: string;
  endpoint?: string;
  [field: string]: unknown;
}

export interface S3ArtifactRepositoryOptions {
  config: ArtifactRepositoryConfig;
  /**
   * The run's `workflow.*` variables for the key format: the engine's
   * `globalVars(workflow, uid, createdAt)` with the uid and creation time the run is started with.
   */
  workflowVars: Vars;
  /** `{{pod.name}}` of a node; default the node id, which is the pod name under Argo's POD_NAMES=v1. */
  podName?: (nodeId: string) => string;
  /** Clones `git` inputs (the composition root passes the simple-git adapter). */
  cloneGit?: GitCloner;
}

/** Other storage kinds a step's artifacts may not use with this repository. */
const OTHER_STORAGE_KINDS = UNSUPPORTED_STORAGE_KINDS.filter((k) => k !== "s3");

function present(artifact: Artifact, kind: string): boolean {
  return artifact[kind] !== undefined && artifact[kind] !== null;
}

export class S3ArtifactRepository implements ArtifactRepository {
  readonly endpoint: string;
  readonly bucket: string;

  private readonly config: ArtifactRepositoryConfig;
  private readonly keyFormat: string;
  private readonly workflowVars: Vars;
  private readonly podName: (nodeId: string) => string;
  private readonly cloneGit?: GitCloner;
  private readonly client: S3Client;
  private readonly transfer: S3Transfer;

  constructor(opts: S3ArtifactRepositoryOptions) {
    checkRepositoryConfig(opts.config);
    this.config = opts.config;
    this.endpoint = endpointUrl(opts.config);
    this.bucket = opts.config.bucket.trim();
    this.keyFormat = effectiveKeyFormat(opts.config);
    this.workflowVars = opts.workflowVars;
    this.podName = opts.podName ?? ((nodeId) => nodeId);
    this.cloneGit = opts.cloneGit;
    this.client = createS3Client(opts.config);
    this.transfer = new S3Transfer(this.client);
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.client.destroy();
  }

  async save(input: SaveArtifactInput): Promise<Artifact | undefined> {
    const { nodeId, artifact, hostPath } = input;
    const name = artifact.name;
    if (!isSafeSegment(name)) throw new ConfigError(`invalid artifact name ${JSON.stringify(name)}`);
    for (const kind of ["local", "raw", "http", "git", ...OTHER_STORAGE_KINDS]) {
      if (present(artifact, kind)) {
        throw new ConfigError(`output artifact "${name}": ${kind} output artifacts are not supported with the S3 artifact repository`);
      }
    }
    if (artifact.archive?.zip) {
      throw new ConfigError(`output artifact "${name}": archive.zip is not supported by the S3 artifact repository; use tar (the default) or none`);
    }
    const level = artifact.archive?.tar?.compressionLevel;
    try {
      gzipOptions(level);
    } catch (err) {
      throw new ConfigError(`output artifact "${name}": ${(err as Error).message}`);
    }
    const archived = artifact.archive?.none === undefined;
    const shownPath = artifact.path ?? hostPath;
    const vars = keyVariables(this.workflowVars, this.podName(nodeId));
    const own = this.ownLocation(artifact, "output");
    const bucket = own.bucket ?? this.bucket;
    const key = own.key !== undefined
      ? renderArtifactKey(own.key, vars)
      : defaultOutputKey({ keyFormat: this.keyFormat, vars, artifactName: name, archived, artifactPath: shownPath });

    let isDir: boolean;
    try {
      // stat, not lstat: a symlink to a folder is saved as the folder, as Argo's executor does.
      isDir = (await stat(hostPath)).isDirectory();
    } catch (err) {
      if (!isNotFound(err)) throw new ArtifactError(`failed to save outputs: ${shownPath}: ${(err as Error).message}`, name);
      if (artifact.optional) return undefined;
      throw new ArtifactNotFoundError(`failed to save outputs: ${shownPath} no such file or directory`, name);
    }

    const where = this.where(bucket, key);
    let work: string | undefined;
    try {
      if (!archived && isDir) await this.transfer.putDirectory(bucket, key, hostPath);
      else if (!archived) await this.transfer.putFile(bucket, key, hostPath);
      else {
        work = await mkdtemp(path.join(tmpdir(), "tiphys-s3-"));
        const tarball = path.join(work, `${name}.tgz`);
        await createTarGz(hostPath, tarball, level);
        await this.transfer.putFile(bucket, key, tarball);
      }
    } catch (err) {
      throw new ArtifactError(`failed to save outputs: ${shownPath}: ${this.explain(err, where)}`, name);
    } finally {
      if (work) await rm(work, { recursive: true, force: true });
    }
    const s3: S3ArtifactLocation = { ...((artifact.s3 as S3ArtifactLocation | undefined) ?? {}), key };
    return { ...artifact, s3 };
  }

  async load(input: LoadArtifactInput): Promise<void> {
    const { artifact } = input;
    const name = artifact.name;
    if (!present(artifact, "s3")) {
      if (present(artifact, "local")) {
        throw new ConfigError(
          `input artifact "${name}" names a key of the local artifact repository, but this run keeps its artifacts in S3 bucket ${this.bucket} at ${this.endpoint}`,
        );
      }
      const other = OTHER_STORAGE_KINDS.find((k) => present(artifact, k));
      if (other) throw new ConfigError(`input artifact "${name}" uses ${other} storage, but only the S3 artifact repository is configured`);
      // raw, http, git, or nothing supplied: the local repository's code handles those.
      return this.placer(tmpdir()).load(input);
    }
    if (artifact.archive?.zip) throw new ConfigError(`input artifact "${name}": archive.zip is not supported by the S3 artifact repository`);
    const own = this.ownLocation(artifact, "input");
    if (own.key === undefined) throw new ConfigError(`input artifact "${name}": s3.key is required`);
    const bucket = own.bucket ?? this.bucket;
    const key = own.key;
    const where = this.where(bucket, key);

    const dest = path.resolve(input.hostPath);
    await mkdir(path.dirname(dest), { recursive: true });
    const work = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}.s3-`));
    try {
      let found: "file" | "directory" | "missing";
      try {
        found = await this.transfer.download(bucket, key, path.join(work, "download"), input.signal);
      } catch (err) {
        const failure = describeS3Failure(err, { ...where, secrets: this.secrets() });
        if (failure.notFound && artifact.optional) return;
        const Err = failure.notFound ? ArtifactNotFoundError : ArtifactError;
        throw new Err(`artifact ${name} failed to load: ${failure.message}`, name);
      }
      if (found === "missing") {
        if (artifact.optional) return;
        throw new ArtifactNotFoundError(`artifact ${name} failed to load: key ${key} does not exist in bucket ${JSON.stringify(bucket)} at S3 endpoint ${this.endpoint}`, name);
      }
      // Placing (untar, subPath, mode, optional) is the local repository's job, from the download.
      const rest: Artifact = { ...artifact, s3: undefined, local: { key: "download" } };
      await this.placer(work).load({ artifact: rest, hostPath: dest });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private placer(rootDir: string): LocalArtifactRepository {
    return new LocalArtifactRepository(rootDir, this.cloneGit ? { cloneGit: this.cloneGit } : {});
  }

  /** The artifact's own `s3` fields; an endpoint other than the repository's is refused. */
  private ownLocation(artifact: Artifact, direction: "input" | "output"): { key?: string; bucket?: string } {
    const s3 = artifact.s3 as S3ArtifactLocation | undefined | null;
    if (s3 === undefined || s3 === null) return {};
    if (typeof s3 !== "object") throw new ConfigError(`${direction} artifact "${artifact.name}": s3 must be an object`);
    if (s3.endpoint !== undefined && s3.endpoint !== "" && endpointUrl({ endpoint: String(s3.endpoint), insecure: this.config.insecure }) !== this.endpoint) {
      throw new ConfigError(
        `${direction} artifact "${artifact.name}": s3.endpoint ${s3.endpoint} differs from the artifact repository's (${this.endpoint}); ` +
          `only the repository's endpoint and credentials are available, so give the artifact just a key (a key-only artifact)`,
      );
    }
    if (s3.key !== undefined && (typeof s3.key !== "string" || s3.key === "")) {
      throw new ConfigError(`${direction} artifact "${artifact.name}": s3.key must be a non-empty string`);
    }
    if (s3.bucket !== undefined && (typeof s3.bucket !== "string" || s3.bucket === "")) {
      throw new ConfigError(`${direction} artifact "${artifact.name}": s3.bucket must be a non-empty string`);
    }
    return { key: s3.key, bucket: s3.bucket };
  }

  private where(bucket: string, key: string): Omit<S3Where, "secrets"> {
    return { endpoint: this.endpoint, bucket, key };
  }

  private secrets(): Array<string | undefined> {
    return [this.config.secretKey, this.config.secretKey?.trim(), this.config.sessionToken];
  }

  private explain(err: unknown, where: Omit<S3Where, "secrets">): string {
    if (err instanceof ArtifactError || err instanceof ConfigError) return err.message;
    // An upload fails on the bucket (missing, refused), not on the key: name the bucket.
    return describeS3Failure(err, { ...where, key: undefined, secrets: this.secrets() }).message;
  }
}
