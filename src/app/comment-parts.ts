/**
 * Long markdown split into comments GitHub accepts (a comment holds at most 65,536 characters). The
 * text is built from segments: a segment that does not fit is split between its lines, and each piece
 * gets the segment's opening and closing lines again, so a code fence or a `<details>` block is always
 * closed in the part it was opened in, and a table keeps its header.
 */

/** GitHub's limit on one comment's body. */
export const COMMENT_LIMIT = 65_536;

export interface Segment {
  /** Lines repeated at the start of every piece (a table's header, `<details>` and the opening fence). */
  open?: string[];
  /** Opening lines of the second and later pieces (default: `open`). */
  reopen?: string[];
  lines: string[];
  /** Lines repeated at the end of every piece (the closing fence, `</details>`). */
  close?: string[];
}

export interface SplitOptions {
  /** Characters a part may hold (its heading included). */
  limit: number;
  /** The heading of part `index` (0-based) of `total`; at most `headingReserve` characters. */
  heading(index: number, total: number): string;
  /** Characters kept free for the heading of each part. */
  headingReserve: number;
}

const TRUNCATED = " … (line cut: too long for a comment)";

const size = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);

/** The segments as one or more markdown texts, each within `opts.limit`; segments are separated by a blank line. */
export function splitIntoParts(segments: Segment[], opts: SplitOptions): string[] {
  const budget = opts.limit - opts.headingReserve;
  const parts: string[][] = [];
  let cur: string[] = [];
  const flush = () => {
    if (cur.length > 0) parts.push(cur);
    cur = [];
  };
  const append = (lines: string[]) => {
    if (cur.length > 0) cur.push("");
    cur.push(...lines);
  };
  const room = () => budget - size(cur) - (cur.length > 0 ? 1 : 0);

  for (const seg of segments) {
    const open = seg.open ?? [];
    const close = seg.close ?? [];
    const whole = [...open, ...seg.lines, ...close];
    if (size(whole) <= room()) {
      append(whole);
      continue;
    }
    if (cur.length > 0 && size(whole) <= budget) {
      flush();
      append(whole);
      continue;
    }
    let i = 0;
    let first = true;
    while (first || i < seg.lines.length) {
      const head = first ? open : (seg.reopen ?? open);
      let avail = room() - size(head) - size(close);
      const taken: string[] = [];
      while (i < seg.lines.length && size([seg.lines[i]!]) <= avail) {
        taken.push(seg.lines[i]!);
        avail -= seg.lines[i]!.length + 1;
        i++;
      }
      if (taken.length === 0 && i < seg.lines.length) {
        if (cur.length > 0) {
          flush();
          continue;
        }
        // One line longer than a whole part: cut it, keeping what fits.
        const keep = Math.max(0, avail - TRUNCATED.length - 1);
        taken.push(seg.lines[i]!.slice(0, keep) + TRUNCATED);
        i++;
      }
      append([...head, ...taken, ...close]);
      first = false;
      if (i < seg.lines.length) flush();
    }
  }
  flush();
  const total = Math.max(parts.length, 1);
  if (parts.length === 0) parts.push([]);
  return parts.map((lines, index) => {
    const heading = opts.heading(index, total);
    return heading ? [heading, "", ...lines].join("\n").trimEnd() : lines.join("\n");
  });
}

/** A code fence longer than any run of backticks in `lines`, so nothing inside can close it early. */
export function fenceFor(lines: string[]): string {
  let longest = 0;
  for (const l of lines) for (const run of l.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return "`".repeat(Math.max(3, longest + 1));
}
