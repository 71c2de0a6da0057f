// The adapter (src/cluster) through the real @kubernetes/client-node against the simulated cluster
// over HTTPS: discovery, reads, writes, patches and deletion.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { configMap, deployment, rejection, startHarness, WIDGET_CRD, type Harness } from "./helpers.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ namespaces: ["team-a", "team-b"] });
});
afterAll(() => h.close());
beforeEach(() => h.sim.api.requests.reset());

const discoveries = () => h.sim.api.requests.count({ verb: "discovery" });

describe("discovery", () => {
  it("asks once per group version, however many calls follow", async () => {
    const fresh = await startHarness();
    try {
      const c = fresh.cluster;
      const info = await c.resourceFor("apps/v1", "Deployment");
      expect(info).toMatchObject({ group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true });
      expect(info?.verbs).toContain("patch");
      expect(await c.resourceFor("v1", "Namespace")).toMatchObject({ plural: "namespaces", namespaced: false });
      await Promise.all([c.resourceFor("v1", "ConfigMap"), c.resourceFor("v1", "Pod")]);
      for (let i = 0; i < 5; i++) await c.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: `cm-${i}` });
      await c.list("apps/v1", "Deployment");
      await c.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "web" });
      expect(fresh.sim.api.requests.list({ verb: "discovery" }).map((r) => r.path).sort()).toEqual(["/api/v1", "/apis/apps/v1"]);
    } finally {
      await fresh.close();
    }
  });

  it("asks again when a kind is unknown, so a CRD created after the first call is found", async () => {
    const c = h.cluster;
    expect(await c.resourceFor("example.com/v1", "Widget")).toBeUndefined();
    await c.create(WIDGET_CRD);
    const before = discoveries();
    expect(await c.resourceFor("example.com/v1", "Widget")).toMatchObject({ plural: "widgets", namespaced: true });
    expect(discoveries()).toBe(before + 1);
    const w = await c.create<KubeObject>({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "team-a" }, spec: { size: 3 } });
    expect(w.metadata.uid).toBeTruthy();
    expect(discoveries()).toBe(before + 1);
  });

  it("answers undefined for a kind the server does not serve, and operations on it fail with a ConfigError", async () => {
    expect(await h.cluster.resourceFor("v1", "Gizmo")).toBeUndefined();
    expect(await h.cluster.resourceFor("nothing.example/v9", "Thing")).toBeUndefined();
    const err = await rejection(h.cluster.get({ apiVersion: "nothing.example/v9", kind: "Thing", name: "t", namespace: "default" }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/does not serve Thing \(nothing\.example\/v9\)/);
    const create = await rejection(h.cluster.create({ apiVersion: "v1", kind: "Gizmo", metadata: { name: "g" } }));
    expect(create).toBeInstanceOf(ConfigError);
  });
});

describe("get and list", () => {
  beforeAll(async () => {
    for (const [ns, name, tier] of [
      ["team-a", "a1", "web"],
      ["team-a", "a2", "db"],
      ["team-a", "a3", "web"],
      ["team-b", "b1", "web"],
    ]) {
      await h.cluster.create(configMap(name, { k: name }, { namespace: ns, labels: { app: "shop", tier } }));
    }
  });

  it("gets an object as plain JSON, and undefined when it does not exist", async () => {
    const cm = await h.cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "a1" });
    expect(cm).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a1", namespace: "team-a" }, data: { k: "a1" } });
    // Timestamps stay strings (the typed client would make Dates of them).
    expect(typeof cm?.metadata.creationTimestamp).toBe("string");
    expect(await h.cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "missing" })).toBeUndefined();
  });

  it("gets a cluster-scoped object whatever namespace the ref carries", async () => {
    const ns = await h.cluster.get({ apiVersion: "v1", kind: "Namespace", name: "team-a", namespace: "ignored" });
    expect(ns?.metadata.name).toBe("team-a");
  });

  it("lists with label and field selectors, in one namespace or all, with apiVersion and kind on every item", async () => {
    const names = (items: KubeObject[]) => items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();
    const web = await h.cluster.list("v1", "ConfigMap", { labelSelector: "app=shop,tier=web" });
    expect(names(web)).toEqual(["team-a/a1", "team-a/a3", "team-b/b1"]);
    expect(web.every((i) => i.apiVersion === "v1" && i.kind === "ConfigMap")).toBe(true);
    expect(names(await h.cluster.list("v1", "ConfigMap", { namespace: "team-a", labelSelector: "app=shop,tier!=db" }))).toEqual(["team-a/a1", "team-a/a3"]);
    expect(names(await h.cluster.list("v1", "ConfigMap", { labelSelector: "tier in (db)" }))).toEqual(["team-a/a2"]);
    expect(names(await h.cluster.list("v1", "ConfigMap", { fieldSelector: "metadata.name=b1" }))).toEqual(["team-b/b1"]);
    expect(names(await h.cluster.list("v1", "ConfigMap", { namespace: "team-a", fieldSelector: "metadata.name!=a2", labelSelector: "app=shop" }))).toEqual(["team-a/a1", "team-a/a3"]);
  });

  it("follows continue tokens across pages of `limit` items", async () => {
    const items = await h.cluster.list("v1", "ConfigMap", { labelSelector: "app=shop", limit: 1 });
    expect(items).toHaveLength(4);
    const pages = h.sim.api.requests.list({ verb: "list", resource: "configmaps" });
    expect(pages).toHaveLength(4);
    expect(pages.filter((p) => /continue=/.test(p.query))).toHaveLength(3);
    expect(pages.every((p) => /limit=1(&|$)/.test(p.query))).toBe(true);
  });
});

