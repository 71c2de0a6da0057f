/**
 * A simulated S3-compatible server, for tests and for the simulated cluster: in memory, path-style
 * (`/<bucket>/<key>`), one access key. It is labelled a simulation in every response
 * (`Server: tiphys-simulated-s3`) and is never used unless asked for.
 *
 * What it speaks is what `@aws-sdk/client-s3` sends: CreateBucket, HeadBucket, DeleteBucket,
 * ListBuckets, PutObject (plain, `UNSIGNED-PAYLOAD`, and `aws-chunked` bodies: the SDK's unsigned
 * chunks with a checksum trailer, and the signed-chunk forms other clients use), GetObject, HeadObject,
 * ListObjectsV2 (prefix, delimiter, max-keys, continuation) and DeleteObject. Every request must carry a
 * valid SigV4 Authorization header: the signature is recomputed from the secret key, so a wrong access
 * key gets 403 InvalidAccessKeyId and a wrong secret 403 SignatureDoesNotMatch; payload hashes, chunk
 * signatures, Content-MD5 and CRC32/CRC32C/SHA checksums are checked too. Not simulated (501
 * NotImplemented): presigned URLs, multipart uploads, copies, ranges, versioning, virtual-hosted style.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeAwsChunked, STREAMING_MODES, type StreamingMode } from "./aws-chunked.js";
import { md5Base64, s3Checksum } from "./checksums.js";
import { renderError, renderListBuckets, renderListV2, SimulatedBuckets } from "./simulated-s3-store.js";
import { canonicalRequest, parseAmzDate, parseAuthorization, requestSignature, sameSignature, sha256Hex, signingKey } from "./sigv4.js";

export { SimulatedBuckets, type StoredObject } from "./simulated-s3-store.js";

export const SIMULATED_S3_SERVER = "tiphys-simulated-s3";

export interface SimulatedS3Options {
  accessKey: string;
  secretKey: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, a signature scoped to another region is refused, as AWS does. */
  region?: string;
  /** Buckets that exist from the start. */
  buckets?: string[];
  /** The server's clock, for the request-time skew check (15 minutes). */
  now?: () => Date;
  /** Largest request body accepted; default 256 MiB. */
  maxBodyBytes?: number;
}

export interface SimulatedS3 {
  /** `http://<host>:<port>`, for the client's `endpoint` (with `forcePathStyle: true`). */
  endpoint: string;
  port: number;
  buckets: SimulatedBuckets;
  close(): Promise<void>;
}

class S3Fault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { bucket?: string; key?: string } = {},
  ) {
    super(message);
  }
}

const MAX_SKEW_MS = 15 * 60_000;

const notImplemented = (what: string) => new S3Fault(501, "NotImplemented", `${what} is not implemented by the simulated S3 server`);

