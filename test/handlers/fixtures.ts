/**
 * What the handler tests share: the repository the webhook examples name, `.tiphys/` files served
 * through nock's tree and blob replies, and one interceptor helper per GitHub call Tiphys makes.
 */
import { createHash } from "node:crypto";
import type { MockScope } from "../helpers/github-mock.js";
import { examplePayload, retarget, type WebhookPayload } from "../helpers/webhooks.js";

/** The repository and installation of the @octokit/webhooks-examples payloads. */
export const OWNER = "Codertocat";
export const REPO = "Hello-World";
export const INSTALLATION = 1;
export const R = `/repos/${OWNER}/${REPO}`;
export const TOKEN = "ghs_handler_test";
export const ZERO = "0".repeat(40);

/** Any JSON body nock hands a reply or matcher function. */
export type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- request bodies as GitHub would receive them

/**
 * A webhook example (`event` or `event.action`) aimed at Codertocat/Hello-World and installation 1.
 * Most examples carry no `installation` (GitHub sends one only to Apps); it is set here, since
 * Tiphys ignores events without one. Examples of other repositories are retargeted.
 */
export function example(event: string, filter?: (p: WebhookPayload) => boolean): WebhookPayload {
  const p = examplePayload(event, filter);
  return retarget(p, { owner: OWNER, name: REPO, installationId: INSTALLATION });
}

/** A parent commit for pushes that have one (the examples' pushes create their branch). */
export const BEFORE = "a".repeat(40);

/** The push example of `master` with an installation, as a push of `ref` on top of `before`. */
export function pushPayload(ref: string, before = BEFORE): WebhookPayload {
  const p = example("push", (e) => e.ref === "refs/heads/master" && e.installation !== undefined);
  return { ...p, ref, before };
}

/** A Workflow triggered by annotations, with one `script` step. */
export function workflowYaml(opts: { name?: string; script: string; on?: string; branches?: string }): string {
  const annotations = [`    tiphys.io/on: ${opts.on ?? "push, pull_request"}`];
  if (opts.branches) annotations.push(`    tiphys.io/branches: ${opts.branches}`);
  const source = opts.script
    .split("\n")
    .map((l) => `          ${l}`)
    .join("\n");
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${opts.name ?? "ci"}-
  annotations:
${annotations.join("\n")}
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: sha
      - name: branch
  templates:
    - name: main
      steps:
        - - name: build
            template: sh
    - name: sh
      script:
        image: alpine
        command: [sh]
        source: |
${source}
`;
}

/** Git's blob id of a text. */
export const gitBlobSha = (text: string): string =>
  createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0`).update(text).digest("hex");

/**
 * The repository at `sha`: one recursive tree reply, plus a blob reply per `.tiphys/` YAML file, or
 * per file of `blobs` (the App caches blobs by id, so a later read of the same content fetches
 * nothing: `blobs: false`). Files outside `.tiphys/` are in the tree but have no blob reply:
 * reading one fails the test.
 */
export function serveRepo(scope: MockScope, sha: string, files: Record<string, string>, opts: { blobs?: boolean | string[] } = {}): void {
  const tree = Object.entries(files).map(([path, text]) => ({ path, mode: "100644", type: "blob", sha: gitBlobSha(text), size: Buffer.byteLength(text) }));
  tree.unshift({ path: ".tiphys", mode: "040000", type: "tree", sha: gitBlobSha(`tree ${sha}`), size: 0 });
  scope.get(`${R}/git/trees/${sha}`).query({ recursive: "1" }).reply(200, { sha: `tree-${sha}`, tree, truncated: false });
  if (opts.blobs === false) return;
  for (const [path, text] of Object.entries(files)) {
    if (Array.isArray(opts.blobs) ? !opts.blobs.includes(path) : !/^\.tiphys\/.*\.ya?ml$/.test(path)) continue;
    const blob = gitBlobSha(text);
    scope.get(`${R}/git/blobs/${blob}`).reply(200, { sha: blob, size: Buffer.byteLength(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
  }
}

/** The installation token Probot asks for before its first call as the installation. */
export function expectToken(scope: MockScope): void {
  scope
    .post(`/app/installations/${INSTALLATION}/access_tokens`)
    .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} });
}

export function expectPermission(scope: MockScope, user: string, permission: "admin" | "write" | "read" | "none"): void {
  scope
    .get(`${R}/collaborators/${user}/permission`)
    .matchHeader("authorization", `token ${TOKEN}`)
    .reply(200, { permission, role_name: permission, user: { login: user } });
}

