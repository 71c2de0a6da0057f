import type { GitHubPort, RepoRef } from "../core/ports/github.js";

/** The folder a repo's Tiphys configuration lives in (ARCHITECTURE.md: the repo contract). */
export const CONFIG_DIR = ".tiphys/";

export interface ConfigFiles {
  /** The tree SHA the files were read from. */
  treeSha: string;
  files: Array<{ path: string; text: string }>;
  /** Blobs fetched by this read (the rest came from the cache). */
  fetched: number;
}

/**
 * Blob contents by SHA: a blob's content never changes, so an entry is valid forever; the oldest
 * are dropped past `maxBytes`.
 */
export class BlobCache {
  private map = new Map<string, string>();
  /** A commit's tree never changes either: the config's paths and blob SHAs by commit SHA. */
  readonly trees = new Map<string, { treeSha: string; entries: Array<{ path: string; sha: string }> }>();
  private bytes = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}
  get(sha: string): string | undefined {
    const v = this.map.get(sha);
    if (v !== undefined) {
      this.map.delete(sha);
      this.map.set(sha, v);
    }
    return v;
  }
  set(sha: string, text: string): void {
    if (this.map.has(sha)) return;
    this.map.set(sha, text);
    this.bytes += text.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }
}

const isConfigFile = (path: string) => path.startsWith(CONFIG_DIR) && /\.ya?ml$/i.test(path);

/**
 * Reads `.tiphys/**` at a commit with one tree call and a blob call per file not already cached:
 * never a clone.
 */
export async function readRepoConfig(github: GitHubPort, repo: RepoRef, sha: string, cache: BlobCache): Promise<ConfigFiles> {
  const key = `${repo.owner}/${repo.name}@${sha}`;
  let listed = cache.trees.get(key);
  if (!listed) {
    listed = await listConfigFiles(github, repo, sha);
    cache.trees.set(key, listed);
    if (cache.trees.size > 1000) cache.trees.delete(cache.trees.keys().next().value!);
  }
  let fetched = 0;
  const files = await Promise.all(
    listed.entries.map(async (e) => {
      let text = cache.get(e.sha);
      if (text === undefined) {
        text = (await github.getBlob(repo, e.sha)).toString("utf8");
        cache.set(e.sha, text);
        fetched++;
      }
      return { path: e.path, text };
    }),
  );
  return { treeSha: listed.treeSha, files, fetched };
}

/** One tree call: the config files of a commit, by path and blob SHA. */
async function listConfigFiles(github: GitHubPort, repo: RepoRef, sha: string): Promise<{ treeSha: string; entries: Array<{ path: string; sha: string }> }> {
  const tree = await github.getTree(repo, sha);
  let entries = tree.entries;
  if (tree.truncated) {
    // A huge repo: GitHub cut the recursive listing short, so list the config folder's own tree.
    const dir = entries.find((e) => e.type === "tree" && e.path === CONFIG_DIR.slice(0, -1));
    entries = dir ? (await github.getTree(repo, dir.sha)).entries.map((e) => ({ ...e, path: CONFIG_DIR + e.path })) : [];
  }
  const wanted = entries.filter((e) => e.type === "blob" && isConfigFile(e.path)).sort((a, b) => a.path.localeCompare(b.path));
  return { treeSha: tree.sha, entries: wanted.map((e) => ({ path: e.path, sha: e.sha })) };
}
