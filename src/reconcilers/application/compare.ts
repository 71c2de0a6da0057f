/**
 * Desired against live: Argo CD's `CompareAppState` (controller/state.go). Pairs the rendered objects
 * with the live ones by (group, kind, namespace, name), marks each Synced or OutOfSync, finds what
 * requires pruning (live, tracked by this app, no longer rendered) and gives each its health.
 */
import type { Cluster, KubeObject, ResourceInfo } from "../../core/ports/cluster.js";
import { diffResource, type ResourceDiff } from "./diff.js";
import { applicationHealth, healthOf } from "./health.js";
import { COMPARE_OPTIONS_ANNOTATION, parseOptions } from "./model.js";
import { hookInfo, waveOf } from "./tasks.js";
import type { Application, HealthStatus, ResourceKey, SyncStatusCode } from "./types.js";
import { groupKindOf, keyOf, keyString, versionOf } from "./types.js";

export const TRACKING_ANNOTATION = "tiphys.io/tracking-id";
export const APP_LABEL = "tiphys.io/app";

/** `<app>:<group>/<kind>:<namespace>/<name>`, Argo CD's tracking-id format. */
export function trackingId(appName: string, key: ResourceKey): string {
  return `${appName}:${key.group}/${key.kind}:${key.namespace}/${key.name}`;
}

/** The app a live object's tracking id names, when it names the object itself (else undefined). */
export function trackedBy(obj: KubeObject): string | undefined {
  const id = obj.metadata.annotations?.[TRACKING_ANNOTATION];
  if (!id) return undefined;
  const m = /^([^:]+):([^/]*)\/([^:]+):([^/]*)\/(.+)$/.exec(id);
  if (!m) return undefined;
  const k = keyOf(obj);
  if (m[2] !== k.group || m[3] !== k.kind || m[4] !== k.namespace || m[5] !== k.name) return undefined; // a copy: not self-referencing
  return m[1];
}

/** Label values are at most 63 characters; longer app names are cut and suffixed with a hash. */
export function appLabelValue(appName: string): string {
  if (appName.length <= 63) return appName;
  let h = 0;
  for (const c of appName) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `${appName.slice(0, 54)}-${h.toString(16).padStart(8, "0")}`;
}

/** Whether a kind is namespaced: discovery, else a CRD of the same sync, else assumed namespaced. */
export type ScopeOf = (apiVersion: string, kind: string) => boolean;

