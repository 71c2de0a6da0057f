/**
 * Directory sources (plain YAML/JSON), as Argo CD's repo-server reads them
 * (`reposerver/repository/repository.go` findManifests, getPotentiallyValidManifests):
 * - files named `*.yaml`, `*.yml`, `*.json` (and `*.jsonnet`, which Tiphys does not evaluate yet),
 *   in the app folder, or below it with `recurse`; walked in lexical order;
 * - `exclude` then `include` glob matched against the path relative to the app folder, with Argo CD's
 *   glob syntax (gobwas/glob with no separators: `*` also matches `/`; `{a,b}`, `[a-z]`, `?`);
 * - files containing `+argocd:skip-file-rendering` are skipped; symlinks must stay inside the repo;
 * - a YAML file that does not parse, or whose first document is not an object with a kind, is ignored
 *   unless it looks like a manifest (contains `apiVersion:`, `kind:` and `metadata:`); then it is an
 *   error, as is a bad document after good ones. A JSON file holds exactly one object.
 */
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import picomatch from "picomatch";
import { ConfigError, type ConfigProblem } from "../../core/errors.js";
import type { SourceContext } from "./render.js";
import { isInside, isRecord, NotAnObjectError, splitYamlStream, targetsOf } from "./render-support.js";
import type { DirectorySource, KubeObject } from "./types.js";

const MANIFEST_FILE = /^.*\.(yaml|yml|json|jsonnet)$/;
const SKIP_MARKER = "+argocd:skip-file-rendering";
/** Argo CD's `--max-combined-directory-manifests-size` default (10M). */
export const DEFAULT_MAX_DIRECTORY_BYTES = 10_000_000;

/**
 * A matcher with Argo CD's glob semantics (gobwas/glob compiled without separators). picomatch never
 * lets `*` cross `/`, so both sides swap `/` for a character paths do not contain.
 */
export function argoGlob(pattern: string): (relPath: string) => boolean {
  const NUL = "\u0000";
  const match = picomatch(pattern.split("/").join(NUL), { dot: true, nonegate: true, noextglob: true, noglobstar: true });
  return (relPath) => match(relPath.split("/").join(NUL));
}

interface Candidate {
  path: string;
  /** Relative to the app folder, `/`-separated. */
  rel: string;
  /** Relative to the checkout root, for messages and annotations. */
  repoRel: string;
  text: string;
}

async function collect(ctx: SourceContext, dir: DirectorySource, maxBytes: number): Promise<Candidate[]> {
  const root = await realpath(ctx.checkout.root);
  const exclude = dir.exclude ? argoGlob(dir.exclude) : undefined;
  const include = dir.include ? argoGlob(dir.include) : undefined;
  const out: Candidate[] = [];
  let total = 0;
  const walk = async (folder: string): Promise<void> => {
    const names = (await readdir(folder)).sort();
    for (const name of names) {
      const path = join(folder, name);
      const info = await lstat(path);
      if (info.isDirectory()) {
        if (dir.recurse) await walk(path);
        continue;
      }
      if (!MANIFEST_FILE.test(name)) continue;
      const rel = relative(ctx.appPath, path).split(sep).join("/");
      const repoRel = relative(ctx.checkout.root, path).split(sep).join("/");
      let real = info;
      if (info.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (!target) continue; // destination missing: Argo CD logs and skips
        if (!isInside(root, target)) throw new ConfigError(`invalid manifest file ${JSON.stringify(repoRel)}: illegal filepath in symlink at ${JSON.stringify(rel)}`);
        real = await stat(target);
      }
      if (!real.isFile()) continue;
      if (exclude?.(rel)) continue;
      if (include && !include(rel)) continue;
      const text = await readFile(path, "utf8");
      if (text.includes(SKIP_MARKER)) continue;
      if (!name.endsWith(".jsonnet")) {
        total += real.size;
        if (maxBytes > 0 && total > maxBytes) throw new ConfigError(`exceeded max combined manifest file size (${maxBytes} bytes) while reading ${repoRel}`);
      }
      out.push({ path, rel, repoRel, text });
    }
  };
  await walk(ctx.appPath);
  return out;
}

