// The sync operation against the simulated cluster (the real @kubernetes/client-node over HTTPS): Argo CD's
// order of phases, waves and kinds, hooks and their delete policies, prune through the inventory, project
// checks, and a second sync that writes nothing. Manifests come from ../shared/corpus/argocd-example-apps.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { clusterFromKubeconfig } from "../../../src/cluster/registry.js";
import type { KubeCluster } from "../../../src/cluster/kube-cluster.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../../src/simcluster/index.js";
import { runSync, type SyncRequest } from "../../../src/reconcilers/application/sync.js";
import { DEFAULT_PROJECT } from "../../../src/reconcilers/application/model.js";
import { readInventory } from "../../../src/reconcilers/application/inventory.js";
import type { Application, AppProject, KubeObject } from "../../../src/reconcilers/application/types.js";

const CORPUS = join(import.meta.dirname, "../../../../shared/corpus/argocd-example-apps");

function yamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

function app(name: string, extra: Partial<Application["spec"]> = {}): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name },
    spec: { source: { repoURL: "https://github.com/argoproj/argocd-example-apps.git", path: name, targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: "default" }, ...extra },
  };
}

let sim: SimulatedCluster;
let cluster: KubeCluster;

beforeEach(async () => {
  sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 }, namespaces: ["apps"] });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
});
afterEach(async () => {
  await sim.close();
});

const FAST = { waveDelayMs: 50, pollMs: 50 };
const writes = () => ["create", "update", "patch", "delete"].reduce((n, verb) => n + sim.api.requests.count({ verb }), 0);

function sync(req: Partial<SyncRequest> & Pick<SyncRequest, "app" | "rendered">) {
  return runSync({ project: DEFAULT_PROJECT, revision: "0123456789abcdef0123456789abcdef01234567", ...req }, { cluster, ...FAST });
}

const order = (outcome: Awaited<ReturnType<typeof sync>>) =>
  outcome.operationState.syncResult!.resources.map((r) => `${r.syncPhase}:${r.syncWave}:${r.kind}/${r.name}`);

