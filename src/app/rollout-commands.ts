/**
 * The Rollout commands (`/tiphys promote|abort|retry|undo|status <rollout>`) and the Promote / Promote
 * full / Abort buttons of a `tiphys/rollout/<name>` check run. A Rollout is named by its name (or
 * `namespace/name`) among the releases of the repository, so a command works on the pull request that
 * brought the release and on any other pull request or issue of the repository. Each is authorised
 * against the person who sent it (rollout-authz.ts), done through the App's RolloutHost, and audited.
 */
import type { ParsedCommand } from "../chatops/index.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AuditEntry } from "../core/ports/store.js";
import { inlineCode } from "../reporting/index.js";
import type { AppContext } from "./context.js";
import type { EventJob } from "./on-event.js";
import { authorizeRolloutOp, describeWhoMay } from "./rollout-authz.js";
import type { RolloutHost } from "./rollout-host.js";
import { ABORT_ACTION, gatePolicyOf, listReleases, matchRelease, PROMOTE_ACTION, PROMOTE_FULL_ACTION, releaseKey, ROLLOUT_CHECK_PREFIX, rolloutCheckName, type RolloutOp, type RolloutRelease } from "./rollout-release.js";
import { renderStatusReply, summarizeState } from "./rollout-report.js";

export interface RolloutCommandContext {
  ctx: AppContext;
  repo: RepoRef;
  actor: string;
  /** The commenter's permission, when the framework read it already. */
  permission?: string;
}

export type RolloutCommandOutcome = { decision: AuditEntry["decision"]; reply?: string; reason?: string; sha?: string };

type Found = { key: string; release: RolloutRelease; host: RolloutHost };

const isOutcome = (v: object): v is RolloutCommandOutcome => "decision" in v;

async function findNamed(c: RolloutCommandContext, typed: string): Promise<Found | RolloutCommandOutcome> {
  const host = c.ctx.rollouts;
  if (!host) return { decision: "failed", reply: "This Tiphys does not host Rollouts (it has no cluster to reach them).", reason: "no rollout host" };
  const releases = await listReleases(c.ctx.store, c.repo);
  const m = matchRelease(releases, typed);
  if (m.ambiguous) return { decision: "refused", reply: `Several Rollouts are named ${inlineCode(typed)}: ${m.ambiguous.map(inlineCode).join(", ")}. Name one as \`namespace/name\`.`, reason: "ambiguous rollout" };
  if (!m.found) {
    const names = releases.map((r) => inlineCode(r.value.ref.name));
    const known = names.length > 0 ? `Its Rollouts: ${names.join(", ")}.` : "None of its apps has released a Rollout through Tiphys yet.";
    return { decision: "refused", reply: `No Rollout named ${inlineCode(typed)} was released from ${repoFullName(c.repo)}. ${known}`, reason: "unknown rollout" };
  }
  return { key: m.found.key, release: m.found.value, host };
}

const VERB_OF: Record<RolloutOp, string> = { promote: "promote", "promote-full": "promote", abort: "abort", retry: "retry", undo: "undo" };
const DONE: Record<RolloutOp, string> = { promote: "Promoted", "promote-full": "Fully promoted", abort: "Aborted", retry: "Retrying", undo: "Rolled back" };

async function operateNamed(c: RolloutCommandContext, found: Found, op: RolloutOp, toRevision?: number): Promise<RolloutCommandOutcome> {
  const { release, host, key } = found;
  const name = release.ref.name;
  const state = await host.status(release);
  const auth = await authorizeRolloutOp(c.ctx, { repo: c.repo, actor: c.actor, op, release, annotations: state.rollout.metadata.annotations, permission: c.permission });
  if (!auth.allowed) {
    return { decision: "refused", sha: release.sha, reason: auth.reason, reply: `\`/tiphys ${VERB_OF[op]} ${name}\` was refused: ${auth.reason}.\n\n${auth.whoMay}` };
  }
  const after = await host.operate(key, { op, by: c.actor, ...(toRevision !== undefined ? { toRevision } : {}) });
  const link = release.checkRunUrl ? `[\`${rolloutCheckName(name)}\`](${release.checkRunUrl})` : `\`${rolloutCheckName(name)}\``;
  return { decision: "done", sha: release.sha, reply: `${DONE[op]} ${inlineCode(name)}${toRevision !== undefined ? ` to revision ${toRevision}` : ""}: now ${summarizeState(after)}. The check run ${link} follows it.` };
}

async function named(c: RolloutCommandContext, cmd: ParsedCommand, op: RolloutOp, toRevision?: number): Promise<RolloutCommandOutcome> {
  const found = await findNamed(c, cmd.target!);
  return isOutcome(found) ? found : operateNamed(c, found, op, toRevision);
}

async function status(c: RolloutCommandContext, cmd: ParsedCommand): Promise<RolloutCommandOutcome> {
  if (cmd.target) {
    const found = await findNamed(c, cmd.target);
    if (isOutcome(found)) return found;
    const state = await found.host.status(found.release);
    const annotations = state.rollout.metadata.annotations;
    return { decision: "done", sha: found.release.sha, reply: renderStatusReply({ state, release: found.release, policy: gatePolicyOf(annotations), whoMay: describeWhoMay(c.repo, "promote", found.release, annotations) }) };
  }
  const host = c.ctx.rollouts;
  const releases = (await listReleases(c.ctx.store, c.repo)).slice(0, 30);
  if (!host || releases.length === 0) return { decision: "done", reply: `No Rollout of ${repoFullName(c.repo)}'s apps has been released through Tiphys yet.` };
  const rows = await Promise.all(
    releases.map(async ({ value: r }) => {
      const where = await host.status(r).then(summarizeState, (err: Error) => `unknown: ${err.message}`);
      return `| ${inlineCode(`${r.ref.namespace}/${r.ref.name}`)} | ${inlineCode(r.app)} | \`${r.sha.slice(0, 7)}\` | ${where.replace(/\|/g, "\\|")} |`;
    }),
  );
  return { decision: "done", reply: ["| Rollout | App | Commit | Where it stands |", "| --- | --- | --- | --- |", ...rows, "", "`/tiphys status <rollout>` for one in detail."].join("\n") };
}

