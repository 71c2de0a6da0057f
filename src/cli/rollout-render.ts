/**
 * A Rollout in the terminal, after `kubectl argo rollouts get rollout`: status, strategy, step and
 * weights, replicas, the steps (done, current, next), the ReplicaSets with their roles, the
 * AnalysisRuns with their metrics, and at a gate the commands that move the release on.
 */
import pc from "picocolors";
import type { RolloutState } from "../reconcilers/rollout/controller.js";

const ICONS: Record<string, string> = { Healthy: "✔", Progressing: "◌", Paused: "॥", Degraded: "✖" };

type Paint = (s: string) => string;
const same: Paint = (s) => s;

function colorOf(phase: string, color: boolean): Paint {
  if (!color) return same;
  if (phase === "Healthy" || phase === "Successful") return pc.green;
  if (phase === "Degraded" || phase === "Failed" || phase === "Error") return pc.red;
  if (phase === "Paused" || phase === "Inconclusive") return pc.yellow;
  return pc.cyan;
}

function table(rows: string[][], indent = ""): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
}

interface StatusShape {
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

function imagesOf(state: RolloutState): string[] {
  const spec = state.rollout.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  return (spec?.template?.spec?.containers ?? []).map((c) => c.image ?? "").filter(Boolean);
}

/** The command lines that move a release on, for the cluster flags the user gave. */
export function nextCommands(state: RolloutState, clusterArgs: string): string[] {
  const base = (verb: string, extra = "") => `tiphys rollout ${verb} ${state.ref.name} -n ${state.ref.namespace}${extra}${clusterArgs ? ` ${clusterArgs}` : ""}`;
  if (state.gate) return [`promote:        ${base("promote")}`, `promote fully:  ${base("promote", " --full")}`, `abort:          ${base("abort")}`];
  if (state.aborted) return [`retry:          ${base("retry")}`, `undo:           ${base("undo")}`];
  return [];
}

export function renderRollout(state: RolloutState, opts: { color: boolean; clusterArgs: string }): string {
  const paint = colorOf(state.phase, opts.color);
  const bold: Paint = opts.color ? pc.bold : same;
  const dim: Paint = opts.color ? pc.dim : same;
  const st = (state.rollout.status ?? {}) as StatusShape;
  const desired = (state.rollout.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const lines = [
    `Name:            ${state.ref.name}`,
    `Namespace:       ${state.ref.namespace}`,
    `Status:          ${paint(`${ICONS[state.phase] ?? ""} ${state.phase}`)}`,
    ...(state.message ? [`Message:         ${state.message}`] : []),
    `Strategy:        ${state.strategy === "canary" ? "Canary" : "BlueGreen"}`,
  ];
  if (state.strategy === "canary" && state.steps.length > 0) lines.push(`  Step:          ${state.currentStepIndex ?? 0}/${state.steps.length}`);
  if (state.weights) lines.push(`  SetWeight:     ${state.weights.setWeight}`, `  ActualWeight:  ${state.weights.actualWeight}`);
  const images = imagesOf(state);
  if (images.length > 0) lines.push(`Images:          ${images.join(", ")}`);
  lines.push(
    `Revision:        ${state.revision}`,
    "Replicas:",
    `  Desired:       ${desired}`,
    `  Current:       ${st.replicas ?? 0}`,
    `  Updated:       ${st.updatedReplicas ?? 0}`,
    `  Ready:         ${st.readyReplicas ?? 0}`,
    `  Available:     ${st.availableReplicas ?? 0}`,
  );
  if (state.steps.length > 0) {
    lines.push("", bold("Steps:"));
    for (const s of state.steps) {
      const mark = s.state === "done" ? "✔" : s.state === "current" ? "▶" : "○";
      const note = s.state === "current" && state.gate ? dim(`  waiting for a promote since ${state.gate.since}`) : "";
      lines.push(`  ${mark} ${String(s.index).padStart(2)}  ${s.state === "current" ? bold(s.text) : s.text}${note}`);
    }
  }
  if (state.replicaSets.length > 0) {
    lines.push("", ...table([["REPLICASET", "ROLE", "HASH", "REPLICAS", "AVAILABLE"], ...state.replicaSets.map((rs) => [rs.name, rs.role, rs.hash, String(rs.replicas), String(rs.available)])]));
  }
  if (state.analysisRuns.length > 0) {
    const rows = [["ANALYSISRUN / METRIC", "PHASE", "SUCCESSFUL", "FAILED", "INCONCLUSIVE", "ERROR", "LAST VALUE"]];
    for (const run of state.analysisRuns) {
      rows.push([run.name, run.phase, "", "", "", "", run.message ?? ""]);
      for (const m of run.metrics) rows.push([`  ${m.name}`, m.phase, String(m.successful), String(m.failed), String(m.inconclusive), String(m.error), m.lastValue ?? ""]);
    }
    lines.push("", ...table(rows));
  }
  if (state.gate) lines.push("", bold(`Gate: ${state.gate.reason}, waiting since ${state.gate.since}`));
  const next = nextCommands(state, opts.clusterArgs);
  if (next.length > 0) lines.push(...(state.gate ? [] : [""]), ...next.map((l) => `  ${l}`));
  return lines.join("\n");
}

/** One line of progress while the controller runs. */
export function progressLine(state: RolloutState): string {
  const step = state.steps.length > 0 ? ` step ${state.currentStepIndex ?? 0}/${state.steps.length}` : "";
  const weight = state.weights ? ` weight ${state.weights.actualWeight}/${state.weights.setWeight}` : "";
  return `${new Date().toISOString().slice(11, 19)} ${state.ref.name}: ${state.phase}${state.message ? ` (${state.message})` : ""}${step}${weight}`;
}
