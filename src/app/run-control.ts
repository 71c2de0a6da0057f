import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkflowRun } from "../engine/runtime/operator.js";

/**
 * Other `tiphys` processes talk to a running one through its run folder: `pid` says who runs it,
 * `control/*.json` carries requests (resume, stop, terminate) that the running process polls.
 */
export type ControlRequest = { action: "resume"; node?: string; supplied?: Record<string, string> } | { action: "stop" } | { action: "terminate" };

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of the process running this run, if it is still alive. */
export function livePid(dir: string): number | undefined {
  const f = join(dir, "pid");
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, "utf8"));
  return Number.isInteger(pid) && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

export function sendControl(dir: string, req: ControlRequest): void {
  const cdir = join(dir, "control");
  mkdirSync(cdir, { recursive: true });
  writeFileSync(join(cdir, `${Date.now()}-${process.pid}.json`), JSON.stringify(req));
}

/** Claims the run for this process and applies control requests until `stop()` is called. */
export function watchControl(dir: string, run: WorkflowRun, intervalMs = 200): () => void {
  writeFileSync(join(dir, "pid"), String(process.pid));
  const cdir = join(dir, "control");
  mkdirSync(cdir, { recursive: true });
  const tick = () => {
    let files: string[];
    try {
      files = readdirSync(cdir).filter((f) => f.endsWith(".json")).sort();
    } catch {
      return;
    }
    for (const f of files) {
      let req: ControlRequest | undefined;
      try {
        req = JSON.parse(readFileSync(join(cdir, f), "utf8")) as ControlRequest;
      } catch {
        req = undefined;
      }
      rmSync(join(cdir, f), { force: true });
      if (!req) continue;
      if (req.action === "resume") run.resume(req.node, req.supplied);
      else if (req.action === "stop") run.stop("Stop");
      else if (req.action === "terminate") run.stop("Terminate");
    }
  };
  // Not unref'd: while a run waits at a suspend node nothing else keeps the event loop alive, and an
  // unref'd timer let `tiphys run` exit (with code 0) instead of waiting for `tiphys resume`.
  const timer = setInterval(tick, intervalMs);
  return () => {
    clearInterval(timer);
    rmSync(join(dir, "pid"), { force: true });
  };
}
