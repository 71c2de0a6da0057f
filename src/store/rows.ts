import type { Selectable } from "kysely";
import type { AuditEntry, Job, JobState, RunPhase, RunRow } from "../core/ports/store.js";
import type { AuditTable, JobsTable, RunsTable } from "./schema.js";

/** Conversions between table rows (snake_case, epoch ms, JSON text) and the port's values. */

export const toMs = (d: Date): number => d.getTime();
export const msOrNull = (d: Date | undefined): number | null => (d === undefined ? null : d.getTime());
const dateOrUndef = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(Number(ms)));
const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
const numOrUndef = (v: number | null): number | undefined => (v === null ? undefined : Number(v));

export const toJson = (value: unknown): string => JSON.stringify(value ?? null);
export const fromJson = <T>(text: string): T => JSON.parse(text) as T;

export function jobFromRow(r: Selectable<JobsTable>): Job {
  return {
    id: r.id,
    kind: r.kind,
    key: orUndef(r.key),
    installationId: Number(r.installation_id),
    repo: orUndef(r.repo),
    payload: fromJson(r.payload),
    runAt: new Date(Number(r.run_at)),
    deliveryId: orUndef(r.delivery_id),
    state: r.state as JobState,
    attempts: Number(r.attempts),
    lockedBy: orUndef(r.locked_by),
    lockedUntil: dateOrUndef(r.locked_until),
    error: orUndef(r.error),
  };
}

export function runFromRow(r: Selectable<RunsTable>): RunRow {
  return {
    id: r.id,
    installationId: Number(r.installation_id),
    repo: r.repo,
    workflowName: r.workflow_name,
    headSha: r.head_sha,
    ref: orUndef(r.ref),
    event: r.event,
    prNumber: numOrUndef(r.pr_number),
    checkRunId: numOrUndef(r.check_run_id),
    phase: r.phase as RunPhase,
    message: orUndef(r.message),
    workflow: fromJson(r.workflow),
    meta: fromJson(r.meta),
    ownerId: orUndef(r.owner_id),
    leaseUntil: dateOrUndef(r.lease_until),
    createdAt: new Date(Number(r.created_at)),
    startedAt: dateOrUndef(r.started_at),
    finishedAt: dateOrUndef(r.finished_at),
  };
}

export function runToRow(run: RunRow): Selectable<RunsTable> {
  return {
    id: run.id,
    installation_id: run.installationId,
    repo: run.repo,
    workflow_name: run.workflowName,
    head_sha: run.headSha,
    ref: run.ref ?? null,
    event: run.event,
    pr_number: run.prNumber ?? null,
    check_run_id: run.checkRunId ?? null,
    phase: run.phase,
    message: run.message ?? null,
    workflow: toJson(run.workflow),
    meta: toJson(run.meta ?? {}),
    owner_id: run.ownerId ?? null,
    lease_until: msOrNull(run.leaseUntil),
    created_at: toMs(run.createdAt),
    started_at: msOrNull(run.startedAt),
    finished_at: msOrNull(run.finishedAt),
  };
}

type RunPatch = Partial<Omit<RunRow, "id" | "createdAt">>;
type RunColumns = Partial<Omit<Selectable<RunsTable>, "id" | "created_at">>;

/**
 * The columns a partial update sets. A key present with the value `undefined` clears an optional field
 * (e.g. `{ ownerId: undefined }` releases a run); a required field given as `undefined` is left alone.
 */
export function runPatchToColumns(patch: RunPatch): RunColumns {
  const has = (k: keyof RunPatch): boolean => Object.prototype.hasOwnProperty.call(patch, k);
  const cols: RunColumns = {};
  if (patch.installationId !== undefined) cols.installation_id = patch.installationId;
  if (patch.repo !== undefined) cols.repo = patch.repo;
  if (patch.workflowName !== undefined) cols.workflow_name = patch.workflowName;
  if (patch.headSha !== undefined) cols.head_sha = patch.headSha;
  if (patch.event !== undefined) cols.event = patch.event;
  if (patch.phase !== undefined) cols.phase = patch.phase;
  if (patch.workflow !== undefined) cols.workflow = toJson(patch.workflow);
  if (patch.meta !== undefined) cols.meta = toJson(patch.meta);
  if (has("ref")) cols.ref = patch.ref ?? null;
  if (has("prNumber")) cols.pr_number = patch.prNumber ?? null;
  if (has("checkRunId")) cols.check_run_id = patch.checkRunId ?? null;
  if (has("message")) cols.message = patch.message ?? null;
  if (has("ownerId")) cols.owner_id = patch.ownerId ?? null;
  if (has("leaseUntil")) cols.lease_until = msOrNull(patch.leaseUntil);
  if (has("startedAt")) cols.started_at = msOrNull(patch.startedAt);
  if (has("finishedAt")) cols.finished_at = msOrNull(patch.finishedAt);
  return cols;
}

export function auditFromRow(r: Selectable<AuditTable>): AuditEntry {
  return {
    at: new Date(Number(r.at)),
    installationId: numOrUndef(r.installation_id),
    repo: orUndef(r.repo),
    actor: r.actor,
    action: r.action,
    target: orUndef(r.target),
    sha: orUndef(r.sha),
    decision: r.decision as AuditEntry["decision"],
    reason: orUndef(r.reason),
    details: r.details === null ? undefined : fromJson(r.details),
  };
}
