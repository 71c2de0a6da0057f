// Sync tasks as gitops-engine builds and orders them: hook classification (Argo's and Helm's annotations),
// waves, delete policies, the kind order, namespace/CRD bubbling, and mirrored prune waves.
import { describe, expect, it } from "vitest";
import { adjustPruneWaves, deletePolicies, hookInfo, hookName, kindRank, newTask, sortTasks, waveOf, type SyncTask } from "../../../src/reconcilers/application/tasks.js";
import type { KubeObject, SyncPhase } from "../../../src/reconcilers/application/types.js";
import { keyOf } from "../../../src/reconcilers/application/types.js";

const obj = (kind: string, name: string, annotations: Record<string, string> = {}, extra: Partial<KubeObject> = {}, namespace = "default"): KubeObject => ({
  apiVersion: kind === "Deployment" || kind === "ReplicaSet" ? "apps/v1" : kind === "Job" ? "batch/v1" : kind === "CustomResourceDefinition" ? "apiextensions.k8s.io/v1" : kind === "Widget" ? "example.com/v1" : "v1",
  kind,
  metadata: { name, ...(kind === "Namespace" || kind === "CustomResourceDefinition" ? {} : { namespace }), annotations },
  ...extra,
});

function task(o: KubeObject, phase: SyncPhase = "Sync", prune = false): SyncTask {
  return newTask({ phase, wave: waveOf(o), key: keyOf(o), ...(prune ? { live: o } : { target: o }), hook: false, deletePolicies: new Set(), prune });
}

describe("hookInfo", () => {
  it("reads Argo's hook annotation, several phases, Skip and delete hooks", () => {
    expect(hookInfo(obj("Job", "a", { "argocd.argoproj.io/hook": "PreSync,PostSync" }))).toMatchObject({ hook: true, ignored: false, phases: ["PreSync", "PostSync"] });
    expect(hookInfo(obj("Job", "a", { "argocd.argoproj.io/hook": "Skip" }))).toMatchObject({ hook: false, ignored: true, skip: true });
    expect(hookInfo(obj("Job", "a", { "argocd.argoproj.io/hook": "PreDelete" }))).toMatchObject({ hook: true, ignored: true });
    expect(hookInfo(obj("ConfigMap", "a"))).toMatchObject({ hook: false, ignored: false, phases: ["Sync"] });
  });

  it("maps Helm hooks as Argo CD does, and ignores Helm hook types it does not map", () => {
    expect(hookInfo(obj("Job", "a", { "helm.sh/hook": "pre-install,pre-upgrade" }))).toMatchObject({ hook: true, phases: ["PreSync"] });
    expect(hookInfo(obj("Job", "a", { "helm.sh/hook": "post-install" }))).toMatchObject({ hook: true, phases: ["PostSync"] });
    expect(hookInfo(obj("Pod", "a", { "helm.sh/hook": "test" }))).toMatchObject({ hook: true, ignored: true, phases: [] });
    expect(hookInfo(obj("CustomResourceDefinition", "a", { "helm.sh/hook": "crd-install" }))).toMatchObject({ hook: false, phases: ["Sync"] });
    // Argo's annotation wins over Helm's.
    expect(hookInfo(obj("Job", "a", { "helm.sh/hook": "post-install", "argocd.argoproj.io/hook": "Sync" }))).toMatchObject({ phases: ["Sync"] });
  });
});

