/**
 * `npm run bench:webhooks`: how fast Tiphys acknowledges push webhooks, against a bare Probot app in
 * the same run, and how soon after receipt each push's first check run reaches GitHub.
 *
 * Both sides get the same signed push bodies (the real example payload, retargeted, listing 3 to 20
 * real commits each) over loopback keep-alive connections, `--concurrency` in flight. Tiphys is the
 * real server process (`dist/src/server/main.js`, embedded SQLite store in a temp folder, default
 * limits) reading a real repository through the loopback fake of GitHub, which runs in this process
 * (so its request times and the send times share one clock). The bare side is
 * bench/webhooks/bare-probot.ts: Probot with an empty `push` handler, served the same way.
 *
 * Options: --n 2000 (measured pushes per side and repetition), --concurrency 16, --warmup 50,
 * --reps 3, --check-timeout 300 (seconds to wait for check runs), --quick (500 pushes, one
 * repetition), --profile DIR (a CPU profile of the Tiphys server, one repetition; its figures are
 * for finding where time goes, not for the record).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WEBHOOK_SECRET, writePrivateKey } from "../test/e2e/server-process.js";
import { startFakeGitHub } from "../test/helpers/fake-github.js";
import { startBareProbot } from "./webhooks/bare-probot-process.js";
import { createPushFixture } from "./webhooks/fixture.js";
import { signedPush } from "./webhooks/payloads.js";
import { summarizeProfile } from "./webhooks/profile-summary.js";
import { runBareSide, runTiphysSide, type AckFigures, type LoadPlan, type TiphysSideResult } from "./webhooks/sides.js";
import { fmt, median, withRange } from "./webhooks/stats.js";
import { warmFake } from "./webhooks/warm-fake.js";

const APP_ID = 4242;
const INSTALLATION = 77;
const OWNER = "octo-org";
const NAME = "service";

const TARGET_ACK_P99_MS = 100;
const TARGET_THROUGHPUT_RATIO = 0.5;
const TARGET_CHECK_P99_MS = 250;

interface Options {
  n: number;
  concurrency: number;
  warmup: number;
  reps: number;
  checkTimeoutMs: number;
  profileDir?: string;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number) => {
    const v = value(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} ${v}: expected a positive integer`);
    return n;
  };
  const quick = argv.includes("--quick");
  const profileDir = value("--profile");
  return {
    n: num("--n", quick ? 500 : 2000),
    concurrency: num("--concurrency", 16),
    warmup: num("--warmup", 50),
    reps: profileDir ? 1 : num("--reps", quick ? 1 : 3),
    checkTimeoutMs: num("--check-timeout", 300) * 1000,
    profileDir,
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

const passOrMiss = (ok: boolean) => (ok ? "PASS" : "MISS");

function ackRow(side: string, runs: AckFigures[]): string {
  const col = (f: (a: AckFigures) => number, digits = 1) => withRange(runs.map(f), digits);
  return `| ${side} | ${col((a) => a.p50, 2)} | ${col((a) => a.p99, 2)} | ${col((a) => a.max)} | ${col((a) => a.rps, 0)} | ${runs.reduce((n, a) => n + a.failed, 0)} |`;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const cpu = cpus()[0]?.model ?? "unknown";
  const started = new Date();
  console.log(`# bench:webhooks  node ${process.version}, ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${started.toISOString()}`);
  console.log(`${opts.n} measured push webhooks per side and repetition (+${opts.warmup} warm-up), ${opts.concurrency} in flight, ${opts.reps} repetition(s)\n`);

  const root = mkdtempSync(join(tmpdir(), "tiphys-bench-webhooks-"));
  let t = performance.now();
  const fixture = await createPushFixture(opts.warmup + opts.n);
  const commits = fixture.pushes.reduce((n, p) => n + p.commits.length, 0);
  console.log(`fixture: ${fixture.pushes.length} pushes, ${commits} commits (${fmt((performance.now() - t) / 1000)} s)`);
  const fake = await startFakeGitHub({ appId: APP_ID });
  const repositoryId = fake.addRepo({ owner: OWNER, name: NAME, gitDir: fixture.repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  t = performance.now();
  await warmFake(fake, OWNER, NAME, fixture.pushes);
  console.log(`fake GitHub's git lookups made ahead (${fmt((performance.now() - t) / 1000)} s)`);

  const target = { owner: OWNER, name: NAME, installationId: INSTALLATION, repositoryId };
  const signed = fixture.pushes.map((p) => signedPush(p, target, WEBHOOK_SECRET));
  const plan: LoadPlan = { warm: signed.slice(0, opts.warmup), measured: signed.slice(opts.warmup), concurrency: opts.concurrency };
  const sizes = plan.measured.map((s) => s.body.length / 1024);
  const bodyKb = { median: median(sizes), min: Math.min(...sizes), max: Math.max(...sizes) };
  console.log(`body size: median ${fmt(bodyKb.median)} KB (${fmt(bodyKb.min)}-${fmt(bodyKb.max)} KB)\n`);

  const env: Record<string, string> = {
    APP_ID: String(APP_ID),
    PRIVATE_KEY_PATH: writePrivateKey(join(root, "keys")),
    WEBHOOK_SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "info",
  };
  const bare = await startBareProbot({ env });
  const bareRuns: AckFigures[] = [];
  const tiphysRuns: TiphysSideResult[] = [];
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      // Alternate which side goes first, so neither always runs on a machine the other just warmed.
      const order = rep % 2 === 0 ? (["bare", "tiphys"] as const) : (["tiphys", "bare"] as const);
      for (const side of order) {
        if (side === "bare") {
          const r = await runBareSide(bare, plan);
          bareRuns.push(r);
          console.log(`rep ${rep + 1} bare Probot: ack p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${fmt(r.rps, 0)} req/s`);
        } else {
          const r = await runTiphysSide(
            {
              fake,
              owner: OWNER,
              name: NAME,
              env: { ...env, TIPHYS_REPLICA_ID: `bench-${rep}` },
              dataDir: join(root, `data-${rep}`),
              checkTimeoutMs: opts.checkTimeoutMs,
              profileDir: opts.profileDir,
            },
            plan,
          );
          tiphysRuns.push(r);
          console.log(
            `rep ${rep + 1} Tiphys:      ack p50 ${fmt(r.ack.p50, 2)} ms, p99 ${fmt(r.ack.p99, 2)} ms, ${fmt(r.ack.rps, 0)} req/s; ` +
              `first check run p50 ${fmt(r.check.p50, 0)} ms, p99 ${fmt(r.check.p99, 0)} ms (${r.check.got}/${r.check.of})` +
              (r.warmMissing ? `; ${r.warmMissing} warm-up pushes got no check run` : ""),
          );
        }
      }
    }
  } finally {
    await bare.stop();
    await fake.close();
    fixture.repo.cleanup();
    rmSync(root, { recursive: true, force: true });
  }

  const tAck = tiphysRuns.map((r) => r.ack);
  const checks = tiphysRuns.map((r) => r.check);
  // Ratios pair the two sides of one repetition (same machine state), then take the median.
  const throughputRatio = median(tiphysRuns.map((r, i) => r.ack.rps / bareRuns[i].rps));
  const p99Ratio = median(tiphysRuns.map((r, i) => r.ack.p99 / bareRuns[i].p99));
  const ackP99 = median(tAck.map((a) => a.p99));
  const checkP99 = median(checks.map((c) => c.p99));

  console.log(`\nAck latency (send to end of response) and throughput; median of ${opts.reps} (min-max)\n`);
  console.log("| side | ack p50 ms | ack p99 ms | ack max ms | req/s | non-2xx |\n|---|---|---|---|---|---|");
  console.log(ackRow("bare Probot (empty push handler)", bareRuns));
  console.log(ackRow("Tiphys", tAck));
  console.log(`\nTiphys / bare Probot: throughput ${fmt(throughputRatio, 2)}, ack p99 ${fmt(p99Ratio, 2)} (each the median of per-repetition ratios)`);

  const col = (f: (c: (typeof checks)[number]) => number, digits = 0) => withRange(checks.map(f), digits);
  console.log(`\nFirst check run (send to the fake receiving POST /repos/${OWNER}/${NAME}/check-runs for the push's sha)\n`);
  console.log("| measure | p50 ms | p99 ms |\n|---|---|---|");
  console.log(`| send to first check run | ${col((c) => c.p50)} | ${col((c) => c.p99)} |`);
  console.log(`| send to Tiphys's first GitHub call for the push (queued) | ${col((c) => c.waitP50)} | ${col((c) => c.waitP99)} |`);
  console.log(`| that call to the check run (compare, tree, config, store) | ${col((c) => c.workP50)} | ${col((c) => c.workP99)} |`);
  console.log(`\ncheck runs received: ${checks.map((c) => `${c.got}/${c.of}`).join(", ")}; created at ${col((c) => c.perSecond)} per second (first send to last check run); max ${col((c) => c.max)} ms`);

  console.log("\nTargets\n");
  console.log(`- ack p99 under ${TARGET_ACK_P99_MS} ms: ${fmt(ackP99, 1)} ms: ${passOrMiss(ackP99 < TARGET_ACK_P99_MS)}`);
  console.log(`- throughput at least ${TARGET_THROUGHPUT_RATIO} x bare Probot: ${fmt(throughputRatio, 2)}: ${passOrMiss(throughputRatio >= TARGET_THROUGHPUT_RATIO)}`);
  console.log(`- first check run p99 within ${TARGET_CHECK_P99_MS} ms of receipt: ${fmt(checkP99, 0)} ms: ${passOrMiss(checkP99 <= TARGET_CHECK_P99_MS)}`);

  for (const r of tiphysRuns) {
    if (!r.profile) continue;
    const s = summarizeProfile(r.profile);
    console.log(`\nCPU profile of the Tiphys server (${r.profile}): ${fmt(s.totalMs / 1000, 2)} s busy\n`);
    console.log("| place | ms | share |\n|---|---|---|");
    for (const l of s.byPlace) console.log(`| ${l.what} | ${fmt(l.ms, 0)} | ${fmt(l.share * 100)}% |`);
    console.log("\n| function (self time) | ms | share |\n|---|---|---|");
    for (const l of s.byFunction) console.log(`| ${l.what} | ${fmt(l.ms, 0)} | ${fmt(l.share * 100)}% |`);
  }

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
    checkRun: { p50: +median(checks.map((c) => c.p50)).toFixed(0), p99: Number.isFinite(checkP99) ? +checkP99.toFixed(0) : null, got: checks.map((c) => c.got), of: opts.n },
    targets: {
      ackP99: passOrMiss(ackP99 < TARGET_ACK_P99_MS),
      throughput: passOrMiss(throughputRatio >= TARGET_THROUGHPUT_RATIO),
      checkRunP99: passOrMiss(checkP99 <= TARGET_CHECK_P99_MS),
    },
  };
  console.log(`\nBENCH ${JSON.stringify(machine)}`);
}

await main();
