import { readFile, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, type ConfigProblem } from "../../core/errors.js";
import { MAX_FILE_BYTES, parseYamlDocuments, readYamlFile, type LoadedDoc } from "./load.js";
import { repairFlowIndentation } from "./yaml-repair.js";
import {
  WORKFLOW_KINDS,
  type CronWorkflowSpec,
  type Template,
  type TemplateCall,
  type TemplateRef,
  type WorkflowKind,
  type WorkflowManifest,
  type WorkflowSpec,
} from "./types.js";

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";

/** A workflow-kind document of a file, with the document it came from (for positions). */
export interface CatalogEntry {
  kind: WorkflowKind;
  name: string;
  manifest: WorkflowManifest;
  doc: LoadedDoc;
}

/** Where a template's own `template:` references resolve: the workflow, or the WorkflowTemplate it came from. */
export interface TemplateScope {
  kind: "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate";
  name: string;
  templates: ReadonlyMap<string, Template>;
}

export interface ResolvedTemplate {
  template: Template;
  scope: TemplateScope;
  templateName?: string;
  templateRef?: TemplateRef;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Recognises a document as one of the four workflow kinds; other documents are returned as undefined. */
export function asWorkflowManifest(doc: LoadedDoc): { manifest?: WorkflowManifest; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const data = doc.data;
  if (!isObject(data)) {
    problems.push({ message: "document is not a mapping", pos: doc.posOf([]), severity: "error" });
    return { problems };
  }
  const kind = data.kind;
  if (typeof kind !== "string" || !WORKFLOW_KINDS.includes(kind as WorkflowKind)) {
    const msg =
      typeof kind === "string"
        ? `unknown kind "${kind}": expected one of ${WORKFLOW_KINDS.join(", ")}`
        : "missing field kind";
    problems.push({ message: msg, field: "kind", pos: doc.posOf(["kind"]), severity: "error" });
    return { problems };
  }
  if (data.apiVersion !== ARGO_API_VERSION) {
    problems.push({
      message: `apiVersion must be ${ARGO_API_VERSION}, got ${JSON.stringify(data.apiVersion)}`,
      field: "apiVersion",
      pos: doc.posOf(["apiVersion"]),
      severity: "error",
    });
  }
  if (!isObject(data.metadata)) {
    problems.push({ message: "missing field metadata", field: "metadata", pos: doc.posOf([]), severity: "error" });
  }
  if (!isObject(data.spec)) {
    problems.push({ message: "missing field spec", field: "spec", pos: doc.posOf([]), severity: "error" });
  }
  if (problems.length > 0) return { problems };
  return { manifest: data as unknown as WorkflowManifest, problems };
}

export function manifestName(m: WorkflowManifest): string {
  return m.metadata.name ?? m.metadata.generateName ?? "";
}

/** The templates of a workflow-kind manifest's spec (CronWorkflow: its workflowSpec). */
export function workflowSpecOf(m: WorkflowManifest): WorkflowSpec {
  return m.kind === "CronWorkflow" ? (m.spec as CronWorkflowSpec).workflowSpec : (m.spec as WorkflowSpec);
}

export function templateMap(spec: WorkflowSpec): Map<string, Template> {
  const map = new Map<string, Template>();
  for (const t of spec.templates ?? []) if (t && typeof t.name === "string") map.set(t.name, t);
  return map;
}

/** The set of manifests a command can see: the files given and the `--templates` directories. */
export class Catalog {
  readonly entries: CatalogEntry[] = [];
  private readonly byKey = new Map<string, CatalogEntry>();
  private readonly scopes = new Map<string, TemplateScope>();

  add(doc: LoadedDoc): ConfigProblem[] {
    const { manifest, problems } = asWorkflowManifest(doc);
    if (!manifest) return problems;
    const entry: CatalogEntry = { kind: manifest.kind, name: manifestName(manifest), manifest, doc };
    this.entries.push(entry);
    if (manifest.kind === "WorkflowTemplate" || manifest.kind === "ClusterWorkflowTemplate") {
      const key = `${manifest.kind}/${entry.name}`;
      if (this.byKey.has(key)) {
        problems.push({
          message: `duplicate ${manifest.kind} "${entry.name}"`,
          field: "metadata.name",
          pos: doc.posOf(["metadata", "name"]),
          severity: "error",
        });
      } else this.byKey.set(key, entry);
    }
    return problems;
  }

