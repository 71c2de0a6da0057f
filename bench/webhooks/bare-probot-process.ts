/**
 * Starts bench/webhooks/bare-probot.ts (compiled, from dist/) as a process of its own, with the
 * environment test/e2e/server-process.ts gives Tiphys, and waits until it answers /readyz.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/e2e/server-process.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const ENTRY = join(REPO, "dist/bench/webhooks/bare-probot.js");

export interface BareProbot {
  webhookUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startBareProbot(opts: { env: Record<string, string> }): Promise<BareProbot> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await freePort();
  let out = "";
  const proc = spawn(process.execPath, [ENTRY], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`bare Probot exited with ${proc.exitCode}:\n${out}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`bare Probot not ready after 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    webhookUrl: `${url}/api/github/webhooks`,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}
