// The HTTP API with plain fetch (the server in plain-HTTP mode, which fetch can reach without a CA).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { configMap, deployment } from "./helpers.js";

let cluster: SimulatedCluster;
const TOKEN = "test-token";

interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function k8s(path: string, init: { method?: string; body?: unknown; contentType?: string; token?: string | null; accept?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: init.accept ?? "application/json" };
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? TOKEN}`;
  if (init.body !== undefined) headers["Content-Type"] = init.contentType ?? "application/json";
  const res = await fetch(cluster.url + path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (logs)
  }
  return { status: res.status, headers: res.headers, body };
}

/** Reads newline-delimited JSON from a streaming GET until `until` says stop, the stream ends, or the time is up. */
async function stream(path: string, until: (lines: any[]) => boolean, timeoutMs = 3000): Promise<{ lines: any[]; ended: boolean }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const res = await fetch(cluster.url + path, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: ctrl.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const lines: unknown[] = [];
  let buf = "";
  let ended = false;
  try {
    while (!until(lines)) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buf += Buffer.from(value).toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) lines.push(p.startsWith("{") ? JSON.parse(p) : p);
    }
  } catch (err) {
    if (!ctrl.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return { lines, ended };
}

beforeAll(async () => {
  cluster = await startSimulatedCluster({ tls: false, historySize: 20, bookmarkIntervalMs: 100, namespaces: ["http"], controllers: false });
});
afterAll(async () => {
  await cluster.close();
});

describe("authentication, version and discovery", () => {
  it("refuses requests without a bearer token with 401, and records who asked", async () => {
    const r = await k8s("/api/v1/namespaces", { token: null });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
    await k8s("/api/v1/namespaces", { token: "someone-else" });
    const users = cluster.api.requests.list({ resource: "namespaces", verb: "list" }).map((x) => x.user);
    expect(users).toContain(undefined);
    expect(users.some((u) => u?.startsWith("token:"))).toBe(true);
    expect(cluster.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.kubeconfig()).toContain("insecure-skip-tls-verify: true");
  });

  it("says it is a simulation", async () => {
    const r = await k8s("/version", { token: null });
    expect(r.body.gitVersion).toBe("v1.33.0-tiphys-simulated");
    expect(cluster.kubeconfig()).toContain("name: tiphys-simulated");
  });

  it("serves legacy and aggregated discovery", async () => {
    expect((await k8s("/api")).body).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const core = (await k8s("/api/v1")).body;
    const pods = core.resources.find((r: { name: string }) => r.name === "pods");
    expect(pods).toMatchObject({ singularName: "pod", namespaced: true, kind: "Pod", shortNames: ["po"], categories: ["all"] });
    expect(pods.verbs).toEqual(expect.arrayContaining(["get", "list", "watch", "create", "patch", "delete"]));
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(["pods/log", "pods/status", "namespaces", "configmaps"]));
    const apps = (await k8s("/apis/apps/v1")).body;
    expect(apps.resources.find((r: { name: string }) => r.name === "deployments/scale")).toMatchObject({ kind: "Scale", group: "autoscaling", version: "v1" });
    const groups = (await k8s("/apis")).body.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(["apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"]));
    const aggregated = await k8s("/apis", { accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" });
    expect(aggregated.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    expect(aggregated.body.items.find((g: { metadata: { name: string } }) => g.metadata.name === "apps").versions[0].resources.map((r: { resource: string }) => r.resource)).toContain("deployments");
    expect((await k8s("/apis/example.com/v1")).status).toBe(404);
    expect((await k8s("/openapi/v3")).body.paths["apis/apps/v1"].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
  });
});

describe("objects over HTTP", () => {
  const cms = "/api/v1/namespaces/http/configmaps";

  it("creates (201), reads, and answers stale PUTs with a 409 Status", async () => {
    const created = await k8s(cms, { method: "POST", body: configMap("one", { a: "1" }) });
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields[0].manager).toBe("node");
    const fresh = await k8s(`${cms}/one`, { method: "PUT", body: { ...created.body, data: { a: "2" } } });
    expect(fresh.status).toBe(200);
    const stale = await k8s(`${cms}/one`, { method: "PUT", body: { ...created.body, data: { a: "3" } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again',
      reason: "Conflict",
      details: { name: "one", group: "", kind: "configmaps" },
      code: 409,
    });
  });

  it("answers 422 for a bad name, 404 for a missing namespace, 409 for a duplicate, 400 for a body that is not JSON", async () => {
    const bad = await k8s(cms, { method: "POST", body: configMap("Not_Valid") });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes[0]).toMatchObject({ reason: "FieldValueInvalid", field: "metadata.name" });
    expect((await k8s("/api/v1/namespaces/missing/configmaps", { method: "POST", body: configMap("x") })).body.message).toBe('namespaces "missing" not found');
    await k8s(cms, { method: "POST", body: configMap("dup") });
    expect((await k8s(cms, { method: "POST", body: configMap("dup") })).body.reason).toBe("AlreadyExists");
    expect((await k8s(cms, { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await k8s(`${cms}/dup`, { method: "PATCH", body: {}, contentType: "application/xml" })).status).toBe(415);
  });

  it("patches with merge, strategic, JSON patch and apply bodies", async () => {
    const path = "/apis/apps/v1/namespaces/http/deployments";
    await k8s(path, { method: "POST", body: deployment("web") });
    const merge = await k8s(`${path}/web`, { method: "PATCH", body: { metadata: { labels: { team: "a" } } }, contentType: "application/merge-patch+json" });
    expect(merge.body.metadata.labels).toEqual({ app: "web", team: "a" });
    const smp = await k8s(`${path}/web`, { method: "PATCH", body: { spec: { template: { spec: { containers: [{ name: "side", image: "envoy" }] } } } }, contentType: "application/strategic-merge-patch+json" });
    expect(smp.body.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(["main", "side"]);
    const json = await k8s(`${path}/web`, { method: "PATCH", body: [{ op: "replace", path: "/spec/replicas", value: 4 }], contentType: "application/json-patch+json" });
    expect(json.body.spec.replicas).toBe(4);
    expect(json.body.metadata.generation).toBe(3);
    const yamlBody = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 6\n";
    const noManager = await k8s(`${path}/web`, { method: "PATCH", body: yamlBody, contentType: "application/apply-patch+yaml" });
    expect(noManager.status).toBe(400);
    const conflict = await k8s(`${path}/web?fieldManager=ci&force=false`, { method: "PATCH", body: yamlBody, contentType: "application/apply-patch+yaml" });
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "node" using apps/v1: .spec.replicas');
    const forced = await k8s(`${path}/web?fieldManager=ci&force=true`, { method: "PATCH", body: yamlBody, contentType: "application/apply-patch+yaml" });
    expect(forced.body.spec.replicas).toBe(6);
    const created = await k8s(`${path}/other?fieldManager=ci`, { method: "PATCH", body: JSON.stringify(deployment("other")), contentType: "application/apply-patch+yaml" });
    expect(created.status).toBe(201);
  });

  it("serves /scale and /status, and changes nothing with dryRun=All", async () => {
    const path = "/apis/apps/v1/namespaces/http/deployments";
    await k8s(path, { method: "POST", body: deployment("scaled", { replicas: 2 }) });
    const scale = await k8s(`${path}/scaled/scale`, { method: "PATCH", body: { spec: { replicas: 3 } }, contentType: "application/merge-patch+json" });
    expect(scale.body).toMatchObject({ kind: "Scale", spec: { replicas: 3 }, status: { selector: "app=scaled" } });
    const current = (await k8s(`${path}/scaled`)).body;
    const status = await k8s(`${path}/scaled/status`, { method: "PUT", body: { ...current, spec: { ...current.spec, replicas: 9 }, status: { replicas: 3 } } });
    expect(status.body.spec.replicas).toBe(3);
    expect(status.body.status).toEqual({ replicas: 3 });
    const dry = await k8s(`${path}/scaled?dryRun=All`, { method: "DELETE" });
    expect(dry.status).toBe(200);
    expect((await k8s(`${path}/scaled`)).status).toBe(200);
  });

  it("binds a pod to a node, and deletes a collection by selector", async () => {
    const pods = "/api/v1/namespaces/http/pods";
    for (const n of ["b1", "b2"]) await k8s(pods, { method: "POST", body: { metadata: { name: n, labels: { batch: "yes" } }, spec: { containers: [{ name: "c", image: "x" }] } } });
    expect((await k8s(`${pods}/b1/binding`, { method: "POST", body: { apiVersion: "v1", kind: "Binding", metadata: { name: "b1" }, target: { kind: "Node", name: "node-1" } } })).status).toBe(201);
    expect((await k8s(`${pods}/b1`)).body.spec.nodeName).toBe("node-1");
    expect((await k8s(`${pods}/b1/binding`, { method: "POST", body: { target: { name: "node-2" } } })).status).toBe(409);
    const deleted = await k8s(`${pods}?labelSelector=batch%3Dyes&gracePeriodSeconds=0`, { method: "DELETE" });
    expect(deleted.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(["b1", "b2"]);
    expect((await k8s(`${pods}?labelSelector=batch%3Dyes`)).body.items).toEqual([]);
    expect((await k8s(`${pods}/b1/exec`)).status).toBe(404);
  });

  it("deletes with a Status, or returns the object while finalizers hold it", async () => {
    await k8s(cms, { method: "POST", body: configMap("gone") });
    const gone = await k8s(`${cms}/gone`, { method: "DELETE", body: { propagationPolicy: "Foreground" } });
    expect(gone.body).toMatchObject({ kind: "Status", status: "Success", details: { name: "gone", kind: "configmaps" } });
    await k8s(cms, { method: "POST", body: configMap("held", {}, { finalizers: ["x/y"] }) });
    const held = await k8s(`${cms}/held?propagationPolicy=Background`, { method: "DELETE" });
    expect(held.body.metadata.deletionTimestamp).toBeDefined();
    expect((await k8s(`${cms}/held`)).status).toBe(200);
  });

  it("lists with percent-encoded selectors, pages, and prints Tables", async () => {
    for (const [n, tier] of [["l1", "web"], ["l2", "db"], ["l3", "web"]]) await k8s(cms, { method: "POST", body: configMap(n, {}, { labels: { tier, set: "list" } }) });
    const sel = encodeURIComponent("set=list,tier!=db");
    expect((await k8s(`${cms}?labelSelector=${sel}`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["l1", "l3"]);
    const page1 = (await k8s(`${cms}?labelSelector=set%3Dlist&limit=2`)).body;
    expect(page1).toMatchObject({ kind: "ConfigMapList", apiVersion: "v1" });
    expect(page1.items).toHaveLength(2);
    const page2 = (await k8s(`${cms}?labelSelector=set%3Dlist&limit=2&continue=${page1.metadata.continue}`)).body;
    expect(page2.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["l3"]);
    expect((await k8s(`${cms}?fieldSelector=data.x%3Dy`)).status).toBe(400);
    const table = (await k8s(`${cms}?labelSelector=set%3Dlist`, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" })).body;
    expect(table.kind).toBe("Table");
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(table.rows[0]).toMatchObject({ cells: ["l1", 0, expect.stringMatching(/^\d+s$/)], object: { kind: "PartialObjectMetadata", metadata: { name: "l1" } } });
  });
});

describe("watch streams", () => {
  const path = "/api/v1/namespaces/http/configmaps";

  it("replays from a resourceVersion, holds the stream open with bookmarks", async () => {
    const first = await k8s(path, { method: "POST", body: configMap("w1") });
    await k8s(path, { method: "POST", body: configMap("w2") });
    const { lines, ended } = await stream(`${path}?watch=true&resourceVersion=${first.body.metadata.resourceVersion}&allowWatchBookmarks=true`, (l) => l.filter((x) => x.type === "BOOKMARK").length >= 2);
    expect(ended).toBe(false);
    expect(lines[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "w2" } } });
    expect(lines.filter((l) => l.type === "BOOKMARK")[0]).toMatchObject({ object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: cluster.api.resourceVersion } } });
  });

  it("sends ADDED for what exists without a resourceVersion, then changes as they happen", async () => {
    const watching = stream(`${path}?watch=1&labelSelector=${encodeURIComponent("w=live")}`, (l) => l.length >= 3);
    while (!cluster.api.requests.list({ verb: "watch" }).some((r) => r.query.includes("w%3Dlive"))) await new Promise((r) => setTimeout(r, 10));
    await k8s(path, { method: "POST", body: configMap("live1", {}, { labels: { w: "live" } }) });
    await k8s(`${path}/live1`, { method: "PATCH", body: { data: { a: "b" } }, contentType: "application/merge-patch+json" });
    await k8s(`${path}/live1`, { method: "DELETE" });
    const { lines } = await watching;
    expect(lines.map((l) => l.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  });

  it("answers a too old resourceVersion with an ERROR event carrying 410", async () => {
    for (let i = 0; i < 25; i++) await k8s(path, { method: "POST", body: configMap(`old-${i}`) });
    const { lines, ended } = await stream(`${path}?watch=true&resourceVersion=1`, () => false);
    expect(ended).toBe(true);
    expect(lines).toEqual([{ type: "ERROR", object: expect.objectContaining({ kind: "Status", code: 410, reason: "Expired", message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/) }) }]);
  });

  it("ends at timeoutSeconds", async () => {
    const started = Date.now();
    const { ended } = await stream(`${path}?watch=true&timeoutSeconds=1&resourceVersion=${cluster.api.resourceVersion}`, () => false, 5000);
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe("pod logs", () => {
  const pods = "/api/v1/namespaces/http/pods";

  it("says a container that has not started is waiting, then serves and follows its log", async () => {
    await k8s(pods, { method: "POST", body: { apiVersion: "v1", kind: "Pod", metadata: { name: "logger" }, spec: { containers: [{ name: "main", image: "busybox" }, { name: "side", image: "busybox" }] } } });
    const waiting = await k8s(`${pods}/logger/log?container=main`);
    expect(waiting.status).toBe(400);
    expect(waiting.body.message).toBe('container "main" in pod "logger" is waiting to start: ContainerCreating');
    expect((await k8s(`${pods}/logger/log`)).body.message).toBe("a container name must be specified for pod logger, choose one of: [main side]");
    cluster.api.appendLog("http", "logger", "main", "a\nb\nc\n");
    expect((await k8s(`${pods}/logger/log?container=main&tailLines=2`)).body).toBe("b\nc\n");
    const following = stream(`${pods}/logger/log?container=main&follow=true`, () => false);
    await new Promise((r) => setTimeout(r, 100));
    cluster.api.appendLog("http", "logger", "main", "d\n");
    cluster.api.closeLog("http", "logger", "main");
    const { lines, ended } = await following;
    expect(lines).toEqual(["a", "b", "c", "d"]);
    expect(ended).toBe(true);
  });
});

describe("faults", () => {
  it("answers 429 with Retry-After, adds latency, errors by verb, and drops watches, configurable at run time", async () => {
    const { faults } = cluster.api;
    faults.set({ tooManyRequests: { rate: 1, retryAfterSeconds: 2 }, resources: ["configmaps"] });
    const throttled = await k8s("/api/v1/namespaces/http/configmaps");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("2");
    expect(throttled.body).toMatchObject({ reason: "TooManyRequests", details: { retryAfterSeconds: 2 } });
    expect((await k8s("/api/v1/namespaces/http/secrets")).status).toBe(200);

    faults.set({ latencyMs: 150 });
    const started = Date.now();
    await k8s("/api/v1/namespaces");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    faults.set({ errorRate: { create: 1 } });
    expect((await k8s("/api/v1/namespaces/http/configmaps", { method: "POST", body: configMap("fault") })).status).toBe(500);
    expect((await k8s("/api/v1/namespaces/http/configmaps")).status).toBe(200);

    faults.set({ conflictRate: { update: 1 } });
    const cm = (await k8s("/api/v1/namespaces/http/configmaps/one")).body;
    expect((await k8s("/api/v1/namespaces/http/configmaps/one", { method: "PUT", body: cm })).status).toBe(409);

    faults.set({ watchDisconnectSeconds: 0.2 });
    const { ended } = await stream(`/api/v1/namespaces/http/configmaps?watch=true&resourceVersion=${cluster.api.resourceVersion}`, () => false, 3000);
    expect(ended).toBe(true);
    faults.clear();
  });

  it("draws the same faults from the same seed", async () => {
    const outcomes = async () => {
      cluster.api.faults.set({ seed: 42, errorRate: { get: 0.5 } });
      const codes: number[] = [];
      for (let i = 0; i < 12; i++) codes.push((await k8s("/api/v1/namespaces/default")).status);
      return codes;
    };
    const a = await outcomes();
    const b = await outcomes();
    cluster.api.faults.clear();
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 500]));
  });
});
