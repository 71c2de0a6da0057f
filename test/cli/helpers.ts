/**
 * Helpers for the CLI tests: they spawn the real `tiphys` command (`node bin/tiphys.js`, which loads
 * dist/, so build first) as a child process, each test in a workspace of its own.
 *
 * A workspace is a fresh folder under `testWorkRoot(REPO, "test-cli")` (the repo's git-ignored
 * `.tiphys-data/`, or /var/tmp when the checkout is under /tmp; in any case outside
 * /tmp on purpose: each step gets a private /tmp through a mount namespace, so a file a step must
 * share with the test, such as a counter, has to live elsewhere). It holds the data dir
 * (`TIPHYS_DATA_DIR`) and any fixture files. Every command it spawns carries a marker in its
 * environment, which steps inherit; `dispose()` kills whatever still carries the marker (the
 * command itself and steps left behind by a SIGKILLed run, which run in process groups of their own)
 * and removes the folder.
 */
import { testWorkRoot } from "../support/work-root.js";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(REPO, "bin", "tiphys.js");
/** The Argo Workflows compatibility corpus (../shared beside the checkout, see README). */
export const CORPUS = resolve(REPO, "..", "shared", "corpus", "argo-workflows");
const WORK_ROOT = testWorkRoot(REPO, "test-cli");

export interface CommandResult {
  /** Exit code, or null when the process ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The command hit its timeout and was killed. */
  timedOut: boolean;
  /**
   * The command exited but its stdout/stderr stayed open (a process it started still held them), so
   * the output was cut 2 s after the exit.
   */
  outputHeldOpen: boolean;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL) after this long; every command has one. Default 60 s. */
  timeoutMs?: number;
  /** Options for node itself, before the script (e.g. `--max-old-space-size=64`). */
  nodeArgs?: string[];
}

/** A running `tiphys` command. */
export class Running {
  stdout = "";
  stderr = "";
  readonly done: Promise<CommandResult>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly child: ChildProcess,
    timeoutMs: number,
  ) {
    const started = performance.now();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      this.stdout += s;
      this.notify();
    });
    child.stderr!.setEncoding("utf8").on("data", (s: string) => {
      this.stderr += s;
      this.notify();
    });
    let outputHeldOpen = false;
    this.done = new Promise((resolveDone, reject) => {
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // 'close' waits for stdout and stderr to close too; a process the command left behind can hold
      // them open, so give up on them a while after the exit.
      child.on("exit", () => {
        clearTimeout(timer);
        setTimeout(() => {
          if (child.stdout!.closed && child.stderr!.closed) return;
          outputHeldOpen = true;
          child.stdout!.destroy();
          child.stderr!.destroy();
        }, 2000).unref();
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        this.notify();
        resolveDone({ code, signal, stdout: this.stdout, stderr: this.stderr, durationMs: performance.now() - started, timedOut, outputHeldOpen });
      });
    });
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once stdout+stderr match `pattern`; rejects on timeout or if the command ends first. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolveWait, reject) => {
      const check = () => {
        const m = (this.stderr + "\n" + this.stdout).match(pattern);
        if (m) {
          finish();
          resolveWait(m);
        } else if (this.exited) {
          finish();
          reject(new Error(`command ended before printing ${pattern}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }
}

/** Processes whose environment holds `KEY=value` (Linux /proc; others are skipped). */
export function processesWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}\0`;
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, "latin1").includes(needle)) out.push(Number(e));
    } catch {
      // gone already, or not ours
    }
  }
  return out;
}

const MARKER = "TIPHYS_TEST_MARKER";

export interface WorkspaceOptions {
  /** Called with the dispose function, e.g. the test context's `onTestFinished`. */
  onFinished?: (fn: () => void | Promise<void>) => void;
}

/** A test's own folder, data dir and processes. */
export class Workspace {
  readonly dir: string;
  readonly dataDir: string;
  readonly marker = randomUUID();
  private readonly children = new Set<Running>();

  constructor(opts: WorkspaceOptions = {}) {
    mkdirSync(WORK_ROOT, { recursive: true });
    this.dir = mkdtempSync(join(WORK_ROOT, "ws-"));
    this.dataDir = join(this.dir, "data");
    opts.onFinished?.(() => this.dispose());
  }

