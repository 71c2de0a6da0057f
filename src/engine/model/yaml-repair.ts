import { LineCounter, parseAllDocuments } from "yaml";

const MAX_REPAIRS = 200;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * Go's YAML parser (which Argo uses) accepts a multi-line flow collection whose closing line is no
 * more indented than its key:
 *
 *     args: ["
 *       echo hi
 *     "]
 *
 * YAML 1.2 (and the `yaml` package) refuse it. Inside a flow collection indentation carries no
 * meaning (quoted and plain scalars fold leading spaces), so indenting those lines past their key
 * gives the same values. Returns the repaired text and the 1-based lines it moved, or undefined
 * when the text has other errors (the caller then reports the original ones).
 */
export function repairFlowIndentation(text: string): { text: string; lines: number[] } | undefined {
  const lines = text.split("\n");
  const moved: number[] = [];
  for (let attempt = 0; attempt < MAX_REPAIRS; attempt++) {
    const current = lines.join("\n");
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(current, { lineCounter, prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [];
    const errors = list.flatMap((d) => d.errors);
    if (errors.length === 0) return moved.length > 0 ? { text: current, lines: moved } : undefined;
    const bad = errors.find(
      (e) => e.code === "BAD_INDENT" && /^Flow (sequence|mapping) in block collection/.test(e.message),
    );
    if (!bad) return undefined;
    const at = lineCounter.linePos(bad.pos[0]).line - 1;
    const indent = indentOf(lines[at]);
    let opener = at - 1;
    while (opener >= 0 && (lines[opener].trim() === "" || indentOf(lines[opener]) > indent)) opener--;
    if (opener < 0 || !/[[{]/.test(lines[opener])) return undefined;
    const target = indentOf(lines[opener]) + 2;
    if (target <= indent) return undefined;
    lines[at] = " ".repeat(target - indent) + lines[at];
    moved.push(at + 1);
  }
  return undefined;
}
