/**
 * A simulated Kubernetes API server (labelled as such: `/version` says v1.33.0-tiphys-simulated, the
 * kubeconfig's cluster is `tiphys-simulated`). It speaks the real API (node:https / node:http, written
 * here) to @kubernetes/client-node, kubectl and tests, and offers the same operations in-process (`api`)
 * for the simulated controllers and kubelet, which build on it (controllers/, kubelet/; see below).
 * Request bodies are JSON or YAML; the protobuf bodies of kubectl's typed commands are decoded for
 * Namespace, ConfigMap, Secret and ServiceAccount only (`kubectl create deployment` gets 415; `kubectl apply -f` always works).
 *
 * It serves HTTPS with a self-signed certificate made at start (the kubeconfig names it as the
 * certificate authority), because kubectl sends credentials only over TLS; `tls: false` serves plain
 * HTTP (the kubeconfig then says insecure-skip-tls-verify, which @kubernetes/client-node needs for
 * http://), where kubectl gets 401 unless `allowAnonymous`. Any bearer token is accepted.
 *
 *   const cluster = await startSimulatedCluster({ port: 0 });   // or createSimApi(opts): SimApi, without HTTP
 *   cluster.url; cluster.kubeconfig(); await cluster.writeKubeconfig(file); await cluster.close();
 *
 * ## Internal API (`cluster.api`, a SimApi)
 *
 * Resources are named by a ResourceRef: `"pods"`, `"po"`, `"Pod"`, `"deployments.apps"`,
 * `"apps/v1/deployments"`, `{ apiVersion: "apps/v1", kind: "Deployment" }`, `{ group, resource }` or a
 * ResourceType. Every call has the HTTP semantics (resourceVersion bumps, generation, managedFields,
 * defaults, validation, finalizers, garbage collection, watch events) and throws `ApiError` (with the
 * Kubernetes `Status` in `.status`, `.code`, `.reason`) where the server would answer an error.
 * Objects returned are copies: change them and write them back. Stored objects are deep-frozen;
 * `readonly: true` (list, subscribe) hands them out without copying, for speed on large sets.
 *
 *   get(ref, namespace | undefined, name): KubeObject                       404 when missing
 *   tryGet(ref, namespace | undefined, name): KubeObject | undefined
 *   list(ref, { namespace?, labelSelector?, fieldSelector?, limit?, continue?, readonly? }): { items, resourceVersion, continue?, remainingItemCount? }
 *   create(ref, obj, { namespace?, fieldManager?, dryRun? }): KubeObject     409 AlreadyExists, 404 namespace, 422 Invalid
 *   update(ref, obj, { namespace?, fieldManager?, dryRun? }): KubeObject     PUT; stale metadata.resourceVersion → 409; status kept when it is a subresource
 *   updateStatus(ref, obj, opts?): KubeObject                                PUT /status: only status changes
 *   patch(ref, namespace, name, body, { type: "merge" | "strategic" | "json" | "apply", fieldManager?, force?, subresource?: "status" | "scale", dryRun? }): KubeObject
 *   apply(ref, obj, { fieldManager, force?, subresource?: "status", dryRun?, namespace? }): KubeObject   server-side apply
 *   delete(ref, namespace, name, { propagationPolicy?, gracePeriodSeconds?, preconditions?, dryRun? }): { object, deleted }
 *   deleteCollection(ref, { namespace?, labelSelector?, fieldSelector?, ...deleteOptions }): KubeObject[]
 *   getScale(ref, namespace, name): KubeObject                               autoscaling/v1 Scale
 *   watch(ref, { namespace?, labelSelector?, fieldSelector?, resourceVersion?, sendInitialEvents? }, (e: { type, object }) => void): () => void
 *       synchronous, stored objects (read-only); resourceVersion older than the kept history → ApiError 410 (Expired)
 *   subscribe(ref | "*", (e: { type, object, resource }) => void, { namespace?, labelSelector?, replay?, readonly?, onError? }): () => void
 *       for controllers: copies, delivered in order in a microtask (so a listener may write without re-entering
 *       the store); `replay: true` first sends ADDED for what exists (an informer's initial list)
 *   appendLog(namespace, pod, container, text); closeLog(namespace, pod, container); restartLog(...); readLog(..., opts?)
 *       the kubelet's side of `pods/<name>/log`: followers get lines until closeLog (container terminated) or the pod is deleted
 *   recordEvent(involvedObject, { type?, reason, message, component? }): KubeObject   a core/v1 Event (`kubectl describe`)
 *   settle(): Promise<void>          resolves when the garbage collector is idle and subscribers have their events
 *   resolve(ref): ResourceType; resources: ResourceRegistry (CRDs add resources when created)
 *   resourceVersion: string          the current global resourceVersion
 *   faults: FaultInjector            set(config) | update(partial) | clear(): latency, error rates, conflicts, 429, watch drops (HTTP only)
 *   requests: RequestLog             list(filter?) | count(filter?) | reset(): what reached the HTTP server
 *
 * A controller is an in-process loop: `api.subscribe("replicasets.apps", (e) => reconcile(e.object), { replay: true })`,
 * writing through create/update/updateStatus/patch with its own fieldManager. A kubelet binds pods by
 * setting spec.nodeName (or POST pods/<name>/binding), writes status through updateStatus, and finishes
 * a graceful pod deletion (pods bound to a node get deletionTimestamp + grace period) with
 * `delete(..., { gracePeriodSeconds: 0 })`; the server removes it itself when the grace period runs out.
 *
 * ## Controllers and the kubelet (controllers/, kubelet/)
 *
 * `startSimulatedCluster` starts them unless told not to (`controllers: false`; `createSimApi` never
 * does): Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, Endpoints, volume binding, load balancer
 * and Ingress addresses (`loadBalancer: { ingressIP, delayMs } | false`), a scheduler and the kubelet of
 * the one node `tiphys-simulated-node` (`kubelet: { mode: "simulate" | "process", podStartDelayMs,
 * readyDelayMs, failImages, workDir, restartBackoffMs } | false`). See kubelet/index.ts for what the
 * kubelet simulates and what it really runs.
 */
