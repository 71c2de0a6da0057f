// Networking as a cloud and kube-controller-manager would report it: Services of type LoadBalancer
// get `status.loadBalancer.ingress[{ip}]` after a delay (or never, with `loadBalancer: false`),
// Ingresses an address likewise, and Services with a selector their Endpoints (ready pods as
// addresses, others as notReadyAddresses). Nothing is routed: the addresses are made up.
import type { SimApi } from "../api.js";
import { deepEqual } from "../objects.js";
import { matchesLabelSelector } from "../selectors.js";
import type { KubeObject } from "../types.js";
import { controllerOf, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { arr, CONTROLLER_MANAGER, isPodReady, isTerminalPod, keyOf, obj, spec, splitKey, status, type Obj, recordEvent } from "./util.js";

export interface LoadBalancerOptions {
  /** The address every load balancer gets; default one per Service from 172.18.255.200 up. */
  ingressIP?: string;
  /** How long provisioning takes. Default 300 ms. */
  delayMs?: number;
}

/** A load-balancer "cloud": addresses appear `delayMs` after an object first asks for one. */
function startAddresses(api: SimApi, resource: "services" | "ingresses.networking.k8s.io", opts: LoadBalancerOptions, nextIp: () => string): Controller {
  const delay = opts.delayMs ?? 300;
  const firstSeen = new Map<string, number>();
  const ips = new Map<string, string>();
  const component = resource === "services" ? "service-controller" : "ingress-controller";
  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const o = api.tryGet(resource, namespace, name);
    if (!o) return;
    const uid = o.metadata.uid ?? "";
    const wants = resource !== "services" || spec(o).type === "LoadBalancer";
    const ingress = arr<Obj>(obj(status(o).loadBalancer).ingress);
    if (!wants) {
      firstSeen.delete(uid);
      if (ingress.length > 0) api.updateStatus(resource, { ...o, metadata: { ...o.metadata, resourceVersion: undefined }, status: { ...status(o), loadBalancer: {} } }, { fieldManager: CONTROLLER_MANAGER });
      return;
    }
    if (ingress.length > 0 || o.metadata.deletionTimestamp) return;
    const t = api.core.now();
    if (!firstSeen.has(uid)) {
      firstSeen.set(uid, t);
      if (resource === "services") recordEvent(api, o, { reason: "EnsuringLoadBalancer", message: "Ensuring load balancer", component });
    }
    const left = (firstSeen.get(uid) ?? t) + delay - t;
    if (left > 0) return left;
    const ip = opts.ingressIP ?? ips.get(uid) ?? nextIp();
    ips.set(uid, ip);
    const entry = resource === "services" ? { ip, ipMode: "VIP" } : { ip };
    api.updateStatus(resource, { ...o, metadata: { ...o.metadata, resourceVersion: undefined }, status: { ...status(o), loadBalancer: { ingress: [entry] } } }, { fieldManager: CONTROLLER_MANAGER });
    if (resource === "services") recordEvent(api, o, { reason: "EnsuredLoadBalancer", message: "Ensured load balancer", component });
  };
  const queue = new WorkQueue(component, reconcile);
  return controllerOf(queue, [watchKeys(api, resource, queue, (e) => (e.type === "DELETED" ? undefined : keyOf(e.object)))]);
}

export function startLoadBalancers(api: SimApi, opts: LoadBalancerOptions): Controller {
  let n = 200;
  const nextIp = () => `172.18.255.${n++ % 256}`;
  const services = startAddresses(api, "services", opts, nextIp);
  // Ingresses share one address: that of the (simulated) ingress controller's own load balancer.
  let ingressIp: string | undefined;
  const ingresses = startAddresses(api, "ingresses.networking.k8s.io", opts, () => (ingressIp ??= nextIp()));
  return { stop: () => (services.stop(), ingresses.stop()) };
}

