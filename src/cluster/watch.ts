import type { Watch } from "@kubernetes/client-node";
import type { KubeObject, ListOptions, WatchEvent, WatchHandle } from "../core/ports/cluster.js";
import type { KubeCluster } from "./kube-cluster.js";

interface WatchInput {
  cluster: KubeCluster;
  watcher: Watch;
  apiVersion: string;
  kind: string;
  opts: ListOptions;
  onEvent: (e: WatchEvent) => void;
  onError?: (err: Error) => void;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * An informer's loop: list, then watch from the list's resourceVersion; when the stream ends, watch
 * again from the last resourceVersion seen (bookmarks count); on 410 Gone, list again and report the
 * difference, so every change reaches `onEvent` once and in order.
 */
export function startWatch(input: WatchInput): WatchHandle {
  const { cluster, watcher, apiVersion, kind, opts, onEvent } = input;
  const known = new Map<string, KubeObject>();
  let resourceVersion: string | undefined;
  let stopped = false;
  let abort: AbortController | undefined;
  let backoff = 100;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const relist = async () => {
    const path = await cluster.collectionPath(apiVersion, kind, opts.namespace);
    const params = new URLSearchParams();
    if (opts.labelSelector) params.set("labelSelector", opts.labelSelector);
    if (opts.fieldSelector) params.set("fieldSelector", opts.fieldSelector);
    const res = await cluster.call(`listing ${kind}`, async () => {
      const r = await cluster.rawGet(`${path}${params.size ? "?" + params : ""}`);
      if (r.status >= 400) throw Object.assign(new Error(r.body), { code: r.status, body: r.body });
      return JSON.parse(r.body) as { metadata: { resourceVersion: string }; items: KubeObject[] };
    });
    const seen = new Set<string>();
    for (const item of res.items) {
      const obj = { ...item, apiVersion: item.apiVersion ?? apiVersion, kind: item.kind ?? kind } as KubeObject;
      const key = keyOf(obj);
      seen.add(key);
      const prev = known.get(key);
      known.set(key, obj);
      if (!prev) onEvent({ type: "ADDED", object: obj });
      else if (prev.metadata.resourceVersion !== obj.metadata.resourceVersion) onEvent({ type: "MODIFIED", object: obj });
    }
    for (const [key, obj] of [...known]) {
      if (!seen.has(key)) {
        known.delete(key);
        onEvent({ type: "DELETED", object: obj });
      }
    }
    resourceVersion = res.metadata.resourceVersion;
    return path;
  };

  const loop = async () => {
    let path: string | undefined;
    let needList = true;
    while (!stopped) {
      try {
        if (needList) {
          path = await relist();
          needList = false;
          resolveReady();
        }
        const gone = await new Promise<boolean>((resolve, reject) => {
          let expired = false;
          watcher
            .watch(
              path!,
              { resourceVersion, allowWatchBookmarks: true, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, timeoutSeconds: 300 },
              (type: string, obj: KubeObject & { code?: number }) => {
                if (type === "ERROR") {
                  if (obj.code === 410) expired = true;
                  return;
                }
                if (type === "BOOKMARK") {
                  resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
                  onEvent({ type: "BOOKMARK", resourceVersion: resourceVersion ?? "" });
                  return;
                }
                const full = { ...obj, apiVersion: obj.apiVersion ?? apiVersion, kind: obj.kind ?? kind } as KubeObject;
                resourceVersion = full.metadata.resourceVersion ?? resourceVersion;
                if (type === "DELETED") known.delete(keyOf(full));
                else known.set(keyOf(full), full);
                onEvent({ type: type as "ADDED" | "MODIFIED" | "DELETED", object: full });
              },
              (err: unknown) => {
                if (err && (err as { code?: number }).code === 410) expired = true;
                if (err && !expired && (err as { name?: string }).name !== "AbortError") reject(err);
                else resolve(expired);
              },
            )
            .then((ctl) => {
              abort = ctl;
              if (stopped) ctl.abort();
            })
            .catch(reject);
        });
        if (gone) needList = true;
        backoff = 100;
      } catch (err) {
        if (stopped) return;
        input.onError?.(err as Error);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(10_000, backoff * 2);
        if ((err as { code?: number }).code === 410) needList = true;
      }
    }
  };
  void loop();
  return {
    ready,
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}
