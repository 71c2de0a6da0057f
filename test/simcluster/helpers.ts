// Shared fixtures for the simulated cluster's tests.
import { ApiError } from "../../src/simcluster/status.js";
import type { KubeObject } from "../../src/simcluster/types.js";

/** The ApiError a call throws (fails the test when it does not throw one). */
export function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError, nothing was thrown");
}

export function configMap(name: string, data: Record<string, string> = {}, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...extra }, data };
}

export function deployment(name: string, opts: { replicas?: number; image?: string; labels?: Record<string, string> } = {}): KubeObject {
  const labels = opts.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "main", image: opts.image ?? "nginx:1.25", ports: [{ containerPort: 80 }] }] } },
    },
  };
}

export function pod(name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { containers: [{ name: "main", image: "busybox" }], ...extra } };
}

export const WORKFLOW_CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "workflows.argoproj.io" },
  spec: {
    group: "argoproj.io",
    names: { kind: "Workflow", listKind: "WorkflowList", plural: "workflows", singular: "workflow", shortNames: ["wf"] },
    scope: "Namespaced",
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        additionalPrinterColumns: [{ name: "Status", type: "string", jsonPath: ".status.phase" }],
      },
    ],
  },
};

export const ROLLOUT_CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "rollouts.argoproj.io" },
  spec: {
    group: "argoproj.io",
    names: { kind: "Rollout", plural: "rollouts", shortNames: ["ro"] },
    scope: "Namespaced",
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } },
      },
    ],
  },
};
