import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AppContext } from "./context.js";

const NS = "event-index";

type Doc = { file: string; manifest: unknown };
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The GitHub events a repo's triggers name: `tiphys.io/on` values as written (`issues`,
 * `pull_request.closed`) and Sensor dependencies' `eventName` as `<event>.*` (any action).
 */
export function eventsUsedBy(docs: Doc[]): string[] {
  const out = new Set<string>();
  for (const { manifest: m } of docs) {
    if (!isObj(m)) continue;
    const on = isObj(m.metadata) && isObj(m.metadata.annotations) ? m.metadata.annotations["tiphys.io/on"] : undefined;
    if (typeof on === "string") for (const e of on.split(",")) if (e.trim()) out.add(e.trim());
    if (m.kind === "Sensor" && isObj(m.spec) && Array.isArray(m.spec.dependencies)) {
      for (const d of m.spec.dependencies) if (isObj(d) && typeof d.eventName === "string") out.add(d.eventName === "*" ? "*" : `${d.eventName}.*`);
    }
  }
  return [...out].sort();
}

/** Whether an index names this event and action (`pull_request` alone means its default actions). */
export function indexNames(events: string[], event: string, action?: string): boolean {
  if (events.includes("*") || events.includes(`${event}.*`)) return true;
  if (action && events.includes(`${event}.${action}`)) return true;
  if (!events.includes(event)) return false;
  return event !== "pull_request" || !action || ["opened", "synchronize", "reopened"].includes(action);
}

/** Remembers which events the default branch's triggers name (read at a push there or at install). */
export async function recordEventIndex(ctx: AppContext, repo: RepoRef, sha: string, docs: Doc[]): Promise<void> {
  const events = eventsUsedBy(docs);
  const previous = await ctx.store.getValue<{ events: string[] }>(NS, repoFullName(repo));
  if (previous && JSON.stringify(previous.events) === JSON.stringify(events)) return;
  await ctx.store.putValue(NS, repoFullName(repo), { sha, events });
}

/**
 * Whether an event other than push and pull_request may start anything in this repo: only when the
 * default branch's triggers name it. Unknown repos (not seen since install) start nothing, so an
 * unrelated event costs no API call.
 */
export async function mayTrigger(ctx: AppContext, repo: RepoRef, event: string, action?: string): Promise<boolean> {
  const index = await ctx.store.getValue<{ events: string[] }>(NS, repoFullName(repo));
  return !!index && indexNames(index.events, event, action);
}
