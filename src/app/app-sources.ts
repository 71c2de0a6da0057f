/**
 * What the App needs to reconcile a repo's Applications: the Application and AppProject documents of
 * `.tiphys/**` at a commit, the files of the repo at a revision (through the GitHub API: one tree call,
 * blobs cached by SHA, written once per tree into the data folder), and the cluster a destination names.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Cluster } from "../core/ports/cluster.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import { ConfigError } from "../core/errors.js";
import { loadApplications, type LoadedApplication } from "../reconcilers/application/model.js";
import { RenderCache, type SourceCheckout } from "../reconcilers/application/render.js";
import type { AppProject, ApplicationDestination } from "../reconcilers/application/types.js";
import type { AppContext } from "./context.js";
import { loadRepoConfig } from "./start-runs.js";

/** The cluster an Application's destination names (`server` or `name`). */
export interface ClusterResolver {
  forDestination(dest: ApplicationDestination): Promise<Cluster>;
  /** A name for messages and metrics. */
  describe(dest: ApplicationDestination): string;
}

/** Limits of a checkout through the API; past them the render says so instead of fetching a huge repo. */
export const CHECKOUT_LIMITS = { files: 5000, bytes: 64 * 1024 * 1024 };

export interface RepoApps {
  apps: LoadedApplication[];
  projects: AppProject[];
  /** Problems in the Application documents (the whole set is refused when any is an error). */
  error?: ConfigError;
}

/** The Applications and AppProjects of `.tiphys/**` at a commit. */
export async function loadRepoApps(ctx: AppContext, repo: RepoRef, sha: string): Promise<RepoApps> {
  const { loaded } = await loadRepoConfig(ctx, repo, sha);
  try {
    const { apps, projects } = loadApplications(loaded.documents);
    return { apps, projects };
  } catch (err) {
    if (err instanceof ConfigError) return { apps: [], projects: [], error: err };
    throw err;
  }
}

/** Whether a repoURL names this repository (https, ssh or scp-like, with or without `.git`). */
export function isThisRepo(repoURL: string, repo: RepoRef): boolean {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/(?:[^@/]+@)?[^/]+\/|[^@/]+@[^:]+:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(repoURL.trim());
  return m !== null && m[1]!.toLowerCase() === repo.owner.toLowerCase() && m[2]!.toLowerCase() === repo.name.toLowerCase();
}

/** A full commit SHA. */
const SHA = /^[0-9a-f]{40}$/i;

/**
 * The repo's files at a revision, through the GitHub API, for helm and kustomize to read. Only this
 * repository can be read (the installation's token covers it); `HEAD` is the default branch.
 */
export class GitHubCheckouts {
  private readonly pending = new Map<string, Promise<SourceCheckout>>();
  readonly cache: RenderCache;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: RepoRef,
    cache?: RenderCache,
  ) {
    this.cache = cache ?? new RenderCache();
  }

  /** A branch, tag-less revision or SHA as a commit SHA. */
  async resolve(revision: string | undefined): Promise<string> {
    if (revision && SHA.test(revision)) return revision.toLowerCase();
    let branch = revision;
    if (!branch || branch === "HEAD") branch = (await this.ctx.github.getRepo(this.repo)).defaultBranch;
    branch = branch.replace(/^refs\/heads\//, "");
    return this.ctx.github.getBranchSha(this.repo, branch);
  }

  checkout = async (repoURL: string, targetRevision: string): Promise<SourceCheckout> => {
    if (!isThisRepo(repoURL, this.repo)) {
      throw new ConfigError(`source ${repoURL} is not ${repoFullName(this.repo)}: Tiphys reads an app's sources from the repository that defines it`);
    }
    const commit = await this.resolve(targetRevision);
    const key = `${repoFullName(this.repo)}@${commit}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.materialize(commit);
      this.pending.set(key, p);
      p.catch(() => this.pending.delete(key));
      if (this.pending.size > 32) this.pending.delete(this.pending.keys().next().value!);
    }
    return p;
  };

  private async materialize(commit: string): Promise<SourceCheckout> {
    const tree = await this.ctx.github.getTree(this.repo, commit);
    if (tree.truncated) throw new ConfigError(`${repoFullName(this.repo)} is too large to read through the API at ${commit.slice(0, 7)} (GitHub truncated its tree)`);
    const dir = join(this.ctx.dataDir, "checkouts", `${this.repo.owner}-${this.repo.name}`, tree.sha);
    if (existsSync(join(dir, ".tiphys-complete"))) return { root: dir, revision: commit };
    const blobs = tree.entries.filter((e) => e.type === "blob");
    const total = blobs.reduce((n, e) => n + (e.size ?? 0), 0);
    if (blobs.length > CHECKOUT_LIMITS.files || total > CHECKOUT_LIMITS.bytes) {
      throw new ConfigError(`${repoFullName(this.repo)} at ${commit.slice(0, 7)} has ${blobs.length} files (${total} bytes); the limit for reading app sources through the API is ${CHECKOUT_LIMITS.files} files and ${CHECKOUT_LIMITS.bytes} bytes`);
    }
    // Written beside the final folder, then renamed: a reader never sees a half-written tree.
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < blobs.length) {
            const e = blobs[next++]!;
            if (e.path.split("/").some((s) => s === ".." || s === "")) continue;
            const cached = this.ctx.blobs.get(e.sha);
            const data = cached !== undefined ? Buffer.from(cached, "utf8") : await this.ctx.github.getBlob(this.repo, e.sha);
            // The blob cache holds text: only blobs that survive a round trip through UTF-8 go in.
            if (cached === undefined && data.length < 1024 * 1024 && !data.includes(0)) {
              const text = data.toString("utf8");
              if (Buffer.byteLength(text) === data.length) this.ctx.blobs.set(e.sha, text);
            }
            const file = join(tmp, e.path);
            await mkdir(dirname(file), { recursive: true });
            await writeFile(file, data);
          }
        }),
      );
      await writeFile(join(tmp, ".tiphys-complete"), commit);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dirname(dir), { recursive: true });
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return { root: dir, revision: commit };
  }
}
