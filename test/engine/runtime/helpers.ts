/**
 * Helpers for the engine behaviour tests: a workflow given as inline YAML is loaded into a Catalog,
 * prepared like `tiphys run` prepares it, and executed by a real WorkflowRun.
 *
 * `runLocal` uses the LocalExecutor (real host processes, each node with a private /tmp) and a
 * LocalArtifactRepository, all under a fresh workspace. The workspace lives under
 * `testWorkRoot(REPO, "test-runtime")`, outside /tmp on purpose: every step sees its own /tmp, so
 * a file a step must share with the test (a counter, timestamps) has to live elsewhere; `ws.shared`
 * is such a folder, passed to workflows as the `shared` parameter when they declare it.
 *
 * `runInProcess` uses the InProcessExecutor (processes succeed at once, or per a behaviour function)
 * for the tests where processes are irrelevant.
 */
import { testWorkRoot } from "../../support/work-root.js";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { LocalArtifactRepository } from "../../../src/engine/artifacts/local-repository.js";
import { InProcessExecutor } from "../../../src/engine/executors/in-process.js";
import { LocalExecutor } from "../../../src/engine/executors/local.js";
import type { Executor, ProcessSpec } from "../../../src/engine/executors/types.js";
import { Catalog } from "../../../src/engine/model/catalog.js";
import { parseYamlDocuments } from "../../../src/engine/model/load.js";
import { prepareWorkflow } from "../../../src/engine/model/prepare.js";
import type { NodeStatus, WorkflowStatus } from "../../../src/engine/model/types.js";
import { MemoStore } from "../../../src/engine/runtime/memo.js";
import { WorkflowRun } from "../../../src/engine/runtime/operator.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const WORK_ROOT = testWorkRoot(REPO, "test-runtime");

/** A test's own folder: sandboxes, artifacts, memo caches and a `shared` folder steps can write to. */
export interface Workspace {
  dir: string;
  shared: string;
}

/** Every process the local executor starts from this test file carries this in its environment. */
const MARKER = `TIPHYS_RUNTIME_TEST=${process.pid}-${randomUUID().slice(0, 8)}`;

/** Pids of live processes whose environment holds the marker (Linux /proc). */
function markedProcesses(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(MARKER)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

const workspaces: string[] = [];
afterAll(() => {
  for (const d of workspaces.splice(0)) rmSync(d, { recursive: true, force: true });
  // A test must not leave a step running: kill any, then fail the file.
  const left = markedProcesses();
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (left.length > 0) throw new Error(`processes left running by these tests: ${left.join(", ")}`);
});

export function workspace(): Workspace {
  const dir = join(WORK_ROOT, randomUUID().slice(0, 8));
  const shared = join(dir, "shared");
  mkdirSync(shared, { recursive: true });
  workspaces.push(dir);
  return { dir, shared };
}

export interface RunOptions {
  /** `-p name=value` overrides (the `shared` parameter is filled in automatically when declared). */
  parameters?: Record<string, string>;
  /** More YAML documents (WorkflowTemplates) for the catalog. */
  templates?: string;
  /** Reuse a workspace (e.g. a memo cache across two runs). */
  ws?: Workspace;
  /** Called with the run before it starts (to resume or stop it from the test). */
  onStart?: (run: WorkflowRun) => void;
  /** The run is terminated and the test fails after this long. Default 20 s. */
  timeoutMs?: number;
  /** InProcessExecutor behaviour: the exit code of a process. */
  behaviour?: (spec: ProcessSpec) => number;
  executor?: Executor;
}

export interface RunResult {
  status: WorkflowStatus;
  run: WorkflowRun;
  ws: Workspace;
  /** Log lines per node name (stdout and stderr, in order). */
  logs: Map<string, string[]>;
  /** Every node, in creation order. */
  nodes: NodeStatus[];
  /** The node with this exact name, or this display name when it is unique; throws otherwise. */
  node(name: string): NodeStatus;
  /** Whether a node of that name or display name exists. */
  has(name: string): boolean;
  /** The log lines of the node of that (display) name. */
  log(name: string): string[];
  durationMs: number;
}

function buildCatalog(yaml: string, templates?: string): Catalog {
  const catalog = new Catalog();
  for (const [text, file] of [[templates ?? "", "templates.yaml"], [yaml, "workflow.yaml"]] as const) {
    let docs;
    try {
      docs = parseYamlDocuments(text, file);
    } catch (err) {
      const problems = (err as { problems?: Array<{ message: string; pos: { line: number } }> }).problems ?? [];
      throw new Error(`${(err as Error).message}: ${problems.map((p) => `line ${p.pos.line}: ${p.message}`).join("; ")}\n${text}`);
    }
    for (const doc of docs) {
      const problems = catalog.add(doc).filter((p) => p.severity === "error");
      if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));
    }
  }
  return catalog;
}

