/**
 * Loaded into the Tiphys server with `NODE_OPTIONS=--import <this file, compiled>` (Node refuses
 * `--cpu-prof` in NODE_OPTIONS, and the server is started by test/e2e/server-process.ts, which takes
 * no node flags). Profiles each thread (the main thread and the work thread) and writes
 * `<pid>-<thread>.cpuprofile` into TIPHYS_BENCH_PROFILE_DIR: the main thread when the process exits,
 * the work thread when it is told to stop.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { isMainThread, parentPort, threadId } from "node:worker_threads";

const dir = process.env.TIPHYS_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // An in-process session answers synchronously, so this runs before the thread is gone.
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(join(dir, `${process.pid}-${isMainThread ? "main" : `thread${threadId}`}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on("exit", write);
  if (!isMainThread) parentPort?.on("message", (msg: { type?: string }) => msg?.type === "stop" && write());
}
