import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(prefix = "tiphys-art-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface RawEntry {
  path: string;
  type: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  body?: string;
  linkpath?: string;
}

/**
 * A hand-made tar.gz, header by header, so that it can hold what no well-behaved tool writes
 * (`../` paths, absolute paths, links that leave the archive).
 */
export function craftTarGz(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    const header = new Header({
      path: e.path,
      type: e.type,
      mode: e.type === "Directory" ? 0o755 : 0o644,
      size: e.type === "File" ? body.length : 0,
      linkpath: e.linkpath,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (e.type === "File" && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
