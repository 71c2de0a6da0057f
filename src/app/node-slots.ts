import type { Executor, ProcessIO, ProcessResult, ProcessSpec, Sandbox } from "../engine/executors/types.js";

/** A counting semaphore: the replica-wide limit on running nodes. */
export class NodeSlots {
  private waiting: Array<() => void> = [];
  private used = 0;
  constructor(readonly size: number) {}

  get running(): number {
    return this.used;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.used++;
        resolve();
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== grant);
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    this.used--;
    this.waiting.shift()?.();
  }
}

/** An executor whose processes each hold a slot while they run. */
export class SlottedExecutor implements Executor {
  readonly name: string;
  constructor(
    private readonly inner: Executor,
    private readonly slots: NodeSlots,
  ) {
    this.name = inner.name;
  }
  createSandbox(nodeId: string): Promise<Sandbox> {
    return this.inner.createSandbox(nodeId);
  }
  async run(spec: ProcessSpec, sandbox: Sandbox, io: ProcessIO, signal: AbortSignal): Promise<ProcessResult> {
    await this.slots.acquire(signal);
    try {
      return await this.inner.run(spec, sandbox, io, signal);
    } finally {
      this.slots.release();
    }
  }
  warnings(): string[] {
    return this.inner.warnings();
  }
}
