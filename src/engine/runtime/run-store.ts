import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NodeStatus, WorkflowManifest, WorkflowStatus } from "../model/types.js";

/**
 * A run's state on disk, written as it changes: `workflow.json` (the prepared manifest, once),
 * `nodes.jsonl` (one line per node change, appended in batches), `status.json` (the small
 * workflow-level status, replaced atomically). Replaying the journal gives the latest node states,
 * so a killed run can be continued and a failed one retried.
 */
export interface RunMeta {
  name: string;
  file?: string;
  createdAt: string;
  executor: string;
  /** Serialised options the run was started with, to continue it the same way. */
  options?: Record<string, unknown>;
}

export interface RunRecord {
  meta: RunMeta;
  workflow: WorkflowManifest;
  status: Omit<WorkflowStatus, "nodes">;
  nodes: Record<string, NodeStatus>;
  dir: string;
}

/** Where a run's state goes as it changes (the file journal for the CLI; the store for the App). */
export interface RunSink {
  recordNode(node: NodeStatus): void;
  recordChild(parentId: string, childId: string): void;
  writeStatus(status: Omit<WorkflowStatus, "nodes">): void;
  flush(): void;
}

export class RunJournal implements RunSink {
  /** Nodes changed since the last write: a node that changes several times in a tick is written once. */
  private pendingNodes = new Map<string, NodeStatus>();
  private pendingChildren: string[] = [];
  private fd: number | undefined;
  private scheduled = false;

  constructor(readonly dir: string) {}

  static create(dataDir: string, meta: RunMeta, workflow: WorkflowManifest): RunJournal {
    const dir = join(dataDir, "runs", meta.name);
    mkdirSync(join(dir, "logs"), { recursive: true });
    writeFileSync(join(dir, "workflow.json"), JSON.stringify({ meta, workflow }, null, 2));
    const j = new RunJournal(dir);
    j.fd = openSync(join(dir, "nodes.jsonl"), "a");
    return j;
  }

  static reopen(dir: string): RunJournal {
    const j = new RunJournal(dir);
    j.fd = openSync(join(dir, "nodes.jsonl"), "a");
    return j;
  }

  get logsDir(): string {
    return join(this.dir, "logs");
  }

  /** Queues a node's new state; batches are written on the next tick (or when large). */
  recordNode(node: NodeStatus): void {
    this.pendingNodes.set(node.id, node);
    this.schedule();
  }

  /** A child link as its own small line: re-writing a parent with thousands of children would be quadratic. */
  recordChild(parentId: string, childId: string): void {
    this.pendingChildren.push(JSON.stringify({ child: [parentId, childId] }));
    this.schedule();
  }

  private schedule(): void {
    if (this.pendingNodes.size + this.pendingChildren.length >= 2048) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Replaces the workflow-level status (phase, times, message, outputs). */
  writeStatus(status: Omit<WorkflowStatus, "nodes">): void {
    this.flush();
    const tmp = join(this.dir, "status.json.tmp");
    writeFileSync(tmp, JSON.stringify(status));
    renameSync(tmp, join(this.dir, "status.json"));
  }

  flush(): void {
    this.scheduled = false;
    if ((this.pendingNodes.size === 0 && this.pendingChildren.length === 0) || this.fd === undefined) return;
    // Nodes before child links, so a link never precedes the first record of its parent.
    const lines: string[] = [];
    for (const n of this.pendingNodes.values()) lines.push(JSON.stringify(n));
    lines.push(...this.pendingChildren);
    this.pendingNodes = new Map();
    this.pendingChildren = [];
    writeSync(this.fd, lines.join("\n") + "\n");
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** Rewrites the journal as one line per node (after a retry reset nodes). */
  compact(nodes: Iterable<NodeStatus>): void {
    this.close();
    const tmp = join(this.dir, "nodes.jsonl.tmp");
    const lines: string[] = [];
    for (const n of nodes) lines.push(JSON.stringify(n));
    writeFileSync(tmp, lines.length ? lines.join("\n") + "\n" : "");
    renameSync(tmp, join(this.dir, "nodes.jsonl"));
    this.fd = openSync(join(this.dir, "nodes.jsonl"), "a");
  }

  appendEvent(line: string): void {
    appendFileSync(join(this.dir, "events.log"), line + "\n");
  }
}

export function runsDir(dataDir: string): string {
  return join(dataDir, "runs");
}

/** Loads a run by name (or the most recent one for `@latest`). */
export function loadRun(dataDir: string, name: string): RunRecord {
  const base = runsDir(dataDir);
  let runName = name;
  if (name === "@latest") {
    if (!existsSync(base)) throw new Error(`no runs in ${base}`);
    const all = readdirSync(base)
      .filter((n) => existsSync(join(base, n, "workflow.json")))
      .map((n) => ({ n, t: statSync(join(base, n, "workflow.json")).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    if (all.length === 0) throw new Error(`no runs in ${base}`);
    runName = all[0].n;
  }
  const dir = join(base, runName);
  if (!existsSync(join(dir, "workflow.json"))) throw new Error(`run "${name}" not found in ${base}`);
  const { meta, workflow } = JSON.parse(readFileSync(join(dir, "workflow.json"), "utf8")) as {
    meta: RunMeta;
    workflow: WorkflowManifest;
  };
  const status = existsSync(join(dir, "status.json"))
    ? (JSON.parse(readFileSync(join(dir, "status.json"), "utf8")) as Omit<WorkflowStatus, "nodes">)
    : { phase: "Running" as const };
  const nodes: Record<string, NodeStatus> = {};
  const childSets = new Map<string, Set<string>>();
  const journal = existsSync(join(dir, "nodes.jsonl")) ? readFileSync(join(dir, "nodes.jsonl"), "utf8") : "";
  for (const line of journal.split("\n")) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as NodeStatus | { child: [string, string] };
      if ("child" in entry) {
        const parent = nodes[entry.child[0]];
        if (parent) {
          const children = (parent.children ??= []);
          let set = childSets.get(parent.id);
          if (!set) childSets.set(parent.id, (set = new Set(children)));
          if (!set.has(entry.child[1])) {
            set.add(entry.child[1]);
            children.push(entry.child[1]);
          }
        }
      } else {
        nodes[entry.id] = entry;
        childSets.delete(entry.id);
      }
    } catch {
      // A line cut short by a kill is the last one; everything before it stands.
    }
  }
  return { meta, workflow, status, nodes, dir };
}
