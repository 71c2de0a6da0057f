/**
 * The Executor port: where a pod-like node's containers run. The local executor runs host
 * processes; the in-process one succeeds at once (benchmarks, planning tests); the Kubernetes one
 * (kubernetes/) runs the whole node as a Pod through `runPod`. The engine never spawns anything itself.
 */
import type { Template } from "../model/types.js";

export interface ProcessSpec {
  /** Container name (`main` for container and script templates). */
  container: string;
  argv: string[];
  /** The container's own variables; executors add them to the host's environment. */
  env: Record<string, string>;
  /** Working directory inside the container's file system view. */
  workingDir?: string;
  image?: string;
}

export interface Sandbox {
  /** Host directory that backs this node's private space. */
  readonly root: string;
  /** Where a path inside the container lives on the host. */
  hostPath(containerPath: string): string;
  /** Whether `/tmp` and the other container paths are really private (a mount namespace). */
  readonly isolated: boolean;
  dispose(): Promise<void>;
}

export interface ProcessIO {
  /** One line of output (without the newline). */
  onLine(stream: "stdout" | "stderr", line: string): void;
  /** Keep stdout's last bytes as the node's result (Argo keeps 256 KiB). */
  captureStdout: boolean;
}

export interface ProcessResult {
  /** null when the process could not start or was killed by a signal. */
  exitCode: number | null;
  signal?: string;
  /** The reason it could not start (e.g. command not found), which makes the node Error. */
  startError?: string;
  stdout?: string;
  durationMs: number;
}

/** A whole pod-like node for an executor that runs Pods (see `Executor.runPod`). */
export interface PodRequest {
  nodeId: string;
  nodeName: string;
  /** Argo's pod name for the node (`run.podName(...)`). */
  podName: string;
  workflow: {
    name: string;
    uid: string;
    /** The workflow spec, for its pod-level defaults (podGC, nodeSelector, podSpecPatch ...). */
    spec: Record<string, unknown>;
  };
  /** The template, substituted: container/script, sidecars, initContainers and the pod fields. */
  template: Template;
  /** Output parameters read from files (`valueFrom.path`). */
  outputParameterFiles: Array<{ name: string; path: string }>;
  /** Keep the main container's output as the node's `result`. */
  captureResult: boolean;
  /** One line of the main container's log, live (without the newline). */
  onLine(stream: "stdout" | "stderr", line: string): void;
}

export interface PodResult {
  /** The main container's exit code; null when it did not terminate with one (deadline, deleted). */
  exitCode: number | null;
  /** Why the pod failed without an exit code (e.g. its deadline). */
  message?: string;
  /** The pod could not start (image pull, unschedulable, no command): the node is an Error. */
  startError?: string;
  /** Values of the output parameter files found (a missing file has no entry). */
  outputsParameters: Record<string, string>;
  /** The main container's log without Tiphys' output section, when `captureResult`. */
  result?: string;
  podIP?: string;
}

export interface Executor {
  readonly name: string;
  /**
   * Optional: runs a whole container/script node as a Pod. When present, the engine hands the node
   * to it instead of making a host sandbox and running processes.
   */
  runPod?(req: PodRequest, signal: AbortSignal): Promise<PodResult>;
  createSandbox(nodeId: string): Promise<Sandbox>;
  run(spec: ProcessSpec, sandbox: Sandbox, io: ProcessIO, signal: AbortSignal): Promise<ProcessResult>;
  /** Warnings to show once per run (e.g. no mount namespace available). */
  warnings(): string[];
}

export const RESULT_LIMIT_BYTES = 256 * 1024;