export async function startSimulatedS3(opts: SimulatedS3Options): Promise<SimulatedS3> {
  const now = opts.now ?? (() => new Date());
  const buckets = new SimulatedBuckets(now);
  for (const b of opts.buckets ?? []) buckets.create(b);
  const maxBody = opts.maxBodyBytes ?? 256 * 1024 * 1024;

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, req, "", new S3Fault(500, "InternalError", (err as Error)?.message ?? String(err)));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    res.setHeader("Server", SIMULATED_S3_SERVER);
    res.setHeader("x-amz-request-id", requestId);
    res.setHeader("x-amz-id-2", SIMULATED_S3_SERVER);
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? "" : rawUrl.slice(q + 1);
    try {
      const body = await readBody(req, maxBody);
      const payload = authenticate(req, rawPath, rawQuery, body);
      route(req, res, rawPath, new URLSearchParams(rawQuery), payload);
    } catch (err) {
      if (!(err instanceof S3Fault)) throw err;
      sendError(res, req, requestId, err, rawPath);
    }
  }

  function authenticate(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): Buffer {
    const header = req.headers.authorization;
    if (!header) {
      if (/(^|&)X-Amz-Signature=/i.test(rawQuery)) throw notImplemented("query-string (presigned URL) authentication");
      throw new S3Fault(403, "AccessDenied", "Access Denied: anonymous requests are refused; sign with AWS Signature Version 4");
    }
    const auth = parseAuthorization(header);
    if (!auth) throw new S3Fault(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; only AWS4-HMAC-SHA256 is accepted");
    if (auth.accessKeyId !== opts.accessKey) {
      throw new S3Fault(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    }
    if (opts.region && auth.region !== opts.region) {
      throw new S3Fault(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${opts.region}'`);
    }
    const amzDate = headerValue(req, "x-amz-date");
    const when = amzDate ? parseAmzDate(amzDate) : undefined;
    if (!amzDate || !when || amzDate.slice(0, 8) !== auth.date) {
      throw new S3Fault(403, "AccessDenied", "x-amz-date is missing, malformed, or not the date of the credential scope");
    }
    if (Math.abs(now().getTime() - when.getTime()) > MAX_SKEW_MS) {
      throw new S3Fault(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
    }
    const payloadHash = headerValue(req, "x-amz-content-sha256");
    if (!payloadHash) throw new S3Fault(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    const canonical = canonicalRequest({ method: req.method ?? "GET", rawPath, rawQuery, headers: req.headers, signedHeaders: auth.signedHeaders, payloadHash });
    const key = signingKey(opts.secretKey, auth.date, auth.region, auth.service);
    const expected = canonical.ok ? requestSignature(key, amzDate, auth.scope, canonical.value) : "";
    if (!canonical.ok || !sameSignature(auth.signature, expected)) {
      throw new S3Fault(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    }

    let payload = body;
    const checksums = new Map<string, string>();
    if ((STREAMING_MODES as readonly string[]).includes(payloadHash)) {
      const decoded = decodeAwsChunked(body, payloadHash as StreamingMode, { key, amzDate, scope: auth.scope, seedSignature: expected });
      if (!decoded.ok) throw new S3Fault(decoded.code === "SignatureDoesNotMatch" ? 403 : 400, decoded.code, decoded.message);
      payload = decoded.data;
      const declared = headerValue(req, "x-amz-decoded-content-length");
      if (declared !== undefined && Number(declared) !== payload.length) {
        throw new S3Fault(400, "IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length header.");
      }
      for (const [name, value] of decoded.trailers) if (name.startsWith("x-amz-checksum-")) checksums.set(name, value);
    } else if (payloadHash !== "UNSIGNED-PAYLOAD") {
      if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw new S3Fault(400, "InvalidArgument", `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a SHA-256, got ${payloadHash}`);
      if (sha256Hex(body) !== payloadHash) {
        throw new S3Fault(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
    }
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-type" && typeof value === "string") checksums.set(name, value);
    }
    for (const [name, value] of checksums) {
      const actual = s3Checksum(name, payload);
      if (actual !== undefined && actual !== value) {
        const algorithm = name.slice("x-amz-checksum-".length).toUpperCase();
        throw new S3Fault(400, "BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`);
      }
    }
    const md5 = headerValue(req, "content-md5");
    if (md5 !== undefined && md5 !== md5Base64(payload)) {
      throw new S3Fault(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    return payload;
  }

  function route(req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams, payload: Buffer): void {
    const method = req.method ?? "GET";
    const path = rawPath.replace(/^\/+/, "");
    if (path === "") {
      if (method !== "GET") throw new S3Fault(405, "MethodNotAllowed", `${method} on the service is not allowed`);
      const list = buckets.names().map((name) => ({ name, created: buckets.createdAt(name) as Date }));
      return sendXml(res, 200, renderListBuckets(list));
    }
    const slash = path.indexOf("/");
    const bucket = decode(slash < 0 ? path : path.slice(0, slash));
    const key = slash < 0 ? "" : decode(path.slice(slash + 1));
    if (key === "") return bucketOperation(req, res, method, bucket, query);
    if (!buckets.has(bucket)) throw new S3Fault(404, "NoSuchBucket", "The specified bucket does not exist", { bucket });
    for (const p of ["uploads", "uploadId", "partNumber", "tagging", "acl", "versionId"]) {
      if (query.has(p)) throw notImplemented(`object operation ?${p}`);
    }
    switch (method) {
      case "PUT": {
        if (req.headers["x-amz-copy-source"]) throw notImplemented("CopyObject");
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (name.startsWith("x-amz-meta-") && typeof value === "string") metadata[name.slice("x-amz-meta-".length)] = value;
        }
        const stored = buckets.put(bucket, key, payload, { contentType: headerValue(req, "content-type"), metadata });
        res.setHeader("ETag", stored.etag);
        res.writeHead(200, { "Content-Length": "0" });
        res.end();
        return;
      }
      case "GET":
      case "HEAD": {
        const object = buckets.get(bucket, key);
        if (!object) throw new S3Fault(404, "NoSuchKey", "The specified key does not exist.", { bucket, key });
        if (req.headers.range) throw notImplemented("GetObject with a Range");
        const headers: Record<string, string> = {
          "Content-Type": object.contentType,
          "Content-Length": String(object.body.length),
          ETag: object.etag,
          "Last-Modified": object.lastModified.toUTCString(),
        };
        for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
        res.writeHead(200, headers);
        res.end(method === "GET" ? object.body : undefined);
        return;
      }
      case "DELETE":
        buckets.deleteObject(bucket, key);
        res.writeHead(204);
        res.end();
        return;
      default:
        throw new S3Fault(405, "MethodNotAllowed", `${method} on an object is not allowed`, { bucket, key });
    }
  }

  function bucketOperation(req: IncomingMessage, res: ServerResponse, method: string, bucket: string, query: URLSearchParams): void {
    const missing = () => new S3Fault(404, "NoSuchBucket", "The specified bucket does not exist", { bucket });
    switch (method) {
      case "PUT": {
        for (const p of ["versioning", "policy", "acl", "tagging", "lifecycle", "cors", "encryption"]) {
          if (query.has(p)) throw notImplemented(`bucket operation ?${p}`);
        }
        if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) {
          throw new S3Fault(400, "InvalidBucketName", "The specified bucket is not valid.", { bucket });
        }
        if (!buckets.create(bucket)) {
          throw new S3Fault(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", { bucket });
        }
        res.writeHead(200, { Location: `/${bucket}`, "Content-Length": "0" });
        res.end();
        return;
      }
      case "HEAD":
        if (!buckets.has(bucket)) throw missing();
        res.writeHead(200, { "x-amz-bucket-region": opts.region ?? "us-east-1" });
        res.end();
        return;
      case "DELETE": {
        const outcome = buckets.delete(bucket);
        if (outcome === "missing") throw missing();
        if (outcome === "not-empty") throw new S3Fault(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", { bucket });
        res.writeHead(204);
        res.end();
        return;
      }
      case "GET": {
        if (!buckets.has(bucket)) throw missing();
        if (query.get("list-type") !== "2") throw notImplemented("this bucket GET (only ListObjectsV2, list-type=2, is)");
        return listObjectsV2(res, bucket, query);
      }
      default:
        throw new S3Fault(405, "MethodNotAllowed", `${method} on a bucket is not allowed`, { bucket });
    }
  }

  function listObjectsV2(res: ServerResponse, bucket: string, query: URLSearchParams): void {
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") || undefined;
    const maxKeysText = query.get("max-keys");
    const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Fault(400, "InvalidArgument", "max-keys must be a non-negative integer");
    if (query.get("encoding-type")) throw notImplemented("ListObjectsV2 with encoding-type");
    const continuationToken = query.get("continuation-token") ?? undefined;
    const startAfter = query.get("start-after") ?? undefined;
    let after = startAfter;
    if (continuationToken !== undefined) {
      after = Buffer.from(continuationToken, "base64url").toString("utf8");
      if (after === "") throw new S3Fault(400, "InvalidArgument", "The continuation token provided is incorrect");
    }
    const result = buckets.list(bucket, { prefix, delimiter, after, maxKeys: Math.min(maxKeys, 1000) });
    const nextToken = result.truncated && result.last !== undefined ? Buffer.from(result.last, "utf8").toString("base64url") : undefined;
    sendXml(res, 200, renderListV2(bucket, result, { prefix, delimiter, maxKeys, continuationToken, startAfter, nextToken }));
  }

  function sendError(res: ServerResponse, req: IncomingMessage, requestId: string, fault: S3Fault, resource = ""): void {
    if (req.method === "HEAD") {
      // S3 answers a failed HEAD with the status alone.
      res.writeHead(fault.status, { "x-amz-error-code": fault.code });
      res.end();
      return;
    }
    sendXml(res, fault.status, renderError({ code: fault.code, message: fault.message, resource, requestId, ...fault.extra }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${host}:${address.port}`,
    port: address.port,
    buckets,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = Buffer.from(xml, "utf8");
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": String(body.length) });
  res.end(body);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Fault(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) tooLarge = true;
    // Keep draining so the client sees the error response instead of a reset connection.
    if (!tooLarge) chunks.push(chunk);
  }
  if (tooLarge) throw new S3Fault(400, "EntityTooLarge", `Your proposed upload exceeds the simulated server's limit of ${max} bytes`);
  return Buffer.concat(chunks);
}
