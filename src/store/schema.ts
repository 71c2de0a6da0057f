import type { Generated } from "kysely";

/**
 * The tables as Kysely sees them. Portable column types only: text, integer, bigint. Times are epoch
 * milliseconds in bigint columns (PostgreSQL's int8 is parsed to a number by the pool, see dialects.ts);
 * JSON is stored as text and parsed by the adapter.
 */

export type DialectName = "sqlite" | "postgres";

export interface DeliveriesTable {
  id: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  repo: string | null;
  received_at: number;
  /** "received" until the worker marks it "done" or "failed". */
  state: string;
  error: string | null;
  updated_at: number;
}

export interface JobsTable {
  id: string;
  kind: string;
  key: string | null;
  installation_id: number;
  repo: string | null;
  /** JSON. */
  payload: string;
  run_at: number;
  delivery_id: string | null;
  state: string;
  attempts: number;
  locked_by: string | null;
  locked_until: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  installation_id: number;
  repo: string;
  workflow_name: string;
  head_sha: string;
  ref: string | null;
  event: string;
  pr_number: number | null;
  check_run_id: number | null;
  phase: string;
  message: string | null;
  /** JSON: the prepared WorkflowManifest. */
  workflow: string;
  /** JSON object. */
  meta: string;
  owner_id: string | null;
  lease_until: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface RunNodesTable {
  run_id: string;
  node_id: string;
  /** JSON: the NodeStatus. */
  status: string;
}

/** A node's log as chunks in append order; the oldest are deleted past the size limit. */
export interface NodeLogsTable {
  run_id: string;
  node_id: string;
  seq: number;
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
  /** 1 when output before this chunk was dropped as it was written (a chunk larger than the limit). */
  cut: number;
}

export interface AuditTable {
  id: Generated<number>;
  at: number;
  installation_id: number | null;
  repo: string | null;
  actor: string;
  action: string;
  target: string | null;
  sha: string | null;
  decision: string;
  reason: string | null;
  /** JSON object. */
  details: string | null;
}

export interface LocksTable {
  name: string;
  owner: string;
  expires_at: number;
}

export interface KvTable {
  namespace: string;
  key: string;
  /** JSON. */
  value: string;
  updated_at: number;
}

export interface Database {
  deliveries: DeliveriesTable;
  jobs: JobsTable;
  runs: RunsTable;
  run_nodes: RunNodesTable;
  node_logs: NodeLogsTable;
  audit: AuditTable;
  locks: LocksTable;
  kv: KvTable;
}
