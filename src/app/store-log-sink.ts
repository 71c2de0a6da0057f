import { NODE_LOG_MAX_BYTES, type Store } from "../core/ports/store.js";
import type { NodeStatus } from "../engine/model/types.js";
import type { Reporter } from "../engine/runtime/reporter.js";

export interface StoreLogSinkOptions {
  /** Output waits at most this long before it is written. Default 1 s. */
  flushMs?: number;
  /** Written at once when this much waits, over every node. Default 256 KiB. */
  flushBytes?: number;
  /** What the store keeps of each node's log (its end). Default NODE_LOG_MAX_BYTES (1 MiB). */
  maxBytes?: number;
  onError?: (err: Error) => void;
}

/**
 * A run's node output, written to the store as the steps print it, so any replica can render the
 * run's log tails. Lines are gathered per node and appended in one batch per flush; writes are
 * serialised in order. What waits in memory for a node is bounded like what the store keeps.
 */
export class StoreLogSink implements Reporter {
  private pending = new Map<string, string>();
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly opts: StoreLogSinkOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? NODE_LOG_MAX_BYTES;
  }

  log(node: NodeStatus, _stream: "stdout" | "stderr", line: string): void {
    let text = (this.pending.get(node.id) ?? "") + line + "\n";
    this.pendingChars += line.length + 1;
    // A node printing faster than the store takes it keeps only its end (a character is at least a byte).
    if (text.length > 2 * this.maxBytes) {
      this.pendingChars -= text.length - this.maxBytes;
      text = text.slice(-this.maxBytes);
      if (/^[\udc00-\udfff]/.test(text)) text = text.slice(1);
    }
    this.pending.set(node.id, text);
    if (this.pendingChars >= (this.opts.flushBytes ?? 256 * 1024)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs ?? 1000);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const chunks = [...this.pending].map(([nodeId, text]) => ({ nodeId, text }));
    this.pending = new Map();
    this.pendingChars = 0;
    this.chain = this.chain
      .then(() => this.store.appendNodeLogs(this.runId, chunks, { maxBytes: this.maxBytes }))
      .catch((err: Error) => this.opts.onError?.(err));
  }

  /** Writes what waits and resolves once everything printed so far is in the store. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }
}

/** The last lines of a node's stored log (at most 8 KiB of it), or nothing when it has none. */
export async function readStoredLogTail(store: Store, runId: string, nodeId: string, maxLines = 50): Promise<string | undefined> {
  const log = await store.readNodeLog(runId, nodeId, { tailBytes: 8 * 1024 });
  if (!log) return undefined;
  const lines = log.text.split("\n");
  // A tail that starts mid-line drops that line's end.
  if (log.truncated) lines.shift();
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-maxLines).join("\n");
}
