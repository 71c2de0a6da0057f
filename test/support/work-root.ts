import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, sep } from "node:path";

/**
 * Where tests put files that steps must see too. Every step gets its own /tmp, so such files must
 * live outside /tmp: in the repo's git-ignored `.tiphys-data/` unless the checkout itself is under
 * /tmp (as a CI clone may be), then under /var/tmp (or the home folder). `TIPHYS_TEST_DIR` overrides.
 */
export function testWorkRoot(repo: string, name: string): string {
  if (process.env.TIPHYS_TEST_DIR) return join(process.env.TIPHYS_TEST_DIR, name);
  const underTmp = (p: string) => p === "/tmp" || p.startsWith("/tmp" + sep);
  if (!underTmp(repo)) return join(repo, ".tiphys-data", name);
  const base = existsSync("/var/tmp") ? "/var/tmp" : homedir();
  return join(base, "tiphys-tests", name);
}
