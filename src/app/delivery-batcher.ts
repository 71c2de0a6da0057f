import type { DeliveryInput, JobInput, Store } from "../core/ports/store.js";

/**
 * Group commit for webhook acknowledgements: the deliveries whose requests were read in the same turn
 * of the event loop (under a burst, several sockets are readable at once), and those that arrive while
 * a commit is in progress, are written together, so a burst costs one transaction per batch instead
 * of one per webhook. Each caller still waits until its own delivery is durable. The embedded SQLite
 * driver is synchronous, so without the wait for the turn to end every batch would hold one delivery.
 */
export class DeliveryBatcher {
  private queue: Array<{ delivery: DeliveryInput; job: JobInput; resolve: (fresh: boolean) => void; reject: (err: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 64,
  ) {}

  accept(delivery: DeliveryInput, job: JobInput): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ delivery, job, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.store.acceptDeliveries(batch.map(({ delivery, job }) => ({ delivery, job })));
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
