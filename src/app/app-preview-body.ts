/**
 * The markdown of an app's preview comment (pure and deterministic: the same diff gives the same
 * text, so an unchanged preview is not written again): a title with the app and its destination, the
 * counts, a table of the resources that differ, and each unified diff in a `<details>` block, split
 * into several comments past GitHub's limit.
 */
import { inlineCode, tableCell } from "../chatops/markdown-text.js";
import type { ResourceDiff } from "../reconcilers/application/diff.js";
import { summarizeDiffs } from "../reconcilers/application/diff.js";
import type { ResourceKey } from "../reconcilers/application/types.js";
import { COMMENT_LIMIT, fenceFor, splitIntoParts, type Segment } from "./comment-parts.js";

/** The preview of the Application documents themselves, when they do not load. */
export const DEFINITIONS_KEY = ".tiphys";

export type PreviewState =
  | { kind: "diff"; diffs: ResourceDiff[]; lifecycle?: "added" | "removed" }
  | { kind: "error"; errors: Array<{ side: "base" | "head" | "definitions"; text: string }> }
  | { kind: "waiting" }
  | { kind: "foreign"; repoURLs: string[] }
  | { kind: "gone" };

export type LiveView =
  | { kind: "unavailable"; text: string }
  | { kind: "error"; text: string }
  | { kind: "drift"; revision: string; destination: string; sync: string; diffs: ResourceDiff[] };

export interface PreviewView {
  /** The app's name, or DEFINITIONS_KEY. */
  app: string;
  /** `server-or-name`, and the namespace. */
  destination?: { cluster: string; namespace: string };
  /** The base branch, for the sentence that says what is compared. */
  baseRef?: string;
  /** `owner/name`. */
  repo: string;
  state: PreviewState;
  live?: LiveView;
}

/** Diffs of more lines than this are collapsed, as are all of them once the comment is long. */
const OPEN_DIFF_LINES = 40;
const OPEN_TOTAL_LINES = 300;
// Room for the title and for the hidden marker ensureMarkedComments puts in front (app names run to 253 characters).
const HEADING_RESERVE = 1000;

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function kindLabel(key: ResourceKey): string {
  return key.group ? `${key.group}/${key.kind}` : key.kind;
}

