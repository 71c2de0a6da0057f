import { KubeConfig, Log, PatchStrategy, Watch } from "@kubernetes/client-node";
import type { ApplyOptions, Cluster, KubeObject, ListOptions, ObjectRef, PatchOptions, PatchType, ResourceInfo, WatchEvent, WatchHandle } from "../core/ports/cluster.js";
import { Discovery, groupVersionPath } from "./discovery.js";
import { isRetryable, notServed, retryAfterMs, statusOf, translate, translateLogError } from "./errors.js";
import { followLog } from "./logs.js";
import { TokenBucket } from "./rate-limit.js";
import { RestClient, type RestRequest } from "./rest-client.js";
import { startWatch } from "./watch.js";

export interface KubeClusterOptions {
  name: string;
  kubeConfig: KubeConfig;
  /** Requests per second and burst of the client-side rate limit (client-go's defaults are 5/10; ours are higher). */
  qps?: number;
  burst?: number;
  /** Attempts for throttled (429), failed (5xx) or refused requests, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff between attempts when the server gives no Retry-After; doubles each time. Default 100 ms. */
  backoffMs?: number;
  fieldManager?: string;
}

const PATCH_TYPES: Record<PatchType, string> = {
  merge: PatchStrategy.MergePatch,
  strategic: PatchStrategy.StrategicMergePatch,
  json: PatchStrategy.JsonPatch,
};

/** Longest Retry-After honoured; a server asking for more gets an ExternalError carrying its wish. */
const MAX_RETRY_AFTER_MS = 60_000;

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Cluster port over @kubernetes/client-node (the only module, with its siblings, that imports it):
 * the client's kubeconfig handling and transport, our discovery cache, plain-JSON bodies, retries and
 * a per-cluster token bucket.
 */
export class KubeCluster implements Cluster {
  readonly name: string;
  readonly kc: KubeConfig;
  private readonly rest: RestClient;
  private readonly bucket: TokenBucket;
  private readonly discovery: Discovery;
  private readonly fieldManager: string;

  constructor(private readonly opts: KubeClusterOptions) {
    this.name = opts.name;
    this.kc = opts.kubeConfig;
    this.rest = RestClient.for(this.kc);
    this.bucket = new TokenBucket(opts.qps ?? 50, opts.burst ?? 100);
    this.fieldManager = opts.fieldManager ?? "tiphys";
    this.discovery = new Discovery((path) =>
      this.call(`discovering ${path}`, async () => {
        try {
          return await this.rest.send<{ resources?: [] }>({ method: "GET", path });
        } catch (err) {
          if (statusOf(err) === 404) return undefined;
          throw err;
        }
      }),
    );
  }

  /** The server URL of the kubeconfig's current cluster. */
  get server(): string | undefined {
    return this.kc.getCurrentCluster()?.server;
  }

  /**
   * One request under the rate limit, tried again with backoff (Retry-After honoured) when that may
   * help; failures leave as the core's error classes.
   */
  async call<T>(what: string, fn: () => Promise<T>, fail: typeof translate = translate): Promise<T> {
    const attempts = this.opts.maxAttempts ?? 5;
    for (let i = 1; ; i++) {
      await this.bucket.take();
      try {
        return await fn();
      } catch (err) {
        const after = retryAfterMs(err);
        if (i >= attempts || !isRetryable(err) || (after ?? 0) > MAX_RETRY_AFTER_MS) throw fail(err, what, this.name);
        await sleep(after ?? Math.min(5_000, (this.opts.backoffMs ?? 100) * 2 ** (i - 1)));
      }
    }
  }

  /** Waits for a token of the per-cluster rate limit (for requests that do not go through `call`). */
  throttle(): Promise<void> {
    return this.bucket.take();
  }

