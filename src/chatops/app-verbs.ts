import type { VerbSpec } from "./registry.js";

/** The Application verbs of issue 5: sync, rollback, lock and unlock. */
export function applicationVerbs(p: string): VerbSpec[] {
  return [
    {
      verb: "sync",
      summary: "Sync an application now to the current commit of its targetRevision (also when it is locked, or has no automated sync); the result is its check run `tiphys/app/<app>`.",
      usage: `${p} sync <app> [--prune] [--dry-run]`,
      examples: [`${p} sync guestbook`, `${p} sync guestbook --prune`, `${p} sync guestbook --dry-run`],
      permission: "write",
      target: "required",
      flags: {
        prune: { summary: "Also delete what the app applied before and no longer renders." },
        "dry-run": { summary: "Say what would be applied, changing nothing." },
      },
    },
    {
      verb: "rollback",
      summary: "Sync an application to a revision of its history (default: the one before the last), hooks skipped, without changing its targetRevision. Refused while automated sync is on: lock the app first.",
      usage: `${p} rollback <app> [id]`,
      examples: [`${p} rollback guestbook`, `${p} rollback guestbook 3`],
      permission: "write",
      target: "required",
      extraArgs: 1,
      flags: { prune: { summary: "Also delete what the app applied and that revision does not render." } },
    },
    {
      verb: "lock",
      summary: "Stop an application from syncing automatically (a manual sync still works), saying why; shown in its check runs.",
      usage: `${p} lock <app> [reason...]`,
      examples: [`${p} lock guestbook`, `${p} lock guestbook database migration until 15:00`],
      permission: "write",
      target: "required",
      extraArgs: "any",
      flags: {},
    },
    {
      verb: "unlock",
      summary: "Let a locked application sync automatically again, from its next push.",
      usage: `${p} unlock <app>`,
      examples: [`${p} unlock guestbook`],
      permission: "write",
      target: "required",
      flags: {},
    },
  ];
}
