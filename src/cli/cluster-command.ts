import { relative } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import pc from "picocolors";
import { DEFAULT_SIMULATION_KUBECONFIG, startSimulation } from "../app/simulate.js";

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number (0 picks a free one)");
  return n;
}

/** A path as the user would type it: relative to here when it is below here. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? `./${rel}` : path;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/**
 * `tiphys cluster simulate`: a simulated Kubernetes API server in the foreground, with a kubeconfig
 * for kubectl and for Tiphys. Ctrl-C (or SIGTERM) stops it and exits 0.
 */
export function addClusterCommand(program: Command, setExit: (code: number) => void): void {
  const cluster = program.command("cluster").description("Kubernetes clusters for Tiphys");
  cluster
    .command("simulate")
    .description("run a SIMULATED Kubernetes API server in the foreground (in memory; for trying Tiphys and kubectl without a cluster)")
    .option("--port <n>", "port to listen on (0 picks a free one)", parsePort, 0)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--kubeconfig-out <file>", `kubeconfig to write (default: ./${DEFAULT_SIMULATION_KUBECONFIG}, removed on exit; a file named here is kept)`)
    .option("--no-tls", "serve plain HTTP instead of HTTPS with a self-signed certificate")
    .action(async (flags: { port: number; host: string; kubeconfigOut?: string; tls: boolean }) => {
      const out = process.stdout;
      const sim = await startSimulation({ port: flags.port, host: flags.host, kubeconfigOut: flags.kubeconfigOut, tls: flags.tls });
      const file = shown(sim.kubeconfig);
      out.write(
        [
          pc.bold(pc.yellow("SIMULATION: this is not a real Kubernetes cluster.")),
          pc.dim("An API server held in this process's memory; everything in it is lost when it stops."),
          "",
          `  server      ${sim.url}${sim.tls ? "" : pc.yellow("  (plain HTTP)")}`,
          `  version     ${sim.version}`,
          `  kubeconfig  ${file}  ${pc.dim(`(context ${sim.context})`)}`,
          "",
          "Try:",
          `  kubectl --kubeconfig ${file} get ns`,
          `  export KUBECONFIG=${sim.kubeconfig}`,
          "",
          pc.dim(`Ctrl-C stops it${sim.removesKubeconfig ? " and removes the kubeconfig" : `; ${file} is kept`}.`),
          "",
        ].join("\n"),
      );
      const signal = await untilSignal();
      await sim.stop();
      out.write(`\nsimulated cluster stopped (${signal})${sim.removesKubeconfig ? `; removed ${file}` : ""}\n`);
      setExit(0);
    });
}
