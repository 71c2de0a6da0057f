import { ConfigError, ExternalError } from "../core/errors.js";

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; field?: string; message?: string }> };
}

/** HTTP status of a client-node failure (ApiException `code`, Watch `statusCode`), or undefined for a connection failure. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const code = typeof e?.code === "number" ? e.code : e?.statusCode;
  return typeof code === "number" ? code : undefined;
}

function bodyOf(err: unknown): StatusBody {
  const body = (err as { body?: unknown } | undefined)?.body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === "object" ? (parsed as StatusBody) : { message: body };
    } catch {
      return body ? { message: body } : {};
    }
  }
  return (body as StatusBody) ?? {};
}

/** Retry-After (seconds or an HTTP date) of a throttled answer, in milliseconds. */
export function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { headers?: Record<string, string> } | undefined)?.headers;
  const v = headers?.["retry-after"] ?? headers?.["Retry-After"];
  if (v === undefined || v === "") return undefined;
  if (!Number.isNaN(Number(v))) return Math.max(0, Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET)$/;

/**
 * Whether trying again may help: throttled, server errors, connections refused, reset or timed out.
 * A certificate the client does not trust is not retried: it will not trust it next time either.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ConfigError) return false;
  const status = statusOf(err);
  if (status !== undefined) return status === 429 || status >= 500;
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: string; type?: string } | undefined;
  const code = e?.code ?? e?.cause?.code;
  if (typeof code === "string") return CONNECTION_CODES.test(code);
  return e?.name === "FetchError" && /timeout/.test(e.type ?? "");
}

/** The message the server gave (its Status), or the error's own. */
export function messageOf(err: unknown): string {
  const body = bodyOf(err);
  if (body.message) return body.message;
  const m = (err as Error | undefined)?.message ?? String(err);
  // ApiException's message repeats the body and headers after the first line.
  return m.split("\n")[0]!.replace(/^HTTP-Code: \d+$/, "HTTP error");
}

/** A kind the cluster does not serve: the manifest (or a missing CRD) is the user's to fix. */
export function notServed(apiVersion: string, kind: string, cluster: string): ConfigError {
  return new ConfigError(`cluster ${cluster} does not serve ${kind} (${apiVersion}); is its CustomResourceDefinition installed?`);
}

/**
 * Client failures as the core's error classes. A request the server refuses as invalid (400, 422) and
 * a server-side apply that conflicts with another field manager are the user's to fix (ConfigError,
 * with the server's causes as problems); anything else is the cluster failing (ExternalError, with its
 * status and Retry-After).
 */
export function translate(err: unknown, what: string, cluster: string): Error {
  if (err instanceof ConfigError || err instanceof ExternalError) return err;
  const status = statusOf(err);
  const body = bodyOf(err);
  const message = messageOf(err);
  const causes = body.details?.causes ?? [];
  if (status === undefined && /HTTP protocol is not allowed/.test(message)) {
    return new ConfigError(`${what} on cluster ${cluster}: the server URL is http:// but the kubeconfig does not set insecure-skip-tls-verify`);
  }
  if (status === 400 || status === 422) {
    return new ConfigError(
      `${what} on cluster ${cluster}: ${message}`,
      causes.map((c) => ({ message: c.message ?? "invalid", field: c.field, severity: "error" as const })),
    );
  }
  const conflicts = causes.filter((c) => c.reason === "FieldManagerConflict");
  if (status === 409 && conflicts.length > 0) {
    return new ConfigError(
      `${what} on cluster ${cluster}: ${message} (another field manager owns these fields; apply with force to take them over)`,
      conflicts.map((c) => ({ message: c.message ?? "conflict", field: c.field, severity: "error" as const })),
    );
  }
  return new ExternalError(`${what} on cluster ${cluster} failed${status ? ` with HTTP ${status}` : ""}: ${message}`, "kubernetes", {
    cause: err,
    status,
    retryAfterMs: retryAfterMs(err),
  });
}

/** A log the server cannot give (yet): a container still waiting (400) is not the user's manifest at fault. */
export function translateLogError(err: unknown, what: string, cluster: string): Error {
  if (statusOf(err) === 400) {
    return new ExternalError(`${what} on cluster ${cluster} failed with HTTP 400: ${messageOf(err)}`, "kubernetes", { cause: err, status: 400 });
  }
  return translate(err, what, cluster);
}
