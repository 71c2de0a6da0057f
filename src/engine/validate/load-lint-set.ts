import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError, type ConfigProblem } from "../../core/errors.js";
import { Catalog, isObject, listManifestFiles, type CatalogEntry, type LoadedCatalog } from "../model/catalog.js";
import { parseYamlDocuments, readYamlFile, type LoadedDoc } from "../model/load.js";
import { WORKFLOW_KINDS, type WorkflowKind } from "../model/types.js";
import { repairFlowIndentation } from "./yaml-repair.js";

/** What `tiphys lint` reads: the catalog, plus every document of the files named (any kind). */
export interface LintSet extends LoadedCatalog {
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
  try {
    return { docs: await readYamlFile(file), problems: [] };
  } catch (err) {
    const problems = problemsOf(err, file);
    if (!(err instanceof ConfigError) || /too large/.test(problems[0]?.message ?? "")) return { docs: [], problems };
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      return { docs: [], problems };
    }
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

/** Like `loadCatalog`, keeping every document of the named files and leaving non-workflow kinds out of the catalog. */
export async function loadLintSet(paths: string[], templateDirs: string[] = []): Promise<LintSet> {
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
            .map((p) => ({
              ...p,
              severity: "warning" as const,
              message: `--templates file not loaded: ${p.message}`,
            }))),
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
      problems.push({
        message: `cannot read: ${(err as Error).message}`,
        pos: { file: p, line: 1, column: 1 },
        severity: "error",
      });
      return [];
    }
  };
  for (const p of paths) for (const f of await expand(p)) await loadFile(f, true);
  for (const d of templateDirs) for (const f of await expand(d)) await loadFile(f, false);
  return { catalog, primary, problems, files, documents };
}
