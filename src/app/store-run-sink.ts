import type { RunRow, Store } from "../core/ports/store.js";
import type { NodeStatus, WorkflowStatus } from "../engine/model/types.js";
import type { RunSink } from "../engine/runtime/run-store.js";

/**
 * A run's state written to the store as it changes: node changes of one tick are upserted in one
 * batch, workflow-level status updates the run row. Writes are serialised in order; `drain()` waits
 * for them (before a check run is completed, and at shutdown).
 */
export class StoreRunSink implements RunSink {
  private pending = new Map<string, NodeStatus>();
  private latest = new Map<string, NodeStatus>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: Error | undefined;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  recordNode(node: NodeStatus): void {
    this.latest.set(node.id, node);
    this.pending.set(node.id, node);
    this.schedule();
  }

  recordChild(parentId: string, childId: string): void {
    const parent = this.latest.get(parentId);
    if (!parent) return;
    if (!parent.children?.includes(childId)) parent.children = [...(parent.children ?? []), childId];
    this.pending.set(parentId, parent);
    this.schedule();
  }

  writeStatus(status: Omit<WorkflowStatus, "nodes">): void {
    this.flush();
    const patch: Partial<RunRow> = {
      phase: status.phase,
      message: status.message,
      startedAt: status.startedAt ? new Date(status.startedAt) : undefined,
      finishedAt: status.finishedAt ? new Date(status.finishedAt) : undefined,
    };
    this.enqueue(() => this.store.updateRun(this.runId, patch));
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()].map((n) => structuredClone(n));
    this.pending = new Map();
    this.enqueue(() => this.store.saveNodes(this.runId, batch));
  }

  /** Waits until everything recorded so far is in the store; throws the first write failure. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
  }

  private schedule(): void {
    if (this.pending.size >= 1000) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private enqueue(write: () => Promise<void>): void {
    this.chain = this.chain.then(write).catch((err: Error) => {
      this.failure ??= err;
      this.onError(err);
    });
  }
}
