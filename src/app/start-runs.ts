import { randomUUID } from "node:crypto";
import { generateName } from "../engine/runtime/names.js";
import { ConfigError, type ConfigProblem } from "../core/errors.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import type { RunRow } from "../core/ports/store.js";
import { Catalog, isObject, loadCatalogFromTexts, type CatalogEntry, type LoadedCatalog } from "../engine/model/catalog.js";
import type { LoadedDoc } from "../engine/model/load.js";
import { prepareWorkflow } from "../engine/model/prepare.js";
import type { WorkflowKind, WorkflowManifest, WorkflowSpec } from "../engine/model/types.js";
import { validateCatalog } from "../engine/validate/index.js";
import { configAnnotations, chunkAnnotations, renderConfigCheckRun } from "../reporting/index.js";
import { eventParameters, planTriggers, type TriggerEvent } from "../triggers/index.js";
import { readRepoConfig } from "./config-source.js";
import type { AppContext } from "./context.js";

export const CONFIG_CHECK = "tiphys/config";
export const workflowCheckName = (workflow: string) => `tiphys/workflow/${workflow}`;

export interface StartInput {
  repo: RepoRef;
  /** The commit the runs report on and check out. */
  sha: string;
  /** The commit whose `.tiphys/` is read (the base branch for untrusted PRs). */
  configSha: string;
  event: TriggerEvent;
  prNumber?: number;
  /** The files the event changed, asked for only when a trigger filters on paths. */
  changedFiles?: () => Promise<string[] | undefined>;
}

export interface StartResult {
  /** Every document of the config read (for the scheduler: CronWorkflows of the default branch). */
  docs?: Array<{ file: string; manifest: unknown }>;
  runs: RunRow[];
  problems: ConfigProblem[];
  skipped: Array<{ name: string; reason: string }>;
}


function entryFor(manifest: WorkflowManifest, file: string): CatalogEntry {
  const doc: LoadedDoc = {
    file,
    index: 0,
    data: manifest,
    posOf: () => ({ file, line: 1, column: 1 }),
    keyPosOf: () => ({ file, line: 1, column: 1 }),
  };
  return { kind: manifest.kind as WorkflowKind, name: manifest.metadata?.name ?? manifest.metadata?.generateName ?? "workflow", manifest, doc };
}

/** The name a run's check run carries: the workflow's (or its template's) name without the random suffix. */
function workflowDisplayName(m: WorkflowManifest, prepared: WorkflowManifest): string {
  const ref = (m.spec as WorkflowSpec | undefined)?.workflowTemplateRef?.name;
  const raw = m.metadata?.name ?? m.metadata?.generateName ?? ref ?? prepared.metadata.generateName ?? "workflow";
  return raw.replace(/-+$/, "");
}

/** Event parameters the workflow declares, and only those (Argo rejects undeclared ones). */
function declaredParameters(entry: CatalogEntry, catalog: Catalog, params: Record<string, string>): Record<string, string> {
  const base = prepareWorkflow(entry, catalog);
  const declared = new Set(((base.spec as WorkflowSpec).arguments?.parameters ?? []).map((p) => p.name));
  return Object.fromEntries(Object.entries(params).filter(([k]) => declared.has(k)));
}

