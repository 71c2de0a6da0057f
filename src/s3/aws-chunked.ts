/**
 * Decodes an `aws-chunked` request body: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n` … a final
 * zero-size chunk, then optional trailing headers (`name:value\r\n` …, with `x-amz-trailer-signature`
 * when signed) and an empty line. SDK v3 sends the unsigned form with a checksum trailer
 * (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`); minio-go and older clients send the signed forms.
 */
import { chunkSignature, sameSignature, trailerSignature } from "./sigv4.js";

export type StreamingMode =
  | "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";

export const STREAMING_MODES: readonly StreamingMode[] = [
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
];

export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own signature, which the first chunk signature chains to. */
  seedSignature: string;
}

export type DecodeResult =
  | { ok: true; data: Buffer; trailers: Map<string, string> }
  | { ok: false; code: "IncompleteBody" | "SignatureDoesNotMatch" | "InvalidRequest"; message: string };

const CRLF = Buffer.from("\r\n");

export function decodeAwsChunked(body: Buffer, mode: StreamingMode, signing?: ChunkSigning): DecodeResult {
  const signed = mode !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  if (signed && !signing) return { ok: false, code: "InvalidRequest", message: "signed chunks need the request's signing key" };
  const parts: Buffer[] = [];
  let previous = signing?.seedSignature ?? "";
  let pos = 0;
  for (;;) {
    const eol = body.indexOf(CRLF, pos);
    if (eol < 0) return { ok: false, code: "IncompleteBody", message: "chunk header not terminated" };
    const header = body.subarray(pos, eol).toString("latin1");
    const [sizeText, ...extensions] = header.split(";");
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { ok: false, code: "InvalidRequest", message: `malformed chunk size ${JSON.stringify(sizeText)}` };
    const size = parseInt(sizeText, 16);
    const start = eol + 2;
    if (start + size > body.length) return { ok: false, code: "IncompleteBody", message: "chunk shorter than its declared size" };
    const data = body.subarray(start, start + size);
    if (signed && signing) {
      const given = extensions.find((e) => e.startsWith("chunk-signature="))?.slice("chunk-signature=".length) ?? "";
      const expected = chunkSignature(signing.key, signing.amzDate, signing.scope, previous, data);
      if (!sameSignature(given, expected)) {
        return { ok: false, code: "SignatureDoesNotMatch", message: "a chunk signature does not match the chunk's data" };
      }
      previous = expected;
    }
    pos = start + size;
    if (size === 0) break;
    parts.push(data);
    if (!body.subarray(pos, pos + 2).equals(CRLF)) return { ok: false, code: "IncompleteBody", message: "chunk data not followed by CRLF" };
    pos += 2;
  }

  // After the final chunk: trailing header lines until an empty line (or the end of the body).
  const trailers = new Map<string, string>();
  const signedLines: string[] = [];
  let trailerSig: string | undefined;
  while (pos < body.length) {
    const eol = body.indexOf(CRLF, pos);
    const line = body.subarray(pos, eol < 0 ? body.length : eol).toString("latin1");
    pos = eol < 0 ? body.length : eol + 2;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return { ok: false, code: "InvalidRequest", message: `malformed trailer ${JSON.stringify(line)}` };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") trailerSig = value;
    else {
      trailers.set(name, value);
      signedLines.push(`${name}:${value}\n`);
    }
  }
  if (mode === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" && signing) {
    const expected = trailerSignature(signing.key, signing.amzDate, signing.scope, previous, signedLines.join(""));
    if (!trailerSig || !sameSignature(trailerSig, expected)) {
      return { ok: false, code: "SignatureDoesNotMatch", message: "the trailer signature does not match the trailing headers" };
    }
  }
  return { ok: true, data: Buffer.concat(parts), trailers };
}