describe("waves and delete policies", () => {
  it("takes the sync-wave, else Helm's hook weight, else 0", () => {
    expect(waveOf(obj("ConfigMap", "a", { "argocd.argoproj.io/sync-wave": "-2" }))).toBe(-2);
    expect(waveOf(obj("ConfigMap", "a", { "helm.sh/hook-weight": "5" }))).toBe(5);
    expect(waveOf(obj("ConfigMap", "a", { "argocd.argoproj.io/sync-wave": "x", "helm.sh/hook-weight": "3" }))).toBe(3);
    expect(waveOf(obj("ConfigMap", "a"))).toBe(0);
  });

  it("unions Argo's and Helm's delete policies, BeforeHookCreation by default", () => {
    expect([...deletePolicies(obj("Job", "a"))]).toEqual(["BeforeHookCreation"]);
    expect([...deletePolicies(obj("Job", "a", { "argocd.argoproj.io/hook-delete-policy": "HookSucceeded", "helm.sh/hook-delete-policy": "hook-failed" }))].sort()).toEqual(["HookFailed", "HookSucceeded"]);
  });

  it("names generateName hooks after the revision, phase and start", () => {
    const o: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { generateName: "migrate-" } };
    expect(hookName(o, "0123456789abcdef", "PreSync", new Date(1_700_000_000_000))).toBe("migrate-0123456-presync-1700000000");
  });
});

describe("order", () => {
  it("sorts by phase, wave, kind order and name; unknown kinds last", () => {
    const tasks = [
      task(obj("Deployment", "b")),
      task(obj("Widget", "w")),
      task(obj("Service", "z")),
      task(obj("ConfigMap", "c", { "argocd.argoproj.io/sync-wave": "1" })),
      task(obj("Job", "pre", { "argocd.argoproj.io/hook": "PreSync" }), "PreSync"),
      task(obj("Deployment", "a")),
      task(obj("Job", "post"), "PostSync"),
    ];
    expect(sortTasks(tasks).map((t) => `${t.phase}:${t.wave}:${t.key.kind}/${t.key.name}`)).toEqual([
      "PreSync:0:Job/pre",
      "Sync:0:Service/z",
      "Sync:0:Deployment/a",
      "Sync:0:Deployment/b",
      "Sync:0:Widget/w",
      "Sync:1:ConfigMap/c",
      "PostSync:0:Job/post",
    ]);
    expect(kindRank("Namespace")).toBeLessThan(kindRank("APIService"));
    expect(kindRank("Rollout")).toBe(0);
  });

  it("moves a Namespace before the first task in it, and a CRD before its first resource, with their phase and wave", () => {
    const ns = task(obj("Namespace", "late", { "argocd.argoproj.io/sync-wave": "5" }));
    const cm = task(obj("ConfigMap", "in-late", { "argocd.argoproj.io/sync-wave": "-1" }, {}, "late"));
    const crd = task(obj("CustomResourceDefinition", "widgets.example.com", { "argocd.argoproj.io/sync-wave": "3" }, { spec: { group: "example.com", names: { kind: "Widget" } } }));
    const widget = task(obj("Widget", "w", { "argocd.argoproj.io/sync-wave": "-3" }));
    const sorted = sortTasks([ns, cm, crd, widget]);
    expect(sorted.map((t) => `${t.wave}:${t.key.kind}`)).toEqual(["-3:CustomResourceDefinition", "-3:Widget", "-1:Namespace", "-1:ConfigMap"]);
  });

  it("mirrors prune waves and puts PruneLast prunes after the last Sync wave", () => {
    const p0 = task(obj("ConfigMap", "p0", { "argocd.argoproj.io/sync-wave": "0" }), "Sync", true);
    const p1 = task(obj("ConfigMap", "p1", { "argocd.argoproj.io/sync-wave": "1" }), "Sync", true);
    const p5 = task(obj("ConfigMap", "p5", { "argocd.argoproj.io/sync-wave": "5" }), "Sync", true);
    const keep = task(obj("ConfigMap", "keep", { "argocd.argoproj.io/sync-wave": "2" }));
    adjustPruneWaves([p0, p1, p5, keep], () => false);
    expect([p0.wave, p1.wave, p5.wave]).toEqual([5, 1, 0]);
    const last = task(obj("ConfigMap", "last"), "Sync", true);
    adjustPruneWaves([last, keep], (t) => t === last);
    expect(last.wave).toBe(3);
  });
});
