import type { RepoRef } from "../core/ports/github.js";
import type { Job } from "../core/ports/store.js";
import { isObject, loadCatalogFromTexts } from "../engine/model/catalog.js";
import { prepareWorkflow } from "../engine/model/prepare.js";
import type { CronWorkflowSpec, WorkflowManifest } from "../engine/model/types.js";
import { cronRunMetadata, planCron, type FinishedRun } from "../schedules/index.js";
import { readRepoConfig } from "./config-source.js";
import type { AppContext } from "./context.js";
import { CANCEL_NS } from "./execute-run.js";
import { createRun } from "./start-runs.js";

/** The CronWorkflows of a repo's default branch, as last pushed. */
export interface CronConfig {
  repo: RepoRef;
  sha: string;
  updatedAt: string;
  crons: Array<{ file: string; manifest: WorkflowManifest }>;
}

interface CronState {
  lastScheduledTime?: string;
  lastRunTime?: string;
  stopped?: boolean;
  lastUsedSchedule?: string;
  succeeded?: number;
  failed?: number;
}

const CONFIG_NS = "cron-config";
const STATE_NS = "cron-state";
const FINISHED = new Set(["Succeeded", "Failed", "Error"]);

/** Remembers the CronWorkflows of a push to the default branch (none: the repo's schedules stop). */
export async function recordCronConfig(ctx: AppContext, repo: RepoRef, sha: string, docs: Array<{ file: string; manifest: unknown }>): Promise<void> {
  const crons = docs
    .filter((d) => isObject(d.manifest) && d.manifest.kind === "CronWorkflow" && isObject(d.manifest.metadata) && typeof d.manifest.metadata.name === "string")
    .map((d) => ({ file: d.file, manifest: d.manifest as WorkflowManifest }));
  const key = `${repo.owner}/${repo.name}`;
  const previous = await ctx.store.getValue<CronConfig>(CONFIG_NS, key);
  if (crons.length === 0 && !previous) return;
  const same = previous && JSON.stringify(previous.crons) === JSON.stringify(crons);
  await ctx.store.putValue(CONFIG_NS, key, { repo, sha, updatedAt: same ? previous.updatedAt : ctx.now().toISOString(), crons } satisfies CronConfig);
}

/**
 * One scheduler tick: for every known CronWorkflow, Argo's decision for now (run, skip or nothing).
 * A run is queued as a job keyed by the CronWorkflow and its scheduled time, so with several replicas
 * ticking at once it is queued once.
 */
export async function tickCron(ctx: AppContext, opts: { processStartedAt: Date }): Promise<number> {
  let queued = 0;
  const now = ctx.now();
  for (const { value: config } of await ctx.store.listValues<CronConfig>(CONFIG_NS)) {
    const repoName = `${config.repo.owner}/${config.repo.name}`;
    for (const { manifest } of config.crons) {
      const name = manifest.metadata.name!;
      const stateKey = `${repoName}/${name}`;
      const state = (await ctx.store.getValue<CronState>(STATE_NS, stateKey)) ?? {};
      const runs = await ctx.store.findRuns({ repo: repoName, workflowName: name, limit: 1000 });
      const active = runs.filter((r) => !FINISHED.has(r.phase)).map((r) => ({ name: r.id, phase: r.phase }));
      const history: FinishedRun[] = runs
        .filter((r) => FINISHED.has(r.phase))
        .map((r) => ({ name: r.id, phase: r.phase as FinishedRun["phase"], finishedAt: r.finishedAt ?? r.createdAt }));
      const startedAt = new Date(Math.max(opts.processStartedAt.getTime(), Date.parse(config.updatedAt)));
      const plan = planCron({
        name,
        spec: manifest.spec as CronWorkflowSpec,
        now,
        lastScheduledTime: state.lastScheduledTime ? new Date(state.lastScheduledTime) : undefined,
        lastRunTime: state.lastRunTime ? new Date(state.lastRunTime) : undefined,
        startedAt,
        active,
        history,
        counts: { succeeded: state.succeeded ?? history.filter((h) => h.phase === "Succeeded").length, failed: state.failed ?? history.filter((h) => h.phase !== "Succeeded").length },
        stopped: state.stopped,
        lastUsedSchedule: state.lastUsedSchedule,
        metadata: manifest.metadata,
      });
      for (const old of plan.prune) await ctx.store.deleteRun(old);
      if (plan.action === "none") {
        if (plan.suspendAfter && !state.stopped) await ctx.store.putValue(STATE_NS, stateKey, { ...state, stopped: true });
        continue;
      }
      const next: CronState = { ...state, lastScheduledTime: plan.scheduledTime!.toISOString(), stopped: state.stopped || plan.suspendAfter };
      if (plan.action === "run") {
        for (const r of plan.replace ?? []) await ctx.store.putValue(CANCEL_NS, r, { by: "tiphys", reason: "concurrencyPolicy: Replace" });
        const id = await ctx.store.enqueue({
          kind: "cron",
          key: `cron:${stateKey}@${plan.scheduledTime!.toISOString()}`,
          installationId: config.repo.installationId,
          repo: repoName,
          payload: { repo: config.repo, name, scheduledTime: plan.scheduledTime!.toISOString(), reason: plan.reason },
        });
        if (id) queued++;
        next.lastRunTime = plan.scheduledTime!.toISOString();
      } else ctx.log.info({ cron: stateKey, reason: plan.reason }, "scheduled run skipped");
      await ctx.store.putValue(STATE_NS, stateKey, next);
    }
  }
  return queued;
}

/** A `cron` job: the CronWorkflow's run, reported on the default branch's head commit. */
export async function runCronJob(ctx: AppContext, job: Job): Promise<void> {
  const p = job.payload as { repo: RepoRef; name: string; scheduledTime: string; reason: string };
  const { defaultBranch } = await ctx.github.getRepo(p.repo);
  const sha = await ctx.github.getBranchSha(p.repo, defaultBranch);
  const config = await readRepoConfig(ctx.github, p.repo, sha, ctx.blobs);
  const loaded = loadCatalogFromTexts(config.files);
  const entry = loaded.primary.find((e) => e.kind === "CronWorkflow" && e.name === p.name);
  if (!entry) {
    ctx.log.info({ cron: p.name }, "CronWorkflow no longer on the default branch; scheduled run dropped");
    return;
  }
  const workflow = prepareWorkflow(entry, loaded.catalog);
  const cron = entry.manifest.spec as CronWorkflowSpec & { workflowMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  const meta = cronRunMetadata({ cronName: p.name, scheduledTime: new Date(p.scheduledTime), cronLabels: entry.manifest.metadata.labels, workflowMetadata: cron.workflowMetadata });
  workflow.metadata = { ...workflow.metadata, name: meta.name, generateName: undefined, labels: meta.labels, annotations: meta.annotations };
  const existing = await ctx.store.getRun(meta.name);
  if (existing) return;
  await createRun(ctx, {
    repo: p.repo,
    sha,
    configSha: sha,
    workflow,
    workflowName: p.name,
    event: "schedule",
    ref: `refs/heads/${defaultBranch}`,
    via: "cron",
    reason: p.reason,
    cancelInProgress: false,
  });
}
