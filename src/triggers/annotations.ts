// The shorthand for the common case: annotations on a Workflow or WorkflowTemplate instead of a Sensor.
//
//   tiphys.io/on:       "push, pull_request, issue_comment.created"
//       An event name takes every action of that event, except `pull_request`, which alone means the
//       actions opened, synchronize and reopened (new code to test). `event.action` takes one action
//       (`pull_request.closed`).
//   tiphys.io/branches: "main, release/*, !release/old"
//       Globs over the pushed branch, or the branch a pull request merges into (its BASE). A pattern
//       that starts with `refs/` is matched against the full ref instead: `refs/tags/v*` selects tag
//       pushes, which the branch patterns never match. Events that carry no branch (issue_comment,
//       release ...) are not filtered by branch.
//   tiphys.io/paths:    "src/**, !src/**/*.md"
//       Globs (picomatch, dot files included) over the changed files: at least one changed file must
//       match a pattern and no `!` pattern. When the changed files are unknown the filter passes.
//
// In both lists a `!pattern` excludes; a list of only exclusions means "anything else". Commas inside
// braces (`*.{ts,js}`) do not separate patterns.
import picomatch from "picomatch";
import { didYouMean } from "../engine/validate/suggest.js";
import { eventAction, targetBranch, type TriggerEvent } from "./event.js";
import { GITHUB_EVENTS } from "./github-events.js";
import type { TriggerProblem } from "./sensor-types.js";

export const ON_ANNOTATION = "tiphys.io/on";
export const BRANCHES_ANNOTATION = "tiphys.io/branches";
export const PATHS_ANNOTATION = "tiphys.io/paths";
/** Not a trigger: where the App runs the workflow's steps (checked here with the other annotations). */
export const EXECUTOR_ANNOTATION = "tiphys.io/executor";
export const EXECUTOR_KINDS = ["local", "kubernetes"] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];
/** What `pull_request` without an action selects. */
export const DEFAULT_PULL_REQUEST_ACTIONS: readonly string[] = ["opened", "synchronize", "reopened"];

export interface OnEntry {
  event: string;
  /** undefined: any action. */
  actions?: readonly string[];
}

/** Splits a comma list, keeping commas inside braces, dropping blanks. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  for (const ch of text) {
    if (ch === "{") depth++;
    if (ch === "}") depth = Math.max(0, depth - 1);
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

function annotation(manifest: unknown, key: string): string | undefined {
  const v = (manifest as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata?.annotations?.[key];
  return typeof v === "string" ? v : undefined;
}

/** The events of `tiphys.io/on`, or undefined when the annotation is absent. */
export function parseOn(manifest: unknown): OnEntry[] | undefined {
  const text = annotation(manifest, ON_ANNOTATION);
  if (text === undefined) return undefined;
  return splitList(text).map((item): OnEntry => {
    const dot = item.indexOf(".");
    if (dot >= 0) return { event: item.slice(0, dot), actions: [item.slice(dot + 1)] };
    return item === "pull_request" ? { event: item, actions: DEFAULT_PULL_REQUEST_ACTIONS } : { event: item };
  });
}

/** Problems in the annotations of one document (unknown events, empty lists). */
export function checkAnnotations(manifest: unknown, file: string): TriggerProblem[] {
  const problems: TriggerProblem[] = [];
  const at = (key: string) => `metadata.annotations.${key}`;
  const executor = annotation(manifest, EXECUTOR_ANNOTATION)?.trim();
  if (executor !== undefined && !(EXECUTOR_KINDS as readonly string[]).includes(executor)) {
    problems.push({ file, path: at(EXECUTOR_ANNOTATION), message: `"${executor}" is not an executor (expected ${EXECUTOR_KINDS.join(" or ")})`, severity: "error" });
  }
  const on = parseOn(manifest);
  if (on === undefined) {
    for (const key of [BRANCHES_ANNOTATION, PATHS_ANNOTATION]) {
      if (annotation(manifest, key) !== undefined) {
        problems.push({ file, path: at(key), message: `${key} has no effect without ${ON_ANNOTATION}`, severity: "warning" });
      }
    }
    return problems;
  }
  if (on.length === 0) problems.push({ file, path: at(ON_ANNOTATION), message: "lists no event", severity: "error" });
  for (const entry of on) {
    if (!GITHUB_EVENTS.has(entry.event)) {
      problems.push({ file, path: at(ON_ANNOTATION), message: `"${entry.event}" is not a GitHub event${didYouMean(entry.event, GITHUB_EVENTS)}`, severity: "error" });
    }
  }
  for (const key of [BRANCHES_ANNOTATION, PATHS_ANNOTATION]) {
    const text = annotation(manifest, key);
    if (text !== undefined && splitList(text).length === 0) problems.push({ file, path: at(key), message: "lists no pattern", severity: "error" });
  }
  return problems;
}

