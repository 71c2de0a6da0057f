/** Repository metadata and content, read from the real git repository behind each fake repo. */
import type { TreeEntry } from "./git-reader.js";
import { HttpError, notFound, ok, wantsRaw, type Json, type Reply, type Route, type RouteRequest } from "./http.js";
import { commitJson, fileJson, repoJson, userJson, WEB } from "./shapes.js";
import type { FakeState, RepoState } from "./state.js";

/** GitHub wraps base64 content at 60 characters. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString("base64");
  return b64 === "" ? "" : b64.replace(/.{1,60}/g, "$&\n");
}

export function repoOf(req: RouteRequest): RepoState {
  if (!req.repo) throw notFound();
  return req.repo;
}

/** A commit id for a sha, branch, tag or other ref; GitHub's 422 when there is none. */
export async function commitOf(repo: RepoState, ref: string): Promise<string> {
  const sha = await repo.reader.resolve(ref, "commit");
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

export function repoRoutes(state: FakeState): Route[] {
  const get = (pattern: string, handle: Route["handle"], auth: Route["auth"] = "installation"): Route => ({
    method: "GET",
    pattern: `/repos/:owner/:repo${pattern}`,
    auth,
    handle,
  });

  return [
    get("", async (req) => {
      const repo = repoOf(req);
      return ok(repoJson(state, repo, await state.defaultBranch(repo)));
    }),
    get(
      "/installation",
      (req) => {
        const repo = repoOf(req);
        return ok({
          id: repo.installationId,
          account: userJson(repo.owner),
          app_id: Number(state.appId ?? 1),
          app_slug: "tiphys",
          target_type: "Organization",
          repository_selection: "all",
          permissions: { checks: "write", contents: "read", issues: "write", pull_requests: "write", metadata: "read" },
        });
      },
      "app",
    ),
    get("/git/trees/:sha", async (req) => {
      const repo = repoOf(req);
      const tree = await repo.reader.resolve(req.params.sha, "tree");
      if (!tree) throw notFound();
      const recursive = req.query.recursive !== undefined && !["", "0", "false"].includes(req.query.recursive);
      const entries = await repo.reader.lsTree(tree, recursive);
      const base = state.repoUrl(repo);
      return ok({
        sha: tree,
        url: `${base}/git/trees/${tree}`,
        tree: entries.map((e) => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.size !== undefined ? { size: e.size } : {}),
          ...(e.type === "commit" ? {} : { url: `${base}/git/${e.type}s/${e.sha}` }),
        })),
        truncated: false,
      });
    }),
    get("/git/blobs/:sha", async (req) => {
      const repo = repoOf(req);
      const sha = await repo.reader.resolve(req.params.sha, "object");
      if (!sha || (await repo.reader.objectType(sha)) !== "blob") throw notFound();
      const data = await repo.reader.readBlob(sha);
      if (wantsRaw(req)) return { status: 200, raw: data };
      return ok({ sha, node_id: `B_${sha}`, size: data.length, url: `${state.repoUrl(repo)}/git/blobs/${sha}`, content: base64Lines(data), encoding: "base64" });
    }),
    get("/git/commits/:sha", async (req) => {
      const repo = repoOf(req);
      const sha = await repo.reader.resolve(req.params.sha, "commit");
      if (!sha) throw notFound();
      const json = commitJson(state, repo, await repo.reader.commit(sha));
      return ok({ sha, ...(json.commit as Json), parents: json.parents });
    }),
    get("/commits/:ref", async (req) => {
      const repo = repoOf(req);
      const sha = await commitOf(repo, req.params.ref);
      const [info, files] = await Promise.all([repo.reader.commit(sha), repo.reader.commitFiles(sha)]);
      const additions = files.reduce((n, f) => n + f.additions, 0);
      const deletions = files.reduce((n, f) => n + f.deletions, 0);
      return ok({
        ...commitJson(state, repo, info),
        stats: { total: additions + deletions, additions, deletions },
        files: files.map((f) => fileJson(state, repo, f, sha)),
      });
    }),
    get("/compare/*basehead", async (req) => {
      const repo = repoOf(req);
      const [baseRef, headRef] = req.params.basehead.split("...");
      if (!baseRef || !headRef) throw notFound();
      const [base, head] = await Promise.all([repo.reader.resolve(baseRef), repo.reader.resolve(headRef)]);
      if (!base || !head) throw notFound();
      const mergeBase = await repo.reader.mergeBase(base, head);
      if (!mergeBase) throw notFound(); // unrelated histories: GitHub answers 404 too
      const [ahead, behind, files] = await Promise.all([
        repo.reader.commitsBetween(base, head),
        repo.reader.commitsBetween(head, base),
        repo.reader.diff(mergeBase, head),
      ]);
      const commits = await Promise.all(ahead.map(async (sha) => commitJson(state, repo, await repo.reader.commit(sha))));
      const status = ahead.length && behind.length ? "diverged" : ahead.length ? "ahead" : behind.length ? "behind" : "identical";
      return ok({
        url: `${state.repoUrl(repo)}/compare/${baseRef}...${headRef}`,
        html_url: `${WEB}/${repo.fullName}/compare/${baseRef}...${headRef}`,
        base_commit: commitJson(state, repo, await repo.reader.commit(base)),
        merge_base_commit: commitJson(state, repo, await repo.reader.commit(mergeBase)),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits,
        files: files.map((f) => fileJson(state, repo, f, head)),
      });
    }),
    get("/git/ref/*ref", async (req) => {
      const repo = repoOf(req);
      const full = `refs/${req.params.ref}`;
      const sha = req.params.ref ? await repo.reader.resolve(full, "object") : null;
      if (!sha) throw notFound();
      return ok({
        ref: full,
        node_id: `REF_${sha}`,
        url: `${state.repoUrl(repo)}/git/${full}`,
        object: { sha, type: await repo.reader.objectType(sha), url: `${state.repoUrl(repo)}/git/commits/${sha}` },
      });
    }),
    get("/branches/*branch", async (req) => {
      const repo = repoOf(req);
      const sha = req.params.branch ? await repo.reader.resolve(`refs/heads/${req.params.branch}`) : null;
      if (!sha) throw new HttpError(404, "Branch not found");
      return ok({
        name: req.params.branch,
        commit: commitJson(state, repo, await repo.reader.commit(sha)),
        protected: false,
        _links: { self: `${state.repoUrl(repo)}/branches/${req.params.branch}`, html: `${WEB}/${repo.fullName}/tree/${req.params.branch}` },
      });
    }),
    get("/contents/*path", async (req) => contents(state, req)),
  ];
}

