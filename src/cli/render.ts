import pc from "picocolors";
import type { NodeStatus, WorkflowStatus } from "../engine/model/types.js";

const ICON: Record<string, string> = {
  Succeeded: "✔",
  Failed: "✖",
  Error: "⚠",
  Skipped: "○",
  Omitted: "○",
  Running: "●",
  Pending: "◷",
};

export function colourPhase(phase: string, text = phase): string {
  switch (phase) {
    case "Succeeded":
      return pc.green(text);
    case "Failed":
    case "Error":
      return pc.red(text);
    case "Running":
      return pc.cyan(text);
    case "Skipped":
    case "Omitted":
      return pc.dim(text);
    default:
      return pc.yellow(text);
  }
}

export function duration(n: { startedAt?: string; finishedAt?: string }): string {
  if (!n.startedAt) return "";
  const end = n.finishedAt ? Date.parse(n.finishedAt) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(n.startedAt)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/**
 * The node tree as `argo get` shows it: nested by boundary, step groups and retries as branches.
 * Children of a DAG task are its dependents in Argo's graph, so the tree follows boundaries instead.
 */
export function renderTree(status: WorkflowStatus, workflowName: string, opts: { maxNodes?: number } = {}): string {
  const nodes = Object.values(status.nodes);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const isGroup = (n: NodeStatus) => n.type === "StepGroup" || n.type === "Retry" || n.type === "TaskGroup";
  // A node hangs under its group (step group, retry, loop) if it has one, else under its boundary.
  const parentOf = new Map<string, string>();
  for (const n of nodes) if (n.boundaryID) parentOf.set(n.id, n.boundaryID);
  for (const g of nodes) if (isGroup(g)) for (const c of g.children ?? []) parentOf.set(c, g.id);
  const byParent = new Map<string, NodeStatus[]>();
  for (const n of nodes) {
    const p = parentOf.get(n.id);
    if (!p || p === n.id) continue;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p)!.push(n);
  }
  const kids = new Map<string, NodeStatus[]>();
  const childrenOf = (p: NodeStatus): NodeStatus[] => {
    let list = kids.get(p.id);
    if (!list) {
      list = byParent.get(p.id) ?? [];
      list.sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? "") || a.name.localeCompare(b.name, undefined, { numeric: true }));
      kids.set(p.id, list);
    }
    return list;
  };
  const lines: string[] = [];
  const max = opts.maxNodes ?? 500;
  const walk = (n: NodeStatus, prefix: string, last: boolean, root: boolean) => {
    if (lines.length >= max) return;
    const branch = root ? "" : last ? "└─ " : "├─ ";
    const label = n.type === "StepGroup" ? pc.dim(n.displayName) : n.displayName;
    const tmpl = n.templateName ?? n.templateRef?.template;
    const cols = [
      `${prefix}${branch}${colourPhase(n.phase, ICON[n.phase] ?? "?")} ${label}`,
      tmpl && n.type !== "StepGroup" ? pc.dim(tmpl) : "",
      n.type === "Pod" || n.type === "Suspend" || n.type === "HTTP" ? pc.dim(duration(n)) : "",
      n.message && n.phase !== "Succeeded" ? pc.dim(n.message) : "",
    ].filter(Boolean);
    lines.push(cols.join("  "));
    const cs = childrenOf(n);
    cs.forEach((c, i) => walk(c, root ? "" : prefix + (last ? "   " : "│  "), i === cs.length - 1, false));
  };
  const root = byId.get(workflowName) ?? nodes.find((n) => !n.boundaryID);
  if (root) walk(root, "", true, true);
  for (const n of nodes.filter((x) => x.name.startsWith(`${workflowName}.onExit`) && x.boundaryID === undefined)) walk(n, "", true, true);
  if (lines.length >= max) lines.push(pc.dim(`… ${nodes.length - max} more nodes (tiphys get --output json for all)`));
  return lines.join("\n");
}

export function renderSummary(status: WorkflowStatus, name: string): string {
  const out = [
    `${pc.bold("Name:")}        ${name}`,
    `${pc.bold("Status:")}      ${colourPhase(status.phase)}`,
  ];
  if (status.message) out.push(`${pc.bold("Message:")}     ${status.message}`);
  if (status.startedAt) out.push(`${pc.bold("Duration:")}    ${duration(status)}`);
  if (status.progress) out.push(`${pc.bold("Progress:")}    ${status.progress}`);
  for (const p of status.outputs?.parameters ?? []) out.push(`${pc.bold("Output:")}      ${p.name}=${p.value}`);
  return out.join("\n");
}
