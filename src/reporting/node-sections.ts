import { isLeaf, type TreeEntry } from "./node-tree.js";
import { codeFence, escapeCell, formatElapsed, inlineCode, truncateToLimit } from "./markdown.js";

/**
 * The parts of a workflow check run's text: the node table, the tree picture and the log tails.
 * Each is built as whole rows or sections first, then fitted to a character budget. Pure.
 */

export interface SectionContext {
  now: Date;
  mask: (text: string) => string;
  /** Rewrites node ids in Argo's messages ("child 'wf-123' failed") as display names. */
  humanize: (message: string) => string;
  /** The note for rows left out, given how many. */
  moreNodes: (omitted: number) => string;
}

const QUIET_PHASES = new Set(["Succeeded", "Skipped", "Omitted"]);
const MARK: Record<string, string> = {
  Succeeded: "✔",
  Failed: "✖",
  Error: "!",
  Running: "●",
  Pending: "◷",
  Skipped: "○",
  Omitted: "○",
};
export const TREE_LEGEND = "✔ succeeded · ✖ failed · ! error · ● running · ◷ pending · ○ skipped";
const MAX_INDENT = 10;
const LOG_LINES = 50;
const LOG_BYTES = 4096;

export function isFailed(phase: string): boolean {
  return phase === "Failed" || phase === "Error";
}

function oneLine(text: string): string {
  return text.replace(/\r\n?|\n/g, " ");
}

export interface TableRow {
  text: string;
  /** Not succeeded or skipped, or an ancestor of such a node: kept first when rows must be cut. */
  important: boolean;
}

/**
 * One row per node in tree order, indented under its parent. Step groups (`[0]`, `[1]`) are left
 * out: their ordinal says nothing the indentation does not, and their children move up a level.
 */
export function tableRows(entries: readonly TreeEntry[], ctx: SectionContext): TableRow[] {
  const shownDepth = new Map<string, number>();
  const important = new Set<string>();
  const parentIndex = new Map<string, TreeEntry>();
  for (const e of entries) parentIndex.set(e.node.id, e);
  for (const e of entries) {
    if (QUIET_PHASES.has(e.node.phase)) continue;
    for (let cur: TreeEntry | undefined = e; cur && !important.has(cur.node.id); cur = cur.parent && parentIndex.get(cur.parent.id)) {
      important.add(cur.node.id);
    }
  }
  const rows: TableRow[] = [];
  for (const e of entries) {
    const n = e.node;
    const parentDepth = e.parent ? shownDepth.get(e.parent.id) : undefined;
    const shown = n.type !== "StepGroup";
    const depth = parentDepth === undefined ? 0 : parentDepth + (shown ? 1 : 0);
    shownDepth.set(n.id, shown ? depth : (parentDepth ?? -1));
    if (!shown) continue;
    const indent = depth > 0 ? "\u00a0\u00a0".repeat(Math.min(depth, MAX_INDENT) - 1) + "└\u00a0" : "";
    const cells = [
      indent + escapeCell(ctx.mask(n.displayName || n.name), 200),
      n.type,
      n.phase,
      n.phase === "Skipped" || n.phase === "Omitted" ? "" : formatElapsed(n.startedAt, n.finishedAt, ctx.now),
      n.message ? escapeCell(ctx.mask(ctx.humanize(n.message)), 300) : "",
    ];
    rows.push({ text: `| ${cells.join(" | ")} |`, important: important.has(n.id) });
  }
  return rows;
}

const TABLE_HEAD = "| Node | Type | Phase | Duration | Message |\n| --- | --- | --- | --- | --- |";

/** The table within `budget` characters: failing rows (and their parents) first, then the rest in order. */
export function fitTable(rows: readonly TableRow[], budget: number, ctx: SectionContext): string {
  let total = TABLE_HEAD.length;
  for (const r of rows) total += r.text.length + 1;
  if (total <= budget) return [TABLE_HEAD, ...rows.map((r) => r.text)].join("\n");

  // A blank line ends the table, so the note is not read as one more row.
  const reserve = ctx.moreNodes(rows.length).length + 2;
  let used = TABLE_HEAD.length + reserve;
  const keep = new Array<boolean>(rows.length).fill(false);
  let kept = 0;
  for (const wanted of [true, false]) {
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].important !== wanted) continue;
      if (used + rows[i].text.length + 1 > budget) {
        if (wanted) continue; // a shorter failing row may still fit
        break;
      }
      keep[i] = true;
      kept++;
      used += rows[i].text.length + 1;
    }
  }
  const lines = [TABLE_HEAD];
  for (let i = 0; i < rows.length; i++) if (keep[i]) lines.push(rows[i].text);
  return lines.join("\n") + "\n\n" + ctx.moreNodes(rows.length - kept);
}

