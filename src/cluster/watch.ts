import type { Watch } from "@kubernetes/client-node";
import { ConfigError } from "../core/errors.js";
import type { KubeObject, ListOptions, WatchEvent, WatchHandle } from "../core/ports/cluster.js";
import { statusOf, translate } from "./errors.js";
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

/** How a watch stream ended: `expired` when the server no longer has our resourceVersion (410 Gone). */
interface StreamEnd {
  expired: boolean;
  events: number;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** Asked of the server; it may end a stream sooner (and ours re-watches from the last resourceVersion). */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * An informer's loop: list, then watch from the list's resourceVersion; when the stream ends, watch
 * again from the last resourceVersion seen (bookmarks count); on 410 Gone, list again and report the
 * difference from what was known, so every change reaches `onEvent` once and in order. Failures go
 * to `onError` and the loop carries on with backoff, except a kind the cluster does not serve, which
 * rejects `ready` and stops.
 */
export function startWatch(input: WatchInput): WatchHandle {
  const { cluster, watcher, apiVersion, kind, opts, onEvent } = input;
  const what = `watching ${kind}`;
  const known = new Map<string, KubeObject>();
  let resourceVersion = "";
  let stopped = false;
  let current: AbortController | undefined;
  let live = false;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A caller that never awaits `ready` must not get an unhandled rejection.
  ready.catch(() => {});

  const withType = (o: KubeObject): KubeObject => ({ ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind });

  const relist = async (): Promise<void> => {
    const res = await cluster.listWithVersion(apiVersion, kind, opts);
    if (stopped) return;
    const seen = new Set<string>();
    for (const obj of res.items) {
      const key = keyOf(obj);
      seen.add(key);
      const prev = known.get(key);
      known.set(key, obj);
      if (prev && prev.metadata.uid && obj.metadata.uid && prev.metadata.uid !== obj.metadata.uid) {
        // Deleted and created again under the same name while we were not watching.
        onEvent({ type: "DELETED", object: prev });
        onEvent({ type: "ADDED", object: obj });
      } else if (!prev) onEvent({ type: "ADDED", object: obj });
      else if (prev.metadata.resourceVersion !== obj.metadata.resourceVersion) onEvent({ type: "MODIFIED", object: obj });
    }
    for (const [key, obj] of [...known]) {
      if (seen.has(key)) continue;
      known.delete(key);
      onEvent({ type: "DELETED", object: obj });
    }
    resourceVersion = res.resourceVersion;
  };

  const deliver = (type: "ADDED" | "MODIFIED" | "DELETED", raw: KubeObject) => {
    const obj = withType(raw);
    const key = keyOf(obj);
    const prev = known.get(key);
    if (obj.metadata.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
    if (type === "DELETED") {
      if (!prev) return;
      known.delete(key);
    } else {
      // Seen already (a relist raced the stream): once is enough.
      if (prev && prev.metadata.resourceVersion === obj.metadata.resourceVersion) return;
      known.set(key, obj);
    }
    onEvent({ type, object: obj });
  };

  const watchOnce = async (path: string): Promise<StreamEnd> => {
    await cluster.throttle();
    return new Promise<StreamEnd>((resolve, reject) => {
      let expired = false;
      let events = 0;
      let failure: Error | undefined;
      watcher
        .watch(
          path,
          {
            resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: opts.labelSelector,
            fieldSelector: opts.fieldSelector,
            timeoutSeconds: WATCH_TIMEOUT_SECONDS,
          },
          (type: string, obj: KubeObject & { code?: number; message?: string }) => {
            if (stopped) return;
            events++;
            if (type === "ERROR") {
              // The server ends the stream after an ERROR event; 410 means our resourceVersion is too old.
              if (obj.code === 410) expired = true;
              else failure = translate(Object.assign(new Error(obj.message ?? "watch error"), { code: obj.code, body: obj }), what, cluster.name);
              current?.abort();
            } else if (type === "BOOKMARK") {
              resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
              onEvent({ type: "BOOKMARK", resourceVersion });
            } else if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") {
              deliver(type, obj);
            }
          },
          (err: unknown) => {
            if (statusOf(err) === 410) expired = true;
            if (expired || stopped) resolve({ expired, events });
            else if (failure) reject(failure);
            else if (err && (err as Error).name !== "AbortError") reject(err);
            else resolve({ expired, events });
          },
        )
        .then((ctl) => {
          current = ctl;
          if (stopped) ctl.abort();
          else if (!live) {
            live = true;
            resolveReady();
          }
        }, reject);
    });
  };

  const loop = async () => {
    let needList = true;
    let backoff = FIRST_BACKOFF_MS;
    let path = "";
    while (!stopped) {
      try {
        if (needList) {
          path = await cluster.collectionPath(apiVersion, kind, opts.namespace, true);
          await relist();
          needList = false;
        }
        if (stopped) return;
        const started = Date.now();
        const end = await watchOnce(path);
        if (end.expired) {
          needList = true;
          continue;
        }
        // A stream that ends at once with nothing in it: do not hammer the server.
        if (end.events === 0 && Date.now() - started < 1_000) {
          await sleep(backoff);
          backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        } else backoff = FIRST_BACKOFF_MS;
      } catch (err) {
        if (stopped) return;
        const error = translate(err, what, cluster.name);
        input.onError?.(error);
        if (error instanceof ConfigError && !live) {
          stopped = true;
          rejectReady(error);
          return;
        }
        if (statusOf(err) === 410) needList = true;
        await sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  };
  void loop();
  return {
    ready,
    stop() {
      stopped = true;
      current?.abort();
    },
  };
}
