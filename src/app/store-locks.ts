import { randomUUID } from "node:crypto";
import type { Store } from "../core/ports/store.js";
import type { Synchronization } from "../engine/model/types.js";
import { LockRegistry, type SyncLocks } from "../engine/runtime/limiter.js";

/**
 * Argo's `synchronization` mutexes and semaphores held in the store, so every replica sees them: a
 * mutex is one named lock, a semaphore of size n is n slots. Holders renew their locks while they run;
 * a replica that dies lets its locks expire. Locks are scoped to the repository (Argo: the namespace).
 */
export class StoreLocks implements SyncLocks {
  constructor(
    private readonly store: Store,
    private readonly scope: string,
    private readonly opts: { ttlMs?: number; pollMs?: number } = {},
  ) {}

  async acquire(sync: Synchronization | undefined, waiting: (message: string) => void): Promise<() => void> {
    const ttl = this.opts.ttlMs ?? 60_000;
    const poll = this.opts.pollMs ?? 500;
    const held: string[] = [];
    const owner = randomUUID();
    for (const { key, size, label } of LockRegistry.keysOf(sync)) {
      let said = false;
      for (;;) {
        let got: string | undefined;
        for (let slot = 0; slot < size && !got; slot++) {
          const name = `sync/${this.scope}/${key}#${slot}`;
          if (await this.store.tryLock(name, owner, ttl)) got = name;
        }
        if (got) {
          held.push(got);
          break;
        }
        if (!said) waiting(`Waiting for ${label} lock`);
        said = true;
        await new Promise((r) => setTimeout(r, poll));
      }
    }
    const renew = setInterval(() => {
      for (const name of held) void this.store.tryLock(name, owner, ttl).catch(() => undefined);
    }, ttl / 3);
    renew.unref();
    return () => {
      clearInterval(renew);
      for (const name of held.reverse()) void this.store.unlock(name, owner).catch(() => undefined);
    };
  }
}
