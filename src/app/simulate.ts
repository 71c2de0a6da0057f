import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import { CLUSTER_NAME } from "../simcluster/kubeconfig.js";
import { SIMULATED_VERSION, startSimulatedCluster } from "../simcluster/index.js";

/** Where `tiphys cluster simulate` writes its kubeconfig unless told otherwise. */
export const DEFAULT_SIMULATION_KUBECONFIG = "tiphys-simulated.kubeconfig";

export interface SimulationInput {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** The kubeconfig to write; relative to the current directory. Default ./tiphys-simulated.kubeconfig. */
  kubeconfigOut?: string;
  /**
   * HTTPS with a self-signed certificate the kubeconfig trusts (default). False: plain HTTP, where
   * requests without a token are accepted too, because kubectl sends none over HTTP (the simulation
   * accepts any token anyway).
   */
  tls?: boolean;
}

export interface RunningSimulation {
  url: string;
  /** Absolute path of the kubeconfig written. */
  kubeconfig: string;
  /** The kubeconfig context (and cluster) name. */
  context: string;
  tls: boolean;
  /** The version the simulated server reports (it says `simulated`). */
  version: string;
  /** Whether stopping removes the kubeconfig (only one written at the default path). */
  removesKubeconfig: boolean;
  /** Stops the server; removes the kubeconfig unless the user named it. */
  stop(): Promise<void>;
}

/**
 * Starts a simulated Kubernetes API server (in memory, in this process) and writes a kubeconfig for
 * it. A kubeconfig the user asked for by path is kept when the simulation stops (it then points at a
 * stopped server); the default one is removed, as nobody asked to keep it.
 */
export async function startSimulation(input: SimulationInput): Promise<RunningSimulation> {
  const tls = input.tls ?? true;
  const kubeconfig = resolve(input.kubeconfigOut ?? DEFAULT_SIMULATION_KUBECONFIG);
  const removesKubeconfig = input.kubeconfigOut === undefined;
  // Controllers and a kubelet that runs containers' commands as local processes: Deployments roll out,
  // Jobs and Pods run, Services get addresses.
  const sim = await startSimulatedCluster({ port: input.port, host: input.host, tls, allowAnonymous: !tls, controllers: true, kubelet: { mode: "process" } }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") throw new ConfigError(`port ${input.port} is in use; pick another with --port, or --port 0 for a free one`);
    if (err.code === "EADDRNOTAVAIL") throw new ConfigError(`cannot listen on ${input.host}: no such address on this machine`);
    throw err;
  });
  try {
    await sim.writeKubeconfig(kubeconfig);
  } catch (err) {
    await sim.close();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: sim.url,
    kubeconfig,
    context: CLUSTER_NAME,
    tls,
    version: SIMULATED_VERSION,
    removesKubeconfig,
    stop: () =>
      (stopped ??= (async () => {
        await sim.close();
        if (removesKubeconfig && existsSync(kubeconfig)) await rm(kubeconfig, { force: true });
      })()),
  };
}
