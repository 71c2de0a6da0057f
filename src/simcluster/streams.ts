// The two long-lived responses: watch streams (newline-delimited JSON events, held open, with
// bookmarks, timeouts and injected disconnects) and followed pod logs.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimApi } from "./api.js";
import { boolParam, intParam } from "./http-util.js";
import { formatLine, type ReadLogOptions } from "./logs.js";
import { isObject } from "./objects.js";
import type { ResourceRoute } from "./routes.js";
import { ApiError, errors } from "./status.js";
import { toTable, wantsTable } from "./table.js";
import { apiVersionOf, type JsonObject, type KubeObject } from "./types.js";

/** Open streams, so that closing the server can end them. */
export type StreamSet = Set<() => void>;

export interface StreamContext {
  api: SimApi;
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  q: URLSearchParams;
  streams: StreamSet;
  /** The object as the requested version shows it. */
  present: (o: KubeObject) => KubeObject;
  bookmarkIntervalMs: number;
}

export function serveWatch(ctx: StreamContext): void {
  const { api, req, res, route, q } = ctx;
  const table = wantsTable(req.headers.accept);
  const fieldSelector = [q.get("fieldSelector"), route.name ? `metadata.name=${route.name}` : ""].filter(Boolean).join(",");
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + "\n");
  };
  const send = (type: string, o: KubeObject) => {
    const object = table ? toTable(route.rt, [o], { resourceVersion: o.metadata.resourceVersion ?? "", include: "Metadata", now: api.core.now() }) : ctx.present(o);
    write(type, object);
  };
  const bookmark = (annotations?: Record<string, string>) => {
    const metadata: JsonObject = { resourceVersion: api.resourceVersion };
    if (annotations) metadata.annotations = annotations;
    write("BOOKMARK", { kind: route.rt.kind, apiVersion: apiVersionOf(route.rt.group, route.version), metadata });
  };
  const timeout = intParam(q, "timeoutSeconds");
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
  // Headers now, not with the first event: clients wait for them before they count the watch as started.
  res.flushHeaders();
  let stop: () => void = () => {};
  try {
    stop = api.watch(
      route.rt,
      {
        namespace: route.namespace,
        labelSelector: q.get("labelSelector") ?? undefined,
        fieldSelector: fieldSelector || undefined,
        resourceVersion: q.get("resourceVersion") ?? undefined,
        sendInitialEvents: boolParam(q, "sendInitialEvents"),
      },
      (e) => send(e.type, e.object),
    );
  } catch (err) {
    // As the real server: a watch that cannot start (too old resourceVersion) is a 200 stream with one ERROR event.
    write("ERROR", err instanceof ApiError ? err.status : errors.internal(String(err)).status);
    res.end();
    return;
  }
  const allowBookmarks = boolParam(q, "allowWatchBookmarks");
  if (boolParam(q, "sendInitialEvents") && allowBookmarks) bookmark({ "k8s.io/initial-events-end": "true" });
  const timers: NodeJS.Timeout[] = [];
  if (allowBookmarks) timers.push(setInterval(() => bookmark(), ctx.bookmarkIntervalMs));
  const end = () => {
    stop();
    for (const t of timers) clearTimeout(t);
    ctx.streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  if (timeout !== undefined && timeout > 0) timers.push(setTimeout(end, timeout * 1000));
  const disconnect = api.faults.watchDisconnectMs;
  if (disconnect !== undefined) timers.push(setTimeout(end, disconnect));
  ctx.streams.add(end);
  req.on("close", end);
  res.on("close", end);
}

function containerNames(pod: KubeObject): string[] {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const names = (list: unknown) => (Array.isArray(list) ? list.map((c) => (isObject(c) ? String(c.name) : "")) : []);
  return [...names(spec.containers), ...names(spec.initContainers), ...names(spec.ephemeralContainers)];
}

/** Why a container has no log yet (it has not started), from its status; undefined when it has started. */
function waitingReason(pod: KubeObject, container: string): string | undefined {
  const status = isObject(pod.status) ? pod.status : {};
  const all = [status.containerStatuses, status.initContainerStatuses].flatMap((l) => (Array.isArray(l) ? l : []));
  const cs = all.find((s) => isObject(s) && s.name === container);
  const state = isObject(cs) && isObject(cs.state) ? cs.state : {};
  if (state.running || state.terminated) return undefined;
  const waiting = isObject(state.waiting) ? state.waiting : {};
  return String(waiting.reason ?? (status.phase === "Pending" || !status.phase ? "ContainerCreating" : "PodInitializing"));
}

export function serveLog(ctx: StreamContext): void {
  const { api, req, res, route, q } = ctx;
  const ns = route.namespace ?? "";
  const name = route.name ?? "";
  const pod = api.get(route.rt, ns, name);
  const names = containerNames(pod);
  const container = q.get("container") ?? (names.length === 1 ? names[0] : undefined);
  if (!container) throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`);
  if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const logs = api.core.logs;
  const opts: ReadLogOptions = {
    tailLines: intParam(q, "tailLines"),
    timestamps: boolParam(q, "timestamps"),
    sinceSeconds: intParam(q, "sinceSeconds"),
    sinceTime: q.get("sinceTime") ?? undefined,
    limitBytes: intParam(q, "limitBytes"),
    previous: boolParam(q, "previous"),
  };
  if (opts.previous && !logs.hasPrevious(ns, name, container)) {
    throw errors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  }
  const waiting = logs.has(ns, name, container) ? undefined : waitingReason(pod, container);
  if (waiting) throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting}`);
  res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
  res.flushHeaders();
  res.write(logs.read(ns, name, container, opts));
  if (!boolParam(q, "follow") || opts.previous || logs.isClosed(ns, name, container)) {
    res.end();
    return;
  }
  let stop: () => void = () => {};
  const end = () => {
    stop();
    ctx.streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  stop = logs.follow(ns, name, container, (line) => res.write(formatLine(line, opts.timestamps)), end);
  ctx.streams.add(end);
  req.on("close", end);
  res.on("close", end);
}