  workflowTemplate(name: string, clusterScope = false): CatalogEntry | undefined {
    return this.byKey.get(`${clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate"}/${name}`);
  }

  /** The scope of a (Cluster)WorkflowTemplate, built once. */
  scopeOf(name: string, clusterScope = false): TemplateScope | undefined {
    const kind = clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
    const key = `${kind}/${name}`;
    let scope = this.scopes.get(key);
    if (!scope) {
      const entry = this.byKey.get(key);
      if (!entry) return undefined;
      scope = { kind, name, templates: templateMap(workflowSpecOf(entry.manifest)) };
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /**
   * Resolves what a step, task or hook calls: `template` in the caller's scope, `templateRef` in a
   * WorkflowTemplate's scope (its own references then resolve there), or an `inline` template.
   */
  resolveCall(
    call: Pick<TemplateCall, "template" | "templateRef" | "inline">,
    scope: TemplateScope,
  ): ResolvedTemplate {
    if (call.inline) return { template: call.inline, scope };
    if (call.templateRef) {
      const ref = call.templateRef;
      const refScope = this.scopeOf(ref.name, ref.clusterScope);
      const kind = ref.clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
      if (!refScope) throw new ConfigError(`${kind} "${ref.name}" not found (templateRef ${ref.name}/${ref.template})`);
      const template = refScope.templates.get(ref.template);
      if (!template) throw new ConfigError(`template "${ref.template}" not found in ${kind} "${ref.name}"`);
      return { template, scope: refScope, templateName: ref.template, templateRef: ref };
    }
    if (call.template !== undefined) {
      const template = scope.templates.get(call.template);
      if (!template) {
        const where = scope.kind === "Workflow" ? "" : ` in ${scope.kind} "${scope.name}"`;
        throw new ConfigError(`template "${call.template}" not found${where}`);
      }
      return { template, scope, templateName: call.template };
    }
    throw new ConfigError("a step or task must name a template, a templateRef or an inline template");
  }
}

const YAML_EXT = /\.(ya?ml|json)$/i;

/** Every YAML/JSON file under a path (a file is itself), sorted for a stable order. */
export async function listManifestFiles(path: string): Promise<string[]> {
  const st = await stat(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await listManifestFiles(p)));
    else if (YAML_EXT.test(e.name)) out.push(p);
  }
  return out;
}

export interface LoadedCatalog {
  catalog: Catalog;
  /** Entries that came from the paths named (not from `--templates`). */
  primary: CatalogEntry[];
  problems: ConfigProblem[];
  files: string[];
  /** Every document of the named files, of any kind. */
  documents: LoadedDoc[];
}

function isWorkflowKind(doc: LoadedDoc): boolean {
  return isObject(doc.data) && WORKFLOW_KINDS.includes(doc.data.kind as WorkflowKind);
}

function problemsOf(err: unknown, file: string): ConfigProblem[] {
  if (err instanceof ConfigError && err.problems.length > 0) return err.problems;
  return [{ message: `cannot read: ${(err as Error).message}`, pos: { file, line: 1, column: 1 }, severity: "error" }];
}

/**
 * Reads a file's documents. YAML that only Go's parser accepts (under-indented multi-line flow
 * sequences, common in Argo's own examples) is read after a value-preserving re-indent, with a
 * warning; any other YAML error is reported as it is.
 */
async function readDocuments(file: string): Promise<{ docs: LoadedDoc[]; problems: ConfigProblem[] }> {
  let text: string;
  try {
    await readYamlFile(file, { parse: false });
    text = await readFile(file, "utf8");
  } catch (err) {
    return { docs: [], problems: problemsOf(err, file) };
  }
  return documentsFromText(text, file);
}

/** A text's documents, with the same size limit and flow-indentation repair as a file's. */
export function documentsFromText(text: string, file: string): { docs: LoadedDoc[]; problems: ConfigProblem[] } {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_FILE_BYTES) {
    return { docs: [], problems: [{ message: `file too large (${bytes} bytes, limit ${MAX_FILE_BYTES})`, pos: { file, line: 1, column: 1 }, severity: "error" }] };
  }
  try {
    return { docs: parseYamlDocuments(text, file), problems: [] };
  } catch (err) {
    const problems = problemsOf(err, file);
    if (!(err instanceof ConfigError)) return { docs: [], problems };
    const repaired = repairFlowIndentation(text);
    if (!repaired) return { docs: [], problems };
    try {
      const docs = parseYamlDocuments(repaired.text, file);
      const warnings: ConfigProblem[] = repaired.lines.map((line) => ({
        message:
          "this line of a multi-line [...] or {...} is indented no deeper than its key: Argo (Go YAML) accepts it, YAML 1.2 does not; indent it further",
        pos: { file, line, column: 1 },
        severity: "warning",
      }));
      return { docs, problems: warnings };
    } catch {
      return { docs: [], problems };
    }
  }
}

