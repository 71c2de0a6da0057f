/** Issue and commit comments, reactions, and collaborator permissions. */
import { invalid, isoNow, notFound, ok, paginate, type Json, type Route } from "./http.js";
import { commitOf, repoOf } from "./routes-repo.js";
import { appJson, userJson, WEB } from "./shapes.js";
import {
  BOT_LOGIN, REACTIONS, repoKey,
  type CommentRecord, type FakeState, type Permission, type ReactionContent, type ReactionRecord, type RepoState,
} from "./state.js";

const MAX_BODY = 65536;

function checkBody(body: Json, resource: string): string {
  const text = body.body;
  if (typeof text !== "string" || text === "") throw invalid(resource, "body", "body wasn't supplied");
  if (text.length > MAX_BODY) throw invalid(resource, "body", `Body is too long (maximum is ${MAX_BODY} characters)`);
  return text;
}

/** Adds an issue comment (from the App, or from `author` when a test seeds one). */
export function createComment(
  state: FakeState,
  repo: RepoState,
  c: { issueNumber: number; body: string; author?: string; id?: number },
): CommentRecord {
  const id = c.id ?? state.newId();
  const author = c.author ?? BOT_LOGIN;
  const now = isoNow();
  const rec: CommentRecord = {
    repoKey: repoKey(repo.owner, repo.name),
    issueNumber: c.issueNumber,
    json: {
      id,
      node_id: `IC_${id}`,
      url: `${state.repoUrl(repo)}/issues/comments/${id}`,
      html_url: `${WEB}/${repo.fullName}/issues/${c.issueNumber}#issuecomment-${id}`,
      issue_url: `${state.repoUrl(repo)}/issues/${c.issueNumber}`,
      body: c.body,
      user: userJson(author),
      created_at: now,
      updated_at: now,
      author_association: author === BOT_LOGIN ? "NONE" : "MEMBER",
      performed_via_github_app: author === BOT_LOGIN ? appJson(state) : null,
    },
  };
  state.comments.set(id, rec);
  return rec;
}

/** A comment as GitHub returns it, with its reaction counts. */
export function commentJson(state: FakeState, rec: CommentRecord): Json {
  const reactions = state.reactions.filter((r) => r.subject === "issue_comment" && r.subjectId === rec.json.id);
  const counts = Object.fromEntries(REACTIONS.map((c) => [c, reactions.filter((r) => r.content === c).length]));
  return { ...rec.json, reactions: { url: `${rec.json.url}/reactions`, total_count: reactions.length, ...counts } };
}

export function reactionJson(r: ReactionRecord): Json {
  return { id: r.id, node_id: `REA_${r.id}`, user: userJson(r.user), content: r.content, created_at: r.created_at };
}

function commentOf(state: FakeState, repo: RepoState, id: string): CommentRecord {
  const rec = state.comments.get(Number(id));
  if (!rec || rec.repoKey !== repoKey(repo.owner, repo.name)) throw notFound();
  return rec;
}

/** GitHub answers 201 for a new reaction and 200 with the existing one when the user already reacted so. */
function react(state: FakeState, repo: RepoState, subject: ReactionRecord["subject"], subjectId: number, body: Json) {
  const content = body.content;
  if (typeof content !== "string" || !REACTIONS.includes(content as ReactionContent)) {
    throw invalid("Reaction", "content", `content must be one of ${REACTIONS.join(", ")}`);
  }
  const key = repoKey(repo.owner, repo.name);
  const same = state.reactions.find((r) => r.repoKey === key && r.subject === subject && r.subjectId === subjectId && r.content === content && r.user === BOT_LOGIN);
  if (same) return ok(reactionJson(same), 200);
  const rec: ReactionRecord = { repoKey: key, subject, subjectId, id: state.newId(), content: content as ReactionContent, user: BOT_LOGIN, created_at: isoNow() };
  state.reactions.push(rec);
  return ok(reactionJson(rec), 201);
}

const LEGACY: Record<Permission, string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read", none: "none" };
const RANK: Permission[] = ["none", "read", "triage", "write", "maintain", "admin"];

