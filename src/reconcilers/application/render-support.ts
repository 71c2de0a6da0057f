/**
 * Helpers shared by the render stages: Argo CD's build environment and `${VAR}` substitution, the
 * manifest parser (YAML read the way Argo CD's Go code reads it), path checks, and work-dir copies.
 */
import { chmod, cp, lstat, readdir, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { LineCounter, parseAllDocuments, type Tags } from "yaml";
import { ConfigError } from "../../core/errors.js";
import type { Application, ApplicationSource, KubeObject } from "./types.js";

// ---------------------------------------------------------------- build environment

/**
 * The variables Argo CD gives a manifest generation (`reposerver/repository/repository.go` newEnv):
 * passed to the tools' environment and substituted into helm parameters, value-file paths and
 * kustomize images/labels.
 */
export function buildEnv(app: Application, source: ApplicationSource, revision: string): Record<string, string> {
  return {
    ARGOCD_APP_NAME: app.metadata.name,
    ARGOCD_APP_NAMESPACE: app.spec.destination?.namespace ?? "",
    ARGOCD_APP_PROJECT_NAME: app.spec.project ?? "default",
    ARGOCD_APP_REVISION: revision,
    ARGOCD_APP_REVISION_SHORT: revision.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: revision.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
    ARGOCD_APP_SOURCE_PATH: source.path ?? "",
    ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision ?? "",
  };
}

const isShellSpecial = (c: string) => "*#$@!?-0123456789".includes(c);
const isAlphaNum = (c: string) => /^[A-Za-z0-9_]$/.test(c);

/** The variable name after a `$` (Go's `getShellName`): [name, characters consumed]. */
function shellName(s: string): [string, number] {
  if (s[0] === "{") {
    if (s.length > 2 && isShellSpecial(s[1]) && s[2] === "}") return [s[1], 3];
    for (let i = 1; i < s.length; i++) {
      if (s[i] === "}") return i === 1 ? ["", 2] : [s.slice(1, i), i + 1];
    }
    return ["", 1];
  }
  if (isShellSpecial(s[0])) return [s[0], 1];
  let i = 0;
  while (i < s.length && isAlphaNum(s[i])) i++;
  return [s.slice(0, i), i];
}

/**
 * Argo CD's `Env.Envsubst`: Go's `os.Expand` where `$$` gives `$` and unknown variables give "".
 */
export function envsubst(text: string, vars: Record<string, string>): string {
  let out = "";
  let from = 0;
  for (let j = 0; j < text.length; j++) {
    if (text[j] !== "$" || j + 1 >= text.length) continue;
    out += text.slice(from, j);
    const [name, width] = shellName(text.slice(j + 1));
    if (name === "" && width > 0) {
      // bad syntax (`${}`, `${`): Go eats it
    } else if (name === "") {
      out += "$";
    } else {
      out += name === "$" ? "$" : (vars[name] ?? "");
    }
    j += width;
    from = j + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

// ---------------------------------------------------------------- manifests

/**
 * YAML as Argo CD reads it: sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1 scalars (`yes`/`on` are
 * booleans, `0777` is octal) but timestamps stay strings and there are no sexagesimal numbers;
 * a repeated key keeps its last value.
 */
const GO_YAML = {
  version: "1.1" as const,
  customTags: (tags: Tags) =>
    tags.filter((t) =>
      typeof t === "string" ? !["intTime", "floatTime", "timestamp"].includes(t) : t.format !== "TIME" && t.tag !== "tag:yaml.org,2002:timestamp",
    ),
  uniqueKeys: false,
  prettyErrors: false,
};
export const MAX_YAML_ALIASES = 1000;

export interface YamlDoc {
  /** 0-based index of the document in the stream. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  value: unknown;
}

export interface YamlStreamError {
  index: number;
  line: number;
  column: number;
  message: string;
}

/**
 * The documents of a YAML stream up to the first bad one (as Go's decoder reads them: the ones before
 * an error are kept). Empty and `null` documents are skipped.
 */
export function splitYamlStream(text: string): { docs: YamlDoc[]; error?: YamlStreamError } {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { ...GO_YAML, lineCounter });
  const docs: YamlDoc[] = [];
  if (!Array.isArray(parsed)) return { docs }; // an empty stream
  const pos = (offset: number | undefined) => lineCounter.linePos(offset ?? 0);
  for (let index = 0; index < parsed.length; index++) {
    const doc = parsed[index];
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const { line, col } = pos(e.pos[0]);
      return { docs, error: { index, line, column: col, message: e.message.split("\n")[0] } };
    }
    const start = pos(doc.contents?.range?.[0] ?? doc.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      return { docs, error: { index, line: start.line, column: start.col, message: `cannot expand document: ${(err as Error).message}` } };
    }
    if (value === null || value === undefined) continue;
    docs.push({ index, line: start.line, value });
  }
  return { docs };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `value` is not a Kubernetes object, or undefined when it is one. */
export function notAnObject(value: unknown): string | undefined {
  if (!isRecord(value)) return `expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? "a list" : typeof value}`;
  if (typeof value.kind !== "string" || value.kind === "") return "the object has no kind";
  if (typeof value.apiVersion !== "string" || value.apiVersion === "") return "the object has no apiVersion";
  if (!isRecord(value.metadata)) return "the object has no metadata";
  return undefined;
}

export interface ManifestOrigin {
  /** Where the text came from, for messages: a file path or "`helm template` output". */
  label: string;
  /** 1-based line of the document in that text. */
  line: number;
}

/** A parsed document that is not a Kubernetes object; the message says why. */
export class NotAnObjectError extends Error {}

/**
 * The objects of one parsed document, as Argo CD's GenerateManifests takes them: anything with an
 * `items` list is a List and gives its items; a list whose `items` is null gives nothing.
 * Throws NotAnObjectError when a target is not a Kubernetes object.
 */
export function targetsOf(value: unknown): KubeObject[] {
  if (isRecord(value) && Array.isArray(value.items)) {
    return value.items.map((item, i) => {
      const why = notAnObject(item);
      if (why) throw new NotAnObjectError(`items[${i}]: ${why}`);
      return item as KubeObject;
    });
  }
  if (isRecord(value) && "items" in value && value.items === null && !("spec" in value) && !("status" in value)) return [];
  const why = notAnObject(value);
  if (why) throw new NotAnObjectError(why);
  return [value as KubeObject];
}

// ---------------------------------------------------------------- paths

/** `text` with a leading `scheme:` (as Go's url.Parse sees one), or undefined. */
export function urlScheme(text: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  return m ? m[1] : undefined;
}

/** `child` is `root` or inside it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith(".." + sep) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Argo CD's `resolveFileOrDirectory` for value files: relative to the app path, or to the repo root
 * when absolute; symlinks resolved; must stay inside the repo and not be the repo root itself.
 */
export async function resolveRepoFile(appPath: string, repoRoot: string, file: string): Promise<string> {
  const joined = isAbsolute(file) ? join(repoRoot, file) : join(appPath, file);
  let path = joined;
  let root = repoRoot;
  try {
    path = await realpath(joined);
    root = await realpath(repoRoot);
  } catch {
    // does not exist (yet): compare the plain paths; the tool reports the missing file
  }
  if (path === root) throw new ConfigError(`${file}: path resolved to repository root, which is not allowed`);
  if (!isInside(root, path)) throw new ConfigError(`file '${file}' resolved to outside repository root`);
  return path;
}

/** Copies a checkout into `dest` (without `.git`) and makes the copy writable, for tools that edit or add files. */
export async function copyCheckout(root: string, dest: string): Promise<void> {
  await cp(root, dest, { recursive: true, verbatimSymlinks: true, filter: (src) => !(src !== root && src.endsWith(`${sep}.git`)) });
  const makeWritable = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await makeWritable(p);
      else if (entry.isFile()) await chmod(p, ((await lstat(p)).mode & 0o777) | 0o600);
    }
  };
  await makeWritable(dest);
}

/** JSON with object keys sorted, for cache keys. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** RFC 7386 JSON merge patch (Argo CD merges `.argocd-source.yaml` into the source this way). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export { isRecord };
