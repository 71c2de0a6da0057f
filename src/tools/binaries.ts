/**
 * The ToolRunner adapter: runs the real `helm` and `kustomize` binaries directly (no shell).
 *
 * A binary is found in this order: the environment variable `TIPHYS_HELM` / `TIPHYS_KUSTOMIZE`, then
 * `<package root>/.tools/bin/<tool>` (what `npm run tools` installs), then PATH. Each run gets its own
 * process group, so a timeout or an output overflow kills the tool and everything it started (a shell
 * wrapper's children included), not just the direct child.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_TOOL_TIMEOUT_MS,
  MAX_TOOL_OUTPUT_BYTES,
  ToolFailedError,
  ToolMissingError,
  ToolOutputTooLargeError,
  ToolTimeoutError,
  toolEnvVar,
  type ToolName,
  type ToolOutput,
  type ToolRunner,
  type ToolRunOptions,
} from "../core/ports/tools.js";

export interface BinaryToolRunnerOptions {
  /** Environment to read `TIPHYS_*`, `ARGOCD_EXEC_TIMEOUT` and PATH from, and to pass on. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Where `.tools/bin` lives. Default: the nearest folder above this file whose package.json is named "tiphys". */
  packageRoot?: string;
  /** Timeout when a run does not give one. Default: `ARGOCD_EXEC_TIMEOUT` (a Go duration) or 60 s. */
  defaultTimeoutMs?: number;
  /** Cap on stdout and on stderr of one run. Default 64 MiB. */
  maxOutputBytes?: number;
}

/** Go's `time.ParseDuration` for the forms people write (`90s`, `2m`, `1m30s`, `1.5h`, `500ms`); undefined when invalid. */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const s = text.trim();
  if (s === "0") return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * unitMs[m[2]];
    at = re.lastIndex;
  }
  return at === 0 ? undefined : total;
}

/** The nearest folder at or above `from` holding a package.json named "tiphys". */
export function findPackageRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "tiphys") return dir;
    } catch {
      // no package.json here (or not JSON): keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The binary to run for `tool`; throws ToolMissingError naming where it looked. */
export function resolveToolBinary(tool: ToolName, opts: { env: NodeJS.ProcessEnv; packageRoot?: string }): string {
  const envVar = toolEnvVar(tool);
  const override = opts.env[envVar];
  if (override) {
    const found = override.includes("/") ? (isExecutableFile(resolve(override)) ? resolve(override) : undefined) : findOnPath(override, opts.env.PATH);
    if (!found) throw new ToolMissingError(tool, `${envVar} is set to ${override}, which is not an executable file`);
    return found;
  }
  if (opts.packageRoot) {
    const bundled = join(opts.packageRoot, ".tools", "bin", tool);
    if (isExecutableFile(bundled)) return bundled;
  }
  const onPath = findOnPath(tool, opts.env.PATH);
  if (onPath) return onPath;
  const looked = opts.packageRoot ? `${join(opts.packageRoot, ".tools", "bin")} or PATH` : "PATH";
  throw new ToolMissingError(tool, `${tool} was not found (looked in ${envVar}, ${looked})`);
}

/** Process groups still running, killed if this process exits first. */
const running = new Set<number>();
let exitHookInstalled = false;
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
function track(pid: number | undefined): void {
  if (!pid) return;
  running.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => running.forEach((p) => killGroup(p)));
  }
}

export class BinaryToolRunner implements ToolRunner {
  private readonly env: NodeJS.ProcessEnv;
  private readonly packageRoot: string | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly maxOutputBytes: number;

  constructor(options: BinaryToolRunnerOptions = {}) {
    this.env = options.env ?? process.env;
    this.packageRoot = options.packageRoot ?? findPackageRoot(dirname(fileURLToPath(import.meta.url)));
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? parseGoDuration(this.env.ARGOCD_EXEC_TIMEOUT) ?? DEFAULT_TOOL_TIMEOUT_MS;
    this.maxOutputBytes = options.maxOutputBytes ?? MAX_TOOL_OUTPUT_BYTES;
  }

  /** The binary `run` would start for `tool` (throws ToolMissingError). */
  binaryFor(tool: ToolName): string {
    return resolveToolBinary(tool, { env: this.env, packageRoot: this.packageRoot });
  }

  async run(tool: ToolName, args: string[], opts: ToolRunOptions): Promise<ToolOutput> {
    const binary = this.binaryFor(tool);
    // A missing cwd makes spawn fail with ENOENT too; say which one it was.
    if (!isAbsolute(opts.cwd) || !isDirectory(opts.cwd)) throw new Error(`${tool}: working directory ${opts.cwd} is not an existing absolute directory`);
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const limit = this.maxOutputBytes;
    return new Promise<ToolOutput>((resolvePromise, reject) => {
      // execFile's way (no shell, argv as given), but with spawn: execFile drops `detached`, and the
      // tool needs its own process group so a timeout can kill everything it started.
      const child = spawn(binary, args, { cwd: opts.cwd, env: { ...this.env, ...opts.env }, detached: true, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
      track(child.pid);
      let timedOut = false;
      let tooLarge = false;
      let failed: Error | undefined;
      const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
      const sizes = { stdout: 0, stderr: 0 };
      for (const stream of ["stdout", "stderr"] as const) {
        child[stream].on("data", (chunk: Buffer) => {
          sizes[stream] += chunk.length;
          if (sizes[stream] > limit) {
            if (!tooLarge) killGroup(child.pid);
            tooLarge = true;
            return;
          }
          chunks[stream].push(chunk);
        });
      }
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      child.on("error", (err) => {
        failed = err;
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (child.pid) running.delete(child.pid);
        killGroup(child.pid); // grandchildren that outlived the tool
        const stdout = Buffer.concat(chunks.stdout).toString("utf8");
        const stderr = Buffer.concat(chunks.stderr).toString("utf8");
        if (failed) {
          const errno = (failed as NodeJS.ErrnoException).code;
          if (errno === "ENOENT" || errno === "EACCES") {
            return reject(new ToolMissingError(tool, `${binary} could not be started (${errno})`, { cause: failed }));
          }
          return reject(failed);
        }
        if (timedOut) return reject(new ToolTimeoutError(tool, args, timeoutMs));
        if (tooLarge) return reject(new ToolOutputTooLargeError(tool, args, limit));
        if (code === 0) return resolvePromise({ stdout, stderr });
        if (code !== null) return reject(new ToolFailedError(tool, args, code, stderr));
        reject(new ToolFailedError(tool, args, null, `${stderr}\n(killed by ${signal ?? "an unknown signal"})`));
      });
    });
  }
}

export function createBinaryToolRunner(options: BinaryToolRunnerOptions = {}): BinaryToolRunner {
  return new BinaryToolRunner(options);
}
