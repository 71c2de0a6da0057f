/**
 * One measured repetition of each side: a warm-up that is not counted, then the measured pushes at
 * a fixed concurrency. The Tiphys side is a fresh server process (fresh embedded store) per
 * repetition, also watched for the first check run of each push; it is stopped before the next side
 * runs, so the work it still has queued does not land on the other side's measurement.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../../test/e2e/server-process.js";
import type { FakeGitHub } from "../../test/helpers/fake-github.js";
import type { BareProbot } from "./bare-probot-process.js";
import { CheckRunWatch } from "./check-runs.js";
import { sendPushes, type LoadResult } from "./load.js";
import type { SignedPush } from "./payloads.js";
import { percentile } from "./stats.js";

export interface LoadPlan {
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
  /** Send to the first check-run request for the push's sha. */
  p50: number;
  p99: number;
  max: number;
  /** Pushes that got a check run before the timeout. */
  got: number;
  of: number;
  /** Send to Tiphys's first GitHub call for the push (the time the queued event waited). */
  waitP50: number;
  waitP99: number;
  /** That first call to the check run (compare, tree, config check, store). */
  workP50: number;
  workP99: number;
  /** Check runs created per second, first send to last check run. */
  perSecond: number;
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

function checkFigures(load: LoadResult, watch: CheckRunWatch): CheckFigures {
  const total: number[] = [];
  const wait: number[] = [];
  const work: number[] = [];
  let last = 0;
  for (const s of load.samples) {
    const t = watch.times.get(s.sha);
    if (t?.checkRun === undefined) {
      total.push(Infinity); // missing: counts against the percentiles
      continue;
    }
    total.push(t.checkRun - s.sentAt);
    last = Math.max(last, t.checkRun);
    if (t.firstCall !== undefined) {
      wait.push(t.firstCall - s.sentAt);
      work.push(t.checkRun - t.firstCall);
    }
  }
  const got = total.filter(Number.isFinite).length;
  return {
    p50: percentile(total, 50),
    p99: percentile(total, 99),
    max: Math.max(...total),
    got,
    of: load.samples.length,
    waitP50: percentile(wait, 50),
    waitP99: percentile(wait, 99),
    workP50: percentile(work, 50),
    workP99: percentile(work, 99),
    perSecond: got > 0 ? (got / (last - load.samples[0].sentAt)) * 1000 : 0,
  };
}

export async function runBareSide(bare: BareProbot, plan: LoadPlan): Promise<AckFigures> {
  await sendPushes({ url: bare.webhookUrl, pushes: plan.warm, concurrency: plan.concurrency });
  return ackFigures(await sendPushes({ url: bare.webhookUrl, pushes: plan.measured, concurrency: plan.concurrency }));
}

export interface TiphysSideOptions {
  fake: FakeGitHub;
  owner: string;
  name: string;
  env: Record<string, string>;
  dataDir: string;
  /** How long to wait for the check runs after the last ack. */
  checkTimeoutMs: number;
  /** Write a CPU profile of the server here (`node --cpu-prof`). */
  profileDir?: string;
}

export interface TiphysSideResult {
  ack: AckFigures;
  check: CheckFigures;
  /** The warm-up's pushes that got no check run in time (a sign the server was not ready). */
  warmMissing: number;
  profile?: string;
}

export async function runTiphysSide(opts: TiphysSideOptions, plan: LoadPlan): Promise<TiphysSideResult> {
  const env: Record<string, string> = { ...opts.env, TIPHYS_DATA_DIR: opts.dataDir };
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${opts.profileDir}`;
  }
  const before = opts.profileDir ? new Set(readdirSync(opts.profileDir)) : new Set<string>();
  const server = await startServer({ env });
  let result: Omit<TiphysSideResult, "profile">;
  try {
    const warmWatch = new CheckRunWatch(opts.fake, opts.owner, opts.name, plan.warm.map((p) => p.sha));
    await sendPushes({ url: server.webhookUrl, pushes: plan.warm, concurrency: plan.concurrency });
    const warmGot = await warmWatch.wait(60_000);
    const watch = new CheckRunWatch(opts.fake, opts.owner, opts.name, plan.measured.map((p) => p.sha));
    const load = await sendPushes({ url: server.webhookUrl, pushes: plan.measured, concurrency: plan.concurrency });
    await watch.wait(opts.checkTimeoutMs);
    result = { ack: ackFigures(load), check: checkFigures(load, watch), warmMissing: plan.warm.length - warmGot };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server output (last 4 KB) ---\n${server.output().slice(-4096)}`);
  } finally {
    await server.stop();
    rmSync(opts.dataDir, { recursive: true, force: true });
  }
  const profile = opts.profileDir ? readdirSync(opts.profileDir).find((f) => f.endsWith(".cpuprofile") && !before.has(f)) : undefined;
  return { ...result, profile: profile && join(opts.profileDir!, profile) };
}
