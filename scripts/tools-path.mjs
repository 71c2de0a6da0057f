// Where scripts/install-tools.mjs puts helm, kubectl and the kustomize wrapper. Tests import this
// rather than spelling the path out, so the location is decided in one place.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Absolute path of `<repo>/.tools/bin`. */
export function toolsBin() {
  return join(repoRoot, ".tools", "bin");
}

/** Absolute path of one tool in `<repo>/.tools/bin` (`helm`, `kubectl` or `kustomize`). */
export function toolPath(name) {
  return join(toolsBin(), name);
}
