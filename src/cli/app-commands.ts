/**
 * `tiphys diff`, `tiphys sync` and `tiphys app list`: Argo CD's diff, sync and app list against a local
 * checkout and a cluster. Output follows `argocd app diff|sync|list`.
 */
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import pc from "picocolors";
import type { AppContext } from "../app/applications.js";
import type { RolloutState } from "../reconcilers/rollout/controller.js";
import { progressLine, renderRollout } from "./rollout-render.js";
import { ConfigError } from "../core/errors.js";
import type { ResourceDiff } from "../reconcilers/application/diff.js";
import type { OperationState, ResourceResult } from "../reconcilers/application/types.js";

// The use-cases (render, sync, the Kubernetes client, git) load when one of these commands runs, not at
// every start of the CLI.
const useCases = async () => ({ ...(await import("../app/applications.js")), ...(await import("../app/rollouts.js")) });

interface ClusterFlags {
  cluster?: "simulated";
  kubeconfig?: string;
  context?: string;
}

interface AppFlags extends ClusterFlags {
  repo: string[];
  revision?: string;
  app?: string;
}

const clusterOptions = (cmd: Command) =>
  cmd
    .addOption(new Option("--cluster <kind>", "`simulated`: a private SIMULATED cluster for this command").choices(["simulated"]))
    .option("--kubeconfig <file>", "kubeconfig of the destination cluster (default: $KUBECONFIG)")
    .option("--context <name>", "kubeconfig context");

const appOptions = (cmd: Command) =>
  cmd
    .option("--repo <dir>", "a local git repository standing in for the app's repoURL (`URL=DIR` for one of several; default: the repository holding APP_FILE)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--revision <rev>", "the revision to render instead of the app's targetRevision")
    .option("--app <name>", "which Application of APP_FILE (when it holds several)");

