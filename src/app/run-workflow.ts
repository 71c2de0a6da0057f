import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { generateName } from "../engine/runtime/names.js";
import { ConfigError } from "../core/errors.js";
import { LocalArtifactRepository } from "../engine/artifacts/local-repository.js";
import { cloneAt } from "../repo/git.js";
import { LocalExecutor } from "../engine/executors/local.js";
// The Kubernetes pieces (client, simulated cluster, S3 SDK) load only for `--executor kubernetes`:
// importing them costs the CLI most of a second.
import type { KubernetesExecutor } from "../engine/executors/kubernetes/executor.js";
import type { Executor } from "../engine/executors/types.js";
import { loadCatalog, type Catalog, type CatalogEntry } from "../engine/model/catalog.js";
import { parseYamlDocuments } from "../engine/model/load.js";
import { prepareWorkflow } from "../engine/model/prepare.js";
import { notAppliedLocally } from "../engine/model/k8s-only.js";
import { missingFor, reachableTemplates } from "../engine/model/reachable.js";
import type { NodeStatus, WorkflowManifest, WorkflowSpec } from "../engine/model/types.js";
import { MemoStore } from "../engine/runtime/memo.js";
import { WorkflowRun } from "../engine/runtime/operator.js";
import type { Reporter } from "../engine/runtime/reporter.js";
import { loadRun, RunJournal, type RunRecord } from "../engine/runtime/run-store.js";
import { validateCatalog } from "../engine/validate/index.js";

/** `--executor kubernetes`: where the Pods go. */
export interface PodExecutorChoice {
  /** A private simulated cluster (kubelet running containers as local processes) for this command. */
  simulated?: boolean;
  kubeconfig?: string;
  context?: string;
  /** Default `default`. */
  namespace?: string;
  /** Argo's artifactRepository (s3) and the Tiphys image, for steps with artifacts; a simulated cluster gets a simulated S3. */
  artifactRepository?: string;
}

/** The Kubernetes executor for a run, and what to do once the run is over (Pod GC, stop a simulation). */
async function startPodExecutor(choice: PodExecutorChoice): Promise<{ executor: KubernetesExecutor; close(wf: { name: string; spec: Record<string, unknown> }, phase: string | undefined): Promise<void> }> {
  const namespace = choice.namespace ?? "default";
  const [{ KubernetesExecutor }, { clusterFromKubeconfig }, { startSimulatedCluster }, { readPodArtifactRepository, startSimulatedPodArtifacts }] = await Promise.all([
    import("../engine/executors/kubernetes/executor.js"),
    import("../cluster/registry.js"),
    import("../simcluster/index.js"),
    import("./pod-artifacts.js"),
  ]);
  const artifacts = choice.artifactRepository ? readPodArtifactRepository(choice.artifactRepository) : undefined;
  const sim = choice.simulated ? await startSimulatedCluster({ port: 0, kubelet: { mode: "process" }, namespaces: namespace === "default" ? [] : [namespace] }) : undefined;
  const simS3 = sim ? await startSimulatedPodArtifacts().catch(async (err: unknown) => { await sim.close(); throw err; }) : undefined;
  try {
    const cluster = clusterFromKubeconfig(sim ? { text: sim.kubeconfig() } : { file: choice.kubeconfig, context: choice.context });
    const warnings = sim ? [`executor kubernetes on a SIMULATED cluster (${sim.url}): Pods run as local processes; this is not a real cluster`] : [];
    if (simS3) warnings.push(`artifacts go to a SIMULATED S3 (${simS3.s3.endpoint}, bucket ${simS3.options.s3.bucket}), gone when the command ends`);
    const executor = new KubernetesExecutor({ cluster, namespace, warnings, artifacts: artifacts ?? simS3?.options });
    return {
      executor,
      async close(wf, phase) {
        try {
          if (phase !== undefined) await executor.completeWorkflow(wf, phase);
          await executor.close();
        } finally {
          await sim?.close();
          await simS3?.s3.close();
        }
      },
    };
  } catch (err) {
    await sim?.close();
    await simS3?.s3.close();
    throw err;
  }
}

/** Where runs, logs, artifacts and caches live: `TIPHYS_DATA_DIR`, else the XDG state folder. */
export function defaultDataDir(): string {
  if (process.env.TIPHYS_DATA_DIR) return process.env.TIPHYS_DATA_DIR;
  const state = process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state");
  return join(state, "tiphys");
}

export interface StartRunInput {
  file: string;
  templateDirs?: string[];
  parameters?: Record<string, string>;
  parameterFile?: string;
  entrypoint?: string;
  parallelism?: number;
  dataDir: string;
  reporter?: Reporter;
  executor?: Executor;
  /** Run the steps as Kubernetes Pods (`--executor kubernetes`) instead of local processes. */
  kubernetes?: PodExecutorChoice;
}

