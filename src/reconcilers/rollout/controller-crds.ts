/**
 * The CustomResourceDefinitions Tiphys needs to act as the Rollout controller: Rollout,
 * AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun (argoproj.io/v1alpha1), with the status
 * subresources Argo Rollouts' own CRDs declare (so `status` is written only through `/status`, and an
 * apply of the Rollout by a sync never clobbers it). A cluster that already serves a kind (Argo
 * Rollouts' CRDs installed) keeps its definition.
 */
import type { Cluster, KubeObject } from "../../core/ports/cluster.js";
import { ARGO_API_VERSION } from "./model.js";

interface CrdShape {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  status: boolean;
  scale?: boolean;
  columns?: Array<{ name: string; type: string; jsonPath: string; description?: string }>;
}

const SHAPES: CrdShape[] = [
  {
    kind: "Rollout",
    plural: "rollouts",
    shortNames: ["ro"],
    scope: "Namespaced",
    status: true,
    scale: true,
    columns: [
      { name: "Desired", type: "integer", jsonPath: ".spec.replicas", description: "Number of desired pods" },
      { name: "Current", type: "integer", jsonPath: ".status.replicas", description: "Total number of non-terminated pods targeted by this rollout" },
      { name: "Up-to-date", type: "integer", jsonPath: ".status.updatedReplicas", description: "Total number of non-terminated pods targeted by this rollout that have the desired template spec" },
      { name: "Available", type: "integer", jsonPath: ".status.availableReplicas", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this rollout" },
    ],
  },
  { kind: "AnalysisTemplate", plural: "analysistemplates", shortNames: ["at"], scope: "Namespaced", status: false },
  { kind: "ClusterAnalysisTemplate", plural: "clusteranalysistemplates", shortNames: ["cat"], scope: "Cluster", status: false },
  {
    kind: "AnalysisRun",
    plural: "analysisruns",
    shortNames: ["ar"],
    scope: "Namespaced",
    status: true,
    columns: [
      { name: "Status", type: "string", jsonPath: ".status.phase", description: "AnalysisRun status" },
    ],
  },
];

/** The kinds (argoproj.io/v1alpha1) whose objects need these CRDs. */
export const ROLLOUT_CRD_KINDS: readonly string[] = SHAPES.map((s) => s.kind);

/** The CustomResourceDefinition of one kind, as Tiphys installs it. */
export function rolloutCrd(kind: string): KubeObject {
  const s = SHAPES.find((x) => x.kind === kind);
  if (!s) throw new Error(`no CustomResourceDefinition for ${kind}`);
  const version: Record<string, unknown> = {
    name: "v1alpha1",
    served: true,
    storage: true,
    schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    additionalPrinterColumns: [...(s.columns ?? []), { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
  };
  const subresources: Record<string, unknown> = {};
  if (s.status) subresources.status = {};
  if (s.scale) subresources.scale = { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.HPAReplicas", labelSelectorPath: ".status.selector" };
  if (Object.keys(subresources).length > 0) version.subresources = subresources;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${s.plural}.argoproj.io`, labels: { "app.kubernetes.io/managed-by": "tiphys", "app.kubernetes.io/part-of": "argo-rollouts" } },
    spec: {
      group: "argoproj.io",
      scope: s.scope,
      names: { kind: s.kind, listKind: `${s.kind}List`, plural: s.plural, singular: s.kind.toLowerCase(), shortNames: s.shortNames },
      versions: [version],
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Installs Tiphys's own Rollout, AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun CRDs when the
 * cluster does not serve them (Tiphys does not need Argo Rollouts installed), and waits until the
 * cluster serves them. Returns the names of the CRDs it created.
 */
export async function ensureRolloutCrds(cluster: Cluster): Promise<{ installed: string[] }> {
  const missing: string[] = [];
  for (const kind of ROLLOUT_CRD_KINDS) {
    if (!(await cluster.resourceFor(ARGO_API_VERSION, kind))) missing.push(kind);
  }
  const installed: string[] = [];
  for (const kind of missing) {
    const crd = rolloutCrd(kind);
    try {
      await cluster.create(crd);
      installed.push(crd.metadata.name!);
    } catch (err) {
      // Another Tiphys replica may have just created it.
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
  // A new CRD is served once the API server has registered it (a moment on a real cluster).
  for (const kind of missing) {
    for (let i = 0; !(await cluster.resourceFor(ARGO_API_VERSION, kind)); i++) {
      if (i >= 100) throw new Error(`the cluster ${cluster.name} does not serve ${kind} (${ARGO_API_VERSION}) 10 s after its CustomResourceDefinition was created`);
      await pause(100);
    }
  }
  return { installed };
}

/** Whether rendered manifests hold Rollout kinds (so a sync must make sure their CRDs exist). */
export function needsRolloutCrds(objects: readonly KubeObject[]): boolean {
  return objects.some((o) => o.apiVersion?.startsWith("argoproj.io/") && ["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"].includes(o.kind));
}
