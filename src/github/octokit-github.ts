import PQueue from "p-queue";
import type { ProbotOctokit } from "probot";
import { ExternalError } from "../core/errors.js";
import type {
  AssociatedPullRequest,
  CheckRunInfo,
  CheckRunInput,
  CommentInfo,
  CommitCommentInfo,
  DeploymentInput,
  DeploymentStatusInput,
  GitHubPort,
  PullRequestInfo,
  Reaction,
  RepoRef,
  TreeEntry,
  WebhookDeliveryInfo,
} from "../core/ports/github.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface OctokitGitHubOptions {
  /** An Octokit authenticated as the installation, or as the App itself when no id is given (Probot's `auth`). */
  auth(installationId?: number): Promise<Octokit>;
  /** The web host for clone URLs: https://github.com, or the GHE host. */
  webUrl: string;
  /** Told the remaining rate limit after every response that carries it (for /metrics). */
  onRateLimit?(remaining: number, installationId?: number): void;
  /** The pacing of writes Octokit applies (TIPHYS_GITHUB_WRITE_INTERVAL_MS); 0: writes of one installation may overlap. */
  writeIntervalMs?: number;
}

/** How soon a write should go out among an installation's waiting writes. */
type WriteUrgency = "first" | "normal";

/** Octokit errors become ExternalError with the status and, for rate limits, when to try again. */
function translate(err: unknown, what: string): never {
  const e = err as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  if (typeof e?.status !== "number") throw new ExternalError(`GitHub: ${what} failed: ${e?.message ?? String(err)}`, "github", { cause: err });
  const headers = e.response?.headers ?? {};
  let retryAfterMs: number | undefined;
  if (headers["retry-after"]) retryAfterMs = Number(headers["retry-after"]) * 1000;
  else if (headers["x-ratelimit-remaining"] === "0" && headers["x-ratelimit-reset"]) {
    retryAfterMs = Math.max(0, Number(headers["x-ratelimit-reset"]) * 1000 - Date.now());
  }
  throw new ExternalError(`GitHub: ${what} failed with HTTP ${e.status}: ${(e.message ?? "").split("\n")[0]}`, "github", {
    cause: err,
    status: e.status,
    retryAfterMs,
  });
}

const toCheck = (c: { id: number; name: string; head_sha: string; status: string | null; conclusion?: string | null; external_id?: string | null; html_url?: string | null }): CheckRunInfo => ({
  id: c.id,
  name: c.name,
  headSha: c.head_sha,
  status: (c.status ?? "queued") as CheckRunInfo["status"],
  conclusion: (c.conclusion ?? null) as CheckRunInfo["conclusion"],
  externalId: c.external_id ?? null,
  htmlUrl: c.html_url ?? null,
});

/** GitHub cuts deployment descriptions at 140 characters. */
const clip140 = (text: string) => (text.length <= 140 ? text : text.slice(0, 139) + "…");

function checkBody(input: Partial<CheckRunInput>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (input.name !== undefined) body.name = input.name;
  if (input.headSha !== undefined) body.head_sha = input.headSha;
  if (input.status !== undefined) body.status = input.status;
  if (input.conclusion !== undefined) body.conclusion = input.conclusion;
  if (input.externalId !== undefined) body.external_id = input.externalId;
  if (input.detailsUrl !== undefined) body.details_url = input.detailsUrl;
  if (input.startedAt !== undefined) body.started_at = input.startedAt;
  if (input.completedAt !== undefined) body.completed_at = input.completedAt;
  if (input.output !== undefined) body.output = input.output;
  if (input.actions !== undefined) body.actions = input.actions;
  return body;
}

/**
 * Octokit (@octokit/request 10) parses every JSON response with json-with-bigint, which on Node 20
 * falls back to a regular-expression pass over the text before JSON.parse: about ten times the cost
 * of JSON.parse (0.5 ms against 0.05 ms for a 30 KB tree). The calls made for every webhook ask for
 * the body unparsed (`unparsed`) and parse it here: no number GitHub sends us comes near 2^53 (ids
 * are about 10^10). Error responses are still parsed (and thrown) by Octokit. Check-run bodies (with
 * their outputs, up to 65 KB) are sent as JSON text for the same reason.
 */
const unparsed = { request: { parseSuccessResponseBody: false } } as const;

async function parsedJson<T>(response: { data: unknown }): Promise<T> {
  const body = response.data as ReadableStream<Uint8Array> | null | undefined;
  if (!body) return undefined as T;
  return JSON.parse(await new Response(body).text()) as T;
}

