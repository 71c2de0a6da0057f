/**
 * HTTP input artifacts (Argo `workflow/artifacts/http/http.go`): a GET with the artifact's headers,
 * following redirects; 404 is "not found" (an optional artifact is then skipped), any other non-2xx
 * is an error naming the URL and status.
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { ArtifactError, ArtifactNotFoundError } from "./errors.js";
import { redact, stripUserinfo } from "./redact.js";

export const HTTP_ARTIFACT_TIMEOUT_MS = 60_000;

export interface HttpDownload {
  url: string;
  headers?: Array<{ name: string; value: string }>;
  /** The artifact's name, for messages. */
  artifact: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Downloads `url` to `destFile`. Header values are treated as secrets and kept out of messages. */
export async function downloadHttp(req: HttpDownload, destFile: string): Promise<void> {
  const shownUrl = stripUserinfo(req.url);
  let parsed: URL;
  try {
    parsed = new URL(req.url);
  } catch {
    throw new ArtifactError(`artifact ${req.artifact} failed to load: invalid URL ${JSON.stringify(shownUrl)}`, req.artifact);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ArtifactError(
      `artifact ${req.artifact} failed to load: unsupported URL scheme ${parsed.protocol} in ${shownUrl}`,
      req.artifact,
    );
  }
  const headers = new Headers();
  // fetch() refuses URLs with credentials: turn them into a Basic header, as Go's client does.
  if (parsed.username || parsed.password) {
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    headers.set("authorization", "Basic " + Buffer.from(`${user}:${pass}`).toString("base64"));
    parsed.username = "";
    parsed.password = "";
  }
  const secrets = (req.headers ?? []).map((h) => h.value);
  for (const h of req.headers ?? []) headers.append(h.name, h.value);

  const timeout = AbortSignal.timeout(req.timeoutMs ?? HTTP_ARTIFACT_TIMEOUT_MS);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(parsed, { method: "GET", headers, redirect: "follow", signal });
  } catch (err) {
    throw new ArtifactError(
      `artifact ${req.artifact} failed to load: GET ${shownUrl}: ${describeFetchError(err, timeout, req.timeoutMs, secrets)}`,
      req.artifact,
    );
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new ArtifactNotFoundError(
      `artifact ${req.artifact} failed to load: loading content from ${shownUrl} failed with reason: 404 Not Found`,
      req.artifact,
    );
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel();
    const status = `${res.status}${res.statusText ? " " + res.statusText : ""}`;
    throw new ArtifactError(
      `artifact ${req.artifact} failed to load: loading content from ${shownUrl} failed with reason: ${status}`,
      req.artifact,
    );
  }
  try {
    const out = createWriteStream(destFile, { mode: 0o644 });
    if (res.body) {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), out);
    } else {
      await pipeline(Readable.from([]), out);
    }
  } catch (err) {
    throw new ArtifactError(
      `artifact ${req.artifact} failed to load: reading ${shownUrl}: ${describeFetchError(err, timeout, req.timeoutMs, secrets)}`,
      req.artifact,
    );
  }
}

function describeFetchError(err: unknown, timeout: AbortSignal, timeoutMs: number | undefined, secrets: string[]): string {
  if (timeout.aborted) {
    const ms = timeoutMs ?? HTTP_ARTIFACT_TIMEOUT_MS;
    return `timed out after ${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`}`;
  }
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  const parts = [e?.message ?? String(err)];
  if (e?.cause?.message && e.cause.message !== e.message) parts.push(e.cause.message);
  return redact(parts.join(": "), secrets);
}
