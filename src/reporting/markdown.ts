/** Small helpers for the GitHub-flavoured markdown of check runs and comments. Pure. */

/** GitHub's cap on a check run's `output.summary` and `output.text`, each. */
export const GITHUB_TEXT_LIMIT = 65_535;

/**
 * Makes `text` safe inside one table cell: newlines become spaces, `|` is escaped, and `<` is
 * written as an entity so a stray `<details>` or `<!--` in a message cannot swallow the rest of
 * the table. Long text is cut to `max` characters.
 */
export function escapeCell(text: string, max = 500): string {
  if (text.length <= max && !/[|<\r\n]/.test(text)) return text;
  let s = text.replace(/\r\n?|\n/g, " ");
  if (s.length > max) s = s.slice(0, max - 1) + "…";
  return s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
}

function longestRun(text: string, ch: "`" | "~"): number {
  let max = 0;
  const re = ch === "`" ? /`+/g : /~+/g;
  for (const m of text.matchAll(re)) if (m[0].length > max) max = m[0].length;
  return max;
}

/** A fenced code block whose fence is longer than any backtick run inside, so content cannot close it. */
export function codeFence(content: string, lang = ""): string {
  const fence = "`".repeat(Math.max(3, longestRun(content, "`") + 1));
  const body = content.endsWith("\n") ? content : content + "\n";
  return `${fence}${lang}\n${body}${fence}`;
}

/** Inline code that survives backticks in `text` (CommonMark: a longer delimiter run, padded). */
export function inlineCode(text: string): string {
  const s = text.replace(/\r\n?|\n/g, " ");
  const ticks = "`".repeat(longestRun(s, "`") + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${ticks}${pad}${s}${pad}${ticks}`;
}

/** `850ms`, `12s`, `1m 12s`, `2h 5m`, `3d 4h`: the two largest units, the smaller dropped when zero. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const total = Math.floor(ms / 1000);
  const units: Array<[number, string]> = [
    [Math.floor(total / 86_400), "d"],
    [Math.floor(total / 3600) % 24, "h"],
    [Math.floor(total / 60) % 60, "m"],
    [total % 60, "s"],
  ];
  const first = units.findIndex(([n]) => n > 0);
  const [big, bigUnit] = units[first];
  const next = units[first + 1];
  return next && next[0] > 0 ? `${big}${bigUnit} ${next[0]}${next[1]}` : `${big}${bigUnit}`;
}

/** The time between two ISO timestamps (`end` defaults to `now`), or undefined when unknown. */
export function durationBetween(start: string | undefined, end: string | undefined, now: Date): number | undefined {
  if (!start) return undefined;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now.getTime();
  if (Number.isNaN(from) || Number.isNaN(to)) return undefined;
  return Math.max(0, to - from);
}

/**
 * The elapsed time between two ISO timestamps as text, "" when unknown. Argo's timestamps have
 * whole seconds, so a span under a second between two of them reads "0s", not a made-up "0ms".
 */
export function formatElapsed(start: string | undefined, end: string | undefined, now: Date): string {
  const ms = durationBetween(start, end, now);
  if (ms === undefined) return "";
  const wholeSeconds = !/\.\d/.test(start ?? "") && (end === undefined || !/\.\d/.test(end));
  return ms < 1000 && wholeSeconds ? "0s" : formatDuration(ms);
}

/**
 * Joins whole `sections` (rows, paragraphs) with `separator` while they fit in `limit` characters.
 * When some do not fit, the ones that do are followed by `note` (a string, or built from the
 * number of sections left out), and the result still fits. Sections are kept in order: the first
 * one that does not fit ends the output, so nothing after a gap is shown out of context.
 */
export function truncateToLimit(
  sections: readonly string[],
  limit: number,
  note: string | ((omitted: number) => string),
  separator = "\n",
): string {
  let total = 0;
  for (let i = 0; i < sections.length; i++) total += sections[i].length + (i > 0 ? separator.length : 0);
  if (total <= limit) return sections.join(separator);

  // Size the note for the worst case (every section left out) so it fits whatever is kept.
  const noteFor = (n: number) => (typeof note === "string" ? note : note(n));
  const reserve = noteFor(sections.length).length + separator.length;
  const kept: string[] = [];
  let used = 0;
  for (const s of sections) {
    const add = s.length + (kept.length > 0 ? separator.length : 0);
    if (used + add + reserve > limit) break;
    kept.push(s);
    used += add;
  }
  const tail = noteFor(sections.length - kept.length);
  const out = kept.length > 0 ? kept.join(separator) + separator + tail : tail;
  return out.length <= limit ? out : out.slice(0, Math.max(0, limit - 1)) + "…";
}
