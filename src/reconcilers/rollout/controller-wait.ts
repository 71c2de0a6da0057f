/**
 * Waiting between reconciliations of one Rollout: watches on the Rollout, its ReplicaSets, the
 * AnalysisRuns and the analysis Jobs of its namespace wake the controller as soon as something it
 * waits for changes (pods becoming available, a Job finishing, a promote from another process); a
 * timer wakes it for timed pauses and measurements; a poll is the safety net when a watch cannot run.
 */
import type { Cluster, WatchHandle } from "../../core/ports/cluster.js";
import { ARGO_API_VERSION } from "./model.js";
import type { RolloutRef } from "./controller-observe.js";
import { ANALYSIS_RUN_UID_LABEL } from "./providers-job.js";

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

export class Waker {
  private readonly handles: WatchHandle[] = [];
  private dirty = false;
  private wake?: () => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly sleep: Sleep,
  ) {}

  /** Starts the watches (best effort: a failing watch leaves the poll). `selector`: the Rollout's label selector. */
  async start(ref: RolloutRef, selector: string | undefined): Promise<void> {
    const on = () => {
      this.dirty = true;
      this.wake?.();
    };
    const watches: Array<[string, string, { labelSelector?: string; fieldSelector?: string }]> = [
      [ARGO_API_VERSION, "Rollout", { fieldSelector: `metadata.name=${ref.name}` }],
      ["apps/v1", "ReplicaSet", selector ? { labelSelector: selector } : {}],
      [ARGO_API_VERSION, "AnalysisRun", {}],
      ["batch/v1", "Job", { labelSelector: ANALYSIS_RUN_UID_LABEL }],
    ];
    for (const [apiVersion, kind, opts] of watches) {
      let live = false;
      const h = this.cluster.watch(apiVersion, kind, { namespace: ref.namespace, ...opts }, () => live && on(), () => undefined);
      this.handles.push(h);
      // The initial list is what the controller just read: only changes after it count.
      h.ready.then(
        () => void (live = true),
        () => undefined,
      );
    }
    await Promise.race([Promise.allSettled(this.handles.map((h) => h.ready)), this.sleep(2000)]);
  }

  /** Forget changes seen so far (the controller is about to read everything again). */
  clear(): void {
    this.dirty = false;
  }

  /** Resolves after `ms`, on a change seen since the last clear(), or when the signal aborts. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.dirty || ms <= 0 || signal?.aborted) return;
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.wake = () => ac.abort();
    try {
      await this.sleep(ms, ac.signal);
    } finally {
      this.wake = undefined;
      signal?.removeEventListener("abort", onAbort);
    }
  }

  stop(): void {
    for (const h of this.handles) h.stop();
    this.handles.length = 0;
  }
}
