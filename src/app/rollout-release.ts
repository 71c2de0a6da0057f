/**
 * What the App keeps about each Rollout release it hosts, in the store (namespace `rollout-release`,
 * keyed `<owner>/<repo>/<namespace>/<name>`): the GitHub context of the release (repository, deployed
 * commit, app, check run, comments, the pull requests that brought it and their authors) and the gate
 * the release waits at, with its deadline. The release's progress itself (step, revisions, pauses)
 * lives in the cluster, on the Rollout; a restarted App reads it from there. Also the names and the
 * annotations of the Rollout that steer the gates, read by pure functions.
 */
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { Store } from "../core/ports/store.js";
import { parseGoDuration } from "../engine/model/durations.js";
import type { ApplicationDestination } from "../reconcilers/application/types.js";
import type { RolloutRef } from "../reconcilers/rollout/controller.js";

export const RELEASE_NS = "rollout-release";
export const ROLLOUT_CHECK_PREFIX = "tiphys/rollout/";
export const rolloutCheckName = (name: string) => `${ROLLOUT_CHECK_PREFIX}${name}`;

/** The identifiers of the gate check run's buttons (GitHub allows 20 characters). */
export const PROMOTE_ACTION = "promote";
export const PROMOTE_FULL_ACTION = "promote-full";
export const ABORT_ACTION = "abort";

export const PROMOTERS_ANNOTATION = "tiphys.io/promoters";
export const SECOND_PERSON_ANNOTATION = "tiphys.io/require-second-person";
export const GATE_TIMEOUT_ANNOTATION = "tiphys.io/gate-timeout";
export const GATE_TIMEOUT_ACTION_ANNOTATION = "tiphys.io/gate-timeout-action";
export const DEFAULT_GATE_TIMEOUT = "24h";

export type RolloutOp = "promote" | "promote-full" | "abort" | "retry" | "undo";

export function releaseKey(repo: Pick<RepoRef, "owner" | "name">, ref: RolloutRef): string {
  return `${repoFullName(repo)}/${ref.namespace}/${ref.name}`;
}

/** The store lock held by the replica driving a release (one controller run per rollout at a time). */
export function driveLockName(key: string): string {
  return `rollout:${key}`;
}

/** The hidden marker key of the release comment: `<!-- tiphys:rollout:<ns>/<name> -->`. */
export function commentKeyOf(ref: RolloutRef): string {
  return `rollout:${ref.namespace}/${ref.name}`;
}

export interface GateRecord {
  reason: string;
  /** When the rollout paused (from its status), ISO. */
  since: string;
  /** When the timeout action happens, ISO; kept so that a restart keeps the same deadline. */
  deadline: string;
  action: "abort" | "promote";
  /** The timeout as written (`24h`). */
  timeout: string;
  /** The step the gate is at (canary), for messages. */
  step?: number;
}

export interface OperationRecord {
  op: RolloutOp | "gate-timeout";
  by: string;
  at: string;
  detail?: string;
}

export interface RolloutRelease {
  repo: RepoRef;
  app: string;
  destination: ApplicationDestination;
  ref: RolloutRef;
  /** The commit deployed. */
  sha: string;
  startedAt: string;
  /** Who pushed the commit (the second-person rule's author of a direct push). */
  pushedBy?: string;
  /** Filled once the release's GitHub context was looked up. */
  github?: {
    pullRequests: number[];
    /** The change's authors: the pull requests' authors, else the pusher. */
    authors: string[];
  };
  /** The Rollout's revision and pod template hash this release brings (after its first reconcile). */
  revision?: number;
  podTemplateHash?: string;
  /** The release this one replaces at the same key, to go back to when the sync changed nothing of the Rollout. */
  previous?: Omit<RolloutRelease, "previous">;
  checkRunId?: number;
  checkRunUrl?: string;
  /** Our comment per pull request number; `commit` for the commit comment of a direct push. */
  comments: Record<string, number>;
  /** Digests of what was written last, so that nothing is written again when nothing changed. */
  written: { check?: string; comment?: string };
  gate?: GateRecord;
  operations: OperationRecord[];
  /** A refused click or command, shown in the comment until the next change. */
  refusal?: { by: string; text: string; at: string };
  finished?: { phase: string; conclusion: "success" | "failure" | "neutral"; at: string; message: string };
}

