import type { NodeStatus, WorkflowManifest, WorkflowPhase } from "../../engine/model/types.js";

/**
 * The Store port: what the bot itself must not lose. Two adapters implement it over one query layer
 * (src/store/): an embedded file database (SQLite, in TIPHYS_DATA_DIR) and PostgreSQL (DATABASE_URL)
 * for several replicas. Every method is safe to call from several replicas at once.
 */

export interface DeliveryInput {
  /** GitHub's X-GitHub-Delivery id. */
  id: string;
  event: string;
  action?: string;
  installationId?: number;
  repo?: string;
  receivedAt: Date;
}

export type JobState = "queued" | "running" | "done" | "failed";

export interface JobInput {
  /** What the worker does with it, e.g. "push", "pull_request", "command", "cron". */
  kind: string;
  /** Unique key: a second enqueue with the same key is ignored (a schedule fires once across replicas). */
  key?: string;
  installationId: number;
  repo?: string;
  payload: unknown;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** The delivery this job came from, if any. */
  deliveryId?: string;
}

export interface Job extends Required<Pick<JobInput, "kind" | "installationId" | "payload">> {
  id: string;
  key?: string;
  repo?: string;
  deliveryId?: string;
  state: JobState;
  attempts: number;
  runAt: Date;
  lockedBy?: string;
  lockedUntil?: Date;
  error?: string;
}

export interface ClaimOptions {
  /** The replica claiming (its id), so leases can be renewed and released. */
  worker: string;
  /** At most this many jobs. */
  limit: number;
  /** The lease: a job whose lease ran out (its replica died) can be claimed again. */
  leaseMs: number;
  /** Fair share: an installation with this many running jobs gets no more until one ends. */
  perInstallationLimit?: number;
  /** Only jobs of these kinds (fair share then counts only their running jobs). */
  kinds?: string[];
  now?: Date;
}

export type RunPhase = WorkflowPhase;

export interface RunRow {
  /** The workflow's metadata.name (unique). */
  id: string;
  installationId: number;
  repo: string;
  /** The workflow's name as the repo declares it (check run `tiphys/workflow/<workflowName>`). */
  workflowName: string;
  headSha: string;
  ref?: string;
  event: string;
  prNumber?: number;
  checkRunId?: number;
  phase: RunPhase;
  message?: string;
  /** The prepared manifest the run executes. */
  workflow: WorkflowManifest;
  /** Anything else the App needs to continue the run (trigger, options). */
  meta: Record<string, unknown>;
  /** The replica currently executing it, and until when its lease holds. */
  ownerId?: string;
  leaseUntil?: Date;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

export interface RunFilter {
  repo?: string;
  workflowName?: string;
  prNumber?: number;
  headSha?: string;
  phases?: RunPhase[];
  installationId?: number;
  limit?: number;
}

export interface AuditEntry {
  at: Date;
  installationId?: number;
  repo?: string;
  actor: string;
  /** "command", "button", "approval", ... */
  action: string;
  target?: string;
  sha?: string;
  decision: "allowed" | "refused" | "done" | "failed";
  reason?: string;
  details?: Record<string, unknown>;
}

/** Output of one node to append to its stored log (text as printed, lines ending in "\n"). */
export interface NodeLogChunk {
  nodeId: string;
  text: string;
}

export interface NodeLogText {
  text: string;
  /** The text does not start at the beginning of the log (the store kept only its end, or a tail was asked for). */
  truncated: boolean;
}

/** What a node's stored log keeps by default: its last 1 MiB. */
export const NODE_LOG_MAX_BYTES = 1024 * 1024;

export interface Store {
  /** Records a delivery and queues its job in one transaction; false (and nothing queued) for a redelivery. */
  acceptDelivery(d: DeliveryInput, job: JobInput): Promise<boolean>;
  /** Several at once, in one transaction (group commit under bursts); one result per item, in order. */
  acceptDeliveries(items: Array<{ delivery: DeliveryInput; job: JobInput }>): Promise<boolean[]>;
  /** Records a delivery; false when its id was already recorded (a redelivery: process it once). */
  recordDelivery(d: DeliveryInput): Promise<boolean>;
  markDelivery(id: string, state: "done" | "failed", error?: string): Promise<void>;
  hasDelivery(id: string): Promise<boolean>;

  /** Queues a job; returns its id, or undefined when a job with the same key exists. */
  enqueue(job: JobInput): Promise<string | undefined>;
  /** Claims due jobs atomically (no two replicas get the same job). */
  claimJobs(opts: ClaimOptions): Promise<Job[]>;
  completeJob(id: string, worker: string): Promise<void>;
  /** Ends a job as failed, or puts it back in the queue for `retryAt`. */
  failJob(id: string, worker: string, error: string, retryAt?: Date): Promise<void>;
  countJobs(state?: JobState): Promise<number>;

  createRun(run: RunRow): Promise<void>;
  updateRun(id: string, patch: Partial<Omit<RunRow, "id" | "createdAt">>): Promise<void>;
  getRun(id: string): Promise<RunRow | undefined>;
  findRuns(filter: RunFilter): Promise<RunRow[]>;
  /**
   * Takes over runs whose lease expired (their replica died) or that no one owns, for `worker`,
   * returning them; used at start and periodically to resume interrupted runs.
   */
  adoptRuns(worker: string, leaseMs: number, now?: Date): Promise<RunRow[]>;
  /** Extends the lease of every unfinished run `worker` owns. */
  renewRunLeases(worker: string, leaseMs: number, now?: Date): Promise<void>;
  /** Upserts node states by (run id, node id). */
  saveNodes(runId: string, nodes: NodeStatus[]): Promise<void>;
  loadNodes(runId: string): Promise<Record<string, NodeStatus>>;
  /** Replaces a run's node states with exactly these (after a retry reset some). */
  replaceNodes(runId: string, nodes: NodeStatus[]): Promise<void>;
  /** Removes a run, its node states and its logs (a CronWorkflow's history limits). */
  deleteRun(runId: string): Promise<void>;

  /**
   * Appends output to the logs of a run's nodes, in one transaction; each node's log keeps at most
   * its last `maxBytes` (default NODE_LOG_MAX_BYTES), whole chunks dropped from the start first.
   */
  appendNodeLogs(runId: string, chunks: NodeLogChunk[], opts?: { maxBytes?: number }): Promise<void>;
  /** A node's stored log, or only its last `tailBytes`; undefined when it has none. */
  readNodeLog(runId: string, nodeId: string, opts?: { tailBytes?: number }): Promise<NodeLogText | undefined>;

  audit(entry: AuditEntry): Promise<void>;
  listAudit(filter?: { repo?: string; limit?: number }): Promise<AuditEntry[]>;

  /** A named lock with an owner and a time to live; true when this owner holds it now. */
  tryLock(name: string, owner: string, ttlMs: number, now?: Date): Promise<boolean>;
  unlock(name: string, owner: string): Promise<void>;

  /** Small keyed values (cron last-scheduled times, approvals, sensor state, config cache). */
  getValue<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  putValue(namespace: string, key: string, value: unknown): Promise<void>;
  deleteValue(namespace: string, key: string): Promise<void>;
  listValues<T = unknown>(namespace: string, prefix?: string): Promise<Array<{ key: string; value: T }>>;

  /** True when the database answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
