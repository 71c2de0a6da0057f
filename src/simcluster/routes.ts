// URL → what is asked for: a discovery document, OpenAPI, or a resource (collection, object, subresource).
import type { Verb } from "./faults.js";
import type { ResourceRegistry } from "./resources.js";
import type { ResourceType } from "./types.js";

export type Route =
  | { type: "version" | "health" | "api" | "apis" | "openapiRoot" | "openapiV2" | "root" }
  | { type: "group"; group: string }
  | { type: "resourceList"; group: string; version: string }
  | { type: "openapi"; group: string; version: string }
  | ResourceRoute
  | { type: "notFound" };

export interface ResourceRoute {
  type: "resource";
  rt: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix. */
  watchPath: boolean;
}

const HEALTH = new Set(["/healthz", "/livez", "/readyz"]);

export function parseRoute(path: string, registry: ResourceRegistry): Route {
  if (path === "/version" || path === "/version/") return { type: "version" };
  if (HEALTH.has(path) || [...HEALTH].some((h) => path.startsWith(h + "/"))) return { type: "health" };
  if (path === "/") return { type: "root" };
  if (path === "/openapi/v2") return { type: "openapiV2" };
  if (path === "/openapi/v3" || path === "/openapi/v3/") return { type: "openapiRoot" };
  let segs: string[];
  try {
    segs = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  } catch {
    return { type: "notFound" };
  }
  if (segs[0] === "openapi" && segs[1] === "v3") {
    if (segs[2] === "api" && segs.length === 4) return { type: "openapi", group: "", version: segs[3] };
    if (segs[2] === "apis" && segs.length === 5) return { type: "openapi", group: segs[3], version: segs[4] };
    return { type: "notFound" };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === "api") {
    if (segs.length === 1) return { type: "api" };
    group = "";
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === "apis") {
    if (segs.length === 1) return { type: "apis" };
    if (segs.length === 2) return { type: "group", group: segs[1] };
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return { type: "notFound" };
  if (rest.length === 0) return { type: "resourceList", group, version };
  const watchPath = rest[0] === "watch";
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  const namespaceItself = group === "" && rest[0] === "namespaces" && rest.length === 3 && ["status", "finalize"].includes(rest[2]);
  if (rest[0] === "namespaces" && rest.length >= 3 && !namespaceItself) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3) return { type: "notFound" };
  const [plural, name, subresource] = rest;
  const rt = registry.find(group, version, plural);
  if (!rt || (namespace !== undefined && !rt.namespaced)) return { type: "notFound" };
  return { type: "resource", rt, version, namespace, name, subresource, watchPath };
}

/** The API verb of a request on a resource route. */
export function verbOf(method: string, route: ResourceRoute, q: URLSearchParams): Verb | undefined {
  const watch = route.watchPath || q.get("watch") === "true" || q.get("watch") === "1";
  switch (method) {
    case "GET":
      return route.name ? (watch ? "watch" : "get") : watch ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return route.name ? "delete" : "deletecollection";
    default:
      return undefined;
  }
}
