/**
 * The GitHubPort: everything Tiphys reads from and writes to GitHub. Two implementations: the
 * Octokit adapter (src/github/) and the local one behind `tiphys local` (renders to the terminal).
 * Writes are "ensure" operations where GitHub allows it: callers key check runs by name and head SHA
 * and comments by a hidden marker.
 */

export interface RepoRef {
  owner: string;
  name: string;
  installationId: number;
}

export const repoFullName = (r: Pick<RepoRef, "owner" | "name">): string => `${r.owner}/${r.name}`;

export interface TreeEntry {
  path: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size?: number;
}

export type CheckStatus = "queued" | "in_progress" | "completed";
export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "timed_out" | "action_required" | "skipped";

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion?: CheckConclusion;
  externalId?: string;
  detailsUrl?: string;
  startedAt?: string;
  completedAt?: string;
  output?: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] };
  actions?: CheckAction[];
}

export interface CheckRunInfo {
  id: number;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion?: CheckConclusion | null;
  externalId?: string | null;
  /** The check run's page on GitHub, when the API said. */
  htmlUrl?: string | null;
}

/** What a GitHub Deployment is created with (one per app and revision synced). */
export interface DeploymentInput {
  /** The commit deployed. */
  ref: string;
  environment: string;
  description: string;
  payload?: Record<string, unknown>;
  /** Never merge the default branch into `ref` first: the commit is what was synced. */
  autoMerge: false;
  /** No commit-status contexts are required: the sync already happened. */
  requiredContexts: string[];
  transientEnvironment?: boolean;
  productionEnvironment?: boolean;
}

export type DeploymentState = "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

export interface DeploymentStatusInput {
  state: DeploymentState;
  description: string;
  environmentUrl?: string;
  /** Where to read about it (the app's check run). */
  logUrl?: string;
  /** GitHub marks older deployments of the environment inactive on a success (its default: true). */
  autoInactive?: boolean;
}

export interface CommentInfo {
  id: number;
  body: string;
  author: string;
}

export interface PullRequestInfo {
  number: number;
  headSha: string;
  headRef: string;
  headRepo: string;
  baseRef: string;
  baseSha: string;
  author: string;
  fromFork: boolean;
  state: string;
}

/** A pull request that contains a commit (GitHub's "list pull requests associated with a commit"). */
export interface AssociatedPullRequest {
  number: number;
  author: string;
  state: string;
  merged: boolean;
}

/** A comment on a commit (a direct push has no pull request to comment on). */
export interface CommitCommentInfo extends CommentInfo {
  sha: string;
}

export type Reaction = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

export interface WebhookDeliveryInfo {
  id: number;
  guid: string;
  event: string;
  action?: string | null;
  status: string;
  statusCode: number;
  deliveredAt: string;
  redelivery: boolean;
}

export interface GitHubPort {
  getRepo(repo: RepoRef): Promise<{ defaultBranch: string; private: boolean }>;
  getBranchSha(repo: RepoRef, branch: string): Promise<string>;
  /** The whole tree of a commit, one call (`recursive=1`). */
  getTree(repo: RepoRef, sha: string): Promise<{ sha: string; entries: TreeEntry[]; truncated: boolean }>;
  getBlob(repo: RepoRef, sha: string): Promise<Buffer>;
  /** Files changed between two commits (a push's `before...after`). */
  compareFiles(repo: RepoRef, base: string, head: string): Promise<string[]>;
  pullRequestFiles(repo: RepoRef, number: number): Promise<string[]>;
  getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo>;

  createCheckRun(repo: RepoRef, input: CheckRunInput): Promise<CheckRunInfo>;
  updateCheckRun(repo: RepoRef, id: number, input: Partial<CheckRunInput>): Promise<void>;
  /** Check runs of a commit with this name (newest first). */
  findCheckRuns(repo: RepoRef, sha: string, name: string): Promise<CheckRunInfo[]>;

  createDeployment(repo: RepoRef, input: DeploymentInput): Promise<{ id: number }>;
  createDeploymentStatus(repo: RepoRef, deploymentId: number, input: DeploymentStatusInput): Promise<void>;

  listComments(repo: RepoRef, issue: number): Promise<CommentInfo[]>;
  createComment(repo: RepoRef, issue: number, body: string): Promise<CommentInfo>;
  updateComment(repo: RepoRef, id: number, body: string): Promise<void>;
  reactToComment(repo: RepoRef, commentId: number, reaction: Reaction): Promise<void>;

  /** The pull requests a commit belongs to (merged ones included), newest first. */
  listPullRequestsForCommit(repo: RepoRef, sha: string): Promise<AssociatedPullRequest[]>;
  listCommitComments(repo: RepoRef, sha: string): Promise<CommitCommentInfo[]>;
  createCommitComment(repo: RepoRef, sha: string, body: string): Promise<CommitCommentInfo>;
  updateCommitComment(repo: RepoRef, id: number, body: string): Promise<void>;

  /** The collaborator permission of a user: admin, maintain, write, triage, read or none. */
  getPermission(repo: RepoRef, user: string): Promise<string>;
  /**
   * Whether a user is an active member of an organisation's team (`@org/team`); false when either is
   * unknown. Needs the installation's `members: read` permission.
   */
  isTeamMember(repo: RepoRef, org: string, teamSlug: string, user: string): Promise<boolean>;

  /** A short-lived installation token, for cloning the repo in a `git` input artifact. */
  createInstallationToken(installationId: number): Promise<{ token: string; expiresAt: string }>;
  /** The clone URL of a repo (without credentials). */
  cloneUrl(repo: RepoRef): string;

  /** App-level: recent webhook deliveries, newest first, and asking GitHub to deliver one again. */
  listDeliveries(opts: { since: Date; limit: number }): Promise<WebhookDeliveryInfo[]>;
  redeliver(deliveryId: number): Promise<void>;
}