export function nameLabel(key: ResourceKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

function title(view: PreviewView): string {
  if (view.app === DEFINITIONS_KEY) return "### Tiphys: Application documents in `.tiphys/`";
  const dest = view.destination ? ` → ${inlineCode(view.destination.cluster)} namespace ${inlineCode(view.destination.namespace)}` : "";
  return `### Tiphys: application ${inlineCode(view.app)}${dest}`;
}

const text = (...lines: string[]): Segment => ({ lines });

/** The table of differing resources and one `<details>` block per diff. */
function diffSegments(diffs: ResourceDiff[], changeWord: (d: ResourceDiff) => string, column = "Change"): Segment[] {
  const changed = diffs.filter((d) => d.kind !== "unchanged");
  if (changed.length === 0) return [];
  const out: Segment[] = [
    {
      open: [`| Kind | Namespace/Name | ${column} |`, "| --- | --- | --- |"],
      lines: changed.map((d) => `| ${tableCell(kindLabel(d.key))} | ${tableCell(nameLabel(d.key))} | ${changeWord(d)} |`),
    },
  ];
  const total = changed.reduce((n, d) => n + d.unified.split("\n").length, 0);
  for (const d of changed) {
    const lines = d.unified.replace(/\n$/, "").split("\n");
    const fence = fenceFor(lines);
    const open = lines.length <= OPEN_DIFF_LINES && total <= OPEN_TOTAL_LINES;
    const summary = `${escapeHtml(kindLabel(d.key))} ${escapeHtml(nameLabel(d.key))}: ${changeWord(d)}`;
    out.push({
      open: [`<details${open ? " open" : ""}>`, `<summary>${summary}</summary>`, "", `${fence}diff`],
      reopen: [`<details${open ? " open" : ""}>`, `<summary>${summary} (continued)</summary>`, "", `${fence}diff`],
      lines,
      close: [fence, "", "</details>"],
    });
  }
  return out;
}

function fenced(lines: string[], info = "text"): Segment {
  const fence = fenceFor(lines);
  return { open: [`${fence}${info}`], lines, close: [fence] };
}

function stateSegments(view: PreviewView): Segment[] {
  const s = view.state;
  const app = inlineCode(view.app);
  const base = view.baseRef ? `the base branch ${inlineCode(view.baseRef)}` : "the base branch";
  switch (s.kind) {
    case "waiting":
      return [
        text(
          "This pull request comes from a fork or from an author without write access, so Tiphys renders nothing from it until " +
            "someone with write access approves its head commit: comment `/tiphys ok-to-test`, or press **Approve** on the `tiphys/approval` check. " +
            "The diff of this app appears here then.",
        ),
      ];
    case "foreign":
      return [
        text(
          `The sources of ${app} are not in ${inlineCode(view.repo)} (${s.repoURLs.map(inlineCode).join(", ")}): ` +
            "Tiphys renders only sources in the repository that defines the app, so it has no diff to show here.",
        ),
      ];
    case "gone":
      return [text(view.app === DEFINITIONS_KEY ? "The Application documents load again: nothing to report." : `Nothing to preview: this pull request no longer changes what ${app} renders.`)];
    case "error":
      return s.errors.flatMap((e) => {
        const what = e.side === "definitions" ? "The Application documents at this pull request's head do not load:" : e.side === "head" ? "The head of this pull request does not render:" : `${base[0]!.toUpperCase()}${base.slice(1)} does not render:`;
        return [text(`:x: ${what}`), fenced(e.text.split("\n"))];
      });
    case "diff": {
      const sum = summarizeDiffs(s.diffs);
      const differ = sum.added + sum.changed + sum.removed;
      const out: Segment[] = [];
      if (s.lifecycle === "added") out.push(text(`This pull request adds the app ${app}.`));
      if (s.lifecycle === "removed") out.push(text(`This pull request removes the app ${app}: what it rendered is no longer in the repository (a sync with \`prune\` deletes it).`));
      if (differ === 0) {
        out.push(text(`No changes: ${app} renders the same ${sum.unchanged} resource${sum.unchanged === 1 ? "" : "s"} at ${base} and at this pull request's head.`));
        return out;
      }
      out.push(
        text(
          `Rendered at ${base} and at this pull request's head: **${sum.added} added, ${sum.changed} changed, ${sum.removed} removed** ` +
            `(${sum.unchanged} unchanged).`,
        ),
      );
      out.push(...diffSegments(s.diffs, (d) => d.kind));
      return out;
    }
  }
}

/** The "Drift against the live cluster" section (also the reply to `/tiphys diff` on an issue). */
export function driftSegments(app: string, live: LiveView): Segment[] {
  const out: Segment[] = [text("#### Drift against the live cluster")];
  if (live.kind === "unavailable") return [...out, text(live.text)];
  if (live.kind === "error") return [...out, text(`:x: Comparing ${inlineCode(app)} with the live cluster failed:`), fenced(live.text.split("\n"))];
  const missing = live.diffs.filter((d) => d.kind === "added").length;
  const prune = live.diffs.filter((d) => d.kind === "removed").length;
  const differs = live.diffs.filter((d) => d.kind === "changed").length;
  const at = `${inlineCode(app)} at ${inlineCode(live.revision.slice(0, 7))} against ${inlineCode(live.destination)}`;
  if (missing + prune + differs === 0) return [...out, text(`${at}: **${live.sync}**, no drift.`)];
  const word = (d: ResourceDiff) => (d.kind === "added" ? "missing" : d.kind === "removed" ? "to prune" : "differs");
  return [...out, text(`${at}: **${live.sync}**: ${missing} missing, ${differs} differ, ${prune} to prune.`), ...diffSegments(live.diffs, word, "Live")];
}

/** The comment bodies of one app's preview (without markers): one, or more past the limit. */
export function renderPreviewParts(view: PreviewView, limit = COMMENT_LIMIT): string[] {
  const segments = stateSegments(view);
  if (view.live) segments.push(...driftSegments(view.app, view.live));
  if (view.app !== DEFINITIONS_KEY && view.state.kind === "diff") {
    segments.push(text(`<sub>\`/tiphys diff ${view.app}\` renders this again; \`/tiphys diff ${view.app} --live\` adds the drift against the live cluster.</sub>`));
  }
  return splitIntoParts(segments, {
    limit,
    headingReserve: HEADING_RESERVE,
    heading: (i, total) => (total === 1 ? title(view) : `${title(view)} (part ${i + 1} of ${total})`),
  });
}

/** A standalone drift report (the reply on an issue). */
export function renderDriftReply(app: string, live: LiveView, limit = COMMENT_LIMIT): string[] {
  return splitIntoParts(driftSegments(app, live), { limit, headingReserve: HEADING_RESERVE, heading: () => "" });
}
