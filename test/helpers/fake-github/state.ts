/** Everything the fake remembers, kept in memory for the life of one server. */
import { GitReader } from "./git-reader.js";
import type { Json } from "./http.js";

export interface RepoInput {
  owner: string;
  name: string;
  /** A real local git repository, bare or not. */
  gitDir: string;
  /** Default: the branch the repository's HEAD points at. */
  defaultBranch?: string;
  /** Default 1. */
  installationId?: number;
  private?: boolean;
  /** The repository's numeric id (payloads carry it as `repository.id`); default: a fresh one. */
  id?: number;
}

export interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  installationId: number;
  private: boolean;
  reader: GitReader;
  /** Set by addRepo, or read from the repository's HEAD on first use. */
  defaultBranch?: string;
}

export interface PullRequestInput {
  owner: string;
  name: string;
  number: number;
  headRef: string;
  baseRef: string;
  /** Default: whatever `headRef` points at in the repository when asked (so the PR follows new commits). */
  headSha?: string;
  /** Default: whatever `baseRef` points at when asked. */
  baseSha?: string;
  author: string;
  /** The head lives in `<author>/<name>`, a fork. */
  fork?: boolean;
  title?: string;
  body?: string;
  draft?: boolean;
  state?: "open" | "closed";
}

export interface CheckRunUpdate {
  /** performance.now() when the request was handled. */
  at: number;
  method: "POST" | "PATCH";
  /** The request body as sent. */
  request: Json;
  /** The run's state after this update. */
  status: string;
  conclusion: string | null;
  title: string | null;
}

/** A check run exactly as the fake returns it. */
export interface CheckRunJson {
  id: number;
  node_id: string;
  name: string;
  head_sha: string;
  external_id: string;
  url: string;
  html_url: string;
  details_url: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number; annotations_url: string };
  check_suite: { id: number };
  app: Json;
  pull_requests: Json[];
  actions: Json[];
}

export interface CheckRunRecord {
  repoKey: string;
  json: CheckRunJson;
  history: CheckRunUpdate[];
  annotations: Json[];
}

export interface CommentRecord {
  repoKey: string;
  issueNumber: number;
  json: Json & { id: number; body: string };
}

export interface CommitCommentRecord {
  repoKey: string;
  json: Json & { id: number; body: string; commit_id: string };
}

export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";
export const REACTIONS: readonly ReactionContent[] = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

export interface ReactionRecord {
  repoKey: string;
  /** A reaction to an issue comment (subjectId: the comment id) or to an issue/PR (its number). */
  subject: "issue_comment" | "issue";
  subjectId: number;
  id: number;
  content: ReactionContent;
  user: string;
  created_at: string;
}

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface Delivery {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  status: "OK" | "failed" | string;
  status_code: number;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
}

export type DeliveryInput = Partial<Delivery> & { event: string };

export interface IssuedToken {
  token: string;
  installationId: number;
  expiresAt: number;
}

export const BOT_LOGIN = "tiphys[bot]";

export class FakeState {
  apiUrl = "";
  readonly repos = new Map<string, RepoState>();
  readonly tokens = new Map<string, IssuedToken>();
  readonly pulls = new Map<string, PullRequestInput>();
  readonly checkRuns = new Map<number, CheckRunRecord>();
  readonly comments = new Map<number, CommentRecord>();
  readonly commitComments: CommitCommentRecord[] = [];
  readonly reactions: ReactionRecord[] = [];
  readonly permissions = new Map<string, Map<string, Permission>>();
  /** Active members of `org/team-slug` (lower case). */
  readonly teams = new Map<string, Set<string>>();
  readonly deliveries: Delivery[] = [];
  /** Redelivery requests; `error` is what `onRedeliver` threw, if it did. */
  readonly redeliveries: Array<{ id: number; at: number; error?: string }> = [];
  readonly rate = { limit: 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
  onRedeliver?: (id: number) => void | Promise<void>;
  private lastId = 1000;

  constructor(readonly appId: string | undefined) {}

  newId(): number {
    return ++this.lastId;
  }

  repo(owner: string, name: string): RepoState | undefined {
    return this.repos.get(repoKey(owner, name));
  }

  installationIds(): Set<number> {
    return new Set([...this.repos.values()].map((r) => r.installationId));
  }

  async defaultBranch(repo: RepoState): Promise<string> {
    repo.defaultBranch ??= await repo.reader.headBranch();
    return repo.defaultBranch;
  }

  repoUrl(repo: RepoState): string {
    return `${this.apiUrl}/repos/${repo.fullName}`;
  }
}

/** GitHub matches owner and repository names without regard to case. */
export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}