describe("a single wave without hooks (guestbook)", () => {
  const rendered = () => ["guestbook-ui-deployment.yaml", "guestbook-ui-svc.yaml"].flatMap((f) => yamlObjects(readFileSync(join(CORPUS, "guestbook", f), "utf8")));

  it("applies Service before Deployment and succeeds as soon as the applies do", async () => {
    const out = await sync({ app: app("guestbook"), rendered: rendered() });
    expect(out.operationState.phase).toBe("Succeeded");
    expect(out.operationState.message).toBe("successfully synced (all tasks run)");
    expect(order(out)).toEqual(["Sync:0:Service/guestbook-ui", "Sync:0:Deployment/guestbook-ui"]);
    expect(out.operationState.syncResult!.resources.map((r) => r.status)).toEqual(["Synced", "Synced"]);
    expect(out.operationState.syncResult!.resources[1]!.message).toBe("deployment.apps/guestbook-ui created");
    const live = await cluster.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" });
    expect(live?.metadata.annotations?.["tiphys.io/tracking-id"]).toBe("guestbook:apps/Deployment:default/guestbook-ui");
    expect(live?.metadata.labels?.["tiphys.io/app"]).toBe("guestbook");
    const inv = await readInventory(cluster, app("guestbook"));
    expect(inv?.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(["Deployment/guestbook-ui", "Service/guestbook-ui"]);
    expect(inv?.history).toHaveLength(1);
  });

  it("writes nothing on a second sync of the same revision", async () => {
    await sync({ app: app("guestbook"), rendered: rendered() });
    // Let the controllers finish writing status before counting.
    await new Promise((r) => setTimeout(r, 300));
    const before = writes();
    const second = await sync({ app: app("guestbook"), rendered: rendered() });
    expect(second.operationState.phase).toBe("Succeeded");
    expect(second.before.sync).toBe("Synced");
    expect(second.operationState.syncResult!.resources.map((r) => r.message)).toEqual(["service/guestbook-ui unchanged", "deployment.apps/guestbook-ui unchanged"]);
    const late = sim.api.requests.list().filter((r) => ["create", "update", "patch", "delete"].includes(r.verb)).slice(writes() - before === 0 ? 0 : -(writes() - before));
    expect(writes() - before, JSON.stringify(late)).toBe(0);
  });

  it("re-applies a drifted field", async () => {
    await sync({ app: app("guestbook"), rendered: rendered() });
    await cluster.patch({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" }, { spec: { template: { spec: { containers: [{ name: "guestbook-ui", image: "evil:1" }] } } } }, "strategic");
    const out = await sync({ app: app("guestbook"), rendered: rendered() });
    expect(out.before.sync).toBe("OutOfSync");
    expect(out.operationState.syncResult!.resources.find((r) => r.kind === "Deployment")!.message).toBe("deployment.apps/guestbook-ui configured");
    const live = await cluster.get<KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }>({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "guestbook-ui" });
    const wanted = (rendered().find((o) => o.kind === "Deployment")!.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
    expect(live?.spec.template.spec.containers[0]!.image).toBe(wanted);
    expect(wanted).not.toBe("evil:1");
  });
});

describe("sync waves and hooks (sync-waves)", () => {
  it("runs PreSync, then wave 0 (Service before ReplicaSet), then each wave once the previous is healthy", async () => {
    const rendered = yamlObjects(readFileSync(join(CORPUS, "sync-waves", "manifests.yaml"), "utf8"));
    const progress: string[] = [];
    const out = await runSync(
      { app: app("sync-waves"), project: DEFAULT_PROJECT, rendered, revision: "abcdef0123456789" },
      { cluster, ...FAST, onProgress: (s) => void progress.push(s.message) },
    );
    expect(out.operationState.phase, out.operationState.message).toBe("Succeeded");
    const hookName = out.operationState.syncResult!.resources[0]!.name;
    expect(hookName).toMatch(/^upgrade-sql-schemaabcdef0-presync-\d+$/);
    expect(order(out)).toEqual([
      `PreSync:0:Job/${hookName}`,
      "Sync:0:Service/backend",
      "Sync:0:ReplicaSet/backend",
      "Sync:1:Job/maint-page-up",
      "Sync:2:Service/frontend",
      "Sync:2:ReplicaSet/frontend",
      "Sync:3:Job/maint-page-down",
    ]);
    const hooks = out.operationState.syncResult!.resources.filter((r) => r.hookType);
    expect(hooks.map((h) => `${h.hookType}/${h.hookPhase}`)).toEqual(["PreSync/Succeeded", "Sync/Succeeded", "Sync/Succeeded"]);
    expect(progress.some((m) => m.startsWith("waiting for completion of hook"))).toBe(true);
    // BeforeHookCreation (the default) keeps hooks until the next sync recreates them.
    expect(await cluster.get({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name: "maint-page-up" })).toBeDefined();
    // Hooks are not in the inventory: they are never pruned.
    const inv = await readInventory(cluster, app("sync-waves"));
    expect(inv?.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(["ReplicaSet/backend", "ReplicaSet/frontend", "Service/backend", "Service/frontend"]);
  }, 60_000);
});

describe("PreSync and PostSync hooks (pre-post-sync)", () => {
  it("runs PostSync only after the Deployment is healthy, and deletes HookSucceeded hooks at the end", async () => {
    const jobs = ["pre-sync-job.yaml", "post-sync-job.yaml"].flatMap((f) => yamlObjects(readFileSync(join(CORPUS, "pre-post-sync", f), "utf8")));
    for (const j of jobs) {
      j.metadata.name = `pre-post-sync-${j.metadata.name}`;
      // Shorter than the corpus's 10 s sleeps; the semantics are the same.
      (j.spec as { template: { spec: { containers: Array<{ command: string[] }> } } }).template.spec.containers[0]!.command = ["sleep", "1"];
    }
    const guestbook = ["guestbook-ui-deployment.yaml", "guestbook-ui-svc.yaml"].flatMap((f) => yamlObjects(readFileSync(join(CORPUS, "kustomize-guestbook", f), "utf8")));
    for (const o of guestbook) o.metadata.name = `pre-post-sync-${o.metadata.name}`;
    const seen: string[] = [];
    const out = await runSync(
      { app: app("pre-post-sync"), project: DEFAULT_PROJECT, rendered: [...guestbook, ...jobs], revision: "feedbeef00" },
      {
        cluster,
        ...FAST,
        onProgress: async (s) => {
          const post = s.syncResult?.resources.find((r) => r.name === "pre-post-sync-after");
          if (post && !seen.includes("post")) {
            seen.push("post");
            const dep = await cluster.get<KubeObject & { status?: { availableReplicas?: number } }>({ apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "pre-post-sync-guestbook-ui" });
            seen.push(`available=${dep?.status?.availableReplicas ?? 0}`);
          }
        },
      },
    );
    expect(out.operationState.phase, out.operationState.message).toBe("Succeeded");
    expect(order(out)).toEqual(["PreSync:0:Job/pre-post-sync-before", "Sync:0:Service/pre-post-sync-guestbook-ui", "Sync:0:Deployment/pre-post-sync-guestbook-ui", "PostSync:0:Job/pre-post-sync-after"]);
    expect(seen).toEqual(["post", "available=1"]);
    expect(await cluster.get({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name: "pre-post-sync-before" })).toBeUndefined();
    expect(await cluster.get({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name: "pre-post-sync-after" })).toBeUndefined();
  }, 60_000);
});

describe("prune", () => {
  const cm = (name: string, wave?: number): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(wave !== undefined ? { annotations: { "argocd.argoproj.io/sync-wave": String(wave) } } : {}) }, data: { a: name } });

  it("leaves what is no longer rendered unless prune is asked, then deletes only what the app applied", async () => {
    const a = app("pruner");
    await sync({ app: a, rendered: [cm("one"), cm("two")] });
    await cluster.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "not-ours", namespace: "default" }, data: {} });
    const kept = await sync({ app: a, rendered: [cm("one")] });
    expect(kept.before.sync).toBe("OutOfSync");
    expect(kept.operationState.syncResult!.resources.find((r) => r.name === "two")).toMatchObject({ status: "PruneSkipped", message: "ignored (requires pruning)" });
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "two" })).toBeDefined();
    const pruned = await sync({ app: a, rendered: [cm("one")], prune: true });
    expect(pruned.operationState.phase).toBe("Succeeded");
    expect(pruned.operationState.syncResult!.resources.find((r) => r.name === "two")).toMatchObject({ status: "Pruned", message: "pruned" });
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "two" })).toBeUndefined();
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "not-ours" })).toBeDefined();
    const inv = await readInventory(cluster, a);
    expect(inv?.resources.map((r) => r.name)).toEqual(["one"]);
  });

  it("honours Prune=false on the resource", async () => {
    const a = app("keeper");
    const keep = cm("keep");
    keep.metadata.annotations = { "argocd.argoproj.io/sync-options": "Prune=false" };
    await sync({ app: a, rendered: [cm("x"), keep] });
    const out = await sync({ app: a, rendered: [cm("x")], prune: true });
    expect(out.operationState.syncResult!.resources.find((r) => r.name === "keep")).toMatchObject({ status: "PruneSkipped", message: "ignored (no prune)" });
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "keep" })).toBeDefined();
  });

  it("prunes the highest wave first (waves mirrored) before applying", async () => {
    const a = app("waves");
    await sync({ app: a, rendered: [cm("w0", 0), cm("w1", 1), cm("w2", 2), cm("keep", 0)] });
    const out = await sync({ app: a, rendered: [cm("keep", 0)], prune: true });
    expect(order(out).filter((o) => !o.includes("keep"))).toEqual(["Sync:0:ConfigMap/w2", "Sync:1:ConfigMap/w1", "Sync:2:ConfigMap/w0"]);
  });
});

