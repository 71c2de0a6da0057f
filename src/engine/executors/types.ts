/**
 * The Executor port: where a pod-like node's containers run. The local executor runs host
 * processes; the in-process one succeeds at once (benchmarks, planning tests); a Kubernetes one
 * comes later. The engine never spawns anything itself.
 */

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

export interface Executor {
  readonly name: string;
  createSandbox(nodeId: string): Promise<Sandbox>;
  run(spec: ProcessSpec, sandbox: Sandbox, io: ProcessIO, signal: AbortSignal): Promise<ProcessResult>;
  /** Warnings to show once per run (e.g. no mount namespace available). */
  warnings(): string[];
}

export const RESULT_LIMIT_BYTES = 256 * 1024;
