import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { RESULT_LIMIT_BYTES, type Executor, type ProcessIO, type ProcessResult, type ProcessSpec, type Sandbox } from "./types.js";

/** How a node's private /tmp is made. */
export type IsolationMode = "helper" | "unshare" | "none";

// Built by `npm install` into dist/native (from src/ under vitest, from dist/src/ when compiled).
const HERE = dirname(fileURLToPath(import.meta.url));
const HELPER =
  [join(HERE, "..", "..", "..", "native", "tiphys-sandbox"), join(HERE, "..", "..", "..", "dist", "native", "tiphys-sandbox")].find((p) =>
    existsSync(p),
  ) ?? "tiphys-sandbox";
const EXEC_FAIL = /^tiphys-sandbox: exec (.*)$/;

function probe(mode: IsolationMode): boolean {
  const tmp = process.env.TMPDIR ?? "/tmp";
  try {
    if (mode === "helper") {
      if (!existsSync(HELPER)) return false;
      return spawnSync(HELPER, ["-b", tmp, "/tmp", "--", "true"], { stdio: "ignore", timeout: 5000 }).status === 0;
    }
    if (mode === "unshare") {
      const r = spawnSync("unshare", ["--mount", "--map-root-user", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /tmp', tmp], {
        stdio: "ignore",
        timeout: 5000,
      });
      return r.status === 0;
    }
  } catch {
    return false;
  }
  return true;
}

/** Picks the cheapest isolation that works here (probed once per process). */
let detected: IsolationMode | undefined;
export function detectIsolation(): IsolationMode {
  if (detected) return detected;
  if (process.platform !== "linux") return (detected = "none");
  detected = probe("helper") ? "helper" : probe("unshare") ? "unshare" : "none";
  return detected;
}

class LocalSandbox implements Sandbox {
  constructor(
    readonly root: string,
    readonly isolated: boolean,
  ) {}
  hostPath(containerPath: string): string {
    const p = posix.normalize(containerPath.startsWith("/") ? containerPath : "/" + containerPath);
    // Without a mount namespace the process sees the host's own paths, so they are the same.
    if (!this.isolated) return p;
    if (p === "/tmp" || p.startsWith("/tmp/")) return join(this.root, "tmp", p.slice(4));
    return join(this.root, "fs", p);
  }
  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

export interface LocalExecutorOptions {
  /** Where node sandboxes are created (one folder per node). */
  workDir: string;
  isolation?: IsolationMode;
  /** Extra environment for every process (e.g. PATH with test shims). */
  env?: Record<string, string>;
  killGraceMs?: number;
}

/**
 * Runs containers as host processes. The image is recorded, not pulled. Each node gets a private
 * folder; its `/tmp` is private through a mount namespace where one can be made.
 */
export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly isolation: IsolationMode;

  constructor(private readonly opts: LocalExecutorOptions) {
    this.isolation = opts.isolation ?? detectIsolation();
  }

  warnings(): string[] {
    return this.isolation === "none"
      ? ["no mount namespace available here: steps share the host's /tmp (install a C compiler or util-linux `unshare`)"]
      : [];
  }

  async createSandbox(nodeId: string): Promise<Sandbox> {
    const root = join(this.opts.workDir, nodeId);
    mkdirSync(join(root, "tmp"), { recursive: true, mode: 0o1777 });
    return new LocalSandbox(root, this.isolation !== "none");
  }

