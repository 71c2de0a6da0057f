/**
 * `tiphys rollout status|promote|abort|retry|undo NAME`: Argo Rollouts' operations on a Rollout in a
 * cluster, with Tiphys as the controller. Each acts on the state kept in the cluster, so separate
 * commands continue the same release; promote, retry and undo run the controller until the next gate,
 * the end or a failure. Text output follows `kubectl argo rollouts get rollout`; `-o json` prints the
 * Rollout with Argo's status.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import pc from "picocolors";
import type { RolloutOperation } from "../app/rollouts.js";
import type { RolloutState } from "../reconcilers/rollout/controller.js";
import { progressLine, renderRollout } from "./rollout-render.js";

interface RolloutFlags {
  namespace: string;
  output: "text" | "json";
  cluster?: "simulated";
  kubeconfig?: string;
  context?: string;
  full?: boolean;
  toRevision?: number;
}

function parseRevision(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a revision number (1 or more)");
  return n;
}

/** The cluster flags as the user gave them, for the commands printed at a gate. */
function clusterArgs(flags: RolloutFlags): string {
  if (flags.cluster) return `--cluster ${flags.cluster}`;
  return [flags.kubeconfig ? `--kubeconfig ${flags.kubeconfig}` : "", flags.context ? `--context ${flags.context}` : ""].filter(Boolean).join(" ");
}

const VERBS: Array<{ op: RolloutOperation; what: string }> = [
  { op: "status", what: "where a Rollout stands: status, steps, weights, ReplicaSets, analysis runs" },
  { op: "promote", what: "move a Rollout past its pause (or, with --full, past every remaining step), then run it to the next gate or the end" },
  { op: "abort", what: "abort the update: the canary goes to 0 and the stable serves (Degraded, RolloutAborted)" },
  { op: "retry", what: "retry an aborted update from its first step, then run it to the next gate or the end" },
  { op: "undo", what: "roll back to the previous revision's pod template (or --to-revision N), then run it to the next gate or the end" },
];

function print(state: RolloutState, flags: RolloutFlags, asObject: (s: RolloutState) => unknown): void {
  if (flags.output === "json") process.stdout.write(JSON.stringify(asObject(state), null, 2) + "\n");
  else process.stdout.write(renderRollout(state, { color: process.stdout.isTTY === true, clusterArgs: clusterArgs(flags) }) + "\n");
}

export function addRolloutCommands(program: Command, setExit: (code: number) => void): void {
  const rollout = program.command("rollout").description("Argo Rollouts in a cluster, with Tiphys as the Rollout controller");
  for (const { op, what } of VERBS) {
    const cmd = rollout
      .command(op)
      .description(what)
      .argument("<NAME>", "the Rollout's name")
      .option("-n, --namespace <ns>", "the Rollout's namespace", "default")
      .addOption(new Option("-o, --output <format>", "text, or json: the Rollout with Argo's status").choices(["text", "json"]).default("text"))
      .addOption(new Option("--cluster <kind>", "`simulated`: a private SIMULATED cluster for this command").choices(["simulated"]))
      .option("--kubeconfig <file>", "the cluster's kubeconfig (default: $KUBECONFIG)")
      .option("--context <name>", "kubeconfig context");
    if (op === "promote") cmd.option("--full", "skip every remaining step, pause and analysis");
    if (op === "undo") cmd.option("--to-revision <n>", "the revision to go back to (default: the previous one)", parseRevision);
    cmd.action(async (name: string, flags: RolloutFlags) => {
      // Loaded when the command runs, not at every start of the CLI.
      const [{ openCluster }, { rolloutObject, runRolloutOperation }] = await Promise.all([import("../app/applications.js"), import("../app/rollouts.js")]);
      const opened = await openCluster({ simulated: flags.cluster === "simulated", kubeconfig: flags.kubeconfig, context: flags.context });
      const stop = new AbortController();
      const onSigint = () => {
        process.stderr.write(pc.yellow("stopped waiting; the release stays where it is in the cluster\n"));
        stop.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        for (const w of opened.warnings) process.stderr.write(pc.yellow(`warning: ${w}\n`));
        let last = "";
        const state = await runRolloutOperation(opened.cluster, {
          ref: { namespace: flags.namespace, name },
          op,
          full: flags.full,
          toRevision: flags.toRevision,
          by: process.env.USER ?? "cli",
          signal: stop.signal,
          onChange: (s) => {
            const line = progressLine(s);
            if (line.slice(9) !== last) process.stderr.write(pc.dim(line) + "\n");
            last = line.slice(9);
          },
        });
        print(state, flags, rolloutObject);
        // An abort ends Degraded by design; anything else ending Degraded failed.
        setExit(state.phase === "Degraded" && op !== "abort" && op !== "status" ? 1 : 0);
      } finally {
        process.off("SIGINT", onSigint);
        await opened.close();
      }
    });
  }
}