async function execute(yaml: string, opts: RunOptions, makeExecutor: (ws: Workspace) => Executor): Promise<RunResult> {
  const ws = opts.ws ?? workspace();
  const catalog = buildCatalog(yaml, opts.templates);
  const entry = catalog.entries.find((e) => e.doc.file === "workflow.yaml" && e.kind === "Workflow") ?? catalog.entries.find((e) => e.doc.file === "workflow.yaml");
  if (!entry) throw new Error("no workflow in the YAML");
  const declared = new Set((("workflowSpec" in entry.manifest.spec ? undefined : entry.manifest.spec.arguments?.parameters) ?? []).map((p) => p.name));
  const parameters = { ...(declared.has("shared") ? { shared: ws.shared } : {}), ...(opts.parameters ?? {}) };
  const workflow = prepareWorkflow(entry, catalog, { parameters });
  workflow.metadata.name ??= `${workflow.metadata.generateName ?? "wf-"}${randomUUID().slice(0, 5)}`;
  const logs = new Map<string, string[]>();
  const run = new WorkflowRun({
    workflow,
    catalog,
    executor: opts.executor ?? makeExecutor(ws),
    artifacts: new LocalArtifactRepository(join(ws.dir, "artifacts")),
    memo: new MemoStore(join(ws.dir, "memo")),
    reporter: {
      log(node, _stream, line) {
        let l = logs.get(node.name);
        if (!l) logs.set(node.name, (l = []));
        l.push(line);
      },
    },
  });
  opts.onStart?.(run);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.stop("Terminate");
      reject(new Error(`workflow did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  let status: WorkflowStatus;
  try {
    status = await Promise.race([run.execute(), guard]);
  } finally {
    clearTimeout(timer);
  }
  const durationMs = performance.now() - started;
  const nodes = Object.values(status.nodes);
  const find = (name: string): NodeStatus | undefined => {
    const exact = nodes.find((n) => n.name === name);
    if (exact) return exact;
    const byDisplay = nodes.filter((n) => n.displayName === name);
    if (byDisplay.length > 1) throw new Error(`several nodes are displayed as "${name}": ${byDisplay.map((n) => n.name).join(", ")}`);
    return byDisplay[0];
  };
  return {
    status,
    run,
    ws,
    logs,
    nodes,
    durationMs,
    node(name) {
      const n = find(name);
      if (!n) throw new Error(`no node "${name}"; nodes: ${nodes.map((x) => `${x.name} [${x.phase}]`).join(", ")}`);
      return n;
    },
    has: (name) => find(name) !== undefined,
    log(name) {
      const n = find(name);
      return n ? (logs.get(n.name) ?? []) : [];
    },
  };
}

/** Runs with real processes (LocalExecutor) in a fresh workspace. */
export function runLocal(yaml: string, opts: RunOptions = {}): Promise<RunResult> {
  const [key, value] = MARKER.split("=");
  return execute(yaml, opts, (ws) => new LocalExecutor({ workDir: join(ws.dir, "sandboxes"), killGraceMs: 500, env: { [key]: value } }));
}

/** Runs with the InProcessExecutor: every process succeeds at once (or per `behaviour`). */
export function runInProcess(yaml: string, opts: RunOptions = {}): Promise<RunResult> {
  return execute(yaml, opts, () => new InProcessExecutor(opts.behaviour));
}

/** Removes the common indentation of a template literal's lines. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").replace(/\s+$/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join("\n");
}

/** A Workflow document named `name` around the given spec body (YAML of the spec's fields). */
export function wf(spec: string, name = "wf"): string {
  const lines = dedent(spec).split("\n").map((l) => "  " + l);
  return ["apiVersion: argoproj.io/v1alpha1", "kind: Workflow", `metadata: {name: ${name}}`, "spec:", ...lines].join("\n");
}

/** The names of a node's children, in order. */
export function childNames(r: RunResult, node: NodeStatus): string[] {
  return (node.children ?? []).map((id) => r.status.nodes[id]?.name ?? `?${id}`);
}

/** Nodes of a given type whose name starts with a prefix. */
export function nodesOfType(r: RunResult, type: NodeStatus["type"]): NodeStatus[] {
  return r.nodes.filter((n) => n.type === type);
}
