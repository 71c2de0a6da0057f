/**
 * The fake GitHub's App-level side and its controls: installation tokens and who may call what,
 * webhook deliveries and redelivery, rate-limit headers, failure injection, latency, the request
 * log, unhandled routes and waitFor.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, unsignedJwt } from "../helpers/fake-github.js";
import { APP_ID, createWorld, disposeWorld, INSTALLATION, NAME, OWNER, statusOf, type World } from "./setup.js";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => disposeWorld(w));
afterEach(() => expect(w.fake.unhandled).toEqual([]));

const repo = { owner: OWNER, repo: NAME };
const get = (fake: { apiUrl: string }, path: string, authorization?: string) =>
  fetch(`${fake.apiUrl}${path}`, { headers: authorization ? { authorization } : {} });

describe("authentication", () => {
  it("issues an installation token for 1 hour to a JWT from the App", async () => {
    const res = await fetch(`${w.fake.apiUrl}/app/installations/${INSTALLATION}/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${unsignedJwt(APP_ID)}` },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; expires_at: string };
    expect(body.token).toMatch(/^ghs_[0-9a-f]{36}$/);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3590_000);
    expect(w.fake.issuedTokens.map((t) => t.token)).toContain(body.token);
    expect(w.fake.issuedTokens.find((t) => t.token === body.token)?.installationId).toBe(INSTALLATION);
  });

  it("refuses App routes without a JWT of this App, and unknown installations", async () => {
    const post = (installation: number, authorization?: string) =>
      fetch(`${w.fake.apiUrl}/app/installations/${installation}/access_tokens`, { method: "POST", headers: authorization ? { authorization } : {} });
    expect((await post(INSTALLATION)).status).toBe(401);
    expect((await post(INSTALLATION, `Bearer ${unsignedJwt(APP_ID + 1)}`)).status).toBe(401);
    expect((await post(INSTALLATION, `Bearer ${unsignedJwt(APP_ID, -120)}`)).status).toBe(401); // expired
    expect((await post(INSTALLATION, "Bearer not.a-jwt")).status).toBe(401);
    expect((await post(INSTALLATION, `token ${w.token}`)).status).toBe(401);
    expect((await post(999, `Bearer ${unsignedJwt(APP_ID)}`)).status).toBe(404);
  });

  it("refuses repository routes without an issued installation token", async () => {
    const noAuth = await get(w.fake, `/repos/${OWNER}/${NAME}`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ message: "Bad credentials" });
    expect((await get(w.fake, `/repos/${OWNER}/${NAME}`, `Bearer ${unsignedJwt(APP_ID)}`)).status).toBe(401);
    expect((await get(w.fake, `/repos/${OWNER}/${NAME}`, `token ghs_${"0".repeat(36)}`)).status).toBe(401);
    expect((await get(w.fake, `/repos/${OWNER}/${NAME}`, `Bearer ${w.token}`)).status).toBe(200);
    expect((await get(w.fake, `/repos/${OWNER}/${NAME}`, `token ${w.token}`)).status).toBe(200);
  });

  it("answers GET /app and the repository's installation to the App", async () => {
    const { data: app } = await w.appOctokit.rest.apps.getAuthenticated();
    expect(app).toMatchObject({ id: APP_ID, slug: "tiphys", name: "Tiphys" });
    const { data: inst } = await w.appOctokit.rest.apps.getRepoInstallation(repo);
    expect(inst.id).toBe(INSTALLATION);
    expect(await statusOf(w.octokit.rest.apps.getRepoInstallation(repo))).toBe(401);
  });
});

describe("webhook deliveries", () => {
  const redelivered: number[] = [];
  beforeAll(() => {
    w.fake.onRedeliver = (id) => {
      redelivered.push(id);
    };
    for (let i = 0; i < 5; i++) {
      w.fake.recordDelivery({
        id: 100 + i,
        event: "push",
        status: i === 3 ? "failed" : "OK",
        status_code: i === 3 ? 502 : 200,
        delivered_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      });
    }
  });

  it("lists deliveries newest first, a page at a time through the Link cursor", async () => {
    const first = await w.appOctokit.rest.apps.listWebhookDeliveries({ per_page: 2 });
    expect(first.data.map((d) => d.id)).toEqual([104, 103]);
    expect(first.data[1]).toMatchObject({ status: "failed", status_code: 502, event: "push", redelivery: false });
    expect(first.headers.link).toMatch(/cursor=v1_102>; rel="next"/);
    const all = await w.appOctokit.paginate(w.appOctokit.rest.apps.listWebhookDeliveries, { per_page: 2 });
    expect(all.map((d) => d.id)).toEqual([104, 103, 102, 101, 100]);
  });

  it("accepts a redelivery with 202, records it and calls the test's hook", async () => {
    const { status } = await w.appOctokit.rest.apps.redeliverWebhookDelivery({ delivery_id: 103 });
    expect(status).toBe(202);
    await w.fake.waitFor(() => redelivered.length > 0, 1000);
    expect(redelivered).toEqual([103]);
    expect(w.fake.redeliveries.map((r) => r.id)).toEqual([103]);
    expect(await statusOf(w.appOctokit.rest.apps.redeliverWebhookDelivery({ delivery_id: 7 }))).toBe(404);
    expect(await statusOf(w.octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: 103 }))).toBe(401);
  });
});

describe("test-side controls", () => {
  it("sends rate-limit headers on every response and serves /rate_limit", async () => {
    const a = await w.octokit.rest.repos.get(repo);
    const b = await w.octokit.rest.repos.get(repo);
    expect(a.headers["x-ratelimit-limit"]).toBe("5000");
    expect(Number(a.headers["x-ratelimit-remaining"]) - Number(b.headers["x-ratelimit-remaining"])).toBe(1);
    expect(Number(a.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
    const { data } = await w.octokit.rest.rateLimit.get();
    expect(data.resources.core).toMatchObject({ limit: 5000, remaining: Number(b.headers["x-ratelimit-remaining"]) - 1 });
  });

  it("fails the next matching requests as asked, then answers normally", async () => {
    w.fake.failNext("GET", /^\/repos\/acme\/widgets$/, 502, 2);
    w.fake.failNext("POST", /\/check-runs$/, 403);
    expect(await statusOf(w.octokit.rest.repos.get(repo))).toBe(502);
    expect(await statusOf(w.octokit.rest.repos.getBranch({ ...repo, branch: "main" }))).toBe(200); // path does not match
    expect(await statusOf(w.octokit.rest.repos.get(repo))).toBe(502);
    expect(await statusOf(w.octokit.rest.repos.get(repo))).toBe(200);

    const limited = await w.octokit.rest.checks.create({ ...repo, name: "x", head_sha: w.head }).catch((e: { status: number; response: { headers: Record<string, string> } }) => e);
    expect(limited).toMatchObject({ status: 403, response: { headers: { "retry-after": "1" } } });
    expect(w.fake.checkRuns(OWNER, NAME)).toEqual([]);
  });

  it("answers an unknown route 404 and records it in unhandled", async () => {
    expect(await statusOf(w.octokit.request("GET /repos/{owner}/{repo}/hooks", repo))).toBe(404);
    const outside = await fetch(`${w.fake.url}/repos/${OWNER}/${NAME}`, { headers: { authorization: `token ${w.token}` } });
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ message: "Not Found" });
    expect(w.fake.unhandled.map((u) => [u.method, u.path, u.reason])).toEqual([
      ["GET", `/repos/${OWNER}/${NAME}/hooks`, "no route"],
      ["GET", `/repos/${OWNER}/${NAME}`, "outside /api/v3"],
    ]);
    w.fake.unhandled.length = 0;
  });

  it("records every request with its decoded path, query, body, headers and time", async () => {
    const before = w.fake.requests.length;
    await w.octokit.rest.repos.getContent({ ...repo, path: ".tiphys/build.yaml", ref: "feature" });
    await w.octokit.rest.issues.createComment({ ...repo, issue_number: 2, body: "hi" });
    const [read, write] = w.fake.requests.slice(before);
    expect(read).toMatchObject({ method: "GET", path: `/repos/${OWNER}/${NAME}/contents/.tiphys/build.yaml`, query: { ref: "feature" }, status: 200 });
    expect(read.rawPath).toBe(`/api/v3/repos/${OWNER}/${NAME}/contents/.tiphys%2Fbuild.yaml`);
    expect(write).toMatchObject({ method: "POST", body: { body: "hi" }, status: 201 });
    expect(write.headers.authorization).toBe(`token ${w.token}`);
    expect(write.at).toBeGreaterThan(read.at);
  });

  it("waitFor resolves with the predicate's value, or rejects listing the last requests", async () => {
    void w.octokit.rest.issues.createComment({ ...repo, issue_number: 4, body: "later" });
    const found = await w.fake.waitFor((f) => f.comments(OWNER, NAME, 4)[0], 2000);
    expect(found.body).toBe("later");
    const failure = w.fake.waitFor(() => false, 100);
    await expect(failure).rejects.toThrow(/within 100 ms; last 20 requests:\n/);
    await expect(failure).rejects.toThrow(/\n {2}POST \/repos\/acme\/widgets\/issues\/4\/comments -> 201$/);
  });

  it("delays each response by latencyMs, and stops serving once closed", async () => {
    const slow = await startFakeGitHub({ latencyMs: 150 });
    const started = performance.now();
    expect((await get(slow, "/rate_limit")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    await slow.close();
    await expect(get(slow, "/rate_limit")).rejects.toThrow();
  });
});