export async function discoverScopes(cluster: Cluster, objects: KubeObject[]): Promise<{ scopeOf: ScopeOf; unknown: Set<string>; infos: Map<string, ResourceInfo> }> {
  const infos = new Map<string, ResourceInfo>();
  const unknown = new Set<string>();
  const crdScope = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind === "CustomResourceDefinition") {
      const spec = o.spec as { group?: string; names?: { kind?: string }; scope?: string } | undefined;
      if (spec?.group && spec.names?.kind) crdScope.set(`${spec.group}/${spec.names.kind}`, spec.scope !== "Cluster");
    }
  }
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const o of objects) kinds.set(`${o.apiVersion}|${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  await Promise.all(
    [...kinds.entries()].map(async ([k, { apiVersion, kind }]) => {
      const info = await cluster.resourceFor(apiVersion, kind);
      if (info) infos.set(k, info);
      else unknown.add(k);
    }),
  );
  const scopeOf: ScopeOf = (apiVersion, kind) => {
    const info = infos.get(`${apiVersion}|${kind}`);
    if (info) return info.namespaced;
    return crdScope.get(`${groupKindOf(apiVersion, kind).group}/${kind}`) ?? true;
  };
  return { scopeOf, unknown, infos };
}

/** The destination namespace, or `default` when the app names none. */
export function destinationNamespace(app: Application): string {
  return app.spec.destination.namespace || "default";
}

/**
 * Rendered objects as they are applied: namespaced objects without a namespace get the destination's,
 * cluster-scoped ones lose any namespace, and each carries the tracking annotation and app label.
 */
export function prepareTargets(app: Application, rendered: KubeObject[], scopeOf: ScopeOf): KubeObject[] {
  const ns = destinationNamespace(app);
  return rendered.map((o) => {
    const obj = structuredClone(o);
    obj.metadata = { ...obj.metadata };
    if (scopeOf(obj.apiVersion, obj.kind)) obj.metadata.namespace = obj.metadata.namespace || ns;
    else delete obj.metadata.namespace;
    if (obj.metadata.name) {
      obj.metadata.annotations = { ...obj.metadata.annotations, [TRACKING_ANNOTATION]: trackingId(app.metadata.name, keyOf(obj)) };
      obj.metadata.labels = { ...obj.metadata.labels, [APP_LABEL]: appLabelValue(app.metadata.name) };
    }
    return obj;
  });
}

export interface InventoryEntry extends ResourceKey {
  version: string;
}

/**
 * Live objects for the given kinds: one list per kind, in one namespace when every object of that kind
 * is in it, else across namespaces. Keys are `keyString` values.
 */
export async function loadLive(
  cluster: Cluster,
  kinds: Array<{ apiVersion: string; kind: string; namespaces: Set<string> }>,
  scopeOf: ScopeOf,
): Promise<Map<string, KubeObject>> {
  const live = new Map<string, KubeObject>();
  const merged = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string> }>();
  for (const k of kinds) {
    const gk = groupKindOf(k.apiVersion, k.kind);
    const id = `${gk.group}/${k.kind}`;
    const prev = merged.get(id);
    if (prev) for (const n of k.namespaces) prev.namespaces.add(n);
    else merged.set(id, { apiVersion: k.apiVersion, kind: k.kind, namespaces: new Set(k.namespaces) });
  }
  await Promise.all(
    [...merged.values()].map(async (k) => {
      if (!(await cluster.resourceFor(k.apiVersion, k.kind))) return; // not served (yet): nothing live
      const namespaced = scopeOf(k.apiVersion, k.kind);
      const only = namespaced && k.namespaces.size === 1 ? [...k.namespaces][0] : undefined;
      const items = await cluster.list(k.apiVersion, k.kind, only ? { namespace: only } : {});
      for (const item of items) {
        if (!item.apiVersion) item.apiVersion = k.apiVersion;
        if (!item.kind) item.kind = k.kind;
        live.set(keyString(keyOf(item)), item);
      }
    }),
  );
  return live;
}

export interface ComparedResource {
  key: ResourceKey;
  version: string;
  target?: KubeObject;
  live?: KubeObject;
  hook: boolean;
  /** Not applied and not counted: Skip, Helm hook types Argo CD ignores, PreDelete/PostDelete. */
  ignored: boolean;
  /** Undefined for hooks and ignored objects (Argo gives them no status). */
  status?: SyncStatusCode;
  health?: HealthStatus;
  requiresPruning: boolean;
  wave: number;
  diff?: ResourceDiff;
  /** Live object tracked by another app. */
  sharedWith?: string;
}

export interface AppComparison {
  resources: ComparedResource[];
  sync: SyncStatusCode;
  health: HealthStatus;
}

/**
 * Compares prepared targets with live objects. `inventory` is what this app applied before: live
 * objects in it (or whose tracking id names this app) that are no longer rendered require pruning.
 */
export async function compareApp(app: Application, targets: KubeObject[], live: Map<string, KubeObject>, inventory: InventoryEntry[]): Promise<AppComparison> {
  const appName = app.metadata.name;
  const resources: ComparedResource[] = [];
  const seen = new Set<string>();
  for (const target of targets) {
    const info = hookInfo(target);
    const key = keyOf(target);
    const k = keyString(key);
    if (!target.metadata.name) {
      // A hook with only generateName: it has no live counterpart before it runs.
      resources.push({ key, version: versionOf(target.apiVersion), target, hook: info.hook, ignored: info.ignored, requiresPruning: false, wave: waveOf(target) });
      continue;
    }
    seen.add(k);
    const liveObj = live.get(k);
    const r: ComparedResource = { key, version: versionOf(target.apiVersion), target, live: liveObj, hook: info.hook, ignored: info.ignored || info.skip, requiresPruning: false, wave: waveOf(target) };
    if (!r.hook && !r.ignored) {
      const owner = liveObj ? trackedBy(liveObj) : undefined;
      if (owner && owner !== appName) r.sharedWith = owner;
      r.diff = await diffResource(target, liveObj, { ignoreDifferences: app.spec.ignoreDifferences });
      r.status = !liveObj || r.diff.modified ? "OutOfSync" : "Synced";
      r.health = liveObj ? (healthOf(liveObj) ?? undefined) : { status: "Missing" };
    }
    resources.push(r);
  }
  const invKeys = new Set(inventory.map((e) => keyString(e)));
  for (const [k, liveObj] of live) {
    if (seen.has(k)) continue;
    const owner = trackedBy(liveObj);
    if (!invKeys.has(k) && owner !== appName) continue;
    if (owner !== undefined && owner !== appName) continue; // taken over by another app since: never prune it
    const info = hookInfo(liveObj);
    if (info.hook) continue; // live hooks have no status and are never pruned
    resources.push({
      key: keyOf(liveObj),
      version: versionOf(liveObj.apiVersion),
      live: liveObj,
      hook: false,
      ignored: false,
      status: "OutOfSync",
      health: healthOf(liveObj),
      requiresPruning: true,
      wave: waveOf(liveObj),
    });
  }
  const counted = resources.filter((r) => r.status !== undefined && !(r.requiresPruning && parseOptions(r.live?.metadata.annotations?.[COMPARE_OPTIONS_ANNOTATION]).has("IgnoreExtraneous")));
  const sync: SyncStatusCode = counted.some((r) => r.status === "OutOfSync") ? "OutOfSync" : "Synced";
  const health = applicationHealth(
    resources
      .filter((r) => !r.ignored)
      .map((r) => ({
        key: r.key,
        live: r.live,
        health: r.live ? r.health : r.hook ? undefined : { status: "Missing" as const },
        hook: r.hook,
        ignoreHealth: r.live?.metadata.annotations?.["argocd.argoproj.io/ignore-healthcheck"] === "true",
      })),
  );
  return { resources, sync, health };
}

/** The kinds to list for an app: those it renders and those its inventory holds. */
export function kindsToList(targets: KubeObject[], inventory: InventoryEntry[]): Array<{ apiVersion: string; kind: string; namespaces: Set<string> }> {
  const kinds = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string> }>();
  const add = (apiVersion: string, kind: string, ns: string) => {
    const id = `${groupKindOf(apiVersion, kind).group}/${kind}`;
    const k = kinds.get(id) ?? { apiVersion, kind, namespaces: new Set<string>() };
    k.namespaces.add(ns);
    kinds.set(id, k);
  };
  for (const t of targets) add(t.apiVersion, t.kind, t.metadata.namespace ?? "");
  for (const e of inventory) add(e.group ? `${e.group}/${e.version}` : e.version, e.kind, e.namespace);
  return [...kinds.values()];
}