function targetPort(svcPort: Obj, pod: KubeObject): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === "number") return target;
  for (const c of arr<Obj>(spec(pod).containers)) {
    const p = arr<Obj>(c.ports).find((x) => x.name === target);
    if (p && typeof p.containerPort === "number") return p.containerPort;
  }
  return undefined;
}

/** The Endpoints of a Service with a selector: pods grouped by the ports they resolve to. */
export function planEndpoints(svc: KubeObject, pods: KubeObject[]): Obj[] {
  const subsets = new Map<string, { addresses: Obj[]; notReadyAddresses: Obj[]; ports: Obj[] }>();
  for (const p of pods) {
    const ip = status(p).podIP;
    if (!ip || isTerminalPod(p) || p.metadata.deletionTimestamp) continue;
    const ports = arr<Obj>(spec(svc).ports).flatMap((sp) => {
      const port = targetPort(sp, p);
      if (port === undefined) return [];
      const out: Obj = { port, protocol: sp.protocol ?? "TCP" };
      if (sp.name) out.name = sp.name;
      if (sp.appProtocol) out.appProtocol = sp.appProtocol;
      return [out];
    });
    const key = JSON.stringify(ports);
    const subset = subsets.get(key) ?? { addresses: [], notReadyAddresses: [], ports };
    subsets.set(key, subset);
    const address = { ip, nodeName: spec(p).nodeName, targetRef: { kind: "Pod", name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid } };
    (isPodReady(p) ? subset.addresses : subset.notReadyAddresses).push(address);
  }
  return [...subsets.values()].map((s) => {
    const out: Obj = {};
    const byIp = (a: Obj, b: Obj) => (String(a.ip) < String(b.ip) ? -1 : 1);
    if (s.addresses.length) out.addresses = s.addresses.sort(byIp);
    if (s.notReadyAddresses.length) out.notReadyAddresses = s.notReadyAddresses.sort(byIp);
    if (s.ports.length) out.ports = s.ports;
    return out;
  });
}

export function startEndpointsController(api: SimApi): Controller {
  const reconcile = (key: string): void => {
    const { namespace, name } = splitKey(key);
    const svc = api.tryGet("services", namespace, name);
    const existing = api.tryGet("endpoints", namespace, name);
    const selector = svc && obj(spec(svc).selector);
    if (!svc || !selector || Object.keys(selector).length === 0) {
      // Without a selector the Endpoints are the user's; with the Service gone, ours go too.
      if (!svc && existing?.metadata.labels?.["endpoints.kubernetes.io/managed-by"] === "endpoint-controller") api.delete("endpoints", namespace, name);
      return;
    }
    const pods = api.list("pods", { namespace, readonly: true }).items.filter((p) => matchesLabelSelector({ matchLabels: selector as Record<string, string> }, p.metadata.labels));
    const subsets = planEndpoints(svc, pods);
    const labels = { ...svc.metadata.labels, "endpoints.kubernetes.io/managed-by": "endpoint-controller" };
    if (!existing) {
      api.create("endpoints", { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels }, subsets }, { fieldManager: CONTROLLER_MANAGER });
    } else if (!deepEqual(existing.subsets ?? [], subsets) || !deepEqual(existing.metadata.labels, labels)) {
      api.update("endpoints", { ...existing, metadata: { ...existing.metadata, labels, resourceVersion: undefined }, subsets }, { fieldManager: CONTROLLER_MANAGER });
    }
  };
  const queue = new WorkQueue("endpoint", reconcile);
  const servicesFor = (pod: KubeObject) =>
    api
      .list("services", { namespace: pod.metadata.namespace, readonly: true })
      .items.filter((s) => {
        const sel = obj(spec(s).selector);
        return Object.keys(sel).length > 0 && matchesLabelSelector({ matchLabels: sel as Record<string, string> }, pod.metadata.labels);
      })
      .map(keyOf);
  return controllerOf(queue, [watchKeys(api, "services", queue), watchKeys(api, "pods", queue, (e) => servicesFor(e.object))]);
}
