/**
 * Promote to the next step, through the handlers: one Rollout of 25 replicas whose canary steps are
 * `setWeight: 4·i` then `pause: {}` (each step one more canary pod, each pause a gate). After a push
 * brings it to its first gate, each sample sends a signed `/tiphys promote web` issue_comment webhook
 * and times it to the first write of a ReplicaSet at the cluster (the next step's scale), read from the
 * simulated cluster's request log (same clock). GitHub write pacing stays at its default (1 write/s
 * per installation), as in production; the next sample comes 1 s after the next gate was reported.
 */
import { appYaml, NAME, OWNER, rolloutYaml, sleep, startBench, type Bench } from "./setup.js";

export interface LatencyFigures {
  samples: number[];
  /** To the Rollout's own status patch (the promote itself). */
  patchSamples: number[];
}

const REPLICAS = 25;

function steps(gates: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= gates; i++) out.push(`setWeight: ${Math.min(100, 4 * i)}`, "pause: {}");
  return out;
}

async function gateAt(b: Bench, sha: string, step: number, total: number): Promise<void> {
  const title = `web waits for promotion at step ${step} of ${total} (pause: {})`;
  await b.fake.waitFor(() => b.fake.checkRuns(OWNER, NAME).find((c) => c.head_sha === sha && c.conclusion === "action_required" && c.output.title === title), 60_000);
}

export async function promoteLatency(samples: number): Promise<LatencyFigures> {
  const gates = samples + 2; // one warm-up promote, and a last gate to stop at
  const total = gates * 2;
  const b = await startBench("latency", { ".tiphys/apps.yaml": appYaml("web"), "deploy/rollout.yaml": rolloutYaml("web", { replicas: REPLICAS, image: "blue", steps: steps(gates) }) });
  const figures: LatencyFigures = { samples: [], patchSamples: [] };
  try {
    const first = await b.push({}, "initial");
    await b.fake.waitFor(() => b.fake.checkRuns(OWNER, NAME).find((c) => c.head_sha === first && c.conclusion === "success"), 60_000);
    const sha = await b.push({ "deploy/rollout.yaml": rolloutYaml("web", { replicas: REPLICAS, image: "yellow", steps: steps(gates) }) }, "Merge pull request #7 from octo-org/yellow");
    await gateAt(b, sha, 2, total);
    for (let i = 0; i <= samples; i++) {
      await sleep(1000);
      const mark = b.sim.api.requests.list().length;
      const sent = Date.now();
      await b.command("/tiphys promote web", { issue: 7, login: "hubot" });
      const until = Date.now() + 30_000;
      let rs: number | undefined;
      let patch: number | undefined;
      while (rs === undefined && Date.now() < until) {
        for (const r of b.sim.api.requests.list().slice(mark)) {
          const write = r.verb === "patch" || r.verb === "update" || r.verb === "create";
          if (write && r.resource === "rollouts.argoproj.io" && patch === undefined) patch = r.at;
          if (write && r.resource === "replicasets.apps" && rs === undefined) rs = r.at;
        }
        if (rs === undefined) await sleep(5);
      }
      if (rs === undefined) throw new Error(`sample ${i}: no ReplicaSet write within 30 s\n${b.server.output().slice(-3000)}`);
      // The first promote warms the server up (its code paths, connections): not counted.
      if (i > 0) {
        figures.samples.push(rs - sent);
        if (patch !== undefined) figures.patchSamples.push(patch - sent);
      }
      await gateAt(b, sha, 2 * (i + 2), total);
    }
  } finally {
    await b.close();
  }
  return figures;
}
