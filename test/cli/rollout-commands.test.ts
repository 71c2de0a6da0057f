// `tiphys sync` of an app holding a Rollout, and `tiphys rollout status|promote|abort|retry|undo`, as a user
// runs them: the built CLI, a git repo holding Argo's rollout-canary example, and `tiphys cluster simulate`
// as the cluster. Each command is a separate process: the release carries on from the state in the
// cluster. The repo's copy of rollout-canary.yaml shortens the timed pauses (40s, 20s, 20s) to 2s.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { REPO as ROOT, Workspace, describeResult, until, type Running } from "./helpers.js";

const CANARY = readFileSync(join(ROOT, "..", "shared", "corpus", "argo-rollouts", "rollout-canary.yaml"), "utf8").replace(/duration: (40|20)s/g, "duration: 2s");
const withImage = (tag: string) => CANARY.replace("argoproj/rollouts-demo:blue", `argoproj/rollouts-demo:${tag}`);

const APP = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: canary-demo
spec:
  project: default
  source:
    repoURL: https://github.com/example/deploy.git
    targetRevision: HEAD
    path: rollouts
  destination:
    server: https://kubernetes.default.svc
    namespace: default
`;

interface RolloutJson {
  kind: string;
  metadata: { name: string; managedFields?: unknown };
  status: {
    phase: string;
    message?: string;
    currentStepIndex?: number;
    stableRS?: string;
    currentPodHash?: string;
    abort?: boolean;
    pauseConditions?: Array<{ reason: string; startTime: string }>;
  };
}

let repo: GitFixture;
let ws: Workspace;
let sim: Running;
let kubeconfig: string;

beforeAll(async () => {
  repo = await createRepo({ ".tiphys/app.yaml": APP, "rollouts/rollout.yaml": CANARY });
  ws = new Workspace();
  kubeconfig = ws.path("kubeconfig");
  sim = ws.spawn(["cluster", "simulate", "--kubeconfig-out", kubeconfig], { timeoutMs: 600_000 });
  await until(() => existsSync(kubeconfig) && readFileSync(kubeconfig, "utf8").includes("server:"), "the simulated cluster's kubeconfig");
});

afterAll(async () => {
  sim?.kill("SIGTERM");
  await ws?.dispose();
  repo?.cleanup();
});

const appFile = () => join(repo.dir, ".tiphys/app.yaml");
const cli = (args: string[]) => ws.run([...args, "--kubeconfig", kubeconfig], { timeoutMs: 120_000 });
const status = async () => {
  const r = await cli(["rollout", "status", "rollout-canary", "-o", "json"]);
  expect(r.code, describeResult(r)).toBe(0);
  return JSON.parse(r.stdout) as RolloutJson;
};

async function releaseImage(tag: string) {
  await repo.commit({ "rollouts/rollout.yaml": withImage(tag) });
  const r = await cli(["sync", appFile()]);
  expect(r.code, describeResult(r)).toBe(0);
  return r;
}

describe("tiphys sync of an app with a Rollout, then tiphys rollout", () => {
  it("syncs the first revision (Tiphys installs the CRDs) and the Rollout ends Healthy: the first deploy skips the steps", async () => {
    const r = await cli(["sync", appFile()]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/Phase:\s+Succeeded/);
    expect(r.stdout).toMatch(/argoproj\.io\s+Rollout\s+default\s+rollout-canary/);
    expect(r.stdout).toMatch(/^Name:\s+rollout-canary$/m);
    expect(r.stdout).toMatch(/^Status:\s+✔ Healthy$/m);
    expect(r.stdout).toMatch(/^\s+Available:\s+5$/m);
  });

  it("a new image pauses at step 1 with 1 of 5 pods on it; sync says how to promote", async () => {
    const r = await releaseImage("yellow");
    expect(r.stdout).toMatch(/^Status:\s+॥ Paused$/m);
    expect(r.stdout).toMatch(/^Message:\s+CanaryPauseStep$/m);
    expect(r.stdout).toMatch(/^\s+Step:\s+1\/8$/m);
    expect(r.stdout).toMatch(/^\s+SetWeight:\s+20$/m);
    expect(r.stdout).toMatch(/^\s+ActualWeight:\s+20$/m);
    expect(r.stdout).toContain(`promote:        tiphys rollout promote rollout-canary -n default --kubeconfig ${kubeconfig}`);
    expect(r.stdout).toMatch(/rollout-canary-\w+\s+canary\s+\w+\s+1\s+1/);
    expect(r.stdout).toMatch(/rollout-canary-\w+\s+stable\s+\w+\s+4\s+4/);
  });

  it("status -o json prints the Rollout with Argo's status", async () => {
    const ro = await status();
    expect(ro.kind).toBe("Rollout");
    expect(ro.metadata.managedFields).toBeUndefined();
    expect(ro.status).toMatchObject({ phase: "Paused", message: "CanaryPauseStep", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep", startTime: expect.any(String) }] });
    expect(ro.status.stableRS).toBeTruthy();
    expect(ro.status.currentPodHash).not.toBe(ro.status.stableRS);
    const text = await cli(["rollout", "status", "rollout-canary"]);
    expect(text.stdout).toMatch(/▶\s+1\s+pause: \{\}\s+waiting for a promote since/);
    expect(text.stdout).toMatch(/✔\s+0\s+setWeight: 20/);
    expect(text.stdout).toMatch(/○\s+2\s+setWeight: 40/);
  });

  it("promote runs the release through its timed pauses to the end", async () => {
    const before = await status();
    const r = await cli(["rollout", "promote", "rollout-canary"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^Status:\s+✔ Healthy$/m);
    expect(r.stderr).toMatch(/rollout-canary: Paused \(CanaryPauseStep\) step 3\/8/);
    const after = await status();
    expect(after.status).toMatchObject({ phase: "Healthy", currentStepIndex: 8, stableRS: before.status.currentPodHash, currentPodHash: before.status.currentPodHash });
  });

  it("abort, retry, promote --full and undo, each a command of its own", async () => {
    await releaseImage("green");
    const paused = await status();
    expect(paused.status).toMatchObject({ phase: "Paused", currentStepIndex: 1 });

    const aborted = await cli(["rollout", "abort", "rollout-canary"]);
    expect(aborted.code, describeResult(aborted)).toBe(0);
    expect(aborted.stdout).toMatch(/^Status:\s+✖ Degraded$/m);
    expect(aborted.stdout).toMatch(/^Message:\s+RolloutAborted: Rollout aborted update to revision 3$/m);
    expect((await status()).status).toMatchObject({ phase: "Degraded", abort: true, stableRS: paused.status.stableRS });

    const retried = await cli(["rollout", "retry", "rollout-canary"]);
    expect(retried.code, describeResult(retried)).toBe(0);
    expect(retried.stdout).toMatch(/^Status:\s+॥ Paused$/m);
    expect((await status()).status).toMatchObject({ phase: "Paused", currentStepIndex: 1 });

    const full = await cli(["rollout", "promote", "rollout-canary", "--full"]);
    expect(full.code, describeResult(full)).toBe(0);
    expect((await status()).status).toMatchObject({ phase: "Healthy", stableRS: paused.status.currentPodHash });

    // Back to the previous revision (yellow): an update like any other, so it pauses at step 1 again.
    const undone = await cli(["rollout", "undo", "rollout-canary"]);
    expect(undone.code, describeResult(undone)).toBe(0);
    const back = await status();
    expect(back.status).toMatchObject({ phase: "Paused", currentStepIndex: 1, stableRS: paused.status.currentPodHash });
    expect(back.status.currentPodHash).toBe(paused.status.stableRS);
  }, 120_000);

  it("a Rollout that does not exist is a usage error naming it", async () => {
    const r = await cli(["rollout", "promote", "nope", "-n", "default"]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain('rollouts.argoproj.io "nope" not found in namespace default');
  });
});