export function issueRoutes(state: FakeState): Route[] {
  const route = (method: string, pattern: string, handle: Route["handle"]): Route => ({ method, pattern: `/repos/:owner/:repo${pattern}`, auth: "installation", handle });
  return [
    route("POST", "/issues/:number/comments", (req) => {
      const repo = repoOf(req);
      const rec = createComment(state, repo, { issueNumber: Number(req.params.number), body: checkBody(req.body, "IssueComment") });
      return ok(commentJson(state, rec), 201);
    }),
    route("GET", "/issues/:number/comments", (req) => {
      const repo = repoOf(req);
      const key = repoKey(repo.owner, repo.name);
      const all = [...state.comments.values()].filter((c) => c.repoKey === key && c.issueNumber === Number(req.params.number));
      const { page, headers } = paginate(all.sort((a, b) => a.json.id - b.json.id), req, state.apiUrl);
      return ok(page.map((c) => commentJson(state, c)), 200, headers);
    }),
    route("GET", "/issues/comments/:id", (req) => ok(commentJson(state, commentOf(state, repoOf(req), req.params.id)))),
    route("PATCH", "/issues/comments/:id", (req) => {
      const rec = commentOf(state, repoOf(req), req.params.id);
      rec.json.body = checkBody(req.body, "IssueComment");
      rec.json.updated_at = isoNow();
      return ok(commentJson(state, rec));
    }),
    route("DELETE", "/issues/comments/:id", (req) => {
      const rec = commentOf(state, repoOf(req), req.params.id);
      state.comments.delete(rec.json.id);
      return { status: 204 };
    }),
    route("POST", "/issues/comments/:id/reactions", (req) => {
      const repo = repoOf(req);
      return react(state, repo, "issue_comment", commentOf(state, repo, req.params.id).json.id, req.body);
    }),
    route("GET", "/issues/comments/:id/reactions", (req) => {
      const repo = repoOf(req);
      const id = commentOf(state, repo, req.params.id).json.id;
      const all = state.reactions.filter((r) => r.subject === "issue_comment" && r.subjectId === id);
      const { page, headers } = paginate(all, req, state.apiUrl);
      return ok(page.map(reactionJson), 200, headers);
    }),
    route("POST", "/issues/:number/reactions", (req) => react(state, repoOf(req), "issue", Number(req.params.number), req.body)),
    route("POST", "/commits/:sha/comments", async (req) => {
      const repo = repoOf(req);
      const sha = await commitOf(repo, req.params.sha);
      const body = checkBody(req.body, "CommitComment");
      const id = state.newId();
      const now = isoNow();
      const json = {
        id,
        node_id: `CC_${id}`,
        url: `${state.repoUrl(repo)}/comments/${id}`,
        html_url: `${WEB}/${repo.fullName}/commit/${sha}#commitcomment-${id}`,
        body,
        path: typeof req.body.path === "string" ? req.body.path : null,
        position: typeof req.body.position === "number" ? req.body.position : null,
        line: typeof req.body.line === "number" ? req.body.line : null,
        commit_id: sha,
        user: userJson(BOT_LOGIN),
        created_at: now,
        updated_at: now,
        author_association: "NONE",
      };
      state.commitComments.push({ repoKey: repoKey(repo.owner, repo.name), json });
      return ok(json, 201);
    }),
    route("GET", "/commits/:sha/comments", async (req) => {
      const repo = repoOf(req);
      const sha = await commitOf(repo, req.params.sha);
      const key = repoKey(repo.owner, repo.name);
      const all = state.commitComments.filter((c) => c.repoKey === key && c.json.commit_id === sha).map((c) => c.json);
      const { page, headers } = paginate(all, req, state.apiUrl);
      return ok(page, 200, headers);
    }),
    route("PATCH", "/comments/:id", (req) => {
      const repo = repoOf(req);
      const rec = state.commitComments.find((c) => c.repoKey === repoKey(repo.owner, repo.name) && c.json.id === Number(req.params.id));
      if (!rec) throw notFound();
      rec.json.body = checkBody(req.body, "CommitComment");
      rec.json.updated_at = isoNow();
      return ok(rec.json);
    }),
    route("GET", "/collaborators/:user/permission", (req) => {
      const repo = repoOf(req);
      const level = state.permissions.get(repoKey(repo.owner, repo.name))?.get(req.params.user.toLowerCase()) ?? "none";
      const has = (p: Permission) => RANK.indexOf(level) >= RANK.indexOf(p);
      return ok({
        permission: LEGACY[level],
        role_name: level,
        user: {
          ...userJson(req.params.user),
          permissions: { admin: has("admin"), maintain: has("maintain"), push: has("write"), triage: has("triage"), pull: has("read") },
          role_name: level,
        },
      });
    }),
  ];
}