export async function readRelease(store: Store, key: string): Promise<RolloutRelease | undefined> {
  return store.getValue<RolloutRelease>(RELEASE_NS, key);
}

export async function listReleases(store: Store, repo?: Pick<RepoRef, "owner" | "name">): Promise<Array<{ key: string; value: RolloutRelease }>> {
  return store.listValues<RolloutRelease>(RELEASE_NS, repo ? `${repoFullName(repo)}/` : undefined);
}

/**
 * A Rollout named in a command: `name` or `namespace/name`, among the releases of the repository.
 * Several namespaces with the same name must be told apart.
 */
export function matchRelease(releases: Array<{ key: string; value: RolloutRelease }>, typed: string): { found?: { key: string; value: RolloutRelease }; ambiguous?: string[] } {
  const [ns, name] = typed.includes("/") ? (typed.split("/", 2) as [string, string]) : [undefined, typed];
  const hits = releases.filter((r) => r.value.ref.name === name && (ns === undefined || r.value.ref.namespace === ns));
  if (hits.length === 1) return { found: hits[0] };
  if (hits.length > 1) return { ambiguous: hits.map((h) => `${h.value.ref.namespace}/${h.value.ref.name}`) };
  return {};
}

export interface GatePolicy {
  timeoutMs: number;
  timeout: string;
  action: "abort" | "promote";
  /** An annotation that could not be read (the default applies, and the report says so). */
  problem?: string;
}

/** `tiphys.io/gate-timeout` (Go duration, default 24h) and `tiphys.io/gate-timeout-action` (abort or promote). */
export function gatePolicyOf(annotations: Record<string, string> | undefined): GatePolicy {
  const problems: string[] = [];
  let timeout = annotations?.[GATE_TIMEOUT_ANNOTATION]?.trim() || DEFAULT_GATE_TIMEOUT;
  let timeoutMs: number;
  try {
    timeoutMs = parseGoDuration(timeout, GATE_TIMEOUT_ANNOTATION);
    if (timeoutMs <= 0) throw new Error("not positive");
  } catch {
    problems.push(`\`${GATE_TIMEOUT_ANNOTATION}: ${timeout}\` is not a positive duration (like 30m, 24h); ${DEFAULT_GATE_TIMEOUT} applies`);
    timeout = DEFAULT_GATE_TIMEOUT;
    timeoutMs = parseGoDuration(DEFAULT_GATE_TIMEOUT);
  }
  const rawAction = annotations?.[GATE_TIMEOUT_ACTION_ANNOTATION]?.trim().toLowerCase() || "abort";
  let action: "abort" | "promote" = "abort";
  if (rawAction === "promote") action = "promote";
  else if (rawAction !== "abort") problems.push(`\`${GATE_TIMEOUT_ACTION_ANNOTATION}: ${rawAction}\` is neither abort nor promote; abort applies`);
  return { timeoutMs, timeout, action, ...(problems.length ? { problem: problems.join("; ") } : {}) };
}

export interface Promoters {
  users: string[];
  teams: Array<{ org: string; slug: string }>;
}

/** `tiphys.io/promoters: "@org/team, alice, @bob"`: undefined when the annotation is absent or empty. */
export function promotersOf(annotations: Record<string, string> | undefined): Promoters | undefined {
  const raw = annotations?.[PROMOTERS_ANNOTATION];
  if (!raw || raw.trim() === "") return undefined;
  const out: Promoters = { users: [], teams: [] };
  for (const word of raw.split(/[\s,]+/)) {
    const w = word.replace(/^@/, "").trim();
    if (!w) continue;
    const slash = w.indexOf("/");
    if (slash > 0) out.teams.push({ org: w.slice(0, slash), slug: w.slice(slash + 1) });
    else out.users.push(w);
  }
  return out.users.length + out.teams.length > 0 ? out : undefined;
}

export function requiresSecondPerson(annotations: Record<string, string> | undefined): boolean {
  return /^(true|yes|1)$/i.test(annotations?.[SECOND_PERSON_ANNOTATION]?.trim() ?? "");
}

/** "@alice, @org/team": promoters as people write them. */
export function describePromoters(p: Promoters): string {
  return [...p.users.map((u) => `@${u}`), ...p.teams.map((t) => `@${t.org}/${t.slug}`)].join(", ");
}
