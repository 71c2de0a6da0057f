/**
 * Which cluster an Application's destination names, for the App. Configured by environment:
 * - `TIPHYS_KUBECONFIG`: a kubeconfig whose contexts are clusters by name (and by server URL); its
 *   current context is `in-cluster` / `https://kubernetes.default.svc` unless Tiphys runs in a cluster;
 * - in a cluster (`KUBERNETES_SERVICE_HOST`): the cluster itself, plus Argo CD cluster Secrets
 *   (label `argocd.argoproj.io/secret-type: cluster`) from `TIPHYS_CLUSTER_SECRETS_NAMESPACE` (default:
 *   every namespace the service account may list).
 * Without either, apps cannot sync and say so.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { ConfigError } from "../core/errors.js";
import type { Cluster } from "../core/ports/cluster.js";
import type { ApplicationDestination } from "../reconcilers/application/types.js";
import type { ClusterResolver } from "./app-sources.js";

interface KubeconfigShape {
  "current-context"?: string;
  contexts?: Array<{ name: string; context?: { cluster?: string } }>;
  clusters?: Array<{ name: string; cluster?: { server?: string } }>;
}

/** A resolver over a registry that is built on first use (the Kubernetes client loads only then). */
export function clusterResolverFromEnv(env: NodeJS.ProcessEnv): ClusterResolver | undefined {
  const kubeconfig = env.TIPHYS_KUBECONFIG;
  const inCluster = Boolean(env.KUBERNETES_SERVICE_HOST);
  if (!kubeconfig && !inCluster) return undefined;
  let registry: Promise<{ resolve(ref: { name?: string; server?: string }): Cluster }> | undefined;
  const build = async () => {
    const { ClusterRegistry, clusterFromKubeconfig, inClusterCluster } = await import("../cluster/registry.js");
    let home: Cluster | undefined = inCluster ? inClusterCluster() : undefined;
    const contexts: Array<{ cluster: Cluster; server?: string; current: boolean }> = [];
    if (kubeconfig) {
      const text = readFileSync(kubeconfig, "utf8");
      const doc = (parse(text) ?? {}) as KubeconfigShape;
      for (const c of doc.contexts ?? []) {
        const server = doc.clusters?.find((k) => k.name === c.context?.cluster)?.cluster?.server;
        contexts.push({ cluster: clusterFromKubeconfig({ text, context: c.name }), server, current: c.name === doc["current-context"] });
      }
      home ??= contexts.find((c) => c.current)?.cluster;
    }
    const reg = new ClusterRegistry(home);
    for (const c of contexts) reg.add(c.cluster, c.server);
    if (inCluster) await reg.loadArgoCdSecrets(env.TIPHYS_CLUSTER_SECRETS_NAMESPACE || undefined);
    return reg;
  };
  return {
    async forDestination(dest) {
      registry ??= build();
      return (await registry).resolve(dest);
    },
    describe: describeDestination,
  };
}

export function describeDestination(dest: ApplicationDestination): string {
  return dest.name ?? dest.server ?? "(no destination)";
}

/** A resolver with fixed clusters (tests, `tiphys local`): by name, by server URL, and a home one. */
export function staticClusterResolver(clusters: { home?: Cluster; byName?: Record<string, Cluster>; byServer?: Record<string, Cluster> }): ClusterResolver {
  return {
    async forDestination(dest) {
      const server = dest.server?.replace(/\/$/, "");
      if (dest.name === "in-cluster" || server === "https://kubernetes.default.svc") {
        if (clusters.home) return clusters.home;
      }
      const hit = (dest.name ? clusters.byName?.[dest.name] : undefined) ?? (server ? clusters.byServer?.[server] : undefined);
      if (!hit) throw new ConfigError(`destination ${describeDestination(dest)}: no such cluster is registered`);
      return hit;
    },
    describe: describeDestination,
  };
}

/** Apps cannot sync without a cluster: the message says how to give one. */
export function noClusters(): ClusterResolver {
  return {
    async forDestination(dest) {
      throw new ConfigError(`destination ${describeDestination(dest)}: Tiphys has no clusters (set TIPHYS_KUBECONFIG, or run it in a cluster)`);
    },
    describe: describeDestination,
  };
}
