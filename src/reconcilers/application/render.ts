/**
 * Render an Application's manifests the way Argo CD's repo-server does (`reposerver/repository/
 * repository.go` GenerateManifests, `controller/state.go` GetRepoObjs): for each source, in order,
 * get the files at the target revision, merge `.argocd-source.yaml` overrides, detect the tool
 * (explicit `helm`/`kustomize`/`directory` block, else `Chart.yaml` => Helm, a kustomization file =>
 * Kustomize, else Directory), run it, and parse its output into objects (Lists flattened, empty
 * documents dropped). A `sources` entry with only a `ref` renders nothing: it gives files to the
 * `$ref/...` value files of the others.
 *
 * Stages live in render-helm.ts, render-kustomize.ts and render-directory.ts; tools run through the
 * ToolRunner port, files come from `checkout`, and results are cached by what determines them.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, ExternalError, TransientError, type ConfigProblem } from "../../core/errors.js";
import { MAX_TOOL_OUTPUT_BYTES, ToolFailedError, type ToolRunner } from "../../core/ports/tools.js";
import { DEFAULT_MAX_DIRECTORY_BYTES, renderDirectory } from "./render-directory.js";
import { renderHelm } from "./render-helm.js";
import { KUSTOMIZATION_NAMES, renderKustomize } from "./render-kustomize.js";
import {
  buildEnv,
  copyCheckout,
  isInside,
  isRecord,
  mergePatch,
  NotAnObjectError,
  splitYamlStream,
  stableStringify,
  targetsOf,
} from "./render-support.js";
import type { Application, ApplicationSource, KubeObject } from "./types.js";

export interface SourceCheckout {
  /** Absolute directory holding the repo's files at `revision` (read-only to you: copy before editing). */
  root: string;
  revision: string;
}

export type RenderSourceType = "Directory" | "Kustomize" | "Helm";

export interface RenderLimits {
  /** Per tool run. Default: the ToolRunner's (60 s, or ARGOCD_EXEC_TIMEOUT). */
  toolTimeoutMs?: number;
  /** All sources' rendered text together. Default 64 MiB. */
  maxOutputBytes?: number;
  /** Files a Directory source reads, together (Argo CD's default: 10M). */
  maxDirectoryBytes?: number;
}

export interface RenderDeps {
  tools: ToolRunner;
  /** Gives the files of `repoURL` at `targetRevision` (the CLI maps it to a local git repo; the App to the GitHub API). */
  checkout(repoURL: string, targetRevision: string): Promise<SourceCheckout>;
  cache?: RenderCache;
  /** The destination cluster's version (helm `--kube-version`), as Argo CD passes it; a source's `helm.kubeVersion` wins. */
  kubeVersion?: string;
  /** The destination cluster's API versions (helm `--api-versions`); a source's `helm.apiVersions` wins. */
  apiVersions?: string[];
  limits?: RenderLimits;
}

export interface RenderedManifests {
  objects: KubeObject[];
  /** one per source, in order */
  revisions: string[];
  /** One per source, in order; "" for a source with only a `ref` (as Argo CD's `status.sourceTypes`). */
  sourceTypes: Array<RenderSourceType | "">;
}

/** What a tool stage gives back: its stdout and how to name it in messages. */
export interface ToolText {
  text: string;
  label: string;
}

/** Everything a stage needs to render one source. */
export interface SourceContext {
  app: Application;
  source: ApplicationSource;
  checkout: SourceCheckout;
  /** Absolute app folder inside `checkout.root`. */
  appPath: string;
  /** Argo CD's ARGOCD_APP_* variables. */
  env: Record<string, string>;
  /** `$name` of each `ref` source (multiple sources only). */
  refs: ReadonlyMap<string, ApplicationSource>;
  /** The checkout of a `$ref` (throws when it is another revision of this source's repo, as Argo CD does). */
  refCheckout(refVar: string): Promise<SourceCheckout>;
  tools: ToolRunner;
  timeoutMs?: number;
  /** A scratch folder for this source (removed after the render). */
  workDir: string;
  kubeVersion?: string;
  apiVersions?: string[];
  /** A writable copy of the checkout, made on first call. */
  writableCopy(): Promise<{ root: string }>;
  /** Paths to replace in messages (temp folders are noise and may differ per run). */
  redactions: Map<string, string>;
}

// ---------------------------------------------------------------- cache