describe("sync options", () => {
  const cm = (name: string, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, annotations }, data: { v: name } });

  it("Replace=true replaces an existing object instead of applying", async () => {
    await sync({ app: app("replacer"), rendered: [cm("r")] });
    const changed = cm("r", { "argocd.argoproj.io/sync-options": "Replace=true" });
    changed.data = { v: "new" };
    const before = sim.api.requests.count({ verb: "update" });
    const out = await sync({ app: app("replacer"), rendered: [changed] });
    expect(out.operationState.syncResult!.resources[0]).toMatchObject({ action: "replace", message: "configmap/r replaced" });
    expect(sim.api.requests.count({ verb: "update" }) - before).toBe(1);
  });

  it("PruneLast=true prunes after every Sync wave is applied", async () => {
    const a = app("pl", { syncPolicy: { syncOptions: ["PruneLast=true"] } });
    await sync({ app: a, rendered: [cm("old"), cm("w0")] });
    const out = await sync({ app: a, rendered: [cm("w0"), cm("w2", { "argocd.argoproj.io/sync-wave": "2" })], prune: true });
    expect(order(out)).toEqual(["Sync:0:ConfigMap/w0", "Sync:2:ConfigMap/w2", "Sync:3:ConfigMap/old"]);
  });

  it("a dry run asks the server and changes nothing", async () => {
    const before = writes();
    const out = await sync({ app: app("dry"), rendered: [cm("d")], dryRun: true });
    expect(out.operationState).toMatchObject({ phase: "Succeeded", message: "successfully synced (dry run)" });
    expect(out.operationState.syncResult!.resources[0]!.message).toBe("configmap/d created (dry run)");
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "d" })).toBeUndefined();
    // The dry-run PATCH is a request, not a write that sticks; the inventory is not written.
    expect(await readInventory(cluster, app("dry"))).toBeUndefined();
    expect(writes() - before).toBe(1);
  });
});

