/**
 * A loopback fake of the GitHub REST API (GitHub Enterprise layout: everything under /api/v3) for
 * end-to-end tests and benchmarks, where the server under test is another process and nock cannot
 * reach. Content comes from real git repositories; checks, comments and the rest live in memory.
 * Every request is recorded; any request no route serves is answered 404 and kept in `unhandled`.
 * Outside /api/v3, `/<owner>/<name>.git/...` is git smart HTTP (clone and fetch; see git-http.ts).
 */
import { existsSync } from "node:fs";
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { authenticate } from "./auth.js";
import { matchGitPath, serveGit, type GitPath, type GitRequest } from "./git-http.js";
import { GitReader } from "./git-reader.js";
import { HttpError, matchRoute, type Json, type RecordedRequest, type Reply, type Route, type UnhandledRequest } from "./http.js";
import { addDelivery, appRoutes } from "./routes-app.js";
import { checkRunRoutes } from "./routes-checks.js";
import { deploymentRoutes, deploymentsOf, type DeploymentRecord } from "./routes-deployments.js";
import { commentJson, createComment, issueRoutes, reactionJson } from "./routes-issues.js";
import { pullKey, pullRoutes } from "./routes-pulls.js";
import { repoRoutes } from "./routes-repo.js";
import {
  FakeState, repoKey,
  type CheckRunJson, type CheckRunUpdate, type Delivery, type DeliveryInput, type IssuedToken, type Permission,
  type PullRequestInput, type ReactionRecord, type RepoInput,
} from "./state.js";

export interface FakeGitHubOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Delay added before every response. */
  latencyMs?: number;
  /** When set, App routes refuse a JWT whose `iss` is another id. */
  appId?: number | string;
  /** Called (after the 202) for each POST /app/hook/deliveries/:id/attempts. */
  onRedeliver?: (id: number) => void | Promise<void>;
}

export interface FailOptions {
  headers?: Record<string, string>;
  message?: string;
}

/** A check run as GitHub returns it, plus every update it received and all its annotations. */
export type FakeCheckRun = CheckRunJson & { history: CheckRunUpdate[]; annotations: Json[] };

