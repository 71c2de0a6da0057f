import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, type ConfigProblem } from "../../core/errors.js";
import { readYamlFile, type LoadedDoc } from "./load.js";
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
}

/** Loads the named files (or directories) and the template directories into one catalog. */
export async function loadCatalog(paths: string[], templateDirs: string[] = []): Promise<LoadedCatalog> {
  const catalog = new Catalog();
  const problems: ConfigProblem[] = [];
  const primary: CatalogEntry[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const loadFile = async (file: string, isPrimary: boolean) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (isPrimary) files.push(file);
    let docs: LoadedDoc[];
    try {
      docs = await readYamlFile(file);
    } catch (err) {
      if (err instanceof ConfigError) {
        problems.push(...err.problems);
        return;
      }
      problems.push({ message: `cannot read: ${(err as Error).message}`, pos: { file, line: 1, column: 1 }, severity: "error" });
      return;
    }
    for (const doc of docs) {
      const before = catalog.entries.length;
      problems.push(...catalog.add(doc));
      if (isPrimary && catalog.entries.length > before) primary.push(catalog.entries[catalog.entries.length - 1]);
    }
  };
  for (const p of paths) {
    let list: string[];
    try {
      list = await listManifestFiles(p);
    } catch (err) {
      problems.push({ message: `cannot read: ${(err as Error).message}`, pos: { file: p, line: 1, column: 1 }, severity: "error" });
      continue;
    }
    for (const f of list) await loadFile(f, true);
  }
  for (const d of templateDirs) {
    let list: string[];
    try {
      list = await listManifestFiles(d);
    } catch (err) {
      problems.push({ message: `cannot read: ${(err as Error).message}`, pos: { file: d, line: 1, column: 1 }, severity: "error" });
      continue;
    }
    for (const f of list) await loadFile(f, false);
  }
  return { catalog, primary, problems, files };
}
