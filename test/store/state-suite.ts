import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports/store.js";
import { at, makeNode, makeRun, T0, type Backend, type StoreLocation } from "./backends.js";

/** Runs, node states, audit, locks, values and the store's lifecycle: the same on every backend. */
export function defineStateSuite(backend: Backend): void {
  let location: StoreLocation;
  let store: Store;
  beforeEach(async () => {
    location = await backend.createLocation();
    store = await location.open();
  });
  afterEach(async () => {
    await location.dispose();
  });

  describe("runs", () => {
    it("stores a run with every field and reads it back", async () => {
      const run = makeRun("ci-abc12", {
        ref: "refs/heads/main",
        prNumber: 42,
        checkRunId: 31_000_000_001, // GitHub check run ids are past 2^31
        installationId: 98_765_432,
        message: "waiting",
        startedAt: at(5),
      });
      await store.createRun(run);
      expect(await store.getRun("ci-abc12")).toEqual(run);
      expect(await store.getRun("missing")).toBeUndefined();
    });

    it("updates only the given fields, and clears optional ones given as undefined", async () => {
      await store.createRun(makeRun("r1", { message: "queued", prNumber: 7 }));
      await store.updateRun("r1", { phase: "Running", startedAt: at(10), meta: { step: 2 } });
      await store.updateRun("r1", { message: undefined });
      const run = await store.getRun("r1");
      expect(run).toMatchObject({ phase: "Running", startedAt: at(10), meta: { step: 2 }, prNumber: 7, repo: "octo/app" });
      expect(run?.message).toBeUndefined();
    });

    it("finds runs by every filter, newest first", async () => {
      await store.createRun(makeRun("a", { createdAt: at(1), prNumber: 1, phase: "Succeeded" }));
      await store.createRun(makeRun("b", { createdAt: at(2), prNumber: 1, workflowName: "lint" }));
      await store.createRun(makeRun("c", { createdAt: at(3), repo: "octo/other", headSha: "b".repeat(40) }));
      await store.createRun(makeRun("d", { createdAt: at(4), installationId: 2, phase: "Running" }));
      const ids = async (f: Parameters<Store["findRuns"]>[0]) => (await store.findRuns(f)).map((r) => r.id);

      expect(await ids({})).toEqual(["d", "c", "b", "a"]);
      expect(await ids({ repo: "octo/app" })).toEqual(["d", "b", "a"]);
      expect(await ids({ repo: "octo/app", workflowName: "ci" })).toEqual(["d", "a"]);
      expect(await ids({ prNumber: 1 })).toEqual(["b", "a"]);
      expect(await ids({ headSha: "b".repeat(40) })).toEqual(["c"]);
      expect(await ids({ phases: ["Pending", "Running"] })).toEqual(["d", "c", "b"]);
      expect(await ids({ phases: [] })).toEqual([]);
      expect(await ids({ installationId: 2 })).toEqual(["d"]);
      expect(await ids({ limit: 2 })).toEqual(["d", "c"]);
    });

    it("adopts unfinished runs that no one owns or whose lease ran out, once", async () => {
      await store.createRun(makeRun("orphan", { phase: "Running" }));
      await store.createRun(makeRun("expired", { ownerId: "dead", leaseUntil: at(500) }));
      await store.createRun(makeRun("alive", { phase: "Running", ownerId: "w1", leaseUntil: at(5_000) }));
      await store.createRun(makeRun("done", { phase: "Succeeded" }));

      const adopted = await store.adoptRuns("w2", 1_000, at(1_000));
      expect(adopted.map((r) => r.id).sort()).toEqual(["expired", "orphan"]);
      expect(adopted[0]).toMatchObject({ ownerId: "w2", leaseUntil: at(2_000) });
      expect(await store.adoptRuns("w3", 1_000, at(1_000))).toEqual([]);

      await store.renewRunLeases("w2", 5_000, at(1_500));
      expect(await store.adoptRuns("w3", 1_000, at(3_000))).toEqual([]);
      expect((await store.getRun("orphan"))?.leaseUntil).toEqual(at(6_500));

      const later = await store.adoptRuns("w3", 1_000, at(7_000));
      expect(later.map((r) => r.id).sort()).toEqual(["alive", "expired", "orphan"]);
    });

    it("never hands one run to two replicas adopting at once", async () => {
      for (let i = 0; i < 30; i++) await store.createRun(makeRun(`run-${i}`, { createdAt: at(i) }));
      const other = backend.concurrentStores ? await location.open() : store;
      const [a, b] = await Promise.all([store.adoptRuns("w1", 60_000, at(100)), other.adoptRuns("w2", 60_000, at(100))]);
      const all = [...a, ...b].map((r) => r.id);
      expect(new Set(all).size).toBe(30);
      expect(all).toHaveLength(30);
    });
  });

  describe("node states", () => {
    it("upserts, loads and replaces hundreds of nodes per run", async () => {
      await store.createRun(makeRun("big"));
      await store.createRun(makeRun("small"));
      const nodes = Array.from({ length: 500 }, (_, i) => makeNode(i, { phase: "Running" }));
      await store.saveNodes("big", nodes);
      await store.saveNodes("small", [makeNode(0)]);
      const loaded = await store.loadNodes("big");
      expect(Object.keys(loaded)).toHaveLength(500);
      expect(loaded["wf-499"]).toEqual(nodes[499]);

      await store.saveNodes("big", [
        ...Array.from({ length: 10 }, (_, i) => makeNode(i, { phase: "Succeeded", finishedAt: at(9).toISOString() })),
        makeNode(500),
      ]);
      const updated = await store.loadNodes("big");
      expect(Object.keys(updated)).toHaveLength(501);
      expect(updated["wf-3"]).toMatchObject({ phase: "Succeeded", finishedAt: at(9).toISOString() });
      expect(updated["wf-10"].phase).toBe("Running");

      await store.replaceNodes("big", [makeNode(1), makeNode(2)]);
      expect(Object.keys(await store.loadNodes("big")).sort()).toEqual(["wf-1", "wf-2"]);
      expect(Object.keys(await store.loadNodes("small"))).toEqual(["wf-0"]);
      await store.replaceNodes("big", []);
      expect(await store.loadNodes("big")).toEqual({});
    });
  });

  describe("node logs", () => {
    it("appends chunks per node in order and reads the whole log or its tail", async () => {
      await store.createRun(makeRun("r"));
      await store.appendNodeLogs("r", [
        { nodeId: "a", text: "one\n" },
        { nodeId: "b", text: "b-one\n" },
        { nodeId: "a", text: "two\n" },
      ]);
      await store.appendNodeLogs("r", [{ nodeId: "a", text: "three ünïcode\n" }, { nodeId: "c", text: "" }]);
      expect(await store.readNodeLog("r", "a")).toEqual({ text: "one\ntwo\nthree ünïcode\n", truncated: false });
      expect(await store.readNodeLog("r", "b")).toEqual({ text: "b-one\n", truncated: false });
      expect(await store.readNodeLog("r", "c")).toBeUndefined();
      expect(await store.readNodeLog("other", "a")).toBeUndefined();
      // A tail in bytes never splits a character: "ï" is two bytes.
      expect(await store.readNodeLog("r", "a", { tailBytes: 7 })).toEqual({ text: "ïcode\n", truncated: true });
      expect(await store.readNodeLog("r", "a", { tailBytes: 6 })).toEqual({ text: "code\n", truncated: true });
      expect(await store.readNodeLog("r", "a", { tailBytes: 1000 })).toEqual({ text: "one\ntwo\nthree ünïcode\n", truncated: false });
    });

    it("keeps only the end of a log past the size limit, and forgets a deleted run's logs", async () => {
      await store.createRun(makeRun("r"));
      for (let i = 0; i < 10; i++) await store.appendNodeLogs("r", [{ nodeId: "n", text: `line ${i}\n` }], { maxBytes: 21 });
      // Whole chunks go first: the last three lines (7 bytes each) fit in 21 bytes.
      expect(await store.readNodeLog("r", "n")).toEqual({ text: "line 7\nline 8\nline 9\n", truncated: true });
      // A chunk larger than the limit keeps its own end.
      await store.appendNodeLogs("r", [{ nodeId: "big", text: "x".repeat(50) + "\nthe end\n" }], { maxBytes: 12 });
      expect(await store.readNodeLog("r", "big")).toEqual({ text: "xxx\nthe end\n", truncated: true });
      await store.deleteRun("r");
      expect(await store.readNodeLog("r", "n")).toBeUndefined();
    });
  });

  describe("audit log", () => {
    it("appends entries and lists them newest first, by repo and with a limit", async () => {
      const entry = { actor: "mona", action: "command", decision: "allowed" as const };
      await store.audit({ ...entry, at: at(1), repo: "octo/app", target: "sync api", details: { verb: "sync" } });
      await store.audit({ ...entry, at: at(2), repo: "octo/other", decision: "refused", reason: "read only" });
      await store.audit({ ...entry, at: at(3), repo: "octo/app", installationId: 5, sha: "abc" });

      const all = await store.listAudit();
      expect(all.map((e) => e.at)).toEqual([at(3), at(2), at(1)]);
      expect(all[2]).toEqual({ ...entry, at: at(1), repo: "octo/app", target: "sync api", details: { verb: "sync" } });
      expect((await store.listAudit({ repo: "octo/app" })).map((e) => e.at)).toEqual([at(3), at(1)]);
      expect(await store.listAudit({ limit: 1 })).toMatchObject([{ at: at(3), installationId: 5, sha: "abc" }]);
    });
  });

  describe("locks", () => {
    it("is exclusive until it expires, and re-entrant for its owner", async () => {
      expect(await store.tryLock("deploy/api", "o1", 1_000, at(0))).toBe(true);
      expect(await store.tryLock("deploy/api", "o2", 1_000, at(500))).toBe(false);
      expect(await store.tryLock("deploy/web", "o2", 1_000, at(500))).toBe(true);
      expect(await store.tryLock("deploy/api", "o1", 1_000, at(800))).toBe(true); // extends to 1800
      expect(await store.tryLock("deploy/api", "o2", 1_000, at(1_200))).toBe(false);
      expect(await store.tryLock("deploy/api", "o2", 1_000, at(1_900))).toBe(true);
      expect(await store.tryLock("deploy/api", "o1", 1_000, at(2_000))).toBe(false);
    });

    it("is released only by its owner", async () => {
      await store.tryLock("l", "o1", 60_000, at(0));
      await store.unlock("l", "o2");
      expect(await store.tryLock("l", "o2", 60_000, at(1))).toBe(false);
      await store.unlock("l", "o1");
      expect(await store.tryLock("l", "o2", 60_000, at(2))).toBe(true);
    });

    it("lets one of many simultaneous contenders win", async () => {
      const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => store.tryLock("hot", `o${i}`, 60_000, at(0))));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("values", () => {
    it("puts, overwrites, lists by exact prefix and deletes values per namespace", async () => {
      expect(await store.getValue("cron", "nightly")).toBeUndefined();
      await store.putValue("cron", "nightly", { last: T0.toISOString() });
      await store.putValue("cron", "nightly", { last: at(60_000).toISOString() });
      await store.putValue("cron", "weekly", 3);
      await store.putValue("approvals", "nightly", true);
      await store.putValue("sensor", "a%b", "percent");
      await store.putValue("sensor", "axb", "x");
      await store.putValue("sensor", "A%b", "upper");

      expect(await store.getValue("cron", "nightly")).toEqual({ last: at(60_000).toISOString() });
      expect(await store.listValues("cron")).toEqual([
        { key: "nightly", value: { last: at(60_000).toISOString() } },
        { key: "weekly", value: 3 },
      ]);
      expect(await store.listValues("sensor", "a%")).toEqual([{ key: "a%b", value: "percent" }]);
      expect(await store.listValues("sensor", "a_b")).toEqual([]);

      await store.deleteValue("cron", "nightly");
      expect(await store.getValue("cron", "nightly")).toBeUndefined();
      expect(await store.getValue("approvals", "nightly")).toBe(true);
    });
  });

  describe("lifecycle", () => {
    it("answers ping while open and not after close", async () => {
      expect(await store.ping()).toBe(true);
      await store.close();
      expect(await store.ping()).toBe(false);
    });

    it("keeps everything across close and reopen", async () => {
      await store.recordDelivery({ id: "d", event: "push", receivedAt: T0 });
      await store.createRun(makeRun("r", { phase: "Running" }));
      await store.saveNodes("r", [makeNode(1)]);
      await store.enqueue({ kind: "push", installationId: 1, payload: {}, key: "k" });
      await store.putValue("ns", "k", [1, 2]);
      await store.close();
      if (location.dataDir) expect(existsSync(join(location.dataDir, "tiphys.db"))).toBe(true);

      const reopened = await location.open();
      expect(await reopened.hasDelivery("d")).toBe(true);
      expect((await reopened.getRun("r"))?.phase).toBe("Running");
      expect(Object.keys(await reopened.loadNodes("r"))).toEqual(["wf-1"]);
      expect(await reopened.enqueue({ kind: "push", installationId: 1, payload: {}, key: "k" })).toBeUndefined();
      expect(await reopened.getValue("ns", "k")).toEqual([1, 2]);
    });

    it("migrates idempotently when opened again (and by a second replica)", async () => {
      await store.putValue("ns", "k", 1);
      const second = await location.open();
      const third = await location.open();
      expect(await second.getValue("ns", "k")).toBe(1);
      expect(await third.ping()).toBe(true);
    });
  });
}
