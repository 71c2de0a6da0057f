import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError } from "../core/errors.js";
import type { Cluster, KubeObject } from "../core/ports/cluster.js";
import { KubeCluster } from "./kube-cluster.js";

/** The name and server Argo CD (and Tiphys) use for "the cluster I run in". */
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";
export const IN_CLUSTER_NAME = "in-cluster";

/** A cluster from a kubeconfig file (or its text) and a context (default: its current context). */
export function clusterFromKubeconfig(opts: { file?: string; text?: string; context?: string }): KubeCluster {
  const kc = new KubeConfig();
  try {
    if (opts.text !== undefined) kc.loadFromString(opts.text);
    else if (opts.file) kc.loadFromFile(opts.file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new ConfigError(`cannot read the kubeconfig${opts.file ? ` ${opts.file}` : ""}: ${(err as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new ConfigError(`kubeconfig${opts.file ? ` ${opts.file}` : ""} has no context "${opts.context}" (contexts: ${kc.getContexts().map((c) => c.name).join(", ") || "none"})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new ConfigError(`kubeconfig${opts.file ? ` ${opts.file}` : ""} names no current cluster`);
  return new KubeCluster({ name: kc.getCurrentContext() || "default", kubeConfig: kc });
}

/** The cluster Tiphys runs in, through its service account. */
export function inClusterCluster(): KubeCluster {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return new KubeCluster({ name: IN_CLUSTER_NAME, kubeConfig: kc });
}

interface ArgoCdClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
}

const decode = (v: unknown) => (typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : undefined);

/**
 * A cluster from an Argo CD cluster Secret (label `argocd.argoproj.io/secret-type: cluster`; data
 * `name`, `server`, `config` JSON with bearerToken or basic auth and tlsClientConfig).
 */
export function clusterFromArgoCdSecret(secret: KubeObject): KubeCluster {
  const data = ((secret as { data?: Record<string, string> }).data ?? {}) as Record<string, string>;
  const stringData = ((secret as { stringData?: Record<string, string> }).stringData ?? {}) as Record<string, string>;
  const field = (k: string) => stringData[k] ?? decode(data[k]);
  const server = field("server");
  const name = field("name") ?? server ?? secret.metadata.name ?? "cluster";
  if (!server) throw new ConfigError(`cluster Secret ${secret.metadata.namespace ?? ""}/${secret.metadata.name}: no server`);
  let config: ArgoCdClusterConfig;
  try {
    config = JSON.parse(field("config") ?? "{}") as ArgoCdClusterConfig;
  } catch (err) {
    throw new ConfigError(`cluster Secret ${secret.metadata.name}: config is not JSON: ${(err as Error).message}`);
  }
  const tls = config.tlsClientConfig ?? {};
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server, skipTLSVerify: tls.insecure ?? false, caData: tls.caData, tlsServerName: tls.serverName }],
    users: [{ name, token: config.bearerToken, username: config.username, password: config.password, certData: tls.certData, keyData: tls.keyData }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return new KubeCluster({ name, kubeConfig: kc });
}

/**
 * Named clusters: `in-cluster` / https://kubernetes.default.svc is the cluster Tiphys runs in (or,
 * from the CLI, the kubeconfig given); others are found by name or server URL.
 */
export class ClusterRegistry {
  private readonly byName = new Map<string, Cluster>();
  private readonly byServer = new Map<string, Cluster>();

  constructor(private readonly home?: Cluster) {}

  add(cluster: Cluster, server?: string): void {
    this.byName.set(cluster.name, cluster);
    if (server) this.byServer.set(server.replace(/\/$/, ""), cluster);
  }

  /** Loads Argo CD cluster Secrets from the home cluster. */
  async loadArgoCdSecrets(namespace?: string): Promise<number> {
    if (!this.home) return 0;
    const secrets = await this.home.list("v1", "Secret", { namespace, labelSelector: "argocd.argoproj.io/secret-type=cluster" });
    for (const s of secrets) {
      const c = clusterFromArgoCdSecret(s);
      const server = decode((s as { data?: Record<string, string> }).data?.server) ?? (s as { stringData?: Record<string, string> }).stringData?.server;
      this.add(c, server);
    }
    return secrets.length;
  }

  resolve(ref: { name?: string; server?: string }): Cluster {
    const server = ref.server?.replace(/\/$/, "");
    if (ref.name === IN_CLUSTER_NAME || server === IN_CLUSTER_SERVER) {
      if (!this.home) throw new ConfigError(`destination ${ref.name ?? server}: Tiphys is not running in a cluster and no kubeconfig was given`);
      return this.home;
    }
    const hit = (ref.name ? this.byName.get(ref.name) : undefined) ?? (server ? this.byServer.get(server) : undefined);
    if (!hit) {
      const known = [...this.byName.keys()];
      throw new ConfigError(`no cluster ${ref.name ?? server} is registered (known: ${[IN_CLUSTER_NAME, ...known].join(", ")})`);
    }
    return hit;
  }
}
