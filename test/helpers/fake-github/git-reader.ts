/**
 * Reads a real repository with the git CLI for the fake's content routes. Lookups keyed by a full
 * object id never change, so they are cached; refs are resolved afresh on every call.
 */
import { GitError, runGit } from "../git-fixture.js";

export type GitObjectType = "blob" | "tree" | "commit" | "tag";

export interface TreeEntry {
  path: string;
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  /** Blobs only. */
  size?: number;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

export type FileStatus = "added" | "removed" | "modified" | "renamed" | "copied" | "changed";

export interface FileChange {
  filename: string;
  status: FileStatus;
  previous_filename?: string;
  /** Blob id after the change (before it, for a removal). */
  sha: string;
  additions: number;
  deletions: number;
  changes: number;
}

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const FULL_SHA = /^[0-9a-f]{40}$/;
const STATUS: Record<string, FileStatus> = { A: "added", D: "removed", M: "modified", R: "renamed", C: "copied", T: "changed" };

/** Refuses what git would read as an option or a range rather than one revision. */
function safeRev(rev: string): boolean {
  return rev.length > 0 && !rev.startsWith("-") && !/[\s\0]|\.\./.test(rev);
}

export class GitReader {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  git(args: string[]): Promise<string> {
    return runGit(this.dir, args);
  }

  /** Memoises immutable lookups (keys built from full object ids); failures are not kept. */
  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!key.split(":").slice(1).every((part) => FULL_SHA.test(part))) return load();
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = load();
      this.cache.set(key, hit);
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  /** `rev^{kind}` to a full id, or null when it does not name one. */
  async resolve(rev: string, kind: "commit" | "tree" | "object" = "commit"): Promise<string | null> {
    if (!safeRev(rev)) return null;
    return this.cached(`resolve-${kind}:${rev}`, async () => {
      try {
        return (await this.git(["rev-parse", "--verify", "--quiet", `${rev}^{${kind}}`])).trim() || null;
      } catch (err) {
        if (err instanceof GitError) return null;
        throw err;
      }
    });
  }

  async objectType(sha: string): Promise<GitObjectType | null> {
    if (!safeRev(sha)) return null;
    return this.git(["cat-file", "-t", sha]).then(
      (t) => t.trim() as GitObjectType,
      () => null,
    );
  }

  /** The entries of a tree (recursively: blobs and the trees on the way, like GitHub's ?recursive=1). */
  lsTree(tree: string, recursive: boolean): Promise<TreeEntry[]> {
    return this.cached(`ls-tree-${recursive}:${tree}`, async () => {
      const out = await this.git(["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), tree]);
      return out.split("\0").filter(Boolean).map(parseTreeLine);
    });
  }

  /** The entry at `path` in `commit`'s tree (null when absent); "" is the root tree. */
  async entryAt(commit: string, path: string): Promise<TreeEntry | null> {
    if (path === "") return { path: "", mode: "040000", type: "tree", sha: (await this.resolve(commit, "tree"))! };
    const out = await this.git(["--literal-pathspecs", "ls-tree", "-l", "-z", commit, "--", path]);
    const line = out.split("\0").find(Boolean);
    if (!line) return null;
    const entry = parseTreeLine(line);
    return entry.path === path ? entry : null;
  }

  readBlob(sha: string): Promise<Buffer> {
    return this.cached(`blob:${sha}`, () => runGit(this.dir, ["cat-file", "blob", sha], "buffer"));
  }

  commit(sha: string): Promise<CommitInfo> {
    return this.cached(`commit:${sha}`, async () => {
      const format = ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00");
      const out = await this.git(["show", "-s", `--format=${format}`, sha]);
      const [full, tree, parents, an, ae, ad, cn, ce, cd, ...message] = out.split("\0");
      return {
        sha: full,
        tree,
        parents: parents.split(" ").filter(Boolean),
        author: { name: an, email: ae, date: ad },
        committer: { name: cn, email: ce, date: cd },
        message: message.join("\0").replace(/\n+$/, ""),
      };
    });
  }

  /** Files changed from `base` to `head`, with rename detection; base null means the empty tree. */
  diff(base: string | null, head: string): Promise<FileChange[]> {
    const from = base ?? EMPTY_TREE;
    return this.cached(`diff:${head}:${from}`, async () => {
      const args = ["diff-tree", "-r", "-M", "-z", "--no-commit-id", from, head];
      const [raw, numstat] = await Promise.all([this.git([...args, "--raw"]), this.git([...args, "--numstat"])]);
      const counts = parseNumstat(numstat);
      return parseRaw(raw).map((change, i) => {
        const additions = counts[i]?.additions ?? 0;
        const deletions = counts[i]?.deletions ?? 0;
        return { ...change, additions, deletions, changes: additions + deletions };
      });
    });
  }

  /** Files a commit changed against its first parent (all of them for a root commit). */
  async commitFiles(sha: string): Promise<FileChange[]> {
    const info = await this.commit(sha);
    return this.diff(info.parents[0] ?? null, info.sha);
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    return this.git(["merge-base", a, b]).then(
      (s) => s.trim() || null,
      () => null,
    );
  }

  /** Commits reachable from `head` and not from `base`, oldest first. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.git(["rev-list", "--reverse", head, `^${base}`]);
    return out.split("\n").filter(Boolean);
  }

  /** The branch HEAD points at (a bare repo's HEAD is its default branch). */
  async headBranch(): Promise<string> {
    return (await this.git(["symbolic-ref", "--short", "HEAD"])).trim();
  }
}

function parseTreeLine(line: string): TreeEntry {
  const tab = line.indexOf("\t");
  const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
  const entry: TreeEntry = { path: line.slice(tab + 1), mode, type: type as TreeEntry["type"], sha };
  if (type === "blob") entry.size = Number(size);
  return entry;
}

/** `--raw -z`: `:old new oldsha newsha S\0path\0` (two paths for renames and copies). */
function parseRaw(out: string): Array<Pick<FileChange, "filename" | "status" | "previous_filename" | "sha">> {
  const tokens = out.split("\0");
  const changes: Array<Pick<FileChange, "filename" | "status" | "previous_filename" | "sha">> = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!tokens[i].startsWith(":")) continue;
    const [, , oldSha, newSha, code] = tokens[i].slice(1).split(" ");
    const status = STATUS[code[0]] ?? "modified";
    const sha = status === "removed" ? oldSha : newSha;
    if (status === "renamed" || status === "copied") {
      changes.push({ filename: tokens[i + 2], status, previous_filename: tokens[i + 1], sha });
      i += 2;
    } else {
      changes.push({ filename: tokens[i + 1], status, sha });
      i += 1;
    }
  }
  return changes;
}

/** `--numstat -z`: `add\tdel\tpath\0`, or `add\tdel\t\0old\0new\0` for renames; `-` for binary. */
function parseNumstat(out: string): Array<{ additions: number; deletions: number }> {
  const tokens = out.split("\0");
  const counts: Array<{ additions: number; deletions: number }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const parts = tokens[i].split("\t");
    if (parts.length < 3) continue;
    counts.push({ additions: Number(parts[0]) || 0, deletions: Number(parts[1]) || 0 });
    if (parts[2] === "") i += 2;
  }
  return counts;
}
