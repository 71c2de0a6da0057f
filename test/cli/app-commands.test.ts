// `tiphys diff`, `tiphys sync` and `tiphys app list` as a user runs them: the built CLI, a real git repo
// holding Argo's guestbook app, the real helm/kustomize, and `tiphys cluster simulate` as the cluster.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { REPO as ROOT, Workspace, describeResult, until, type Running } from "./helpers.js";

const CORPUS = join(ROOT, "..", "shared", "corpus", "argocd-example-apps");
const corpusFile = (p: string) => readFileSync(join(CORPUS, p), "utf8");

const APP = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  project: default
  source:
    repoURL: https://github.com/example/deploy.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: default
`;

let repo: GitFixture;
let first: string;
let ws: Workspace;
let sim: Running;
let kubeconfig: string;

beforeAll(async () => {
  repo = await createRepo({
    ".tiphys/app.yaml": APP,
    "guestbook/guestbook-ui-deployment.yaml": corpusFile("guestbook/guestbook-ui-deployment.yaml"),
    "guestbook/guestbook-ui-svc.yaml": corpusFile("guestbook/guestbook-ui-svc.yaml"),
  });
  first = repo.sha;
  ws = new Workspace();
  kubeconfig = ws.path("kubeconfig");
  sim = ws.spawn(["cluster", "simulate", "--kubeconfig-out", kubeconfig], { timeoutMs: 300_000 });
  await until(() => existsSync(kubeconfig) && readFileSync(kubeconfig, "utf8").includes("server:"), "the simulated cluster's kubeconfig");
});

afterAll(async () => {
  sim?.kill("SIGTERM");
  await ws?.dispose();
  repo?.cleanup();
});

describe("tiphys diff --base (branch against branch, no cluster)", () => {
  it("shows the changed field and exits 1; nothing to show exits 0", async () => {
    const changed = corpusFile("guestbook/guestbook-ui-deployment.yaml").replace(/image: .*/, "image: gcr.io/google-samples/gb-frontend:v6");
    await repo.commit({ "guestbook/guestbook-ui-deployment.yaml": changed });
    const r = await ws.run(["diff", join(repo.dir, ".tiphys/app.yaml"), "--base", first]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stdout).toContain("===== apps/Deployment default/guestbook-ui ======");
    expect(r.stdout).toMatch(/^\+\s+- image: gcr\.io\/google-samples\/gb-frontend:v6$/m);
    expect(r.stdout).toMatch(/^-\s+- image: gcr\.io\/google-samples\/gb-frontend:v5$/m);
    expect(r.stdout).not.toContain("Service");
    const same = await ws.run(["diff", join(repo.dir, ".tiphys/app.yaml"), "--base", "HEAD", "--revision", "HEAD"]);
    expect(same.code, describeResult(same)).toBe(0);
    expect(same.stdout).toBe("");
  });
});

describe("tiphys sync, app list and diff against a simulated cluster", () => {
  it("syncs in Argo CD's order and prints the Application with Argo CD's status", async () => {
    const r = await ws.run(["sync", join(repo.dir, ".tiphys/app.yaml"), "--kubeconfig", kubeconfig, "-o", "json"]);
    expect(r.code, describeResult(r)).toBe(0);
    const app = JSON.parse(r.stdout) as {
      metadata: { name: string };
      status: { sync: { status: string; revision: string }; health: { status: string }; operationState: { phase: string; syncResult: { resources: Array<Record<string, unknown>> } } };
    };
    expect(app.metadata.name).toBe("guestbook");
    expect(app.status.sync).toEqual({ status: "Synced", revision: repo.sha });
    expect(app.status.operationState.phase).toBe("Succeeded");
    expect(app.status.operationState.syncResult.resources.map((x) => ({ group: x.group, version: x.version, kind: x.kind, namespace: x.namespace, name: x.name, status: x.status, syncPhase: x.syncPhase }))).toEqual([
      { group: "", version: "v1", kind: "Service", namespace: "default", name: "guestbook-ui", status: "Synced", syncPhase: "Sync" },
      { group: "apps", version: "v1", kind: "Deployment", namespace: "default", name: "guestbook-ui", status: "Synced", syncPhase: "Sync" },
    ]);
  });

  it("lists the app, and a live diff is empty once synced", async () => {
    await until(async () => {
      const l = await ws.run(["app", "list", "--kubeconfig", kubeconfig, "-o", "json"]);
      const apps = JSON.parse(l.stdout) as Array<{ name: string; sync: string; health: string }>;
      return apps.length === 1 && apps[0]!.health === "Healthy" ? apps : undefined;
    }, "guestbook to be Healthy");
    const text = await ws.run(["app", "list", "--kubeconfig", kubeconfig]);
    expect(text.stdout).toMatch(/^guestbook\s+default\s+Synced\s+Healthy\s+[0-9a-f]{12}\s+Succeeded: successfully synced/m);
    const d = await ws.run(["diff", join(repo.dir, ".tiphys/app.yaml"), "--kubeconfig", kubeconfig]);
    expect(d.code, describeResult(d)).toBe(0);
    expect(d.stdout).toBe("");
  });

  it("a live diff shows a change made in the cluster's state of the repo", async () => {
    const d = await ws.run(["diff", join(repo.dir, ".tiphys/app.yaml"), "--kubeconfig", kubeconfig, "--revision", first]);
    expect(d.code, describeResult(d)).toBe(1);
    expect(d.stdout).toMatch(/^\+\s+- image: gcr\.io\/google-samples\/gb-frontend:v5$/m);
  });

  it("--dry-run changes nothing", async () => {
    const r = await ws.run(["sync", join(repo.dir, ".tiphys/app.yaml"), "--kubeconfig", kubeconfig, "--revision", first, "--dry-run"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/Message:\s+successfully synced \(dry run\)/);
    expect(r.stdout).toMatch(/deployment\.apps\/guestbook-ui configured \(dry run\)/);
    const d = await ws.run(["diff", join(repo.dir, ".tiphys/app.yaml"), "--kubeconfig", kubeconfig]);
    expect(d.code, describeResult(d)).toBe(0);
  });
});

describe("bad input", () => {
  it("names the file, line and field of a broken Application", async () => {
    const file = ws.write("broken.yaml", APP.replace(/ {2}destination:\n.*\n.*\n/, ""));
    const r = await ws.run(["sync", file, "--repo", repo.dir, "--cluster", "simulated"]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:6:\d+: error: spec\.destination is required/);
  });

  it("says how to give a cluster", async () => {
    const r = await ws.run(["sync", join(repo.dir, ".tiphys/app.yaml")], { env: { KUBECONFIG: undefined } });
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toMatch(/no cluster given: use --kubeconfig FILE/);
  });
});
