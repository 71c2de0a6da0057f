// Reading requests and writing responses for the simulated server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { decodeProtobuf } from "./protobuf.js";
import { ApiError, errors } from "./status.js";

const BODY_LIMIT = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw errors.tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a request body: JSON, YAML for apply patches and `application/yaml`, or Kubernetes protobuf. */
export function parseBody(body: Buffer, contentType: string | undefined): unknown {
  if (/application\/vnd\.kubernetes\.protobuf/.test(contentType ?? "")) return decodeProtobuf(body);
  const text = body.toString("utf8");
  if (text.trim() === "") return undefined;
  const yaml = /yaml/.test(contentType ?? "");
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw errors.badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : errors.internal(err instanceof Error ? err.message : String(err));
  const headers: Record<string, string> = {};
  if (e.status.details?.retryAfterSeconds !== undefined) headers["Retry-After"] = String(e.status.details.retryAfterSeconds);
  sendJson(res, e.code, e.status, headers);
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}
