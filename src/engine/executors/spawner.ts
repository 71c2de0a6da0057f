import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/** What to start: argv with its full environment, the folders to bind, the working directory. */
export interface SpawnRequest {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  isolate: boolean;
  binds: Array<[string, string]>;
}

export interface SpawnCallbacks {
  onPid(pid: number): void;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  onExit(code: number | null, signal: number): void;
}

/**
 * Talks to `native/tiphys-spawner`: one small long-lived process that forks the steps, so a step
 * costs about a bare fork+exec of a small process instead of a fork of this large one.
 * Protocol in the C file's header comment.
 */
export class Spawner {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private readonly pending = new Map<number, SpawnCallbacks>();
  private nextId = 1;
  private buf: Buffer = Buffer.alloc(0);
  private dead: Error | undefined;

  constructor(binary: string) {
    this.proc = spawn(binary, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.proc.stdout.on("data", (c: Buffer) => this.onData(c));
    this.proc.on("error", (err) => this.die(err));
    this.proc.on("exit", () => this.die(new Error("the step spawner exited")));
    this.proc.stdin.on("error", (err) => this.die(err));
    // The spawner must not keep Node alive when nothing runs.
    this.proc.unref();
    (this.proc.stdout as unknown as { unref?: () => void }).unref?.();
    (this.proc.stdin as unknown as { unref?: () => void }).unref?.();
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    for (const cb of this.pending.values()) {
      cb.onStderr(Buffer.from(`tiphys-sandbox: exec : ${err.message}\n`));
      cb.onExit(127, 0);
    }
    this.pending.clear();
  }

  get alive(): boolean {
    return !this.dead;
  }

  spawn(req: SpawnRequest, cb: SpawnCallbacks): void {
    if (this.dead) {
      cb.onStderr(Buffer.from(`tiphys-sandbox: exec ${req.argv[0]}: ${this.dead.message}\n`));
      cb.onExit(127, 0);
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, cb);
    if (this.pending.size === 1) {
      this.proc.ref();
      (this.proc.stdout as unknown as { ref?: () => void }).ref?.();
    }
    const request = spawnerRequest(id, req);
    if (!request) {
      this.pending.delete(id);
      cb.onStderr(Buffer.from(`tiphys-sandbox: exec ${req.argv[0]}: an argument or variable contains a NUL byte\n`));
      cb.onExit(127, 0);
      return;
    }
    this.proc.stdin.write(request);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (this.buf.length - off >= 9) {
      const type = String.fromCharCode(this.buf[off]);
      const id = this.buf.readUInt32LE(off + 1);
      const len = this.buf.readUInt32LE(off + 5);
      if (this.buf.length - off < 9 + len) break;
      const data = this.buf.subarray(off + 9, off + 9 + len);
      off += 9 + len;
      const cb = this.pending.get(id);
      if (!cb) continue;
      if (type === "o") cb.onStdout(Buffer.from(data));
      else if (type === "e") cb.onStderr(Buffer.from(data));
      else if (type === "p") cb.onPid(Number(data.toString()));
      else if (type === "x") {
        const [code, sig] = data.toString().split(" ").map(Number);
        this.pending.delete(id);
        if (this.pending.size === 0) {
          this.proc.unref();
          (this.proc.stdout as unknown as { unref?: () => void }).unref?.();
        }
        cb.onExit(code < 0 ? null : code, sig);
      }
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** One request in the spawner's protocol, or undefined if a token holds a NUL byte. */
export function spawnerRequest(id: number, req: SpawnRequest): Buffer | undefined {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  const tokens = [String(id), req.isolate ? "1" : "0", String(req.binds.length), ...req.binds.flat(), req.cwd, String(req.argv.length), ...req.argv, String(env.length), ...env];
  if (tokens.some((t) => t.includes("\0"))) return undefined;
  const payload = Buffer.from(tokens.join("\0") + "\0", "utf8");
  return Buffer.concat([Buffer.from(payload.length.toString(16).padStart(8, "0"), "ascii"), payload]);
}
