/**
 * What the app preview's handler tests share: a repository whose `.tiphys/apps.yaml` defines
 * Applications over folders of ../shared/corpus/argocd-example-apps, served through nock as a
 * recursive tree and blobs (each blob once: the App caches blobs by id), PR and comment payloads, and
 * the comment calls of an "ensure".
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { MockScope } from "../helpers/github-mock.js";
import type { WebhookPayload } from "../helpers/webhooks.js";
import { example, gitBlobSha, OWNER, R, REPO, type Body, type Captured } from "./fixtures.js";

export const CORPUS = join(import.meta.dirname, "../../../shared/corpus/argocd-example-apps");
export const BASE = "b".repeat(40);
export const HEAD = "c".repeat(40);
export const BOT = "tiphys[bot]";

/** Every file of a corpus folder, keyed by its path in the test repository (`<folder>/...`). */
export function corpusFolder(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(CORPUS, full)] = readFileSync(full, "utf8");
    }
  };
  walk(join(CORPUS, folder));
  return out;
}

/** An Application of this repository over `path` (destination: the home cluster, namespace default). */
export function appYaml(name: string, path: string, extra = ""): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
spec:
  project: default
  source:
    repoURL: https://github.com/${OWNER}/${REPO}.git
    targetRevision: HEAD
    path: ${path}
${extra}  destination:
    server: https://kubernetes.default.svc
    namespace: default
`;
}

/** Serves trees and blobs; a blob already served is not served again (the App has it cached). */
export class RepoServer {
  private readonly served = new Set<string>();
  constructor(private readonly scope: MockScope) {}

  /** The recursive tree of `sha`, answered `times` times (once for the config, once per checkout). */
  tree(sha: string, files: Record<string, string>, times: number): void {
    const tree = Object.entries(files).map(([path, text]) => ({ path, mode: "100644", type: "blob", sha: gitBlobSha(text), size: Buffer.byteLength(text) }));
    this.scope.get(`${R}/git/trees/${sha}`).query({ recursive: "1" }).times(times).reply(200, { sha: `tree-${sha}`, tree, truncated: false });
  }

  /** Blob replies for the files not served before. */
  blobs(files: Record<string, string>): void {
    for (const text of Object.values(files)) {
      const sha = gitBlobSha(text);
      if (this.served.has(sha)) continue;
      this.served.add(sha);
      this.scope.get(`${R}/git/blobs/${sha}`).reply(200, { sha, size: Buffer.byteLength(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
    }
  }
}

type Pull = { number: number; head: { sha: string; repo: { full_name: string } }; base: { sha: string }; user: { login: string } };
export type PullPayload = WebhookPayload & { action: string; pull_request: Pull };

/** PR #2 of Codertocat from a branch of the same repo, at these commits. */
export function pullPayload(action: string, head = HEAD, base = BASE): PullPayload {
  const p = example("pull_request.opened", (e) => e.installation !== undefined) as PullPayload;
  p.action = action;
  p.pull_request.head.sha = head;
  p.pull_request.base.sha = base;
  return p;
}

type CommentPayload = WebhookPayload & { issue: { number: number; pull_request?: unknown }; comment: { id: number; body: string } };

/** Codertocat's comment `body` on PR #2 (or on issue #1 with `onIssue`). */
export function commentPayload(body: string, opts: { onIssue?: boolean } = {}): CommentPayload {
  const p = example("issue_comment.created", (e) => e.installation !== undefined) as CommentPayload;
  p.comment.body = body;
  if (!opts.onIssue) {
    p.issue.number = 2;
    p.issue.pull_request = { url: `https://api.github.com${R}/pulls/2` };
  }
  return p;
}

export interface StoredComment {
  id: number;
  body: string;
}

export function expectPullFiles(scope: MockScope, files: string[]): void {
  scope.get(`${R}/pulls/2/files`).query({ per_page: "100" }).reply(200, files.map((filename) => ({ filename, status: "modified" })));
}

/** `GET /pulls/2` as the debounce reads it: the head is `head`. */
export function expectPullHead(scope: MockScope, head: string, author = "Codertocat"): void {
  scope.get(`${R}/pulls/2`).reply(200, {
    number: 2,
    state: "open",
    user: { login: author },
    head: { sha: head, ref: "changes", repo: { full_name: `${OWNER}/${REPO}` } },
    base: { sha: BASE, ref: "master", repo: { full_name: `${OWNER}/${REPO}` } },
  });
}

export function expectCommentList(scope: MockScope, issue: number, comments: StoredComment[]): void {
  scope
    .get(`${R}/issues/${issue}/comments`)
    .query({ per_page: "100" })
    .reply(
      200,
      comments.map((c) => ({ id: c.id, body: c.body, user: { login: BOT, type: "Bot" } })),
    );
}

/** `POST` of new comments on `issue` (up to `times`), captured in order with the ids they get. */
export function expectCommentsCreated(scope: MockScope, issue: number, times: number, captured: Captured = []): Captured {
  scope
    .post(`${R}/issues/${issue}/comments`)
    .times(times)
    .reply(201, (_uri, body) => {
      captured.push(body as Body);
      return { id: 7000 + captured.length, body: (body as Body).body, user: { login: BOT } };
    });
  return captured;
}

export function expectCommentUpdated(scope: MockScope, id: number, captured: Captured = []): Captured {
  scope.patch(`${R}/issues/comments/${id}`).reply(200, (_uri, body) => {
    captured.push(body as Body);
    return { id, body: (body as Body).body, user: { login: BOT } };
  });
  return captured;
}

/** Lines of a markdown body that open or close a code fence. */
export const fenceLines = (body: string): string[] => body.split("\n").filter((l) => /^`{3,}/.test(l));
