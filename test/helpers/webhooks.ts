/**
 * Webhooks as GitHub sends them: signed with the App's secret, from the real examples of
 * @octokit/webhooks-examples, retargeted at a fake repository.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";

/** A webhook payload; tests narrow what they read. */
export type WebhookPayload = { [key: string]: unknown };

interface WebhookDefinition {
  name: string;
  examples: WebhookPayload[];
}

// The package's main is a .json file and its types do not fit NodeNext, hence require.
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

export function signPayload(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface SendWebhookOptions {
  /** The App's webhook endpoint, e.g. `http://127.0.0.1:3000/api/github/webhooks`. */
  url: string;
  secret: string;
  event: string;
  /** An object (sent as JSON) or the exact body text. */
  payload: WebhookPayload | string;
  /** Default: a fresh UUID. */
  deliveryId?: string;
  /** Sign with another secret, as a forged request would be. */
  badSignature?: boolean;
}

export interface WebhookResult {
  status: number;
  body: string;
  /** Wall time of the request, in milliseconds. */
  ms: number;
  deliveryId: string;
}

export async function sendWebhook(opts: SendWebhookOptions): Promise<WebhookResult> {
  const body = typeof opts.payload === "string" ? opts.payload : JSON.stringify(opts.payload);
  const deliveryId = opts.deliveryId ?? randomUUID();
  const signature = signPayload(opts.badSignature ? `${opts.secret}-forged` : opts.secret, body);
  const started = performance.now();
  const res = await fetch(opts.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/test",
      "x-github-event": opts.event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": signature,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started, deliveryId };
}

/**
 * A deep copy of the first example of `event` ("push", or "issue_comment.created" to pick an action)
 * that `filter` accepts. Throws when there is none, naming how many examples the event has.
 */
export function examplePayload(event: string, filter: (p: WebhookPayload) => boolean = () => true): WebhookPayload {
  const [name, action] = event.split(".");
  const definition = definitions.find((d) => d.name === name);
  if (!definition) throw new Error(`no webhook examples for event "${name}"`);
  const found = definition.examples.find((p) => (action === undefined || p.action === action) && filter(p));
  if (!found) throw new Error(`none of the ${definition.examples.length} "${name}" examples matches ${action ? `action "${action}" and ` : ""}the filter`);
  return structuredClone(found);
}

export interface RetargetOptions {
  owner: string;
  name: string;
  installationId: number;
  /** push: `after` and `head_commit.id`; pull_request: `head.sha`; check_run/check_suite: `head_sha`. */
  sha?: string;
  /** push: `ref` (a bare branch name becomes `refs/heads/<name>`); pull_request: `head.ref`. */
  ref?: string;
  /** push: `before`. */
  before?: string;
  /** pull_request: `base.ref` and `base.sha`. */
  baseRef?: string;
  baseSha?: string;
  /** pull_request / issue: the number. */
  number?: number;
  /** The fake's numeric repository id, when the handler looks it up. */
  repositoryId?: number;
}

const isObject = (v: unknown): v is WebhookPayload => typeof v === "object" && v !== null && !Array.isArray(v);

/** Replaces `from` with `to` inside every string of `value` (URLs and the like), in place. */
function replaceStrings(value: unknown, from: string, to: string): unknown {
  if (typeof value === "string") return value.split(from).join(to);
  if (Array.isArray(value)) value.forEach((v, i) => (value[i] = replaceStrings(v, from, to)));
  else if (isObject(value)) for (const k of Object.keys(value)) value[k] = replaceStrings(value[k], from, to);
  return value;
}

function retargetRepo(repo: WebhookPayload, opts: RetargetOptions): void {
  repo.name = opts.name;
  repo.full_name = `${opts.owner}/${opts.name}`;
  if (opts.repositoryId !== undefined) repo.id = opts.repositoryId;
  if (isObject(repo.owner)) {
    repo.owner.login = opts.owner;
    if ("name" in repo.owner) repo.owner.name = opts.owner;
  }
}

/**
 * Points a payload at another repository and installation (and, for push, pull_request and checks,
 * at another commit), in place; returns it.
 */
export function retarget(payload: WebhookPayload, opts: RetargetOptions): WebhookPayload {
  const repository = payload.repository;
  if (isObject(repository) && typeof repository.full_name === "string") {
    replaceStrings(payload, repository.full_name, `${opts.owner}/${opts.name}`);
  }
  if (isObject(payload.repository)) retargetRepo(payload.repository, opts);
  payload.installation = { ...(isObject(payload.installation) ? payload.installation : {}), id: opts.installationId, node_id: `I_${opts.installationId}` };
  if (isObject(payload.organization)) payload.organization.login = opts.owner;

  if (typeof payload.after === "string" && typeof payload.ref === "string") {
    if (opts.sha) {
      payload.after = opts.sha;
      if (isObject(payload.head_commit)) payload.head_commit.id = opts.sha;
      const commits = Array.isArray(payload.commits) ? payload.commits : [];
      const last = commits[commits.length - 1];
      if (isObject(last)) last.id = opts.sha;
    }
    if (opts.ref) payload.ref = opts.ref.startsWith("refs/") ? opts.ref : `refs/heads/${opts.ref}`;
    if (opts.before) payload.before = opts.before;
  }

  const pr = payload.pull_request;
  if (isObject(pr)) {
    if (opts.number !== undefined) pr.number = opts.number;
    for (const side of ["head", "base"] as const) {
      const end = pr[side];
      if (!isObject(end)) continue;
      if (isObject(end.repo)) retargetRepo(end.repo, opts);
      if (isObject(end.user)) end.user.login = opts.owner;
      const ref = side === "head" ? opts.ref : opts.baseRef;
      const sha = side === "head" ? opts.sha : opts.baseSha;
      if (ref) end.ref = ref;
      if (sha) end.sha = sha;
      end.label = `${opts.owner}:${String(end.ref)}`;
    }
  }
  if (opts.number !== undefined) {
    if (typeof payload.number === "number") payload.number = opts.number;
    if (isObject(payload.issue)) payload.issue.number = opts.number;
  }
  for (const key of ["check_run", "check_suite"]) {
    const check = payload[key];
    if (isObject(check) && opts.sha) check.head_sha = opts.sha;
  }
  return payload;
}
