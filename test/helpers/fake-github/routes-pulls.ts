/** Pull requests the test declares, with files and commits computed from the real repository. */
import { HttpError, notFound, ok, paginate, type Json, type Route } from "./http.js";
import { commitOf, repoOf } from "./routes-repo.js";
import { commitJson, fileJson, repoJson, userJson, WEB } from "./shapes.js";
import { repoKey, type FakeState, type PullRequestInput, type RepoState } from "./state.js";

interface ResolvedPull {
  pr: PullRequestInput;
  headSha: string;
  baseSha: string;
}

export function pullKey(owner: string, name: string, number: number): string {
  return `${repoKey(owner, name)}#${number}`;
}

async function resolvePull(repo: RepoState, pr: PullRequestInput): Promise<ResolvedPull> {
  const headSha = pr.headSha ?? (await repo.reader.resolve(`refs/heads/${pr.headRef}`));
  const baseSha = pr.baseSha ?? (await repo.reader.resolve(`refs/heads/${pr.baseRef}`));
  if (!headSha || !baseSha) throw new HttpError(500, `fake: pull request #${pr.number} has no head or base commit`);
  return { pr, headSha, baseSha };
}

function pullsOf(state: FakeState, repo: RepoState): PullRequestInput[] {
  const prefix = `${repoKey(repo.owner, repo.name)}#`;
  return [...state.pulls.entries()].filter(([k]) => k.startsWith(prefix)).map(([, pr]) => pr);
}

function pullOf(state: FakeState, repo: RepoState, number: string): PullRequestInput {
  const pr = state.pulls.get(pullKey(repo.owner, repo.name, Number(number)));
  if (!pr) throw notFound();
  return pr;
}

async function pullJson(state: FakeState, repo: RepoState, { pr, headSha, baseSha }: ResolvedPull, full: boolean): Promise<Json> {
  const defaultBranch = await state.defaultBranch(repo);
  const baseRepo = repoJson(state, repo, defaultBranch);
  const headOwner = pr.fork ? pr.author : repo.owner;
  const headRepo = pr.fork
    ? { ...baseRepo, id: repo.id + 500_000, node_id: `R_fork_${repo.id}`, full_name: `${pr.author}/${repo.name}`, owner: userJson(pr.author), fork: true }
    : baseRepo;
  const url = `${state.repoUrl(repo)}/pulls/${pr.number}`;
  const json: Json = {
    url,
    id: repo.id * 10_000 + pr.number,
    node_id: `PR_${repo.id}_${pr.number}`,
    html_url: `${WEB}/${repo.fullName}/pull/${pr.number}`,
    number: pr.number,
    state: pr.state ?? "open",
    locked: false,
    title: pr.title ?? `Pull request #${pr.number}`,
    user: userJson(pr.author),
    body: pr.body ?? null,
    labels: [],
    draft: pr.draft ?? false,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    head: { label: `${headOwner}:${pr.headRef}`, ref: pr.headRef, sha: headSha, user: userJson(headOwner), repo: headRepo },
    base: { label: `${repo.owner}:${pr.baseRef}`, ref: pr.baseRef, sha: baseSha, user: userJson(repo.owner), repo: baseRepo },
    author_association: pr.fork ? "CONTRIBUTOR" : "MEMBER",
    commits_url: `${url}/commits`,
    statuses_url: `${state.repoUrl(repo)}/statuses/${headSha}`,
  };
  if (!full) return json;
  const mergeBase = (await repo.reader.mergeBase(baseSha, headSha)) ?? baseSha;
  const [commits, files] = await Promise.all([repo.reader.commitsBetween(baseSha, headSha), repo.reader.diff(mergeBase, headSha)]);
  return {
    ...json,
    merged: false,
    mergeable: true,
    mergeable_state: "clean",
    comments: 0,
    commits: commits.length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length,
  };
}

export function pullRoutes(state: FakeState): Route[] {
  const get = (pattern: string, handle: Route["handle"]): Route => ({ method: "GET", pattern: `/repos/:owner/:repo${pattern}`, auth: "installation", handle });
  return [
    get("/pulls", async (req) => {
      const repo = repoOf(req);
      const wanted = req.query.state ?? "open";
      const matches = pullsOf(state, repo)
        .filter((pr) => wanted === "all" || (pr.state ?? "open") === wanted)
        .filter((pr) => !req.query.base || pr.baseRef === req.query.base)
        .filter((pr) => !req.query.head || req.query.head.toLowerCase() === `${pr.fork ? pr.author : repo.owner}:${pr.headRef}`.toLowerCase())
        .sort((a, b) => b.number - a.number);
      const { page, headers } = paginate(matches, req, state.apiUrl);
      const body = await Promise.all(page.map(async (pr) => pullJson(state, repo, await resolvePull(repo, pr), false)));
      return ok(body, 200, headers);
    }),
    get("/pulls/:number", async (req) => {
      const repo = repoOf(req);
      return ok(await pullJson(state, repo, await resolvePull(repo, pullOf(state, repo, req.params.number)), true));
    }),
    get("/pulls/:number/files", async (req) => {
      const repo = repoOf(req);
      const { headSha, baseSha } = await resolvePull(repo, pullOf(state, repo, req.params.number));
      const mergeBase = (await repo.reader.mergeBase(baseSha, headSha)) ?? baseSha;
      const files = (await repo.reader.diff(mergeBase, headSha)).slice(0, 3000); // GitHub's cap
      const { page, headers } = paginate(files, req, state.apiUrl);
      return ok(page.map((f) => fileJson(state, repo, f, headSha)), 200, headers);
    }),
    get("/pulls/:number/commits", async (req) => {
      const repo = repoOf(req);
      const { headSha, baseSha } = await resolvePull(repo, pullOf(state, repo, req.params.number));
      const shas = await repo.reader.commitsBetween(baseSha, headSha);
      const { page, headers } = paginate(shas, req, state.apiUrl);
      return ok(await Promise.all(page.map(async (sha) => commitJson(state, repo, await repo.reader.commit(sha)))), 200, headers);
    }),
    get("/commits/:sha/pulls", async (req) => {
      const repo = repoOf(req);
      const sha = await commitOf(repo, req.params.sha);
      const associated: Json[] = [];
      for (const pr of pullsOf(state, repo).sort((a, b) => b.number - a.number)) {
        const resolved = await resolvePull(repo, pr);
        const inPull = resolved.headSha === sha || (await repo.reader.commitsBetween(resolved.baseSha, resolved.headSha)).includes(sha);
        if (inPull) associated.push(await pullJson(state, repo, resolved, false));
      }
      const { page, headers } = paginate(associated, req, state.apiUrl);
      return ok(page, 200, headers);
    }),
  ];
}