async function contextFor(file: string, flags: AppFlags): Promise<AppContext> {
  const { appContext, repoOfFile } = await useCases();
  const byUrl = new Map<string, string>();
  let fallback: string | undefined;
  for (const r of flags.repo) {
    const eq = r.indexOf("=");
    if (eq > 0 && /^[a-z][a-z0-9+.-]*:\/\//i.test(r)) byUrl.set(r.slice(0, eq), resolve(r.slice(eq + 1)));
    else fallback = resolve(r);
  }
  fallback ??= await repoOfFile(file);
  if (!fallback && byUrl.size === 0) throw new ConfigError(`${file} is not in a git repository: give --repo DIR, a local git repository standing in for the app's repoURL`);
  return appContext({ fallback, byUrl });
}

function diffText(diffs: ResourceDiff[], color: boolean): string {
  const out: string[] = [];
  for (const d of diffs) {
    if (!d.modified && d.kind === "unchanged") continue;
    const k = d.key;
    out.push((color ? pc.bold : (s: string) => s)(`===== ${k.group}/${k.kind} ${k.namespace}/${k.name} ======`));
    for (const line of d.unified.split("\n")) {
      if (!color) out.push(line);
      else if (line.startsWith("+") && !line.startsWith("+++")) out.push(pc.green(line));
      else if (line.startsWith("-") && !line.startsWith("---")) out.push(pc.red(line));
      else out.push(line);
    }
  }
  return out.join("\n");
}

function resultTable(results: ResourceResult[], health: Map<string, string>): string {
  const rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "PHASE", "WAVE", "ACTION", "STATUS", "HEALTH", "HOOK", "MESSAGE"]];
  for (const r of results) {
    rows.push([r.group, r.kind, r.namespace, r.name, r.syncPhase, String(r.syncWave ?? 0), r.action ?? "", r.status ?? "", health.get(`${r.group}/${r.kind}/${r.namespace}/${r.name}`) ?? "", r.hookType ? `${r.hookType}${r.hookPhase ? `/${r.hookPhase}` : ""}` : "", r.message]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

export function addAppCommands(program: Command, setExit: (code: number) => void): void {
  appOptions(
    clusterOptions(
      program
        .command("diff")
        .description("what a sync would change: the app rendered at --revision against --base (no cluster), or against the live cluster")
        .argument("<APP_FILE>", "a YAML file holding the Application (and its AppProject, if any)")
        .option("--base <rev>", "compare against the app rendered at this revision instead of a cluster"),
    ),
  ).action(async (file: string, flags: AppFlags & { base?: string }) => {
    const { readAppFile, pickApp, diffRevisions, openCluster, diffLive, atRevision } = await useCases();
    const loaded = await readAppFile(file);
    const { app } = pickApp(loaded, flags.app, file);
    const ctx = await contextFor(file, flags);
    try {
      const color = process.stdout.isTTY === true;
      if (flags.base) {
        if (flags.cluster || flags.kubeconfig) throw new ConfigError("--base compares two revisions; it takes no cluster");
        const { diffs, baseRevision, headRevision } = await diffRevisions(ctx, app, flags.base, flags.revision);
        process.stderr.write(pc.dim(`${app.metadata.name}: ${baseRevision.slice(0, 12)} → ${headRevision.slice(0, 12)}\n`));
        const text = diffText(diffs, color);
        if (text) process.stdout.write(text + "\n");
        setExit(diffs.some((d) => d.modified) ? 1 : 0);
        return;
      }
      const opened = await openCluster({ simulated: flags.cluster === "simulated", kubeconfig: flags.kubeconfig, context: flags.context });
      try {
        for (const w of opened.warnings) process.stderr.write(pc.yellow(`warning: ${w}\n`));
        const { diffs } = await diffLive(ctx, atRevision(app, flags.revision), opened.cluster);
        const text = diffText(diffs, color);
        if (text) process.stdout.write(text + "\n");
        // Like `argocd app diff`: exit 1 when there is a difference.
        setExit(diffs.some((d) => d.modified) ? 1 : 0);
      } finally {
        await opened.close();
      }
    } finally {
      await ctx.checkouts.close();
    }
  });

  appOptions(
    clusterOptions(
      program
        .command("sync")
        .description("sync an Application to its destination as Argo CD does: phases, waves, hooks, prune, health")
        .argument("<APP_FILE>", "a YAML file holding the Application (and its AppProject, if any)")
        .option("--prune", "delete what the app applied before and no longer renders")
        .option("--dry-run", "ask the cluster to validate every object; change nothing")
        .addOption(new Option("-o, --output <format>", "text, or json: the Application with Argo CD's status").choices(["text", "json"]).default("text"))
        .option("--wave-delay <ms>", "pause between waves (Argo CD: 2000)", (v: string) => Number(v)),
    ),
  ).action(async (file: string, flags: AppFlags & { prune?: boolean; dryRun?: boolean; output: "text" | "json"; waveDelay?: number }) => {
    const { readAppFile, pickApp, atRevision, openCluster, checkProject, syncWithRollouts, applicationWithStatus } = await useCases();
    const loaded = await readAppFile(file);
    const { app: original } = pickApp(loaded, flags.app, file);
    const app = atRevision(original, flags.revision);
    const ctx = await contextFor(file, flags);
    const opened = await openCluster({ simulated: flags.cluster === "simulated", kubeconfig: flags.kubeconfig, context: flags.context });
    try {
      for (const w of opened.warnings) process.stderr.write(pc.yellow(`warning: ${w}\n`));
      const project = checkProject(app, loaded.projects, app.spec.destination.server ?? app.spec.destination.name ?? "");
      let lastMessage = "";
      const progress = (s: OperationState) => {
        if (s.message !== lastMessage) process.stderr.write(pc.dim(`${new Date().toISOString().slice(11, 19)} ${s.phase}: ${s.message}\n`));
        lastMessage = s.message;
      };
      let lastRollout = "";
      const onRollout = (r: RolloutState) => {
        const line = progressLine(r);
        if (line.slice(9) !== lastRollout) process.stderr.write(pc.dim(line) + "\n");
        lastRollout = line.slice(9);
      };
      // Rollouts in the app: Tiphys is their controller; the command returns once each is at a gate, done or failed.
      const { outcome, rollouts } = await syncWithRollouts(ctx, app, project, opened.cluster, { prune: flags.prune, dryRun: flags.dryRun, waveDelayMs: flags.waveDelay, onProgress: progress, onRollout });
      const shown = applicationWithStatus(original, outcome);
      if (flags.output === "json") process.stdout.write(JSON.stringify(shown, null, 2) + "\n");
      else {
        const health = new Map(outcome.after.resources.map((r) => [`${r.key.group}/${r.key.kind}/${r.key.namespace}/${r.key.name}`, r.health?.status ?? ""]));
        const op = outcome.operationState;
        process.stdout.write(
          [
            `Name:          ${app.metadata.name}`,
            `Revision:      ${op.syncResult?.revision ?? ""}`,
            `Sync Status:   ${shown.status.sync.status}`,
            `Health Status: ${shown.status.health.status}${shown.status.health.message ? ` (${shown.status.health.message})` : ""}`,
            `Operation:     Sync${flags.dryRun ? " (dry run)" : ""}`,
            `Phase:         ${op.phase}`,
            `Message:       ${op.message}`,
            "",
            resultTable(op.syncResult?.resources ?? [], health),
            "",
          ].join("\n"),
        );
      }
      const clusterArgs = flags.cluster ? `--cluster ${flags.cluster}` : [flags.kubeconfig ? `--kubeconfig ${flags.kubeconfig}` : "", flags.context ? `--context ${flags.context}` : ""].filter(Boolean).join(" ");
      for (const r of rollouts) {
        (flags.output === "json" ? process.stderr : process.stdout).write("\n" + renderRollout(r, { color: process.stdout.isTTY === true && flags.output !== "json", clusterArgs }) + "\n");
      }
      setExit(outcome.operationState.phase === "Succeeded" && rollouts.every((r) => r.phase !== "Degraded") ? 0 : 1);
    } finally {
      await opened.close();
      await ctx.checkouts.close();
    }
  });

  const appCmd = program.command("app").description("Applications in a cluster");
  clusterOptions(appCmd.command("list").description("each app Tiphys synced to the cluster, with its sync status and health"))
    .addOption(new Option("-o, --output <format>", "text or json").choices(["text", "json"]).default("text"))
    .action(async (flags: ClusterFlags & { output: "text" | "json" }) => {
      const { openCluster, listApps } = await useCases();
      const opened = await openCluster({ simulated: flags.cluster === "simulated", kubeconfig: flags.kubeconfig, context: flags.context });
      try {
        for (const w of opened.warnings) process.stderr.write(pc.yellow(`warning: ${w}\n`));
        const apps = await listApps(opened.cluster);
        if (flags.output === "json") process.stdout.write(JSON.stringify(apps, null, 2) + "\n");
        else {
          const rows = [["NAME", "NAMESPACE", "SYNC", "HEALTH", "REVISION", "LAST OPERATION"]];
          for (const a of apps) rows.push([a.name, a.namespace, a.sync, a.health, (a.revision ?? "").slice(0, 12), a.lastOperation ? `${a.lastOperation.phase}: ${a.lastOperation.message}` : ""]);
          const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
          process.stdout.write(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n");
        }
        setExit(0);
      } finally {
        await opened.close();
      }
    });
}
