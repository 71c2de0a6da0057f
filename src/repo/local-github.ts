import { resolve } from "node:path";
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
  WebhookDeliveryInfo,
} from "../core/ports/github.js";
import { LocalRepoReader } from "./git.js";

export interface LocalCheckRun extends CheckRunInput {
  id: number;
  updates: number;
}

export interface LocalComment extends CommentInfo {
  issue: number;
  reactions: Reaction[];
}

/**
 * The GitHubPort over a local checkout (`tiphys local`): contents come from the git objects, and
 * the check runs and comments that would be posted are kept here, for the terminal to render.
 */
export class LocalGitHub implements GitHubPort {
  readonly reader: LocalRepoReader;
  readonly checkRuns: LocalCheckRun[] = [];
  readonly comments: LocalComment[] = [];
  readonly commitComments: CommitCommentInfo[] = [];
  readonly deployments: Array<DeploymentInput & { id: number; statuses: DeploymentStatusInput[] }> = [];
  private nextId = 1;
  pullRequest?: PullRequestInfo;

  constructor(
    dir: string,
    private readonly opts: { defaultBranch: string; user: string; onCheckRun?: (c: LocalCheckRun) => void },
  ) {
    this.reader = new LocalRepoReader(dir);
  }

  async getRepo() {
    return { defaultBranch: this.opts.defaultBranch, private: true };
  }
  getBranchSha(_repo: RepoRef, branch: string) {
    return this.reader.revParse(branch);
  }
  async getTree(_repo: RepoRef, sha: string) {
    const t = await this.reader.tree(sha);
    return { sha: t.sha, entries: t.entries, truncated: false };
  }
  getBlob(_repo: RepoRef, sha: string) {
    return this.reader.blob(sha);
  }
  compareFiles(_repo: RepoRef, base: string, head: string) {
    return this.reader.changedFiles(base, head);
  }
  async pullRequestFiles() {
    const pr = this.pullRequest;
    return pr ? this.reader.changedFiles(pr.baseSha, pr.headSha) : [];
  }
  async getPullRequest(_repo: RepoRef, number: number) {
    if (!this.pullRequest || this.pullRequest.number !== number) throw new Error(`no pull request #${number} in local mode`);
    return this.pullRequest;
  }

  async createCheckRun(_repo: RepoRef, input: CheckRunInput): Promise<CheckRunInfo> {
    const c: LocalCheckRun = { ...input, id: this.nextId++, updates: 0 };
    this.checkRuns.push(c);
    this.opts.onCheckRun?.(c);
    return { id: c.id, name: c.name, headSha: c.headSha, status: c.status, conclusion: c.conclusion ?? null, externalId: c.externalId };
  }
  async updateCheckRun(_repo: RepoRef, id: number, input: Partial<CheckRunInput>) {
    const c = this.checkRuns.find((x) => x.id === id);
    if (!c) throw new Error(`no check run ${id}`);
    Object.assign(c, Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
    c.updates++;
    this.opts.onCheckRun?.(c);
  }
  async createDeployment(_repo: RepoRef, input: DeploymentInput) {
    const d = { ...input, id: this.nextId++, statuses: [] };
    this.deployments.push(d);
    return { id: d.id };
  }
  async createDeploymentStatus(_repo: RepoRef, id: number, input: DeploymentStatusInput) {
    const d = this.deployments.find((x) => x.id === id);
    if (!d) throw new Error(`no deployment ${id}`);
    d.statuses.push(input);
  }
  async findCheckRuns(_repo: RepoRef, sha: string, name: string) {
    return this.checkRuns
      .filter((c) => c.headSha === sha && c.name === name)
      .reverse()
      .map((c) => ({ id: c.id, name: c.name, headSha: c.headSha, status: c.status, conclusion: c.conclusion ?? null, externalId: c.externalId }));
  }

  async listComments(_repo: RepoRef, issue: number) {
    return this.comments.filter((c) => c.issue === issue);
  }
  async createComment(_repo: RepoRef, issue: number, body: string) {
    const c: LocalComment = { id: this.nextId++, issue, body, author: "tiphys[bot]", reactions: [] };
    this.comments.push(c);
    return c;
  }
  async updateComment(_repo: RepoRef, id: number, body: string) {
    const c = this.comments.find((x) => x.id === id);
    if (c) c.body = body;
  }
  async reactToComment(_repo: RepoRef, commentId: number, reaction: Reaction) {
    this.comments.find((x) => x.id === commentId)?.reactions.push(reaction);
  }
  async listPullRequestsForCommit(_repo: RepoRef, sha: string): Promise<AssociatedPullRequest[]> {
    const pr = this.pullRequest;
    return pr && pr.headSha === sha ? [{ number: pr.number, author: pr.author, state: pr.state, merged: false }] : [];
  }
  async listCommitComments(_repo: RepoRef, sha: string) {
    return this.commitComments.filter((c) => c.sha === sha);
  }
  async createCommitComment(_repo: RepoRef, sha: string, body: string) {
    const c: CommitCommentInfo = { id: this.nextId++, sha, body, author: "tiphys[bot]" };
    this.commitComments.push(c);
    return c;
  }
  async updateCommitComment(_repo: RepoRef, id: number, body: string) {
    const c = this.commitComments.find((x) => x.id === id);
    if (c) c.body = body;
  }
  async isTeamMember(_repo: RepoRef, _org: string, _team: string, user: string) {
    // The person at the terminal is every team there is.
    return user === this.opts.user;
  }
  async getPermission() {
    // The person at the terminal owns the checkout.
    return "admin";
  }
  async createInstallationToken(): Promise<{ token: string; expiresAt: string }> {
    throw new Error("local mode has no installation token: a git artifact of this repository is cloned from the checkout");
  }
  cloneUrl(): string {
    return resolve(this.reader.dir);
  }
  async listDeliveries(): Promise<WebhookDeliveryInfo[]> {
    return [];
  }
  async redeliver(): Promise<void> {}
}
