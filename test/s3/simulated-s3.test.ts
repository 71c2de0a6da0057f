import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "../../src/s3/aws-sdk.js";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulatedS3, type SimulatedS3 } from "../../src/s3/simulated-s3.js";

const ACCESS = "tiphys-sim-access";
const SECRET = "tiphys-sim-secret-0123456789";

let s3: SimulatedS3;
let clients: S3Client[];

/** The SDK as users configure it, with its default checksum behaviour (aws-chunked uploads). */
function client(over: { accessKeyId?: string; secretAccessKey?: string } = {}): S3Client {
  const c = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: over.accessKeyId ?? ACCESS, secretAccessKey: over.secretAccessKey ?? SECRET },
  });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("expected the request to fail");
}

beforeEach(async () => {
  s3 = await startSimulatedS3({ accessKey: ACCESS, secretKey: SECRET });
  clients = [];
});
afterEach(async () => {
  for (const c of clients) c.destroy();
  await s3.close();
});

describe("simulated S3 through the AWS SDK", () => {
  it("creates a bucket, stores objects (plain and aws-chunked), reads, lists and deletes them", async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: "artifacts" }));
    await c.send(new HeadBucketCommand({ Bucket: "artifacts" }));

    await c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "wf/pod-1/hello world (ü).txt", Body: Buffer.from("hello\n") }));
    // A stream body: the SDK sends it aws-chunked with a CRC32 trailer, which the server checks.
    const dir = await mkdtemp(path.join(tmpdir(), "tiphys-sim-s3-"));
    try {
      const file = path.join(dir, "big.bin");
      await writeFile(file, Buffer.alloc(200_000, "z"));
      await c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "wf/pod-2/big.bin", Body: createReadStream(file), ContentLength: 200_000 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "wf/top.txt", Body: "top" }));

    const got = await c.send(new GetObjectCommand({ Bucket: "artifacts", Key: "wf/pod-1/hello world (ü).txt" }));
    expect(await got.Body?.transformToString()).toBe("hello\n");
    expect(s3.buckets.get("artifacts", "wf/pod-2/big.bin")?.body.equals(Buffer.alloc(200_000, "z"))).toBe(true);
    const head = await c.send(new HeadObjectCommand({ Bucket: "artifacts", Key: "wf/pod-2/big.bin" }));
    expect(head.ContentLength).toBe(200_000);

    const listed = await c.send(new ListObjectsV2Command({ Bucket: "artifacts", Prefix: "wf/", Delimiter: "/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["wf/top.txt"]);
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["wf/pod-1/", "wf/pod-2/"]);

    await c.send(new DeleteObjectCommand({ Bucket: "artifacts", Key: "wf/top.txt" }));
    expect(s3.buckets.keys("artifacts")).toEqual(["wf/pod-1/hello world (ü).txt", "wf/pod-2/big.bin"]);
  });

  it("pages ListObjectsV2 without repeating a common prefix", async () => {
    s3.buckets.create("paged");
    for (const k of ["a/1", "a/2", "b", "c/1", "d"]) s3.buckets.put("paged", k, Buffer.from(k));
    const c = client();
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.send(new ListObjectsV2Command({ Bucket: "paged", Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.CommonPrefixes ?? []).map((p) => `prefix ${p.Prefix}`), ...(page.Contents ?? []).map((o) => `key ${o.Key}`));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(seen.sort()).toEqual(["key b", "key d", "prefix a/", "prefix c/"]);
  });

  it("answers a missing key and a missing bucket with 404 NoSuchKey / NoSuchBucket", async () => {
    s3.buckets.create("artifacts");
    const c = client();
    expect(await failure(c.send(new GetObjectCommand({ Bucket: "artifacts", Key: "nope" })))).toMatchObject({ name: "NoSuchKey", status: 404 });
    expect(await failure(c.send(new GetObjectCommand({ Bucket: "missing", Key: "nope" })))).toMatchObject({ name: "NoSuchBucket", status: 404 });
    expect(await failure(c.send(new HeadBucketCommand({ Bucket: "missing" })))).toMatchObject({ status: 404 });
    expect(await failure(c.send(new CreateBucketCommand({ Bucket: "artifacts" })))).toMatchObject({ name: "BucketAlreadyOwnedByYou", status: 409 });
  });

  it("refuses a wrong secret with 403 SignatureDoesNotMatch and an unknown key with 403 InvalidAccessKeyId", async () => {
    s3.buckets.create("artifacts");
    const wrongSecret = await failure(client({ secretAccessKey: "not-the-secret" }).send(new PutObjectCommand({ Bucket: "artifacts", Key: "k", Body: "x" })));
    expect(wrongSecret).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    const wrongKey = await failure(client({ accessKeyId: "someone-else" }).send(new GetObjectCommand({ Bucket: "artifacts", Key: "k" })));
    expect(wrongKey).toMatchObject({ name: "InvalidAccessKeyId", status: 403 });
    expect(s3.buckets.keys("artifacts")).toEqual([]);
  });

  it("checks Content-MD5 and flexible checksums against the body", async () => {
    s3.buckets.create("artifacts");
    const c = client();
    const md5 = await failure(c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "k", Body: "abc", ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg==" })));
    expect(md5).toMatchObject({ name: "BadDigest", status: 400 });
    const crc = await failure(c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "k", Body: "abc", ChecksumCRC32: "AAAAAA==" })));
    expect(crc).toMatchObject({ name: "BadDigest", status: 400 });
    await c.send(new PutObjectCommand({ Bucket: "artifacts", Key: "k", Body: "abc", ContentMD5: "kAFQmDzST7DWlj99KOF/cg==" }));
    expect(s3.buckets.get("artifacts", "k")?.body.toString()).toBe("abc");
  });

  it("refuses a request signed too far from the server's clock", async () => {
    await s3.close();
    s3 = await startSimulatedS3({ accessKey: ACCESS, secretKey: SECRET, buckets: ["artifacts"], now: () => new Date(Date.now() + 3_600_000) });
    expect(await failure(client().send(new HeadObjectCommand({ Bucket: "artifacts", Key: "k" })))).toMatchObject({ status: 403 });
    expect(await failure(client().send(new GetObjectCommand({ Bucket: "artifacts", Key: "k" })))).toMatchObject({ name: "RequestTimeTooSkewed" });
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(method: string, pathAndQuery: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: s3.port, method, path: pathAndQuery, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("simulated S3 on the wire", () => {
  it("labels itself a simulation and refuses anonymous requests with an S3 XML error", async () => {
    s3.buckets.create("artifacts");
    const res = await raw("GET", "/artifacts/some/key", {});
    expect(res.status).toBe(403);
    expect(res.headers.server).toBe("tiphys-simulated-s3");
    expect(res.headers["content-type"]).toBe("application/xml");
    expect(res.body).toContain("<Code>AccessDenied</Code>");
    expect(res.body).toContain("<Resource>/artifacts/some/key</Resource>");
  });

  // The chunked-upload examples of AWS's documentation (sigv4-streaming.html and
  // sigv4-streaming-trailers.html): 65 KiB of "a" in a 64 KiB and a 1 KiB chunk, signed with the
  // documentation's example key on 2013-05-24.
  const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const chunk = (size: number, sig: string, data: Buffer) => Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from("\r\n")]);

  async function awsExampleServer(): Promise<void> {
    await s3.close();
    s3 = await startSimulatedS3({ accessKey: AWS_KEY, secretKey: AWS_SECRET, buckets: ["examplebucket"], now: () => new Date("2013-05-24T00:00:00Z") });
  }

  function signedChunks(sigs: string[]): Buffer {
    return Buffer.concat([
      chunk(65536, sigs[0], Buffer.alloc(65536, "a")),
      chunk(1024, sigs[1], Buffer.alloc(1024, "a")),
      Buffer.from(`0;chunk-signature=${sigs[2]}\r\n`),
    ]);
  }

  it("accepts AWS's documented signed-chunk upload and refuses it once a byte is changed", async () => {
    await awsExampleServer();
    const body = Buffer.concat([
      signedChunks([
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
      ]),
      Buffer.from("\r\n"),
    ]);
    const headers = {
      host: "s3.amazonaws.com",
      "x-amz-date": "20130524T000000Z",
      "x-amz-storage-class": "REDUCED_REDUNDANCY",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
      "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "66560",
      "content-length": String(body.length),
    };
    expect(body.length).toBe(66824);
    const ok = await raw("PUT", "/examplebucket/chunkObject.txt", headers, body);
    expect(ok.status).toBe(200);
    expect(s3.buckets.get("examplebucket", "chunkObject.txt")?.body.equals(Buffer.alloc(66560, "a"))).toBe(true);

    const tampered = Buffer.from(body);
    tampered[70_000] = "b".charCodeAt(0);
    const refused = await raw("PUT", "/examplebucket/other.txt", headers, tampered);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect(s3.buckets.get("examplebucket", "other.txt")).toBeUndefined();
  });

  it("accepts AWS's documented signed-chunk upload with a signed CRC32C trailer", async () => {
    await awsExampleServer();
    const trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n";
    const body = Buffer.concat([
      signedChunks([
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
      ]),
      Buffer.from(trailer),
    ]);
    expect(body.length).toBe(66946);
    const headers = {
      host: "s3.amazonaws.com",
      "x-amz-date": "20130524T000000Z",
      "x-amz-storage-class": "REDUCED_REDUNDANCY",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
      "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "66560",
      "x-amz-trailer": "x-amz-checksum-crc32c",
      "content-length": String(body.length),
    };
    const ok = await raw("PUT", "/examplebucket/chunkObject.txt", headers, body);
    expect(ok.status).toBe(200);
    expect(s3.buckets.get("examplebucket", "chunkObject.txt")?.body.length).toBe(66560);

    const wrongChecksum = Buffer.from(body.toString("latin1").replace("sOO8/Q==", "AAAAAA=="), "latin1");
    const refused = await raw("PUT", "/examplebucket/other.txt", headers, wrongChecksum);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("<Code>SignatureDoesNotMatch</Code>");
  });
});
