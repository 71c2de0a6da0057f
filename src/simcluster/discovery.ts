// Discovery: `/version`, the legacy documents (`/api`, `/apis`, `/api/v1`, `/apis/<g>`, `/apis/<g>/<v>`)
// and the aggregated form (apidiscovery.k8s.io/v2) that kubectl asks for first.
import type { ResourceRegistry } from "./resources.js";
import { apiVersionOf, type JsonObject, type ResourceType } from "./types.js";

export const SIMULATED_VERSION = "v1.33.0-tiphys-simulated";
export const AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

export function versionInfo(): JsonObject {
  return {
    major: "1",
    minor: "33",
    gitVersion: SIMULATED_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.24.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

interface Sub {
  name: string;
  verbs: string[];
  kind: string;
  group?: string;
  version?: string;
}

function subresourcesOf(rt: ResourceType): Sub[] {
  const subs: Sub[] = [];
  if (rt.status) subs.push({ name: "status", verbs: ["get", "patch", "update"], kind: rt.kind });
  if (rt.scale) subs.push({ name: "scale", verbs: ["get", "patch", "update"], kind: "Scale", group: "autoscaling", version: "v1" });
  if (rt.group === "" && rt.plural === "pods") {
    subs.push({ name: "log", verbs: ["get"], kind: "Pod" }, { name: "binding", verbs: ["create"], kind: "Binding" });
  }
  return subs;
}

function resourcesIn(registry: ResourceRegistry, group: string, version: string): ResourceType[] {
  return registry
    .all()
    .filter((rt) => rt.group === group && rt.versions.includes(version))
    .sort((a, b) => a.plural.localeCompare(b.plural));
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const types = resourcesIn(registry, group, version);
  if (types.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const rt of types) {
    const entry: JsonObject = { name: rt.plural, singularName: rt.singular, namespaced: rt.namespaced, kind: rt.kind, verbs: rt.verbs };
    if (rt.shortNames.length) entry.shortNames = rt.shortNames;
    if (rt.categories.length) entry.categories = rt.categories;
    resources.push(entry);
    for (const s of subresourcesOf(rt)) {
      const sub: JsonObject = { name: `${rt.plural}/${s.name}`, singularName: "", namespaced: rt.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== undefined) Object.assign(sub, { group: s.group, version: s.version });
      resources.push(sub);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(group, version), resources };
}

export function coreVersions(serverAddress: string): JsonObject {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupEntry(group: string, versions: string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups = registry.groupVersions().filter((g) => g.group !== "");
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map((g) => groupEntry(g.group, g.versions)) };
}

export function apiGroup(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const g = registry.groupVersions().find((x) => x.group === group && group !== "");
  return g && { kind: "APIGroup", apiVersion: "v1", ...groupEntry(g.group, g.versions) };
}

function discoveryResource(rt: ResourceType, version: string): JsonObject {
  const entry: JsonObject = {
    resource: rt.plural,
    responseKind: { group: rt.group, version, kind: rt.kind },
    scope: rt.namespaced ? "Namespaced" : "Cluster",
    singularResource: rt.singular,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) entry.shortNames = rt.shortNames;
  if (rt.categories.length) entry.categories = rt.categories;
  const subs = subresourcesOf(rt);
  if (subs.length) {
    entry.subresources = subs.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? rt.group, version: s.version ?? version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return entry;
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for `/api` (core) or `/apis` (every other group). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): JsonObject {
  const groups = registry.groupVersions().filter((g) => (g.group === "") === core);
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: resourcesIn(registry, g.group, v).map((rt) => discoveryResource(rt, v)),
        freshness: "Current",
      })),
    })),
  };
}
