/**
 * Comments Tiphys keeps up to date, found by a hidden marker on their first line (Renovate's
 * `ensureComment`): created when missing, edited only when the text changed. A text too long for one
 * comment is several parts (`<!-- tiphys:key -->`, `<!-- tiphys:key:2 -->`, ...); parts an earlier,
 * longer text left over are emptied (the GitHub port has no delete).
 */
import { isBotLogin } from "../chatops/index.js";
import type { CommentInfo, RepoRef } from "../core/ports/github.js";
import type { AppContext } from "./context.js";

/** The marker of part `index` (0-based) of `key`. */
export function commentMarker(key: string, index = 0): string {
  return index === 0 ? `<!-- tiphys:${key} -->` : `<!-- tiphys:${key}:${index + 1} -->`;
}

const SURPLUS = "_This part of an earlier, longer comment is no longer needed._";

/** Our comment carrying this exact marker as its first line (the oldest, if a race made two). */
export function findMarked(comments: CommentInfo[], marker: string): CommentInfo | undefined {
  return comments.find((c) => isBotLogin(c.author) && (c.body === marker || c.body.startsWith(marker + "\n")));
}

/** Keys of our marked comments whose marker starts with `prefix` (first parts only). */
export function markedKeys(comments: CommentInfo[], prefix: string): string[] {
  const keys = new Set<string>();
  const re = /^<!-- tiphys:([^\s]+) -->(\n|$)/;
  for (const c of comments) {
    if (!isBotLogin(c.author)) continue;
    const m = re.exec(c.body);
    if (!m || !m[1]!.startsWith(prefix)) continue;
    const key = m[1]!;
    // `key:2` is a later part of `key`.
    const part = /^(.*):(\d+)$/.exec(key);
    if (part && Number(part[2]) >= 2 && comments.some((o) => isBotLogin(o.author) && o.body.startsWith(commentMarker(part[1]!) + "\n"))) continue;
    keys.add(key);
  }
  return [...keys].sort();
}

export interface PlannedWrite {
  kind: "create" | "update";
  id?: number;
  body: string;
}

/** The writes that make the comments of `key` read `parts` (none when they already do). Pure. */
export function planMarkedComments(comments: CommentInfo[], key: string, parts: string[]): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  parts.forEach((part, i) => {
    const marker = commentMarker(key, i);
    const body = `${marker}\n${part}`;
    const existing = findMarked(comments, marker);
    if (!existing) writes.push({ kind: "create", body });
    else if (existing.body !== body) writes.push({ kind: "update", id: existing.id, body });
  });
  for (let i = parts.length; ; i++) {
    const marker = commentMarker(key, i);
    const existing = findMarked(comments, marker);
    if (!existing) break;
    const body = `${marker}\n${SURPLUS}`;
    if (existing.body !== body) writes.push({ kind: "update", id: existing.id, body });
  }
  return writes;
}

/** Carries out planned writes in order. */
export async function applyCommentWrites(ctx: AppContext, repo: RepoRef, issue: number, writes: PlannedWrite[]): Promise<void> {
  for (const w of writes) {
    if (w.kind === "create") await ctx.github.createComment(repo, issue, w.body);
    else await ctx.github.updateComment(repo, w.id!, w.body);
  }
}
