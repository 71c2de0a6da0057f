/**
 * What a Rollout release looks like on GitHub, rendered from its state (pure): the check run
 * `tiphys/rollout/<name>` on the deployed commit (in progress between gates, `action_required` with
 * Promote / Promote full / Abort buttons at a gate, success or failure at the end) and the one comment
 * of the pull request that brought the commit (where the release stands and the exact commands).
 */
import type { CheckAction, CheckConclusion, CheckStatus } from "../core/ports/github.js";
import type { RolloutState } from "../reconcilers/rollout/controller.js";
import { escapeCell, GITHUB_TEXT_LIMIT, inlineCode } from "../reporting/index.js";
import { ABORT_ACTION, GATE_TIMEOUT_ANNOTATION, PROMOTE_ACTION, PROMOTE_FULL_ACTION, type GatePolicy, type RolloutRelease } from "./rollout-release.js";

export type ReleaseStage = "gate" | "progressing" | "healthy" | "degraded";

export function stageOf(state: RolloutState): ReleaseStage {
  if (state.phase === "Degraded" || state.aborted) return "degraded";
  if (state.gate) return "gate";
  if (state.phase === "Healthy") return "healthy";
  return "progressing";
}

export const GATE_ACTIONS: CheckAction[] = [
  { label: "Promote", description: "Go on to the next step", identifier: PROMOTE_ACTION },
  { label: "Promote full", description: "Skip the remaining steps", identifier: PROMOTE_FULL_ACTION },
  { label: "Abort", description: "Go back to the stable revision", identifier: ABORT_ACTION },
];

export interface ReportInput {
  state: RolloutState;
  release: RolloutRelease;
  /** The gate's timeout (at a gate). */
  policy?: GatePolicy;
  /** Who may promote, in a sentence. */
  whoMay?: string;
}

export interface RolloutCheckOutput {
  status: CheckStatus;
  conclusion?: CheckConclusion;
  title: string;
  /** Where it stands, then the steps (done, current, next), ReplicaSets and analysis as tables. */
  summary: string;
  actions: CheckAction[];
}

const short = (sha: string) => sha.slice(0, 7);

function stepPhrase(state: RolloutState): string {
  const total = state.steps.length;
  if (total === 0) return state.strategy === "blueGreen" ? "the preview" : "the update";
  const i = state.currentStepIndex ?? total;
  if (i >= total) return `the end of its ${total} steps`;
  return `step ${i + 1} of ${total} (${inlineCode(state.steps[i]?.text ?? "?")})`;
}

function nextStep(state: RolloutState): string | undefined {
  return state.steps.find((s) => s.state === "next")?.text;
}

function podsLine(state: RolloutState): string {
  const order = (role: string) => ["stable", "active", "canary", "preview"].indexOf(role) + 1 || 9;
  const parts = [...state.replicaSets]
    .filter((rs) => rs.replicas > 0 || rs.available > 0)
    .sort((a, b) => order(a.role) - order(b.role))
    .map((rs) => `${rs.role} ${rs.available}/${rs.replicas} pod${rs.replicas === 1 ? "" : "s"} available (${inlineCode(rs.name)})`);
  return parts.length > 0 ? parts.join(" · ") : "no pods yet";
}

function weightsLine(state: RolloutState): string | undefined {
  if (!state.weights) return undefined;
  const { setWeight, actualWeight } = state.weights;
  return `canary ${setWeight}% set, ${actualWeight}% actual`;
}

function commands(name: string): { promote: string; full: string; abort: string; status: string; retry: string; undo: string } {
  return {
    promote: `/tiphys promote ${name}`,
    full: `/tiphys promote ${name} --full`,
    abort: `/tiphys abort ${name}`,
    status: `/tiphys status ${name}`,
    retry: `/tiphys retry ${name}`,
    undo: `/tiphys undo ${name}`,
  };
}

function deadlineLine(release: RolloutRelease, policy: GatePolicy | undefined): string | undefined {
  const gate = release.gate;
  if (!gate) return undefined;
  // An absolute time, not "in 3h": the text stays the same, so nothing is written again.
  const problem = policy?.problem ? `\n\n⚠️ ${policy.problem}.` : "";
  return `⏰ Without an answer, Tiphys will **${gate.action}** the release at ${gate.deadline} (\`${GATE_TIMEOUT_ANNOTATION}: ${gate.timeout}\` after the pause began).${problem}`;
}