  /** The argv that makes the sandbox's mounts (bind the node's /tmp, and folders it uses elsewhere). */
  private wrap(spec: ProcessSpec, sandbox: Sandbox): { cmd: string; args: string[]; cwd?: string } {
    const workingDir = spec.workingDir;
    if (this.isolation === "none") {
      const cwd = workingDir ? sandbox.hostPath(workingDir) : sandbox.root;
      mkdirSync(cwd, { recursive: true });
      return { cmd: spec.argv[0], args: spec.argv.slice(1), cwd };
    }
    const binds: Array<[string, string]> = [[join(sandbox.root, "tmp"), "/tmp"]];
    const fsRoot = join(sandbox.root, "fs");
    if (existsSync(fsRoot)) {
      // Folders the node's artifacts or outputs use outside /tmp: bind each existing top-level one.
      for (const top of readdirSync(fsRoot)) {
        if (existsSync("/" + top)) binds.push([join(fsRoot, top), "/" + top]);
      }
    }
    const cwd = workingDir ?? "/tmp";
    if (workingDir) mkdirSync(sandbox.hostPath(workingDir), { recursive: true });
    if (this.isolation === "helper") {
      const args: string[] = [];
      for (const [s, d] of binds) args.push("-b", s, d);
      args.push("-C", cwd, "--", ...spec.argv);
      return { cmd: HELPER, args };
    }
    const script = binds.map((_b, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}"`).join(" && ");
    const nb = binds.length * 2;
    return {
      cmd: "unshare",
      args: [
        "--mount",
        "--map-root-user",
        "--propagation",
        "private",
        "sh",
        "-c",
        `${script} && cd "$${nb + 1}" && shift ${nb + 1} && exec "$@" || { echo "tiphys-sandbox: exec $1: not found" >&2; exit 127; }`,
        "tiphys-sandbox",
        ...binds.flat(),
        cwd,
        ...spec.argv,
      ],
    };
  }

  run(spec: ProcessSpec, sandbox: Sandbox, io: ProcessIO, signal: AbortSignal): Promise<ProcessResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      if (spec.argv.length === 0) {
        resolve({ exitCode: null, startError: "no command to run", durationMs: 0 });
        return;
      }
      const { cmd, args, cwd } = this.wrap(spec, sandbox);
      let stdout = "";
      let stdoutBytes = 0;
      let startError: string | undefined;
      let settled = false;
      const child = spawn(cmd, args, {
        cwd,
        env: { ...process.env, ...this.opts.env, ...spec.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const kill = () => {
        if (child.pid === undefined || child.exitCode !== null) return;
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        setTimeout(() => {
          try {
            if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, this.opts.killGraceMs ?? 2000).unref();
      };
      if (signal.aborted) kill();
      signal.addEventListener("abort", kill, { once: true });
      const lines = (stream: "stdout" | "stderr") => {
        let rest = "";
        return (chunk: Buffer) => {
          const text = rest + chunk.toString("utf8");
          const parts = text.split("\n");
          rest = parts.pop() ?? "";
          for (const l of parts) {
            if (stream === "stderr") {
              const m = EXEC_FAIL.exec(l);
              if (m) {
                startError = m[1];
                continue;
              }
            }
            io.onLine(stream, l);
          }
          return () => {
            if (rest) io.onLine(stream, rest);
            rest = "";
          };
        };
      };
      const outLines = lines("stdout");
      const errLines = lines("stderr");
      let flushOut = () => {};
      let flushErr = () => {};
      child.stdout.on("data", (chunk: Buffer) => {
        if (io.captureStdout) {
          stdout += chunk.toString("utf8");
          stdoutBytes += chunk.length;
          if (stdoutBytes > RESULT_LIMIT_BYTES * 2) {
            stdout = stdout.slice(-RESULT_LIMIT_BYTES);
            stdoutBytes = Buffer.byteLength(stdout);
          }
        }
        flushOut = outLines(chunk);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        flushErr = errLines(chunk);
      });
      const finish = (r: Omit<ProcessResult, "durationMs">) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", kill);
        resolve({ ...r, durationMs: performance.now() - started });
      };
      child.on("error", (err: NodeJS.ErrnoException) => {
        const reason = err.code === "ENOENT" ? `${spec.argv[0]}: command not found` : `${spec.argv[0]}: ${err.message}`;
        finish({ exitCode: null, startError: reason });
      });
      child.on("close", (code, sig) => {
        flushOut();
        flushErr();
        if (stdout.length > RESULT_LIMIT_BYTES) stdout = stdout.slice(-RESULT_LIMIT_BYTES);
        if (startError !== undefined) {
          finish({ exitCode: code, startError: startError.replace(/: No such file or directory$/, ": command not found") });
          return;
        }
        finish({ exitCode: code, signal: sig ?? undefined, stdout: io.captureStdout ? stdout : undefined });
      });
    });
  }
}