describe("checks before anything is applied", () => {
  it("refuses kinds the project does not permit, and applies nothing", async () => {
    const project: AppProject = { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "narrow" }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], namespaceResourceWhitelist: [{ group: "", kind: "ConfigMap" }] } };
    const before = writes();
    const out = await runSync(
      { app: app("narrow"), project, revision: "r1", rendered: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ok" }, data: {} }, { apiVersion: "v1", kind: "Secret", metadata: { name: "no" }, data: {} }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "cluster-scoped" } }] },
      { cluster, ...FAST },
    );
    expect(out.operationState.phase).toBe("Failed");
    expect(out.operationState.message).toBe("one or more synchronization tasks are not valid");
    const failed = out.operationState.syncResult!.resources.filter((r) => r.status === "SyncFailed").map((r) => `${r.kind}: ${r.message}`);
    expect(failed).toEqual([
      "Namespace: cluster-scoped resource Namespace is not permitted in project narrow (not in clusterResourceWhitelist)",
      "Secret: resource Secret is not permitted in project narrow (not in namespaceResourceWhitelist)",
    ]);
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "ok" })).toBeUndefined();
    // Only the inventory (recording the failed operation) was written.
    expect(writes() - before).toBe(1);
  });

  it("fails a kind the cluster does not serve, unless its CRD comes in the same sync", async () => {
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: {} };
    const bad = await sync({ app: app("widgets"), rendered: [widget] });
    expect(bad.operationState.phase).toBe("Failed");
    expect(bad.operationState.syncResult!.resources[0]!.message).toMatch(/not served by cluster/);
    const crd: KubeObject = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: { group: "example.com", scope: "Namespaced", names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" }, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }] },
    };
    const good = await sync({ app: app("widgets"), rendered: [widget, crd] });
    expect(good.operationState.phase, good.operationState.message).toBe("Succeeded");
    expect(order(good)).toEqual(["Sync:0:CustomResourceDefinition/widgets.example.com", "Sync:0:Widget/w"]);
  });

  it("creates the destination namespace first with CreateNamespace=true", async () => {
    const a = app("nsapp", { destination: { server: "https://kubernetes.default.svc", namespace: "fresh" }, syncPolicy: { syncOptions: ["CreateNamespace=true"] } });
    const out = await sync({ app: a, rendered: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: {} }] });
    expect(out.operationState.phase, out.operationState.message).toBe("Succeeded");
    expect(order(out)).toEqual(["PreSync:0:Namespace/fresh", "Sync:0:ConfigMap/c"]);
    expect(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", namespace: "fresh", name: "c" })).toBeDefined();
  });
});

describe("failures", () => {
  it("fails when a wave degrades, then runs SyncFail hooks and deletes HookFailed hooks", async () => {
    await sim.close();
    sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20, failImages: /broken/ } });
    cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } });
    const pod = (name: string, image: string, annotations: Record<string, string> = {}): KubeObject => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, annotations },
      spec: { restartPolicy: "Always", containers: [{ name: "c", image }] },
    });
    const failHook: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "on-fail", annotations: { "argocd.argoproj.io/hook": "SyncFail" } },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "alpine", command: ["true"] }] } } },
    };
    const out = await sync({ app: app("degrades"), rendered: [pod("bad", "registry/broken:1"), pod("later", "nginx", { "argocd.argoproj.io/sync-wave": "1" }), failHook] });
    expect(out.operationState.phase).toBe("Failed");
    expect(out.operationState.message).toMatch(/^one or more synchronization tasks completed unsuccessfully, reason: /);
    expect(order(out)).toEqual(["Sync:0:Pod/bad", "SyncFail:0:Job/on-fail"]);
    expect(out.operationState.syncResult!.resources[1]).toMatchObject({ hookType: "SyncFail", hookPhase: "Succeeded" });
    expect(await cluster.get({ apiVersion: "v1", kind: "Pod", namespace: "default", name: "later" })).toBeUndefined();
  }, 30_000);
});
