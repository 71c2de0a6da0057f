import type { VerbSpec } from "./registry.js";

/** GitHub's repository roles, lowest first. */
export const PERMISSIONS = ["read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What GitHub's "get repository permissions for a user" returns: `permission` is the legacy value
 * (`admin`/`write`/`read`/`none`, with maintain folded into write and triage into read), `role_name`
 * the actual role (`maintain`, `triage`, or an organisation's custom role name).
 */
export interface CollaboratorPermission {
  permission?: string | null;
  role_name?: string | null;
}

export type ActorPermission = string | CollaboratorPermission;

// Older endpoints (teams, invitations) say pull/push for read/write.
const ALIASES: Record<string, Permission> = { pull: "read", push: "write" };

/** 1 (read) to 5 (admin); 0 for `none`, an empty value, or a name GitHub's roles do not include. */
export function permissionRank(permission: string | null | undefined): number {
  const name = (permission ?? "").trim().toLowerCase();
  const known = ALIASES[name] ?? name;
  return PERMISSIONS.indexOf(known as Permission) + 1;
}

/**
 * The highest role an actor's permission stands for, or `none`. From the API object, the higher of
 * `permission` and `role_name` counts: a custom role name says nothing by itself, and the legacy value
 * alone would rank a maintainer as write.
 */
export function effectivePermission(actual: ActorPermission): Permission | "none" {
  const ranks =
    typeof actual === "string"
      ? [permissionRank(actual)]
      : [permissionRank(actual.permission), permissionRank(actual.role_name)];
  const rank = Math.max(...ranks);
  return rank === 0 ? "none" : PERMISSIONS[rank - 1];
}

/** Whether `actual` is at least `required`. `none` and unknown names meet nothing. */
export function meetsPermission(actual: ActorPermission, required: Permission): boolean {
  const have = effectivePermission(actual);
  return have !== "none" && permissionRank(have) >= permissionRank(required);
}

/** The permission a verb needs in this repository: the repo config's override, else the spec's own. */
export function requiredPermission(
  spec: Pick<VerbSpec, "verb" | "permission">,
  overrides?: Partial<Record<string, Permission>>,
): Permission {
  return overrides?.[spec.verb] ?? spec.permission;
}

export function isBotLogin(login: string): boolean {
  return login.toLowerCase().endsWith("[bot]");
}

export interface AuthorizeInput {
  spec: VerbSpec;
  actor: string;
  actorPermission: ActorPermission;
  /** The sender is a bot (`sender.type === "Bot"`); a login ending in `[bot]` counts too. */
  isBot?: boolean;
  /** Per-verb minimum permission from the repo config, read from the default branch (not the PR). */
  overrides?: Partial<Record<string, Permission>>;
}

export interface AuthorizeResult {
  allowed: boolean;
  reason: string;
  required: Permission;
  actual: Permission | "none";
}

/**
 * May `actor` run this command? Bots never may: a bot's comment quoting a command (or our own reply)
 * must not start anything, and one bot answering another can loop.
 */
export function authorize(input: AuthorizeInput): AuthorizeResult {
  const required = requiredPermission(input.spec, input.overrides);
  const actual = effectivePermission(input.actorPermission);
  const who = `@${input.actor}`;
  if (input.isBot === true || isBotLogin(input.actor)) {
    return { allowed: false, reason: `${who} is a bot, and bots may not run commands`, required, actual };
  }
  const has = actual === "none" ? "has no permission" : `has ${actual}`;
  const allowed = meetsPermission(actual, required);
  return { allowed, reason: `${input.spec.verb} needs ${required}; ${who} ${has}`, required, actual };
}
