/**
 * The idle cost of releases waiting at gates: one server process, measured idle twice for the same
 * window: first with no Rollout at all (the baseline), then with `n` Rollouts (one app; each 1 replica,
 * `setWeight: 50` then `pause: {}`) all paused at their gate after a push changed their image. CPU is
 * the process's user + system time over the window (all threads), memory its resident set at the end.
 * GitHub write pacing is off here (TIPHYS_GITHUB_WRITE_INTERVAL_MS=0): the n releases' check runs would
 * otherwise take minutes to write, and writing them is not what is measured. Their comments (here on
 * the commit: no pull request) still go at Octokit's pace for notifications, one per 3 s; the idle
 * window starts once all are written.
 */
import { appYaml, cpuSeconds, NAME, OWNER, rolloutYaml, rssMiB, sleep, startBench, type Bench } from "./setup.js";

export interface IdleWindow {
  cpuSecondsPerMinute: number;
  rssMiB: number;
  githubRequests: number;
  clusterRequests: number;
}

export interface IdleFigures {
  baseline: IdleWindow;
  gated: IdleWindow;
  rollouts: number;
  /** From the push to the last gate's check run on GitHub, and to its last comment. */
  toGatesMs: number;
  toCommentsMs: number;
}

const STEPS = ["setWeight: 50", "pause: {}"];

function manifests(n: number, image: string): string {
  return Array.from({ length: n }, (_, i) => rolloutYaml(`web-${i}`, { replicas: 1, image, steps: STEPS })).join("---\n");
}

async function measure(b: Bench, seconds: number): Promise<IdleWindow> {
  const pid = b.server.proc.pid!;
  const gh0 = b.fake.requests.length;
  const k0 = b.sim.api.requests.list().length;
  const cpu0 = cpuSeconds(pid);
  await sleep(seconds * 1000);
  const cpu = cpuSeconds(pid) - cpu0;
  return { cpuSecondsPerMinute: (cpu * 60) / seconds, rssMiB: rssMiB(pid), githubRequests: b.fake.requests.length - gh0, clusterRequests: b.sim.api.requests.list().length - k0 };
}

const gated = (b: Bench, sha: string) => b.fake.checkRuns(OWNER, NAME).filter((c) => c.name.startsWith("tiphys/rollout/") && c.head_sha === sha && c.conclusion === "action_required").length;

export async function idleCost(n: number, seconds: number, settleSeconds = 15): Promise<IdleFigures> {
  const b = await startBench("idle", { ".tiphys/apps.yaml": appYaml("fleet"), "deploy/rollouts.yaml": manifests(n, "blue") }, { TIPHYS_GITHUB_WRITE_INTERVAL_MS: "0" });
  try {
    await sleep(settleSeconds * 1000);
    const baseline = await measure(b, seconds);
    const first = await b.push({}, "initial");
    await b.fake.waitFor(() => b.fake.checkRuns(OWNER, NAME).filter((c) => c.head_sha === first && c.name.startsWith("tiphys/rollout/") && c.conclusion === "success").length === n, 300_000);
    const started = Date.now();
    const sha = await b.push({ "deploy/rollouts.yaml": manifests(n, "yellow") }, "Merge pull request #8 from octo-org/yellow");
    await b.fake.waitFor(() => gated(b, sha) === n, 300_000);
    const toGatesMs = Date.now() - started;
    await b.fake.waitFor(() => b.fake.commitComments(OWNER, NAME).length >= n, n * 3000 + 120_000);
    const toCommentsMs = Date.now() - started;
    await sleep(settleSeconds * 1000);
    const window = await measure(b, seconds);
    if (gated(b, sha) !== n) throw new Error("a release left its gate during the idle window");
    if (b.fake.commitComments(OWNER, NAME).length !== n) throw new Error(`${b.fake.commitComments(OWNER, NAME).length} release comments for ${n} releases`);
    return { baseline, gated: window, rollouts: n, toGatesMs, toCommentsMs };
  } finally {
    await b.close();
  }
}
