// Requests on resources: get, list, create, update, patch, delete, deletecollection, and the
// status, scale, log and binding subresources.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimApi } from "./api.js";
import type { DeleteOptions, PropagationPolicy } from "./deletion.js";
import { deleteObject } from "./deletion.js";
import { boolParam, intParam, parseBody, readBody, sendJson } from "./http-util.js";
import { isObject } from "./objects.js";
import type { ResourceRoute } from "./routes.js";
import { scaleOf } from "./scale.js";
import { errors, successStatus } from "./status.js";
import { serveLog, serveWatch, type StreamSet } from "./streams.js";
import { toTable, wantsTable, type IncludeObject } from "./table.js";
import { apiVersionOf, type KubeObject } from "./types.js";
import { createObject, patchObject, systemUpdate, updateObject, updateStatusObject, type PatchType } from "./writes.js";

export interface RequestContext {
  api: SimApi;
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  q: URLSearchParams;
  verb: string;
  /** Who asked (from the bearer token). */
  user: string;
  streams: StreamSet;
  bookmarkIntervalMs: number;
}

const PATCH_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
};

function patchTypeOf(contentType: string | undefined): PatchType {
  const type = PATCH_TYPES[(contentType ?? "").split(";")[0].trim()];
  if (!type) {
    throw errors.unsupportedMediaType(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
    );
  }
  return type;
}

/** The manager of an update: `fieldManager`, else the User-Agent's first word (as the real server does). */
function managerOf(ctx: RequestContext): string {
  const explicit = ctx.q.get("fieldManager");
  if (explicit) return explicit;
  const agent = ctx.req.headers["user-agent"] ?? "";
  return agent.split("/")[0].trim() || "unknown";
}

function dryRunOf(q: URLSearchParams, body?: unknown): boolean {
  const fromBody = isObject(body) && Array.isArray(body.dryRun) && body.dryRun.includes("All");
  const v = q.getAll("dryRun");
  if (v.some((x) => x !== "" && x !== "All")) throw errors.badRequest(`Unsupported value: "${v.join(",")}": supported values: "All"`);
  return v.includes("All") || fromBody;
}

export async function handleResource(ctx: RequestContext): Promise<void> {
  const { api, route, q, res, req } = ctx;
  const { rt } = route;
  const present = (o: KubeObject): KubeObject => (route.version === rt.version ? o : { ...o, apiVersion: apiVersionOf(rt.group, route.version) });
  const streamCtx = { api, req, res, route, q, streams: ctx.streams, present, bookmarkIntervalMs: ctx.bookmarkIntervalMs };
  const { core } = api;
  const sub = route.subresource;
  if (!rt.verbs.includes(ctx.verb)) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  if (sub && !["status", "scale", "log", "binding"].includes(sub)) throw errors.pathNotFound();
  if (sub === "scale" && !rt.scale) throw errors.pathNotFound();
  if (sub === "status" && !rt.status) throw errors.pathNotFound();
  if ((sub === "log" || sub === "binding") && !(rt.group === "" && rt.plural === "pods")) throw errors.pathNotFound();
  const table = wantsTable(req.headers.accept);
  const include = (q.get("includeObject") ?? "Metadata") as IncludeObject;
  const now = core.now();

  switch (ctx.verb) {
    case "watch":
      return serveWatch(streamCtx);
    case "get": {
      if (sub === "log") return serveLog(streamCtx);
      const o = api.get(rt, route.namespace, route.name ?? "");
      if (sub === "scale") return sendJson(res, 200, scaleOf(rt, o));
      if (table) return sendJson(res, 200, toTable(rt, [o], { resourceVersion: o.metadata.resourceVersion ?? "", include, now }));
      return sendJson(res, 200, present(o));
    }
    case "list": {
      const opts = {
        namespace: route.namespace,
        labelSelector: q.get("labelSelector") ?? undefined,
        fieldSelector: q.get("fieldSelector") ?? undefined,
        limit: intParam(q, "limit"),
        continue: q.get("continue") ?? undefined,
      };
      const list = api.listStored(rt, opts, false);
      if (table) return sendJson(res, 200, toTable(rt, list.items, { resourceVersion: list.resourceVersion, continue: list.continue, include, now }));
      const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
      if (list.continue) metadata.continue = list.continue;
      if (list.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
      return sendJson(res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt.group, route.version), metadata, items: list.items.map(present) });
    }
  }

  const text = await readBody(req);
  const contentType = req.headers["content-type"];
  switch (ctx.verb) {
    case "create": {
      const body = parseBody(text, contentType);
      if (sub === "binding") return bindPod(ctx, body);
      if (rt.group === "authorization.k8s.io" || rt.group === "authentication.k8s.io") return review(ctx, body);
      if (route.name) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      const o = createObject(core, rt, body, { namespace: route.namespace, fieldManager: managerOf(ctx), dryRun: dryRunOf(q) });
      return sendJson(res, 201, present(o));
    }
    case "update": {
      const body = parseBody(text, contentType);
      const opts = { namespace: route.namespace, name: route.name, fieldManager: managerOf(ctx), dryRun: dryRunOf(q) };
      if (sub === "status") return sendJson(res, 200, present(updateStatusObject(core, rt, body, opts)));
      if (sub === "scale") {
        const { object } = patchObject(core, rt, route.namespace, route.name ?? "", body, { ...opts, type: "merge", subresource: "scale" });
        return sendJson(res, 200, scaleOf(rt, object));
      }
      return sendJson(res, 200, present(updateObject(core, rt, body, opts)));
    }
    case "patch": {
      const type = patchTypeOf(contentType);
      const body = parseBody(text, type === "apply" ? "yaml" : "json");
      const force = boolParam(q, "force");
      if (q.has("force") && type !== "apply") throw errors.badRequest("force flag must only be set for apply requests");
      const fieldManager = type === "apply" ? (q.get("fieldManager") ?? undefined) : managerOf(ctx);
      const subresource = sub === "status" || sub === "scale" ? sub : undefined;
      const { object, created } = patchObject(core, rt, route.namespace, route.name ?? "", body, { type, force, fieldManager, subresource, dryRun: dryRunOf(q) });
      return sendJson(res, created ? 201 : 200, sub === "scale" ? scaleOf(rt, object) : present(object));
    }
    case "delete":
    case "deletecollection": {
      const body = parseBody(text, "json");
      const opts = deleteOptionsOf(q, body);
      if (ctx.verb === "deletecollection") {
        const items = api.deleteCollection(rt, {
          ...opts,
          namespace: route.namespace,
          labelSelector: q.get("labelSelector") ?? undefined,
          fieldSelector: q.get("fieldSelector") ?? undefined,
        });
        return sendJson(res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt.group, route.version), metadata: { resourceVersion: api.resourceVersion }, items: items.map(present) });
      }
      const { object, deleted } = deleteObject(core, rt, route.namespace, route.name ?? "", opts);
      const returnsObject = !deleted || !!rt.crd || (rt.group === "" && rt.plural === "pods");
      if (returnsObject) return sendJson(res, 200, present(object));
      return sendJson(res, 200, successStatus({ name: object.metadata.name, group: rt.group, kind: rt.plural, uid: object.metadata.uid }));
    }
  }
  throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
}