import { writeFile } from "node:fs/promises";
import { SimApi } from "./api.js";
import { ClusterCore } from "./core.js";
import type { FaultConfig } from "./faults.js";
import { startClusterLoops, type LoadBalancerOptions } from "./controllers/index.js";
import { CLUSTER_NAME, renderKubeconfig } from "./kubeconfig.js";
import type { KubeletOptions } from "./kubelet/index.js";
import { startServer } from "./server.js";
import { selfSignedCertificate } from "./tls.js";

export interface SimulatedClusterOptions {
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Faults to inject from the start (change them later through `api.faults`). */
  faults?: FaultConfig;
  /** Events kept per resource for resuming watches; an older resourceVersion gets 410. Default 10000. */
  historySize?: number;
  /** Seed for generated names. */
  seed?: number;
  /** The bearer token the kubeconfig carries. Any bearer token is accepted. */
  token?: string;
  /** Namespaces to create besides default, kube-system, kube-public and kube-node-lease. */
  namespaces?: string[];
  /** Bookmark interval of watch streams that allow bookmarks. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** HTTPS with a self-signed certificate (default true); false: plain HTTP. */
  tls?: boolean;
  /** Accept requests without a bearer token. Default false (401). */
  allowAnonymous?: boolean;
  /** Workload, service and volume controllers. Default true; false also means no kubelet unless `kubelet` is given. */
  controllers?: boolean;
  /** The node's kubelet; default `{ mode: "simulate" }` when controllers run; false: no node, pods stay Pending. */
  kubelet?: KubeletOptions | false;
  /** Addresses for LoadBalancer Services and Ingresses; false: they never get one. */
  loadBalancer?: LoadBalancerOptions | false;
}

export interface SimulatedCluster {
  url: string;
  port: number;
  /** PEM certificate of the HTTPS server (its own authority); undefined for plain HTTP. */
  certificate?: string;
  /** Kubeconfig YAML for this cluster (context `tiphys-simulated`). */
  kubeconfig(opts?: { namespace?: string }): string;
  writeKubeconfig(file: string, opts?: { namespace?: string }): Promise<void>;
  close(): Promise<void>;
  api: SimApi;
}

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
export const DEFAULT_TOKEN = "tiphys-simulated-token";

/** The API without an HTTP server: for controllers and tests that stay in-process. */
export function createSimApi(opts: Pick<SimulatedClusterOptions, "faults" | "historySize" | "seed" | "namespaces"> = {}): SimApi {
  const core = new ClusterCore({ historySize: opts.historySize, seed: opts.seed });
  const api = new SimApi(core, opts.faults);
  for (const name of [...SYSTEM_NAMESPACES, ...(opts.namespaces ?? [])]) {
    if (!api.tryGet("namespaces", undefined, name)) api.create("namespaces", { metadata: { name } }, { fieldManager: "kube-apiserver" });
  }
  return api;
}

export async function startSimulatedCluster(opts: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
  const api = createSimApi(opts);
  const host = opts.host ?? "127.0.0.1";
  const token = opts.token ?? DEFAULT_TOKEN;
  const tls = opts.tls === false ? undefined : selfSignedCertificate(CLUSTER_NAME, [host]);
  const running = await startServer(api, {
    host,
    port: opts.port ?? 0,
    users: { [token]: `${CLUSTER_NAME}-admin` },
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    tls,
    allowAnonymous: opts.allowAnonymous,
  });
  const loops = startClusterLoops(api, { controllers: opts.controllers, kubelet: opts.kubelet, loadBalancer: opts.loadBalancer });
  // Listening on every address: clients (and the certificate) use the loopback one.
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const url = `${tls ? "https" : "http"}://${reachable.includes(":") ? `[${reachable}]` : reachable}:${running.port}`;
  const kubeconfig = (k: { namespace?: string } = {}) =>
    renderKubeconfig({ server: url, token, namespace: k.namespace, certificateAuthority: tls?.cert });
  return {
    url,
    port: running.port,
    certificate: tls?.cert,
    kubeconfig,
    writeKubeconfig: (file, k) => writeFile(file, kubeconfig(k), { mode: 0o600 }),
    close: async () => {
      await loops.stop();
      await running.close();
    },
    api,
  };
}

export { SimApi } from "./api.js";
export type { ApplyOptions, ListOptions, ListResult, SimEvent, SubscribeOptions, WatchEvent, WatchOptions } from "./api.js";
export type { DeleteOptions, DeleteResult, PropagationPolicy } from "./deletion.js";
export type { FaultConfig, Verb } from "./faults.js";
export { FaultInjector } from "./faults.js";
export type { RequestRecord } from "./request-log.js";
export type { ResourceRef } from "./resources.js";
export { matchesLabelSelector, labelSelectorToString, type LabelSelectorObject } from "./selectors.js";
export { ApiError, type StatusBody } from "./status.js";
export type { KubeObject, ObjectMeta, OwnerReference, ResourceType } from "./types.js";
export type { PatchType } from "./writes.js";
export { SIMULATED_VERSION } from "./discovery.js";
export type { KubeletOptions } from "./kubelet/index.js";
export { NODE_NAME, terminationMessageFile } from "./kubelet/index.js";
export type { LoadBalancerOptions } from "./controllers/index.js";