const matchers = new Map<string, (s: string) => boolean>();

function glob(pattern: string): (s: string) => boolean {
  let m = matchers.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true });
    if (matchers.size > 500) matchers.clear();
    matchers.set(pattern, m);
  }
  return m;
}

/** True when `subject(p)` matches some positive pattern (or there is none) and no `!` pattern. */
function allowed(patterns: readonly string[], subject: (pattern: string) => string | undefined): boolean {
  const test = (p: string) => {
    const s = subject(p);
    return s !== undefined && glob(p)(s);
  };
  const positive = patterns.filter((p) => !p.startsWith("!"));
  const negative = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  return (positive.length === 0 || positive.some(test)) && !negative.some(test);
}

function matchOn(on: readonly OnEntry[], ev: TriggerEvent): string | undefined {
  const entries = on.filter((e) => e.event === ev.name);
  const listed = on.map((e) => e.event + (e.actions?.length === 1 ? `.${e.actions[0]}` : "")).join(", ");
  if (entries.length === 0) return `event ${ev.name} is not in ${ON_ANNOTATION} (${listed})`;
  const action = eventAction(ev);
  if (entries.some((e) => e.actions === undefined || (action !== undefined && e.actions.includes(action)))) return undefined;
  const wanted = [...new Set(entries.flatMap((e) => e.actions ?? []))].join(", ");
  return `${ev.name} action ${action ?? "(none)"} is not one of ${wanted}`;
}

/** Does this event start the annotated workflow? With a reason for either answer. */
export function matchAnnotations(manifest: unknown, ev: TriggerEvent): { matched: boolean; reason: string } {
  const on = parseOn(manifest);
  if (on === undefined) return { matched: false, reason: `no ${ON_ANNOTATION} annotation` };
  const onFailure = matchOn(on, ev);
  if (onFailure) return { matched: false, reason: onFailure };
  if (ev.name === "push" && ev.payload?.deleted === true) return { matched: false, reason: `push deletes ${String(ev.payload.ref)}` };
  const why: string[] = [ev.name + (eventAction(ev) ? `.${eventAction(ev)}` : "")];

  const branchText = annotation(manifest, BRANCHES_ANNOTATION);
  const { ref, branch } = targetBranch(ev);
  if (branchText !== undefined && ref !== "") {
    const patterns = splitList(branchText);
    if (!allowed(patterns, (p) => (p.replace(/^!/, "").startsWith("refs/") ? ref : branch || undefined))) {
      const what = branch ? `branch ${branch}` : `${ref.startsWith("refs/tags/") ? "tag" : "ref"} ${ref}`;
      const hint = branch ? "" : " (branch patterns never match a tag: use refs/tags/*)";
      return { matched: false, reason: `${what} does not match ${patterns.join(", ")}${hint}` };
    }
    why.push(`${branch ? `branch ${branch}` : ref} matches ${patterns.join(", ")}`);
  }

  const pathText = annotation(manifest, PATHS_ANNOTATION);
  if (pathText !== undefined) {
    const patterns = splitList(pathText);
    const files = ev.changedFiles;
    if (files === undefined) {
      why.push("changed files unknown, so paths are not checked");
    } else {
      const hits = files.filter((f) => allowed(patterns, () => f));
      if (hits.length === 0) {
        return { matched: false, reason: `none of the ${files.length} changed files matches ${patterns.join(", ")}` };
      }
      why.push(`${hits.length} of ${files.length} changed files match ${patterns.join(", ")}`);
    }
  }
  return { matched: true, reason: why.join("; ") };
}
