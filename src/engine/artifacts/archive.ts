/**
 * tar+gzip archives the way Argo's executor makes and reads them (`workflow/executor/executor.go`):
 * an output is archived with its base name as the single top-level entry, and on load a tarball
 * holding a single entry becomes that entry at the input's path, while one holding several entries
 * becomes a directory.
 */
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { mkdtemp, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { create, extract, type ReadEntry } from "tar";
import { checkRelative } from "./paths.js";

/** Go's gzip levels: -2 HuffmanOnly, -1 default, 0 none … 9 best. */
export function gzipOptions(compressionLevel: number | undefined): { level: number; strategy?: number } {
  if (compressionLevel === undefined) return { level: zlibConstants.Z_DEFAULT_COMPRESSION };
  if (!Number.isInteger(compressionLevel) || compressionLevel < -2 || compressionLevel > 9) {
    throw new RangeError(`archive.tar.compressionLevel must be an integer from -2 to 9, got ${compressionLevel}`);
  }
  if (compressionLevel === -2) {
    return { level: zlibConstants.Z_DEFAULT_COMPRESSION, strategy: zlibConstants.Z_HUFFMAN_ONLY };
  }
  return { level: compressionLevel };
}

/** Writes `src` (file or folder) to `destFile` as tar+gzip, with `basename(src)` as its top entry. */
export async function createTarGz(src: string, destFile: string, compressionLevel?: number): Promise<void> {
  const abs = path.resolve(src);
  const base = path.basename(abs);
  const gzip = gzipOptions(compressionLevel);
  if (base === "") {
    // The filesystem root: archive its contents instead.
    await create({ gzip, file: destFile, cwd: abs, portable: true }, ["."]);
    return;
  }
  await create({ gzip, file: destFile, cwd: path.dirname(abs), portable: true }, [base]);
}

/** Argo's isTarball: a gzip stream whose first 512 bytes form a valid tar header. */
export async function isTarball(file: string): Promise<boolean> {
  let head: Buffer;
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return false;
  let plain: Buffer;
  try {
    plain = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return false;
  }
  return plain.length >= 512 && validTarHeader(plain.subarray(0, 512));
}

function validTarHeader(block: Buffer): boolean {
  if (block.every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString("latin1").replace(/[\0 ]+$/, "").trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const expected = parseInt(field, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === expected;
}

const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

/** Why an entry may not be extracted, or undefined when it is safe. Exported for tests. */
export function unsafeEntryReason(entryPath: string, type: string, linkpath: string | undefined): string | undefined {
  const checked = checkRelative(entryPath, "tar entry");
  if (!checked.ok) {
    // "./" alone names the archive root itself: harmless for a directory, skipped by the caller.
    if (type === "Directory" && entryPath.split("/").every((s) => s === "" || s === ".") && entryPath !== "") {
      return undefined;
    }
    return checked.reason;
  }
  if (!ALLOWED_TYPES.has(type)) return `tar entry ${JSON.stringify(entryPath)} has unsupported type ${type}`;
  if (type === "SymbolicLink") {
    const link = linkpath ?? "";
    if (link === "" || path.posix.isAbsolute(link)) {
      return `illegal symlink target: ${entryPath} -> ${link} (absolute)`;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(checked.value), link));
    if (target === ".." || target.startsWith("../")) {
      return `illegal symlink target: ${entryPath} -> ${link} (outside the artifact)`;
    }
  }
  if (type === "Link") {
    const link = checkRelative(linkpath ?? "", "hard link target");
    if (!link.ok) return `illegal hard link: ${entryPath} -> ${linkpath ?? ""}: ${link.reason}`;
  }
  return undefined;
}

/**
 * Extracts a tar(.gz) into the existing, empty directory `destDir`. Every entry is checked first:
 * `..`, absolute paths, links leaving the archive and device files are refused (the whole extraction
 * fails, Argo's "illegal file path").
 */
export async function extractTarSafe(file: string, destDir: string): Promise<void> {
  const problems: string[] = [];
  await extract({
    file,
    cwd: destDir,
    strict: true,
    preserveOwner: false,
    filter: (entryPath, entry) => {
      const e = entry as ReadEntry;
      const reason = unsafeEntryReason(entryPath, e.type, e.linkpath);
      if (reason) {
        problems.push(reason);
        return false;
      }
      // Skip the archive-root "./" entry; tar creates cwd itself.
      return checkRelative(entryPath, "tar entry").ok;
    },
  });
  if (problems.length > 0) throw new Error(problems[0]);
}

/**
 * Argo's unpack: extract `tarFile` beside `dest`, then move the single top entry (or, when there are
 * several, the whole extraction folder) to `dest`. `pick`, when given, chooses a path inside the
 * unpacked result instead (used for `subPath`); it returns undefined when that path is missing.
 */
export async function untarTo(
  tarFile: string,
  dest: string,
  pick?: (root: string) => Promise<string | undefined>,
): Promise<boolean> {
  const tmp = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}.untar-`));
  try {
    await extractTarSafe(tarFile, tmp);
    const entries = await readdir(tmp);
    const root = entries.length === 1 ? path.join(tmp, entries[0]) : tmp;
    const chosen = pick ? await pick(root) : root;
    if (chosen === undefined) return false;
    if (chosen === tmp) {
      await rename(tmp, dest);
      return true;
    }
    await rename(chosen, dest);
    return true;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
