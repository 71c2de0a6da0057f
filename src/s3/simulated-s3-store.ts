/**
 * The in-memory buckets of the simulated S3 server, and the XML bodies it answers with. Tests use
 * `SimulatedBuckets` directly to seed objects and to look at what a client stored.
 */
import { createHash } from "node:crypto";

export interface StoredObject {
  body: Buffer;
  /** Quoted hex MD5 of the body, as S3 reports a single-part object's ETag. */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** `x-amz-meta-*` headers, names without the prefix. */
  metadata: Record<string, string>;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** Resume after this key or common prefix (ListObjectsV2 start-after / continuation token). */
  after?: string;
  maxKeys?: number;
}

export interface ListResult {
  contents: Array<{ key: string; object: StoredObject }>;
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, to resume after when truncated. */
  last?: string;
}

interface Bucket {
  created: Date;
  objects: Map<string, StoredObject>;
}

export class SimulatedBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Creates a bucket; false when it already exists. */
  create(name: string): boolean {
    if (this.buckets.has(name)) return false;
    this.buckets.set(name, { created: this.now(), objects: new Map() });
    return true;
  }

  has(name: string): boolean {
    return this.buckets.has(name);
  }

  names(): string[] {
    return [...this.buckets.keys()].sort();
  }

  createdAt(name: string): Date | undefined {
    return this.buckets.get(name)?.created;
  }

  delete(name: string): "deleted" | "missing" | "not-empty" {
    const b = this.buckets.get(name);
    if (!b) return "missing";
    if (b.objects.size > 0) return "not-empty";
    this.buckets.delete(name);
    return "deleted";
  }

  /** Every key of a bucket in S3's order (UTF-8 binary), or undefined when the bucket is missing. */
  keys(bucket: string): string[] | undefined {
    const b = this.buckets.get(bucket);
    return b ? [...b.objects.keys()].sort(compareKeys) : undefined;
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  put(bucket: string, key: string, body: Buffer, opts: { contentType?: string; metadata?: Record<string, string> } = {}): StoredObject {
    const b = this.buckets.get(bucket);
    if (!b) throw new Error(`simulated S3: bucket ${bucket} does not exist`);
    const object: StoredObject = {
      body,
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      lastModified: this.now(),
      contentType: opts.contentType ?? "application/octet-stream",
      metadata: opts.metadata ?? {},
    };
    b.objects.set(key, object);
    return object;
  }

  deleteObject(bucket: string, key: string): void {
    this.buckets.get(bucket)?.objects.delete(key);
  }

  /** ListObjectsV2 over one bucket (which must exist). */
  list(bucket: string, opts: ListOptions = {}): ListResult {
    const prefix = opts.prefix ?? "";
    const delimiter = opts.delimiter ?? "";
    const maxKeys = opts.maxKeys ?? 1000;
    const after = opts.after;
    // Resuming after a common prefix skips every key under it, not just the prefix itself.
    const afterIsPrefix = after !== undefined && delimiter !== "" && after.endsWith(delimiter) && after.length > prefix.length;
    const result: ListResult = { contents: [], commonPrefixes: [], truncated: false };
    let count = 0;
    for (const key of this.keys(bucket) ?? []) {
      if (!key.startsWith(prefix)) continue;
      if (after !== undefined && (compareKeys(key, after) <= 0 || (afterIsPrefix && key.startsWith(after)))) continue;
      let commonPrefix: string | undefined;
      if (delimiter) {
        const i = key.indexOf(delimiter, prefix.length);
        if (i >= 0) commonPrefix = key.slice(0, i + delimiter.length);
      }
      if (commonPrefix !== undefined && result.commonPrefixes[result.commonPrefixes.length - 1] === commonPrefix) continue;
      if (count === maxKeys) {
        result.truncated = true;
        break;
      }
      count++;
      if (commonPrefix !== undefined) {
        result.commonPrefixes.push(commonPrefix);
        result.last = commonPrefix;
      } else {
        result.contents.push({ key, object: this.get(bucket, key) as StoredObject });
        result.last = key;
      }
    }
    return result;
  }
}

/** S3 lists keys in UTF-8 byte order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? "" : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export interface ErrorBody {
  code: string;
  message: string;
  resource: string;
  requestId: string;
  bucket?: string;
  key?: string;
}

export function renderError(e: ErrorBody): string {
  return (
    XML_HEAD +
    `<Error>${el("Code", e.code)}${el("Message", e.message)}${el("BucketName", e.bucket)}${el("Key", e.key)}` +
    `${el("Resource", e.resource)}${el("RequestId", e.requestId)}${el("HostId", "tiphys-simulated-s3")}</Error>`
  );
}

export function renderListV2(bucket: string, r: ListResult, q: { prefix: string; delimiter?: string; maxKeys: number; continuationToken?: string; startAfter?: string; nextToken?: string }): string {
  const contents = r.contents
    .map(
      ({ key, object }) =>
        `<Contents>${el("Key", key)}${el("LastModified", object.lastModified.toISOString())}${el("ETag", object.etag)}` +
        `${el("Size", object.body.length)}${el("StorageClass", "STANDARD")}</Contents>`,
    )
    .join("");
  const prefixes = r.commonPrefixes.map((p) => `<CommonPrefixes>${el("Prefix", p)}</CommonPrefixes>`).join("");
  return (
    XML_HEAD +
    `<ListBucketResult xmlns="${S3_NS}">${el("Name", bucket)}${el("Prefix", q.prefix)}${el("Delimiter", q.delimiter)}` +
    `${el("MaxKeys", q.maxKeys)}${el("KeyCount", r.contents.length + r.commonPrefixes.length)}${el("IsTruncated", r.truncated)}` +
    `${el("ContinuationToken", q.continuationToken)}${el("NextContinuationToken", q.nextToken)}${el("StartAfter", q.startAfter)}` +
    `${contents}${prefixes}</ListBucketResult>`
  );
}

export function renderListBuckets(buckets: Array<{ name: string; created: Date }>): string {
  const items = buckets.map((b) => `<Bucket>${el("Name", b.name)}${el("CreationDate", b.created.toISOString())}</Bucket>`).join("");
  return (
    XML_HEAD +
    `<ListAllMyBucketsResult xmlns="${S3_NS}"><Owner>${el("ID", "tiphys-simulated-s3")}${el("DisplayName", "tiphys-simulated-s3")}</Owner>` +
    `<Buckets>${items}</Buckets></ListAllMyBucketsResult>`
  );
}