type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
  options: FailOptions;
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const API_PREFIX = "/api/v3";
const SECONDARY_LIMIT = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly unhandled: UnhandledRequest[] = [];
  /** Git smart-HTTP requests (clone, fetch), with whether their credentials were accepted. */
  readonly gitRequests: GitRequest[] = [];
  latencyMs: number;
  private readonly routes: Route[];
  private readonly failures: Failure[] = [];

  constructor(
    private readonly server: Server,
    readonly state: FakeState,
    readonly port: number,
    opts: FakeGitHubOptions,
  ) {
    this.latencyMs = opts.latencyMs ?? 0;
    state.onRedeliver = opts.onRedeliver;
    this.routes = [...appRoutes(state), ...checkRunRoutes(state), ...deploymentRoutes(state), ...pullRoutes(state), ...issueRoutes(state), ...repoRoutes(state)];
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get apiUrl(): string {
    return `${this.url}${API_PREFIX}`;
  }
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }
  get onRedeliver(): FakeGitHubOptions["onRedeliver"] {
    return this.state.onRedeliver;
  }
  set onRedeliver(hook: FakeGitHubOptions["onRedeliver"]) {
    this.state.onRedeliver = hook;
  }
  /** Installation tokens issued so far. */
  get issuedTokens(): IssuedToken[] {
    return [...this.state.tokens.values()];
  }
  /** Redelivery requests received, oldest first. */
  get redeliveries(): ReadonlyArray<{ id: number; at: number; error?: string }> {
    return this.state.redeliveries;
  }
  get deliveries(): readonly Delivery[] {
    return this.state.deliveries;
  }

  /** Serves a repository from a local git repository; returns its numeric id. */
  addRepo(input: RepoInput): number {
    const gitDir = resolve(input.gitDir);
    if (!existsSync(gitDir)) throw new Error(`fake GitHub: ${gitDir} does not exist`);
    const id = input.id ?? this.state.newId();
    this.state.repos.set(repoKey(input.owner, input.name), {
      id,
      owner: input.owner,
      name: input.name,
      fullName: `${input.owner}/${input.name}`,
      installationId: input.installationId ?? 1,
      private: input.private ?? false,
      reader: new GitReader(gitDir),
      defaultBranch: input.defaultBranch,
    });
    return id;
  }

  addPullRequest(pr: PullRequestInput): void {
    if (!this.state.repo(pr.owner, pr.name)) throw new Error(`fake GitHub: add the repository ${pr.owner}/${pr.name} first`);
    this.state.pulls.set(pullKey(pr.owner, pr.name, pr.number), { ...pr });
  }

  setPermission(owner: string, name: string, user: string, permission: Permission): void {
    const key = repoKey(owner, name);
    if (!this.state.permissions.has(key)) this.state.permissions.set(key, new Map());
    this.state.permissions.get(key)!.set(user.toLowerCase(), permission);
  }

  /** Makes `user` an active member of the team `@org/team`. */
  addTeamMember(org: string, team: string, user: string): void {
    const key = `${org}/${team}`.toLowerCase();
    if (!this.state.teams.has(key)) this.state.teams.set(key, new Set());
    this.state.teams.get(key)!.add(user.toLowerCase());
  }

  recordDelivery(delivery: DeliveryInput): Delivery {
    return addDelivery(this.state, delivery);
  }

  /** Seeds a comment by someone else (e.g. the `/tiphys` command a webhook payload refers to). */
  addComment(c: { owner: string; name: string; number: number; body: string; author: string; id?: number }): Json {
    const repo = this.state.repo(c.owner, c.name);
    if (!repo) throw new Error(`fake GitHub: add the repository ${c.owner}/${c.name} first`);
    return commentJson(this.state, createComment(this.state, repo, { issueNumber: c.number, body: c.body, author: c.author, id: c.id }));
  }

  /** Deployments of a repository with their statuses (oldest first), oldest first. */
  deployments(owner: string, name: string): DeploymentRecord[] {
    const key = repoKey(owner, name);
    return [...deploymentsOf(this.state).values()].filter((d) => d.repoKey === key).map((d) => structuredClone(d));
  }

  checkRuns(owner: string, name: string): FakeCheckRun[] {
    const key = repoKey(owner, name);
    return [...this.state.checkRuns.values()]
      .filter((r) => r.repoKey === key)
      .map((r) => structuredClone({ ...r.json, history: r.history, annotations: r.annotations }));
  }

  /** Issue and PR comments (all of the repository's, or one issue's), oldest first. */
  comments(owner: string, name: string, issueNumber?: number): Json[] {
    const key = repoKey(owner, name);
    return [...this.state.comments.values()]
      .filter((c) => c.repoKey === key && (issueNumber === undefined || c.issueNumber === issueNumber))
      .sort((a, b) => a.json.id - b.json.id)
      .map((c) => structuredClone(commentJson(this.state, c)));
  }

  commitComments(owner: string, name: string): Json[] {
    const key = repoKey(owner, name);
    return this.state.commitComments.filter((c) => c.repoKey === key).map((c) => structuredClone(c.json));
  }

  reactions(owner: string, name: string): Array<Omit<ReactionRecord, "repoKey"> & { json: Json }> {
    const key = repoKey(owner, name);
    return this.state.reactions.filter((r) => r.repoKey === key).map(({ repoKey: _k, ...r }) => ({ ...r, json: reactionJson({ repoKey: key, ...r }) }));
  }

  /**
   * The next `times` requests matching `method` ("*" for any) and `path` (below /api/v3) get `status`
   * instead of their answer. 403 and 429 come as a secondary rate limit with `retry-after: 1`.
   */
  failNext(method: string, path: RegExp, status: number, times = 1, options: FailOptions = {}): void {
    this.failures.push({ method: method.toUpperCase(), path, status, remaining: times, options });
  }

  /** Polls `predicate` every 20 ms until it returns something truthy, which it resolves with. */
  async waitFor<T>(predicate: (fake: FakeGitHub) => T | Promise<T>, timeoutMs = 5000): Promise<Truthy<T>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = await predicate(this);
      if (value) return value as Truthy<T>;
      if (performance.now() >= deadline) {
        const last = this.requests.slice(-20).map((r) => `  ${r.method} ${r.path} -> ${r.status ?? "pending"}`);
        throw new Error(`fake GitHub: condition not met within ${timeoutMs} ms; last ${last.length} requests:\n${last.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((done) => this.server.close(() => done()));
    this.server.closeAllConnections();
    await closed;
  }

  /** The request listener. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const text = raw.toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const underApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const routePath = underApi ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
    const git = underApi ? undefined : matchGitPath(url.pathname);
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path: safeDecode(routePath),
      rawPath: url.pathname,
      query: Object.fromEntries(url.searchParams),
      // A git request body is binary pkt-lines, often gzipped: not worth keeping as text.
      body: git ? undefined : parseBody(text),
      at,
      headers: req.headers,
    };
    this.requests.push(rec);
    this.state.rate.used++;
    const reply = this.takeFailure(rec) ?? (git ? await this.serveGit(rec, git, raw) : await this.dispatch(rec, underApi ? routePath : null, text));
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    rec.status = reply.status;
    this.send(res, reply);
  }

  private takeFailure(rec: RecordedRequest): Reply | undefined {
    const f = this.failures.find((x) => x.remaining > 0 && (x.method === "*" || x.method === rec.method) && x.path.test(rec.path));
    if (!f) return undefined;
    f.remaining--;
    const limited = f.status === 403 || f.status === 429;
    const headers = { ...(limited ? { "retry-after": "1" } : {}), ...f.options.headers };
    return { status: f.status, headers, body: { message: f.options.message ?? (limited ? SECONDARY_LIMIT : STATUS_CODES[f.status]) } };
  }

  private async serveGit(rec: RecordedRequest, git: GitPath, body: Buffer): Promise<Reply> {
    try {
      return await serveGit(this.state, git, { ...rec, body }, this.gitRequests);
    } catch (err) {
      this.unhandled.push({ ...rec, reason: `error: ${err instanceof Error ? err.stack : String(err)}` });
      return { status: 500, body: { message: `fake GitHub error: ${String(err)}` } };
    }
  }

  private async dispatch(rec: RecordedRequest, routePath: string | null, text: string): Promise<Reply> {
    const match = routePath === null ? undefined : matchRoute(this.routes, rec.method, routePath);
    if (!match) {
      this.unhandled.push({ ...rec, reason: routePath === null ? `outside ${API_PREFIX}` : "no route" });
      return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
    }
    try {
      if (text.trim() !== "" && rec.body === text) throw new HttpError(400, "Problems parsing JSON");
      const caller = authenticate(this.state, match.route.auth, rec.headers);
      const { owner, repo: name } = match.params;
      const repo = owner !== undefined && name !== undefined ? this.state.repo(owner, name) : undefined;
      if (owner !== undefined && name !== undefined) {
        // An installation sees only its own repositories; GitHub hides the others behind a 404.
        if (!repo || (caller?.kind === "installation" && caller.installationId !== repo.installationId)) throw new HttpError(404, "Not Found");
      }
      const body = isObject(rec.body) ? rec.body : {};
      return await match.route.handle({ ...rec, params: match.params, body, caller, repo });
    } catch (err) {
      if (err instanceof HttpError) {
        return { status: err.status, headers: err.headers, body: { message: err.message, documentation_url: "https://docs.github.com/rest", ...err.extra } };
      }
      this.unhandled.push({ ...rec, reason: `error: ${err instanceof Error ? err.stack : String(err)}` });
      return { status: 500, body: { message: `fake GitHub error: ${String(err)}` } };
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    const rate = this.state.rate;
    const headers: Record<string, string> = {
      "x-ratelimit-limit": String(rate.limit),
      "x-ratelimit-remaining": String(Math.max(0, rate.limit - rate.used)),
      "x-ratelimit-reset": String(rate.reset),
      "x-ratelimit-used": String(rate.used),
      "x-ratelimit-resource": "core",
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": `FAKE:${this.requests.length}`,
      ...reply.headers,
    };
    if (reply.raw) {
      res.writeHead(reply.status, { "content-type": "application/vnd.github.raw; charset=utf-8", ...headers, "content-length": String(reply.raw.length) });
      res.end(reply.raw);
    } else if (reply.body === undefined || reply.status === 204) {
      res.writeHead(reply.status, headers);
      res.end();
    } else {
      const payload = Buffer.from(JSON.stringify(reply.body));
      res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": String(payload.length) });
      res.end(payload);
    }
  }
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const state = new FakeState(opts.appId === undefined ? undefined : String(opts.appId));
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, "127.0.0.1", () => done());
  });
  const fake = new FakeGitHub(server, state, (server.address() as AddressInfo).port, opts);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    fake.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  state.apiUrl = fake.apiUrl;
  return fake;
}
