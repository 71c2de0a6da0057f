/**
 * Loaded into the Tiphys server with `NODE_OPTIONS=--import <this file, compiled>` (Node refuses
 * `--cpu-prof` in NODE_OPTIONS, and the server is started by test/e2e/server-process.ts, which takes
 * no node flags). Profiles the whole process and writes `<pid>.cpuprofile` into
 * TIPHYS_BENCH_PROFILE_DIR when it exits.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.TIPHYS_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  process.on("exit", () => {
    // An in-process session answers synchronously, so this runs before the process is gone.
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
