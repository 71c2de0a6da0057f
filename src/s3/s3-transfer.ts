/**
 * Files and folders to and from a bucket, the way Argo's S3 driver moves them
 * (workflow/artifacts/s3/s3.go): a folder is one object per regular file under `<key>/<relative
 * path>` (symlinks skipped), and a key that is no object but a prefix of others is read back as a
 * folder (`<key>/` listed recursively, "directory marker" keys ending in `/` skipped).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkRelative } from "../engine/artifacts/paths.js";
import { isMissingKey } from "./s3-errors.js";
import { joinKey } from "./key-format.js";

/** Bodies up to this size are sent from memory, so that the SDK can retry them; larger ones stream. */
const IN_MEMORY_UPLOAD_BYTES = 16 * 1024 * 1024;

export class S3Transfer {
  constructor(private readonly client: S3Client) {}

  async putFile(bucket: string, key: string, file: string, signal?: AbortSignal): Promise<void> {
    const { size } = await stat(file);
    const contentMd5 = await fileMd5(file);
    const body = size <= IN_MEMORY_UPLOAD_BYTES ? await readFile(file) : createReadStream(file);
    await this.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentMD5: contentMd5 }),
      signal ? { abortSignal: signal } : {},
    );
  }

  /** Uploads every regular file below `dir` to `<key>/<relative path>`; returns how many. */
  async putDirectory(bucket: string, key: string, dir: string, signal?: AbortSignal): Promise<number> {
    let count = 0;
    for (const rel of await regularFiles(dir)) {
      await this.putFile(bucket, joinKey(key, rel), path.join(dir, ...rel.split("/")), signal);
      count++;
    }
    return count;
  }

  /**
   * Downloads `key` to `dest`: the object itself, or, when there is none, every object below
   * `<key>/` into the folder `dest`. "missing" when neither exists.
   */
  async download(bucket: string, key: string, dest: string, signal?: AbortSignal): Promise<"file" | "directory" | "missing"> {
    try {
      await this.getObjectTo(bucket, key, dest, signal);
      return "file";
    } catch (err) {
      if (!isMissingKey(err)) throw err;
    }
    const prefix = joinKey(key) + "/";
    const keys = (await this.listKeys(bucket, prefix, signal)).filter((k) => !k.endsWith("/"));
    if (keys.length === 0) return "missing";
    await mkdir(dest, { recursive: true });
    for (const objectKey of keys) {
      const checked = checkRelative(objectKey.slice(prefix.length), "object key below the artifact's key");
      if (!checked.ok) throw new Error(`refusing object ${objectKey}: ${checked.reason}`);
      const target = path.join(dest, ...checked.value.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await this.getObjectTo(bucket, objectKey, target, signal);
    }
    return "directory";
  }

  async getObjectTo(bucket: string, key: string, file: string, signal?: AbortSignal): Promise<void> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
    await pipeline(out.Body as Readable, createWriteStream(file, { mode: 0o644 }));
  }

  /** Every key that starts with `prefix`, across pages. */
  async listKeys(bucket: string, prefix: string, signal?: AbortSignal): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        signal ? { abortSignal: signal } : {},
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}

async function fileMd5(file: string): Promise<string> {
  const hash = createHash("md5");
  await pipeline(createReadStream(file), hash);
  return hash.digest("base64");
}

/** Relative paths (with `/`) of the regular files below `dir`; symlinks are neither followed nor listed. */
async function regularFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await regularFiles(path.join(dir, entry.name), rel + "/")));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
