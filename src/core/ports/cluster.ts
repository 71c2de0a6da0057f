/**
 * The Cluster port: what the engine and the reconcilers ask of a Kubernetes cluster. One adapter
 * implements it over @kubernetes/client-node (src/cluster/); the simulated cluster (src/simcluster/)
 * is a real API server that adapter talks to. Objects are plain Kubernetes JSON.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    finalizers?: string[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
}

export interface ApplyOptions {
  /** Take over fields other managers own (server-side apply `force`). Default false. */
  force?: boolean;
  /** Field manager (default `tiphys`). */
  fieldManager?: string;
  dryRun?: boolean;
}

export type PatchType = "merge" | "strategic" | "json";

export interface PatchOptions {
  subresource?: "status";
}

export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }
  | { type: "BOOKMARK"; resourceVersion: string };

export interface WatchHandle {
  /** Stops the watch for good. */
  stop(): void;
  /** Resolves once the first list is done and events are live. */
  readonly ready: Promise<void>;
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

export interface Cluster {
  /** A name for messages: the kubeconfig context, `in-cluster`, or `simulated`. */
  readonly name: string;
  /** Discovery (cached; refreshed when a kind is unknown). Undefined when the server does not serve it. */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts?: ListOptions): Promise<T[]>;
  create<T extends KubeObject = KubeObject>(obj: T, opts?: { dryRun?: boolean }): Promise<T>;
  /** Server-side apply. */
  apply<T extends KubeObject = KubeObject>(obj: T, opts?: ApplyOptions): Promise<T>;
  replace<T extends KubeObject = KubeObject>(obj: T): Promise<T>;
  /**
   * Patches the object, or with `subresource: "status"` its status (the only way to write the status of
   * a kind that has a status subresource). A `metadata.resourceVersion` in the patch is a precondition:
   * a stale one fails with 409 Conflict.
   */
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T>;
  /** Deletes; resolves false when it was already gone. */
  delete(ref: ObjectRef, opts?: { propagationPolicy?: "Background" | "Foreground" | "Orphan"; gracePeriodSeconds?: number }): Promise<boolean>;
  /**
   * Lists then watches, resuming from the last resourceVersion after a disconnect (bookmarks kept) and
   * listing again after 410 Gone; `onEvent` sees every change once, in order.
   */
  watch(apiVersion: string, kind: string, opts: ListOptions, onEvent: (e: WatchEvent) => void, onError?: (err: Error) => void): WatchHandle;
  /** A container's log; with `follow`, `onData` gets chunks until the container ends. */
  logs(ref: { namespace: string; name: string; container?: string }, opts?: { follow?: boolean; tailLines?: number; onData?: (chunk: string) => void; signal?: AbortSignal }): Promise<string>;
}
