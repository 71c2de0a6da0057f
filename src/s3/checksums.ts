/**
 * The S3 flexible checksums a client may send (`x-amz-checksum-<algorithm>`, as a header or as an
 * `aws-chunked` trailer), base64 of the big-endian digest. CRC32 and CRC32C are table-driven here so
 * that no Node version matters; CRC64NVME is not computed (the simulated server accepts it unchecked).
 */
import { createHash } from "node:crypto";

function crcTable(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (polynomial ^ (c >>> 1)) >>> 0 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32 = crcTable(0xedb88320);
const CRC32C = crcTable(0x82f63b78);

function crc(table: Uint32Array, data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32Base64(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b.toString("base64");
}

/** Algorithm name (`crc32`, `crc32c`, `sha1`, `sha256`) → its S3 checksum of `data`. */
const CHECKSUMS: Record<string, (data: Buffer) => string> = {
  crc32: (d) => u32Base64(crc(CRC32, d)),
  crc32c: (d) => u32Base64(crc(CRC32C, d)),
  sha1: (d) => createHash("sha1").update(d).digest("base64"),
  sha256: (d) => createHash("sha256").update(d).digest("base64"),
};

/** The checksum for an `x-amz-checksum-*` name, or undefined when the algorithm is not computed here. */
export function s3Checksum(headerName: string, data: Buffer): string | undefined {
  const algorithm = headerName.toLowerCase().replace(/^x-amz-checksum-/, "");
  return CHECKSUMS[algorithm]?.(data);
}

export function md5Base64(data: Buffer): string {
  return createHash("md5").update(data).digest("base64");
}
