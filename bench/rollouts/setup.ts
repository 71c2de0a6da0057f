/**
 * What both halves of bench:rollouts stand on: the real server process (`dist/src/server/main.js`, as
 * `npm start` runs it, embedded store) with the loopback fake of GitHub and a simulated cluster given
 * through TIPHYS_KUBECONFIG, a real git repository of `.tiphys/` and manifests, and the webhooks GitHub
 * would send (signed): pushes and `/tiphys` comments.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { startFakeGitHub, type FakeGitHub } from "../../test/helpers/fake-github.js";
import { createRepo, type GitFixture } from "../../test/helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../../test/helpers/webhooks.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "../../test/e2e/server-process.js";

export const OWNER = "octo-org";
export const NAME = "shop";
const INSTALLATION = 93;
const APP_ID = 4646;

export interface Bench {
  fake: FakeGitHub;
  repo: GitFixture;
  sim: SimulatedCluster;
  server: ServerProcess;
  /** Commits `changes` (the first call pushes the initial commit as it is) and sends the push. */
  push(changes: Record<string, string>, message: string): Promise<string>;
  /** `/tiphys <text>` commented on issue `issue` by `login`; resolves once the webhook was answered. */
  command(text: string, opts: { issue: number; login: string }): Promise<void>;
  close(): Promise<void>;
}

/** An automated Application `name` of the repository, at `deploy/`. */
export function appYaml(name: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
spec:
  project: default
  source:
    repoURL: https://github.com/${OWNER}/${NAME}.git
    targetRevision: HEAD
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: default
  syncPolicy:
    automated: { prune: true }
`;
}

/** A canary Rollout: `replicas` pods of rollouts-demo at `image`, with these steps (YAML flow lines). */
export function rolloutYaml(name: string, opts: { replicas: number; image: string; steps: string[] }): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: ${name}
spec:
  replicas: ${opts.replicas}
  revisionHistoryLimit: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: rollouts-demo
        image: argoproj/rollouts-demo:${opts.image}
  strategy:
    canary:
      steps:
${opts.steps.map((s) => `      - ${s}`).join("\n")}
`;
}

export async function startBench(label: string, files: Record<string, string>, env: Record<string, string> = {}): Promise<Bench> {
  const root = join(tmpdir(), `tiphys-bench-rollouts-${label}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const fake = await startFakeGitHub({ appId: APP_ID });
  const repo = await createRepo(files);
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  fake.setPermission(OWNER, NAME, "hubot", "maintain");
  const sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  const kubeconfig = join(root, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const server = await startServer({
    env: {
      APP_ID: String(APP_ID),
      PRIVATE_KEY_PATH: writePrivateKey(join(root, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      TIPHYS_REPLICA_ID: `bench-rollouts-${label}`,
      TIPHYS_DATA_DIR: join(root, "data"),
      TIPHYS_KUBECONFIG: kubeconfig,
      LOG_LEVEL: "warn",
      ...env,
    },
  });
  let head = repo.sha;
  let first = true;
  const send = async (event: string, payload: object) => {
    const res = await sendWebhook({ url: server.webhookUrl, secret: WEBHOOK_SECRET, event, payload: payload as never });
    if (res.status !== 200) throw new Error(`the ${event} webhook was answered ${res.status}`);
  };
  return {
    fake,
    repo,
    sim,
    server,
    async push(changes, message) {
      const before = first ? "0".repeat(40) : head;
      const sha = first ? head : await repo.commit(changes, message);
      first = false;
      head = sha;
      const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
      (payload.repository as { default_branch: string }).default_branch = "main";
      await send("push", payload);
      return sha;
    },
    async command(text, opts) {
      const seeded = fake.addComment({ owner: OWNER, name: NAME, number: opts.issue, body: text, author: opts.login });
      const payload = retarget(examplePayload("issue_comment.created", (e) => e.installation !== undefined), { owner: OWNER, name: NAME, installationId: INSTALLATION, number: opts.issue });
      Object.assign(payload.comment as object, { id: seeded.id, body: text, user: { login: opts.login, type: "User" } });
      (payload.issue as { number: number }).number = opts.issue;
      payload.sender = { login: opts.login, type: "User" };
      await send("issue_comment", payload);
    },
    async close() {
      await server.stop();
      await sim.close();
      await fake.close();
      repo.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system, all threads) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100/s on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
