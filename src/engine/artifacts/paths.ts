import { realpath } from "node:fs/promises";
import path from "node:path";

/**
 * Checks that `rel` is a relative path whose segments never climb out of wherever it is joined
 * (no absolute path, no `..`, no NUL, no backslash). Returns the normalised form, or an error text.
 */
export function checkRelative(rel: string, what: string): { ok: true; value: string } | { ok: false; reason: string } {
  if (rel.length === 0) return { ok: false, reason: `${what} is empty` };
  if (rel.includes("\0")) return { ok: false, reason: `${what} ${JSON.stringify(rel)} contains a NUL byte` };
  if (rel.includes("\\")) return { ok: false, reason: `${what} ${JSON.stringify(rel)} contains a backslash` };
  if (path.posix.isAbsolute(rel)) return { ok: false, reason: `${what} ${JSON.stringify(rel)} is absolute` };
  const segments = rel.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) {
    return { ok: false, reason: `${what} ${JSON.stringify(rel)} escapes its root with ".."` };
  }
  if (segments.length === 0) return { ok: false, reason: `${what} ${JSON.stringify(rel)} names no entry` };
  return { ok: true, value: segments.join("/") };
}

/** True if `child` is `parent` or lies below it (both absolute and resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Joins a checked relative path under `root`, and verifies with realpath that no symlink on the way
 * leads out of `root`. Returns undefined when the target does not exist (the caller decides whether
 * that is "not found").
 */
export async function resolveInside(root: string, rel: string): Promise<string | undefined> {
  const joined = path.resolve(root, rel);
  if (!isInside(path.resolve(root), joined)) throw new Error(`path ${JSON.stringify(rel)} escapes ${root}`);
  let real: string;
  try {
    real = await realpath(joined);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const realRoot = await realpath(root);
  if (!isInside(realRoot, real)) throw new Error(`path ${JSON.stringify(rel)} resolves outside its root`);
  return joined;
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A single path segment usable as a directory or file name (node ids, artifact names). */
export function isSafeSegment(s: string): boolean {
  return s.length > 0 && s !== "." && s !== ".." && !/[/\\\0]/.test(s);
}