function problemAt(file: string, line: number, column: number, message: string): ConfigProblem {
  return { message, pos: { file, line, column }, severity: "error" };
}

function lineColAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function looksLikeManifest(text: string): boolean {
  return text.includes("apiVersion:") && text.includes("kind:") && text.includes("metadata:");
}

/** What Go's decoder into `unstructured.Unstructured` refuses: a non-object, or an object without kind. */
function undecodable(value: unknown): string | undefined {
  if (!isRecord(value)) return `expected an object, got ${Array.isArray(value) ? "a list" : typeof value}`;
  if (typeof value.kind !== "string" || value.kind === "") return "Object 'Kind' is missing";
  return undefined;
}

function fromJson(c: Candidate): unknown[] {
  try {
    return [JSON.parse(c.text)];
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg);
    const { line, column } = at ? lineColAt(c.text, Number(at[1])) : { line: 1, column: 1 };
    throw new ConfigError(`failed to unmarshal ${JSON.stringify(c.repoRel)}: ${msg} (a JSON file must hold exactly one object)`, [problemAt(c.repoRel, line, column, msg)]);
  }
}

/** The documents of one file with their lines; [] when Argo CD would ignore the file. */
function documentsOf(c: Candidate): Array<{ value: unknown; line: number }> {
  if (c.rel.endsWith(".json")) {
    const [value] = fromJson(c);
    const why = undecodable(value);
    if (why) throw new ConfigError(`failed to unmarshal ${JSON.stringify(c.repoRel)}: ${why}`, [problemAt(c.repoRel, 1, 1, why)]);
    return [{ value, line: 1 }];
  }
  const { docs, error } = splitYamlStream(c.text);
  const good: Array<{ value: unknown; line: number }> = [];
  for (const d of docs) {
    const why = undecodable(d.value);
    if (why) return fail(good, { line: d.line, column: 1, message: why });
    good.push(d);
  }
  if (error) return fail(good, error);
  return good;

  function fail(before: unknown[], e: { line: number; column: number; message: string }): Array<{ value: unknown; line: number }> {
    if (before.length === 0 && !looksLikeManifest(c.text)) return []; // an unrelated YAML file
    throw new ConfigError(`failed to unmarshal ${JSON.stringify(c.repoRel)}: ${e.message}`, [problemAt(c.repoRel, e.line, e.column, e.message)]);
  }
}

/** The objects of a Directory source, in file order. */
export async function renderDirectory(ctx: SourceContext, maxBytes = DEFAULT_MAX_DIRECTORY_BYTES): Promise<{ objects: KubeObject[]; bytes: number }> {
  const dir: DirectorySource = ctx.source.directory ?? {};
  const candidates = await collect(ctx, dir, maxBytes);
  const objects: KubeObject[] = [];
  let bytes = 0;
  for (const c of candidates) {
    if (c.rel.endsWith(".jsonnet")) {
      throw new ConfigError(`${c.repoRel}: jsonnet is not supported yet (Directory sources with .jsonnet files); exclude it with spec.source.directory.exclude or render it to YAML`, [
        problemAt(c.repoRel, 1, 1, "jsonnet is not supported yet"),
      ]);
    }
    bytes += Buffer.byteLength(c.text);
    for (const d of documentsOf(c)) {
      try {
        objects.push(...targetsOf(d.value));
      } catch (err) {
        if (!(err instanceof NotAnObjectError)) throw err;
        throw new ConfigError(`${c.repoRel}:${d.line}: ${err.message}`, [problemAt(c.repoRel, d.line, 1, err.message)]);
      }
    }
  }
  return { objects, bytes };
}
