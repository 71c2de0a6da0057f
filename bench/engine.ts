/**
 * `npm run bench:engine`: the engine's own cost, and the local executor's cost per step.
 *
 * (a) Workflows of 1,000 / 10,000 / 50,000 nodes (a wide withItems fan-out, a long DAG chain, a
 *     diamond lattice) with an executor that succeeds at once, journaling to disk as a real run
 *     does. Each case runs in a child process of its own so its peak RSS is its own.
 * (b) 300 sequential `true` steps with the local executor (private /tmp per step) against 300 raw
 *     spawns of `true` from Node, measured in the same run: the ratio is what a step costs over a
 *     bare process.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalExecutor } from "../src/engine/executors/local.js";
import { InProcessExecutor } from "../src/engine/executors/in-process.js";
import type { Executor } from "../src/engine/executors/types.js";
import { Catalog } from "../src/engine/model/catalog.js";
import { parseYamlDocuments } from "../src/engine/model/load.js";
import { prepareWorkflow } from "../src/engine/model/prepare.js";
import { WorkflowRun } from "../src/engine/runtime/operator.js";
import { RunJournal } from "../src/engine/runtime/run-store.js";

type Shape = "fanout" | "chain" | "lattice";

const REPEATS = 3;

const LEAF = `  - name: work
    container: {image: busybox, command: ["true"]}`;

function workflowYaml(shape: Shape, n: number): string {
  const head = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: bench-${shape}-${n}}
spec:
  entrypoint: main
  templates:`;
  if (shape === "fanout") {
    return `${head}
  - name: main
    steps:
    - - name: fan
        template: work
        withSequence: {count: "${n}"}
${LEAF}`;
  }
  const tasks: string[] = [];
  if (shape === "chain") {
    for (let i = 0; i < n; i++) tasks.push(`      - {name: t${i}, template: work${i ? `, depends: t${i - 1}` : ""}}`);
  } else {
    // A lattice `width` wide: each task depends on two of the row above (a diamond mesh).
    const width = 50;
    const rows = Math.ceil(n / width);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width && r * width + c < n; c++) {
        const deps = r === 0 ? [] : [`r${r - 1}c${c}`, `r${r - 1}c${(c + 1) % width}`];
        tasks.push(`      - {name: r${r}c${c}, template: work${deps.length ? `, depends: "${deps.join(" && ")}"` : ""}}`);
      }
    }
  }
  return `${head}
  - name: main
    dag:
      tasks:
${tasks.join("\n")}
${LEAF}`;
}

async function runWorkflow(yaml: string, executor: Executor, dataDir: string): Promise<{ ms: number; nodes: number; phase: string }> {
  const catalog = new Catalog();
  for (const d of parseYamlDocuments(yaml, "bench.yaml")) catalog.add(d);
  const workflow = prepareWorkflow(catalog.entries[0], catalog);
  const journal = RunJournal.create(dataDir, { name: workflow.metadata.name!, createdAt: new Date().toISOString(), executor: executor.name }, workflow);
  const t0 = performance.now();
  const run = new WorkflowRun({ workflow, catalog, executor, journal, logsDir: journal.logsDir });
  const status = await run.execute();
  journal.close();
  return { ms: performance.now() - t0, nodes: Object.keys(status.nodes).length, phase: status.phase };
}

/** One case of (a), in this process: prints a JSON line. */
async function childCase(shape: Shape, n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tiphys-bench-"));
  try {
    const r = await runWorkflow(workflowYaml(shape, n), new InProcessExecutor(), dir);
    const rssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ shape, n, ...r, rssMb }) + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(shape: Shape, n: number): Promise<{ shape: Shape; n: number; ms: number; nodes: number; phase: string; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--case", shape, String(n)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`case ${shape} ${n} exited ${code}`))));
  });
}

async function rawSpawns(count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      const p = spawn("true", [], { stdio: ["ignore", "pipe", "pipe"] });
      p.stdout.resume();
      p.stderr.resume();
      p.on("close", () => resolve());
    });
  }
  return performance.now() - t0;
}

function sequentialYaml(count: number): string {
  const groups = Array.from({ length: count }, (_, i) => `    - - {name: s${i}, template: work}`).join("\n");
  return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: bench-seq-${count}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
${groups}
${LEAF}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--case") return childCase(argv[1] as Shape, Number(argv[2]));
  const sizes = argv.includes("--quick") ? [1000, 10000] : [1000, 10000, 50000];
  const shapes: Shape[] = ["fanout", "chain", "lattice"];
  const cpu = cpus()[0]?.model ?? "unknown";
  console.log(`# bench:engine  node ${process.version}, ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
  console.log(`\n(a) in-process executor (succeeds at once), journal on disk; median of ${REPEATS} runs (min-max)\n`);
  console.log("| shape | nodes | total ms | ms/node | peak RSS MB (max) |");
  console.log("|---|---|---|---|---|");
  const results = [];
  // Each case three times, each in a fresh process; the median run is reported (this machine is shared).
  for (const shape of shapes) {
    for (const n of sizes) {
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await runChild(shape, n));
      runs.sort((a, b) => a.ms - b.ms);
      const r = runs[Math.floor(runs.length / 2)];
      results.push(r);
      if (r.phase !== "Succeeded") throw new Error(`${shape} ${n}: ${r.phase}`);
      const spread = `${runs[0].ms.toFixed(0)}-${runs[runs.length - 1].ms.toFixed(0)}`;
      console.log(`| ${shape} | ${r.nodes} | ${r.ms.toFixed(0)} (${spread}) | ${(r.ms / r.nodes).toFixed(4)} | ${Math.max(...runs.map((x) => x.rssMb)).toFixed(0)} |`);
    }
  }
  if (sizes.includes(50000)) {
    console.log("\n| shape | 50k time / 10k time (target < 5.5) |\n|---|---|");
    for (const shape of shapes) {
      const a = results.find((r) => r.shape === shape && r.n === 10000)!;
      const b = results.find((r) => r.shape === shape && r.n === 50000)!;
      console.log(`| ${shape} | ${(b.ms / a.ms).toFixed(2)} |`);
    }
  }

  console.log("\n(b) 300 sequential `true` steps, local executor vs raw spawns (same run)\n");
  const count = 300;
  const dir = mkdtempSync(join(tmpdir(), "tiphys-bench-"));
  try {
    const executor = new LocalExecutor({ workDir: join(dir, "sandboxes") });
    await rawSpawns(20); // warm up both paths
    await runWorkflow(sequentialYaml(20), executor, join(dir, "warm"));
    const raw = await rawSpawns(count);
    const seq = await runWorkflow(sequentialYaml(count), executor, join(dir, "data"));
    const raw2 = await rawSpawns(count);
    const rawPer = (raw + raw2) / 2 / count;
    const stepPer = seq.ms / count;
    console.log(`isolation: ${executor.isolation}`);
    console.log("| measure | ms per step |\n|---|---|");
    console.log(`| raw spawn of \`true\` (mean of a run before and after) | ${rawPer.toFixed(2)} |`);
    console.log(`| tiphys step (${seq.phase}) | ${stepPer.toFixed(2)} |`);
    console.log(`\nratio tiphys step / raw spawn: ${(stepPer / rawPer).toFixed(2)} (target <= 1.5); extra per step: ${(stepPer - rawPer).toFixed(2)} ms = ${((stepPer - rawPer) / rawPer).toFixed(2)} x a raw spawn`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim();
  console.log(`\ncommit ${git || "unknown"}, ${new Date().toISOString()}`);
}

await main();
