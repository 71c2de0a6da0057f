import { afterEach, describe, expect, it } from "vitest";
import { DeliveryBatcher } from "../../src/app/delivery-batcher.js";
import type { Store } from "../../src/core/ports/store.js";
import { openMemoryStore } from "../../src/store/index.js";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const delivery = (id: string) => ({ id, event: "push", installationId: 1, repo: "acme/app", receivedAt: new Date() });
const job = (id: string) => ({ kind: "event", key: `delivery:${id}`, installationId: 1, repo: "acme/app", payload: { id }, deliveryId: id });

/** A batcher over `inner` that counts the store transactions it makes. */
function countingBatcher(inner: Store) {
  let n = 0;
  const counting: Store = Object.assign(Object.create(inner), {
    acceptDeliveries: (items: Parameters<Store["acceptDeliveries"]>[0]) => {
      n++;
      return inner.acceptDeliveries(items);
    },
  });
  return { batcher: new DeliveryBatcher(counting), transactions: () => n };
}

describe("group commit of webhook deliveries", () => {
  it("a burst of deliveries (some redelivered) is written in few transactions, each delivery once", async () => {
    store = await openMemoryStore();
    const { batcher, transactions } = countingBatcher(store);
    const ids = Array.from({ length: 60 }, (_, i) => `d-${i % 50}`); // d-0 .. d-9 come twice
    const results = await Promise.all(ids.map((id) => batcher.accept(delivery(id), job(id))));
    expect(results.filter(Boolean)).toHaveLength(50);
    expect(results.slice(50).every((r) => r === false)).toBe(true);
    expect(await store.countJobs("queued")).toBe(50);
    expect(transactions()).toBeLessThan(10);
  });

  it("deliveries read in the same turn of the event loop (several sockets readable at once) share one transaction", async () => {
    store = await openMemoryStore();
    const { batcher, transactions } = countingBatcher(store);
    // Each request is its own callback, with the microtasks drained in between (as node:http does):
    // the synchronous SQLite driver would finish each write before the next callback started.
    const accepted = await Promise.all(
      Array.from({ length: 12 }, (_, i) => new Promise<boolean>((resolve, reject) => setImmediate(() => batcher.accept(delivery(`t-${i}`), job(`t-${i}`)).then(resolve, reject)))),
    );
    expect(accepted.every(Boolean)).toBe(true);
    expect(transactions()).toBe(1);
    expect(await store.countJobs("queued")).toBe(12);
  });

  it("a failing write rejects the callers of that batch, and the next batch goes on", async () => {
    store = await openMemoryStore();
    let fail = true;
    const flaky: Store = Object.assign(Object.create(store), {
      acceptDeliveries: (items: Parameters<Store["acceptDeliveries"]>[0]) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error("disk full"));
        }
        return store!.acceptDeliveries(items);
      },
    });
    const batcher = new DeliveryBatcher(flaky);
    await expect(batcher.accept(delivery("a"), job("a"))).rejects.toThrow("disk full");
    expect(await batcher.accept(delivery("b"), job("b"))).toBe(true);
    expect(await store.hasDelivery("a")).toBe(false);
  });
});
