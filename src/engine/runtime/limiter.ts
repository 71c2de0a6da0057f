import type { Synchronization } from "../model/types.js";

/** A counting semaphore with FIFO waiters; no limit when `max` is undefined or not positive. */
export class Limiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly max?: number) {}

  get running(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.max !== undefined && this.max > 0 && this.active >= this.max) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/**
 * Mutexes and semaphores of `synchronization` within one Tiphys process. A semaphore's size comes
 * from its ConfigMap in a cluster; locally it is 1 unless `TIPHYS_SEMAPHORE_<NAME>_<KEY>` says.
 */
/** Where Argo's `synchronization` locks live: this process (the CLI), or the store (the App). */
export interface SyncLocks {
  /** Acquires every lock the spec names; reports while waiting; returns the release. */
  acquire(sync: Synchronization | undefined, waiting: (message: string) => void): Promise<() => void>;
}

export class LockRegistry implements SyncLocks {
  private readonly limiters = new Map<string, Limiter>();

  private limiter(key: string, size: number): Limiter {
    let l = this.limiters.get(key);
    if (!l) {
      l = new Limiter(size);
      this.limiters.set(key, l);
    }
    return l;
  }

  static keysOf(sync: Synchronization | undefined): Array<{ key: string; size: number; label: string }> {
    if (!sync) return [];
    const out: Array<{ key: string; size: number; label: string }> = [];
    for (const m of sync.mutexes ?? []) out.push({ key: `mutex/${m.namespace ?? "default"}/${m.name}`, size: 1, label: `mutex ${m.name}` });
    for (const s of sync.semaphores ?? []) {
      const ref = s.configMapKeyRef ? `${s.configMapKeyRef.name}/${s.configMapKeyRef.key}` : `db/${s.database?.key ?? ""}`;
      const env = `TIPHYS_SEMAPHORE_${ref.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`;
      const size = Number(process.env[env] ?? "1") || 1;
      out.push({ key: `semaphore/${ref}`, size, label: `semaphore ${ref}` });
    }
    // A fixed order of acquisition avoids deadlocks between templates holding several locks.
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Acquires every lock the spec names; reports while waiting; returns the release. */
  async acquire(sync: Synchronization | undefined, waiting: (message: string) => void): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const { key, size, label } of LockRegistry.keysOf(sync)) {
      const l = this.limiter(key, size);
      if (l.running >= size) waiting(`Waiting for ${label} lock`);
      releases.push(await l.acquire());
    }
    return () => {
      for (const r of releases.reverse()) r();
    };
  }
}
