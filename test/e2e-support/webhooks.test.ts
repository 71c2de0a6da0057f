/**
 * The webhook helpers against the real thing: a Probot app behind its Node middleware, whose
 * Octokit talks to the fake GitHub, receives signed example payloads retargeted at the fake's repo.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { examplePayload, retarget, sendWebhook, signPayload, type WebhookPayload } from "../helpers/webhooks.js";
import { APP_ID, createWorld, disposeWorld, INSTALLATION, NAME, OWNER, TestOctokit, type World } from "./setup.js";

const SECRET = "s3cret";
let w: World;
let server: Server;
let hookUrl: string;

beforeAll(async () => {
  w = await createWorld();
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const probot = new Probot({ appId: APP_ID, privateKey, secret: SECRET, baseUrl: w.fake.apiUrl, Octokit: TestOctokit, logLevel: "fatal" });
  const middleware = await createNodeMiddleware(
    (app: Probot) => {
      app.on("push", async (context) => {
        await context.octokit.rest.checks.create(context.repo({ name: "tiphys/push", head_sha: context.payload.after }));
      });
      app.on("issue_comment.created", async (context) => {
        await context.octokit.rest.reactions.createForIssueComment(context.repo({ comment_id: context.payload.comment.id, content: "eyes" as const }));
      });
    },
    { probot },
  );
  server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
  await disposeWorld(w);
});

describe("sendWebhook into a Probot app backed by the fake", () => {
  it("delivers a signed push that the app answers by creating a check run as the installation", async () => {
    const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha: w.head, ref: "feature", before: w.base });
    const before = w.fake.requests.length;

    const res = await sendWebhook({ url: hookUrl, secret: SECRET, event: "push", payload });

    expect(res.status).toBe(200);
    expect(res.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.ms).toBeGreaterThan(0);
    const runs = await w.fake.waitFor((f) => f.checkRuns(OWNER, NAME).length > 0 && f.checkRuns(OWNER, NAME), 5000);
    expect(runs.map((r) => [r.name, r.head_sha])).toEqual([["tiphys/push", w.head]]);
    expect(w.fake.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `POST /app/installations/${INSTALLATION}/access_tokens 201`,
      `POST /repos/${OWNER}/${NAME}/check-runs 201`,
    ]);
    expect(w.fake.unhandled).toEqual([]);
  });

  it("is refused with a bad signature, and the app calls nothing", async () => {
    const before = w.fake.requests.length;
    const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha: w.head });
    const res = await sendWebhook({ url: hookUrl, secret: SECRET, event: "push", payload, badSignature: true });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/signature does not match/);
    expect(w.fake.requests.length).toBe(before);
  });

  it("delivers an issue comment that the app reacts to", async () => {
    const payload = retarget(examplePayload("issue_comment.created"), { owner: OWNER, name: NAME, installationId: INSTALLATION });
    const comment = payload.comment as { id: number };
    w.fake.addComment({ owner: OWNER, name: NAME, number: 1, body: "/tiphys run", author: "octo", id: comment.id });
    expect((await sendWebhook({ url: hookUrl, secret: SECRET, event: "issue_comment", payload })).status).toBe(200);
    expect(w.fake.reactions(OWNER, NAME).map((r) => [r.subjectId, r.content])).toEqual([[comment.id, "eyes"]]);
  });
});

describe("payload helpers", () => {
  it("signs like GitHub: sha256= and the hex HMAC of the exact body", () => {
    // From GitHub's "Validating webhook deliveries" docs.
    expect(signPayload("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("returns a deep copy of an example, by event, action and filter", () => {
    const a = examplePayload("pull_request.opened");
    expect(a.action).toBe("opened");
    (a.pull_request as WebhookPayload).number = -1;
    expect((examplePayload("pull_request.opened").pull_request as WebhookPayload).number).not.toBe(-1);
    expect(examplePayload("issue_comment", (p) => p.installation !== undefined).installation).toBeDefined();
    expect(() => examplePayload("no_such_event")).toThrow(/no webhook examples/);
    expect(() => examplePayload("push", () => false)).toThrow(/none of the \d+ "push" examples/);
  });

  it("retargets a push at another repository, installation, commit and branch", () => {
    const p = retarget(examplePayload("push"), { owner: "acme", name: "widgets", installationId: 7, sha: "a".repeat(40), ref: "feature", before: "b".repeat(40) });
    expect(p).toMatchObject({
      ref: "refs/heads/feature",
      before: "b".repeat(40),
      after: "a".repeat(40),
      head_commit: { id: "a".repeat(40) },
      installation: { id: 7 },
      repository: { name: "widgets", full_name: "acme/widgets", owner: { login: "acme" } },
    });
    expect(JSON.stringify(p)).not.toContain("Codertocat/Hello-World");
  });

  it("retargets a pull request's head and base", () => {
    const p = retarget(examplePayload("pull_request.opened"), {
      owner: "acme", name: "widgets", installationId: 7, sha: "c".repeat(40), ref: "feature", baseRef: "main", baseSha: "d".repeat(40), number: 5,
    });
    expect(p).toMatchObject({
      number: 5,
      pull_request: {
        number: 5,
        head: { sha: "c".repeat(40), ref: "feature", label: "acme:feature", repo: { full_name: "acme/widgets" } },
        base: { sha: "d".repeat(40), ref: "main", repo: { full_name: "acme/widgets", owner: { login: "acme" } } },
      },
    });
  });
});
