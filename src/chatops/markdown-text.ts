/** Small helpers for putting user-typed text into markdown safely. */

const MAX_QUOTED = 80;

/**
 * `text` as a markdown code span, so a typed `@someone` does not ping and `*x*` stays literal. Long
 * text is shortened: a reply should not repeat a pasted paragraph.
 */
export function inlineCode(text: string): string {
  const short = text.length > MAX_QUOTED ? text.slice(0, MAX_QUOTED - 1) + "…" : text;
  const longestRun = Math.max(0, ...(short.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longestRun + 1);
  // A code span that starts or ends with a backtick needs a space to keep it apart from the fence.
  const pad = short.startsWith("`") || short.endsWith("`") ? " " : "";
  return `${fence}${pad}${short}${pad}${fence}`;
}

/** Text for a table cell: pipes escaped and line breaks flattened, which would otherwise break the row. */
export function tableCell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}
