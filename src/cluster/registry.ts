import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError } from "../core/errors.js";
import type { Cluster, KubeObject } from "../core/ports/cluster.js";
import { KubeCluster, type KubeClusterOptions } from "./kube-cluster.js";

/** The name and server Argo CD (and Tiphys) use for "the cluster I run in". */
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";
export const IN_CLUSTER_NAME = "in-cluster";
/** The label Argo CD puts on its cluster Secrets. */
export const ARGOCD_CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type=cluster";

/** Client-side limits shared by every cluster a registry builds. */
export type ClusterLimits = Pick<KubeClusterOptions, "qps" | "burst" | "maxAttempts" | "backoffMs">;

/** A cluster from a kubeconfig file (or its text) and a context (default: its current context). */
export function clusterFromKubeconfig(opts: { file?: string; text?: string; context?: string; limits?: ClusterLimits }): KubeCluster {
  const where = opts.file ? `kubeconfig ${opts.file}` : "the kubeconfig";
  const kc = new KubeConfig();
  try {
    if (opts.text !== undefined) kc.loadFromString(opts.text);
    else if (opts.file) kc.loadFromFile(opts.file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new ConfigError(`cannot read ${where}: ${(err as Error).message}`);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (opts.context) {
    if (!contexts.includes(opts.context)) {
      throw new ConfigError(`${where} has no context "${opts.context}" (contexts: ${contexts.join(", ") || "none"})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new ConfigError(`${where} names no current cluster (contexts: ${contexts.join(", ") || "none"})`);
  return new KubeCluster({ ...opts.limits, name: kc.getCurrentContext() || "default", kubeConfig: kc });
}

/**
 * The cluster Tiphys runs in, through its service account (KUBERNETES_SERVICE_HOST/PORT and the
 * files under /var/run/secrets/kubernetes.io/serviceaccount; `pathPrefix` puts them elsewhere).
 */
export function inClusterCluster(opts: { limits?: ClusterLimits; pathPrefix?: string } = {}): KubeCluster {
  if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
    throw new ConfigError("not running in a Kubernetes cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set): give a kubeconfig");
  }
  const kc = new KubeConfig();
  kc.loadFromCluster(opts.pathPrefix);
  return new KubeCluster({ ...opts.limits, name: IN_CLUSTER_NAME, kubeConfig: kc });
}

interface ArgoCdClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
}

/** The fields of an Argo CD cluster Secret, from `stringData` (as written) or base64 `data` (as stored). */
export function argoCdSecretFields(secret: KubeObject): { name?: string; server?: string; config?: string } {
  const data = ((secret as { data?: Record<string, string> }).data ?? {}) as Record<string, string>;
  const stringData = ((secret as { stringData?: Record<string, string> }).stringData ?? {}) as Record<string, string>;
  const field = (k: string) => stringData[k] ?? (typeof data[k] === "string" ? Buffer.from(data[k], "base64").toString("utf8") : undefined);
  return { name: field("name"), server: field("server"), config: field("config") };
}

/**
 * A cluster from an Argo CD cluster Secret (label `argocd.argoproj.io/secret-type: cluster`; fields
 * `name`, `server`, and `config`: JSON with bearerToken or basic auth and tlsClientConfig, whose
 * caData/certData/keyData are base64 PEM).
 */
export function clusterFromArgoCdSecret(secret: KubeObject, limits?: ClusterLimits): KubeCluster {
  const id = `cluster Secret ${secret.metadata.namespace ? secret.metadata.namespace + "/" : ""}${secret.metadata.name ?? ""}`;
  const fields = argoCdSecretFields(secret);
  const server = fields.server?.replace(/\/$/, "");
  if (!server) throw new ConfigError(`${id}: no server`);
  const name = fields.name ?? server;
  let config: ArgoCdClusterConfig;
  try {
    config = JSON.parse(fields.config ?? "{}") as ArgoCdClusterConfig;
  } catch (err) {
    throw new ConfigError(`${id}: config is not JSON: ${(err as Error).message}`);
  }
  const tls = config.tlsClientConfig ?? {};
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server, skipTLSVerify: tls.insecure ?? false, caData: tls.caData, tlsServerName: tls.serverName }],
    users: [{ name, token: config.bearerToken, username: config.username, password: config.password, certData: tls.certData, keyData: tls.keyData }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return new KubeCluster({ ...limits, name, kubeConfig: kc });
}

/**
 * Named clusters: `in-cluster` / https://kubernetes.default.svc is the home cluster (the one Tiphys
 * runs in, or, from the CLI, the kubeconfig given); others are found by name or server URL, as an
 * Argo CD Application's `destination` names them.
 */
export class ClusterRegistry {
  private readonly byName = new Map<string, { cluster: Cluster; server?: string }>();
  private readonly byServer = new Map<string, Cluster>();

  constructor(
    private readonly home?: Cluster,
    private readonly limits?: ClusterLimits,
  ) {}

  add(cluster: Cluster, server?: string): void {
    const url = server?.replace(/\/$/, "");
    this.byName.set(cluster.name, { cluster, server: url });
    if (url) this.byServer.set(url, cluster);
  }

  /** Registers the Argo CD cluster Secrets found on the home cluster; returns how many. */
  async loadArgoCdSecrets(namespace?: string): Promise<number> {
    if (!this.home) return 0;
    const secrets = await this.home.list("v1", "Secret", { namespace, labelSelector: ARGOCD_CLUSTER_SECRET_LABEL });
    let added = 0;
    for (const s of secrets) {
      const server = argoCdSecretFields(s).server?.replace(/\/$/, "");
      // Argo CD's own entry for the cluster it runs in: that is home already.
      if (server === IN_CLUSTER_SERVER) continue;
      this.add(clusterFromArgoCdSecret(s, this.limits), server);
      added++;
    }
    return added;
  }

  /** The cluster a destination names; a ConfigError naming the known clusters when none matches. */
  resolve(ref: { name?: string; server?: string }): Cluster {
    const server = ref.server?.replace(/\/$/, "");
    if (ref.name === IN_CLUSTER_NAME || server === IN_CLUSTER_SERVER) {
      if (!this.home) throw new ConfigError(`destination ${ref.name ?? server}: Tiphys is not running in a cluster and no kubeconfig was given`);
      return this.home;
    }
    const hit = (ref.name ? this.byName.get(ref.name)?.cluster : undefined) ?? (server ? this.byServer.get(server) : undefined);
    if (!hit) {
      const others = [...this.byName.entries()]
        .filter(([n]) => n !== IN_CLUSTER_NAME)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([n, e]) => (e.server && e.server !== n ? `${n} (${e.server})` : n));
      const known = [...(this.home ? [`${IN_CLUSTER_NAME} (${IN_CLUSTER_SERVER})`] : []), ...others];
      throw new ConfigError(`destination ${ref.name ?? server ?? "(none)"}: no such cluster is registered (known: ${known.join(", ") || "none"})`);
    }
    return hit;
  }
}