async function contents(state: FakeState, req: RouteRequest): Promise<Reply> {
  const repo = repoOf(req);
  const ref = req.query.ref || (await state.defaultBranch(repo));
  const commit = await repo.reader.resolve(ref);
  if (!commit) throw new HttpError(404, `No commit found for the ref ${ref}`);
  const path = req.params.path.replace(/^\/+|\/+$/g, "");
  const entry = await repo.reader.entryAt(commit, path);
  if (!entry) throw notFound();
  if (entry.type === "tree") {
    const children = await repo.reader.lsTree(entry.sha, false);
    return ok(children.map((c) => contentEntry(state, repo, { ...c, path: path ? `${path}/${c.path}` : c.path }, ref)));
  }
  if (entry.type === "commit") return ok({ ...contentEntry(state, repo, entry, ref), submodule_git_url: null });
  const data = await repo.reader.readBlob(entry.sha);
  if (wantsRaw(req)) return { status: 200, raw: data };
  if (entry.mode === "120000") return ok({ ...contentEntry(state, repo, entry, ref), target: data.toString("utf8") });
  // Over 1 MB GitHub sends no content unless the raw media type is asked for.
  if (data.length > 1024 * 1024) return ok({ ...contentEntry(state, repo, entry, ref), encoding: "none", content: "" });
  return ok({ ...contentEntry(state, repo, entry, ref), encoding: "base64", content: base64Lines(data) });
}

function contentEntry(state: FakeState, repo: RepoState, e: TreeEntry, ref: string): Json {
  const type = e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : e.mode === "120000" ? "symlink" : "file";
  const self = `${state.repoUrl(repo)}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
  const git = `${state.repoUrl(repo)}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`;
  const html = `${WEB}/${repo.fullName}/${type === "dir" ? "tree" : "blob"}/${ref}/${e.path}`;
  return {
    type,
    name: e.path.split("/").pop(),
    path: e.path,
    sha: e.sha,
    size: e.size ?? 0,
    url: self,
    git_url: git,
    html_url: html,
    download_url: type === "file" ? `${WEB}/${repo.fullName}/raw/${ref}/${e.path}` : null,
    _links: { self, git, html },
  };
}
