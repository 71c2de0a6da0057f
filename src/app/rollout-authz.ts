/**
 * Who may operate a Rollout release. Write permission on the repository by default, for every operation.
 * Promotion (promote, promote --full) may be narrowed by the Rollout: `tiphys.io/promoters` lists the
 * people and teams who may promote, and `tiphys.io/require-second-person: "true"` keeps the author of
 * the change (its pull requests' authors, or the pusher) from promoting it. Abort, retry and undo stay
 * open to anyone with write permission: stopping or rolling back a bad release must not wait for a
 * promoter. Every command and every click is authorised again against the person who sent it.
 */
import { isBotLogin, meetsPermission } from "../chatops/index.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { AppContext } from "./context.js";
import { describePromoters, promotersOf, requiresSecondPerson, PROMOTERS_ANNOTATION, SECOND_PERSON_ANNOTATION, type RolloutOp, type RolloutRelease } from "./rollout-release.js";

export interface RolloutAuthInput {
  repo: RepoRef;
  actor: string;
  isBot?: boolean;
  op: RolloutOp;
  release: RolloutRelease;
  /** The Rollout's annotations as the cluster has them. */
  annotations: Record<string, string> | undefined;
  /** The actor's permission when already read (a comment's commands read it once). */
  permission?: string;
}

export interface RolloutAuth {
  allowed: boolean;
  /** Why (for the audit log and the refusal). */
  reason: string;
  /** Who may do it, in a sentence. */
  whoMay: string;
}

const isPromotion = (op: RolloutOp) => op === "promote" || op === "promote-full";
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** "Who may promote `web`: people with write permission on o/r who are one of @a, @o/t, other than …". */
export function describeWhoMay(repo: RepoRef, op: RolloutOp, release: RolloutRelease, annotations: Record<string, string> | undefined): string {
  const verb = op === "promote-full" ? "promote" : op;
  let text = `people with write permission on ${repoFullName(repo)}`;
  if (isPromotion(op)) {
    const promoters = promotersOf(annotations);
    if (promoters) text += ` who are one of ${describePromoters(promoters)} (\`${PROMOTERS_ANNOTATION}\`)`;
    const authors = release.github?.authors ?? (release.pushedBy ? [release.pushedBy] : []);
    if (requiresSecondPerson(annotations) && authors.length > 0) {
      text += `, other than the change's author${authors.length > 1 ? "s" : ""} ${authors.map((a) => `@${a}`).join(", ")} (\`${SECOND_PERSON_ANNOTATION}\`)`;
    }
  }
  return `Who may ${verb} \`${release.ref.name}\`: ${text}.`;
}

async function inPromoters(ctx: AppContext, input: RolloutAuthInput): Promise<{ ok: boolean; note?: string }> {
  const promoters = promotersOf(input.annotations);
  if (!promoters) return { ok: true };
  if (promoters.users.some((u) => same(u, input.actor))) return { ok: true };
  const notes: string[] = [];
  for (const team of promoters.teams) {
    try {
      if (await ctx.github.isTeamMember(input.repo, team.org, team.slug, input.actor)) return { ok: true };
    } catch (err) {
      // Most often the installation lacks `members: read`: said in the refusal, so that it can be fixed.
      ctx.log.warn({ err, team: `${team.org}/${team.slug}` }, "reading a team membership failed");
      notes.push(`the membership of @${team.org}/${team.slug} could not be read (${(err as Error).message})`);
    }
  }
  return { ok: false, ...(notes.length ? { note: notes.join("; ") } : {}) };
}

/** The decision for one operation by one person. */
export async function authorizeRolloutOp(ctx: AppContext, input: RolloutAuthInput): Promise<RolloutAuth> {
  const whoMay = describeWhoMay(input.repo, input.op, input.release, input.annotations);
  const who = `@${input.actor}`;
  const refuse = (reason: string): RolloutAuth => ({ allowed: false, reason, whoMay });
  if (input.isBot === true || isBotLogin(input.actor)) return refuse(`${who} is a bot, and bots may not operate rollouts`);
  const permission = input.permission ?? (await ctx.github.getPermission(input.repo, input.actor));
  if (!meetsPermission(permission, "write")) return refuse(`${input.op} needs write permission; ${who} has ${permission === "none" || !permission ? "no permission" : permission}`);
  if (isPromotion(input.op)) {
    const member = await inPromoters(ctx, input);
    if (!member.ok) return refuse(`${who} is not one of the promoters of ${input.release.ref.name}${member.note ? `; ${member.note}` : ""}`);
    const authors = input.release.github?.authors ?? (input.release.pushedBy ? [input.release.pushedBy] : []);
    if (requiresSecondPerson(input.annotations) && authors.some((a) => same(a, input.actor))) {
      return refuse(`${who} is the author of this change, and ${input.release.ref.name} requires a second person to promote it`);
    }
  }
  return { allowed: true, reason: `${who} may ${input.op}`, whoMay };
}