  /** Writes a file under the workspace and returns its absolute path. */
  write(name: string, text: string): string {
    const p = join(this.dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Starts `tiphys ...args` with this workspace's data dir, NO_COLOR and the marker. */
  spawn(args: string[], opts: SpawnOptions = {}): Running {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, TIPHYS_DATA_DIR: this.dataDir, NO_COLOR: "1", FORCE_COLOR: undefined, [MARKER]: this.marker, ...opts.env })) {
      if (v !== undefined) env[k] = v;
    }
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
      cwd: opts.cwd ?? this.dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const r = new Running(child, opts.timeoutMs ?? 60_000);
    this.children.add(r);
    void r.done.finally(() => this.children.delete(r)).catch(() => {});
    return r;
  }

  /** Runs `tiphys ...args` to the end. */
  run(args: string[], opts: SpawnOptions = {}): Promise<CommandResult> {
    return this.spawn(args, opts).done;
  }

  /** Processes started by this workspace's commands that are still alive (steps included). */
  liveProcesses(): number[] {
    return processesWithEnv(MARKER, this.marker);
  }

  /** Kills every process of this workspace (SIGKILL to each and to its process group). */
  killAll(): void {
    for (const r of this.children) r.kill("SIGKILL");
    for (let round = 0; round < 3; round++) {
      const pids = this.liveProcesses();
      if (pids.length === 0) return;
      for (const pid of pids) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, "SIGKILL");
          } catch {
            // not a group leader, or gone
          }
        }
      }
    }
  }

  async dispose(): Promise<void> {
    this.killAll();
    await Promise.all([...this.children].map((r) => r.done.catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** A workspace disposed when the test ends (pass the test context: works with concurrent tests). */
export function workspace(ctx: { onTestFinished: (fn: () => void | Promise<void>) => void }): Workspace {
  return new Workspace({ onFinished: (fn) => ctx.onTestFinished(fn) });
}

/** Parses stdout that must be exactly one JSON document. */
export function parseJson<T = WorkflowJson>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

export interface NodeJson {
  id: string;
  name: string;
  displayName: string;
  type: string;
  templateName?: string;
  templateRef?: { name: string; template: string; clusterScope?: boolean };
  phase: string;
  message?: string;
  boundaryID?: string;
  children?: string[];
  startedAt?: string;
  finishedAt?: string;
  outputs?: { result?: string; exitCode?: string; parameters?: Array<{ name: string; value?: string }> };
  inputs?: { parameters?: Array<{ name: string; value?: string }> };
  outboundNodes?: string[];
  memoizationStatus?: { hit: boolean; key: string; cacheName: string };
}

export interface WorkflowJson {
  apiVersion: string;
  kind: string;
  metadata: { name: string; generateName?: string; [k: string]: unknown };
  spec: Record<string, unknown>;
  status: {
    phase: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    progress?: string;
    nodes: Record<string, NodeJson>;
    outputs?: { parameters?: Array<{ name: string; value?: string }> };
  };
}

/** Argo's node id: the workflow name for the root, else `<workflow>-<fnv-1a 32 of the node name>`. */
export function argoNodeId(workflowName: string, nodeName: string): string {
  if (nodeName === workflowName) return workflowName;
  let h = 0x811c9dc5;
  for (const b of Buffer.from(nodeName, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${workflowName}-${h}`;
}

/** The node with this exact name (throws with the names there are, to make failures readable). */
export function nodeByName(wf: WorkflowJson, name: string): NodeJson {
  const n = Object.values(wf.status.nodes).find((x) => x.name === name);
  if (!n) throw new Error(`no node named "${name}"; nodes: ${Object.values(wf.status.nodes).map((x) => x.name).join(", ")}`);
  return n;
}

export function nodesOfType(wf: WorkflowJson, type: string): NodeJson[] {
  return Object.values(wf.status.nodes).filter((n) => n.type === type);
}

/** Reads a file's lines (a counter file the steps append to); missing file: no lines. */
export function linesOf(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** Polls `fn` until it returns a truthy value. */
export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A failure message with what the command printed. */
export function describeResult(r: CommandResult): string {
  return `exit ${r.code} (signal ${r.signal}, ${Math.round(r.durationMs)} ms${r.timedOut ? ", TIMED OUT" : ""}${r.outputHeldOpen ? ", output held open after the exit" : ""})\n--- stdout ---\n${r.stdout.slice(0, 4000)}\n--- stderr ---\n${r.stderr.slice(0, 4000)}`;
}

const NODE_TYPES = ["Pod", "Container", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend", "HTTP", "Plugin"];
const DONE_NODE_PHASES = ["Succeeded", "Failed", "Error", "Skipped", "Omitted"];
const ARGO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * Problems with a finished Workflow's shape, compared with what Argo writes: `status.phase`,
 * `startedAt`, `finishedAt`, and `nodes` keyed by Argo's node id with `name`, `displayName`, `type`,
 * `templateName` or `templateRef`, `phase` and `children`. An empty list means it looks like Argo's.
 */
export function argoShapeProblems(wf: WorkflowJson): string[] {
  const out: string[] = [];
  const bad = (msg: string) => out.push(msg);
  if (wf.apiVersion !== "argoproj.io/v1alpha1") bad(`apiVersion is ${wf.apiVersion}`);
  if (wf.kind !== "Workflow") bad(`kind is ${wf.kind}`);
  const name = wf.metadata?.name;
  if (typeof name !== "string" || !name) return [...out, "metadata.name is missing"];
  const st = wf.status;
  if (!st || typeof st !== "object") return [...out, "status is missing"];
  if (!["Succeeded", "Failed", "Error"].includes(st.phase)) bad(`status.phase is ${st.phase}`);
  for (const k of ["startedAt", "finishedAt"] as const) if (!ARGO_TIME.test(st[k] ?? "")) bad(`status.${k} is ${st[k]}`);
  if (st.startedAt && st.finishedAt && st.finishedAt < st.startedAt) bad("status.finishedAt is before startedAt");
  const nodes = st.nodes;
  if (!nodes || typeof nodes !== "object" || Object.keys(nodes).length === 0) return [...out, "status.nodes is empty"];
  if (!nodes[name]) bad(`no root node keyed by the workflow name ${name}`);
  for (const [key, n] of Object.entries(nodes)) {
    const where = `node ${key} (${n.name})`;
    if (n.id !== key) bad(`${where}: id is ${n.id}`);
    if (typeof n.name !== "string" || !n.name.startsWith(name)) bad(`${where}: name does not start with the workflow name`);
    else if (argoNodeId(name, n.name) !== key) bad(`${where}: key is not Argo's node id ${argoNodeId(name, n.name)}`);
    if (typeof n.displayName !== "string" || !n.displayName) bad(`${where}: no displayName`);
    if (!NODE_TYPES.includes(n.type)) bad(`${where}: type ${n.type}`);
    if (!DONE_NODE_PHASES.includes(n.phase)) bad(`${where}: phase ${n.phase} in a finished workflow`);
    if (!ARGO_TIME.test(n.startedAt ?? "")) bad(`${where}: startedAt ${n.startedAt}`);
    if (!ARGO_TIME.test(n.finishedAt ?? "")) bad(`${where}: finishedAt ${n.finishedAt}`);
    if (["Pod", "Steps", "DAG", "Retry", "Suspend", "HTTP", "Plugin"].includes(n.type)) {
      const ref = n.templateRef;
      if (!n.templateName && !(ref && ref.name && ref.template)) bad(`${where}: neither templateName nor templateRef`);
    }
    if (n.children !== undefined) {
      if (!Array.isArray(n.children)) bad(`${where}: children is not a list`);
      else for (const c of n.children) if (!nodes[c]) bad(`${where}: child ${c} is not a node`);
    }
    // A node served from the memoization cache is not expanded (Argo: no children for a cache hit).
    if ((n.type === "Steps" || n.type === "DAG") && !(n.children ?? []).length && !n.memoizationStatus?.hit) bad(`${where}: a ${n.type} node without children`);
  }
  return out;
}
