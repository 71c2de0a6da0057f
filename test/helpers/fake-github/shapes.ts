/** GitHub's JSON shapes for the objects several routes return. */
import type { CommitInfo, FileChange } from "./git-reader.js";
import type { Json } from "./http.js";
import type { FakeState, RepoState } from "./state.js";

const WEB = "https://github.example";

function idOf(login: string): number {
  let h = 7;
  for (const c of login.toLowerCase()) h = (h * 31 + c.charCodeAt(0)) % 1_000_000_007;
  return h;
}

export function userJson(login: string): Json {
  const bot = login.endsWith("[bot]");
  return {
    login,
    id: idOf(login),
    node_id: `U_${idOf(login)}`,
    type: bot ? "Bot" : "User",
    site_admin: false,
    html_url: `${WEB}/${login}`,
  };
}

export function appJson(state: FakeState): Json {
  return {
    id: Number(state.appId ?? 1),
    slug: "tiphys",
    node_id: "A_tiphys",
    name: "Tiphys",
    owner: userJson("tiphys-dev"),
    description: "Argo Workflows in the pull request",
    external_url: WEB,
    html_url: `${WEB}/apps/tiphys`,
    permissions: { checks: "write", contents: "read", issues: "write", pull_requests: "write", metadata: "read" },
    events: ["push", "pull_request", "issue_comment", "check_run", "check_suite"],
  };
}

export function repoJson(state: FakeState, repo: RepoState, defaultBranch: string): Json {
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    owner: userJson(repo.owner),
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    fork: false,
    html_url: `${WEB}/${repo.fullName}`,
    url: state.repoUrl(repo),
    clone_url: `${WEB}/${repo.fullName}.git`,
    default_branch: defaultBranch,
    archived: false,
    disabled: false,
  };
}

export function commitJson(state: FakeState, repo: RepoState, info: CommitInfo): Json {
  const base = state.repoUrl(repo);
  return {
    sha: info.sha,
    node_id: `C_${info.sha}`,
    url: `${base}/commits/${info.sha}`,
    html_url: `${WEB}/${repo.fullName}/commit/${info.sha}`,
    commit: {
      url: `${base}/git/commits/${info.sha}`,
      author: info.author,
      committer: info.committer,
      message: info.message,
      tree: { sha: info.tree, url: `${base}/git/trees/${info.tree}` },
      comment_count: 0,
    },
    author: null,
    committer: null,
    parents: info.parents.map((sha) => ({ sha, url: `${base}/commits/${sha}` })),
  };
}

export function fileJson(state: FakeState, repo: RepoState, change: FileChange, ref: string): Json {
  const path = encodeURIComponent(change.filename).replace(/%2F/g, "/");
  return {
    ...change,
    blob_url: `${WEB}/${repo.fullName}/blob/${ref}/${path}`,
    raw_url: `${WEB}/${repo.fullName}/raw/${ref}/${path}`,
    contents_url: `${state.repoUrl(repo)}/contents/${path}?ref=${ref}`,
  };
}

export function checkRunUrl(state: FakeState, repo: RepoState, id: number): string {
  return `${state.repoUrl(repo)}/check-runs/${id}`;
}

export { WEB };