export function expectCompare(scope: MockScope, base: string, head: string, files: string[]): void {
  scope.get(`${R}/compare/${base}...${head}`).reply(200, { files: files.map((filename) => ({ filename, status: "modified" })) });
}

export function expectPullFiles(scope: MockScope, pr: number, files: string[]): void {
  scope.get(`${R}/pulls/${pr}/files`).query({ per_page: "100" }).reply(200, files.map((filename) => ({ filename, status: "modified" })));
}

/** The lookup of a commit's check runs of one name (the "ensure" before writing one). */
export function expectCheckLookup(scope: MockScope, sha: string, name: string, existing: Array<{ id: number }> = []): void {
  scope
    .get(`${R}/commits/${sha}/check-runs`)
    .query({ check_name: name, filter: "latest" })
    .reply(200, {
      total_count: existing.length,
      check_runs: existing.map((c) => ({ id: c.id, name, head_sha: sha, status: "completed", conclusion: "action_required", external_id: null })),
    });
}

/** Bodies GitHub received, in the order it received them. */
export type Captured = Body[];

/** `POST /check-runs` of a check run named `name` (and, when given, with this status): answers with `id`. */
export function expectCheckCreated(scope: MockScope, opts: { name: string; id: number; status?: string }, captured: Captured = []): Captured {
  scope
    .post(`${R}/check-runs`, (b: Body) => b.name === opts.name && (opts.status === undefined || b.status === opts.status))
    .reply(201, (_uri, body) => {
      const b = body as Body;
      captured.push(b);
      return { id: opts.id, name: b.name, head_sha: b.head_sha, status: b.status, conclusion: b.conclusion ?? null, external_id: b.external_id ?? null };
    });
  return captured;
}

/** `PATCH /check-runs/:id` to this status. */
export function expectCheckUpdated(scope: MockScope, id: number, status: "in_progress" | "completed", captured: Captured = []): Captured {
  scope
    .patch(`${R}/check-runs/${id}`, (b: Body) => b.status === status)
    .reply(200, (_uri, body) => {
      captured.push(body as Body);
      return { id, status };
    });
  return captured;
}

/**
 * A workflow run's whole check-run life: created queued at `sha`, one in-progress update (the
 * harness's debounce lets only the first through), completed. Returns the bodies in that order.
 */
export function expectWorkflowCheck(scope: MockScope, opts: { workflow: string; id: number }): Captured {
  const captured: Captured = [];
  expectCheckCreated(scope, { name: `tiphys/workflow/${opts.workflow}`, id: opts.id, status: "queued" }, captured);
  expectCheckUpdated(scope, opts.id, "in_progress", captured);
  expectCheckUpdated(scope, opts.id, "completed", captured);
  return captured;
}

/** Every call of a push of `sha` on top of BEFORE whose one workflow runs to the end. */
export function expectPushRun(scope: MockScope, sha: string, files: Record<string, string>, opts: { id: number; workflow?: string }): Captured {
  expectToken(scope);
  serveRepo(scope, sha, files);
  const check = expectWorkflowCheck(scope, { workflow: opts.workflow ?? "ci", id: opts.id });
  return check;
}

export function expectReaction(scope: MockScope, commentId: number, content: string): void {
  scope.post(`${R}/issues/comments/${commentId}/reactions`, { content }).reply(201, { id: 1, content });
}

export function expectComment(scope: MockScope, issue: number, captured: Captured = []): Captured {
  scope.post(`${R}/issues/${issue}/comments`).reply(201, (_uri, body) => {
    captured.push(body as Body);
    return { id: 9000 + captured.length, body: (body as Body).body, user: { login: "tiphys[bot]" } };
  });
  return captured;
}

/** `GET /pulls/:n` as GitHub answers it (only the fields Tiphys reads). */
export function expectPull(scope: MockScope, pr: { number: number; headSha: string; baseSha: string; headRepo: string; author: string }): void {
  scope.get(`${R}/pulls/${pr.number}`).reply(200, {
    number: pr.number,
    state: "open",
    user: { login: pr.author },
    head: { sha: pr.headSha, ref: "feature", repo: { full_name: pr.headRepo } },
    base: { sha: pr.baseSha, ref: "main", repo: { full_name: `${OWNER}/${REPO}` } },
  });
}
