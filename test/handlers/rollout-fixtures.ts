/**
 * What the Rollout gate tests share: an automated Application `web` of this repository whose manifests
 * are the corpus's canary Rollout (renamed `web`, its timed pauses cut to 1 s), the pushes that release
 * it, and the GitHub calls of an app sync and of a release's check run and comment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MockScope } from "../helpers/github-mock.js";
import type { WebhookPayload } from "../helpers/webhooks.js";
import { expectCheckPatches, expectDeployment, expectDeploymentStatus, serveAppRepo } from "./app-fixtures.js";
import { example, expectCheckCreated, expectCheckUpdated, OWNER, pushPayload, R, REPO, type Body, type Captured } from "./fixtures.js";

const CORPUS = join(import.meta.dirname, "../../../shared/corpus/argo-rollouts");

export const APPS_YAML = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  project: default
  source:
    repoURL: https://github.com/${OWNER}/${REPO}.git
    targetRevision: HEAD
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: default
  syncPolicy:
    automated: { prune: true }
`;

/** The corpus canary as `web`: 5 replicas, setWeight 20, `pause: {}`, then 40/60/80 with 1 s pauses. */
export function rolloutYaml(opts: { image: string; annotations?: Record<string, string> }): string {
  let text = readFileSync(join(CORPUS, "rollout-canary.yaml"), "utf8")
    .replace(/rollout-canary/g, "web")
    .replace(/duration: \d+s/g, "duration: 1s")
    .replace("argoproj/rollouts-demo:blue", `argoproj/rollouts-demo:${opts.image}`);
  const notes = Object.entries(opts.annotations ?? {});
  if (notes.length > 0) text = text.replace("  name: web\n", `  name: web\n  annotations:\n${notes.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join("")}`);
  return text;
}

export function repoFiles(opts: { image: string; annotations?: Record<string, string> }): Record<string, string> {
  return { ".tiphys/apps.yaml": APPS_YAML, "deploy/rollout.yaml": rolloutYaml(opts) };
}

/** A push of `sha` to the default branch by Codertocat. */
export function push(sha: string): WebhookPayload {
  const p = pushPayload("refs/heads/master");
  return { ...p, after: sha, head_commit: { ...(p.head_commit as object), id: sha } };
}

/** Every GitHub call of a successful automated sync of `web` at `sha` (the repo served from `files`). */
export function expectAppSync(scope: MockScope, sha: string, files: Record<string, string>, opts: { check: number; deployment: number; blobs: string[] }): void {
  serveAppRepo(scope, sha, files, { trees: 2, blobs: opts.blobs });
  expectCheckCreated(scope, { name: "tiphys/app/web", id: opts.check, status: "in_progress" });
  expectDeployment(scope, opts.deployment);
  expectDeploymentStatus(scope, opts.deployment, "in_progress");
  expectCheckUpdated(scope, opts.check, "completed");
  expectDeploymentStatus(scope, opts.deployment, "success");
}

/** GitHub's "pull requests associated with a commit". */
export function expectPullsOfCommit(scope: MockScope, sha: string, pulls: Array<{ number: number; author: string }>): void {
  scope.get(`${R}/commits/${sha}/pulls`).query(true).reply(
    200,
    pulls.map((p) => ({ number: p.number, state: "closed", merged_at: "2026-01-01T00:00:00Z", user: { login: p.author } })),
  );
}

/** The release's check run: created (`status`), answering with `id`. */
export function expectRolloutCheck(scope: MockScope, id: number, status: "in_progress" | "completed", captured: Captured = []): Captured {
  scope
    .post(`${R}/check-runs`, (b: Body) => b.name === "tiphys/rollout/web" && b.status === status)
    .reply(201, (_uri, body) => {
      captured.push(body as Body);
      return { id, name: "tiphys/rollout/web", head_sha: (body as Body).head_sha, status, html_url: `https://github.com/${OWNER}/${REPO}/runs/${id}` };
    });
  return captured;
}

/**
 * PATCHes of the release's check run: one per entry of `conclusions` (undefined: in progress; "maybe
 * in progress": an update that may or may not come, as when the cluster is fast enough to finish first).
 */
export function expectRolloutPatches(scope: MockScope, id: number, conclusions: Array<string | undefined>, captured: Captured = []): Captured {
  for (const c of conclusions) {
    if (c === "maybe in progress")
      scope
        .patch(`${R}/check-runs/${id}`, (b: Body) => b.status === "in_progress")
        .optionally()
        .reply(200, (_uri, body) => {
          captured.push(body as Body);
          return { id, status: "in_progress" };
        });
    else if (c === undefined) expectCheckPatches(scope, id, "in_progress", 1, captured);
    else
      scope
        .patch(`${R}/check-runs/${id}`, (b: Body) => b.conclusion === c)
        .reply(200, (_uri, body) => {
          captured.push(body as Body);
          return { id, status: "completed" };
        });
  }
  return captured;
}

/** The release comment on `pr`: looked up (none yet), then created as `id`. */
export function expectReleaseComment(scope: MockScope, pr: number, id: number, captured: Captured = []): Captured {
  scope.get(`${R}/issues/${pr}/comments`).query(true).reply(200, []);
  scope.post(`${R}/issues/${pr}/comments`).reply(201, (_uri, body) => {
    captured.push(body as Body);
    return { id, body: (body as Body).body, user: { login: "tiphys[bot]" } };
  });
  return captured;
}

/** `times` edits of our comment `id` (with `optional`, up to `times`). */
export function expectCommentEdits(scope: MockScope, id: number, times: number, captured: Captured = [], optional = false): Captured {
  scope
    .patch(`${R}/issues/comments/${id}`)
    .times(times)
    .optionally(optional)
    .reply(200, (_uri, body) => {
      captured.push(body as Body);
      return { id, body: (body as Body).body, user: { login: "tiphys[bot]" } };
    });
  return captured;
}

type CommentPayload = WebhookPayload & { issue: { number: number }; comment: { id: number; body: string; user: { login: string } }; sender: { login: string } };
type CheckRunPayload = WebhookPayload & { check_run: { id: number; name: string; head_sha: string }; requested_action: { identifier: string }; sender: { login: string; type: string } };

/** `body` commented on `issue` by `login`. */
export function comment(body: string, opts: { issue: number; login: string }): CommentPayload {
  const p = example("issue_comment.created", (e) => e.installation !== undefined) as CommentPayload;
  p.comment.body = body;
  p.comment.user = { ...p.comment.user, login: opts.login };
  p.sender = { ...p.sender, login: opts.login };
  p.issue.number = opts.issue;
  return p;
}

/** A click on a button of the release's check run `id` at `sha`. */
export function click(identifier: string, opts: { id: number; sha: string; login: string }): CheckRunPayload {
  const p = example("check_run.requested_action") as CheckRunPayload;
  Object.assign(p.check_run, { id: opts.id, name: "tiphys/rollout/web", head_sha: opts.sha });
  p.requested_action = { identifier };
  p.sender = { ...p.sender, login: opts.login, type: "User" };
  return p;
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
