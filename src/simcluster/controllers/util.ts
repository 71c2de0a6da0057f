// Helpers the simulated controllers share: typed access to plain JSON objects, owner references,
// conditions, and the pod predicates (active, ready, available) that Kubernetes' controller utilities
// define the same way.
import type { RecordEventInput, SimApi } from "../api.js";
import { isObject, timestamp } from "../objects.js";
import { matchesLabelSelector, type LabelSelectorObject } from "../selectors.js";
import type { JsonObject, KubeObject, OwnerReference } from "../types.js";

export type Obj = JsonObject;
export const obj = (v: unknown): Obj => (isObject(v) ? v : {});
export const arr = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const num = (v: unknown, fallback = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
export const spec = (o: KubeObject): Obj => obj(o.spec);
export const status = (o: KubeObject): Obj => obj(o.status);

/** The field manager the controllers write with (as kube-controller-manager does). */
export const CONTROLLER_MANAGER = "kube-controller-manager";

export const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller);
}

/** The reference a controller puts on what it creates. */
export function ownerRefTo(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

export const isOwnedBy = (o: KubeObject, owner: KubeObject): boolean => controllerRefOf(o)?.uid === owner.metadata.uid;

export function selectorOf(o: KubeObject): LabelSelectorObject | undefined {
  return isObject(spec(o).selector) ? (spec(o).selector as LabelSelectorObject) : undefined;
}

/** What a controller owns, and the orphans its selector matches (adopted as a real controller would). */
export function claimable(items: KubeObject[], owner: KubeObject): { owned: KubeObject[]; orphans: KubeObject[] } {
  const sel = selectorOf(owner);
  const owned: KubeObject[] = [];
  const orphans: KubeObject[] = [];
  for (const o of items) {
    const ref = controllerRefOf(o);
    if (ref?.uid === owner.metadata.uid) owned.push(o);
    else if (!ref && !o.metadata.deletionTimestamp && sel && Object.keys(sel).length > 0 && matchesLabelSelector(sel, o.metadata.labels)) orphans.push(o);
  }
  return { owned, orphans };
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
  [key: string]: unknown;
}

export const conditionsOf = (o: KubeObject): Condition[] => arr<Condition>(status(o).conditions);
export const findCondition = (conds: Condition[], type: string): Condition | undefined => conds.find((c) => c.type === type);

export const now = (ms: number): string => timestamp(ms);

// Pods

export const podPhase = (p: KubeObject): string => String(status(p).phase ?? "");
export const isTerminalPod = (p: KubeObject): boolean => ["Succeeded", "Failed"].includes(podPhase(p));
/** Counted by controllers: not finished and not being deleted (controller.FilterActivePods). */
export const isActivePod = (p: KubeObject): boolean => !isTerminalPod(p) && !p.metadata.deletionTimestamp;

export function isPodReady(p: KubeObject): boolean {
  return findCondition(arr<Condition>(status(p).conditions), "Ready")?.status === "True";
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(p: KubeObject, minReadySeconds: number, nowMs: number): boolean {
  const ready = findCondition(arr<Condition>(status(p).conditions), "Ready");
  if (ready?.status !== "True") return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : nowMs;
  return since + minReadySeconds * 1000 <= nowMs;
}

/** Milliseconds until a ready pod becomes available, or undefined when it is not ready or already is. */
export function untilAvailable(p: KubeObject, minReadySeconds: number, nowMs: number): number | undefined {
  const ready = findCondition(arr<Condition>(status(p).conditions), "Ready");
  if (ready?.status !== "True" || minReadySeconds <= 0 || !ready.lastTransitionTime) return undefined;
  const wait = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 - nowMs;
  return wait > 0 ? wait : undefined;
}

/** An int-or-percent (`2`, `"25%"`) of `total`, rounded up or down (intstr.GetScaledValueFromIntOrPercent). */
export function scaledValue(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\d+%$/.test(v)) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return 0;
}

/** Drops the keys whose value is 0 (the Go types mark them omitempty). */
export function omitZero<T extends Obj>(o: T, keys: string[]): T {
  for (const k of keys) if (o[k] === 0) delete o[k];
  return o;
}

/** A pod from a workload's template, owned by it. */
export function podFromTemplate(owner: KubeObject, template: Obj, opts: { name?: string; generateName?: string; labels?: Record<string, string> }): KubeObject {
  const meta = obj(template.metadata);
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      namespace: owner.metadata.namespace,
      labels: { ...(obj(meta.labels) as Record<string, string>), ...opts.labels },
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: structuredClone(obj(template.spec)),
  };
  if (opts.name) pod.metadata.name = opts.name;
  else pod.metadata.generateName = opts.generateName ?? `${owner.metadata.name}-`;
  if (isObject(meta.annotations)) pod.metadata.annotations = { ...(meta.annotations as Record<string, string>) };
  return pod;
}

/** Creation order, then name (controller.ReplicaSetsByCreationTimestamp and friends). */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata.name ?? "";
  const nb = b.metadata.name ?? "";
  return na === nb ? 0 : na < nb ? -1 : 1;
}

/** Records an Event; events are best effort (a terminating namespace refuses them). */
export function recordEvent(api: SimApi, involved: KubeObject, input: RecordEventInput): void {
  try {
    api.recordEvent(involved, input);
  } catch {
    // Nothing depends on an event.
  }
}