/** In-memory LRU of rendered sources, keyed by everything that determines the result. */
export class RenderCache {
  private readonly entries = new Map<string, KubeObject[]>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 256) {}

  /** Key: revision, repo and path, the source's tool parameters, app name, destination namespace, and what else feeds the tools. */
  static key(parts: { revision: string; repoURL: string; path: string; source: ApplicationSource; appName: string; namespace: string; extra?: unknown }): string {
    return stableStringify([parts.revision, parts.repoURL, parts.path, parts.source, parts.appName, parts.namespace, parts.extra ?? null]);
  }

  get(key: string): KubeObject[] | undefined {
    const hit = this.entries.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return structuredClone(hit);
  }

  set(key: string, objects: KubeObject[]): void {
    this.entries.delete(key);
    this.entries.set(key, structuredClone(objects));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

// ---------------------------------------------------------------- helpers

const normalizeRepoURL = (url: string) => url.trim().toLowerCase().replace(/\/+$/, "").replace(/\.git$/, "");

function sourcesOf(app: Application): { sources: ApplicationSource[]; multiple: boolean } {
  if (app.spec.sources && app.spec.sources.length > 0) return { sources: app.spec.sources, multiple: true };
  if (app.spec.source) return { sources: [app.spec.source], multiple: false };
  throw new ConfigError(`Application "${app.metadata.name}" has neither spec.source nor spec.sources`, [
    { message: "no source", field: "spec.source", severity: "error" },
  ]);
}

/** Argo CD's ApplicationSource.ExplicitType. */
function explicitType(source: ApplicationSource): RenderSourceType | "Plugin" | undefined {
  const types: Array<RenderSourceType | "Plugin"> = [];
  if (source.kustomize != null) types.push("Kustomize");
  if (source.helm != null) types.push("Helm");
  if (source.directory != null) types.push("Directory");
  if (source.plugin != null) types.push("Plugin");
  if (types.length > 1) throw new ConfigError(`multiple application sources defined: ${types.join(",")}`);
  return types[0];
}

/** Argo CD's discovery for the app folder itself: a `*Chart.yaml` => Helm, a kustomization file => Kustomize (which wins). */
async function detectType(appPath: string): Promise<RenderSourceType> {
  let type: RenderSourceType = "Directory";
  for (const entry of await readdir(appPath, { withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    if (entry.name.endsWith("Chart.yaml") && type === "Directory") type = "Helm";
    if (KUSTOMIZATION_NAMES.includes(entry.name)) type = "Kustomize";
  }
  return type;
}

/** Argo CD's `util/io/path` Path: the app folder, which must exist inside the checkout. */
async function appPathOf(root: string, path: string | undefined): Promise<string> {
  const p = path ?? "";
  if (isAbsolute(p)) throw new ConfigError(`${p}: app path is absolute`);
  const appPath = resolve(root, p);
  if (!isInside(root, appPath)) throw new ConfigError(`${p}: app path outside root`);
  const info = await stat(appPath).catch(() => undefined);
  if (!info) throw new ConfigError(`${p}: app path does not exist`);
  if (!info.isDirectory()) throw new ConfigError(`${p}: app path is not a directory`);
  return appPath;
}

/** Argo CD's mergeSourceParameters: `.argocd-source.yaml` and `.argocd-source-<app>.yaml` in the app folder patch the source. */
async function withSourceOverrides(source: ApplicationSource, appPath: string, appName: string): Promise<ApplicationSource> {
  let merged: unknown = source;
  for (const name of [".argocd-source.yaml", `.argocd-source-${appName}.yaml`]) {
    const text = await readFile(join(appPath, name), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const { docs, error } = splitYamlStream(text);
    if (error) throw new ConfigError(`${name}: ${error.message}`, [{ message: error.message, pos: { file: name, line: error.line, column: error.column }, severity: "error" }]);
    if (docs[0]) merged = mergePatch(merged, docs[0].value);
  }
  if (merged === source) return source;
  const out = merged as ApplicationSource;
  return { ...out, chart: source.chart, path: source.path, repoURL: source.repoURL, targetRevision: source.targetRevision };
}

/** The objects of a tool's output. */
function parseToolOutput(out: ToolText): KubeObject[] {
  const { docs, error } = splitYamlStream(out.text);
  if (error) throw new ConfigError(`${out.label}: document ${error.index + 1} (line ${error.line}) is not valid YAML: ${error.message}`);
  const objects: KubeObject[] = [];
  for (const d of docs) {
    try {
      objects.push(...targetsOf(d.value));
    } catch (err) {
      if (!(err instanceof NotAnObjectError)) throw err;
      const name = isRecord(d.value) && isRecord(d.value.metadata) ? ` (${String(d.value.kind ?? "?")} ${String(d.value.metadata.name ?? "")})` : "";
      throw new ConfigError(`${out.label}: document ${d.index + 1} (line ${d.line})${name}: ${err.message}`);
    }
  }
  return objects;
}

const MAX_STDERR_CHARS = 8000;

/** Puts the app, the source and its path in front of an error, keeping its class. */
function inContext(err: unknown, where: { app: string; index: number; total: number; source: ApplicationSource; field: string }, redactions: Map<string, string>): unknown {
  const redact = (text: string) => {
    let out = text;
    for (const [from, to] of [...redactions].sort((a, b) => b[0].length - a[0].length)) out = out.split(from).join(to);
    return out;
  };
  const name = where.source.name ? ` "${where.source.name}"` : "";
  const prefix = `Application "${where.app}": failed to generate manifests for source${name} ${where.index + 1} of ${where.total} (${where.source.repoURL}, path "${where.source.path ?? ""}")`;
  if (err instanceof ToolFailedError) {
    const stderr = redact(err.stderr.trim()).slice(0, MAX_STDERR_CHARS);
    const message = `${prefix}: \`${redact([err.tool, ...err.args].join(" "))}\` failed with exit code ${err.exitCode ?? "?"}: ${stderr || "(no output)"}`;
    return new ConfigError(message, [{ message: stderr || `${err.tool} failed`, field: where.field, severity: "error" }]);
  }
  if (err instanceof ConfigError) {
    const problems: ConfigProblem[] = err.problems.length > 0 ? err.problems : [{ message: redact(err.message), field: where.field, severity: "error" }];
    return new ConfigError(`${prefix}: ${redact(err.message)}`, problems);
  }
  if (err instanceof TransientError) return new TransientError(`${prefix}: ${redact(err.message)}`, { cause: err });
  if (err instanceof ExternalError) return new ExternalError(`${prefix}: ${err.message}`, err.system, { cause: err, status: err.status, retryAfterMs: err.retryAfterMs });
  return err;
}

// ---------------------------------------------------------------- render

export async function renderApplication(app: Application, deps: RenderDeps): Promise<RenderedManifests> {
  const { sources, multiple } = sourcesOf(app);
  const fieldOf = (i: number) => (multiple ? `spec.sources[${i}]` : "spec.source");
  const total = sources.length;

  // Unsupported kinds of source fail before anything is fetched.
  sources.forEach((s, i) => {
    const where = `Application "${app.metadata.name}": ${fieldOf(i)}`;
    if (s.chart) throw new ConfigError(`${where}.chart: Helm repository sources (chart ${s.chart} from ${s.repoURL}) are not supported yet; point a Git source at the chart folder`, [{ message: "Helm repository sources are not supported yet", field: `${fieldOf(i)}.chart`, severity: "error" }]);
    if (s.plugin != null) throw new ConfigError(`${where}.plugin: config management plugins are not supported yet`, [{ message: "plugins are not supported yet", field: `${fieldOf(i)}.plugin`, severity: "error" }]);
    if (s.repoURL?.startsWith("oci://")) throw new ConfigError(`${where}.repoURL: OCI sources (${s.repoURL}) are not supported yet`, [{ message: "OCI sources are not supported yet", field: `${fieldOf(i)}.repoURL`, severity: "error" }]);
  });

  const checkouts = new Map<string, Promise<SourceCheckout>>();
  const checkoutOf = (s: ApplicationSource) => {
    const rev = s.targetRevision || "HEAD";
    const k = `${s.repoURL}\u0000${rev}`;
    let p = checkouts.get(k);
    if (!p) {
      p = deps.checkout(s.repoURL, rev);
      checkouts.set(k, p);
    }
    return p;
  };

  const refs = new Map<string, ApplicationSource>();
  if (multiple) {
    for (const s of sources) {
      if (!s.ref) continue;
      const key = `$${s.ref}`;
      if (refs.has(key)) throw new ConfigError(`Application "${app.metadata.name}": invalid sources: multiple sources had the same \`ref\` key (${s.ref})`);
      refs.set(key, s);
    }
  }

  const limits = deps.limits ?? {};
  const maxOutput = limits.maxOutputBytes ?? MAX_TOOL_OUTPUT_BYTES;
  const workRoot = await mkdtemp(join(tmpdir(), "tiphys-render-"));
  const objects: KubeObject[] = [];
  const revisions: string[] = [];
  const sourceTypes: Array<RenderSourceType | ""> = [];
  let outputBytes = 0;
  try {
    for (let i = 0; i < total; i++) {
      const declared = sources[i];
      const redactions = new Map<string, string>();
      const where = { app: app.metadata.name, index: i, total, source: declared, field: fieldOf(i) };
      try {
        const checkout = await checkoutOf(declared);
        revisions.push(checkout.revision);
        if (multiple && declared.ref && !declared.path && !declared.chart) {
          sourceTypes.push("");
          continue;
        }
        redactions.set(checkout.root, ".");
        const appPath = await appPathOf(checkout.root, declared.path);
        const source = await withSourceOverrides(declared, appPath, app.metadata.name);
        const explicit = explicitType(source);
        if (explicit === "Plugin") throw new ConfigError("config management plugins are not supported yet (from .argocd-source.yaml)");
        const type = explicit ?? (await detectType(appPath));
        sourceTypes.push(type);

        // Helm value files may read other sources: their revisions are part of what the result depends on.
        const usesRefs = type === "Helm" && refs.size > 0;
        const refRevisions = usesRefs ? await Promise.all([...refs].map(async ([k, s]) => [k, s.repoURL, (await checkoutOf(s)).revision])) : [];
        const key = RenderCache.key({
          revision: checkout.revision,
          repoURL: declared.repoURL,
          path: declared.path ?? "",
          source,
          appName: app.metadata.name,
          namespace: app.spec.destination?.namespace ?? "",
          extra: { type, project: app.spec.project ?? "", kubeVersion: deps.kubeVersion ?? "", apiVersions: deps.apiVersions ?? [], refs: refRevisions, targetRevision: declared.targetRevision ?? "" },
        });
        const cached = deps.cache?.get(key);
        if (cached) {
          objects.push(...cached);
          continue;
        }

        const workDir = join(workRoot, `source-${i}`);
        await mkdir(workDir, { recursive: true });
        redactions.set(workDir, ".");
        let copy: Promise<{ root: string }> | undefined;
        const ctx: SourceContext = {
          app,
          source,
          checkout,
          appPath,
          env: buildEnv(app, source, checkout.revision),
          refs,
          refCheckout: async (refVar) => {
            const ref = refs.get(refVar);
            if (!ref) throw new ConfigError(`no source has ref ${refVar.slice(1)}`);
            const target = await checkoutOf(ref);
            if (normalizeRepoURL(ref.repoURL) === normalizeRepoURL(source.repoURL) && target.revision !== checkout.revision) {
              throw new ConfigError(
                `cannot reference a different revision of the same repository (${refVar} references ${JSON.stringify(ref.targetRevision ?? "HEAD")} which resolves to ${JSON.stringify(target.revision)} while the application references ${JSON.stringify(source.targetRevision ?? "HEAD")} which resolves to ${JSON.stringify(checkout.revision)})`,
              );
            }
            redactions.set(target.root, refVar);
            return target;
          },
          tools: deps.tools,
          timeoutMs: limits.toolTimeoutMs,
          workDir,
          kubeVersion: deps.kubeVersion,
          apiVersions: deps.apiVersions,
          writableCopy: () => {
            copy ??= (async () => {
              const root = join(workDir, "checkout");
              await copyCheckout(checkout.root, root);
              redactions.set(root, ".");
              return { root };
            })();
            return copy;
          },
          redactions,
        };

        let rendered: KubeObject[];
        if (type === "Directory") {
          const budget = Math.min(limits.maxDirectoryBytes ?? DEFAULT_MAX_DIRECTORY_BYTES, maxOutput - outputBytes);
          const dir = await renderDirectory(ctx, budget);
          outputBytes += dir.bytes;
          rendered = dir.objects;
        } else {
          const out = type === "Helm" ? await renderHelm(ctx) : await renderKustomize(ctx);
          outputBytes += Buffer.byteLength(out.text);
          if (outputBytes > maxOutput) throw new ConfigError(`rendered manifests exceed ${maxOutput} bytes`);
          rendered = parseToolOutput(out);
        }
        deps.cache?.set(key, rendered);
        objects.push(...rendered);
      } catch (err) {
        throw inContext(err, where, redactions);
      }
    }
  } finally {
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  return { objects, revisions, sourceTypes };
}

