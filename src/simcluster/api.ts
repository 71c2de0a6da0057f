// The internal API: what controllers, the kubelet and tests use in-process. Same semantics as the HTTP
// API (it is what the HTTP server calls): resourceVersion, generation, managedFields, validation,
// finalizers, garbage collection and watch events.
import type { ClusterCore } from "./core.js";
import { deleteObject, GarbageCollector, type DeleteOptions, type DeleteResult } from "./deletion.js";
import { FaultInjector, type FaultConfig } from "./faults.js";
import type { ReadLogOptions } from "./logs.js";
import { clone, isObject, timestamp } from "./objects.js";
import { RequestLog } from "./request-log.js";
import { storageKey, type ResourceRef, type ResourceRegistry } from "./resources.js";
import { scaleOf } from "./scale.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { errors } from "./status.js";
import { matchesFilter, type WatchDelivery, type WatchFilter } from "./store.js";
import type { KubeObject, ResourceType, WatchEventType } from "./types.js";
import {
  createObject,
  patchObject,
  updateObject,
  updateStatusObject,
  type PatchOptions,
  type WriteOptions,
} from "./writes.js";

export interface ListOptions {
  /** One namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; `continue` (from the previous page) fetches the next page. */
  limit?: number;
  continue?: string;
  /** The stored objects themselves (deep-frozen) instead of copies: much faster for large lists. */
  readonly?: boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resume after this resourceVersion; absent, "" or "0": ADDED for every current object first. */
  resourceVersion?: string;
  /** Send ADDED for every current object first even with a resourceVersion. */
  sendInitialEvents?: boolean;
}

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** An event for an in-process subscriber: a copy of the object, and which resource it is. */
export interface SimEvent extends WatchEvent {
  resource: ResourceType;
}

export interface SubscribeOptions {
  namespace?: string;
  labelSelector?: string;
  /** First deliver ADDED for every object that exists now (an informer's initial list). */
  replay?: boolean;
  /** Deliver the stored (deep-frozen) objects instead of copies. */
  readonly?: boolean;
  /** Called when the listener throws (default: a process warning); the subscription continues. */
  onError?: (err: unknown, event: SimEvent) => void;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  subresource?: "status";
  namespace?: string;
}

export interface RecordEventInput {
  type?: "Normal" | "Warning";
  reason: string;
  message: string;
  /** Reporting component, e.g. `deployment-controller`. */
  component?: string;
}

interface ContinueToken {
  rv: number;
  start: string;
}

const idOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`);

export class SimApi {
  readonly resources: ResourceRegistry;
  readonly faults: FaultInjector;
  readonly requests = new RequestLog();
  private readonly gc: GarbageCollector;
  private eventCounter = 0;

  constructor(
    readonly core: ClusterCore,
    faults: FaultConfig = {},
  ) {
    this.resources = core.registry;
    this.faults = new FaultInjector(faults);
    this.gc = new GarbageCollector(core);
  }

  /** The current (global) resourceVersion. */
  get resourceVersion(): string {
    return String(this.core.store.resourceVersion);
  }

  resolve(ref: ResourceRef): ResourceType {
    return this.resources.resolve(ref);
  }

  /** A copy of the object; throws ApiError 404 when it does not exist. */
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject {
    const rt = this.resolve(ref);
    const o = this.core.store.get(storageKey(rt), rt.namespaced ? namespace : undefined, name);
    if (!o) throw errors.notFound(rt, name);
    return clone(o);
  }

  tryGet(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = this.resolve(ref);
    const o = this.core.store.get(storageKey(rt), rt.namespaced ? namespace : undefined, name);
    return o && clone(o);
  }

  list(ref: ResourceRef, opts: ListOptions = {}): ListResult {
    const rt = this.resolve(ref);
    return this.listStored(rt, opts, !opts.readonly);
  }

  /** Lists stored objects; `copy: false` gives the stored (frozen) objects themselves. */
  listStored(rt: ResourceType, opts: ListOptions, copy: boolean): ListResult {
    const filter = this.filterOf(rt, opts);
    let items = this.core.store.list(storageKey(rt), rt.namespaced ? opts.namespace : undefined).filter((o) => matchesFilter(o, filter));
    const rv = this.core.store.resourceVersion;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      items = items.filter((o) => idOf(o) > token.start);
    }
    const out: ListResult = { items, resourceVersion: String(rv) };
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      out.items = items.slice(0, opts.limit);
      out.continue = Buffer.from(JSON.stringify({ rv, start: idOf(out.items[out.items.length - 1]) })).toString("base64url");
      if (!opts.labelSelector && !opts.fieldSelector) out.remainingItemCount = items.length - opts.limit;
    }
    if (copy) out.items = out.items.map(clone);
    return out;
  }

  private filterOf(rt: ResourceType, opts: { namespace?: string; labelSelector?: string; fieldSelector?: string }): WatchFilter {
    return {
      namespace: rt.namespaced ? opts.namespace : undefined,
      labels: parseLabelSelector(opts.labelSelector),
      fields: parseFieldSelector(opts.fieldSelector, rt.fieldSelectors),
    };
  }

  create(ref: ResourceRef, obj: unknown, opts: WriteOptions = {}): KubeObject {
    return createObject(this.core, this.resolve(ref), obj, opts);
  }

  /** Replaces the object (PUT). With metadata.resourceVersion set, a stale one is 409 Conflict. */
  update(ref: ResourceRef, obj: unknown, opts: WriteOptions = {}): KubeObject {
    return updateObject(this.core, this.resolve(ref), obj, opts);
  }

  /** Replaces only the status (PUT /status). */
  updateStatus(ref: ResourceRef, obj: unknown, opts: WriteOptions = {}): KubeObject {
    return updateStatusObject(this.core, this.resolve(ref), obj, opts);
  }

  patch(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, opts: PatchOptions): KubeObject {
    const rt = this.resolve(ref);
    const { object } = patchObject(this.core, rt, namespace, name, patch, opts);
    return opts.subresource === "scale" ? scaleOf(rt, object) : object;
  }

  /** Server-side apply of a whole configuration (creates the object when it does not exist). */
  apply(ref: ResourceRef, obj: KubeObject, opts: ApplyOptions): KubeObject {
    const rt = this.resolve(ref);
    const ns = rt.namespaced ? (opts.namespace ?? obj.metadata?.namespace) : undefined;
    return patchObject(this.core, rt, ns, obj.metadata?.name ?? "", obj, { ...opts, type: "apply" }).object;
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    return deleteObject(this.core, this.resolve(ref), namespace, name, opts);
  }

  /** Deletes every object a list with these options returns. */
  deleteCollection(ref: ResourceRef, opts: ListOptions & DeleteOptions = {}): KubeObject[] {
    const rt = this.resolve(ref);
    const { items } = this.listStored(rt, { ...opts, limit: undefined, continue: undefined }, false);
    return items.flatMap((o) => {
      try {
        return [deleteObject(this.core, rt, o.metadata.namespace, o.metadata.name ?? "", opts).object];
      } catch {
        return [];
      }
    });
  }

  /** The autoscaling/v1 Scale of a deployment, replicaset, statefulset or scalable custom resource. */
  getScale(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject {
    const rt = this.resolve(ref);
    return scaleOf(rt, this.get(rt, namespace, name));
  }

  /**
   * Watches one resource. The listener is called synchronously with the stored objects (do not modify
   * them). Throws ApiError 410 (reason Expired) when `resourceVersion` is older than the kept history.
   * Returns a function that stops the watch.
   */
  watch(ref: ResourceRef, opts: WatchOptions, listener: (e: WatchEvent) => void): () => void {
    const rt = this.resolve(ref);
    const filter = this.filterOf(rt, opts);
    const rv = opts.resourceVersion;
    const initial = opts.sendInitialEvents || !rv || rv === "0";
    if (!initial && !/^\d+$/.test(rv ?? "")) throw errors.badRequest(`invalid resource version: ${rv}`);
    const deliver = (d: WatchDelivery) => listener({ type: d.type, object: d.object });
    if (initial) {
      const stop = this.core.store.watch(storageKey(rt), filter, undefined, deliver);
      // Registered first, then the current state: no change can fall in between (all synchronous).
      for (const o of this.core.store.list(storageKey(rt), filter.namespace)) {
        if (matchesFilter(o, filter)) listener({ type: "ADDED", object: o });
      }
      return stop;
    }
    return this.core.store.watch(storageKey(rt), filter, Number(rv), deliver);
  }

  /**
   * In-process watch for controllers: `listener` gets a copy of each object, asynchronously (in a
   * microtask) and in order, so it may call the API without re-entering the store. `"*"` watches
   * every resource. Returns a function that unsubscribes.
   */
  subscribe(ref: ResourceRef | "*", listener: (e: SimEvent) => void, opts: SubscribeOptions = {}): () => void {
    const rt = ref === "*" ? undefined : this.resolve(ref);
    const filter: WatchFilter = { namespace: opts.namespace, labels: parseLabelSelector(opts.labelSelector) };
    let active = true;
    const send = (type: WatchEventType, object: KubeObject, resource: ResourceType) => {
      const event: SimEvent = { type, object: opts.readonly ? object : clone(object), resource };
      queueMicrotask(() => {
        if (!active) return;
        try {
          listener(event);
        } catch (err) {
          if (opts.onError) opts.onError(err, event);
          else process.emitWarning(`simulated cluster: subscriber failed on ${type} ${resource.plural}: ${String(err)}`);
        }
      });
    };
    const stop = this.core.store.watch(rt ? storageKey(rt) : "*", filter, undefined, (d) => {
      const resource = rt ?? this.resources.all().find((r) => storageKey(r) === d.key);
      if (resource) send(d.type, d.object, resource);
    });
    if (opts.replay) {
      for (const r of rt ? [rt] : this.resources.all()) {
        for (const o of this.core.store.list(storageKey(r), r.namespaced ? opts.namespace : undefined)) {
          if (matchesFilter(o, filter)) send("ADDED", o, r);
        }
      }
    }
    return () => {
      active = false;
      stop();
    };
  }

  /** Container output, as the kubelet writes it; complete lines are visible at once. */
  appendLog(namespace: string, pod: string, container: string, text: string): void {
    this.core.logs.append(namespace, pod, container, text);
  }

  /** The container terminated: followers of its log stop. */
  closeLog(namespace: string, pod: string, container: string): void {
    this.core.logs.close(namespace, pod, container);
  }

  /** The container restarted: its log so far becomes `previous=true`. */
  restartLog(namespace: string, pod: string, container: string): void {
    this.core.logs.restart(namespace, pod, container);
  }

  readLog(namespace: string, pod: string, container: string, opts: ReadLogOptions = {}): string {
    return this.core.logs.read(namespace, pod, container, opts);
  }

  /** Records a core/v1 Event about an object (what `kubectl describe` lists). */
  recordEvent(involved: KubeObject, input: RecordEventInput): KubeObject {
    const m = involved.metadata;
    const now = timestamp(this.core.now());
    const suffix = (this.core.now() * 1000 + (this.eventCounter++ % 1000)).toString(16);
    return this.create("events", {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${m.name}.${suffix}`, namespace: m.namespace ?? "default" },
      involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
      reason: input.reason,
      message: input.message,
      type: input.type ?? "Normal",
      source: { component: input.component ?? "simcluster" },
      reportingComponent: input.component ?? "simcluster",
      reportingInstance: "",
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }

  /** Resolves once the garbage collector has nothing left to do and subscribers have their events. */
  async settle(): Promise<void> {
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    for (let i = 0; i < 10_000; i++) {
      await tick();
      if (!this.gc.pending) {
        await tick();
        if (!this.gc.pending) return;
      }
    }
  }

}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString()) as unknown;
    if (isObject(parsed) && typeof parsed.start === "string" && typeof parsed.rv === "number") return parsed as unknown as ContinueToken;
  } catch {
    // fall through
  }
  throw errors.badRequest(`continue key is not valid: ${token}`);
}
