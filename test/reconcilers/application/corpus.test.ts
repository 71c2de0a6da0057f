// Acceptance on Argo's own example apps (../shared/corpus/argocd-example-apps): each renders with the real
// helm/kustomize, syncs against a simulated cluster in Argo CD's order, reaches the health Argo CD would
// give it, and is Synced afterwards; an app without hooks writes nothing on a second sync.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { clusterFromKubeconfig } from "../../../src/cluster/registry.js";
import type { Cluster } from "../../../src/core/ports/cluster.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../../src/simcluster/index.js";
import { RenderCache, renderApplication } from "../../../src/reconcilers/application/render.js";
import { runSync } from "../../../src/reconcilers/application/sync.js";
import { compareApp, discoverScopes, kindsToList, loadLive, prepareTargets } from "../../../src/reconcilers/application/compare.js";
import { readInventory } from "../../../src/reconcilers/application/inventory.js";
import { DEFAULT_PROJECT } from "../../../src/reconcilers/application/model.js";
import type { Application, ApplicationSource, HealthStatusCode, KubeObject } from "../../../src/reconcilers/application/types.js";
import { createBinaryToolRunner } from "../../../src/tools/binaries.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const CORPUS = join(repoRoot, "..", "shared", "corpus", "argocd-example-apps");
const REPO = "https://github.com/argoproj/argocd-example-apps.git";
const REVISION = "0d521c6000000000000000000000000000000000";
const tools = createBinaryToolRunner();
const cache = new RenderCache();

function app(name: string, source: Partial<ApplicationSource> = {}, spec: Partial<Application["spec"]> = {}): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name },
    spec: { destination: { server: "https://kubernetes.default.svc", namespace: "default" }, source: { repoURL: REPO, path: name, targetRevision: "HEAD", ...source }, ...spec },
  };
}

const render = async (a: Application) => (await renderApplication(a, { tools, cache, checkout: async () => ({ root: CORPUS, revision: REVISION }) })).objects;