/** `spec.triggers[0].template` → ["spec", "triggers", 0, "template"]. */
function pathSegments(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** Where a trigger problem's field is: the line of the deepest existing part of its path. */
function positionOf(documents: LoadedDoc[], file: string, path: string): { file: string; line: number; column: number } {
  const segs = pathSegments(path ?? "");
  const has = (d: LoadedDoc) => {
    let v: unknown = d.data;
    for (const s of segs.slice(0, 2)) v = isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[s] : undefined;
    return v !== undefined;
  };
  const doc = documents.find((d) => d.file === file && has(d)) ?? documents.find((d) => d.file === file);
  return doc ? doc.posOf(segs) : { file, line: 1, column: 1 };
}

/** Fails (or clears) the `tiphys/config` check run of a commit with an annotation per problem. */
export async function reportConfig(ctx: AppContext, repo: RepoRef, sha: string, problems: ConfigProblem[], opts: { clearExisting?: boolean } = {}): Promise<void> {
  const errors = problems.filter((p) => p.severity === "error");
  // A valid config needs no check run, unless this commit already has a failed one to clear (a
  // re-run after a redelivery): only then is it looked up.
  if (errors.length === 0 && !opts.clearExisting) return;
  const existing = await ctx.github.findCheckRuns(repo, sha, CONFIG_CHECK);
  if (errors.length === 0 && existing.length === 0) return;
  const flat = problems.map((p) => ({
    file: p.pos?.file ?? ".tiphys",
    line: p.pos?.line,
    column: p.pos?.column,
    message: p.message + (p.field ? ` (${p.field})` : ""),
    severity: p.severity,
  }));
  const rendered = renderConfigCheckRun(flat, { sha });
  const chunks = chunkAnnotations(configAnnotations(flat), 50);
  const output = { title: rendered.title, summary: rendered.summary, text: rendered.text };
  const first = { name: CONFIG_CHECK, headSha: sha, status: "completed" as const, conclusion: rendered.conclusion, completedAt: ctx.now().toISOString() };
  let id: number;
  if (existing[0]) {
    id = existing[0].id;
    await ctx.github.updateCheckRun(repo, id, { ...first, output: { ...output, annotations: chunks[0] ?? [] } });
  } else {
    id = (await ctx.github.createCheckRun(repo, { ...first, output: { ...output, annotations: chunks[0] ?? [] } })).id;
  }
  for (const chunk of chunks.slice(1)) await ctx.github.updateCheckRun(repo, id, { output: { ...output, annotations: chunk } });
}

/** Loads and validates `.tiphys/**` at a commit. */
export async function loadRepoConfig(ctx: AppContext, repo: RepoRef, sha: string): Promise<{ loaded: LoadedCatalog; problems: ConfigProblem[] }> {
  const config = await readRepoConfig(ctx.github, repo, sha, ctx.blobs);
  // The same files (by path and content) parse and validate the same: most pushes do not touch them.
  const key = config.files.map((f) => `${f.path}\0${f.text.length}\0${f.text}`).join("\0");
  const hit = parsedConfigs.get(key);
  if (hit) return hit;
  const loaded = loadCatalogFromTexts(config.files);
  const result = { loaded, problems: validateCatalog(loaded) };
  parsedConfigs.set(key, result);
  if (parsedConfigs.size > 64) parsedConfigs.delete(parsedConfigs.keys().next().value!);
  return result;
}

/** Parsed configurations by content (a small LRU; entries are read-only). */
const parsedConfigs = new Map<string, { loaded: LoadedCatalog; problems: ConfigProblem[] }>();

/**
 * From an event to queued runs: read the config at `configSha`, validate it (a `tiphys/config`
 * check run with annotations when it is invalid, and nothing runs), match triggers, and for each
 * match create the run, its queued check run and the job that executes it.
 */
export async function startRunsForEvent(ctx: AppContext, input: StartInput): Promise<StartResult> {
  const { repo } = input;
  const { loaded, problems } = await loadRepoConfig(ctx, repo, input.configSha);
  const docs = loaded.documents.filter((d) => isObject(d.data)).map((d) => ({ file: d.file, manifest: d.data }));
  const stateKey = repoFullName(repo);
  const sensorState = (await ctx.store.getValue<Record<string, unknown>>("sensor-state", stateKey)) ?? {};
  const usesPaths = docs.some((d) => isObject(d.manifest) && isObject(d.manifest.metadata) && isObject(d.manifest.metadata.annotations) && "tiphys.io/paths" in d.manifest.metadata.annotations);
  const event = usesPaths && input.changedFiles && input.event.changedFiles === undefined ? { ...input.event, changedFiles: await input.changedFiles() } : input.event;
  const plan = planTriggers(docs, event, sensorState as never);
  const allProblems: ConfigProblem[] = [
    ...problems,
    ...plan.problems.map((p) => ({ message: p.message, field: p.path, pos: positionOf(loaded.documents, p.file, p.path), severity: p.severity }) as ConfigProblem),
  ];
  await reportConfig(ctx, repo, input.sha, allProblems);
  if (allProblems.some((p) => p.severity === "error")) {
    ctx.onPlanned?.({ runs: [], problems: allProblems, skipped: plan.skipped });
    return { runs: [], problems: allProblems, skipped: plan.skipped };
  }
  if (JSON.stringify(plan.sensorState) !== JSON.stringify(sensorState)) await ctx.store.putValue("sensor-state", stateKey, plan.sensorState);

  const params = { ...eventParameters(input.event), sha: input.sha };
  const runs: RunRow[] = [];
  for (const planned of plan.runs) {
    const entry = entryFor(planned.manifest as WorkflowManifest, planned.workflowFile ?? ".tiphys");
    let workflow: WorkflowManifest;
    try {
      workflow = prepareWorkflow(entry, loaded.catalog, { parameters: declaredParameters(entry, loaded.catalog, params) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const problem: ConfigProblem = { message: err.message, pos: { file: planned.workflowFile ?? ".tiphys", line: 1, column: 1 }, severity: "error" };
      await reportConfig(ctx, repo, input.sha, [problem]);
      allProblems.push(problem);
      continue;
    }
    const workflowName = workflowDisplayName(planned.manifest as WorkflowManifest, workflow);
    const row = await createRun(ctx, {
      repo,
      sha: input.sha,
      configSha: input.configSha,
      workflow,
      workflowName,
      event: input.event.name,
      ref: params.ref,
      prNumber: input.prNumber,
      via: planned.via,
      reason: planned.reason,
      cancelInProgress: (planned.manifest as WorkflowManifest).metadata?.annotations?.["tiphys.io/cancel-in-progress"] !== "false",
    });
    runs.push(row);
  }
  ctx.onPlanned?.({ runs, problems: allProblems, skipped: plan.skipped });
  return { runs, problems: allProblems, skipped: plan.skipped, docs };
}

export interface CreateRunInput {
  repo: RepoRef;
  sha: string;
  configSha: string;
  /** The prepared Workflow (prepareWorkflow's result). */
  workflow: WorkflowManifest;
  workflowName: string;
  event: string;
  ref?: string;
  prNumber?: number;
  via: string;
  reason: string;
  cancelInProgress?: boolean;
}

/** Stores a new run, creates its queued check run and queues the job that executes it. */
export async function createRun(ctx: AppContext, input: CreateRunInput): Promise<RunRow> {
  const { repo, workflow } = input;
  const name = workflow.metadata.name ?? generateName(workflow.metadata.generateName ?? "workflow-");
  const createdAt = ctx.now();
  workflow.metadata = { ...workflow.metadata, name, uid: randomUUID(), creationTimestamp: createdAt.toISOString() };
  const row: RunRow = {
    id: name,
    installationId: repo.installationId,
    repo: repoFullName(repo),
    workflowName: input.workflowName,
    headSha: input.sha,
    ref: input.ref,
    event: input.event,
    prNumber: input.prNumber,
    phase: "Pending",
    workflow,
    meta: { configSha: input.configSha, via: input.via, reason: input.reason, cancelInProgress: input.cancelInProgress ?? true },
    createdAt,
  };
  await ctx.store.createRun(row);
  const check = await ctx.github.createCheckRun(repo, {
    name: workflowCheckName(input.workflowName),
    headSha: input.sha,
    status: "queued",
    externalId: name,
    output: { title: "Queued", summary: `Run \`${name}\` is queued (${input.reason}).` },
  });
  row.checkRunId = check.id;
  await ctx.store.updateRun(name, { checkRunId: check.id });
  await ctx.store.enqueue({ kind: "run", key: `run:${name}`, installationId: repo.installationId, repo: row.repo, payload: { runId: name } });
  ctx.metrics.runsStarted.inc({ trigger: input.via });
  return row;
}
