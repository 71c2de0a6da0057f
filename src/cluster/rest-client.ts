import { createHash } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, type AgentOptions } from "node:https";
import { createSecureContext } from "node:tls";
import { ApiException, HttpMethod, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type RequestContext, type ResponseContext } from "@kubernetes/client-node";

export type RestMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RestRequest {
  method: RestMethod;
  /** Absolute API path (`/api/v1/namespaces/ns/pods`), without the query string. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON (a string is sent as is). */
  body?: unknown;
  contentType?: string;
  accept?: string;
}

/** Connections to one API server for ordinary requests (a burst of 500 Pod creates reuses them). */
const MAX_SOCKETS = 64;

const METHODS: Record<RestMethod, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

/**
 * Plain-JSON requests through the client's own transport (auth, TLS, proxies from the kubeconfig).
 * KubernetesObjectApi's CRUD methods pass bodies and answers through the typed model serializer,
 * which turns timestamps into Date objects, drops fields the model does not know and mangles JSON
 * Patch arrays; the port promises plain Kubernetes JSON, so the adapter builds paths itself (from
 * its own discovery) and sends bodies as they are.
 */
export class RestClient extends KubernetesObjectApi {
  static for(kc: KubeConfig): RestClient {
    const client = kc.makeApiClient(RestClient);
    client.setDefaultNamespace(kc);
    client.reuseConnections();
    return client;
  }

  /**
   * The kubeconfig authenticator gives every request a new agent, so every request would open a new
   * connection (and TLS handshake). Requests whose agent has the same TLS settings share one
   * keep-alive agent instead, with one TLS context for all its connections (building one parses the
   * CA and keys again: a millisecond or more per connection), and at most MAX_SOCKETS connections: a
   * burst of requests waits for a connection rather than opening (and handshaking) one each. These are
   * short requests only: watches and followed logs have connections of their own. Proxy agents are
   * left alone.
   */
  private reuseConnections(): void {
    const inner = this.configuration.httpApi;
    const agents = new Map<string, HttpAgent>();
    const shared = (agent: unknown): unknown => {
      const https = agent?.constructor === HttpsAgent;
      if (!https && agent?.constructor !== HttpAgent) return agent;
      const o = (agent as { options: AgentOptions }).options;
      const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString("base64") : v === undefined ? "" : String(v));
      const key = createHash("sha256")
        .update(JSON.stringify([https, o.rejectUnauthorized, o.servername, text(o.ca), text(o.cert), text(o.key), text(o.pfx), text(o.passphrase)]))
        .digest("hex");
      let hit = agents.get(key);
      if (!hit) {
        if (agents.size >= 8) agents.clear(); // credentials that rotate: do not keep old agents for ever
        hit = https
          ? new HttpsAgent({ ...o, keepAlive: true, maxSockets: MAX_SOCKETS, secureContext: createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx, passphrase: o.passphrase }) })
          : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
        agents.set(key, hit);
      }
      return hit;
    };
    this.configuration = {
      ...this.configuration,
      httpApi: {
        send: (ctx: RequestContext) => {
          ctx.setAgent(shared(ctx.getAgent()) as HttpAgent);
          return inner.send(ctx);
        },
      },
    };
  }

  /** The namespace of the kubeconfig context (`default` when it names none). */
  get contextNamespace(): string {
    return this.defaultNamespace;
  }

  /** Resolves with the parsed JSON answer (text for other content types); rejects with ApiException. */
  async send<T = unknown>(req: RestRequest): Promise<T> {
    const ctx = this.configuration.baseServer.makeRequestContext(req.path, METHODS[req.method]);
    ctx.setHeaderParam("Accept", req.accept ?? "application/json, */*;q=0.8");
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    if (req.body !== undefined) {
      ctx.setHeaderParam("Content-Type", req.contentType ?? "application/json");
      ctx.setBody(typeof req.body === "string" ? req.body : JSON.stringify(req.body));
    }
    return (await this.requestPromise(ctx)) as T;
  }

  // Every answer is plain JSON (or text): no typed deserialization.
  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    const json = /json/.test(response.headers["content-type"] ?? "");
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      return (json && text ? JSON.parse(text) : text) as T;
    }
    throw new ApiException(response.httpStatusCode, "Unsuccessful HTTP Request", text, response.headers);
  }
}
