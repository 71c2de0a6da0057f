/**
 * Push webhooks as GitHub sends them for the fixture's pushes: the real example payload of
 * @octokit/webhooks-examples (a branch push), retargeted at the fake repository, with the push's
 * real commits listed as GitHub lists them (message, author, added/modified/removed), and signed.
 */
import { examplePayload, retarget, signPayload, type WebhookPayload } from "../../test/helpers/webhooks.js";
import type { BenchCommit, BenchPush } from "./fixture.js";

export interface Target {
  owner: string;
  name: string;
  installationId: number;
  repositoryId: number;
}

/** A body ready to send: the bytes, their signature and the commit a check run should appear for. */
export interface SignedPush {
  body: Buffer;
  signature: string;
  sha: string;
}

const WEB = "https://github.com";

function commitJson(template: WebhookPayload, target: Target, c: BenchCommit): WebhookPayload {
  const person = { name: "Octo Dev", email: "octo-dev@example.com", username: "octo-dev" };
  return {
    ...template,
    id: c.id,
    tree_id: c.treeId,
    distinct: true,
    message: c.message,
    timestamp: new Date(c.time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    url: `${WEB}/${target.owner}/${target.name}/commit/${c.id}`,
    author: person,
    committer: person,
    added: c.added,
    removed: c.removed,
    modified: c.modified,
  };
}

/** A push of `push`'s commits to `branch` (default main). */
export function pushPayload(push: BenchPush, target: Target, branch = "main"): WebhookPayload {
  const payload = examplePayload("push", (p) => Array.isArray(p.commits) && p.commits.length > 0 && p.installation !== undefined);
  retarget(payload, {
    owner: target.owner,
    name: target.name,
    installationId: target.installationId,
    repositoryId: target.repositoryId,
    sha: push.after,
    before: push.before,
    ref: branch,
  });
  const template = (payload.commits as WebhookPayload[])[0];
  const commits = push.commits.map((c) => commitJson(template, target, c));
  payload.commits = commits;
  payload.head_commit = commits[commits.length - 1];
  payload.created = false;
  payload.forced = false;
  payload.base_ref = null;
  payload.compare = `${WEB}/${target.owner}/${target.name}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`;
  return payload;
}

export function signedPush(push: BenchPush, target: Target, secret: string, branch = "main"): SignedPush {
  const body = Buffer.from(JSON.stringify(pushPayload(push, target, branch)));
  return { body, signature: signPayload(secret, body.toString("utf8")), sha: push.after };
}
