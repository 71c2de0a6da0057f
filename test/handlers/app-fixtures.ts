/**
 * What the Application handler tests share: an Application of this repository pointing at the corpus's
 * guestbook, the repo served as nock tree and blob replies, and the Deployment calls GitHub gets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MockScope } from "../helpers/github-mock.js";
import { gitBlobSha, OWNER, R, REPO, type Body, type Captured } from "./fixtures.js";

const CORPUS = join(import.meta.dirname, "../../../shared/corpus/argocd-example-apps");

/** The corpus's guestbook (a Deployment and a Service) at `guestbook/`. */
export function guestbookFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of ["guestbook-ui-deployment.yaml", "guestbook-ui-svc.yaml"]) files[`guestbook/${f}`] = readFileSync(join(CORPUS, "guestbook", f), "utf8");
  return files;
}

export interface AppYamlOptions {
  /** `automated` block, or none for a manual app. */
  automated?: { prune?: boolean; selfHeal?: boolean };
  environment?: string;
  retry?: string;
}

/** `.tiphys/apps.yaml`: the guestbook app of Codertocat/Hello-World, at its default branch. */
export function appsYaml(opts: AppYamlOptions = {}): string {
  const lines = [
    "apiVersion: argoproj.io/v1alpha1",
    "kind: Application",
    "metadata:",
    "  name: guestbook",
    ...(opts.environment ? ["  annotations:", `    tiphys.io/environment: ${opts.environment}`] : []),
    "spec:",
    "  project: default",
    "  source:",
    `    repoURL: https://github.com/${OWNER}/${REPO}.git`,
    "    targetRevision: HEAD",
    "    path: guestbook",
    "  destination:",
    "    server: https://kubernetes.default.svc",
    "    namespace: default",
  ];
  if (opts.automated || opts.retry) lines.push("  syncPolicy:");
  if (opts.automated) lines.push(`    automated: { prune: ${opts.automated.prune ?? false}, selfHeal: ${opts.automated.selfHeal ?? false} }`);
  if (opts.retry) lines.push(`    retry: ${opts.retry}`);
  return lines.join("\n") + "\n";
}

/**
 * The repository at `sha`: its recursive tree `trees` times (the config read, then once per
 * operation that renders the app), and a blob reply for each of `blobs` (fetched once: the App
 * caches blobs by id).
 */
export function serveAppRepo(scope: MockScope, sha: string, files: Record<string, string>, opts: { trees: number; blobs: string[] }): void {
  const tree = Object.entries(files).map(([path, text]) => ({ path, mode: "100644", type: "blob", sha: gitBlobSha(text), size: Buffer.byteLength(text) }));
  if (opts.trees > 0) scope.get(`${R}/git/trees/${sha}`).query({ recursive: "1" }).times(opts.trees).reply(200, { sha: `tree-${sha}`, tree, truncated: false });
  for (const path of opts.blobs) {
    const text = files[path];
    if (text === undefined) throw new Error(`serveAppRepo: no file ${path}`);
    const blob = gitBlobSha(text);
    scope.get(`${R}/git/blobs/${blob}`).reply(200, { sha: blob, size: Buffer.byteLength(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
  }
}

/** The default branch (`master`, as the webhook examples say) and its head, as a command reads them. */
export function expectDefaultHead(scope: MockScope, sha: string): void {
  scope.get(R).reply(200, { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "master", private: false });
  scope.get(`${R}/git/ref/heads%2Fmaster`).reply(200, { ref: "refs/heads/master", object: { sha, type: "commit" } });
}

export function expectDeployment(scope: MockScope, id: number, captured: Captured = []): Captured {
  scope.post(`${R}/deployments`).reply(201, (_uri, body) => {
    captured.push(body as Body);
    return { id, ref: (body as Body).ref, environment: (body as Body).environment };
  });
  return captured;
}

export function expectDeploymentStatus(scope: MockScope, id: number, state: string, captured: Captured = []): Captured {
  scope.post(`${R}/deployments/${id}/statuses`, (b: Body) => b.state === state).reply(201, (_uri, body) => {
    captured.push(body as Body);
    return { id: captured.length, state };
  });
  return captured;
}

/** `PATCH /check-runs/:id` to this status, `times` times. */
export function expectCheckPatches(scope: MockScope, id: number, status: string, times: number, captured: Captured = []): Captured {
  scope
    .patch(`${R}/check-runs/${id}`, (b: Body) => b.status === status)
    .times(times)
    .reply(200, (_uri, body) => {
      captured.push(body as Body);
      return { id, status };
    });
  return captured;
}
