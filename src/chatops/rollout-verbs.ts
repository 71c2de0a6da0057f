import type { VerbSpec } from "./registry.js";

/**
 * The Rollout verbs of issue 6. `retry` is shared with workflows (registered with the issue-3 verbs):
 * naming a Rollout retries its aborted release. Who may is checked twice: the repository permission
 * here, then the Rollout's own `tiphys.io/promoters` and `tiphys.io/require-second-person`.
 */
export function rolloutVerbs(p: string): VerbSpec[] {
  return [
    {
      verb: "promote",
      summary: "Move a Rollout paused at a gate to its next step, or with --full past every remaining step, pause and analysis.",
      usage: `${p} promote <rollout> [--full]`,
      examples: [`${p} promote web`, `${p} promote web --full`, `${p} promote prod/web`],
      permission: "write",
      target: "required",
      flags: { full: { summary: "Skip the remaining steps, pauses and analyses: the new revision becomes stable." } },
    },
    {
      verb: "abort",
      summary: "Abort a Rollout's release: the canary (or preview) scales down and the stable revision serves everything (phase Degraded, RolloutAborted).",
      usage: `${p} abort <rollout>`,
      examples: [`${p} abort web`],
      permission: "write",
      target: "required",
      flags: {},
    },
    {
      verb: "undo",
      summary: "Roll a Rollout back to its previous revision (or the one given): its template goes back, and going back to the stable revision skips the steps.",
      usage: `${p} undo <rollout> [--to-revision=<n>]`,
      examples: [`${p} undo web`, `${p} undo web --to-revision=3`],
      permission: "write",
      target: "required",
      flags: { "to-revision": { summary: "The revision to go back to (default: the one before the current).", value: "number" } },
    },
    {
      verb: "status",
      summary: "Where a Rollout's release stands (step, weights, replicas, analysis), or every Rollout of this repository.",
      usage: `${p} status [rollout]`,
      examples: [`${p} status`, `${p} status web`],
      permission: "read",
      target: "optional",
      flags: {},
    },
  ];
}