function deleteOptionsOf(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = isObject(body) ? body : {};
  let policy = (q.get("propagationPolicy") ?? b.propagationPolicy) as PropagationPolicy | undefined;
  const orphan = q.get("orphanDependents") ?? b.orphanDependents;
  if (!policy && orphan !== undefined && orphan !== null) policy = orphan === true || orphan === "true" ? "Orphan" : "Background";
  const grace = intParam(q, "gracePeriodSeconds") ?? (typeof b.gracePeriodSeconds === "number" ? b.gracePeriodSeconds : undefined);
  const pre = isObject(b.preconditions) ? b.preconditions : {};
  return {
    propagationPolicy: policy,
    gracePeriodSeconds: grace,
    preconditions: { uid: pre.uid as string | undefined, resourceVersion: pre.resourceVersion as string | undefined },
    dryRun: dryRunOf(q, b),
  };
}

/** POST pods/<name>/binding: what a scheduler does to put a pod on a node. */
function bindPod(ctx: RequestContext, body: unknown): void {
  const { api, route, res } = ctx;
  const target = isObject(body) && isObject(body.target) ? body.target : undefined;
  if (!target?.name) throw errors.invalid("Binding", "", route.name ?? "", [{ reason: "FieldValueRequired", field: "target.name", message: "Required value" }]);
  const pod = api.get(route.rt, route.namespace, route.name ?? "");
  const spec = isObject(pod.spec) ? pod.spec : {};
  if (spec.nodeName) throw errors.conflict(route.rt, route.name ?? "", `pod ${route.name} is already assigned to node "${spec.nodeName}"`);
  systemUpdate(api.core, route.rt, pod, managerOf(ctx), (o) => (o.spec = { ...(o.spec as object), nodeName: String(target.name) }));
  sendJson(res, 201, { ...successStatus(), code: 201 });
}

/** SelfSubjectAccessReview (everything is allowed) and SelfSubjectReview (who the token is). */
function review(ctx: RequestContext, body: unknown): void {
  const { route, res } = ctx;
  const o = isObject(body) ? body : {};
  const status =
    route.rt.kind === "SelfSubjectReview"
      ? { userInfo: { username: ctx.user, groups: ["system:masters", "system:authenticated"] } }
      : { allowed: true, reason: "the simulated cluster allows everything" };
  sendJson(res, 201, { ...o, apiVersion: apiVersionOf(route.rt.group, route.version), kind: route.rt.kind, metadata: { creationTimestamp: null }, status });
}