/**
 * A catalog from files given as text (the repo's `.tiphys/**` read through the GitHub API): the same
 * documents, entries and problems as `loadCatalog` gives for the same files on disk.
 */
export function loadCatalogFromTexts(files: Array<{ path: string; text: string }>): LoadedCatalog {
  const catalog = new Catalog();
  const problems: ConfigProblem[] = [];
  const primary: CatalogEntry[] = [];
  const documents: LoadedDoc[] = [];
  for (const f of files) {
    const { docs, problems: found } = documentsFromText(f.text, f.path);
    problems.push(...found);
    for (const doc of docs) {
      documents.push(doc);
      if (!isWorkflowKind(doc)) continue;
      const before = catalog.entries.length;
      problems.push(...catalog.add(doc));
      if (catalog.entries.length > before) primary.push(catalog.entries[catalog.entries.length - 1]);
    }
  }
  return { catalog, primary, problems, files: files.map((f) => f.path), documents };
}

/**
 * Loads the named files (or directories) and the template directories into one catalog. Documents
 * of other kinds (ConfigMaps and the like) are kept in `documents` and left out of the catalog.
 */
export async function loadCatalog(paths: string[], templateDirs: string[] = []): Promise<LoadedCatalog> {
  const catalog = new Catalog();
  const problems: ConfigProblem[] = [];
  const primary: CatalogEntry[] = [];
  const files: string[] = [];
  const documents: LoadedDoc[] = [];
  const seen = new Set<string>();
  const loadFile = async (file: string, isPrimary: boolean) => {
    const key = resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    if (isPrimary) files.push(file);
    const { docs, problems: found } = await readDocuments(file);
    problems.push(
      ...(isPrimary
        ? found
        : found
            .filter((p) => p.severity === "error")
            .map((p) => ({ ...p, severity: "warning" as const, message: `--templates file not loaded: ${p.message}` }))),
    );
    for (const doc of docs) {
      if (isPrimary) documents.push(doc);
      if (!isWorkflowKind(doc)) continue;
      const before = catalog.entries.length;
      const added = catalog.add(doc);
      if (isPrimary) problems.push(...added);
      if (isPrimary && catalog.entries.length > before) primary.push(catalog.entries[catalog.entries.length - 1]);
    }
  };
  const expand = async (p: string): Promise<string[]> => {
    try {
      return await listManifestFiles(p);
    } catch (err) {
      problems.push({ message: `cannot read: ${(err as Error).message}`, pos: { file: p, line: 1, column: 1 }, severity: "error" });
      return [];
    }
  };
  for (const p of paths) for (const f of await expand(p)) await loadFile(f, true);
  for (const d of templateDirs) for (const f of await expand(d)) await loadFile(f, false);
  return { catalog, primary, problems, files, documents };
}
