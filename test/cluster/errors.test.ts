// How the adapter fails and retries: server refusals as the core's error classes, retries on 429
// (Retry-After honoured) and 5xx, the per-cluster rate limit, and both TLS and plain-HTTP kubeconfigs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import { ConfigError, ExternalError } from "../../src/core/errors.js";
import { configMap, rejection, startHarness, until, type Harness } from "./helpers.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  h.sim.api.create("configmaps", configMap("there", { a: "1" }), { namespace: "default" });
});
afterAll(() => h.close());

const there = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "there" };

/** A cluster on the same simulation with other client-side limits. */
const withLimits = (limits: Parameters<typeof clusterFromKubeconfig>[0]["limits"]) => clusterFromKubeconfig({ text: h.sim.kubeconfig(), limits: { backoffMs: 20, ...limits } });

describe("errors", () => {
  it("422 Invalid is a ConfigError with the server's causes as problems", async () => {
    const err = await rejection(h.cluster.create(configMap("Not_A_Name")));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/creating ConfigMap Not_A_Name on cluster tiphys-simulated: .*is invalid/);
    expect((err as ConfigError).problems).toEqual([expect.objectContaining({ field: "metadata.name", severity: "error" })]);
  });

  it("401 (no credentials) and 403 (forbidden) are ExternalErrors with their status, not retried", async () => {
    const config = parse(h.sim.kubeconfig()) as { users: Array<{ user: Record<string, unknown> }> };
    delete config.users[0]!.user.token;
    const anonymous = clusterFromKubeconfig({ text: stringify(config) });
    h.sim.api.requests.reset();
    const unauthorized = await rejection(anonymous.get(there));
    expect(unauthorized).toBeInstanceOf(ExternalError);
    expect((unauthorized as ExternalError).status).toBe(401);
    expect(h.sim.api.requests.count()).toBe(1);

    const forbidden = await rejection(h.cluster.delete({ apiVersion: "v1", kind: "Namespace", name: "kube-system" }));
    expect(forbidden).toBeInstanceOf(ExternalError);
    expect((forbidden as ExternalError).status).toBe(403);
    expect(forbidden.message).toMatch(/may not be deleted/);
  });

  it("409 AlreadyExists is an ExternalError with status 409", async () => {
    const err = await rejection(h.cluster.create(configMap("there")));
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as ExternalError).status).toBe(409);
    expect(err.message).toMatch(/already exists/);
  });

  it("a refused connection is retried, then an ExternalError without status", async () => {
    const config = parse(h.sim.kubeconfig()) as { clusters: Array<{ cluster: { server: string } }> };
    config.clusters[0]!.cluster.server = "https://127.0.0.1:1";
    const nowhere = clusterFromKubeconfig({ text: stringify(config), limits: { maxAttempts: 2, backoffMs: 10 } });
    const err = await rejection(nowhere.resourceFor("v1", "ConfigMap"));
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as ExternalError).status).toBeUndefined();
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

