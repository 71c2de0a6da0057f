import type { NodeStatus, WorkflowPhase } from "../engine/model/types.js";
import { createMasker } from "./mask.js";
import { escapeCell, formatElapsed, GITHUB_TEXT_LIMIT, inlineCode } from "./markdown.js";
import { isLeaf, orderNodes, type TreeEntry } from "./node-tree.js";
import {
  fitLogTails,
  fitPicture,
  fitTable,
  isFailed,
  pictureLines,
  pictureSize,
  tableRows,
  type SectionContext,
} from "./node-sections.js";

/** A workflow run rendered as a GitHub check run's status and output. Pure. */

export type CheckRunStatus = "queued" | "in_progress" | "completed";
export type CheckRunConclusion = "success" | "failure" | "cancelled" | "timed_out" | "action_required" | "neutral";

export interface WorkflowCheckRunInput {
  workflowName: string;
  runId: string;
  status: { phase: WorkflowPhase; startedAt?: string; finishedAt?: string; message?: string; progress?: string };
  nodes: Record<string, NodeStatus>;
  /** The last lines each node wrote, by node id. */
  logTails?: Record<string, string>;
  /** Values that must not appear in the output (masked with their encoded forms). */
  secrets?: string[];
  /** How to see the whole run, e.g. `tiphys logs <run>`; named in truncation notes. */
  detailsHint?: string;
  /** The run was stopped or terminated by a user (when the message alone does not say so). */
  cancelled?: boolean;
  /** The run hit its deadline (when the message alone does not say so). */
  timedOut?: boolean;
  /** The clock for the durations of running nodes. */
  now?: Date;
}

export interface WorkflowCheckRun {
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  title: string;
  summary: string;
  text: string;
}

// Argo's messages: `argo stop|terminate` → "Stopped with strategy 'Stop'"; a process killed by a
// signal ("terminated by signal 9") is a failure, not a user's cancellation.
const CANCELLED = /stopped with strategy|\bterminated\b(?! by signal)/i;
const TIMED_OUT = /max duration limit exceeded|exceeded its deadline|activeDeadlineSeconds|deadline exceeded/i;
const TITLE_MAX = 200;
const SUMMARY_MESSAGE_MAX = 2000;
/** Room for section headings and separators in the text, outside the fitted sections. */
const TEXT_OVERHEAD = 400;

/** The check run's status and conclusion for a workflow phase (and how the run ended). */
export function checkRunState(input: Pick<WorkflowCheckRunInput, "status" | "cancelled" | "timedOut">): {
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
} {
  const { phase, message = "" } = input.status;
  if (phase === "Pending") return { status: "queued" };
  if (phase === "Running") return { status: "in_progress" };
  if (phase === "Succeeded") return { status: "completed", conclusion: "success" };
  if (input.cancelled || CANCELLED.test(message)) return { status: "completed", conclusion: "cancelled" };
  if (input.timedOut || TIMED_OUT.test(message)) return { status: "completed", conclusion: "timed_out" };
  return { status: "completed", conclusion: "failure" };
}

function leafProgress(entries: readonly TreeEntry[]): string {
  let done = 0;
  let total = 0;
  for (const e of entries) {
    if (!isLeaf(e)) continue;
    total++;
    if (e.node.phase !== "Pending" && e.node.phase !== "Running") done++;
  }
  return `${done}/${total}`;
}

/** The failure a reader wants first: the failed leaf that finished earliest (the others often followed from it). */
function firstFailure(entries: readonly TreeEntry[]): TreeEntry | undefined {
  let best: TreeEntry | undefined;
  for (const e of entries) {
    if (!isFailed(e.node.phase) || !isLeaf(e)) continue;
    if (!best || (e.node.finishedAt ?? "~") < (best.node.finishedAt ?? "~")) best = e;
  }
  return best;
}

function describeFailure(e: TreeEntry, byId: Record<string, NodeStatus>, mask: (s: string) => string): string {
  // A retry attempt `build(1)` is reported as its step `build`.
  const named = e.parent?.type === "Retry" ? e.parent : e.node;
  const boundary = named.boundaryID ? byId[named.boundaryID] : undefined;
  const noun = boundary?.type === "DAG" ? "task" : "step";
  const message = e.node.message ? mask(e.node.message) : "";
  const exit = /exit code (\d+)/i.exec(message);
  const detail = exit ? `exit code ${exit[1]}` : message.replace(/\s+/g, " ").slice(0, 80);
  return `${noun} ${inlineCode(mask(named.displayName || named.name))}${detail ? ` (${detail})` : ""}`;
}

/** Argo names nodes by id in "child 'wf-3504016587' failed"; a reader knows them by display name. */
export function humanizeMessage(message: string, nodes: Record<string, NodeStatus>): string {
  return message.replace(/\b(child|node) '([^']+)'/g, (all, word: string, id: string) => {
    const n = nodes[id];
    return n ? `${word} '${n.displayName || n.name}'` : all;
  });
}

