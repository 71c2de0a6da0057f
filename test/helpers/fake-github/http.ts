/** Request/reply types, the route matcher and GitHub-style errors and pagination for the fake. */
import type { IncomingHttpHeaders } from "node:http";
import type { RepoState } from "./state.js";

export type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** Path below `/api/v3` (the full path when the request was not under it), without the query. */
  path: string;
  /** The path as received, percent-encoding kept. */
  rawPath: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** performance.now() when the request arrived. */
  at: number;
  headers: IncomingHttpHeaders;
  /** Filled in when the reply is sent. */
  status?: number;
}

export interface UnhandledRequest extends RecordedRequest {
  /** "no route", or the error a handler threw (a bug in the fake: it replied 500). */
  reason: string;
}

/** Who called: an installation token, or an App JWT. */
export type Caller = { kind: "installation"; installationId: number; token: string } | { kind: "app"; iss: string };

export interface RouteRequest {
  method: string;
  path: string;
  /** As received, with /api/v3 and percent-encoding. */
  rawPath: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Json;
  headers: IncomingHttpHeaders;
  caller: Caller | null;
  /** The repository named by `/repos/:owner/:repo/...`, already checked to exist and to be visible. */
  repo: RepoState | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is (for `application/vnd.github.raw`), instead of JSON. */
  raw?: Buffer;
}

/** none: anyone; app: an App JWT; installation: a token from POST /app/installations/:id/access_tokens. */
export type AuthKind = "none" | "app" | "installation";

export interface Route {
  method: string;
  /** `/repos/:owner/:repo/check-runs/:id`; a last segment `*name` takes the rest (zero or more). */
  pattern: string;
  auth: AuthKind;
  handle(req: RouteRequest): Promise<Reply> | Reply;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Json = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = () => new HttpError(404, "Not Found");

/** GitHub's 422 shape: `Validation Failed` with one error naming the field. */
export function invalid(resource: string, field: string, message: string): HttpError {
  return new HttpError(422, "Validation Failed", { errors: [{ resource, field, code: "custom", message }] });
}

export const ok = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({ status, body, headers });

/** Matches a path against the routes; undefined when none fits (method included). */
export function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = path.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchSegments(route.pattern.split("/").slice(1), segments);
    if (params) return { route, params };
  }
  return undefined;
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i];
      if (p.startsWith("*")) {
        params[p.slice(1)] = segments.slice(i).map(decodeURIComponent).join("/");
        return params;
      }
      if (i >= segments.length) return undefined;
      if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(segments[i]);
      else if (p !== segments[i]) return undefined;
    }
  } catch {
    return undefined; // malformed percent-encoding: no route
  }
  return pattern.length === segments.length ? params : undefined;
}

/** `?per_page=&page=` pagination with GitHub's Link header (first/prev/next/last). */
export function paginate<T>(items: T[], req: RouteRequest, apiUrl: string, defaultPerPage = 30): { page: T[]; headers: Record<string, string> } {
  const perPage = clampInt(req.query.per_page, defaultPerPage, 1, 100);
  const pageNo = clampInt(req.query.page, 1, 1, Number.MAX_SAFE_INTEGER);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const link = (n: number, rel: string) => {
    const q = new URLSearchParams({ ...req.query, per_page: String(perPage), page: String(n) });
    // The raw path: decoding it would turn an encoded ref's %2F into a path separator.
    return `<${new URL(apiUrl).origin}${req.rawPath}?${q}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo > 1) links.push(link(pageNo - 1, "prev"));
  if (pageNo < lastPage) links.push(link(pageNo + 1, "next"), link(lastPage, "last"));
  if (pageNo > 1) links.push(link(1, "first"));
  return { page, headers: links.length ? { link: links.join(", ") } : {} };
}

export function clampInt(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Accept: application/vnd.github.raw (Octokit's `mediaType: { format: "raw" }`). */
export function wantsRaw(req: RouteRequest): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/.test(String(req.headers.accept ?? ""));
}