/** The GitHubPort over Probot's Octokit: the only module that talks to the GitHub API. */
export class OctokitGitHub implements GitHubPort {
  private clients = new Map<number, { octokit: Octokit; at: number }>();
  /**
   * The order and pace of each installation's writes. Octokit's throttling plugin spaces them (one per
   * second on github.com) but first come, first served, and once a write is handed to it, it waits
   * there for its turn: a new push's queued check run would wait behind every progress update of the
   * runs before it. Here an installation's lane (p-queue: an idle lane starts a write at once) holds
   * each write's place for the interval after it starts, so Octokit never has to make one wait, and
   * when the place frees the most urgent write waiting goes: a check run being created before updates.
   */
  private readonly writeLanes = new Map<string, PQueue>();

  constructor(private readonly opts: OctokitGitHubOptions) {}

  private get writeIntervalMs(): number {
    return this.opts.writeIntervalMs ?? 1000;
  }

  /** Runs `fn` in the installation's lane; the lane stays held until `writeIntervalMs` after the start. */
  private paced<T>(key: string, urgency: WriteUrgency, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      void this.writeLane(key).add(
        async () => {
          const started = Date.now();
          // Started at once (an idle lane adds no delay), and settling its caller even if it throws at once.
          let result: Promise<T>;
          try {
            result = fn();
          } catch (err) {
            result = Promise.reject(err);
          }
          result.then(resolve, reject);
          await result.catch(() => undefined);
          const left = started + this.writeIntervalMs - Date.now();
          if (left > 0) await new Promise((r) => setTimeout(r, left));
        },
        // p-queue: higher numbers go first.
        { priority: urgency === "first" ? 1 : 0 },
      );
    });
  }

  private writeLane(key: string): PQueue {
    let lane = this.writeLanes.get(key);
    if (!lane) {
      lane = new PQueue({ concurrency: this.writeIntervalMs > 0 ? 1 : 8 });
      this.writeLanes.set(key, lane);
      // An idle lane is dropped, so installations that stop writing leave nothing behind.
      lane.on("idle", () => this.writeLanes.get(key) === lane && this.writeLanes.delete(key));
    }
    return lane;
  }

  private async client(installationId?: number): Promise<Octokit> {
    const key = installationId ?? 0;
    const hit = this.clients.get(key);
    // Probot's auth caches installation tokens itself; keeping the client avoids rebuilding its plugins.
    if (hit && Date.now() - hit.at < 30 * 60_000) return hit.octokit;
    const octokit = await this.opts.auth(installationId);
    octokit.hook.after("request", (response) => {
      const remaining = response.headers["x-ratelimit-remaining"];
      if (remaining !== undefined) this.opts.onRateLimit?.(Number(remaining), installationId);
    });
    this.clients.set(key, { octokit, at: Date.now() });
    return octokit;
  }

  private async call<T>(repo: RepoRef | number | undefined, what: string, fn: (o: Octokit) => Promise<T>, write?: WriteUrgency): Promise<T> {
    const id = typeof repo === "number" ? repo : repo?.installationId;
    const octokit = await this.client(id);
    try {
      if (!write) return await fn(octokit);
      return await this.paced(String(id ?? "app"), write, () => fn(octokit));
    } catch (err) {
      translate(err, what);
    }
  }

  /** A write: in the installation's order of writes (see writeOrder). */
  private write<T>(repo: RepoRef | number | undefined, what: string, fn: (o: Octokit) => Promise<T>, urgency: WriteUrgency = "normal"): Promise<T> {
    return this.call(repo, what, fn, urgency);
  }

  async getRepo(repo: RepoRef) {
    const { data } = await this.call(repo, "reading the repository", (o) => o.rest.repos.get({ owner: repo.owner, repo: repo.name }));
    return { defaultBranch: data.default_branch, private: data.private };
  }

  async getBranchSha(repo: RepoRef, branch: string) {
    const { data } = await this.call(repo, `reading branch ${branch}`, (o) => o.rest.git.getRef({ owner: repo.owner, repo: repo.name, ref: `heads/${branch}` }));
    return data.object.sha;
  }

  async getTree(repo: RepoRef, sha: string) {
    const data = await this.call(repo, `reading the tree of ${sha}`, async (o) =>
      parsedJson<{ sha: string; truncated: boolean; tree: Array<{ path?: string; type?: string; sha?: string; size?: number }> }>(
        await o.rest.git.getTree({ owner: repo.owner, repo: repo.name, tree_sha: sha, recursive: "1", ...unparsed }),
      ),
    );
    const entries: TreeEntry[] = data.tree.map((t) => ({ path: t.path ?? "", type: t.type as TreeEntry["type"], sha: t.sha ?? "", size: t.size }));
    return { sha: data.sha, entries, truncated: data.truncated };
  }

  async getBlob(repo: RepoRef, sha: string) {
    const { data } = await this.call(repo, `reading blob ${sha}`, (o) => o.rest.git.getBlob({ owner: repo.owner, repo: repo.name, file_sha: sha }));
    return Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8");
  }

  async compareFiles(repo: RepoRef, base: string, head: string) {
    const { data } = await this.call(repo, `comparing ${base}...${head}`, (o) =>
      o.rest.repos.compareCommitsWithBasehead({ owner: repo.owner, repo: repo.name, basehead: `${base}...${head}` }),
    );
    const files = new Set<string>();
    for (const f of data.files ?? []) {
      files.add(f.filename);
      if (f.previous_filename) files.add(f.previous_filename);
    }
    return [...files];
  }

  async pullRequestFiles(repo: RepoRef, number: number) {
    const files = await this.call(repo, `listing the files of #${number}`, (o) =>
      o.paginate(o.rest.pulls.listFiles, { owner: repo.owner, repo: repo.name, pull_number: number, per_page: 100 }),
    );
    const out = new Set<string>();
    for (const f of files) {
      out.add(f.filename);
      if (f.previous_filename) out.add(f.previous_filename);
    }
    return [...out];
  }

  async getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo> {
    const { data } = await this.call(repo, `reading #${number}`, (o) => o.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number }));
    return {
      number: data.number,
      headSha: data.head.sha,
      headRef: data.head.ref,
      headRepo: data.head.repo?.full_name ?? "",
      baseRef: data.base.ref,
      baseSha: data.base.sha,
      author: data.user?.login ?? "",
      fromFork: (data.head.repo?.full_name ?? "") !== data.base.repo.full_name,
      state: data.state,
    };
  }

  async createCheckRun(repo: RepoRef, input: CheckRunInput) {
    const data = await this.write(repo, `creating check run ${input.name}`, async (o) =>
      parsedJson(await o.request("POST /repos/{owner}/{repo}/check-runs", { owner: repo.owner, repo: repo.name, data: JSON.stringify(checkBody(input)), ...unparsed } as never)),
      "first",
    );
    return toCheck(data as never);
  }

  async updateCheckRun(repo: RepoRef, id: number, input: Partial<CheckRunInput>) {
    await this.write(repo, `updating check run ${id}`, async (o) => {
      // The answer (the whole check run, output included) is not needed: read, not parsed.
      const { data } = await o.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner: repo.owner, repo: repo.name, check_run_id: id, data: JSON.stringify(checkBody(input)), ...unparsed } as never);
      await new Response(data as unknown as ReadableStream | null).arrayBuffer();
    });
  }

  async findCheckRuns(repo: RepoRef, sha: string, name: string) {
    const { data } = await this.call(repo, `listing check runs of ${sha}`, (o) =>
      o.rest.checks.listForRef({ owner: repo.owner, repo: repo.name, ref: sha, check_name: name, filter: "latest" }),
    );
    return data.check_runs.map(toCheck);
  }

  async createDeployment(repo: RepoRef, input: DeploymentInput) {
    const { data } = await this.write(repo, `creating a deployment of ${input.ref} to ${input.environment}`, (o) =>
      o.rest.repos.createDeployment({
        owner: repo.owner,
        repo: repo.name,
        ref: input.ref,
        environment: input.environment,
        description: clip140(input.description),
        auto_merge: input.autoMerge,
        required_contexts: input.requiredContexts,
        ...(input.payload ? { payload: input.payload as { [key: string]: unknown } } : {}),
        ...(input.transientEnvironment !== undefined ? { transient_environment: input.transientEnvironment } : {}),
        ...(input.productionEnvironment !== undefined ? { production_environment: input.productionEnvironment } : {}),
      }),
    );
    // 202 means GitHub merged something first and made no deployment: never with auto_merge false.
    if (!("id" in data) || typeof data.id !== "number") throw new ExternalError(`GitHub: creating a deployment of ${input.ref} made none: ${(data as { message?: string }).message ?? ""}`, "github");
    return { id: data.id };
  }

  async createDeploymentStatus(repo: RepoRef, deploymentId: number, input: DeploymentStatusInput) {
    await this.write(repo, `setting deployment ${deploymentId} to ${input.state}`, (o) =>
      o.rest.repos.createDeploymentStatus({
        owner: repo.owner,
        repo: repo.name,
        deployment_id: deploymentId,
        state: input.state,
        description: clip140(input.description),
        ...(input.environmentUrl !== undefined ? { environment_url: input.environmentUrl } : {}),
        ...(input.logUrl !== undefined ? { log_url: input.logUrl } : {}),
        ...(input.autoInactive !== undefined ? { auto_inactive: input.autoInactive } : {}),
      }),
    );
  }

  async listComments(repo: RepoRef, issue: number): Promise<CommentInfo[]> {
    const list = await this.call(repo, `listing comments of #${issue}`, (o) =>
      o.paginate(o.rest.issues.listComments, { owner: repo.owner, repo: repo.name, issue_number: issue, per_page: 100 }),
    );
    return list.map((c) => ({ id: c.id, body: c.body ?? "", author: c.user?.login ?? "" }));
  }

  async createComment(repo: RepoRef, issue: number, body: string) {
    const { data } = await this.write(repo, `commenting on #${issue}`, (o) => o.rest.issues.createComment({ owner: repo.owner, repo: repo.name, issue_number: issue, body }));
    return { id: data.id, body: data.body ?? "", author: data.user?.login ?? "" };
  }

  async updateComment(repo: RepoRef, id: number, body: string) {
    await this.write(repo, `editing comment ${id}`, (o) => o.rest.issues.updateComment({ owner: repo.owner, repo: repo.name, comment_id: id, body }));
  }

  async reactToComment(repo: RepoRef, commentId: number, reaction: Reaction) {
    await this.write(repo, `reacting to comment ${commentId}`, (o) =>
      o.rest.reactions.createForIssueComment({ owner: repo.owner, repo: repo.name, comment_id: commentId, content: reaction }),
    );
  }

  async listPullRequestsForCommit(repo: RepoRef, sha: string): Promise<AssociatedPullRequest[]> {
    const { data } = await this.call(repo, `listing the pull requests of ${sha}`, (o) =>
      o.rest.repos.listPullRequestsAssociatedWithCommit({ owner: repo.owner, repo: repo.name, commit_sha: sha, per_page: 30 }),
    );
    return data.map((p) => ({ number: p.number, author: p.user?.login ?? "", state: p.state, merged: Boolean(p.merged_at) }));
  }

  async listCommitComments(repo: RepoRef, sha: string): Promise<CommitCommentInfo[]> {
    const list = await this.call(repo, `listing the comments of ${sha}`, (o) =>
      o.paginate(o.rest.repos.listCommentsForCommit, { owner: repo.owner, repo: repo.name, commit_sha: sha, per_page: 100 }),
    );
    return list.map((c) => ({ id: c.id, body: c.body ?? "", author: c.user?.login ?? "", sha: c.commit_id }));
  }

  async createCommitComment(repo: RepoRef, sha: string, body: string): Promise<CommitCommentInfo> {
    const { data } = await this.write(repo, `commenting on ${sha}`, (o) => o.rest.repos.createCommitComment({ owner: repo.owner, repo: repo.name, commit_sha: sha, body }));
    return { id: data.id, body: data.body ?? "", author: data.user?.login ?? "", sha: data.commit_id };
  }

  async updateCommitComment(repo: RepoRef, id: number, body: string) {
    await this.write(repo, `editing commit comment ${id}`, (o) => o.rest.repos.updateCommitComment({ owner: repo.owner, repo: repo.name, comment_id: id, body }));
  }

  async isTeamMember(repo: RepoRef, org: string, teamSlug: string, user: string) {
    try {
      const octokit = await this.client(repo.installationId);
      const { data } = await octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: teamSlug, username: user });
      return data.state === "active";
    } catch (err) {
      // Not a member (or no such team): an answer, not a failure.
      if ((err as { status?: number }).status === 404) return false;
      translate(err, `reading the membership of ${user} in @${org}/${teamSlug}`);
    }
  }

  async getPermission(repo: RepoRef, user: string) {
    try {
      const octokit = await this.client(repo.installationId);
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.name, username: user });
      return data.permission;
    } catch (err) {
      // Not a collaborator at all: no permission, which is an answer, not a failure.
      if ((err as { status?: number }).status === 404) return "none";
      translate(err, `reading the permission of ${user}`);
    }
  }

  async createInstallationToken(installationId: number) {
    const { data } = await this.call(undefined, "creating an installation token", (o) =>
      o.rest.apps.createInstallationAccessToken({ installation_id: installationId }),
    );
    return { token: data.token, expiresAt: data.expires_at };
  }

  cloneUrl(repo: RepoRef): string {
    return `${this.opts.webUrl.replace(/\/$/, "")}/${repo.owner}/${repo.name}.git`;
  }

  async listDeliveries(opts: { since: Date; limit: number }): Promise<WebhookDeliveryInfo[]> {
    const out: WebhookDeliveryInfo[] = [];
    const octokit = await this.client(undefined);
    try {
      for await (const page of octokit.paginate.iterator(octokit.rest.apps.listWebhookDeliveries, { per_page: 100 })) {
        for (const d of page.data) {
          if (new Date(d.delivered_at) < opts.since || out.length >= opts.limit) return out;
          out.push({
            id: d.id,
            guid: d.guid,
            event: d.event,
            action: d.action,
            status: d.status,
            statusCode: d.status_code,
            deliveredAt: d.delivered_at,
            redelivery: d.redelivery,
          });
        }
      }
    } catch (err) {
      translate(err, "listing webhook deliveries");
    }
    return out;
  }

  async redeliver(deliveryId: number) {
    await this.write(undefined, `redelivering ${deliveryId}`, (o) => o.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId }));
  }
}
