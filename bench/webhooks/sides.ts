/**
 * One measured repetition of each side: a warm-up that is not counted, then the measured pushes at
 * a fixed concurrency. Each side is a fresh process per repetition (Tiphys with a fresh embedded
 * store), so both are equally warm; Tiphys is also watched for the first check run of each push. A
 * side is stopped before the next one runs, so the work Tiphys still has queued does not land on the
 * other side's measurement.
 *
 * The warm-up pushes go to a branch no workflow runs on: the server reads the config and matches
 * triggers for them as for any push, but they create no check runs, so nothing of theirs is still
 * waiting to be written to GitHub when the measurement starts.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type ServerProcess } from "../../test/e2e/server-process.js";
import type { FakeGitHub } from "../../test/helpers/fake-github.js";
import { startBareProbot } from "./bare-probot-process.js";
import { CheckRunWatch } from "./check-runs.js";
import { sendAtRate, sendPushes, type LoadResult } from "./load.js";
import type { SignedPush } from "./payloads.js";
import { median, percentile } from "./stats.js";

const PROFILER = fileURLToPath(new URL("../../dist/bench/webhooks/cpu-profile-preload.js", import.meta.url));

export interface LoadPlan {
  /** Pushes to the `warmup` branch (no workflow runs there). */
  warm: SignedPush[];
  measured: SignedPush[];
  concurrency: number;
}

export interface AckFigures {
  p50: number;
  p99: number;
  max: number;
  /** Requests per second, first send to last response. */
  rps: number;
  /** Responses other than 2xx. */
  failed: number;
}

export interface CheckFigures {
  /** Send to the first check-run request for the push's sha; Infinity for a push that got none. */
  p50: number;
  p99: number;
  /** Pushes that got a check run before the timeout. */
  got: number;
  of: number;
  /** The same, over the pushes that got one. */
  gotP50: number;
  gotMax: number;
  /** Send to Tiphys's first GitHub call for the push (the time the queued event waited). */
  waitP50: number;
  waitP99: number;
  /** That first call to the check run (reads, config, trigger matching, store, the write's turn). */
  workP50: number;
  workP99: number;
  /** Check-run writes (POST and PATCH) per second while they came, and the median gap between two. */
  writesPerSecond: number;
  writeGapMs: number;
}

/** Per push, ms after the first send: sent, acked, first GitHub call, tree read, check run. */
export type Timeline = Array<{ sha: string; sent: number; acked: number; firstCall?: number; tree?: number; checkRun?: number }>;

function timelineOf(samples: LoadResult["samples"], watch: CheckRunWatch): Timeline {
  const t0 = samples[0].sentAt;
  const rel = (at: number | undefined) => (at === undefined ? undefined : +(at - t0).toFixed(1));
  return samples.map((s) => {
    const t = watch.times.get(s.sha)!;
    return { sha: s.sha, sent: rel(s.sentAt)!, acked: rel(s.sentAt + s.ms)!, firstCall: rel(t.firstCall), tree: rel(t.tree), checkRun: rel(t.checkRun) };
  });
}

export function ackFigures(load: LoadResult): AckFigures {
  const ms = load.samples.map((s) => s.ms);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
    rps: (load.samples.length / load.wallMs) * 1000,
    failed: load.samples.filter((s) => s.status < 200 || s.status > 299).length,
  };
}

export function checkFigures(samples: LoadResult["samples"], watch: CheckRunWatch): CheckFigures {
  const total: number[] = [];
  const wait: number[] = [];
  const work: number[] = [];
  for (const s of samples) {
    const t = watch.times.get(s.sha);
    total.push(t?.checkRun === undefined ? Infinity : t.checkRun - s.sentAt);
    if (t?.checkRun !== undefined && t.firstCall !== undefined) {
      wait.push(t.firstCall - s.sentAt);
      work.push(t.checkRun - t.firstCall);
    }
  }
  const got = total.filter(Number.isFinite);
  const w = watch.writes;
  const gaps = w.slice(1).map((at, i) => at - w[i]);
  return {
    p50: percentile(total, 50),
    p99: percentile(total, 99),
    got: got.length,
    of: samples.length,
    gotP50: percentile(got, 50),
    gotMax: got.length ? Math.max(...got) : NaN,
    waitP50: percentile(wait, 50),
    waitP99: percentile(wait, 99),
    workP50: percentile(work, 50),
    workP99: percentile(work, 99),
    writesPerSecond: w.length > 1 ? ((w.length - 1) / (w[w.length - 1] - w[0])) * 1000 : NaN,
    writeGapMs: median(gaps),
  };
}

/** A fresh bare Probot process per repetition, as Tiphys gets a fresh server: both start equally cold. */
export async function runBareSide(env: Record<string, string>, plan: LoadPlan): Promise<AckFigures> {
  const bare = await startBareProbot({ env });
  try {
    await sendPushes({ url: bare.webhookUrl, pushes: plan.warm, concurrency: plan.concurrency });
    return ackFigures(await sendPushes({ url: bare.webhookUrl, pushes: plan.measured, concurrency: plan.concurrency }));
  } finally {
    await bare.stop();
  }
}

export interface TiphysSideOptions {
  fake: FakeGitHub;
  owner: string;
  name: string;
  env: Record<string, string>;
  dataDir: string;
  /** How long to wait for the check runs after the last ack. */
  checkTimeoutMs: number;
  /** Write a CPU profile of the server here. */
  profileDir?: string;
}

