// The loop every simulated controller runs: events name keys (`namespace/name`), a queue coalesces
// them, and a synchronous reconcile reads the current state from the API and writes what it must.
// Reconciles may ask to run again after a delay (a deadline, minReadySeconds, a back-off).
import type { SimApi, SimEvent } from "../api.js";
import type { ResourceRef } from "../resources.js";
import { ApiError } from "../status.js";
import type { KubeObject } from "../types.js";
import { keyOf } from "./util.js";

/** Returns milliseconds after which to run again, or nothing. */
export type Reconcile = (key: string) => number | void;

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly reconcile: Reconcile,
  ) {}

  /** Reconciles `key` soon (coalesced with other adds), or after `delayMs`. */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.dirty.add(key);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      if (this.stopped) return;
      this.runOne(key);
    }
  }

  private runOne(key: string): void {
    try {
      const again = this.reconcile(key);
      this.failures.delete(key);
      if (typeof again === "number") this.add(key, Math.max(1, again));
    } catch (err) {
      // The object moved under us (409), went away (404) or its namespace is going (403): the next
      // pass sees the current state.
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      if (err instanceof ApiError && (err.code === 409 || err.code === 404 || err.code === 403)) {
        this.add(key, Math.min(5 * n, 200));
        return;
      }
      if (n === 1) process.emitWarning(`simulated ${this.name} controller: reconcile of ${key} failed: ${String(err)}`);
      this.add(key, Math.min(100 * 2 ** n, 10_000));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.dirty.clear();
  }
}

/** Subscribes to a resource (replaying what exists) and turns each event into zero or more keys. */
export function watchKeys(api: SimApi, ref: ResourceRef, queue: WorkQueue, keysOf: (e: SimEvent) => string[] | string | undefined = (e) => keyOf(e.object)): () => void {
  return api.subscribe(
    ref,
    (e) => {
      const keys = keysOf(e);
      for (const k of typeof keys === "string" ? [keys] : (keys ?? [])) queue.add(k);
    },
    { replay: true, readonly: true },
  );
}

/** Keys of an object's controller of the given kind (pods → their ReplicaSet, and so on). */
export function ownerKey(o: KubeObject, kind: string): string | undefined {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === kind);
  return ref ? `${o.metadata.namespace ?? ""}/${ref.name}` : undefined;
}

/** A running controller: stop() ends its subscriptions and timers. */
export interface Controller {
  stop(): void;
}

export function controllerOf(queue: WorkQueue, unsubscribes: Array<() => void>): Controller {
  return {
    stop() {
      for (const u of unsubscribes) u();
      queue.stop();
    },
  };
}
