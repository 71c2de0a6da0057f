/**
 * `npm run bench:rollouts` (issue 6), through the real server process with the loopback fake of GitHub
 * and a simulated cluster (bench/rollouts/setup.ts):
 *
 * - latency from the `/tiphys promote` webhook to the first cluster write of the next step (target: p99
 *   under 1 s): bench/rollouts/latency.ts;
 * - idle cost (RSS, CPU per minute) of 100 Rollouts paused at gates at once, against the same server
 *   idle with none: bench/rollouts/idle.ts.
 *
 * Options: --samples 20, --rollouts 100, --idle-seconds 60. Prints a markdown section for BENCHMARKS.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { idleCost } from "./rollouts/idle.js";
import { promoteLatency } from "./rollouts/latency.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SAMPLES = opt("samples", 20);
const ROLLOUTS = opt("rollouts", 100);
const IDLE_SECONDS = opt("idle-seconds", 60);

/** The checked-out commit, read from .git (what `git log -1 --format=%h` prints), without running git. */
function commit(): string {
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/dist\/?$/, "");
  const git = join(root, ".git");
  try {
    const head = readFileSync(join(git, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 7);
    const ref = head.slice(5);
    if (existsSync(join(git, ref))) return readFileSync(join(git, ref), "utf8").trim().slice(0, 7);
    const packed = readFileSync(join(git, "packed-refs"), "utf8").split("\n").find((l) => l.endsWith(` ${ref}`));
    return packed?.slice(0, 7) ?? "unknown";
  } catch {
    return "unknown";
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (x: number) => `${Math.round(x).toLocaleString("en")} ms`;
const mib = (x: number) => `${x.toFixed(0)} MiB`;
const cpu = (x: number) => `${x.toFixed(2)} s`;

async function main() {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${process.version}`;
  const started = new Date().toISOString().slice(0, 16).replace("T", " ");
  console.error(`bench:rollouts: ${SAMPLES} promotes, then ${ROLLOUTS} rollouts idle for ${IDLE_SECONDS} s; ${machine}`);
  const lat = await promoteLatency(SAMPLES);
  console.error(`latency samples (ms): ${lat.samples.join(", ")}`);
  const idle = await idleCost(ROLLOUTS, IDLE_SECONDS);
  const sorted = [...lat.samples].sort((a, b) => a - b);
  const patches = [...lat.patchSamples].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  const { baseline: b, gated: g } = idle;
  const lines = [
    `### ${started} UTC, commit ${commit()}, ${machine}`,
    "",
    `\`npm run bench:rollouts\` (--samples ${SAMPLES} --rollouts ${ROLLOUTS} --idle-seconds ${IDLE_SECONDS})`,
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| \`/tiphys promote\` webhook → first ReplicaSet write of the next step (n=${sorted.length}) | p50 ${ms(percentile(sorted, 50))}, p99 **${ms(p99)}**, max ${ms(sorted[sorted.length - 1]!)} | p99 < 1,000 ms: **${p99 < 1000 ? "met" : "not met"}** |`,
    `| \`/tiphys promote\` webhook → the Rollout's status patch (the promote itself) | p50 ${ms(percentile(patches, 50))}, p99 ${ms(percentile(patches, 99))} | |`,
    `| push → ${idle.rollouts} releases at their gates: check runs / comments (Octokit paces comments 3 s apart) | ${ms(idle.toGatesMs)} / ${ms(idle.toCommentsMs)} | |`,
    `| idle RSS: 0 rollouts → ${idle.rollouts} at gates | ${mib(b.rssMiB)} → ${mib(g.rssMiB)} (+${mib(g.rssMiB - b.rssMiB)}, ${((g.rssMiB - b.rssMiB) * 1024 / idle.rollouts).toFixed(0)} KiB per release) | |`,
    `| idle CPU per minute: 0 rollouts → ${idle.rollouts} at gates | ${cpu(b.cpuSecondsPerMinute)} → ${cpu(g.cpuSecondsPerMinute)} (+${cpu(g.cpuSecondsPerMinute - b.cpuSecondsPerMinute)}) | |`,
    `| requests in the idle window: GitHub / cluster | ${b.githubRequests} / ${b.clusterRequests} → ${g.githubRequests} / ${g.clusterRequests} | |`,
    "",
    `Samples (ms): ${lat.samples.join(", ")}.`,
  ];
  console.log(lines.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
