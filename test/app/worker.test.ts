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

async function setUp() {
  store = await openMemoryStore();
  const ctx = {
    store,
    github: {} as never,
    dataDir: "/nonexistent",
    log: pino({ level: "silent" }),
    metrics: new AppMetrics(),
    limits: DEFAULT_LIMITS,
    workerId: "w1",
    blobs: new BlobCache(),
    slots: new NodeSlots(1),
    now: () => new Date(),
  } as AppContext;
  let running = 0;
  let most = 0;
  const release: Array<() => void> = [];
  pending = release;
  worker = new Worker(ctx, {
    pollMs: 10,
    handlers: {
      cron: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        running--;
      },
    },
  });
  for (let i = 0; i < 12; i++) await store.enqueue({ kind: "cron", key: `c${i}`, installationId: 1, payload: {} });
  return { worker, most: () => most, release, running: () => running };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the worker's share of the CPU", () => {
  it("takes up to 8 events at once", async () => {
    const w = await setUp();
    w.worker.start();
    await tick(100);
    expect(w.running()).toBe(8);
  });

  it("under webhook pressure takes one event at a time, and all of them again once it passes", async () => {
    const w = await setUp();
    w.worker.setPressure(Date.now() + 300);
    w.worker.start();
    await tick(100);
    expect(w.running()).toBe(1);
    await tick(300);
    expect(w.running()).toBe(8);
  });
});