function historyLines(release: RolloutRelease): string[] {
  return release.operations.slice(-10).map((o) => {
    const what = o.op === "gate-timeout" ? `gate timeout: ${o.detail ?? ""}`.trim() : o.op;
    return `- ${what} by ${o.by.startsWith("tiphys") ? o.by : `@${o.by}`} at ${o.at}${o.detail && o.op !== "gate-timeout" ? ` (${o.detail})` : ""}`;
  });
}

function headline(input: ReportInput): { emoji: string; title: string } {
  const { state, release } = input;
  const name = release.ref.name;
  switch (stageOf(state)) {
    case "gate":
      return { emoji: "⏸️", title: `${name} waits for promotion at ${stepPhrase(state).replace(/`/g, "")}` };
    case "healthy":
      return { emoji: "✅", title: `${name} is fully promoted: revision ${state.revision} is stable` };
    case "degraded":
      return { emoji: "❌", title: state.aborted ? `${name} was aborted: ${state.message}` : `${name} is Degraded: ${state.message}` };
    default:
      return { emoji: "🚀", title: `${name} is progressing: ${stepPhrase(state).replace(/`/g, "")}` };
  }
}

/** Steps, ReplicaSets and AnalysisRuns as tables. */
export function renderDetails(state: RolloutState): string {
  const out: string[] = [];
  if (state.steps.length > 0) {
    out.push("### Steps", "", "| # | Step | State |", "| --- | --- | --- |");
    for (const s of state.steps) out.push(`| ${s.index + 1} | ${escapeCell(s.text, 200)} | ${s.state === "done" ? "✅ done" : s.state === "current" ? "▶️ current" : "next"} |`);
    out.push("");
  }
  out.push("### ReplicaSets", "", "| ReplicaSet | Role | Replicas | Available |", "| --- | --- | --- | --- |");
  for (const rs of state.replicaSets) out.push(`| ${escapeCell(rs.name, 200)} | ${escapeCell(rs.role, 50)} | ${rs.replicas} | ${rs.available} |`);
  if (state.replicaSets.length === 0) out.push("| — | — | 0 | 0 |");
  if (state.analysisRuns.length > 0) {
    out.push("", "### Analysis", "", "| AnalysisRun | Phase | Metric | Metric phase | ✓ | ✗ | ? | Errors | Last value |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const run of state.analysisRuns) {
      const metrics = run.metrics.length > 0 ? run.metrics : [undefined];
      for (const m of metrics) {
        const cells = m ? [escapeCell(m.name, 100), m.phase, m.successful, m.failed, m.inconclusive, m.error, escapeCell(m.lastValue ?? "", 200)] : ["—", "", "", "", "", "", ""];
        out.push(`| ${escapeCell(run.name, 200)} | ${run.phase}${run.message ? `: ${escapeCell(run.message, 300)}` : ""} | ${cells.join(" | ")} |`);
      }
    }
  }
  return out.join("\n");
}

function facts(input: ReportInput): string {
  const { state, release } = input;
  const weights = weightsLine(state);
  return [
    `**Rollout** ${inlineCode(`${release.ref.namespace}/${release.ref.name}`)}`,
    `**Revision** ${state.revision}`,
    `**Phase** ${state.phase}${state.message ? ` (${escapeCell(state.message, 300)})` : ""}`,
    `**App** ${inlineCode(release.app)} at ${inlineCode(short(release.sha))}`,
    ...(weights ? [`**Weights** ${weights}`] : []),
  ].join(" · ");
}

/** The check run of the release, as it stands. */
export function renderRolloutCheck(input: ReportInput): RolloutCheckOutput {
  const { state, release } = input;
  const stage = stageOf(state);
  const { emoji, title } = headline(input);
  const c = commands(release.ref.name);
  const lines: string[] = [];
  if (stage === "gate") {
    lines.push(`${emoji} **Paused** at ${stepPhrase(state)} since ${state.gate!.since}: **${state.gate!.reason}**.`, "");
    lines.push(`Promote to go on${nextStep(state) ? ` (${inlineCode(nextStep(state)!)})` : ""}, Promote full to skip the remaining steps, or Abort to go back to the stable revision: with the buttons above, or a comment ${inlineCode(c.promote)}, ${inlineCode(c.full)}, ${inlineCode(c.abort)}.`, "");
    const deadline = deadlineLine(release, input.policy);
    if (deadline) lines.push(deadline, "");
    if (input.whoMay) lines.push(input.whoMay, "");
  } else if (stage === "progressing") {
    lines.push(`${emoji} At ${stepPhrase(state)}. ${inlineCode(c.abort)} stops it.`, "");
  } else if (stage === "healthy") {
    lines.push(`${emoji} Revision ${state.revision} serves everything.`, "");
  } else {
    lines.push(`${emoji} ${escapeCell(state.message, 2000)}`, "", `${inlineCode(c.retry)} starts the release again from the first step; ${inlineCode(c.undo)} goes back to the previous template.`, "");
  }
  lines.push(facts(input), "", `**Pods** ${podsLine(state)}`, "", renderDetails(state));
  const history = historyLines(release);
  if (history.length > 0) lines.push("", "### Operations", "", ...history);
  const conclusion: CheckConclusion | undefined = stage === "gate" ? "action_required" : stage === "healthy" ? "success" : stage === "degraded" ? "failure" : undefined;
  return {
    status: conclusion ? "completed" : "in_progress",
    ...(conclusion ? { conclusion } : {}),
    title: `${title}`.slice(0, 250),
    summary: lines.join("\n").slice(0, GITHUB_TEXT_LIMIT),
    actions: stage === "gate" ? GATE_ACTIONS : [],
  };
}

