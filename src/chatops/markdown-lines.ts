/**
 * Which lines of a comment's markdown are plain text at the start of a line, where a command may be.
 * Follows CommonMark closely enough for comments: fenced code (``` and ~~~, closed only by the same
 * character at least as long), indented code, block quotes and HTML comments hide their lines. Where
 * CommonMark would be hard to follow exactly (fences inside list items), it errs towards hiding a line:
 * a command run by mistake costs more than one that has to be typed again.
 */

/** A line that starts, after at most 3 spaces, with something other than markdown block syntax. */
export interface TextLine {
  /** 1-based line number in the comment body. */
  line: number;
  /** The line as written, without its line ending. */
  raw: string;
  /** The line with HTML comments removed and leading spaces trimmed. */
  text: string;
}

interface Fence {
  char: "`" | "~";
  length: number;
  /** Most spaces a closing fence may be indented by. */
  maxCloseIndent: number;
}

// Optional list markers in front of the fence (`- ````, `1. ~~~`): the fence belongs to the list item.
const FENCE_OPEN = /^( {0,3})((?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^( *)(`{3,}|~{3,})[ \t]*$/;
const BLOCK_QUOTE = /^ {0,3}>/;
const BLANK = /^[ \t]*$/;

/** Columns of leading whitespace, a tab advancing to the next multiple of 4 (CommonMark). */
function indentWidth(line: string): number {
  let col = 0;
  for (const ch of line) {
    if (ch === " ") col++;
    else if (ch === "\t") col += 4 - (col % 4);
    else break;
  }
  return col;
}

function openFence(line: string): Fence | undefined {
  const m = FENCE_OPEN.exec(line);
  if (!m) return undefined;
  const [, lead, listMarkers, run, info] = m;
  const char = run[0] as "`" | "~";
  // ```foo``` on one line is inline code, not a fence: a backtick fence's info string has no backtick.
  if (char === "`" && info.includes("`")) return undefined;
  const column = lead.length + listMarkers.length;
  return { char, length: run.length, maxCloseIndent: listMarkers ? column + 3 : 3 };
}

function closesFence(line: string, fence: Fence): boolean {
  const m = FENCE_CLOSE.exec(line);
  if (!m) return false;
  const [, lead, run] = m;
  return run[0] === fence.char && run.length >= fence.length && lead.length <= fence.maxCloseIndent;
}

/** Index just past the run of `ch` starting at `i`. */
function runEnd(text: string, i: number, ch: string): number {
  let j = i;
  while (text[j] === ch) j++;
  return j;
}

/** Start of the next run of exactly `length` backticks at or after `from`, or -1. */
function findBacktickRun(text: string, from: number, length: number): number {
  for (let i = text.indexOf("`", from); i >= 0; i = text.indexOf("`", i)) {
    const end = runEnd(text, i, "`");
    if (end - i === length) return i;
    i = end;
  }
  return -1;
}

/**
 * Removes HTML comments from one line, given whether a comment is open at its start. Code spans are
 * kept whole, so `` `<!--` `` written as an example does not hide the rest of the comment.
 */
export function stripHtmlComments(text: string, inComment: boolean): { visible: string; inComment: boolean } {
  let visible = "";
  let i = 0;
  while (i < text.length) {
    if (inComment) {
      const end = text.indexOf("-->", i);
      if (end < 0) return { visible, inComment: true };
      i = end + 3;
      inComment = false;
    } else if (text.startsWith("<!--", i)) {
      i += 4;
      // `<!-->` and `<!--->` are complete (empty) comments.
      if (text.startsWith(">", i)) i += 1;
      else if (text.startsWith("->", i)) i += 2;
      else inComment = true;
    } else if (text[i] === "`") {
      const end = runEnd(text, i, "`");
      const close = findBacktickRun(text, end, end - i);
      const stop = close < 0 ? end : close + (end - i);
      visible += text.slice(i, stop);
      i = stop;
    } else {
      visible += text[i];
      i++;
    }
  }
  return { visible, inComment };
}

/** The lines of `body` where a command may start. Accepts \n, \r\n and \r line endings. */
export function textLines(body: string): TextLine[] {
  const lines = body.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const out: TextLine[] = [];
  let fence: Fence | undefined;
  let inComment = false;
  // An indented line continues a paragraph rather than starting indented code.
  let inParagraph = false;

  lines.forEach((raw, index) => {
    if (inComment) {
      // Text after `-->` does not start the line, so it cannot hold a command; scan it for a new `<!--`.
      inComment = stripHtmlComments(raw, true).inComment;
      inParagraph = true;
      return;
    }
    if (fence) {
      if (closesFence(raw, fence)) fence = undefined;
      return;
    }
    if (BLANK.test(raw)) {
      inParagraph = false;
      return;
    }
    const indent = indentWidth(raw);
    if (indent >= 4 && !inParagraph) return; // indented code block
    const opened = openFence(raw);
    if (opened) {
      fence = opened;
      inParagraph = false;
      return;
    }
    if (BLOCK_QUOTE.test(raw)) {
      // Quoted lines are someone else's words. A following unmarked line is the writer's own, even if
      // CommonMark renders it inside the quote (lazy continuation), so it is not skipped.
      inParagraph = true;
      return;
    }
    const stripped = stripHtmlComments(raw, false);
    inComment = stripped.inComment;
    inParagraph = true;
    if (indent <= 3) {
      out.push({ line: index + 1, raw, text: stripped.visible.trim() });
    }
  });
  return out;
}
