import { ConfigError, ExternalError } from "../core/errors.js";

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ field?: string; message?: string }> };
}

/** HTTP status of a client-node failure, or undefined for a connection failure. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

function bodyOf(err: unknown): StatusBody {
  const body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body as StatusBody) ?? {};
}

export function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { headers?: Record<string, string> }).headers;
  const v = headers?.["retry-after"] ?? headers?.["Retry-After"];
  return v !== undefined && !Number.isNaN(Number(v)) ? Number(v) * 1000 : undefined;
}

/** Whether trying again may help: throttled, server errors, connections refused or reset. */
export function isRetryable(err: unknown): boolean {
  const status = statusOf(err);
  if (status === undefined) {
    const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
    return (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET)$/.test(code)) || (err as Error)?.name === "FetchError";
  }
  return status === 429 || status >= 500;
}

/**
 * Client failures as the core's error classes: a request the server refuses as invalid is the
 * user's to fix (ConfigError); anything else is the cluster failing (ExternalError, with its status).
 */
export function translate(err: unknown, what: string, cluster: string): Error {
  const status = statusOf(err);
  const body = bodyOf(err);
  const message = body.message ?? (err as Error)?.message ?? String(err);
  if (status === 400 || status === 422) {
    const causes = body.details?.causes ?? [];
    return new ConfigError(
      `${what} on cluster ${cluster}: ${message}`,
      causes.map((c) => ({ message: c.message ?? "invalid", field: c.field, severity: "error" as const })),
    );
  }
  return new ExternalError(`${what} on cluster ${cluster} failed${status ? ` with HTTP ${status}` : ""}: ${message}`, "kubernetes", {
    cause: err,
    status,
    retryAfterMs: retryAfterMs(err),
  });
}
