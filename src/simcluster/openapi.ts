// Just enough OpenAPI v3 for kubectl: per group-version documents listing each resource's paths and
// operations, tagged with x-kubernetes-group-version-kind, whose PATCH takes `fieldValidation` (so
// kubectl leaves validation to the server instead of downloading schemas). PATCH does not advertise
// strategic merge patch bodies: kubectl then builds strategic merge patches for built-in kinds from its
// compiled-in types and JSON merge patches for custom resources, as with a server without schemas.
// There are no component schemas (`kubectl explain` has nothing to show); OpenAPI v2 is an empty document.
import { createHash } from "node:crypto";
import type { ResourceRegistry } from "./resources.js";
import type { JsonObject, ResourceType } from "./types.js";

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

function param(name: string, type = "string"): JsonObject {
  return { name, in: "query", description: name, schema: { type, uniqueItems: true } };
}

function operation(rt: ResourceType, version: string, action: string, id: string, extra: JsonObject = {}): JsonObject {
  return {
    operationId: id,
    responses: { "200": { description: "OK" } },
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": { group: rt.group, version, kind: rt.kind },
    ...extra,
  };
}

function pathsOf(rt: ResourceType, version: string): JsonObject {
  const base = `/${gvPath(rt.group, version)}${rt.namespaced ? "/namespaces/{namespace}" : ""}/${rt.plural}`;
  const id = `${rt.kind}${version}`;
  const writeParams = [param("dryRun"), param("fieldManager"), param("fieldValidation")];
  const body = (types: string[]) => ({ requestBody: { content: Object.fromEntries(types.map((t) => [t, { schema: { type: "object" } }])), required: true } });
  const patch = operation(rt, version, "patch", `patch${id}`, {
    parameters: [...writeParams, param("force", "boolean")],
    ...body(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]),
  });
  const paths: JsonObject = {
    [base]: {
      get: operation(rt, version, "list", `list${id}`, { parameters: [param("labelSelector"), param("fieldSelector"), param("limit", "integer"), param("continue"), param("watch", "boolean")] }),
      post: operation(rt, version, "post", `create${id}`, { parameters: writeParams, ...body(["*/*"]) }),
      delete: operation(rt, version, "deletecollection", `deleteCollection${id}`),
    },
    [`${base}/{name}`]: {
      get: operation(rt, version, "get", `read${id}`),
      put: operation(rt, version, "put", `replace${id}`, { parameters: writeParams, ...body(["*/*"]) }),
      patch,
      delete: operation(rt, version, "delete", `delete${id}`, { parameters: [param("dryRun"), param("propagationPolicy"), param("gracePeriodSeconds", "integer")] }),
    },
  };
  if (rt.status) {
    paths[`${base}/{name}/status`] = {
      get: operation(rt, version, "get", `read${id}Status`),
      put: operation(rt, version, "put", `replace${id}Status`, { parameters: writeParams, ...body(["*/*"]) }),
    };
  }
  return paths;
}

export function openApiGroupVersion(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const types = registry.all().filter((rt) => rt.group === group && rt.versions.includes(version));
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  for (const rt of types) Object.assign(paths, pathsOf(rt, version));
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes (tiphys simulated cluster)", version: "v1.33.0" },
    paths,
    components: { schemas: {} },
  };
}

function hashOf(doc: unknown): string {
  return createHash("sha512").update(JSON.stringify(doc)).digest("hex").slice(0, 128).toUpperCase();
}

/** `/openapi/v3`: where each group-version's document is. */
export function openApiRoot(registry: ResourceRegistry): JsonObject {
  const paths: JsonObject = {};
  for (const { group, versions } of registry.groupVersions()) {
    for (const v of versions) {
      const doc = openApiGroupVersion(registry, group, v);
      if (doc) paths[gvPath(group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, v)}?hash=${hashOf(doc)}` };
    }
  }
  return { paths };
}
