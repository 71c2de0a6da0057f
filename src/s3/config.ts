/**
 * The S3 artifact repository's configuration, as Argo's `artifactRepository.s3` says it
 * (docs/configure-artifact-repository.md, pkg/apis/workflow/v1alpha1/artifact_repository_types.go),
 * with the secrets already resolved by the caller, and the one place the SDK client is built.
 */
import { S3Client } from "@aws-sdk/client-s3";
import path from "node:path";
import { ConfigError } from "../core/errors.js";

/** Argo's `DefaultArchivePattern`. */
export const DEFAULT_KEY_FORMAT = "{{workflow.name}}/{{pod.name}}";
export const DEFAULT_REGION = "us-east-1";

export interface ArtifactRepositoryConfig {
  /** `host:port` as Argo writes it (`minio:9000`, `s3.amazonaws.com`), or a full `http(s)://` URL. */
  endpoint: string;
  bucket: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Plain http for an endpoint given without a scheme (Argo's `insecure: true`). */
  insecure?: boolean;
  /** The value of `accessKeySecret`, resolved by the caller. */
  accessKey?: string;
  /** The value of `secretKeySecret`, resolved by the caller. Never appears in a message. */
  secretKey?: string;
  sessionToken?: string;
  /** Argo's `keyFormat`; default `{{workflow.name}}/{{pod.name}}`. */
  keyFormat?: string;
  /** Argo's deprecated `keyPrefix`, used only when `keyFormat` is empty. */
  keyPrefix?: string;
  /**
   * Without an access key and secret key the SDK's default credential chain is used (environment,
   * profile, web identity, instance metadata), which is what Argo does for `useSDKCreds` and IAM.
   */
  useSDKCreds?: boolean;
}

/** The endpoint as a URL: Argo's scheme-less `host:port` gets https, or http when `insecure`. */
export function endpointUrl(config: Pick<ArtifactRepositoryConfig, "endpoint" | "insecure">): string {
  const raw = config.endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${config.insecure ? "http" : "https"}://${raw}`;
  return withScheme.replace(/\/+$/, "");
}

/** Checks the configuration once, at the edge; every problem is listed. */
export function checkRepositoryConfig(config: ArtifactRepositoryConfig): void {
  const problems: string[] = [];
  if (typeof config.endpoint !== "string" || config.endpoint.trim() === "") {
    problems.push("endpoint is required (host:port, e.g. minio:9000)");
  } else {
    try {
      const url = new URL(endpointUrl(config));
      if (url.protocol !== "http:" && url.protocol !== "https:") problems.push(`endpoint ${config.endpoint} must be http or https`);
      if (url.pathname !== "/" && url.pathname !== "") problems.push(`endpoint ${config.endpoint} must not have a path (buckets are addressed path-style)`);
    } catch {
      problems.push(`endpoint ${JSON.stringify(config.endpoint)} is not a valid host:port or URL`);
    }
  }
  if (typeof config.bucket !== "string" || config.bucket.trim() === "") problems.push("bucket is required");
  const access = config.accessKey?.trim() ?? "";
  const secret = config.secretKey?.trim() ?? "";
  if ((access === "") !== (secret === "")) {
    problems.push(access === "" ? "a secret key was given without an access key" : "an access key was given without a secret key");
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid S3 artifact repository: ${problems.join("; ")}`, problems.map((message) => ({ message, severity: "error" as const })));
  }
}

/** Argo: `keyFormat`, or `path.Join(keyPrefix, DefaultArchivePattern)` when it is empty. */
export function effectiveKeyFormat(config: Pick<ArtifactRepositoryConfig, "keyFormat" | "keyPrefix">): string {
  if (config.keyFormat && config.keyFormat.trim() !== "") return config.keyFormat;
  return config.keyPrefix ? path.posix.join(config.keyPrefix, DEFAULT_KEY_FORMAT) : DEFAULT_KEY_FORMAT;
}

/**
 * The SDK client for a repository: path-style addressing (what S3-compatible stores such as MinIO
 * expect), and checksums only where an operation requires them, because several S3-compatible stores
 * refuse the `aws-chunked` checksum trailers the SDK adds by default (uploads carry Content-MD5
 * instead, as Argo's executor does).
 */
export function createS3Client(config: ArtifactRepositoryConfig): S3Client {
  const accessKeyId = config.accessKey?.trim() ?? "";
  const secretAccessKey = config.secretKey?.trim() ?? "";
  return new S3Client({
    endpoint: endpointUrl(config),
    region: config.region || DEFAULT_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}) } }
      : {}),
  });
}
