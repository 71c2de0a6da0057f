import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { Writable } from "node:stream";
import { KubeConfig, KubernetesObjectApi, Log, PatchStrategy, Watch, type KubernetesObject } from "@kubernetes/client-node";
import type { ApplyOptions, Cluster, KubeObject, ListOptions, ObjectRef, PatchType, ResourceInfo, WatchEvent, WatchHandle } from "../core/ports/cluster.js";
import { isRetryable, retryAfterMs, statusOf, translate } from "./errors.js";
import { TokenBucket } from "./rate-limit.js";
import { startWatch } from "./watch.js";

export interface KubeClusterOptions {
  name: string;
  kubeConfig: KubeConfig;
  /** Requests per second and burst (client-go's defaults are 5/10; ours are higher). */
  qps?: number;
  burst?: number;
  /** Attempts for throttled, failed or refused requests. */
  maxAttempts?: number;
  fieldManager?: string;
}

const PATCH_TYPES: Record<PatchType, string> = {
  merge: PatchStrategy.MergePatch,
  strategic: PatchStrategy.StrategicMergePatch,
  json: PatchStrategy.JsonPatch,
};

const groupVersion = (apiVersion: string) => {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
};

/** The Cluster port over @kubernetes/client-node: the only module (with its siblings) that imports it. */
export class KubeCluster implements Cluster {
  readonly name: string;
  readonly kc: KubeConfig;
  private readonly api: KubernetesObjectApi;
  private readonly bucket: TokenBucket;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();
  private readonly fieldManager: string;

  constructor(private readonly opts: KubeClusterOptions) {
    this.name = opts.name;
    this.kc = opts.kubeConfig;
    this.api = KubernetesObjectApi.makeApiClient(this.kc);
    this.bucket = new TokenBucket(opts.qps ?? 50, opts.burst ?? 100);
    this.fieldManager = opts.fieldManager ?? "tiphys";
  }

