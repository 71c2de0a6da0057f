// Shared set-up for the adapter's tests: a simulated cluster over HTTP(S) and a KubeCluster built the
// way the CLI builds one, from the kubeconfig the simulation writes.
import { clusterFromKubeconfig, type ClusterLimits } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { startSimulatedCluster, type SimulatedCluster, type SimulatedClusterOptions } from "../../src/simcluster/index.js";

export interface Harness {
  sim: SimulatedCluster;
  cluster: KubeCluster;
  close(): Promise<void>;
}

export async function startHarness(opts: SimulatedClusterOptions = {}, limits: ClusterLimits = {}): Promise<Harness> {
  const sim = await startSimulatedCluster({ port: 0, ...opts });
  const cluster = clusterFromKubeconfig({ text: sim.kubeconfig(), limits: { backoffMs: 20, ...limits } });
  return { sim, cluster, close: () => sim.close() };
}

export function configMap(name: string, data: Record<string, string> = {}, metadata: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...metadata }, data };
}

export function deployment(name: string, containers: Array<Record<string, unknown>> = [{ name: "main", image: "nginx:1.25" }]): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } },
  };
}

export const WIDGET_CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    names: { kind: "Widget", listKind: "WidgetList", plural: "widgets", singular: "widget" },
    scope: "Namespaced",
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
  },
};

/** Resolves when `check` returns true (polled), or fails after `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection, the promise resolved");
}
