/**
 * `npm run bench:webhooks`: how fast Tiphys acknowledges push webhooks, against a bare Probot app in
 * the same run, and how soon after receipt each push's first check run reaches GitHub.
 *
 * Both sides get the same signed push bodies (the real example payload, retargeted, listing the 3 to
 * 20 real commits of each push) over loopback keep-alive connections, `--concurrency` in flight,
 * after a warm-up that is not counted. Tiphys is the real server process (`dist/src/server/main.js`,
 * embedded SQLite store in a temp folder, default limits) reading a real repository through the
 * loopback fake of GitHub, which runs in this process (so its request times and the send times share
 * one clock). The bare side is bench/webhooks/bare-probot.ts: Probot with an empty `push` handler,
 * served the same way. Each side is a fresh process in each repetition, and which goes first alternates.
 *
 * Then, once: `--idle` pushes one at a time, 4 s apart, to a fresh Tiphys server: the first check
 * run's latency when no other push is queued ahead. And once: a steady stream (`--sustained-rate`
 * pushes per second, open loop, `--sustained-n` of them) to a fresh server, spread over
 * `--installations` repositories, each its own installation: how load reaches an App installed in
 * many places, each with GitHub's pacing of writes per installation.
 *
 * Options: --n 2000 (measured pushes per side and repetition), --concurrency 16, --warmup 50,
 * --reps 3, --check-timeout 60 (seconds to wait for check runs after the last ack), --idle 10,
 * --sustained-rate 10 (0: no sustained phase), --sustained-n 600, --installations 100,
 * --quick (500 pushes, one repetition), --profile DIR (CPU profiles of the Tiphys server, one per thread; one
 * repetition, and its figures are for finding where time goes, not for the record), --dump FILE
 * (each Tiphys push's timeline as JSON).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WEBHOOK_SECRET, writePrivateKey } from "../test/e2e/server-process.js";
import { startFakeGitHub } from "../test/helpers/fake-github.js";
import { createPushFixture } from "./webhooks/fixture.js";
import { signedPush } from "./webhooks/payloads.js";
import { summarizeProfile } from "./webhooks/profile-summary.js";
import {
  runBareSide,
  runTiphysIdle,
  runTiphysSide,
  runTiphysSustained,
  type AckFigures,
  type CheckFigures,
  type LoadPlan,
  type SustainedResult,
  type TiphysSideResult,
  type Timeline,
} from "./webhooks/sides.js";
import { fmt, median, withRange } from "./webhooks/stats.js";
import { warmFake } from "./webhooks/warm-fake.js";

const APP_ID = 4242;
const INSTALLATION = 77;
const OWNER = "octo-org";
const NAME = "service";

const TARGET_ACK_P99_MS = 100;
const TARGET_THROUGHPUT_RATIO = 0.5;
const TARGET_CHECK_P99_MS = 250;
/** The sustained phase's installations: ids and repository names. */
const SUSTAINED_INSTALLATION_BASE = 1000;
const sustainedRepo = (k: number) => `${NAME}-${k}`;

