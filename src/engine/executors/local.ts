import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { StringDecoder } from "node:string_decoder";
import { Spawner } from "./spawner.js";
import { RESULT_LIMIT_BYTES, type Executor, type ProcessIO, type ProcessResult, type ProcessSpec, type Sandbox } from "./types.js";

/** How a node's private /tmp is made. */
export type IsolationMode = "spawner" | "unshare" | "none";

// Built by `npm install` into dist/native (from src/ under vitest, from dist/src/ when compiled).
const HERE = dirname(fileURLToPath(import.meta.url));
function nativeBinary(name: string): string {
  return [join(HERE, "..", "..", "..", "native", name), join(HERE, "..", "..", "..", "dist", "native", name)].find((p) => existsSync(p)) ?? name;
}
const SPAWNER = nativeBinary("tiphys-spawner");
const EXEC_FAIL = /^tiphys-sandbox: exec (.*)$/;

function probe(mode: IsolationMode): boolean {
  const tmp = process.env.TMPDIR ?? "/tmp";
  try {
    if (mode === "spawner") {
      if (!existsSync(SPAWNER)) return false;
      return spawnSync(SPAWNER, ["--probe", tmp], { stdio: "ignore", timeout: 5000 }).status === 0;
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
  detected = probe("spawner") ? "spawner" : probe("unshare") ? "unshare" : "none";
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

  /** The node's mounts: its /tmp over /tmp, and the folders it uses elsewhere over theirs. */
  private bindsOf(sandbox: Sandbox): Array<[string, string]> {
    const binds: Array<[string, string]> = [[join(sandbox.root, "tmp"), "/tmp"]];
    const fsRoot = join(sandbox.root, "fs");
    if (existsSync(fsRoot)) {
      // Folders the node's artifacts or outputs use outside /tmp: bind each existing top-level one.
      for (const top of readdirSync(fsRoot)) {
        if (existsSync("/" + top)) binds.push([join(fsRoot, top), "/" + top]);
      }
    }
    return binds;
  }

  /** The argv that makes the sandbox's mounts (bind the node's /tmp, and folders it uses elsewhere). */
  private wrap(spec: ProcessSpec, sandbox: Sandbox): { cmd: string; args: string[]; cwd?: string } {
    const workingDir = spec.workingDir;
    if (this.isolation === "none") {
      const cwd = workingDir ? sandbox.hostPath(workingDir) : sandbox.root;
      mkdirSync(cwd, { recursive: true });
      return { cmd: spec.argv[0], args: spec.argv.slice(1), cwd };
    }
    const binds = this.bindsOf(sandbox);
    const cwd = workingDir ?? "/tmp";
    if (workingDir) mkdirSync(sandbox.hostPath(workingDir), { recursive: true });
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
        // sh exits at a failed `exec` without running an `||`: check the command first.
        `${script} && cd "$${nb + 1}" && shift ${nb + 1} && { command -v "$1" >/dev/null 2>&1 || { echo "tiphys-sandbox: exec $1: not found" >&2; exit 127; }; } && exec "$@"`,
        "tiphys-sandbox",
        ...binds.flat(),
        cwd,
        ...spec.argv,
      ],
    };
  }

  private spawner: Spawner | undefined;

  run(spec: ProcessSpec, sandbox: Sandbox, io: ProcessIO, signal: AbortSignal): Promise<ProcessResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      if (spec.argv.length === 0) {
        resolve({ exitCode: null, startError: "no command to run", durationMs: 0 });
        return;
      }
      const sink = new OutputSink(io);
      let pid: number | undefined;
      let exited = false;
      let settled = false;
      const kill = () => {
        if (pid === undefined || exited) return;
        const group = pid;
        try {
          process.kill(-group, "SIGTERM");
        } catch {
          // already gone
        }
        setTimeout(() => {
          try {
            if (!exited) process.kill(-group, "SIGKILL");
          } catch {
            // already gone
          }
        }, this.opts.killGraceMs ?? 2000).unref();
      };
      const onPid = (p: number) => {
        pid = p;
        if (signal.aborted) kill();
      };
      signal.addEventListener("abort", kill, { once: true });
      const finish = (r: Omit<ProcessResult, "durationMs">) => {
        if (settled) return;
        settled = true;
        exited = true;
        signal.removeEventListener("abort", kill);
        resolve({ ...r, durationMs: performance.now() - started });
      };
      const onExit = (code: number | null, sig: string | undefined) => {
        sink.end();
        if (sink.startError !== undefined) {
          finish({ exitCode: code, startError: sink.startError.replace(/: No such file or directory$/, ": command not found") });
          return;
        }
        finish({ exitCode: code, signal: sig, stdout: sink.stdout() });
      };
      if (this.isolation === "spawner") {
        this.spawner ??= new Spawner(SPAWNER);
        if (spec.workingDir) mkdirSync(sandbox.hostPath(spec.workingDir), { recursive: true });
        this.spawner.spawn(
          { argv: spec.argv, env: { ...process.env, ...this.opts.env, ...spec.env } as Record<string, string>, cwd: spec.workingDir ?? "/tmp", isolate: true, binds: this.bindsOf(sandbox) },
          { onPid, onStdout: (c) => sink.write("stdout", c), onStderr: (c) => sink.write("stderr", c), onExit: (code, sig) => onExit(code, sig ? `signal ${sig}` : undefined) },
        );
        return;
      }
      const { cmd, args, cwd } = this.wrap(spec, sandbox);
      const child = spawn(cmd, args, { cwd, env: { ...process.env, ...this.opts.env, ...spec.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
      if (child.pid !== undefined) onPid(child.pid);
      child.stdout.on("data", (c: Buffer) => sink.write("stdout", c));
      child.stderr.on("data", (c: Buffer) => sink.write("stderr", c));
      child.on("error", (err: NodeJS.ErrnoException) => {
        const reason = err.code === "ENOENT" ? `${spec.argv[0]}: command not found` : `${spec.argv[0]}: ${err.message}`;
        finish({ exitCode: null, startError: reason });
      });
      child.on("close", (code, sig) => onExit(code, sig ?? undefined));
    });
  }
}