export interface StartedRun {
  run: WorkflowRun;
  journal: RunJournal;
  dir: string;
  warnings: string[];
  /** Call once the run has finished: Pod GC, then the cluster connection (and a simulated cluster) go away. */
  close?(phase: string | undefined): Promise<void>;
}


/** `--parameter-file`: a YAML or JSON map of parameter names to values. */
export function readParameterFile(file: string): Record<string, string> {
  const docs = parseYamlDocuments(readFileSync(file, "utf8"), file);
  const data = docs[0]?.data;
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(`${file}: a parameter file must be a map of names to values`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

function pickEntry(entries: CatalogEntry[], file: string): CatalogEntry {
  const runnable = entries.find((e) => e.kind === "Workflow") ?? entries.find((e) => e.kind === "CronWorkflow") ?? entries.find((e) => e.kind === "WorkflowTemplate" || e.kind === "ClusterWorkflowTemplate");
  if (!runnable) throw new ConfigError(`${file}: no Workflow, CronWorkflow or WorkflowTemplate to run`);
  return runnable;
}

function newExecutor(dir: string): Executor {
  return new LocalExecutor({ workDir: join(dir, "sandboxes") });
}

function buildRun(opts: {
  workflow: WorkflowManifest;
  catalog: Awaited<ReturnType<typeof loadCatalog>>["catalog"];
  journal: RunJournal;
  dataDir: string;
  reporter?: Reporter;
  executor?: Executor;
  previousNodes?: Record<string, NodeStatus>;
  uid?: string;
  createdAt?: Date;
  autoResume?: ReadonlySet<string>;
}): WorkflowRun {
  const executor = opts.executor ?? newExecutor(opts.journal.dir);
  // Resource templates act on the cluster the Pods go to.
  const pods = executor.name === "kubernetes" ? (executor as KubernetesExecutor) : undefined;
  return new WorkflowRun({
    workflow: opts.workflow,
    catalog: opts.catalog,
    executor,
    reporter: opts.reporter,
    journal: opts.journal,
    artifacts: new LocalArtifactRepository(join(opts.journal.dir, "artifacts"), { cloneGit: cloneAt }),
    memo: new MemoStore(join(opts.dataDir, "memo")),
    previousNodes: opts.previousNodes,
    uid: opts.uid,
    createdAt: opts.createdAt,
    logsDir: opts.journal.logsDir,
    autoResume: opts.autoResume,
    cluster: pods?.cluster,
    clusterNamespace: pods?.namespace,
  });
}

/**
 * A local run refuses, before anything runs, a workflow that can reach a template it cannot execute
 * (resource without a cluster, plugin, data), naming what is missing; `tiphys lint` accepts them.
 */
function refuseUnrunnable(workflow: WorkflowManifest, catalog: Catalog, file: string, caps: { cluster?: boolean } = {}): void {
  const blocked = reachableTemplates(workflow, catalog).filter((r) => r.type !== undefined && missingFor(r.type, caps) !== undefined);
  if (blocked.length === 0) return;
  const lines = blocked.map((b) => `template "${b.label}" is a ${b.type} template: it needs ${missingFor(b.type!, caps)}`);
  throw new ConfigError(`${file}: \`tiphys run\` cannot run this workflow locally`, lines.map((message) => ({ message, severity: "error" as const })));
}

/** Loads, validates and prepares a file's workflow, then creates its run (not yet started). */
export async function startRun(input: StartRunInput): Promise<StartedRun> {
  const templateDirs = input.templateDirs ?? [];
  const loaded = await loadCatalog([input.file], templateDirs);
  // validateCatalog already reports the loader's problems (parse errors, a file too large ...): adding
  // `loaded.problems` again printed each of them twice.
  const problems = validateCatalog(loaded).filter((p) => p.severity === "error");
  if (problems.length > 0) throw new ConfigError(`${input.file}: invalid workflow`, problems);
  const entry = pickEntry(loaded.primary, input.file);
  const parameters = { ...(input.parameterFile ? readParameterFile(input.parameterFile) : {}), ...(input.parameters ?? {}) };
  const workflow = prepareWorkflow(entry, loaded.catalog, { parameters, entrypoint: input.entrypoint, parallelism: input.parallelism });
  if (input.entrypoint !== undefined) {
    // Validation ran on the file's own entrypoint; an override naming no template is invalid input too.
    const names = ((workflow.spec as WorkflowSpec).templates ?? []).map((t) => t.name);
    if (!names.includes(input.entrypoint)) {
      throw new ConfigError(`--entrypoint "${input.entrypoint}": no template of that name (templates: ${names.join(", ") || "none"})`);
    }
  }
  refuseUnrunnable(workflow, loaded.catalog, input.file, { cluster: input.kubernetes !== undefined });
  workflow.metadata.name = workflow.metadata.name ?? generateName(workflow.metadata.generateName ?? "workflow-");
  const uid = randomUUID();
  const createdAt = new Date();
  workflow.metadata.uid = uid;
  workflow.metadata.creationTimestamp = createdAt.toISOString();
  mkdirSync(join(input.dataDir, "runs"), { recursive: true });
  if (existsSync(join(input.dataDir, "runs", workflow.metadata.name, "workflow.json"))) {
    throw new ConfigError(`a run named "${workflow.metadata.name}" already exists; use metadata.generateName or remove it`);
  }
  const name = workflow.metadata.name;
  const pods = input.kubernetes ? await startPodExecutor(input.kubernetes) : undefined;
  try {
    const journal = RunJournal.create(
      input.dataDir,
      { name, file: input.file, createdAt: createdAt.toISOString(), executor: pods ? "kubernetes" : "local", options: { templateDirs } },
      workflow,
    );
    const run = buildRun({ workflow, catalog: loaded.catalog, journal, dataDir: input.dataDir, reporter: input.reporter, executor: pods?.executor ?? input.executor, uid, createdAt });
    const ignored = pods ? [] : notAppliedLocally(workflow, loaded.catalog);
    const warnings = [...run.executor.warnings(), ...(ignored.length ? [`Kubernetes-only fields accepted and not applied locally: ${ignored.join("; ")}`] : [])];
    const close = pods ? (phase: string | undefined) => pods.close({ name: run.name, spec: run.spec }, phase) : undefined;
    return { run, journal, dir: journal.dir, warnings, close };
  } catch (err) {
    await pods?.close({ name, spec: workflow.spec as WorkflowSpec }, undefined);
    throw err;
  }
}

/** Argo's retry: keep Succeeded nodes (not exit handlers), reset everything else. */
export function nodesToKeepForRetry(record: RunRecord): Record<string, NodeStatus> {
  const keep: Record<string, NodeStatus> = {};
  const wfName = record.workflow.metadata.name ?? "";
  for (const [id, n] of Object.entries(record.nodes)) {
    if (n.phase !== "Succeeded") continue;
    if (n.name.startsWith(`${wfName}.onExit`)) continue;
    keep[id] = n;
  }
  return keep;
}

export interface ContinueRunInput {
  dataDir: string;
  name: string;
  mode: "resume" | "retry";
  reporter?: Reporter;
  executor?: Executor;
  /** `tiphys retry -p`: new values for workflow parameters. */
  parameters?: Record<string, string>;
}

/**
 * Continues a stored run in this process: `resume` reuses every fulfilled node (a killed run carries
 * on where it stopped); `retry` reuses only Succeeded ones (`argo retry`).
 */
export async function continueRun(input: ContinueRunInput): Promise<StartedRun & { record: RunRecord }> {
  const record = loadRun(input.dataDir, input.name);
  if (input.mode === "retry" && record.status.phase !== "Failed" && record.status.phase !== "Error") {
    throw new ConfigError(`run "${record.meta.name}" is ${record.status.phase}; only Failed or Error runs can be retried`);
  }
  if (input.mode === "resume" && (record.status.phase === "Succeeded" || record.status.phase === "Failed" || record.status.phase === "Error")) {
    throw new ConfigError(`run "${record.meta.name}" already finished (${record.status.phase}); use \`tiphys retry\` to run its failed nodes again`);
  }
  const templateDirs = (record.meta.options?.templateDirs as string[] | undefined) ?? [];
  const loaded = await loadCatalog(record.meta.file && existsSync(record.meta.file) ? [record.meta.file] : [], templateDirs);
  const workflow = record.workflow;
  if (input.parameters) {
    const params = (workflow.spec as WorkflowSpec).arguments?.parameters ?? [];
    for (const [k, v] of Object.entries(input.parameters)) {
      const p = params.find((q) => q.name === k);
      if (!p) throw new ConfigError(`parameter "${k}" is not declared in spec.arguments.parameters`);
      p.value = v;
    }
    writeFileSync(join(record.dir, "workflow.json"), JSON.stringify({ meta: record.meta, workflow }, null, 2));
  }
  const previous = input.mode === "retry" ? nodesToKeepForRetry(record) : record.nodes;
  const journal = RunJournal.reopen(record.dir);
  journal.compact(Object.values(previous));
  rmSync(join(record.dir, "status.json"), { force: true });
  const run = buildRun({
    workflow,
    catalog: loaded.catalog,
    journal,
    dataDir: input.dataDir,
    reporter: input.reporter,
    executor: input.executor,
    previousNodes: previous,
    uid: workflow.metadata.uid,
    createdAt: workflow.metadata.creationTimestamp ? new Date(workflow.metadata.creationTimestamp) : undefined,
    autoResume: input.mode === "resume" ? new Set(Object.values(record.nodes).filter((n) => n.type === "Suspend" && n.phase === "Running").map((n) => n.id)) : undefined,
  });
  if (input.mode === "resume") run.status.startedAt = record.status.startedAt;
  return { run, journal, dir: record.dir, warnings: run.executor.warnings(), record };
}