describe("create, apply and replace", () => {
  it("creates, defaulting the namespace to the kubeconfig context's, with field manager tiphys; generateName works", async () => {
    const cm = await h.cluster.create(configMap("created", { a: "1" }));
    expect(cm.metadata).toMatchObject({ name: "created", namespace: "default" });
    expect((cm.metadata.managedFields as Array<{ manager: string }>)[0]!.manager).toBe("tiphys");
    const gen = await h.cluster.create<KubeObject>({ apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "gen-", namespace: "team-b" } });
    expect(gen.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const dry = await h.cluster.create(configMap("dry-only"), { dryRun: true });
    expect(dry.metadata.name).toBe("dry-only");
    expect(await h.cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "dry-only" })).toBeUndefined();
  });

  it("server-side applies: creates, updates, and changes nothing when applied again", async () => {
    const created = await h.cluster.apply(configMap("applied", { a: "1" }, { namespace: "team-a" }));
    expect(created.data).toEqual({ a: "1" });
    const updated = await h.cluster.apply(configMap("applied", { a: "2", b: "3" }, { namespace: "team-a" }));
    expect(updated.data).toEqual({ a: "2", b: "3" });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const again = await h.cluster.apply(configMap("applied", { a: "2", b: "3" }, { namespace: "team-a" }));
    expect(again.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
    const patch = h.sim.api.requests.list({ verb: "patch", resource: "configmaps" }).at(-1)!;
    expect(patch.query).toMatch(/fieldManager=tiphys/);
    expect(patch.query).toMatch(/force=false/);
    // Fields left out of the applied configuration are removed (we owned them).
    const fewer = await h.cluster.apply(configMap("applied", { a: "2" }, { namespace: "team-a" }));
    expect(fewer.data).toEqual({ a: "2" });
  });

  it("applies an object read back from the server (resourceVersion and managedFields are dropped)", async () => {
    const live = (await h.cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "applied" }))!;
    h.sim.api.patch("configmaps", "team-a", "applied", { metadata: { labels: { bump: "1" } } }, { type: "merge", fieldManager: "someone" });
    const out = await h.cluster.apply({ ...live, data: { a: "from-live" } });
    expect(out.data).toEqual({ a: "from-live" });
  });

  it("refuses to take over another manager's field unless forced, and names the conflict", async () => {
    await h.cluster.apply(configMap("contested", { owner: "kubectl" }, { namespace: "team-a" }), { fieldManager: "kubectl" });
    const err = await rejection(h.cluster.apply(configMap("contested", { owner: "tiphys" }, { namespace: "team-a" })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/conflict with "kubectl"/);
    expect(err.message).toMatch(/\.data\.owner/);
    expect((err as ConfigError).problems[0]).toMatchObject({ field: ".data.owner" });
    expect((await h.cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "contested" }))?.data).toEqual({ owner: "kubectl" });

    const forced = await h.cluster.apply(configMap("contested", { owner: "tiphys" }, { namespace: "team-a" }), { force: true });
    expect(forced.data).toEqual({ owner: "tiphys" });
    const managers = (forced.metadata.managedFields as Array<{ manager: string; fieldsV1?: Record<string, unknown> }>).map((m) => m.manager);
    expect(managers).toContain("tiphys");
  });

  it("replaces an object (PUT), with optimistic concurrency on a stale resourceVersion", async () => {
    const cm = await h.cluster.create(configMap("replaced", { a: "1" }, { namespace: "team-b" }));
    const out = await h.cluster.replace({ ...cm, data: { z: "26" } });
    expect(out.data).toEqual({ z: "26" });
    const stale = await rejection(h.cluster.replace({ ...cm, data: { y: "25" } }));
    expect(stale.name).toBe("ExternalError");
    expect((stale as { status?: number }).status).toBe(409);
  });
});

