import type { DeliveryInput, JobInput, Store } from "../core/ports/store.js";

/**
 * Group commit for webhook acknowledgements: deliveries that arrive while a commit is in progress
 * are written together in the next one, so a burst costs one transaction per batch instead of one
 * per webhook. Each caller still waits until its own delivery is durable.
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
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
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
