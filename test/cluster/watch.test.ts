// The adapter's watch: list then watch, resume from the last resourceVersion after the server drops
// the stream, relist after 410 Gone, bookmarks; against the simulated cluster through the real client.
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, ExternalError } from "../../src/core/errors.js";
import type { WatchEvent, WatchHandle } from "../../src/core/ports/cluster.js";
import type { SimulatedClusterOptions } from "../../src/simcluster/index.js";
import { configMap, rejection, startHarness, until, type Harness } from "./helpers.js";

let h: Harness | undefined;
let handle: WatchHandle | undefined;

afterEach(async () => {
  handle?.stop();
  handle = undefined;
  await h?.close();
  h = undefined;
});

async function setup(opts: SimulatedClusterOptions = {}) {
  h = await startHarness({ namespaces: ["w"], ...opts });
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  return { h, events, errors };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const changes = (events: WatchEvent[]) => events.filter((e) => e.type !== "BOOKMARK") as Array<Extract<WatchEvent, { object: unknown }>>;
const summary = (events: WatchEvent[]) => changes(events).map((e) => `${e.type} ${e.object.metadata.name} ${JSON.stringify((e.object as { data?: unknown }).data ?? {})}`);

describe("watch", () => {
  it("reports what exists as ADDED, then ADDED, MODIFIED and DELETED in order", async () => {
    const { h, events } = await setup();
    h.sim.api.create("configmaps", configMap("before", { v: "0" }, { labels: { app: "x" } }), { namespace: "w" });
    h.sim.api.create("configmaps", configMap("unrelated", {}, { labels: { app: "y" } }), { namespace: "w" });
    handle = h.cluster.watch("v1", "ConfigMap", { namespace: "w", labelSelector: "app=x" }, (e) => events.push(e));
    await handle.ready;
    await h.cluster.create(configMap("c1", { v: "1" }, { namespace: "w", labels: { app: "x" } }));
    await h.cluster.patch({ apiVersion: "v1", kind: "ConfigMap", namespace: "w", name: "c1" }, { data: { v: "2" } }, "merge");
    await h.cluster.create(configMap("c2", {}, { namespace: "w", labels: { app: "y" } }));
    await h.cluster.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "w", name: "c1" });
    await until(() => changes(events).length >= 4, 5_000, "four events");
    expect(summary(events)).toEqual(['ADDED before {"v":"0"}', 'ADDED c1 {"v":"1"}', 'MODIFIED c1 {"v":"2"}', 'DELETED c1 {"v":"2"}']);
    expect(changes(events).every((e) => e.object.apiVersion === "v1" && e.object.kind === "ConfigMap")).toBe(true);
  });

  it("resumes after the server drops the stream, without losing or repeating an event", async () => {
    const { h, events, errors } = await setup({ faults: { watchDisconnectSeconds: 0.25 } });
    handle = h.cluster.watch("v1", "ConfigMap", { namespace: "w" }, (e) => events.push(e), (e) => errors.push(e));
    await handle.ready;
    const written: string[] = [];
    for (let i = 0; i < 12; i++) {
      const cm = await h.cluster.apply(configMap("counter", { n: String(i) }, { namespace: "w" }));
      written.push(cm.metadata.resourceVersion!);
      await sleep(70);
    }
    await until(() => changes(events).at(-1)?.object.metadata.resourceVersion === written.at(-1), 5_000, "the last write");
    expect(changes(events).map((e) => e.object.metadata.resourceVersion)).toEqual(written);
    expect(changes(events).map((e) => e.type)).toEqual(["ADDED", ...Array(11).fill("MODIFIED")]);
    const watches = h.sim.api.requests.list({ verb: "watch", resource: "configmaps" });
    expect(watches.length).toBeGreaterThanOrEqual(3);
    // Every re-watch starts from a resourceVersion, and there was no second list.
    expect(watches.every((w) => /resourceVersion=\d+/.test(w.query))).toBe(true);
    expect(h.sim.api.requests.count({ verb: "list", resource: "configmaps" })).toBe(1);
    expect(errors).toEqual([]);
  });

  it("lists again after 410 Gone and reports the difference as events", async () => {
    const { h, events, errors } = await setup({ historySize: 5, faults: { watchDisconnectSeconds: 0.2 } });
    h.sim.api.create("configmaps", configMap("stays", { v: "0" }), { namespace: "w" });
    h.sim.api.create("configmaps", configMap("goes"), { namespace: "w" });
    h.sim.api.create("configmaps", configMap("reborn", { life: "1" }), { namespace: "w" });
    handle = h.cluster.watch("v1", "ConfigMap", { namespace: "w" }, (e) => events.push(e), (e) => errors.push(e));
    await handle.ready;
    // Refuse new streams (the current one drops soon) while more changes happen than the server keeps.
    h.sim.api.faults.update({ errorRate: { watch: 1 } });
    await until(() => h.sim.api.requests.list({ verb: "watch" }).some((w) => w.code === 500), 5_000, "a refused watch");
    h.sim.api.delete("configmaps", "w", "reborn");
    for (let i = 0; i < 8; i++) h.sim.api.create("configmaps", configMap(`new-${i}`), { namespace: "w" });
    h.sim.api.patch("configmaps", "w", "stays", { data: { v: "1" } }, { type: "merge" });
    h.sim.api.delete("configmaps", "w", "goes");
    h.sim.api.create("configmaps", configMap("reborn"), { namespace: "w" });
    h.sim.api.faults.update({ errorRate: {} });
    await until(() => changes(events).some((e) => e.type === "DELETED"), 10_000, "the relist");
    expect(h.sim.api.requests.count({ verb: "list", resource: "configmaps" })).toBe(2);
    expect(summary(events).slice(0, 3).sort()).toEqual(["ADDED goes {}", 'ADDED reborn {"life":"1"}', 'ADDED stays {"v":"0"}']);
    const after = summary(events).slice(3);
    expect(after.filter((s) => s.startsWith("ADDED new-"))).toHaveLength(8);
    expect(after).toContain('MODIFIED stays {"v":"1"}');
    expect(after).toContain("DELETED goes {}");
    // Deleted and created again in the gap: a new object (uid), not a modification.
    const reborn = after.filter((s) => s.includes(" reborn "));
    expect(reborn).toEqual(['DELETED reborn {"life":"1"}', "ADDED reborn {}"]);
    expect(after).toHaveLength(12);
    // The refused re-watches were reported, as the cluster failing.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(ExternalError);
    // And the watch is live again.
    await h.cluster.create(configMap("later", {}, { namespace: "w" }));
    await until(() => summary(events).at(-1) === "ADDED later {}", 5_000, "an event after the relist");
  });

  it("passes bookmarks on and resumes from a bookmark's resourceVersion", async () => {
    const { h, events } = await setup({ bookmarkIntervalMs: 50, faults: { watchDisconnectSeconds: 0.3 } });
    handle = h.cluster.watch("v1", "ConfigMap", { namespace: "w" }, (e) => events.push(e));
    await handle.ready;
    // Changes elsewhere move the resourceVersion on; bookmarks carry it to the watcher.
    const other = h.sim.api.create("configmaps", configMap("elsewhere"), { namespace: "default" });
    const past = (rv: string | null) => Number(rv) >= Number(other.metadata.resourceVersion);
    await until(() => events.some((e) => e.type === "BOOKMARK" && past(e.resourceVersion)), 5_000, "a bookmark");
    expect(changes(events)).toEqual([]);
    // The list said an older version; only a bookmark can have told the re-watch this one.
    const rewatched = () => h.sim.api.requests.list({ verb: "watch" }).filter((w) => past(new URLSearchParams(w.query).get("resourceVersion")));
    await until(() => rewatched().length > 0, 5_000, "a re-watch from the bookmark");
    expect(rewatched()[0]!.query).toMatch(/allowWatchBookmarks=true/);
    expect(h.sim.api.requests.count({ verb: "list", resource: "configmaps" })).toBe(1);
  });

  it("stops for good: the stream closes and no request follows", async () => {
    const { h, events } = await setup({ bookmarkIntervalMs: 50 });
    handle = h.cluster.watch("v1", "ConfigMap", { namespace: "w" }, (e) => events.push(e));
    await handle.ready;
    handle.stop();
    await sleep(50);
    const count = h.sim.api.requests.count();
    const seen = events.length;
    h.sim.api.create("configmaps", configMap("unseen"), { namespace: "w" });
    await sleep(300);
    expect(h.sim.api.requests.count()).toBe(count);
    expect(events.length).toBe(seen);
  });

  it("rejects `ready` with a ConfigError for a kind the cluster does not serve", async () => {
    const { h, errors } = await setup();
    handle = h.cluster.watch("example.com/v1", "Nothing", {}, () => {}, (e) => errors.push(e));
    const err = await rejection(handle.ready);
    expect(err).toBeInstanceOf(ConfigError);
    expect(errors).toEqual([err]);
  });
});
