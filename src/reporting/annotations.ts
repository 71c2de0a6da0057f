import type { ConfigProblem } from "../core/errors.js";
import { escapeCell, GITHUB_TEXT_LIMIT, inlineCode, truncateToLimit } from "./markdown.js";

/** Problems in a repo's `.tiphys/` files as GitHub check-run annotations and a check run. Pure. */

export interface AnnotationProblem {
  /** Repo-relative path, e.g. `.tiphys/ci.yaml`. */
  file: string;
  /** 1-based; 1 when unknown. */
  line?: number;
  column?: number;
  endLine?: number;
  message: string;
  severity: "error" | "warning";
  /** Shown above the message, e.g. the field path. */
  title?: string;
}

/** GitHub's check-run annotation shape (`output.annotations[]`). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  /** Only allowed when the annotation is on one line. */
  start_column?: number;
  end_column?: number;
  annotation_level: "failure" | "warning" | "notice";
  message: string;
  title?: string;
}

/** GitHub takes at most 50 annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
const MESSAGE_MAX = 64 * 1024 - 1;
const TITLE_MAX = 255;

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** GitHub wants a path relative to the repository root. */
function repoPath(file: string): string {
  return file.replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/^\/+/, "");
}

/** Each problem as an annotation on its file and line (line 1 when the position is unknown). */
export function configAnnotations(problems: readonly AnnotationProblem[]): CheckAnnotation[] {
  return problems.map((p) => {
    const start = positive(p.line) ?? 1;
    const end = Math.max(start, positive(p.endLine) ?? start);
    const a: CheckAnnotation = {
      path: repoPath(p.file),
      start_line: start,
      end_line: end,
      annotation_level: p.severity === "error" ? "failure" : "warning",
      message: clip(p.message, MESSAGE_MAX),
    };
    const col = positive(p.column);
    if (col !== undefined && start === end) {
      a.start_column = col;
      a.end_column = col;
    }
    if (p.title) a.title = clip(p.title, TITLE_MAX);
    return a;
  });
}

/** `ConfigError.problems` as annotation input; a problem without a position goes on `fallbackFile`. */
export function problemsFromConfig(problems: readonly ConfigProblem[], fallbackFile = ".tiphys"): AnnotationProblem[] {
  return problems.map((p) => ({
    file: p.pos?.file ?? fallbackFile,
    line: p.pos?.line,
    column: p.pos?.column,
    message: p.message,
    severity: p.severity,
    title: p.field,
  }));
}

/** Splits a list into requests of at most `size` (GitHub: 50 annotations per request). */
export function chunkAnnotations<T>(list: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function counts(errors: number, warnings: number): string {
  const parts = [errors > 0 ? plural(errors, "error") : "", warnings > 0 ? plural(warnings, "warning") : ""];
  return parts.filter(Boolean).join(" and ");
}

export interface ConfigCheckRun {
  conclusion: "failure" | "success";
  title: string;
  summary: string;
  text: string;
}

/** The check run for a repo's `.tiphys/` configuration: fails on any error; warnings alone pass. */
export function renderConfigCheckRun(problems: readonly AnnotationProblem[], opts: { sha: string }): ConfigCheckRun {
  const sha = opts.sha.slice(0, 7);
  const byFile = new Map<string, AnnotationProblem[]>();
  for (const p of problems) {
    const f = repoPath(p.file);
    if (!byFile.has(f)) byFile.set(f, []);
    byFile.get(f)!.push(p);
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const conclusion = errors > 0 ? "failure" : "success";
  if (problems.length === 0) {
    return {
      conclusion,
      title: "No problems in .tiphys/",
      summary: `Every file under ${inlineCode(".tiphys/")} is valid at ${inlineCode(sha)}.`,
      text: "",
    };
  }
  const where = byFile.size === 1 ? [...byFile.keys()][0] : plural(byFile.size, "file");
  const title = clip(`${counts(errors, warnings)} in ${where}`, 200);

  const summaryLines = [`Checked ${inlineCode(".tiphys/")} at ${inlineCode(sha)}: ${counts(errors, warnings)}.`, ""];
  for (const [file, list] of byFile) {
    const e = list.filter((p) => p.severity === "error").length;
    summaryLines.push(`- ${inlineCode(file)}: ${counts(e, list.length - e)}`);
  }
  if (errors === 0) summaryLines.push("", "Warnings do not fail the check.");
  const summary = truncateToLimit(summaryLines, GITHUB_TEXT_LIMIT, (n) => `… ${n} more files`);

  const sections: string[] = [];
  for (const [file, list] of byFile) {
    const sorted = [...list].sort((a, b) => (a.line ?? 1) - (b.line ?? 1) || (a.column ?? 0) - (b.column ?? 0));
    sections.push(`${sections.length > 0 ? "\n" : ""}### ${inlineCode(file)}`);
    for (const p of sorted) {
      const pos = `${file}:${positive(p.line) ?? 1}${positive(p.column) ? `:${p.column}` : ""}`;
      const field = p.title ? ` (${inlineCode(p.title)})` : "";
      sections.push(`- **${p.severity}** ${inlineCode(pos)}: ${escapeCell(p.message, 2000)}${field}`);
    }
  }
  const text = truncateToLimit(sections, GITHUB_TEXT_LIMIT, (n) => `\n… ${n} more lines not shown; every problem is annotated on its file.`);
  return { conclusion, title, summary, text };
}
