import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

/**
 * Probot's Octokit with Tiphys's pacing of writes. Octokit's throttling plugin (on in Probot) keeps one
 * lane per `throttle.id`, which `probot.auth(installationId)` sets to the installation (Probot's
 * per-event Octokits would all share "no-id"; Tiphys builds none), and spaces each lane's writes
 * `writeIntervalMs` apart: GitHub asks for at least a second between content-creating requests of
 * one actor on github.com; GitHub Enterprise Server has rate limits off
 * unless its admin turns them on, so a shorter interval may fit there (TIPHYS_GITHUB_WRITE_INTERVAL_MS).
 */
export function tiphysOctokit(opts: { writeIntervalMs: number }): typeof ProbotOctokit {
  const write = new Bottleneck.Group({ id: "tiphys-write", maxConcurrent: opts.writeIntervalMs > 0 ? 1 : 8, minTime: opts.writeIntervalMs });
  return ProbotOctokit.defaults((o: { throttle?: Record<string, unknown> }) => ({
    ...o,
    throttle: { ...o.throttle, write },
  })) as typeof ProbotOctokit;
}