describe("retries", () => {
  it("waits as long as Retry-After says after a 429, then succeeds", async () => {
    const c = withLimits({});
    await c.resourceFor("v1", "ConfigMap");
    h.sim.api.requests.reset();
    h.sim.api.faults.set({ tooManyRequests: { rate: 1, retryAfterSeconds: 1, verbs: ["get"] } });
    const got = c.get(there);
    await until(() => h.sim.api.requests.count({ verb: "get" }) === 1, 5_000, "the throttled request");
    h.sim.api.faults.clear();
    expect((await got)?.data).toEqual({ a: "1" });
    const [first, second] = h.sim.api.requests.list({ verb: "get" });
    expect(first!.code).toBe(429);
    expect(second!.code).toBe(200);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it("gives up on 429 after maxAttempts with an ExternalError carrying Retry-After", async () => {
    const c = withLimits({ maxAttempts: 3 });
    await c.resourceFor("v1", "ConfigMap");
    h.sim.api.requests.reset();
    h.sim.api.faults.set({ tooManyRequests: { rate: 1, retryAfterSeconds: 0 } });
    try {
      const err = await rejection(c.get(there));
      expect(err).toBeInstanceOf(ExternalError);
      expect((err as ExternalError).status).toBe(429);
      expect((err as ExternalError).retryAfterMs).toBe(0);
      expect(h.sim.api.requests.count({ verb: "get" })).toBe(3);
    } finally {
      h.sim.api.faults.clear();
    }
  });

  it("retries 500s with backoff and succeeds once the server recovers", async () => {
    const c = withLimits({ maxAttempts: 8 });
    await c.resourceFor("v1", "ConfigMap");
    h.sim.api.requests.reset();
    h.sim.api.faults.set({ errorRate: { list: 1 } });
    const listed = c.list("v1", "ConfigMap", { namespace: "default" });
    await until(() => h.sim.api.requests.count({ verb: "list" }) >= 2, 5_000, "two failures");
    h.sim.api.faults.clear();
    expect((await listed).map((i) => i.metadata.name)).toContain("there");
    const codes = h.sim.api.requests.list({ verb: "list" }).map((r) => r.code);
    expect(codes.slice(0, 2)).toEqual([500, 500]);
    expect(codes.at(-1)).toBe(200);
  });

  it("gives up on 500s after maxAttempts with an ExternalError", async () => {
    const c = withLimits({ maxAttempts: 3 });
    await c.resourceFor("v1", "ConfigMap");
    h.sim.api.requests.reset();
    h.sim.api.faults.set({ errorRate: { patch: 1 } });
    try {
      const err = await rejection(c.apply(configMap("never")));
      expect(err).toBeInstanceOf(ExternalError);
      expect((err as ExternalError).status).toBe(500);
      expect(err.message).toMatch(/applying ConfigMap never on cluster tiphys-simulated failed with HTTP 500: .*simulated fault/);
      expect(h.sim.api.requests.count({ verb: "patch" })).toBe(3);
    } finally {
      h.sim.api.faults.clear();
    }
  });
});

describe("rate limit", () => {
  const spread = async (c: ReturnType<typeof withLimits>) => {
    await c.resourceFor("v1", "ConfigMap");
    h.sim.api.requests.reset();
    await Promise.all(Array.from({ length: 7 }, () => c.get(there)));
    const times = h.sim.api.requests.list({ verb: "get" }).map((r) => r.at);
    return times.at(-1)! - times[0]!;
  };

  it("spaces requests by qps once the burst is spent", async () => {
    // burst 2, 10/s: the 5 requests after the burst (and the one discovery took) wait about 100 ms each.
    expect(await spread(withLimits({ qps: 10, burst: 2 }))).toBeGreaterThanOrEqual(450);
  });

  it("does not hold requests back within the burst", async () => {
    // The same 7 requests spaced at 10/s would take 600 ms.
    expect(await spread(withLimits({ qps: 10, burst: 20 }))).toBeLessThan(400);
  });
});

describe("transport", () => {
  it("works over HTTPS with the kubeconfig's certificate authority (the default)", async () => {
    expect(h.cluster.server).toMatch(/^https:/);
    expect(h.sim.kubeconfig()).toMatch(/certificate-authority-data/);
    expect((await h.cluster.get(there))?.data).toEqual({ a: "1" });
  });

  it("works over plain HTTP with an insecure-skip-tls-verify kubeconfig", async () => {
    const plain = await startHarness({ tls: false });
    try {
      expect(plain.cluster.server).toMatch(/^http:/);
      expect(plain.sim.kubeconfig()).toMatch(/insecure-skip-tls-verify: true/);
      await plain.cluster.apply(configMap("plain", { a: "1" }));
      expect((await plain.cluster.get({ ...there, name: "plain" }))?.data).toEqual({ a: "1" });
      const events: string[] = [];
      const w = plain.cluster.watch("v1", "ConfigMap", { namespace: "default" }, (e) => events.push(e.type));
      await w.ready;
      w.stop();
      expect(events).toEqual(["ADDED"]);
    } finally {
      await plain.close();
    }
  });

  it("refuses a plain-HTTP server without insecure-skip-tls-verify, as the client does, as a ConfigError", async () => {
    const plain = await startHarness({ tls: false });
    try {
      const text = plain.sim.kubeconfig().replace(/\n\s*insecure-skip-tls-verify: true/, "");
      const err = await rejection(clusterFromKubeconfig({ text }).get(there));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(/http:\/\/ but the kubeconfig does not set insecure-skip-tls-verify/);
    } finally {
      await plain.close();
    }
  });
});