/** A fresh Tiphys server for `body`, warmed up; stopped (and its store removed) afterwards. */
async function withTiphys<T>(opts: TiphysSideOptions, plan: LoadPlan, body: (server: ServerProcess) => Promise<T>): Promise<{ result: T; profiles: string[] }> {
  const env: Record<string, string> = { ...opts.env, TIPHYS_DATA_DIR: opts.dataDir };
  // TIPHYS_* settings of the bench's environment are passed through (TIPHYS_GITHUB_WRITE_INTERVAL_MS,
  // TIPHYS_MAX_RUNS ...: see .env.example), so a run can measure other settings; the bench prints them.
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("TIPHYS_") && k !== "TIPHYS_DATA_DIR" && v !== undefined) env[k] = v;
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    Object.assign(env, { NODE_OPTIONS: `--import ${PROFILER}`, TIPHYS_BENCH_PROFILE_DIR: opts.profileDir });
  }
  const before = opts.profileDir ? new Set(readdirSync(opts.profileDir)) : new Set<string>();
  const server = await startServer({ env });
  let result: T;
  try {
    const warm = new CheckRunWatch(opts.fake, [`${opts.owner}/${opts.name}`], plan.warm.map((p) => p.sha));
    await sendPushes({ url: server.webhookUrl, pushes: plan.warm, concurrency: plan.concurrency });
    // Done when GitHub has heard the one call every warm-up push makes (its commit's tree; the
    // triggers are matched right after), and a moment more for the store to settle.
    const done = await warm.wait(60_000, "tree");
    if (done < plan.warm.length) throw new Error(`warm-up: only ${done} of ${plan.warm.length} pushes were processed within 60 s`);
    await new Promise((r) => setTimeout(r, 500));
    result = await body(server);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server output (last 4 KB) ---\n${server.output().slice(-4096)}`);
  } finally {
    await server.stop();
    rmSync(opts.dataDir, { recursive: true, force: true });
    // The fake keeps every request (bodies and headers): let them go, or this process's heap grows
    // by tens of MB per repetition and its collector pauses land on the fake's request times.
    opts.fake.requests.splice(0);
  }
  // One profile per thread: the main thread's and the work thread's.
  const profiles = opts.profileDir ? readdirSync(opts.profileDir).filter((f) => f.endsWith(".cpuprofile") && !before.has(f)).sort().map((f) => join(opts.profileDir!, f)) : [];
  return { result, profiles };
}

export interface TiphysSideResult {
  ack: AckFigures;
  check: CheckFigures;
  /** This process's event-loop delay while it sent and watched (ms): the fake's times are only as good as this. */
  benchLoopDelay: { p99: number; max: number };
  timeline: Timeline;
  /** CPU profiles of the server's threads (with --profile). */
  profiles: string[];
}

export async function runTiphysSide(opts: TiphysSideOptions, plan: LoadPlan): Promise<TiphysSideResult> {
  const { result, profiles } = await withTiphys(opts, plan, async (server) => {
    const watch = new CheckRunWatch(opts.fake, [`${opts.owner}/${opts.name}`], plan.measured.map((p) => p.sha));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const load = await sendPushes({ url: server.webhookUrl, pushes: plan.measured, concurrency: plan.concurrency });
    await watch.wait(opts.checkTimeoutMs);
    delay.disable();
    const benchLoopDelay = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
    return { ack: ackFigures(load), check: checkFigures(load.samples, watch), benchLoopDelay, timeline: timelineOf(load.samples, watch) };
  });
  return { ...result, profiles };
}

/**
 * Pushes one at a time, `spacingMs` apart, to a server with nothing else to do: the time to the
 * first check run when no other push is ahead of it.
 */
export async function runTiphysIdle(opts: TiphysSideOptions, plan: LoadPlan, pushes: SignedPush[], spacingMs: number): Promise<{ check: CheckFigures; timeline: Timeline }> {
  const { result } = await withTiphys({ ...opts, profileDir: undefined }, plan, async (server) => {
    const watch = new CheckRunWatch(opts.fake, [`${opts.owner}/${opts.name}`], pushes.map((p) => p.sha));
    const samples: LoadResult["samples"] = [];
    for (const push of pushes) {
      const started = performance.now();
      const load = await sendPushes({ url: server.webhookUrl, pushes: [push], concurrency: 1 });
      samples.push(...load.samples);
      await new Promise((r) => setTimeout(r, Math.max(0, spacingMs - (performance.now() - started))));
    }
    await watch.wait(opts.checkTimeoutMs);
    return { check: checkFigures(samples, watch), timeline: timelineOf(samples, watch) };
  });
  return result;
}

export interface SustainedResult {
  ack: AckFigures;
  check: CheckFigures;
  /** Pushes per second actually sent (first send to last). */
  sentRate: number;
  timeline: Timeline;
}

/**
 * A steady stream instead of a burst: `pushes` sent at `rate` per second (open loop) to a fresh
 * server, spread over the repositories of `repos` (each its own installation, so each its own lane
 * of GitHub writes), every push's first check run watched. This is how an App's load arrives: many
 * installations, each pushing now and then.
 */
export async function runTiphysSustained(opts: TiphysSideOptions, plan: LoadPlan, pushes: SignedPush[], rate: number, repos: string[]): Promise<SustainedResult> {
  const { result } = await withTiphys({ ...opts, profileDir: undefined }, plan, async (server) => {
    const watch = new CheckRunWatch(opts.fake, repos, pushes.map((p) => p.sha));
    const load = await sendAtRate({ url: server.webhookUrl, pushes, rate });
    await watch.wait(opts.checkTimeoutMs);
    const first = load.samples[0].sentAt;
    const last = Math.max(...load.samples.map((s) => s.sentAt));
    return { ack: ackFigures(load), check: checkFigures(load.samples, watch), sentRate: ((pushes.length - 1) / (last - first)) * 1000, timeline: timelineOf(load.samples, watch) };
  });
  return result;
}
