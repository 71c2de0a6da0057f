/**
 * Push to first apply, through the handlers: the real server process (`dist/src/server/main.js`, as
 * `npm start` runs it, embedded store) with the loopback fake of GitHub and a simulated cluster given
 * through TIPHYS_KUBECONFIG, all on loopback. Each push changes the app's Deployment; the figure is the
 * time from sending the signed webhook to the first write of that revision at the cluster (the sim's
 * request log and the sender share this process's clock). GitHub write pacing stays at its default
 * (1 write per second per installation), as in production.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulatedCluster } from "../../src/simcluster/index.js";
import { startFakeGitHub } from "../../test/helpers/fake-github.js";
import { createRepo } from "../../test/helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../../test/helpers/webhooks.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey } from "../../test/e2e/server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CORPUS = join(REPO_ROOT, "../shared/corpus/argocd-example-apps/guestbook");
const OWNER = "octo-org";
const NAME = "deploys";
const INSTALLATION = 91;

export interface PushFigures {
  ms: number;
  detail: string;
  samples: number[];
}

export async function pushToFirstApply(pushes = 10, gapMs = 1000, debug?: (serverOutput: string) => void): Promise<PushFigures> {
  const root = join(tmpdir(), `tiphys-bench-push-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const fake = await startFakeGitHub({ appId: 4444 });
  const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  source:
    repoURL: https://github.com/${OWNER}/${NAME}.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: default
  syncPolicy:
    automated: { prune: true }
`;
  const deployment = readFileSync(join(CORPUS, "guestbook-ui-deployment.yaml"), "utf8");
  const repo = await createRepo({ ".tiphys/apps.yaml": app, "guestbook/guestbook-ui-deployment.yaml": deployment, "guestbook/guestbook-ui-svc.yaml": readFileSync(join(CORPUS, "guestbook-ui-svc.yaml"), "utf8") });
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  const sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  const kubeconfig = join(root, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  const server = await startServer({
    env: {
      APP_ID: "4444",
      PRIVATE_KEY_PATH: writePrivateKey(join(root, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      TIPHYS_REPLICA_ID: "bench-push",
      TIPHYS_DATA_DIR: join(root, "data"),
      TIPHYS_KUBECONFIG: kubeconfig,
      ...(debug ? { LOG_LEVEL: "debug" } : {}),
    },
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i <= pushes; i++) {
      const before = repo.sha;
      const text = deployment.replace(/replicas: \d+/, `replicas: ${(i % 3) + 1}`).replace(/(image: .*:)v\d+/, `$1v${i + 10}`);
      const sha = await repo.commit({ "guestbook/guestbook-ui-deployment.yaml": text }, `Merge pull request #${i + 1}`);
      const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
      (payload.repository as { default_branch: string }).default_branch = "main";
      const mark = sim.api.requests.list().length;
      const sent = Date.now();
      if (debug) console.log(`push ${i} sent at ${new Date(sent).toISOString()}`);
      const res = await sendWebhook({ url: server.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      const until = Date.now() + 30_000;
      let first: number | undefined;
      while (first === undefined && Date.now() < until) {
        const apply = sim.api.requests.list().slice(mark).find((r) => r.verb === "patch" && r.resource === "deployments.apps" && r.name === "guestbook-ui");
        if (apply) first = apply.at;
        else await new Promise((r) => setTimeout(r, 5));
      }
      if (first === undefined) throw new Error(`push ${i}: no apply within 30 s\n${server.output().slice(-3000)}`);
      // The first push warms the server (render cache, connections): not counted.
      if (i > 0) samples.push(first - sent);
      // Idle latency: the next push comes once this one's reports are written (GitHub's write pacing
      // spreads them over a few seconds), and a pause after that.
      await fake.waitFor(() => fake.checkRuns(OWNER, NAME).find((c) => c.head_sha === sha && c.name === "tiphys/app/guestbook" && c.status === "completed"), 60_000);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    debug?.(server.output());
    await server.stop();
    await sim.close();
    await fake.close();
    repo.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)]!;
  const max = sorted[sorted.length - 1]!;
  return { ms: p50, samples, detail: `p50 of ${samples.length} pushes, each ${gapMs / 1000} s after the previous one's check run completed; max ${max} ms` };
}
