import { afterEach, describe, expect, it } from "vitest";
import { StoreLocks } from "../../src/app/store-locks.js";
import type { Store } from "../../src/core/ports/store.js";
import { openMemoryStore } from "../../src/store/index.js";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const mutex = { mutexes: [{ name: "deploy" }] };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("synchronization locks in the store (shared by every replica)", () => {
  it("a mutex held by one run makes another wait, and passes on at release", async () => {
    store = await openMemoryStore();
    const a = new StoreLocks(store, "acme/app", { pollMs: 10 });
    const b = new StoreLocks(store, "acme/app", { pollMs: 10 });
    const releaseA = await a.acquire(mutex, () => {});
    const waits: string[] = [];
    let gotB = false;
    const pending = b.acquire(mutex, (m) => waits.push(m)).then((r) => {
      gotB = true;
      return r;
    });
    await tick(80);
    expect(gotB).toBe(false);
    expect(waits).toEqual(["Waiting for mutex deploy lock"]);
    releaseA();
    const releaseB = await pending;
    expect(gotB).toBe(true);
    releaseB();
  });

  it("a semaphore of size 2 lets two in and holds the third", async () => {
    process.env.TIPHYS_SEMAPHORE_GATES_CI = "2";
    store = await openMemoryStore();
    const sem = { semaphores: [{ configMapKeyRef: { name: "gates", key: "ci" } }] };
    const l = () => new StoreLocks(store!, "acme/app", { pollMs: 10 });
    const r1 = await l().acquire(sem, () => {});
    const r2 = await l().acquire(sem, () => {});
    let third = false;
    const p3 = l()
      .acquire(sem, () => {})
      .then((r) => ((third = true), r));
    await tick(60);
    expect(third).toBe(false);
    r1();
    (await p3)();
    r2();
    delete process.env.TIPHYS_SEMAPHORE_GATES_CI;
  });

  it("locks are per repository", async () => {
    store = await openMemoryStore();
    const held = await new StoreLocks(store, "acme/app", { pollMs: 10 }).acquire(mutex, () => {});
    const waits: string[] = [];
    (await new StoreLocks(store, "acme/other", { pollMs: 10 }).acquire(mutex, (m) => waits.push(m)))();
    expect(waits).toEqual([]);
    held();
  });

  it("a lock whose holder died (stopped renewing) is taken once its time to live has passed", async () => {
    store = await openMemoryStore();
    expect(await store.tryLock("sync/acme/app/mutex/default/deploy#0", "replica-that-died", 150)).toBe(true);
    const started = Date.now();
    const waits: string[] = [];
    const release = await new StoreLocks(store, "acme/app", { pollMs: 10 }).acquire(mutex, (m) => waits.push(m));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(waits).toEqual(["Waiting for mutex deploy lock"]);
    release();
  });
});
