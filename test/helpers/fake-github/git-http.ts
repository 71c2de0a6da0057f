/**
 * Git smart HTTP for the fake's repositories (clone and fetch), served by the real `git http-backend`
 * CGI, with GitHub's rules for who may read: HTTP Basic with the username `x-access-token` and an
 * unexpired installation token of the repository's installation; a public repository may also be
 * read anonymously. Anyone else gets GitHub's 401 challenge, which is what makes git ask its
 * credential helper or GIT_ASKPASS. Pushing is refused: installation tokens here only read contents.
 */
import { spawn } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { basename, dirname } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Reply } from "./http.js";
import type { FakeState, RepoState } from "./state.js";

export type GitEndpoint = "info/refs" | "git-upload-pack" | "git-receive-pack";

export interface GitPath {
  owner: string;
  name: string;
  endpoint: GitEndpoint;
}

/** One smart-HTTP request, as recorded in `fake.gitRequests` (the credential itself is never kept). */
export interface GitRequest {
  method: string;
  owner: string;
  name: string;
  endpoint: GitEndpoint;
  /** `?service=` of an info/refs request. */
  service?: string;
  /** What the Authorization header held: nothing, a token this fake accepts for the repo, or something else. */
  credentials: "none" | "valid" | "invalid";
  /** The Basic username, when there was one. */
  username?: string;
  /** The request body came gzip-compressed (git does this for larger negotiation requests). */
  gzip: boolean;
  status: number;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface GitHttpRequest {
  method: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** GitHub serves `/<owner>/<name>.git/...` and, for the same repository, `/<owner>/<name>/...`. */
const GIT_PATH = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const TOKEN_USERNAME = "x-access-token";
const CHALLENGE = { "www-authenticate": 'Basic realm="GitHub"' };

/** The repository and endpoint of a smart-HTTP path (outside /api/v3), or undefined. */
export function matchGitPath(pathname: string): GitPath | undefined {
  const m = GIT_PATH.exec(pathname);
  if (!m) return undefined;
  try {
    return { owner: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]), endpoint: m[3] as GitEndpoint };
  } catch {
    return undefined;
  }
}

function basicCredentials(headers: IncomingHttpHeaders): { username: string; password: string } | undefined {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(String(headers.authorization ?? "").trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function tokenFits(state: FakeState, repo: RepoState | undefined, password: string): boolean {
  const issued = state.tokens.get(password);
  return !!repo && !!issued && issued.expiresAt > Date.now() && issued.installationId === repo.installationId;
}

const text = (status: number, message: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  raw: Buffer.from(`${message}\n`),
});

/** Answers one smart-HTTP request and records it in `log`. */
export async function serveGit(state: FakeState, path: GitPath, req: GitHttpRequest, log: GitRequest[]): Promise<Reply> {
  const repo = state.repo(path.owner, path.name);
  const cred = basicCredentials(req.headers);
  const credentials = !cred ? "none" : cred.username === TOKEN_USERNAME && tokenFits(state, repo, cred.password) ? "valid" : "invalid";
  const gzip = /\bgzip\b/i.test(String(req.headers["content-encoding"] ?? ""));
  const entry: GitRequest = {
    method: req.method,
    owner: path.owner,
    name: path.name,
    endpoint: path.endpoint,
    ...(req.query.service !== undefined ? { service: req.query.service } : {}),
    credentials,
    ...(cred ? { username: cred.username } : {}),
    gzip,
    status: 0,
    at: req.at,
  };
  log.push(entry);
  const reply = await answer(repo, path, req, credentials, cred?.username, gzip);
  entry.status = reply.status;
  return reply;
}

async function answer(
  repo: RepoState | undefined,
  path: GitPath,
  req: GitHttpRequest,
  credentials: GitRequest["credentials"],
  username: string | undefined,
  gzip: boolean,
): Promise<Reply> {
  // Unknown and private repositories look alike to a caller without a fitting token, as on GitHub.
  if (credentials === "invalid") return text(401, "Invalid username or token. Password authentication is not supported for Git operations.", CHALLENGE);
  if (!repo || (repo.private && credentials === "none")) return text(401, "Authentication required", CHALLENGE);
  const service = path.endpoint === "info/refs" ? req.query.service : path.endpoint;
  if (service === "git-receive-pack") return text(403, `Permission to ${repo.fullName}.git denied.`);
  if (service !== "git-upload-pack") return text(403, "Please upgrade your git client. This server does not support git over dumb HTTP.");
  if (req.method !== (path.endpoint === "info/refs" ? "GET" : "POST")) return text(405, "Method Not Allowed");
  let body = req.body;
  if (gzip) {
    try {
      body = gunzipSync(body);
    } catch {
      return text(400, "Bad gzip request body");
    }
  }
  return runHttpBackend(repo.reader.dir, path.endpoint, req, body, credentials === "valid" ? username : undefined);
}

/**
 * Runs the CGI with an environment of its own (no inherited GIT_* variable, no user or system
 * config). A non-bare work tree is served through its `.git`, which http-backend finds itself.
 */
async function runHttpBackend(gitDir: string, endpoint: GitEndpoint, req: GitHttpRequest, body: Buffer, user: string | undefined): Promise<Reply> {
  const protocol = req.headers["git-protocol"];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_PROJECT_ROOT: dirname(gitDir),
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${basename(gitDir)}/${endpoint}`,
    REQUEST_METHOD: req.method,
    QUERY_STRING: new URLSearchParams(req.query).toString(),
    CONTENT_TYPE: String(req.headers["content-type"] ?? ""),
    CONTENT_LENGTH: String(body.length),
    REMOTE_ADDR: "127.0.0.1",
    ...(user ? { REMOTE_USER: user } : {}),
    // Protocol v2 is asked for with a header that the CGI reads from the environment.
    ...(typeof protocol === "string" ? { GIT_PROTOCOL: protocol, HTTP_GIT_PROTOCOL: protocol } : {}),
  };
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  // The CGI may answer (an error) without reading the whole body; that is not our failure.
  child.stdin.on("error", () => {});
  child.stdin.end(body);
  const code = await new Promise<number | null>((done, fail) => {
    child.once("error", fail);
    child.once("close", (c) => done(c));
  });
  const output = Buffer.concat(out);
  if (output.length === 0) throw new Error(`git http-backend exited with ${code}: ${Buffer.concat(err).toString("utf8").trim()}`);
  return parseCgi(output);
}

/** A CGI response: header lines, a blank line, the body; `Status:` sets the HTTP status. */
export function parseCgi(output: Buffer): Reply {
  const crlf = output.indexOf("\r\n\r\n");
  const lf = output.indexOf("\n\n");
  const [end, sep] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end < 0) throw new Error("git http-backend wrote no header block");
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of output.subarray(0, end).toString("latin1").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, raw: output.subarray(end + sep) };
}
