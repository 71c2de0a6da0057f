/**
 * One shared watch of Tiphys' Pods in a namespace (label `tiphys.io/workflow`): every node waiting on
 * its Pod is told of each change from it, so status costs no request per Pod (no polling).
 */
import type { Cluster, KubeObject, WatchHandle } from "../../../core/ports/cluster.js";
import { WORKFLOW_LABEL } from "./pod-spec.js";

export type PodObserver = (pod: KubeObject | undefined) => void;

export class PodWatch {
  private handle: WatchHandle | undefined;
  private readyPromise: Promise<void> | undefined;
  /** The last state of each Pod seen (removed when deleted, or when its last observer leaves it done). */
  private readonly pods = new Map<string, KubeObject>();
  private readonly observers = new Map<string, Set<PodObserver>>();
  private lastError: Error | undefined;

  constructor(
    private readonly cluster: Cluster,
    readonly namespace: string,
  ) {}

  /** Starts the watch once; resolves when the first list is in and events are live. */
  ready(): Promise<void> {
    if (!this.readyPromise) {
      this.handle = this.cluster.watch(
        "v1",
        "Pod",
        { namespace: this.namespace, labelSelector: WORKFLOW_LABEL },
        (e) => {
          if (e.type === "BOOKMARK") return;
          const name = e.object.metadata.name ?? "";
          if (e.type === "DELETED") this.pods.delete(name);
          else this.pods.set(name, e.object);
          for (const o of [...(this.observers.get(name) ?? [])]) o(e.type === "DELETED" ? undefined : e.object);
        },
        (err) => (this.lastError = err),
      );
      this.readyPromise = this.handle.ready;
    }
    return this.readyPromise;
  }

  /** The last error the watch reported (it carries on with backoff). */
  get error(): Error | undefined {
    return this.lastError;
  }

  /** Calls `observer` with every new state of the Pod (undefined: deleted); the current one first, if known. */
  observe(name: string, observer: PodObserver): () => void {
    let set = this.observers.get(name);
    if (!set) this.observers.set(name, (set = new Set()));
    set.add(observer);
    const known = this.pods.get(name);
    if (known) queueMicrotask(() => set.has(observer) && observer(this.pods.get(name)));
    return () => {
      set.delete(observer);
      if (set.size > 0) return;
      this.observers.delete(name);
      const phase = (this.pods.get(name)?.status as { phase?: string } | undefined)?.phase;
      if (phase === "Succeeded" || phase === "Failed") this.pods.delete(name);
    };
  }

  stop(): void {
    this.handle?.stop();
  }
}
