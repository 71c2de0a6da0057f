import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BlobCache } from "../../src/app/config-source.js";
import { DEFAULT_LIMITS, type AppContext } from "../../src/app/context.js";
import { AppMetrics } from "../../src/app/metrics.js";
import { NodeSlots } from "../../src/app/node-slots.js";
import { Worker } from "../../src/app/worker.js";
import type { Store } from "../../src/core/ports/store.js";
import { openMemoryStore } from "../../src/store/index.js";

let store: Store | undefined;
let worker: Worker | undefined;
let pending: Array<() => void> = [];
afterEach(async () => {
  await worker?.stop();
  while (pending.length) pending.splice(0).forEach((r) => r());
  await worker?.idle();
  await store?.close();
  store = undefined;
});

/** Installations of the 12 queued jobs, in queue order (all of installation 1 by default). */
async function setUp(opts: { installations?: number[]; limits?: Partial<typeof DEFAULT_LIMITS> } = {}) {
  store = await openMemoryStore();
  const ctx = {
    store,
    github: {} as never,
    dataDir: "/nonexistent",
    log: pino({ level: "silent" }),
    metrics: new AppMetrics(),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    workerId: "w1",
    blobs: new BlobCache(),
    slots: new NodeSlots(1),
    now: () => new Date(),
  } as AppContext;
  let running = 0;
  let most = 0;
  const byInstallation = new Map<number, number>();
  const release: Array<() => void> = [];
  pending = release;
  worker = new Worker(ctx, {
    pollMs: 10,
    handlers: {
      cron: async (_ctx, job) => {
        running++;
        byInstallation.set(job.installationId, (byInstallation.get(job.installationId) ?? 0) + 1);
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        byInstallation.set(job.installationId, byInstallation.get(job.installationId)! - 1);
        running--;
      },
    },
  });
  const installations = opts.installations ?? Array(12).fill(1);
  for (const [i, installationId] of installations.entries()) await store.enqueue({ kind: "cron", key: `c${i}`, installationId, payload: {} });
  return { worker, most: () => most, release, running: () => running, runningOf: (id: number) => byInstallation.get(id) ?? 0 };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (up to 5 s, for a loaded machine) until `ok` holds, then a few more polls for anything that should not happen. */
async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok() && Date.now() < deadline) await tick(10);
  await tick(50);
}

describe("the worker's share of the CPU", () => {
  it("takes up to TIPHYS_MAX_EVENTS events at once", async () => {
    const w = await setUp({ installations: [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], limits: { maxEvents: 8, maxEventsPerInstallation: 4 } });
    w.worker.start();
    await until(() => w.running() === 8);
    expect(w.running()).toBe(8);
  });

  it("gives one installation at most its share of the places: another installation's event starts while its backlog waits", async () => {
    const w = await setUp({ installations: [...Array(12).fill(1), 2], limits: { maxEvents: 32, maxEventsPerInstallation: 4 } });
    w.worker.start();
    await until(() => w.runningOf(1) === 4 && w.runningOf(2) === 1);
    expect(w.runningOf(1)).toBe(4);
    expect(w.runningOf(2)).toBe(1);
    // As installation 1's events finish, the next of its backlog take their places.
    w.release.splice(0).forEach((r) => r());
    await until(() => w.runningOf(1) === 4);
    expect(w.runningOf(1)).toBe(4);
    expect(w.most()).toBe(5);
  });

  it("under webhook pressure takes one event at a time, and all it may again once it passes", async () => {
    const w = await setUp({ installations: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], limits: { maxEvents: 8, maxEventsPerInstallation: 4 } });
    w.worker.setPressure(Date.now() + 300);
    w.worker.start();
    await tick(100);
    expect(w.running()).toBe(1);
    await until(() => w.running() === 8);
    expect(w.running()).toBe(8);
  });
});