/** The run as a tree of display names with phase marks, as lines (fenced by `fitPicture`). */
export function pictureLines(entries: readonly TreeEntry[], ctx: SectionContext): string[] {
  return entries.map((e) => {
    const branch = e.depth === 0 ? "" : e.last ? "└─ " : "├─ ";
    return `${e.prefix}${branch}${MARK[e.node.phase] ?? "?"} ${oneLine(ctx.mask(e.node.displayName || e.node.name))}`;
  });
}

export function pictureSize(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) n += l.length + 1;
  return n + 40 + TREE_LEGEND.length;
}

/** The tree in a fenced `text` block, cut at a whole line when it does not fit. */
export function fitPicture(lines: readonly string[], budget: number, ctx: SectionContext): string {
  if (lines.length === 0) return "";
  if (pictureSize(lines) <= budget) return codeFence(lines.join("\n"), "text") + "\n" + TREE_LEGEND;
  // What the fence, legend and note take, sized for the worst case; the lines get the rest.
  let avail = budget - pictureSize([]) - ctx.moreNodes(lines.length).length - 4;
  let shown = 0;
  while (shown < lines.length && lines[shown].length + 1 <= avail) avail -= lines[shown++].length + 1;
  const note = ctx.moreNodes(lines.length - shown);
  if (shown === 0) return note.length <= budget ? note : "";
  return codeFence(lines.slice(0, shown).join("\n"), "text") + "\n" + TREE_LEGEND + "\n\n" + note;
}

// eslint-disable-next-line no-control-regex -- terminal colour codes are control characters by definition
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-_]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * The last ≤ 50 lines and ≤ 4 KB of a log, without terminal escapes, masked before it is cut (so a
 * secret split by the cut cannot leak its second half), and whether anything was cut.
 */
export function logTail(text: string, mask: (text: string) => string): { tail: string; cut: boolean } {
  const lines = mask(text.replace(/\r\n?/g, "\n").replace(ANSI, "")).replace(/\n+$/, "").split("\n");
  let cut = lines.length > LOG_LINES;
  let tail = lines.slice(-LOG_LINES).join("\n");
  // Every UTF-16 unit takes at least one byte, so the last LOG_BYTES units hold all that can stay.
  let partial = tail.length > LOG_BYTES;
  if (partial) tail = tail.slice(-LOG_BYTES);
  let bytes = Buffer.byteLength(tail);
  // Drop whole lines from the front (a cut first line too); a single long line loses its start.
  while (bytes > LOG_BYTES || partial) {
    cut = true;
    const nl = tail.indexOf("\n");
    if (nl < 0) break;
    tail = tail.slice(nl + 1);
    partial = false;
    bytes = Buffer.byteLength(tail);
  }
  while (bytes > LOG_BYTES) {
    tail = tail.slice(Math.max(1, bytes - LOG_BYTES));
    if (/^[\udc00-\udfff]/.test(tail)) tail = tail.slice(1);
    bytes = Buffer.byteLength(tail);
  }
  return { tail, cut };
}

/**
 * A "Log tail" section for each failed or errored leaf node (for retries, only the last attempt),
 * masked, within `budget` characters.
 */
export function fitLogTails(
  entries: readonly TreeEntry[],
  logTails: Record<string, string> | undefined,
  budget: number,
  ctx: SectionContext & { moreLogs: (omitted: number) => string },
): string {
  if (!logTails) return "";
  const sections: string[] = [];
  for (const e of entries) {
    const n = e.node;
    if (!isFailed(n.phase) || !isLeaf(e)) continue;
    if (e.parent?.type === "Retry" && e.parent.children?.at(-1) !== n.id) continue;
    const head = [`### Log tail: ${inlineCode(ctx.mask(oneLine(n.displayName || n.name)))}`, ""];
    const about = [n.phase, n.message ? escapeCell(ctx.mask(n.message), 500) : ""].filter(Boolean).join(": ");
    head.push(`${inlineCode(ctx.mask(oneLine(n.name)))} · ${about}`, "");
    const raw = logTails[n.id];
    if (!raw || !raw.trim()) {
      sections.push([...head, "_No log output was captured._"].join("\n"));
      continue;
    }
    const { tail, cut } = logTail(raw, ctx.mask);
    const label = cut ? `Last lines (at most ${LOG_LINES} lines, 4 KB):` : "Output:";
    sections.push([...head, label, "", codeFence(tail, "text")].join("\n"));
  }
  if (sections.length === 0) return "";
  return truncateToLimit(sections, budget, ctx.moreLogs, "\n\n");
}