describe("patch", () => {
  it("merge patch: sets and removes keys", async () => {
    await h.cluster.create(configMap("merged", { a: "1", b: "2" }, { namespace: "team-a" }));
    const out = await h.cluster.patch({ apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "merged" }, { data: { b: null, c: "3" } }, "merge");
    expect(out.data).toEqual({ a: "1", c: "3" });
  });

  it("strategic merge patch: containers are merged by name", async () => {
    await h.cluster.create({
      ...deployment("web", [
        { name: "app", image: "app:1" },
        { name: "sidecar", image: "proxy:1" },
      ]),
      metadata: { name: "web", namespace: "team-a", labels: { app: "web" } },
    });
    const ref = { apiVersion: "apps/v1", kind: "Deployment", namespace: "team-a", name: "web" };
    const out = await h.cluster.patch<KubeObject & { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } }>(
      ref,
      { spec: { template: { spec: { containers: [{ name: "app", image: "app:2" }] } } } },
      "strategic",
    );
    expect(out.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(["app=app:2", "sidecar=proxy:1"]);
    // The same body as a merge patch replaces the whole list.
    const merged = await h.cluster.patch<typeof out>(ref, { spec: { template: { spec: { containers: [{ name: "app", image: "app:3" }] } } } }, "merge");
    expect(merged.spec.template.spec.containers.map((c) => c.name)).toEqual(["app"]);
  });

  it("JSON patch: operations in order, and a failed test operation is refused", async () => {
    await h.cluster.create(configMap("jsonp", { a: "1" }, { namespace: "team-a" }));
    const ref = { apiVersion: "v1", kind: "ConfigMap", namespace: "team-a", name: "jsonp" };
    const out = await h.cluster.patch(
      ref,
      [
        { op: "add", path: "/data/b", value: "2" },
        { op: "replace", path: "/data/a", value: "one" },
        { op: "add", path: "/metadata/labels", value: { patched: "yes" } },
      ],
      "json",
    );
    expect(out.data).toEqual({ a: "one", b: "2" });
    expect(out.metadata.labels).toEqual({ patched: "yes" });
    const failed = await rejection(h.cluster.patch(ref, [{ op: "test", path: "/data/a", value: "nope" }], "json"));
    expect(failed.name).toMatch(/Error/);
    expect((await h.cluster.get(ref))?.data).toEqual({ a: "one", b: "2" });
  });
});

describe("delete", () => {
  const cm = (name: string, ns = "team-b") => ({ apiVersion: "v1", kind: "ConfigMap", namespace: ns, name });

  async function ownerWithChild(name: string) {
    const owner = await h.cluster.create(configMap(name, {}, { namespace: "team-b" }));
    await h.cluster.create(
      configMap(`${name}-child`, {}, { namespace: "team-b", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name, uid: owner.metadata.uid!, blockOwnerDeletion: true }] }),
    );
  }

  it("deletes, and answers false when the object is already gone", async () => {
    await h.cluster.create(configMap("doomed", {}, { namespace: "team-b" }));
    expect(await h.cluster.delete(cm("doomed"))).toBe(true);
    expect(await h.cluster.get(cm("doomed"))).toBeUndefined();
    expect(await h.cluster.delete(cm("doomed"))).toBe(false);
  });

  it("Background removes the owner at once and its dependents after", async () => {
    await ownerWithChild("bg");
    expect(await h.cluster.delete(cm("bg"), { propagationPolicy: "Background" })).toBe(true);
    expect(await h.cluster.get(cm("bg"))).toBeUndefined();
    await h.sim.api.settle();
    expect(await h.cluster.get(cm("bg-child"))).toBeUndefined();
    expect(h.sim.api.requests.list({ verb: "delete" }).at(-1)!.query).toMatch(/propagationPolicy=Background/);
  });

  it("Orphan keeps the dependents, without their owner reference", async () => {
    await ownerWithChild("orph");
    await h.cluster.delete(cm("orph"), { propagationPolicy: "Orphan" });
    await h.sim.api.settle();
    expect(await h.cluster.get(cm("orph"))).toBeUndefined();
    const child = await h.cluster.get(cm("orph-child"));
    expect(child).toBeDefined();
    expect(child?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it("Foreground keeps the owner (deletionTimestamp, foregroundDeletion) until its dependents are gone", async () => {
    const owner = await h.cluster.create(configMap("fg", {}, { namespace: "team-b" }));
    // A finalizer holds the dependent, so the owner's wait can be seen.
    await h.cluster.create(
      configMap("fg-child", {}, { namespace: "team-b", finalizers: ["example.com/hold"], ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "fg", uid: owner.metadata.uid!, blockOwnerDeletion: true }] }),
    );
    expect(await h.cluster.delete(cm("fg"), { propagationPolicy: "Foreground" })).toBe(true);
    await h.sim.api.settle();
    const waiting = await h.cluster.get(cm("fg"));
    expect(waiting?.metadata.deletionTimestamp).toBeTruthy();
    expect(waiting?.metadata.finalizers).toContain("foregroundDeletion");
    expect((await h.cluster.get(cm("fg-child")))?.metadata.deletionTimestamp).toBeTruthy();
    await h.cluster.patch(cm("fg-child"), { metadata: { finalizers: null } }, "merge");
    await h.sim.api.settle();
    expect(await h.cluster.get(cm("fg-child"))).toBeUndefined();
    expect(await h.cluster.get(cm("fg"))).toBeUndefined();
  });
});
