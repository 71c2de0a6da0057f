/**
 * Turns what the SDK throws into one sentence a user can act on: which bucket, which endpoint, and
 * what to check. The secret key and session token never appear (they are not in SDK messages, and
 * are redacted anyway in case an endpoint echoes them).
 */
import { redact } from "../engine/artifacts/redact.js";

export interface S3Where {
  endpoint: string;
  bucket: string;
  key?: string;
  secrets: Array<string | undefined>;
}

export interface S3Failure {
  /** The key (or directory) does not exist: an optional artifact is then skipped. */
  notFound: boolean;
  message: string;
}

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: { code?: string; message?: string };
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPROTO", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN"]);

/** The S3 error code of an SDK error (`NoSuchKey`, `SignatureDoesNotMatch` …), or its name. */
export function s3ErrorCode(err: unknown): string {
  const e = err as SdkError;
  return e?.Code ?? e?.name ?? "Error";
}

export function s3Status(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

export function isMissingKey(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === "NoSuchKey" || (code === "NotFound" && s3Status(err) === 404);
}

export function describeS3Failure(err: unknown, where: S3Where): S3Failure {
  const e = err as SdkError;
  const code = s3ErrorCode(err);
  const status = s3Status(err);
  const bucket = JSON.stringify(where.bucket);
  const at = `S3 endpoint ${where.endpoint}`;
  const object = where.key !== undefined ? `key ${where.key} in bucket ${bucket}` : `bucket ${bucket}`;
  const say = (notFound: boolean, message: string): S3Failure => ({ notFound, message: redact(message, where.secrets) });

  if (code === "NoSuchBucket") return say(false, `bucket ${bucket} does not exist at ${at}`);
  if (isMissingKey(err)) return say(true, `${object} does not exist at ${at}`);
  if (code === "InvalidAccessKeyId") {
    return say(false, `${at} refused the access key for bucket ${bucket} (InvalidAccessKeyId): check the repository's accessKeySecret`);
  }
  if (code === "SignatureDoesNotMatch") {
    return say(false, `${at} refused the credentials for bucket ${bucket} (SignatureDoesNotMatch): check the repository's secretKeySecret`);
  }
  if (code === "RequestTimeTooSkewed") return say(false, `${at} refused the request for bucket ${bucket}: this machine's clock is too far off (RequestTimeTooSkewed)`);
  if (status === 403 || code === "AccessDenied" || code === "Forbidden") {
    const shown = code === "Unknown" || code === "UnknownError" ? "403 Forbidden" : code;
    return say(false, `${at} denied access to ${object} (${shown}): check the repository's credentials and the bucket's policy`);
  }
  if (code === "CredentialsProviderError" || /Could not load credentials/i.test(e?.message ?? "")) {
    return say(false, `no credentials for ${at}: give the repository an access key and secret key, or make the SDK's default credentials available`);
  }
  const netCode = e?.code ?? e?.cause?.code;
  if (netCode && NETWORK_CODES.has(netCode)) {
    return say(false, `cannot reach ${at} for bucket ${bucket}: ${netCode}${e?.message && e.message !== netCode ? `: ${e.message}` : ""}`);
  }
  // Not an answer from the endpoint (a local file, a refused object path): its own message says it.
  if (e?.$metadata === undefined) return say(false, e?.message ?? String(err));
  const detail = e?.message && e.message !== code && e.message !== "UnknownError" ? `: ${e.message}` : "";
  return say(false, `${at} failed for ${object}: ${code}${status ? ` (HTTP ${status})` : ""}${detail}`);
}