/** Handlers by verb, for the command framework (commands.ts). */
export const ROLLOUT_COMMANDS: Record<string, (c: RolloutCommandContext, cmd: ParsedCommand) => Promise<RolloutCommandOutcome>> = {
  promote: (c, cmd) => named(c, cmd, cmd.flags.full === true ? "promote-full" : "promote"),
  abort: (c, cmd) => named(c, cmd, "abort"),
  undo: (c, cmd) => {
    const to = cmd.flags["to-revision"];
    return named(c, cmd, "undo", typeof to === "string" ? Number(to) : undefined);
  },
  status,
};

/** Who may do what a refused command asked of a Rollout (undefined when it names none). */
export async function rolloutWhoMay(c: RolloutCommandContext, cmd: ParsedCommand): Promise<{ whoMay: string; sha: string } | undefined> {
  if (!cmd.target || !c.ctx.rollouts) return undefined;
  try {
    const m = matchRelease(await listReleases(c.ctx.store, c.repo), cmd.target);
    if (!m.found) return undefined;
    const release = m.found.value;
    const state = await c.ctx.rollouts.status(release);
    const op: RolloutOp = cmd.verb === "promote" ? (cmd.flags.full === true ? "promote-full" : "promote") : (cmd.verb as RolloutOp);
    return { whoMay: describeWhoMay(c.repo, op, release, state.rollout.metadata.annotations), sha: release.sha };
  } catch (err) {
    c.ctx.log.warn({ err }, "reading who may operate a rollout failed");
    return undefined;
  }
}

/** `/tiphys retry <name>`: when the name is a Rollout of the repository, its retry; else undefined (a workflow). */
export async function retryRolloutNamed(c: RolloutCommandContext, typed: string): Promise<RolloutCommandOutcome | undefined> {
  if (!c.ctx.rollouts) return undefined;
  const m = matchRelease(await listReleases(c.ctx.store, c.repo), typed);
  if (m.ambiguous) return findNamed(c, typed) as Promise<RolloutCommandOutcome>;
  if (!m.found) return undefined;
  return operateNamed(c, { key: m.found.key, release: m.found.value, host: c.ctx.rollouts }, "retry");
}

export function isRolloutCheckRun(name: unknown): boolean {
  return typeof name === "string" && name.startsWith(ROLLOUT_CHECK_PREFIX);
}

const BUTTON_OPS: Record<string, RolloutOp> = { [PROMOTE_ACTION]: "promote", [PROMOTE_FULL_ACTION]: "promote-full", [ABORT_ACTION]: "abort" };
const LABELS: Record<string, string> = { promote: "Promote", "promote-full": "Promote full", abort: "Abort" };

/** A Promote / Promote full / Abort click: authorised against who clicked, audited, then done. */
export async function onRolloutCheckRunAction(ctx: AppContext, repo: RepoRef, ev: EventJob): Promise<void> {
  const p = ev.payload;
  const op = BUTTON_OPS[p.requested_action?.identifier ?? ""];
  const host = ctx.rollouts;
  if (!op || !host) return;
  const name = String(p.check_run.name).slice(ROLLOUT_CHECK_PREFIX.length);
  const sha: string = p.check_run.head_sha;
  const actor: string = p.sender?.login ?? "unknown";
  const audit = (decision: AuditEntry["decision"], reason?: string) =>
    ctx.store.audit({ at: ctx.now(), installationId: repo.installationId, repo: repoFullName(repo), actor, action: "button", target: `${op} ${name}`, sha, decision, reason });
  const mine = (await listReleases(ctx.store, repo)).filter((r) => r.value.ref.name === name);
  const hit = mine.find((r) => r.value.checkRunId === p.check_run.id) ?? mine.find((r) => r.value.sha === sha);
  if (!hit || hit.value.sha !== sha) {
    const reason = hit ? `the check run is of an earlier release (${sha.slice(0, 7)}); ${name} now releases ${hit.value.sha.slice(0, 7)}` : `no release of ${name} at ${sha.slice(0, 7)}`;
    ctx.log.info({ actor, rollout: name, reason }, "rollout button refused");
    ctx.metrics.commands.inc({ verb: op, decision: "refused" });
    return audit("refused", reason);
  }
  const release = hit.value;
  const state = await host.status(release);
  const auth = await authorizeRolloutOp(ctx, { repo, actor, isBot: p.sender?.type === "Bot", op, release, annotations: state.rollout.metadata.annotations });
  await audit(auth.allowed ? "allowed" : "refused", auth.allowed ? undefined : auth.reason);
  ctx.metrics.commands.inc({ verb: op, decision: auth.allowed ? "allowed" : "refused" });
  if (!auth.allowed) {
    ctx.log.info({ actor, rollout: name, reason: auth.reason }, "rollout button refused");
    return host.noteRefusal(release, actor, `@${actor} clicked **${LABELS[op]}**, which was refused: ${auth.reason}. ${auth.whoMay}`);
  }
  await host.operate(releaseKey(repo, release.ref), { op, by: actor });
}
