/**
 * AWS Signature Version 4 as an S3 server checks it: the Authorization header of a request and the
 * per-chunk signatures of an `aws-chunked` upload (docs.aws.amazon.com/AmazonS3/latest/API/
 * sig-v4-header-based-auth.html, sigv4-streaming.html, sigv4-streaming-trailers.html). Pure functions;
 * the simulated S3 server decides what to do with the answers.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface ParsedAuthorization {
  accessKeyId: string;
  /** `<yyyymmdd>/<region>/<service>/aws4_request` */
  scope: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; undefined when malformed. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const trimmed = header.trim();
  if (!trimmed.startsWith(SIGV4_ALGORITHM + " ")) return undefined;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(SIGV4_ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedHeaders || !signature) return undefined;
  const parts = credential.split("/");
  if (parts.length < 5 || parts[parts.length - 1] !== "aws4_request") return undefined;
  const [date, region, service] = parts.slice(-4);
  return {
    accessKeyId: parts.slice(0, -4).join("/"),
    scope: parts.slice(-4).join("/"),
    date,
    region,
    service,
    signedHeaders: signedHeaders.split(";").map((h) => h.trim().toLowerCase()),
    signature: signature.toLowerCase(),
  };
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~` percent-encoded. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical query string of a raw (still encoded) query: each pair decoded, re-encoded, sorted. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  const pairs = rawQuery
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? "" : p.slice(eq + 1);
      return [uriEncode(safeDecode(k)), uriEncode(safeDecode(v))] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface CanonicalRequestInput {
  method: string;
  /** The path exactly as sent (S3 signs the already-encoded path, without normalising it). */
  rawPath: string;
  rawQuery: string;
  /** Lower-cased header names; a repeated header joined with `,`. */
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: string[];
  payloadHash: string;
}

/** Builds the canonical request, or returns the name of a signed header the request lacks. */
export function canonicalRequest(input: CanonicalRequestInput): { ok: true; value: string } | { ok: false; missing: string } {
  const lines: string[] = [];
  for (const name of input.signedHeaders) {
    const raw = input.headers[name];
    if (raw === undefined) return { ok: false, missing: name };
    const value = (Array.isArray(raw) ? raw.join(",") : raw).trim().replace(/\s+/g, " ");
    lines.push(`${name}:${value}\n`);
  }
  const value = [
    input.method.toUpperCase(),
    input.rawPath === "" ? "/" : input.rawPath,
    canonicalQuery(input.rawQuery),
    lines.join(""),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
  return { ok: true, value };
}

export function signingKey(secretKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac("AWS4" + secretKey, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, "aws4_request");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** The signature of a canonical request (the seed signature of a chunked upload). */
export function requestSignature(key: Buffer, amzDate: string, scope: string, canonical: string): string {
  const stringToSign = [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join("\n");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** The signature of one `aws-chunked` chunk, chained to the previous one. */
export function chunkSignature(key: Buffer, amzDate: string, scope: string, previous: string, chunk: Buffer): string {
  const stringToSign = [`${SIGV4_ALGORITHM}-PAYLOAD`, amzDate, scope, previous, EMPTY_SHA256, sha256Hex(chunk)].join("\n");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** The signature of the trailing headers (`name:value\n` each) after the last chunk. */
export function trailerSignature(key: Buffer, amzDate: string, scope: string, previous: string, trailer: string): string {
  const stringToSign = [`${SIGV4_ALGORITHM}-TRAILER`, amzDate, scope, previous, sha256Hex(trailer)].join("\n");
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** Constant-time comparison of two hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), "utf8");
  const y = Buffer.from(b.toLowerCase(), "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20130524T000000Z` → Date, or undefined. */
export function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