function renderTitle(
  input: WorkflowCheckRunInput,
  state: { conclusion?: CheckRunConclusion },
  facts: { duration: string; progress: string; failure?: string },
): string {
  const { phase } = input.status;
  const nodes = `${facts.progress} nodes`;
  const took = facts.duration ? ` ${facts.duration}` : "";
  let title: string;
  if (phase === "Pending") title = input.status.message ? `Queued: ${input.status.message}` : "Queued";
  else if (phase === "Running") title = `Running${took ? ` for${took}` : ""} · ${nodes}`;
  else if (state.conclusion === "success") title = `Succeeded${took ? ` in${took}` : ""} · ${nodes}`;
  else if (state.conclusion === "cancelled") title = `Cancelled${took ? ` after${took}` : ""} · ${nodes}`;
  else if (state.conclusion === "timed_out") title = `Timed out${took ? ` after${took}` : ""} · ${nodes}`;
  else {
    const word = phase === "Error" ? "Error" : "Failed";
    const what = facts.failure ?? (input.status.message && humanizeMessage(input.status.message, input.nodes).replace(/\s+/g, " "));
    title = what ? `${word}: ${what}` : word;
  }
  return title.length > TITLE_MAX ? title.slice(0, TITLE_MAX - 1) + "…" : title;
}

function renderSummary(
  input: WorkflowCheckRunInput,
  mask: (s: string) => string,
  facts: { duration: string; progress: string },
): string {
  const { status } = input;
  const lines = [
    `Workflow ${inlineCode(mask(input.workflowName))}, run ${inlineCode(mask(input.runId))}`,
    "",
    `**Phase:** ${status.phase}`,
  ];
  if (facts.duration) lines.push(`**Duration:** ${facts.duration}`);
  lines.push(`**Progress:** ${facts.progress} nodes`);
  if (status.message) {
    lines.push(`**Message:** ${escapeCell(mask(humanizeMessage(status.message, input.nodes)), SUMMARY_MESSAGE_MAX)}`);
  }
  if (input.detailsHint) lines.push("", `Logs and the full node list: ${inlineCode(mask(input.detailsHint))}`);
  // Blank-line-free lines would run together in markdown; two trailing spaces would be invisible.
  return lines.map((l, i) => (l && lines[i + 1] ? l + "\\" : l)).join("\n");
}

/** A workflow run as a check run: status, conclusion, title, summary and text, each within GitHub's limits. */
export function renderWorkflowCheckRun(input: WorkflowCheckRunInput): WorkflowCheckRun {
  const now = input.now ?? new Date();
  const mask = createMasker(input.secrets ?? []);
  const entries = orderNodes(input.nodes);
  const state = checkRunState(input);
  const facts = {
    duration: formatElapsed(input.status.startedAt, input.status.finishedAt, now),
    progress: input.status.progress || leafProgress(entries),
  };
  const failed = state.conclusion === "failure" ? firstFailure(entries) : undefined;
  const title = mask(renderTitle(input, state, { ...facts, failure: failed && describeFailure(failed, input.nodes, mask) }));
  const summary = limit(mask(renderSummary(input, mask, facts)));

  const hint = input.detailsHint ? ` (the full run: ${inlineCode(input.detailsHint)})` : "";
  const ctx: SectionContext & { moreLogs: (n: number) => string } = {
    now,
    mask,
    humanize: (m) => humanizeMessage(m, input.nodes),
    moreNodes: (n) => mask(`… ${n} more ${n === 1 ? "node" : "nodes"} not shown${hint}`),
    moreLogs: (n) => mask(`… logs of ${n} more failed ${n === 1 ? "node" : "nodes"} not shown${hint}`),
  };
  const rows = tableRows(entries, ctx);
  const lines = pictureLines(entries, ctx);
  let tableSize = 0;
  for (const r of rows) tableSize += r.text.length + 1;
  const treeSize = pictureSize(lines);

  // Logs of failures matter most: they get what the table and tree leave, and at least 40%.
  const budget = GITHUB_TEXT_LIMIT - TEXT_OVERHEAD;
  const logs = fitLogTails(entries, input.logTails, Math.max(Math.floor(budget * 0.4), budget - tableSize - treeSize), ctx);
  const rest = budget - logs.length;
  // The table (which lists failing rows first) before the picture; the picture keeps at least 30%.
  const treeBudget = tableSize + treeSize <= rest ? treeSize : Math.min(treeSize, Math.max(Math.floor(rest * 0.3), rest - tableSize));
  const table = rows.length > 0 ? fitTable(rows, rest - treeBudget, ctx) : "";
  const picture = fitPicture(lines, rest - table.length, ctx);

  const parts: string[] = [];
  if (table) parts.push("## Nodes", table);
  if (picture) parts.push("## Tree", picture);
  if (logs) parts.push("## Failed nodes", logs);
  if (parts.length === 0) parts.push("_No nodes have started yet._");
  const text = limit(mask(parts.join("\n\n")));
  return { ...state, title, summary, text };
}

/** Last line of defence: the budgets above keep within the limit; this makes it certain. */
function limit(text: string): string {
  return text.length <= GITHUB_TEXT_LIMIT ? text : text.slice(0, GITHUB_TEXT_LIMIT - 1) + "…";
}