/** Splits a process's output into lines for the logs and keeps stdout's tail as the result. */
class OutputSink {
  private readonly rest = { stdout: "", stderr: "" };
  // Multi-byte characters can be split across chunks.
  private readonly decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  private out = "";
  private outBytes = 0;
  startError: string | undefined;

  constructor(private readonly io: ProcessIO) {}

  write(stream: "stdout" | "stderr", chunk: Buffer): void {
    const text = this.decoders[stream].write(chunk);
    if (stream === "stdout" && this.io.captureStdout) {
      this.out += text;
      this.outBytes += chunk.length;
      if (this.outBytes > RESULT_LIMIT_BYTES * 2) {
        this.out = this.out.slice(-RESULT_LIMIT_BYTES);
        this.outBytes = Buffer.byteLength(this.out);
      }
    }
    const parts = (this.rest[stream] + text).split("\n");
    this.rest[stream] = parts.pop() ?? "";
    for (const l of parts) this.line(stream, l);
  }

  private line(stream: "stdout" | "stderr", l: string): void {
    if (stream === "stderr") {
      const m = EXEC_FAIL.exec(l);
      if (m) {
        this.startError = m[1];
        return;
      }
    }
    this.io.onLine(stream, l);
  }

  end(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.rest[stream]) this.line(stream, this.rest[stream]);
      this.rest[stream] = "";
    }
  }

  stdout(): string | undefined {
    if (!this.io.captureStdout) return undefined;
    return this.out.length > RESULT_LIMIT_BYTES ? this.out.slice(-RESULT_LIMIT_BYTES) : this.out;
  }
}