  /** A plain-JSON request under the rate limit and retries. */
  request<T>(what: string, req: RestRequest): Promise<T> {
    return this.call(what, () => this.rest.send<T>(req));
  }

  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resourceFor(apiVersion, kind);
  }

  private async info(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.resourceFor(apiVersion, kind);
    if (!info) throw notServed(apiVersion, kind, this.name);
    return info;
  }

  /**
   * The collection path of a kind. A namespaced kind gets the namespace given, else the kubeconfig
   * context's (as kubectl does) unless `allNamespaces` (lists and watches across namespaces).
   */
  async collectionPath(apiVersion: string, kind: string, namespace?: string, allNamespaces = false): Promise<string> {
    const info = await this.info(apiVersion, kind);
    const ns = info.namespaced ? (namespace ?? (allNamespaces ? undefined : this.rest.contextNamespace)) : undefined;
    const base = groupVersionPath(apiVersion);
    return ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${info.plural}` : `${base}/${info.plural}`;
  }

  private async objectPath(ref: { apiVersion: string; kind: string; name?: string; namespace?: string }): Promise<string> {
    if (!ref.name) throw translate(Object.assign(new Error(`${ref.kind} has no metadata.name`), { code: 422 }), `addressing ${ref.kind}`, this.name);
    return `${await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  private refOf(obj: KubeObject): ObjectRef {
    return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name ?? "", namespace: obj.metadata?.namespace };
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const path = await this.objectPath(ref);
    try {
      return await this.request<T>(`reading ${ref.kind} ${ref.name}`, { method: "GET", path });
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }

  /** Every page of a list (`limit` is the page size); items get their apiVersion and kind back. */
  async listWithVersion<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const path = await this.collectionPath(apiVersion, kind, opts.namespace, true);
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = "";
    do {
      const page: ListPage<T> = await this.request<ListPage<T>>(`listing ${kind}`, {
        method: "GET",
        path,
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit ?? 500, continue: token },
      });
      for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind });
      // The first page's resourceVersion is the snapshot every page belongs to.
      if (!token) resourceVersion = page.metadata?.resourceVersion ?? "";
      token = page.metadata?.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    return (await this.listWithVersion<T>(apiVersion, kind, opts)).items;
  }

  async create<T extends KubeObject = KubeObject>(obj: T, opts: { dryRun?: boolean } = {}): Promise<T> {
    const path = await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata?.namespace);
    return this.request<T>(`creating ${obj.kind} ${obj.metadata?.name ?? obj.metadata?.generateName ?? ""}`, {
      method: "POST",
      path,
      query: { fieldManager: this.fieldManager, dryRun: opts.dryRun ? "All" : undefined },
      body: obj,
    });
  }

  async apply<T extends KubeObject = KubeObject>(obj: T, opts: ApplyOptions = {}): Promise<T> {
    const path = await this.objectPath(this.refOf(obj));
    // An applied configuration says what we want, not which version we read: no optimistic lock, no
    // server-owned bookkeeping.
    const metadata = { ...obj.metadata };
    for (const k of ["resourceVersion", "managedFields", "uid", "creationTimestamp", "generation"]) delete metadata[k];
    return this.request<T>(`applying ${obj.kind} ${obj.metadata?.name}`, {
      method: "PATCH",
      path,
      query: { fieldManager: opts.fieldManager ?? this.fieldManager, force: opts.force ?? false, dryRun: opts.dryRun ? "All" : undefined },
      body: { ...obj, metadata },
      contentType: PatchStrategy.ServerSideApply,
    });
  }

  async replace<T extends KubeObject = KubeObject>(obj: T): Promise<T> {
    const path = await this.objectPath(this.refOf(obj));
    return this.request<T>(`replacing ${obj.kind} ${obj.metadata?.name}`, { method: "PUT", path, query: { fieldManager: this.fieldManager }, body: obj });
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const path = await this.objectPath(ref);
    const sub = opts.subresource ? `/${opts.subresource}` : "";
    return this.request<T>(`patching ${ref.kind} ${ref.name}${sub ? ` (${opts.subresource})` : ""}`, {
      method: "PATCH",
      path: path + sub,
      query: { fieldManager: this.fieldManager },
      body: patch,
      contentType: PATCH_TYPES[type],
    });
  }

  async delete(ref: ObjectRef, opts: { propagationPolicy?: "Background" | "Foreground" | "Orphan"; gracePeriodSeconds?: number } = {}): Promise<boolean> {
    const path = await this.objectPath(ref);
    try {
      await this.request(`deleting ${ref.kind} ${ref.name}`, {
        method: "DELETE",
        path,
        query: { propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds },
      });
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  watch(apiVersion: string, kind: string, opts: ListOptions, onEvent: (e: WatchEvent) => void, onError?: (err: Error) => void): WatchHandle {
    return startWatch({ cluster: this, watcher: new Watch(this.kc), apiVersion, kind, opts, onEvent, onError });
  }

  async logs(
    ref: { namespace: string; name: string; container?: string },
    opts: { follow?: boolean; tailLines?: number; onData?: (chunk: string) => void; signal?: AbortSignal } = {},
  ): Promise<string> {
    const what = `reading the log of pod ${ref.namespace}/${ref.name}`;
    const container = ref.container ?? (await this.defaultContainer(ref));
    const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.name)}/log`;
    const query = { container, tailLines: opts.tailLines };
    if (!opts.follow) {
      const text = await this.call(what, () => this.rest.send<string>({ method: "GET", path, query, accept: "*/*" }), translateLogError);
      if (text) opts.onData?.(text);
      return text;
    }
    await this.bucket.take();
    try {
      return await followLog({ log: new Log(this.kc), namespace: ref.namespace, pod: ref.name, container, tailLines: opts.tailLines, onData: opts.onData, signal: opts.signal });
    } catch (err) {
      // Log drops the server's Status; ask once more without follow for its message.
      const reason = await this.rest.send({ method: "GET", path, query, accept: "*/*" }).then(
        () => err,
        (again: unknown) => again,
      );
      throw translateLogError(reason, what, this.name);
    }
  }

  /** kubectl's choice: the `kubectl.kubernetes.io/default-container` annotation, else the first container. */
  private async defaultContainer(ref: { namespace: string; name: string }): Promise<string> {
    const pod = await this.get<KubeObject & { spec?: { containers?: Array<{ name: string }> } }>({ apiVersion: "v1", kind: "Pod", ...ref });
    if (!pod) throw translate(Object.assign(new Error(`pods "${ref.name}" not found`), { code: 404 }), `reading the log of pod ${ref.namespace}/${ref.name}`, this.name);
    return pod.metadata.annotations?.["kubectl.kubernetes.io/default-container"] ?? pod.spec?.containers?.[0]?.name ?? "";
  }
}
