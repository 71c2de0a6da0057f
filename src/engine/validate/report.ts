import type { ConfigProblem } from "../../core/errors.js";
import { formatPath, type LoadedDoc, type PathSeg } from "../model/load.js";

export type Path = readonly PathSeg[];

/** Collects the problems of one document, each placed at the YAML position of a path. */
export class DocReport {
  constructor(
    readonly doc: LoadedDoc,
    private readonly out: ConfigProblem[],
  ) {}

  /** A problem at the value of `path`. */
  error(path: Path, message: string): void {
    this.push("error", path, message, false);
  }

  warn(path: Path, message: string): void {
    this.push("warning", path, message, false);
  }

  /** A problem at the key of `path` (unknown or misplaced fields). */
  keyError(path: Path, message: string): void {
    this.push("error", path, message, true);
  }

  private push(severity: ConfigProblem["severity"], path: Path, message: string, atKey: boolean): void {
    const pos = atKey ? this.doc.keyPosOf(path) : this.doc.posOf(path);
    this.out.push({ message, field: formatPath(path), pos, severity });
  }
}

/** Sorts by file, line, column and drops exact repeats (the same message at the same place). */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.pos?.file}:${p.pos?.line}:${p.pos?.column}:${p.severity}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) =>
      (a.pos?.file ?? "").localeCompare(b.pos?.file ?? "") ||
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
      (a.pos?.column ?? 0) - (b.pos?.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}
