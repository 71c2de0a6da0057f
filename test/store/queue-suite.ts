import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Job, Store } from "../../src/core/ports/store.js";
import { at, T0, type Backend, type StoreLocation } from "./backends.js";

/** Deliveries and the job queue: the same behaviour on every backend. */
export function defineQueueSuite(backend: Backend): void {
  let location: StoreLocation;
  let store: Store;
  beforeEach(async () => {
    location = await backend.createLocation();
    store = await location.open();
  });
  afterEach(async () => {
    await location.dispose();
  });

  describe("deliveries", () => {
    it("records a delivery once and reports redeliveries", async () => {
      const d = { id: "d-1", event: "push", installationId: 7, repo: "octo/app", receivedAt: T0 };
      expect(await store.hasDelivery("d-1")).toBe(false);
      expect(await store.recordDelivery(d)).toBe(true);
      expect(await store.recordDelivery({ ...d, event: "pull_request" })).toBe(false);
      expect(await store.hasDelivery("d-1")).toBe(true);
      await store.markDelivery("d-1", "failed", "boom");
      expect(await store.recordDelivery(d)).toBe(false);
    });

    it("lets exactly one of many simultaneous recordings of one delivery win", async () => {
      const d = { id: "d-race", event: "push", receivedAt: T0 };
      const results = await Promise.all(Array.from({ length: 10 }, () => store.recordDelivery(d)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("jobs", () => {
    const job = (installationId: number, runAtMs: number, extra: Record<string, unknown> = {}) => ({
      kind: "push",
      installationId,
      repo: "octo/app",
      payload: { sha: "abc", n: runAtMs },
      runAt: at(runAtMs),
      ...extra,
    });

    it("ignores a second job with the same key and gives keyless jobs distinct UUIDs", async () => {
      const first = await store.enqueue(job(1, 0, { key: "cron:nightly:2030-01-01" }));
      expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await store.enqueue(job(1, 5, { key: "cron:nightly:2030-01-01" }))).toBeUndefined();
      const a = await store.enqueue(job(1, 0));
      const b = await store.enqueue(job(1, 0));
      expect(a).toBeDefined();
      expect(a).not.toBe(b);
      expect(await store.countJobs()).toBe(3);
    });

    it("claims due jobs oldest first, up to the limit, with a lease", async () => {
      const late = await store.enqueue(job(1, 2_000));
      const second = await store.enqueue(job(1, 200));
      const first = await store.enqueue(job(1, 100, { deliveryId: "d-9" }));
      const third = await store.enqueue(job(2, 300));

      const claimed = await store.claimJobs({ worker: "w1", limit: 2, leaseMs: 10_000, now: at(1_000) });
      expect(claimed.map((j) => j.id)).toEqual([first, second]);
      const j = claimed[0];
      expect(j).toMatchObject({ state: "running", attempts: 1, lockedBy: "w1", deliveryId: "d-9", kind: "push" });
      expect(j.lockedUntil).toEqual(at(11_000));
      expect(j.payload).toEqual({ sha: "abc", n: 100 });

      const rest = await store.claimJobs({ worker: "w1", limit: 5, leaseMs: 10_000, now: at(1_000) });
      expect(rest.map((x) => x.id)).toEqual([third]);
      expect(await store.claimJobs({ worker: "w1", limit: 5, leaseMs: 10_000, now: at(1_000) })).toEqual([]);
      const due = await store.claimJobs({ worker: "w1", limit: 5, leaseMs: 10_000, now: at(2_000) });
      expect(due.map((x) => x.id)).toEqual([late]);
      expect(await store.countJobs("running")).toBe(4);
      expect(await store.countJobs("queued")).toBe(0);
    });

    it("gives each installation at most its fair share of running jobs", async () => {
      for (let i = 0; i < 20; i++) await store.enqueue(job(1, i)); // a big, older backlog
      await store.enqueue(job(2, 100));
      await store.enqueue(job(3, 101));
      const opts = { worker: "w", limit: 10, leaseMs: 60_000, perInstallationLimit: 2, now: at(1_000) };

      const claimed = await store.claimJobs(opts);
      const perInstallation = (jobs: Job[]) =>
        jobs.reduce<Record<number, number>>((acc, x) => ({ ...acc, [x.installationId]: (acc[x.installationId] ?? 0) + 1 }), {});
      expect(perInstallation(claimed)).toEqual({ 1: 2, 2: 1, 3: 1 });
      expect(await store.claimJobs(opts)).toEqual([]);

      await store.completeJob(claimed[0].id, "w");
      const next = await store.claimJobs(opts);
      expect(next).toHaveLength(1);
      expect(next[0]).toMatchObject({ installationId: 1, payload: { n: 2 } });
    });

    it("does not let the backlog of one installation starve another when the page is small", async () => {
      for (let i = 0; i < 20; i++) await store.enqueue(job(1, i));
      const other = await store.enqueue(job(2, 500));
      const claimed = await store.claimJobs({ worker: "w", limit: 3, leaseMs: 60_000, perInstallationLimit: 2, now: at(1_000) });
      expect(claimed.map((x) => x.installationId)).toEqual([1, 1, 2]);
      expect(claimed[2].id).toBe(other);
    });

    it("lets another worker claim a job whose lease ran out, and ignores the old worker afterwards", async () => {
      const id = await store.enqueue(job(1, 0));
      await store.claimJobs({ worker: "w1", limit: 1, leaseMs: 1_000, now: at(0) });
      expect(await store.claimJobs({ worker: "w2", limit: 1, leaseMs: 1_000, now: at(999) })).toEqual([]);

      const [again] = await store.claimJobs({ worker: "w2", limit: 1, leaseMs: 1_000, now: at(1_001) });
      expect(again).toMatchObject({ id, attempts: 2, lockedBy: "w2", state: "running" });

      await store.completeJob(id!, "w1");
      await store.failJob(id!, "w1", "late");
      expect(await store.countJobs("running")).toBe(1);
      await store.completeJob(id!, "w2");
      expect(await store.countJobs("done")).toBe(1);
    });

    it("fails or requeues a job only for the worker holding it", async () => {
      const a = await store.enqueue(job(1, 0));
      const b = await store.enqueue(job(1, 1));
      await store.claimJobs({ worker: "w1", limit: 2, leaseMs: 60_000, now: at(10) });

      await store.failJob(a!, "intruder", "nope", at(20));
      expect(await store.countJobs("running")).toBe(2);

      await store.failJob(a!, "w1", "rate limited", at(5_000));
      await store.failJob(b!, "w1", "bad config");
      expect(await store.countJobs("queued")).toBe(1);
      expect(await store.countJobs("failed")).toBe(1);
      expect(await store.claimJobs({ worker: "w2", limit: 5, leaseMs: 60_000, now: at(4_999) })).toEqual([]);
      const [retried] = await store.claimJobs({ worker: "w2", limit: 5, leaseMs: 60_000, now: at(5_000) });
      expect(retried).toMatchObject({ id: a, attempts: 2, error: "rate limited", runAt: at(5_000), lockedBy: "w2" });
    });

    it("never gives the same job to two claimers running at once", async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add((await store.enqueue(job(1 + (i % 5), i)))!);
      const other = backend.concurrentStores ? await location.open() : store;

      const claimLoop = async (s: Store, worker: string, fair: boolean): Promise<string[]> => {
        const got: string[] = [];
        for (;;) {
          const jobs = await s.claimJobs({
            worker,
            limit: 3,
            leaseMs: 60_000,
            now: at(1_000),
            ...(fair ? { perInstallationLimit: 50 } : {}),
          });
          if (jobs.length === 0 && (await s.countJobs("queued")) === 0) return got;
          for (const j of jobs) {
            got.push(j.id);
            await s.completeJob(j.id, worker);
          }
        }
      };
      const [one, two, three] = await Promise.all([
        claimLoop(store, "w1", false),
        claimLoop(other, "w2", false),
        claimLoop(other, "w3", true),
      ]);
      const all = [...one, ...two, ...three];
      expect(new Set(all).size).toBe(all.length);
      expect(new Set(all)).toEqual(ids);
      expect(await store.countJobs("done")).toBe(50);
    });
  });
}
