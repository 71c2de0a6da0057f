/**
 * The ToolRunner port: how the core runs the config-management tools Argo CD's repo-server runs
 * (`helm`, `kustomize`). One adapter (src/tools/binaries.ts) runs the real binaries; tests may wrap it.
 *
 * What a failure means decides its class (ARCHITECTURE.md):
 * - the tool ran and exited non-zero: the user's chart or kustomization is wrong, `ToolFailedError`
 *   (a ConfigError carrying the tool's stderr);
 * - the tool printed more than the output cap: `ToolOutputTooLargeError` (a ConfigError);
 * - the tool did not finish in time: `ToolTimeoutError` (a TransientError; Argo CD's exec timeout,
 *   `ARGOCD_EXEC_TIMEOUT`, is 90 s, ours defaults to 60 s);
 * - the binary is missing or cannot be started: `ToolMissingError` (an ExternalError whose message says
 *   how to install it).
 */
import { ConfigError, ExternalError, TransientError } from "../errors.js";

export type ToolName = "helm" | "kustomize";

export interface ToolRunOptions {
  /** Working directory of the process. */
  cwd: string;
  /** Kill the process (and everything it started) after this long. Default `DEFAULT_TOOL_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Added to (and overriding) the environment the adapter passes on. */
  env?: Record<string, string>;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

export interface ToolRunner {
  /** Runs the tool; resolves only when it exits 0. */
  run(tool: ToolName, args: string[], opts: ToolRunOptions): Promise<ToolOutput>;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
/** Cap on what one tool run may print (stdout or stderr). */
export const MAX_TOOL_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The environment variable that names the binary for a tool (`TIPHYS_HELM`, `TIPHYS_KUSTOMIZE`). */
export function toolEnvVar(tool: ToolName): string {
  return `TIPHYS_${tool.toUpperCase()}`;
}

/** How to get a tool, for messages. */
export function toolInstallHint(tool: ToolName): string {
  return `run \`npm run tools\` in the Tiphys package (it puts helm, kubectl and a kustomize wrapper in .tools/bin), set ${toolEnvVar(tool)} to the binary's path, or put ${tool} on PATH`;
}

/** The command as a user could type it (arguments with spaces or quotes are quoted). */
export function formatCommand(tool: ToolName, args: readonly string[]): string {
  const quote = (a: string) => (a === "" || /[\s"'$`\\]/.test(a) ? JSON.stringify(a) : a);
  return [tool, ...args].map(quote).join(" ");
}

/** The tool exited non-zero: its input is wrong. `stderr` is what it printed, trimmed. */
export class ToolFailedError extends ConfigError {
  override name = "ToolFailedError";
  constructor(
    readonly tool: ToolName,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`\`${formatCommand(tool, args)}\` failed with exit code ${exitCode ?? "?"}: ${stderr.trim() || "(no output)"}`);
  }
}

export class ToolOutputTooLargeError extends ConfigError {
  override name = "ToolOutputTooLargeError";
  constructor(
    readonly tool: ToolName,
    readonly args: readonly string[],
    readonly limitBytes: number,
  ) {
    super(`\`${formatCommand(tool, args)}\` printed more than ${limitBytes} bytes; it was stopped`);
  }
}

export class ToolTimeoutError extends TransientError {
  override name = "ToolTimeoutError";
  constructor(
    readonly tool: ToolName,
    readonly args: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`\`${formatCommand(tool, args)}\` did not finish within ${timeoutMs / 1000}s and was killed (raise the limit with ARGOCD_EXEC_TIMEOUT, e.g. 180s)`);
  }
}

export class ToolMissingError extends ExternalError {
  override name = "ToolMissingError";
  constructor(
    readonly tool: ToolName,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${detail}: ${toolInstallHint(tool)}`, tool, options);
  }
}