  /** One request with the rate limit, and retries with backoff (Retry-After honoured) when it may help. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const attempts = this.opts.maxAttempts ?? 5;
    for (let i = 1; ; i++) {
      await this.bucket.take();
      try {
        return await fn();
      } catch (err) {
        if (i >= attempts || !isRetryable(err)) throw translate(err, what, this.name);
        const wait = retryAfterMs(err) ?? Math.min(5_000, 100 * 2 ** (i - 1));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** A GET of a raw path (discovery), with the kubeconfig's credentials. */
  async rawGet(path: string): Promise<{ status: number; body: string }> {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw translate(new Error("the kubeconfig has no current cluster"), "reading the kubeconfig", this.name);
    const url = new URL(path, server);
    const options: RequestOptions = { method: "GET", headers: { accept: "application/json" } };
    await this.kc.applyToHTTPSOptions(options);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  private loadGroup(apiVersion: string, refresh = false): Promise<Map<string, ResourceInfo>> {
    if (refresh) this.discovery.delete(apiVersion);
    let p = this.discovery.get(apiVersion);
    if (!p) {
      const { group, version } = groupVersion(apiVersion);
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      p = this.call(`discovering ${apiVersion}`, async () => {
        const res = await this.rawGet(path);
        if (res.status === 404) return new Map<string, ResourceInfo>();
        if (res.status >= 400) throw Object.assign(new Error(res.body), { code: res.status, body: res.body });
        const list = JSON.parse(res.body) as { resources: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }> };
        const out = new Map<string, ResourceInfo>();
        for (const r of list.resources) {
          if (r.name.includes("/")) continue;
          out.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs });
        }
        return out;
      });
      p.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, p);
    }
    return p;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const hit = (await this.loadGroup(apiVersion)).get(kind);
    if (hit) return hit;
    // A CRD registered since: look again once.
    return (await this.loadGroup(apiVersion, true)).get(kind);
  }

  /** The collection path of a kind (namespaced when a namespace is given and the kind is). */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const info = await this.resourceFor(apiVersion, kind);
    if (!info) throw translate(Object.assign(new Error(`the server does not serve ${apiVersion} ${kind}`), { code: 404 }), `finding ${kind}`, this.name);
    const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    return info.namespaced && namespace ? `${base}/namespaces/${namespace}/${info.plural}` : `${base}/${info.plural}`;
  }

  private header(ref: ObjectRef): KubernetesObject {
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return (await this.call(`reading ${ref.kind} ${ref.name}`, () => this.api.read(this.header(ref) as never))) as unknown as T;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`listing ${kind}`, () =>
        this.api.list(apiVersion, kind, opts.namespace, undefined, undefined, undefined, opts.fieldSelector, opts.labelSelector, opts.limit ?? 500, token),
      );
      for (const item of page.items) out.push({ apiVersion, kind, ...(item as object) } as T);
      token = page.metadata?._continue || undefined;
    } while (token);
    return out;
  }

  async create<T extends KubeObject = KubeObject>(obj: T, opts: { dryRun?: boolean } = {}): Promise<T> {
    return (await this.call(`creating ${obj.kind} ${obj.metadata.name ?? obj.metadata.generateName ?? ""}`, () =>
      this.api.create(obj as never, undefined, opts.dryRun ? "All" : undefined, this.fieldManager),
    )) as unknown as T;
  }

  async apply<T extends KubeObject = KubeObject>(obj: T, opts: ApplyOptions = {}): Promise<T> {
    const body = { ...obj, metadata: { ...obj.metadata } };
    delete body.metadata.resourceVersion;
    delete body.metadata.managedFields;
    return (await this.call(`applying ${obj.kind} ${obj.metadata.name}`, () =>
      this.api.patch(body as never, undefined, opts.dryRun ? "All" : undefined, opts.fieldManager ?? this.fieldManager, opts.force ?? false, PatchStrategy.ServerSideApply),
    )) as unknown as T;
  }

  async replace<T extends KubeObject = KubeObject>(obj: T): Promise<T> {
    return (await this.call(`replacing ${obj.kind} ${obj.metadata.name}`, () => this.api.replace(obj as never, undefined, undefined, this.fieldManager))) as unknown as T;
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType): Promise<T> {
    // The client builds the URL from apiVersion/kind/metadata and sends the value as the body; a JSON
    // patch is an array, whose extra properties JSON.stringify leaves out.
    const body = Array.isArray(patch)
      ? Object.assign([...patch], this.header(ref))
      : { ...(patch as object), apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...((patch as KubeObject).metadata ?? {}), name: ref.name, namespace: ref.namespace } };
    return (await this.call(`patching ${ref.kind} ${ref.name}`, () =>
      this.api.patch(body as never, undefined, undefined, this.fieldManager, undefined, PATCH_TYPES[type] as never),
    )) as unknown as T;
  }

  async delete(ref: ObjectRef, opts: { propagationPolicy?: "Background" | "Foreground" | "Orphan"; gracePeriodSeconds?: number } = {}): Promise<boolean> {
    try {
      await this.call(`deleting ${ref.kind} ${ref.name}`, () =>
        this.api.delete(this.header(ref) as never, undefined, undefined, opts.gracePeriodSeconds, undefined, opts.propagationPolicy),
      );
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  watch(apiVersion: string, kind: string, opts: ListOptions, onEvent: (e: WatchEvent) => void, onError?: (err: Error) => void): WatchHandle {
    return startWatch({
      cluster: this,
      watcher: new Watch(this.kc),
      apiVersion,
      kind,
      opts,
      onEvent,
      onError,
    });
  }

  async logs(ref: { namespace: string; name: string; container?: string }, opts: { follow?: boolean; tailLines?: number; onData?: (chunk: string) => void; signal?: AbortSignal } = {}): Promise<string> {
    let text = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        const s = chunk.toString("utf8");
        text += s;
        opts.onData?.(s);
        cb();
      },
    });
    await this.bucket.take();
    await new Promise<void>((resolve, reject) => {
      new Log(this.kc)
        .log(ref.namespace, ref.name, ref.container ?? "", sink, (err) => (err && statusOf(err) !== undefined ? reject(translate(err, `reading the log of ${ref.name}`, this.name)) : resolve()), {
          follow: opts.follow ?? false,
          tailLines: opts.tailLines,
          pretty: false,
          timestamps: false,
        })
        .then((ctl) => opts.signal?.addEventListener("abort", () => ctl.abort(), { once: true }))
        .catch((err) => reject(translate(err, `reading the log of ${ref.name}`, this.name)));
    });
    return text;
  }
}