const CRD = (group: string, kind: string, plural: string): KubeObject => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: { group, scope: "Namespaced", names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` }, versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }] },
});

async function withCluster<T>(opts: Parameters<typeof startSimulatedCluster>[0], fn: (sim: SimulatedCluster, cluster: Cluster) => Promise<T>): Promise<T> {
  const sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 20, readyDelayMs: 20 }, ...opts });
  try {
    return await fn(sim, clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20 } }));
  } finally {
    await sim.close();
  }
}

/** The app's status now, as the controller would compute it on a refresh. */
async function status(cluster: Cluster, a: Application, rendered: KubeObject[]) {
  const { scopeOf } = await discoverScopes(cluster, rendered);
  const targets = prepareTargets(a, rendered, scopeOf);
  const inventory = (await readInventory(cluster, a))?.resources ?? [];
  const live = await loadLive(cluster, kindsToList(targets, inventory), scopeOf);
  return compareApp(a, targets, live, inventory);
}

async function healthEventually(cluster: Cluster, a: Application, rendered: KubeObject[], want: HealthStatusCode, ms = 10_000) {
  const until = Date.now() + ms;
  let last = await status(cluster, a, rendered);
  while (last.health.status !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    last = await status(cluster, a, rendered);
  }
  return last;
}

const writes = (sim: SimulatedCluster) => ["create", "update", "patch", "delete"].reduce((n, verb) => n + sim.api.requests.count({ verb }), 0);

interface Case {
  title: string;
  app: Application;
  health: HealthStatusCode;
  order: string[];
  hooks?: boolean;
  loadBalancer?: false;
  preinstall?: KubeObject[];
  check?: (cluster: Cluster) => Promise<void>;
}

const CASES: Case[] = [
  { title: "guestbook (plain YAML)", app: app("guestbook"), health: "Healthy", order: ["Sync:0:Service/guestbook-ui", "Sync:0:Deployment/guestbook-ui"] },
  {
    title: "helm-guestbook (Helm)",
    app: app("helm-guestbook", { helm: { releaseName: "helm-guestbook" } }),
    health: "Healthy",
    order: ["Sync:0:Service/helm-guestbook", "Sync:0:Deployment/helm-guestbook"],
  },
  {
    title: "helm-guestbook with values-production.yaml: a LoadBalancer Service with an address",
    app: app("helm-guestbook", { helm: { releaseName: "helm-guestbook", valueFiles: ["values-production.yaml"] } }),
    health: "Healthy",
    order: ["Sync:0:Service/helm-guestbook", "Sync:0:Deployment/helm-guestbook"],
    check: async (cluster) => {
      const svc = await cluster.get<KubeObject & { spec: { type: string } }>({ apiVersion: "v1", kind: "Service", namespace: "default", name: "helm-guestbook" });
      expect(svc?.spec.type).toBe("LoadBalancer");
    },
  },
  {
    title: "helm-guestbook with values-production.yaml and no load balancer: Progressing",
    app: app("helm-guestbook", { helm: { releaseName: "helm-guestbook", valueFiles: ["values-production.yaml"] } }),
    health: "Progressing",
    loadBalancer: false,
    order: ["Sync:0:Service/helm-guestbook", "Sync:0:Deployment/helm-guestbook"],
  },
  { title: "kustomize-guestbook (namePrefix)", app: app("kustomize-guestbook"), health: "Healthy", order: ["Sync:0:Service/kustomize-guestbook-ui", "Sync:0:Deployment/kustomize-guestbook-ui"] },
  {
    title: "sync-waves",
    app: app("sync-waves"),
    health: "Healthy",
    hooks: true,
    order: ["PreSync:0:Job/upgrade-sql-schema0d521c6-presync-*", "Sync:0:Service/backend", "Sync:0:ReplicaSet/backend", "Sync:1:Job/maint-page-up", "Sync:2:Service/frontend", "Sync:2:ReplicaSet/frontend", "Sync:3:Job/maint-page-down"],
  },
  {
    title: "pre-post-sync (HookSucceeded hooks are gone afterwards)",
    app: app("pre-post-sync"),
    health: "Healthy",
    hooks: true,
    order: ["PreSync:0:Job/pre-post-sync-before", "Sync:0:Service/pre-post-sync-kustomize-guestbook-ui", "Sync:0:Deployment/pre-post-sync-kustomize-guestbook-ui", "PostSync:0:Job/pre-post-sync-after"],
    check: async (cluster) => {
      expect(await cluster.get({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name: "pre-post-sync-before" })).toBeUndefined();
      expect(await cluster.get({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name: "pre-post-sync-after" })).toBeUndefined();
    },
  },
  {
    // No Rollout controller in this cluster (issue 6 makes Tiphys one): the Rollout's generation is never
    // observed, which Argo CD's Rollout health check reports as Progressing.
    title: "blue-green (a Rollout; its CRD installed, no controller)",
    app: app("blue-green", { helm: { releaseName: "blue-green" } }),
    health: "Progressing",
    preinstall: [CRD("argoproj.io", "Rollout", "rollouts")],
    order: ["Sync:0:Service/blue-green-helm-guestbook", "Sync:0:Service/blue-green-helm-guestbook-preview", "Sync:0:Rollout/blue-green-helm-guestbook"],
  },
  {
    // Child Applications get no status here (nothing reconciles them in the cluster): Argo CD's documented
    // Application health customization reads that as Progressing.
    title: "apps (app of apps: a Helm chart of Applications)",
    app: app("apps", {}, { destination: { server: "https://kubernetes.default.svc", namespace: "argocd" }, syncPolicy: { syncOptions: ["CreateNamespace=true"] } }),
    health: "Progressing",
    preinstall: [CRD("argoproj.io", "Application", "applications")],
    order: [
      "PreSync:0:Namespace/argocd",
      ...["blue-green", "guestbook", "helm-dependency", "helm-guestbook", "helm-hooks", "jsonnet-guestbook", "jsonnet-guestbook-tla", "kustomize-guestbook", "plugin-kasane", "plugin-kustomized-helm", "plugin-nix", "pre-post-sync", "sock-shop", "sync-waves"].map((n) => `Sync:0:Application/example.${n}`),
    ],
  },
];

describe("argocd-example-apps against a simulated cluster", () => {
  for (const c of CASES) {
    it.concurrent(c.title, async () => {
      await withCluster({ ...(c.loadBalancer === false ? { loadBalancer: false } : {}) }, async (sim, cluster) => {
        for (const o of c.preinstall ?? []) await cluster.create(o);
        // Discovery of a new CRD takes a moment in any cluster.
        for (const o of c.preinstall ?? []) {
          const spec = o.spec as { group: string; names: { kind: string } };
          for (let i = 0; i < 50 && !(await cluster.resourceFor(`${spec.group}/v1alpha1`, spec.names.kind)); i++) await new Promise((r) => setTimeout(r, 50));
        }
        const rendered = await render(c.app);
        const first = await runSync({ app: c.app, project: DEFAULT_PROJECT, rendered, revision: REVISION, initiatedBy: { username: "test" } }, { cluster, waveDelayMs: 50, pollMs: 50 });
        expect(first.operationState.phase, first.operationState.message).toBe("Succeeded");
        const order = first.operationState.syncResult!.resources.map((r) => `${r.syncPhase}:${r.syncWave}:${r.kind}/${r.name}`);
        expect(order.map((o, i) => (c.order[i]?.endsWith("*") && o.startsWith(c.order[i]!.slice(0, -1)) ? c.order[i] : o))).toEqual(c.order);
        const now = await healthEventually(cluster, c.app, rendered, c.health);
        expect(now.health.status, JSON.stringify(now.resources.map((r) => [r.key.kind, r.key.name, r.health]))).toBe(c.health);
        expect(now.sync).toBe("Synced");
        await c.check?.(cluster);
        if (!c.hooks) {
          await new Promise((r) => setTimeout(r, 200));
          const before = writes(sim);
          const second = await runSync({ app: c.app, project: DEFAULT_PROJECT, rendered, revision: REVISION }, { cluster, waveDelayMs: 50, pollMs: 50 });
          expect(second.operationState.phase).toBe("Succeeded");
          expect(second.before.sync).toBe("Synced");
          expect(writes(sim) - before).toBe(0);
        }
      });
    }, 60_000);
  }
});