interface Options {
  n: number;
  concurrency: number;
  warmup: number;
  reps: number;
  checkTimeoutMs: number;
  idle: number;
  sustainedRate: number;
  sustainedN: number;
  installations: number;
  profileDir?: string;
  dumpFile?: string;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number, min = 1) => {
    const v = value(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} ${v}: expected an integer of at least ${min}`);
    return n;
  };
  const quick = argv.includes("--quick");
  const profileDir = value("--profile");
  return {
    n: num("--n", quick ? 500 : 2000),
    concurrency: num("--concurrency", 16),
    warmup: num("--warmup", 50),
    reps: profileDir ? 1 : num("--reps", quick ? 1 : 3),
    checkTimeoutMs: num("--check-timeout", 60) * 1000,
    idle: num("--idle", 10, 0),
    sustainedRate: num("--sustained-rate", 10, 0),
    sustainedN: num("--sustained-n", quick ? 300 : 600),
    installations: num("--installations", 100),
    profileDir,
    dumpFile: value("--dump"),
  };
}

/** The checked-out commit, read from .git without running git (others may be committing). */
function headCommit(): string {
  try {
    const gitDir = fileURLToPath(new URL("../.git/", import.meta.url));
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 7);
    const ref = head.slice(5);
    try {
      return readFileSync(join(gitDir, ref), "utf8").trim().slice(0, 7);
    } catch {
      const line = readFileSync(join(gitDir, "packed-refs"), "utf8").split("\n").find((l) => l.endsWith(` ${ref}`));
      return line ? line.slice(0, 7) : "unknown";
    }
  } catch {
    return "unknown";
  }
}


const IDLE_SPACING_MS = 4000;

const passOrMiss = (ok: boolean) => (ok ? "PASS" : "MISS");
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
/** A latency that may be missing (no check run before the timeout). */
const late = (ms: number, timeoutMs: number) => (Number.isFinite(ms) ? fmt(ms, 0) : `> ${fmt(timeoutMs / 1000, 0)} s (none)`);

function ackRow(side: string, runs: AckFigures[]): string {
  const col = (f: (a: AckFigures) => number, digits = 1) => withRange(runs.map(f), digits);
  return `| ${side} | ${col((a) => a.p50, 2)} | ${col((a) => a.p99, 2)} | ${col((a) => a.max)} | ${col((a) => a.rps, 0)} | ${runs.reduce((n, a) => n + a.failed, 0)} |`;
}

function printProfile(file: string): void {
  const s = summarizeProfile(file);
  console.log(`\nCPU profile of a Tiphys server thread (${file}): ${fmt(s.totalMs / 1000, 2)} s on CPU over its life\n`);
  console.log("| place | ms | share |\n|---|---|---|");
  for (const l of s.byPlace) console.log(`| ${l.what} | ${fmt(l.ms, 0)} | ${fmt(l.share * 100)}% |`);
  console.log("\n| function (self time) | ms | share |\n|---|---|---|");
  for (const l of s.byFunction) console.log(`| ${l.what} | ${fmt(l.ms, 0)} | ${fmt(l.share * 100)}% |`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const cpu = cpus()[0]?.model ?? "unknown";
  const started = new Date();
  console.log(`# bench:webhooks  node ${process.version}, ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${started.toISOString()}, load ${load()}`);
  const settings = Object.entries(process.env).filter(([k]) => k.startsWith("TIPHYS_") && k !== "TIPHYS_DATA_DIR");
  if (settings.length > 0) console.log(`Tiphys settings from this environment: ${settings.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  console.log(`${opts.n} measured push webhooks per side and repetition (+${opts.warmup} warm-up), ${opts.concurrency} in flight, ${opts.reps} repetition(s)\n`);

  const root = mkdtempSync(join(tmpdir(), "tiphys-bench-webhooks-"));
  const bareRuns: AckFigures[] = [];
  const tiphysRuns: TiphysSideResult[] = [];
  let idle: CheckFigures | undefined;
  let idleTimeline: Timeline | undefined;
  let sustained: SustainedResult | undefined;
  let bodyKb = { median: NaN, min: NaN, max: NaN };
  const cleanups: Array<() => unknown> = [];
  try {
    let t = performance.now();
    const fixture = await createPushFixture(opts.warmup + Math.max(opts.n, opts.sustainedRate > 0 ? opts.sustainedN : 0));
    cleanups.push(() => fixture.repo.cleanup());
    const commits = fixture.pushes.reduce((n, p) => n + p.commits.length, 0);
    console.log(`fixture: ${fixture.pushes.length} pushes, ${commits} commits (${fmt((performance.now() - t) / 1000)} s)`);
    const fake = await startFakeGitHub({ appId: APP_ID });
    cleanups.push(() => fake.close());
    const repositoryId = fake.addRepo({ owner: OWNER, name: NAME, gitDir: fixture.repo.dir, defaultBranch: "main", installationId: INSTALLATION });
    t = performance.now();
    await warmFake(fake, OWNER, NAME, fixture.repo.dir, fixture.pushes);
    console.log(`fake GitHub's git lookups made ahead (${fmt((performance.now() - t) / 1000)} s)`);

    const target = { owner: OWNER, name: NAME, installationId: INSTALLATION, repositoryId };
    // The sustained phase's repositories: the same git repository under other names, each in an
    // installation of its own; they share the warmed reader (the fake's git work stays off the clock).
    const sustainedTargets = Array.from({ length: opts.sustainedRate > 0 ? opts.installations : 0 }, (_, k) => {
      const installationId = SUSTAINED_INSTALLATION_BASE + k;
      const id = fake.addRepo({ owner: OWNER, name: sustainedRepo(k), gitDir: fixture.repo.dir, defaultBranch: "main", installationId });
      fake.state.repo(OWNER, sustainedRepo(k))!.reader = fake.state.repo(OWNER, NAME)!.reader;
      return { owner: OWNER, name: sustainedRepo(k), installationId, repositoryId: id };
    });
    const sustainedPushes = fixture.pushes.slice(opts.warmup, opts.warmup + opts.sustainedN).map((p, i) => signedPush(p, sustainedTargets[i % sustainedTargets.length], WEBHOOK_SECRET));
    const plan: LoadPlan = {
      warm: fixture.pushes.slice(0, opts.warmup).map((p) => signedPush(p, target, WEBHOOK_SECRET, "warmup")),
      measured: fixture.pushes.slice(opts.warmup).map((p) => signedPush(p, target, WEBHOOK_SECRET)),
      concurrency: opts.concurrency,
    };
    const sizes = plan.measured.map((s) => s.body.length / 1024);
    bodyKb = { median: median(sizes), min: Math.min(...sizes), max: Math.max(...sizes) };
    console.log(`body size: median ${fmt(bodyKb.median)} KB (${fmt(bodyKb.min)}-${fmt(bodyKb.max)} KB)\n`);

    const env: Record<string, string> = {
      APP_ID: String(APP_ID),
      PRIVATE_KEY_PATH: writePrivateKey(join(root, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "info",
    };
    const tiphysOptions = (tag: string) => ({
      fake,
      owner: OWNER,
      name: NAME,
      env: { ...env, TIPHYS_REPLICA_ID: `bench-${tag}` },
      dataDir: join(root, `data-${tag}`),
      checkTimeoutMs: opts.checkTimeoutMs,
      profileDir: opts.profileDir,
    });

    for (let rep = 0; rep < opts.reps; rep++) {
      // Alternate which side goes first, so neither always runs on a machine the other just warmed.
      const order = rep % 2 === 0 ? (["bare", "tiphys"] as const) : (["tiphys", "bare"] as const);
      for (const side of order) {
        if (side === "bare") {
          const r = await runBareSide(env, plan);
          bareRuns.push(r);
          console.log(`rep ${rep + 1} bare Probot: ack p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.rps, 0)} req/s (load ${load()})`);
        } else {
          const r = await runTiphysSide(tiphysOptions(String(rep)), plan);
          tiphysRuns.push(r);
          console.log(
            `rep ${rep + 1} Tiphys:      ack p50 ${fmt(r.ack.p50, 2)} ms, p99 ${fmt(r.ack.p99, 2)} ms, ${fmt(r.ack.rps, 0)} req/s; ` +
              `${r.check.got}/${r.check.of} check runs in the window, ${fmt(r.check.writesPerSecond, 2)} check-run writes/s; ` +
              `bench loop delay p99 ${fmt(r.benchLoopDelay.p99)} ms, max ${fmt(r.benchLoopDelay.max)} ms (load ${load()})`,
          );
        }
      }
    }
    if (opts.idle > 0 && !opts.profileDir) {
      ({ check: idle, timeline: idleTimeline } = await runTiphysIdle(tiphysOptions("idle"), plan, plan.measured.slice(0, opts.idle), IDLE_SPACING_MS));
      console.log(`idle Tiphys: ${idle.got}/${idle.of} check runs, p50 ${fmt(idle.gotP50, 0)} ms, max ${fmt(idle.gotMax, 0)} ms`);
    }
    if (opts.sustainedRate > 0 && !opts.profileDir) {
      sustained = await runTiphysSustained(tiphysOptions("sustained"), plan, sustainedPushes, opts.sustainedRate, sustainedTargets.map((t) => `${t.owner}/${t.name}`));
      console.log(
        `sustained Tiphys: ${fmt(sustained.sentRate, 1)} pushes/s over ${sustainedTargets.length} installations, ack p99 ${fmt(sustained.ack.p99, 1)} ms; ` +
          `${sustained.check.got}/${sustained.check.of} check runs, p50 ${late(sustained.check.p50, opts.checkTimeoutMs)} ms, p99 ${late(sustained.check.p99, opts.checkTimeoutMs)} ms (load ${load()})`,
      );
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(root, { recursive: true, force: true });
  }

  const tAck = tiphysRuns.map((r) => r.ack);
  const checks = tiphysRuns.map((r) => r.check);
  // Ratios pair the two sides of one repetition (same machine state), then take the median.
  const throughputRatio = median(tiphysRuns.map((r, i) => r.ack.rps / bareRuns[i].rps));
  const p99Ratio = median(tiphysRuns.map((r, i) => r.ack.p99 / bareRuns[i].p99));
  const ackP99 = median(tAck.map((a) => a.p99));
  const checkP99 = median(checks.map((c) => c.p99));
  const timeout = opts.checkTimeoutMs;

  console.log(`\nAck latency (send to end of response) and throughput; median of ${opts.reps} (min-max)\n`);
  console.log("| side | ack p50 ms | ack p99 ms | ack max ms | req/s | non-2xx |\n|---|---|---|---|---|---|");
  console.log(ackRow("bare Probot (empty push handler)", bareRuns));
  console.log(ackRow("Tiphys", tAck));
  console.log(`\nTiphys / bare Probot: throughput ${fmt(throughputRatio, 2)}, ack p99 ${fmt(p99Ratio, 2)} (each the median of per-repetition ratios)`);

  const col = (f: (c: CheckFigures) => number, digits = 0) => withRange(checks.map(f), digits);
  console.log(`\nFirst check run: send to the fake receiving POST /repos/${OWNER}/${NAME}/check-runs for the push's sha`);
  console.log(`(pushes with none ${fmt(timeout / 1000, 0)} s after the last ack count as missing, and so as slower than any other)\n`);
  console.log("| measure | p50 ms | p99 ms |\n|---|---|---|");
  console.log(`| burst: send to first check run, all pushes | ${late(median(checks.map((c) => c.p50)), timeout)} | ${late(checkP99, timeout)} |`);
  console.log(`| burst: the same, over the pushes that got one | ${col((c) => c.gotP50)} | max ${col((c) => c.gotMax)} |`);
  console.log(`| burst: send to Tiphys's first GitHub call for the push | ${col((c) => c.waitP50)} | ${col((c) => c.waitP99)} |`);
  console.log(`| burst: that call to the check run | ${col((c) => c.workP50)} | ${col((c) => c.workP99)} |`);
  if (idle) {
    console.log(`| idle (${idle.of} single pushes ${IDLE_SPACING_MS / 1000} s apart): send to first check run | ${late(idle.p50, timeout)} | max ${late(idle.gotMax, timeout)} |`);
    console.log(`| idle: send to first GitHub call / that call to the check run | ${fmt(idle.waitP50, 0)} | ${fmt(idle.workP50, 0)} |`);
  }
  if (sustained) {
    const what = `sustained (${fmt(sustained.sentRate, 1)} pushes/s, ${sustained.check.of} over ${opts.installations} installations)`;
    console.log(`| ${what}: send to first check run | ${late(sustained.check.p50, timeout)} | ${late(sustained.check.p99, timeout)} |`);
    console.log(`| ${what}: ack | ${fmt(sustained.ack.p50, 1)} | ${fmt(sustained.ack.p99, 1)} |`);
  }
  console.log(`\nburst: check runs within the window: ${checks.map((c) => `${c.got}/${c.of}`).join(", ")}; check-run writes (POST + PATCH) ${col((c) => c.writesPerSecond, 2)} per second, median gap ${col((c) => c.writeGapMs, 0)} ms`);

  console.log("\nTargets\n");
  console.log(`- ack p99 under ${TARGET_ACK_P99_MS} ms: ${fmt(ackP99, 1)} ms: ${passOrMiss(ackP99 < TARGET_ACK_P99_MS)}`);
  console.log(`- throughput at least ${TARGET_THROUGHPUT_RATIO} x bare Probot: ${fmt(throughputRatio, 2)}: ${passOrMiss(throughputRatio >= TARGET_THROUGHPUT_RATIO)}`);
  console.log(`- first check run p99 within ${TARGET_CHECK_P99_MS} ms of receipt (burst): ${late(checkP99, timeout)}: ${passOrMiss(checkP99 <= TARGET_CHECK_P99_MS)}`);
  if (idle) console.log(`- the same, one push at a time (idle): max ${late(idle.gotMax, timeout)}: ${passOrMiss(idle.got === idle.of && idle.gotMax <= TARGET_CHECK_P99_MS)}`);
  if (sustained) {
    console.log(
      `- the same, sustained ${fmt(sustained.sentRate, 1)} pushes/s over ${opts.installations} installations: p99 ${late(sustained.check.p99, timeout)}: ${passOrMiss(sustained.check.p99 <= TARGET_CHECK_P99_MS)}`,
    );
  }

  for (const r of tiphysRuns) for (const file of r.profiles) printProfile(file);
  if (opts.dumpFile) writeFileSync(opts.dumpFile, JSON.stringify({ burst: tiphysRuns.map((r) => r.timeline), idle: idleTimeline, sustained: sustained?.timeline }));

  const machine = {
    bench: "webhooks",
    commit: headCommit(),
    date: started.toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu,
    n: opts.n,
    concurrency: opts.concurrency,
    reps: opts.reps,
    bodyKbMedian: +bodyKb.median.toFixed(1),
    bare: { p50: +median(bareRuns.map((a) => a.p50)).toFixed(2), p99: +median(bareRuns.map((a) => a.p99)).toFixed(2), rps: +median(bareRuns.map((a) => a.rps)).toFixed(0) },
    tiphys: { p50: +median(tAck.map((a) => a.p50)).toFixed(2), p99: +ackP99.toFixed(2), rps: +median(tAck.map((a) => a.rps)).toFixed(0) },
    throughputRatio: +throughputRatio.toFixed(3),
    checkRun: {
      p50: Number.isFinite(median(checks.map((c) => c.p50))) ? +median(checks.map((c) => c.p50)).toFixed(0) : null,
      p99: Number.isFinite(checkP99) ? +checkP99.toFixed(0) : null,
      got: checks.map((c) => c.got),
      of: opts.n,
      windowS: timeout / 1000,
      writesPerSecond: +median(checks.map((c) => c.writesPerSecond)).toFixed(2),
      idleP50: idle && Number.isFinite(idle.gotP50) ? +idle.gotP50.toFixed(0) : null,
      sustained: sustained
        ? {
            rate: +sustained.sentRate.toFixed(1),
            installations: opts.installations,
            n: sustained.check.of,
            got: sustained.check.got,
            p50: Number.isFinite(sustained.check.p50) ? +sustained.check.p50.toFixed(0) : null,
            p99: Number.isFinite(sustained.check.p99) ? +sustained.check.p99.toFixed(0) : null,
          }
        : null,
    },
    targets: {
      ackP99: passOrMiss(ackP99 < TARGET_ACK_P99_MS),
      throughput: passOrMiss(throughputRatio >= TARGET_THROUGHPUT_RATIO),
      checkRunP99: passOrMiss(checkP99 <= TARGET_CHECK_P99_MS),
    },
  };
  console.log(`\nBENCH ${JSON.stringify(machine)}`);
}

await main();
