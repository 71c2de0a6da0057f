import type { ConfigProblem } from "../../core/errors.js";
import { isObject, loadCatalog, type CatalogEntry, type LoadedCatalog } from "../model/catalog.js";
import type { LoadedDoc } from "../model/load.js";
import { WORKFLOW_KINDS, type WorkflowKind } from "../model/types.js";
import { checkWorkflowDocument } from "./check-workflow.js";
import { FieldChecker } from "./field-check.js";
import { DocReport, sortProblems } from "./report.js";
import { ARGO_TYPES } from "./schema-argo.js";
import { closestMatch } from "./suggest.js";
import { readApplication, readAppProject } from "../../reconcilers/application/model.js";
import { lintRolloutDocuments } from "../../reconcilers/rollout/lint.js";

/** argoproj.io kinds of the other Argo tools (and Workflows' own helpers): valid, not linted here. */
const OTHER_ARGO_KINDS = [
  "WorkflowEventBinding",
  "WorkflowTaskSet",
  "WorkflowTaskResult",
  "WorkflowArtifactGCTask",
  "Sensor",
  "EventSource",
  "EventBus",
  "Application",
  "ApplicationSet",
  "AppProject",
  "Rollout",
  "AnalysisTemplate",
  "ClusterAnalysisTemplate",
  "AnalysisRun",
  "Experiment",
];

const KIND_LIST = WORKFLOW_KINDS.join(", ");

/**
 * Rule 7 for documents that are not one of the four workflow kinds: an argoproj.io document of an
 * unknown kind is an error (with a did-you-mean); plain Kubernetes documents are left alone.
 */
function checkKinds(documents: readonly LoadedDoc[], out: ConfigProblem[]): void {
  for (const doc of documents) {
    const data = doc.data;
    if (!isObject(data)) continue;
    const { apiVersion, kind } = data;
    if (typeof kind === "string" && WORKFLOW_KINDS.includes(kind as WorkflowKind)) continue;
    const report = new DocReport(doc, out);
    const argo = typeof apiVersion === "string" && apiVersion.startsWith("argoproj.io/");
    if (typeof kind !== "string" || kind === "") {
      if (argo) report.error([], `missing field kind: expected one of ${KIND_LIST}`);
      continue;
    }
    if (argo && kind === "Application") {
      out.push(...readApplication(doc).problems);
      continue;
    }
    if (argo && kind === "AppProject") {
      out.push(...readAppProject(doc).problems);
      continue;
    }
    if (argo && OTHER_ARGO_KINDS.includes(kind)) continue;
    const near = closestMatch(kind, [...WORKFLOW_KINDS, ...(argo ? OTHER_ARGO_KINDS : [])]);
    if (argo || (apiVersion === undefined && near && WORKFLOW_KINDS.includes(near as WorkflowKind))) {
      const hint = near ? ` (did you mean "${near}"?)` : "";
      report.error(["kind"], `unknown kind "${kind}": expected one of ${KIND_LIST}${hint}`);
    }
  }
}

/** Rule 7: a (Cluster)WorkflowTemplate name defined twice, reported where a named file defines it. */
function checkDuplicates(loaded: LoadedCatalog, out: ConfigProblem[]): void {
  const primary = new Set<CatalogEntry>(loaded.primary);
  const groups = new Map<string, CatalogEntry[]>();
  for (const e of loaded.catalog.entries) {
    if (e.kind !== "WorkflowTemplate" && e.kind !== "ClusterWorkflowTemplate") continue;
    const key = `${e.kind}/${e.name}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const where = (e: CatalogEntry) => {
    const pos = e.doc.posOf(["metadata", "name"]);
    return `${pos.file}:${pos.line}`;
  };
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    group.forEach((e, i) => {
      if (!primary.has(e)) return;
      const other = i === 0 ? group[1] : group[0];
      new DocReport(e.doc, out).error(
        ["metadata", "name"],
        `duplicate ${e.kind} "${e.name}": also defined at ${where(other)}`,
      );
    });
  }
}

/**
 * Problems that loadCatalog reports and that the rules here re-judge with more context: duplicates
 * (checkDuplicates), and "unknown kind" for documents of other kinds. With the documents at hand,
 * checkKinds judges those; without, only a near miss of a workflow kind is kept.
 */
function isRejudged(p: ConfigProblem, hasDocuments: boolean): boolean {
  if (p.field === "metadata.name" && p.message.startsWith("duplicate ")) return true;
  if (p.field !== "kind") return false;
  if (hasDocuments) return true;
  const kind = /^unknown kind "([^"]*)"/.exec(p.message)?.[1];
  if (kind === undefined || OTHER_ARGO_KINDS.includes(kind)) return true;
  const near = closestMatch(kind, WORKFLOW_KINDS);
  return near === undefined;
}

/**
 * Argo's validation rules (`argo lint`, `workflow/validate/validate.go`) over what `loadCatalog`
 * returned. Pure; sorted by position.
 */
export function validateCatalog(loaded: LoadedCatalog & { documents?: readonly LoadedDoc[] }): ConfigProblem[] {
  const out: ConfigProblem[] = loaded.problems.filter((p) => !isRejudged(p, loaded.documents !== undefined));
  const fields = new FieldChecker(ARGO_TYPES);
  if (loaded.documents) {
    checkKinds(loaded.documents, out);
    // Rollout, AnalysisTemplate and ClusterAnalysisTemplate: what Tiphys's controller reads, and what it
    // does not support yet (experiments, traffic routers) said rather than ignored.
    out.push(...lintRolloutDocuments(loaded.documents).problems);
  }
  for (const entry of loaded.primary) {
    try {
      checkWorkflowDocument(entry, loaded.catalog, fields, out);
    } catch (err) {
      // A rule that trips over input it did not expect must not hide the other problems.
      const pos = entry.doc.posOf([]);
      out.push({ message: `internal error while validating: ${(err as Error).message}`, pos, severity: "error" });
    }
  }
  checkDuplicates(loaded, out);
  return sortProblems(out);
}

/** `tiphys lint PATH... [--templates DIR]`. */
export async function lintPaths(
  paths: string[],
  templateDirs: string[],
): Promise<{ problems: ConfigProblem[]; files: number; documents: number }> {
  const loaded = await loadCatalog(paths, templateDirs);
  return { problems: validateCatalog(loaded), files: loaded.files.length, documents: loaded.documents.length };
}
