/**
 * End to end: the real server process (as `npm start` runs it) against the loopback fake of GitHub's
 * API and a simulated cluster given through TIPHYS_KUBECONFIG. A merge push to the default branch syncs
 * the repo's Application: its objects appear in the cluster, a GitHub Deployment goes in_progress then
 * success, and the check run `tiphys/app/guestbook` completes with the result table.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { startFakeGitHub, type FakeGitHub } from "../helpers/fake-github.js";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { examplePayload, retarget, sendWebhook } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";
import { startServer, WEBHOOK_SECRET, writePrivateKey, type ServerProcess } from "./server-process.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CORPUS = join(REPO_ROOT, "../shared/corpus/argocd-example-apps/guestbook");
const APP_ID = 4343;
const INSTALLATION = 78;
const OWNER = "octo-org";
const NAME = "deploys";
const ROOT = testWorkRoot(REPO_ROOT, `e2e-app-sync-${process.pid}`);

const appYaml = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  annotations:
    tiphys.io/environment: staging
spec:
  project: default
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

let fake: FakeGitHub;
let repo: GitFixture;
let sim: SimulatedCluster;
let server: ServerProcess | undefined;

beforeAll(async () => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  fake = await startFakeGitHub({ appId: APP_ID });
  const deployment = readFileSync(join(CORPUS, "guestbook-ui-deployment.yaml"), "utf8");
  repo = await createRepo({ ".tiphys/apps.yaml": appYaml, "guestbook/guestbook-ui-deployment.yaml": deployment, "guestbook/guestbook-ui-svc.yaml": readFileSync(join(CORPUS, "guestbook-ui-svc.yaml"), "utf8") });
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 } });
  const kubeconfig = join(ROOT, "kubeconfig");
  await sim.writeKubeconfig(kubeconfig);
  server = await startServer({
    env: {
      APP_ID: String(APP_ID),
      PRIVATE_KEY_PATH: writePrivateKey(join(ROOT, "keys")),
      WEBHOOK_SECRET,
      GHE_HOST: fake.host,
      GHE_PROTOCOL: "http",
      TIPHYS_CHECK_RUN_DEBOUNCE_MS: "200",
      TIPHYS_POLL_MS: "50",
      TIPHYS_REPLICA_ID: "e2e-app-sync",
      TIPHYS_DATA_DIR: join(ROOT, "data"),
      TIPHYS_KUBECONFIG: kubeconfig,
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await sim?.close();
  await fake?.close();
  repo?.cleanup();
  rmSync(ROOT, { recursive: true, force: true });
});

describe("an Application through the real server", () => {
  it("a merge push syncs it: objects in the cluster, a Deployment in_progress then success, a completed check run", async () => {
    const before = repo.sha;
    // The merge of a PR that scales the guestbook to two replicas.
    const text = readFileSync(join(repo.dir, "guestbook/guestbook-ui-deployment.yaml"), "utf8").replace("replicas: 1", "replicas: 2");
    const sha = await repo.commit({ "guestbook/guestbook-ui-deployment.yaml": text }, "Merge pull request #7 from octo-org/scale");
    const payload = retarget(examplePayload("push"), { owner: OWNER, name: NAME, installationId: INSTALLATION, sha, before, ref: "main" });
    (payload.repository as { default_branch: string }).default_branch = "main";

    const res = await sendWebhook({ url: server!.webhookUrl, secret: WEBHOOK_SECRET, event: "push", payload });
    expect(res.status).toBe(200);

    const check = await fake.waitFor(() => fake.checkRuns(OWNER, NAME).find((c) => c.name === "tiphys/app/guestbook" && c.status === "completed"), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nserver output:\n${server!.output().slice(-4000)}`);
    });
    expect(check.head_sha).toBe(sha);
    expect(check.conclusion).toBe("success");
    expect(check.output.title).toMatch(new RegExp(`^guestbook synced to ${sha.slice(0, 7)}: Synced, `));
    expect(check.output.text).toContain("| Deployment default/guestbook-ui | Sync | 0 | create | Synced: deployment.apps/guestbook-ui created |");
    expect(check.history[0]!.status).toBe("in_progress");

    // The Deployment's last status follows the check run's completion.
    await fake.waitFor(() => fake.deployments(OWNER, NAME)[0]?.statuses.some((s) => s.state !== "in_progress"), 10_000);
    const [deployment, ...others] = fake.deployments(OWNER, NAME);
    expect(others).toEqual([]);
    expect(deployment!.json).toMatchObject({ sha, ref: sha, environment: "staging" });
    expect(deployment!.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(deployment!.statuses[1]!.log_url).toBe(check.html_url);

    const cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
    const live = await cluster.get<{ apiVersion: string; kind: string; metadata: { annotations?: Record<string, string> }; spec: { replicas: number } }>({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" });
    expect(live?.spec.replicas).toBe(2);
    expect(live?.metadata.annotations?.["tiphys.io/tracking-id"]).toBe("guestbook:apps/Deployment:default/guestbook-ui");
    expect(fake.unhandled).toEqual([]);
  });
});
