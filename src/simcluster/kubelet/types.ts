// What the simulated kubelet's parts share: its options and the context a pod worker runs in.
import type { SimApi } from "../api.js";
import type { Executor } from "../../engine/executors/types.js";
import type { ImageMatcher } from "./images.js";

export interface KubeletOptions {
  /**
   * `simulate` (default): containers become Running and Ready after the delays and stay running, except
   * in pods with restartPolicy Never/OnFailure whose containers have a command: those run as processes.
   * `process`: every container with a command runs as a local process (workflow steps as Pods).
   */
  mode?: "process" | "simulate";
  /** ContainerCreating → Running. Default 200 ms. */
  podStartDelayMs?: number;
  /** Running → Ready (readiness probes are not run). Default 100 ms. */
  readyDelayMs?: number;
  /** Images that fail to pull (ErrImagePull, then ImagePullBackOff): a RegExp, or names with or without tag. */
  failImages?: RegExp | string[];
  /** Where pod sandboxes (each pod's private /tmp) are made. Default: a new folder under the OS temp dir. */
  workDir?: string;
  /** First restart back-off (doubling, up to 32×). Kubernetes uses 10 s; default here 1000 ms. */
  restartBackoffMs?: number;
}

export interface NodeInfo {
  name: string;
  ip: string;
  allocatable: { cpu: number; memory: number };
}

export interface KubeletContext {
  api: SimApi;
  mode: "process" | "simulate";
  podStartDelayMs: number;
  readyDelayMs: number;
  restartBackoffMs: number;
  failImages: ImageMatcher;
  node: NodeInfo;
  /** The executor that kills with SIGKILL `graceSeconds` (capped) after SIGTERM. */
  executor(graceSeconds: number): Executor;
  /** An executor without the pod's private /tmp (for SIMULATED_TIPHYS_IMAGE containers). */
  hostExecutor(): Executor;
  allocateIp(): string;
  releaseIp(ip: string): void;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when the signal aborts (a simulated server runs until it is stopped). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * The image name `tiphys run --cluster simulated` gives its artifact containers (this checkout's CLI).
 * The kubelet runs them in the host's view, not in the pod's private /tmp (a checkout under /tmp
 * would be hidden there), with TIPHYS_SIM_POD_TMP naming where the pod's /tmp is on the host.
 */
export const SIMULATED_TIPHYS_IMAGE = "tiphys-simulated-cli";
