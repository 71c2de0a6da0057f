// The HTTP server: authentication, request log, injected faults, then routing to discovery, OpenAPI
// or the resource handlers.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { SimApi } from "./api.js";
import { aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, apiGroup, apiGroupList, apiResourceList, coreVersions, versionInfo } from "./discovery.js";
import { handleResource } from "./handlers.js";
import { sendError, sendJson } from "./http-util.js";
import { openApiGroupVersion, openApiRoot } from "./openapi.js";
import type { RequestRecord } from "./request-log.js";
import { parseRoute, verbOf, type Route } from "./routes.js";
import { errors } from "./status.js";
import type { StreamSet } from "./streams.js";

export interface ServerOptions {
  /** Names for known bearer tokens (others are recorded by a hash of the token). */
  users?: Record<string, string>;
  /** How often watch streams that allow bookmarks get one. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP without. */
  tls?: { cert: string; key: string };
  /** Accept requests without a bearer token (as user `system:anonymous`). Default false: 401. */
  allowAnonymous?: boolean;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

function userOf(req: IncomingMessage, users: Record<string, string>): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return undefined;
  return users[m[1]] ?? `token:${createHash("sha256").update(m[1]).digest("hex").slice(0, 12)}`;
}

function wantsAggregated(req: IncomingMessage): boolean {
  return /as=APIGroupDiscoveryList/.test(req.headers.accept ?? "") && /v=v2(;|,|$)/.test(req.headers.accept ?? "");
}

function serveDiscovery(api: SimApi, route: Route, req: IncomingMessage, res: ServerResponse, host: string): boolean {
  const registry = api.resources;
  const notFound = () => sendError(res, errors.pathNotFound());
  switch (route.type) {
    case "version":
      sendJson(res, 200, versionInfo());
      return true;
    case "health":
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
      return true;
    case "root":
      sendJson(res, 200, { paths: ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"] });
      return true;
    case "api":
    case "apis": {
      if (wantsAggregated(req)) {
        const body = JSON.stringify(aggregatedDiscovery(registry, route.type === "api"));
        res.writeHead(200, { "Content-Type": AGGREGATED_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) }).end(body);
      } else sendJson(res, 200, route.type === "api" ? coreVersions(host) : apiGroupList(registry));
      return true;
    }
    case "group": {
      const doc = apiGroup(registry, route.group);
      if (doc) sendJson(res, 200, doc);
      else notFound();
      return true;
    }
    case "resourceList": {
      const doc = apiResourceList(registry, route.group, route.version);
      if (doc) sendJson(res, 200, doc);
      else notFound();
      return true;
    }
    case "openapiRoot":
      sendJson(res, 200, openApiRoot(registry));
      return true;
    case "openapi": {
      const doc = openApiGroupVersion(registry, route.group, route.version);
      if (doc) sendJson(res, 200, doc);
      else notFound();
      return true;
    }
    case "openapiV2": {
      // An empty document, so that kubectl's client-side validation finds no schema (and skips, as for
      // a kind it does not know) instead of failing: the protobuf form is zero bytes.
      if (/protobuf/.test(req.headers.accept ?? "")) {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 0 }).end();
      } else sendJson(res, 200, { swagger: "2.0", info: { title: "Kubernetes (tiphys simulated cluster)", version: "v1.33.0" }, paths: {}, definitions: {} });
      return true;
    }
    case "notFound":
      notFound();
      return true;
    default:
      return false;
  }
}

export function startServer(api: SimApi, opts: { host: string; port: number } & ServerOptions): Promise<RunningServer> {
  const streams: StreamSet = new Set();
  const users = opts.users ?? {};
  let host = `${opts.host}:${opts.port}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://simulated");
    const q = url.searchParams;
    const route = parseRoute(url.pathname, api.resources);
    const record: RequestRecord = { at: api.core.now(), method: req.method ?? "", path: url.pathname, query: url.search, verb: "other", code: 0, userAgent: req.headers["user-agent"] };
    api.requests.add(record);
    res.on("close", () => (record.code = res.statusCode));
    const user = userOf(req, users) ?? (opts.allowAnonymous ? "system:anonymous" : undefined);
    record.user = user;
    const verb = route.type === "resource" ? verbOf(req.method ?? "", route, q) : undefined;
    if (route.type === "resource") {
      record.verb = verb ?? "other";
      record.resource = route.rt.group ? `${route.rt.plural}.${route.rt.group}` : route.rt.plural;
      record.namespace = route.namespace;
      record.name = route.name;
      record.subresource = route.subresource;
    } else record.verb = "discovery";
    if (!user && route.type !== "version" && route.type !== "health") return sendError(res, errors.unauthorized());
    if (route.type !== "resource") {
      serveDiscovery(api, route, req, res, host);
      return;
    }
    if (!verb) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    const fault = api.faults.decide({ verb, resource: route.rt, name: route.name });
    if (fault.delayMs > 0) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.error) throw fault.error;
    await handleResource({ api, req, res, route, q, verb, user: user ?? "system:anonymous", streams, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 1000 });
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.end();
      else sendError(res, err);
    });
  };
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createServer(listener);
  server.keepAliveTimeout = 60_000;

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      const port = (server.address() as AddressInfo).port;
      host = `${opts.host}:${port}`;
      resolve({
        server,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const end of [...streams]) end();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