/** The pull request's (or commit's) comment, without its marker. */
export function renderRolloutComment(input: ReportInput): string {
  const { state, release } = input;
  const stage = stageOf(state);
  const { emoji } = headline(input);
  const name = release.ref.name;
  const c = commands(name);
  const link = release.checkRunUrl ? ` ([check run](${release.checkRunUrl}))` : "";
  const origin = `${inlineCode(short(release.sha))} (app ${inlineCode(release.app)}, revision ${state.revision})`;
  const out: string[] = [];
  if (stage === "gate") {
    out.push(`### ${emoji} Rollout ${inlineCode(name)} waits for promotion`, "");
    out.push(`The release of ${origin} paused at ${stepPhrase(state)}${link}. Pods: ${podsLine(state)}.`, "");
    out.push("| Comment | What happens |", "| --- | --- |");
    out.push(`| ${inlineCode(c.promote)} | ${nextStep(state) ? `Go on with ${inlineCode(nextStep(state)!)}` : "Go on"} |`);
    out.push(`| ${inlineCode(c.full)} | Skip the remaining steps: revision ${state.revision} serves everything |`);
    out.push(`| ${inlineCode(c.abort)} | Back to the stable revision: the new pods scale down |`);
    out.push(`| ${inlineCode(c.status)} | Where the release stands |`, "");
    out.push("Or the **Promote**, **Promote full** and **Abort** buttons of the check run.", "");
    if (input.whoMay) out.push(input.whoMay, "");
    const deadline = deadlineLine(release, input.policy);
    if (deadline) out.push(deadline, "");
  } else if (stage === "progressing") {
    out.push(`### ${emoji} Rollout ${inlineCode(name)} is progressing`, "", `The release of ${origin} is at ${stepPhrase(state)}${link}. Pods: ${podsLine(state)}.`, "", `${inlineCode(c.abort)} stops it; ${inlineCode(c.status)} says where it stands.`, "");
  } else if (stage === "healthy") {
    out.push(`### ${emoji} Rollout ${inlineCode(name)} is fully promoted`, "", `Revision ${state.revision} from ${inlineCode(short(release.sha))} serves everything${link}.`, "");
  } else {
    out.push(`### ${emoji} Rollout ${inlineCode(name)} ${state.aborted ? "was aborted" : "is Degraded"}`, "", `The release of ${origin}: ${escapeCell(state.message, 2000)}${link}.`, "");
    out.push(`${inlineCode(c.retry)} starts it again from the first step; ${inlineCode(c.undo)} goes back to the previous template.`, "");
  }
  if (release.refusal) out.push(`> ⚠️ ${release.refusal.text}`, "");
  const history = historyLines(release);
  if (history.length > 0) out.push("<details><summary>Operations</summary>", "", ...history, "", "</details>");
  return out.join("\n").trimEnd();
}

/** One line: where a release stands (command replies). */
export function summarizeState(state: RolloutState): string {
  const weights = state.weights ? `, canary at ${state.weights.actualWeight}%` : "";
  const gate = state.gate ? `, paused (${state.gate.reason})` : "";
  return `${state.phase} at ${stepPhrase(state)}, revision ${state.revision}${weights}${gate}`;
}

/** `/tiphys status <rollout>`: the check run's text, for a comment. */
export function renderStatusReply(input: ReportInput): string {
  const check = renderRolloutCheck(input);
  const link = input.release.checkRunUrl ? ` ([check run](${input.release.checkRunUrl}))` : "";
  return [`**${escapeCell(check.title, 250)}**${link}`, "", check.summary].join("\n");
}
