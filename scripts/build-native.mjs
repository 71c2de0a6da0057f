// Compiles the node sandbox helper when a C compiler is present. Without one, the local executor
// falls back to `unshare` + `mount`, or runs steps without a private /tmp and says so.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "native");
mkdirSync(outDir, { recursive: true });
if (process.platform !== "linux") process.exit(0);

function compile(name) {
  for (const cc of [process.env.CC, "cc", "gcc", "clang"].filter(Boolean)) {
    try {
      execFileSync(cc, ["-O2", "-Wall", "-o", join(outDir, name), join(root, "native", `${name}.c`)], { stdio: "pipe" });
      return true;
    } catch {
      // try the next compiler
    }
  }
  return false;
}

if (!compile("tiphys-spawner")) {
  console.warn("tiphys: no C compiler found; steps will use `unshare` for a private /tmp where it is available");
}
