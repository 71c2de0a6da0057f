import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pc from "picocolors";
import { continueRun, defaultDataDir, startRun, type StartedRun } from "../app/run-workflow.js";
import { livePid, sendControl, watchControl } from "../app/run-control.js";
import { ConfigError, formatProblem } from "../core/errors.js";
import type { WorkflowStatus } from "../engine/model/types.js";
import { loadRun, runsDir } from "../engine/runtime/run-store.js";
import { lintPaths } from "../engine/validate/index.js";
import { renderSummary, renderTree } from "./render.js";
import { addLocalCommand } from "./local-command.js";
import { addClusterCommand } from "./cluster-command.js";
import { addAppCommands } from "./app-commands.js";
import { addRolloutCommands } from "./rollout-commands.js";
import { TerminalReporter } from "./terminal-reporter.js";

export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseParam(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

interface RunFlags {
  parameter: Record<string, string>;
  parameterFile?: string;
  templates: string[];
  entrypoint?: string;
  parallelism?: number;
  output: "text" | "json";
  dataDir?: string;
  executor: "local" | "kubernetes";
  cluster?: "simulated";
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  artifactRepository?: string;
}

/** `--executor kubernetes` and its cluster flags; the cluster flags alone are a mistake worth saying. */
function podExecutorOf(flags: RunFlags): { simulated?: boolean; kubeconfig?: string; context?: string; namespace?: string; artifactRepository?: string } | undefined {
  if (flags.executor !== "kubernetes") {
    if (flags.cluster || flags.kubeconfig || flags.context || flags.namespace || flags.artifactRepository) {
      throw new ConfigError("--cluster, --kubeconfig, --context, --namespace and --artifact-repository need --executor kubernetes");
    }
    return undefined;
  }
  if (flags.cluster && (flags.kubeconfig || flags.context)) throw new ConfigError("--cluster simulated and --kubeconfig/--context exclude each other");
  if (flags.cluster && flags.artifactRepository) throw new ConfigError("--cluster simulated keeps artifacts in a simulated S3; --artifact-repository is for a real cluster");
  return { simulated: flags.cluster === "simulated", kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace, artifactRepository: flags.artifactRepository };
}

/** Prints the final state and returns the exit code (0 Succeeded, 1 Failed/Error). */
function finish(status: WorkflowStatus, started: StartedRun, output: "text" | "json", err: NodeJS.WriteStream): number {
  const wf = { ...started.run.opts.workflow, status };
  if (output === "json") process.stdout.write(JSON.stringify(wf, null, 2) + "\n");
  else {
    err.write("\n" + renderSummary(status, started.run.name) + "\n\n" + renderTree(status, started.run.name) + "\n");
    err.write(pc.dim(`\nlogs: tiphys logs ${started.run.name}   state: ${started.dir}\n`));
  }
  return status.phase === "Succeeded" ? EXIT.ok : EXIT.failed;
}

/** Runs a started (or continued) run in this process: Ctrl-C stops like `argo stop`, twice terminates. */
async function drive(started: StartedRun, output: "text" | "json"): Promise<number> {
  const stream = output === "json" ? process.stderr : process.stdout;
  const reporter = started.run.opts.reporter as TerminalReporter;
  for (const w of started.warnings) reporter.warn(w);
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      reporter.warn("stopping: running steps are killed, exit handlers still run (Ctrl-C again to terminate)");
      started.run.stop("Stop");
    } else {
      reporter.warn("terminating");
      started.run.stop("Terminate");
    }
  };
  const onSigterm = () => started.run.stop("Terminate");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  const unwatch = watchControl(started.dir, started.run);
  let phase: string | undefined;
  try {
    const status = await started.run.execute();
    phase = status.phase;
    reporter.close();
    return finish(status, started, output, stream as NodeJS.WriteStream);
  } finally {
    unwatch();
    await started.close?.(phase);
    started.journal.close();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

function reporterFor(output: "text" | "json"): TerminalReporter {
  return new TerminalReporter({ stream: output === "json" ? process.stderr : process.stdout, live: true });
}

function printConfigError(err: ConfigError): void {
  process.stderr.write(pc.red(err.describe()) + "\n");
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("tiphys")
    .description("Argo Workflows, Argo CD and Argo Rollouts in the pull request; this CLI runs and checks them locally")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();

  const dataDirOption = () => new Option("--data-dir <dir>", "where runs are kept (default: $TIPHYS_DATA_DIR or ~/.local/state/tiphys)");
  const outputOption = () => new Option("-o, --output <format>", "text, or json: the final Workflow object on stdout").choices(["text", "json"]).default("text");

  program
    .command("lint")
    .description("validate Argo Workflows YAML with Argo's rules; every message has file:line:column")
    .argument("<path...>", "files or directories")
    .option("--templates <dir>", "(Cluster)WorkflowTemplates that templateRef / workflowTemplateRef may name", collect, [])
    .addOption(outputOption())
    .action(async (paths: string[], flags: { templates: string[]; output: string }) => {
      const result = await lintPaths(paths, flags.templates);
      const errors = result.problems.filter((p) => p.severity === "error");
      if (flags.output === "json") process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else {
        for (const p of result.problems) process.stdout.write((p.severity === "error" ? pc.red : pc.yellow)(formatProblem(p)) + "\n");
        const summary = `${result.files} file(s), ${result.documents} document(s): ${errors.length} error(s), ${result.problems.length - errors.length} warning(s)`;
        process.stdout.write((errors.length ? pc.red : pc.green)(summary) + "\n");
      }
      setExit(errors.length ? EXIT.failed : EXIT.ok);
    });

  addLocalCommand(program, setExit);
  addClusterCommand(program, setExit);
  addAppCommands(program, setExit);
  addRolloutCommands(program, setExit);

  program
    .command("run")
    .description("run a Workflow (or a CronWorkflow's workflow once, or a WorkflowTemplate) with local processes, or as Kubernetes Pods")
    .argument("<file>", "YAML file")
    .option("-p, --parameter <name=value>", "set a workflow argument (repeatable)", parseParam, {})
    .option("--parameter-file <file>", "YAML or JSON map of workflow arguments")
    .option("--templates <dir>", "(Cluster)WorkflowTemplates that templateRef / workflowTemplateRef may name", collect, [])
    .option("--entrypoint <name>", "override spec.entrypoint")
    .option("--parallelism <n>", "override spec.parallelism", parsePositiveInt)
    .addOption(new Option("--executor <kind>", "where steps run: local processes, or Kubernetes Pods").choices(["local", "kubernetes"]).default("local"))
    .addOption(new Option("--cluster <name>", "with --executor kubernetes: start a private simulated cluster for this command").choices(["simulated"]))
    .option("--kubeconfig <file>", "with --executor kubernetes: the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
    .option("--context <name>", "with --executor kubernetes: the kubeconfig context")
    .option("--namespace <ns>", "with --executor kubernetes: namespace of the Pods (default \"default\")")
    .option("--artifact-repository <file>", "with --executor kubernetes: Argo's artifactRepository (s3) and tiphysImage, for steps with artifacts")
    .addOption(outputOption())
    .addOption(dataDirOption())
    .action(async (file: string, flags: RunFlags) => {
      const kubernetes = podExecutorOf(flags);
      const reporter = reporterFor(flags.output);
      const started = await startRun({
        file,
        templateDirs: flags.templates,
        parameters: flags.parameter,
        parameterFile: flags.parameterFile,
        entrypoint: flags.entrypoint,
        parallelism: flags.parallelism,
        dataDir: flags.dataDir ?? defaultDataDir(),
        reporter,
        kubernetes,
      });
      (flags.output === "json" ? process.stderr : process.stdout).write(pc.dim(`run ${started.run.name}\n`));
      setExit(await drive(started, flags.output));
    });

  // Run by the kubernetes executor's artifact containers inside a step's Pod (not for people).
  const artifact = program.command("artifact", { hidden: true }).description("move a Pod's artifacts to and from the S3 repository (inside a Pod)");
  artifact.command("load").action(async () => {
    try {
      const { loadPodArtifacts } = await import("../app/pod-artifacts.js");
      await loadPodArtifacts();
      setExit(EXIT.ok);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      setExit(EXIT.failed);
    }
  });
  artifact
    .command("save")
    .requiredOption("--done-file <file>", "written by the main container when its command is over")
    .action(async (flags: { doneFile: string }) => {
      const { savePodArtifacts } = await import("../app/pod-artifacts.js");
      await savePodArtifacts({ doneFile: flags.doneFile });
      setExit(EXIT.ok);
    });

  program
    .command("retry")
    .description("run a Failed or Error run's failed nodes again, reusing what succeeded (like argo retry)")
    .argument("<run>", "run name, or @latest")
    .option("-p, --parameter <name=value>", "new value for a workflow argument (repeatable)", parseParam, {})
    .addOption(outputOption())
    .addOption(dataDirOption())
    .action(async (name: string, flags: { parameter: Record<string, string>; output: "text" | "json"; dataDir?: string }) => {
      const started = await continueRun({ dataDir: flags.dataDir ?? defaultDataDir(), name, mode: "retry", reporter: reporterFor(flags.output), parameters: Object.keys(flags.parameter).length ? flags.parameter : undefined });
      setExit(await drive(started, flags.output));
    });

  program
    .command("resume")
    .description("resume suspended nodes of a run; a run whose process was killed carries on from where it stopped")
    .argument("<run>", "run name, or @latest")
    .option("--node <name>", "resume only this suspended node (name or display name)")
    .option("--output-parameter <name=value>", "value for a suspend node's `supplied` output (repeatable)", parseParam, {})
    .addOption(outputOption())
    .addOption(dataDirOption())
    .action(async (name: string, flags: { node?: string; outputParameter: Record<string, string>; output: "text" | "json"; dataDir?: string }) => {
      const dataDir = flags.dataDir ?? defaultDataDir();
      const record = loadRun(dataDir, name);
      const supplied = Object.keys(flags.outputParameter).length ? flags.outputParameter : undefined;
      if (livePid(record.dir) !== undefined) {
        sendControl(record.dir, { action: "resume", node: flags.node, supplied });
        process.stdout.write(`resume requested for ${record.meta.name}\n`);
        setExit(EXIT.ok);
        return;
      }
      const started = await continueRun({ dataDir, name, mode: "resume", reporter: reporterFor(flags.output) });
      setExit(await drive(started, flags.output));
    });

  for (const [verb, action, what] of [
    ["stop", "stop", "stop a running run: no new steps, running ones killed, exit handlers still run"],
    ["terminate", "terminate", "terminate a running run immediately, without exit handlers"],
  ] as const) {
    program
      .command(verb)
      .description(what)
      .argument("<run>", "run name, or @latest")
      .addOption(dataDirOption())
      .action((name: string, flags: { dataDir?: string }) => {
        const record = loadRun(flags.dataDir ?? defaultDataDir(), name);
        if (livePid(record.dir) === undefined) throw new ConfigError(`run "${record.meta.name}" is not running`);
        sendControl(record.dir, { action });
        process.stdout.write(`${verb} requested for ${record.meta.name}\n`);
        setExit(EXIT.ok);
      });
  }

  program
    .command("get")
    .description("show a run's status and node tree")
    .argument("<run>", "run name, or @latest")
    .addOption(outputOption())
    .addOption(dataDirOption())
    .action((name: string, flags: { output: string; dataDir?: string }) => {
      const r = loadRun(flags.dataDir ?? defaultDataDir(), name);
      const status: WorkflowStatus = { ...r.status, nodes: r.nodes };
      if (flags.output === "json") process.stdout.write(JSON.stringify({ ...r.workflow, status }, null, 2) + "\n");
      else process.stdout.write(renderSummary(status, r.meta.name) + "\n\n" + renderTree(status, r.meta.name) + "\n");
      setExit(EXIT.ok);
    });

  program
    .command("list")
    .description("list runs")
    .addOption(dataDirOption())
    .action((flags: { dataDir?: string }) => {
      const base = runsDir(flags.dataDir ?? defaultDataDir());
      const names = existsSync(base) ? readdirSync(base).filter((n) => existsSync(join(base, n, "workflow.json"))) : [];
      for (const n of names.sort()) {
        const st = existsSync(join(base, n, "status.json")) ? (JSON.parse(readFileSync(join(base, n, "status.json"), "utf8")) as { phase: string; startedAt?: string }) : { phase: "Running" };
        process.stdout.write(`${n.padEnd(40)} ${st.phase.padEnd(10)} ${st.startedAt ?? ""}\n`);
      }
      setExit(EXIT.ok);
    });

  program
    .command("logs")
    .description("print the logs a run's nodes wrote")
    .argument("<run>", "run name, or @latest")
    .argument("[node]", "a node's name, display name or id")
    .addOption(dataDirOption())
    .action(async (name: string, nodeName: string | undefined, flags: { dataDir?: string }) => {
      const r = loadRun(flags.dataDir ?? defaultDataDir(), name);
      const nodes = Object.values(r.nodes)
        .filter((n) => n.type === "Pod" && (!nodeName || n.name === nodeName || n.displayName === nodeName || n.id === nodeName))
        .sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""));
      if (nodeName && nodes.length === 0) throw new ConfigError(`no step "${nodeName}" in run ${r.meta.name}`);
      for (const n of nodes) {
        const f = join(r.dir, "logs", `${n.id}.log`);
        if (!existsSync(f)) continue;
        const prefix = nodeName ? "" : `${n.displayName}: `;
        if (!prefix) {
          await new Promise<void>((resolve, reject) => createReadStream(f).on("end", resolve).on("error", reject).pipe(process.stdout, { end: false }));
          continue;
        }
        for (const line of readFileSync(f, "utf8").split("\n")) if (line) process.stdout.write(prefix + line + "\n");
      }
      setExit(EXIT.ok);
    });

  return program;
}

function ignoreEpipe(err: NodeJS.ErrnoException): void {
  if (err.code !== "EPIPE") throw err;
}

/** Entry point of the `tiphys` command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  // `tiphys logs RUN | head`: once the reader has gone, drop further output instead of crashing on an
  // unhandled EPIPE (a `run` keeps going and still records its state).
  process.stdout.on("error", ignoreEpipe);
  process.stderr.on("error", ignoreEpipe);
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    if (err instanceof ConfigError) {
      printConfigError(err);
      return EXIT.invalid;
    }
    process.stderr.write(pc.red(`error: ${(err as Error).message}`) + "\n");
    return EXIT.invalid;
  }
}
