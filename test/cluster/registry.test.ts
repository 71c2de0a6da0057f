// The cluster registry: kubeconfig files and contexts, Argo CD cluster Secrets, and how an
// Application's destination resolves. Two simulated clusters stand for "home" and "remote".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { clusterFromArgoCdSecret, clusterFromKubeconfig, ClusterRegistry, IN_CLUSTER_NAME, IN_CLUSTER_SERVER, inClusterCluster } from "../../src/cluster/registry.js";
import { ConfigError } from "../../src/core/errors.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { DEFAULT_TOKEN, startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { configMap } from "./helpers.js";

let home: SimulatedCluster;
let remote: SimulatedCluster;
let dir: string;
let kubeconfigFile: string;

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
  "current-context": string;
}

/** One sim's kubeconfig entries, renamed. */
function entries(sim: SimulatedCluster, name: string, namespace: string): Pick<Kubeconfig, "clusters" | "users" | "contexts"> {
  const k = parse(sim.kubeconfig()) as Kubeconfig;
  return {
    clusters: [{ name, cluster: k.clusters[0]!.cluster }],
    users: [{ name, user: k.users[0]!.user }],
    contexts: [{ name, context: { cluster: name, user: name, namespace } }],
  };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const marker = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "whoami" };

beforeAll(async () => {
  [home, remote] = await Promise.all([startSimulatedCluster({ namespaces: ["argocd"] }), startSimulatedCluster({ namespaces: ["apps"] })]);
  home.api.create("configmaps", configMap("whoami", { cluster: "home" }), { namespace: "default" });
  remote.api.create("configmaps", configMap("whoami", { cluster: "remote" }), { namespace: "default" });
  dir = mkdtempSync(join(tmpdir(), "tiphys-registry-"));
  const a = entries(home, "alpha", "default");
  const b = entries(remote, "beta", "apps");
  kubeconfigFile = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfigFile,
    stringify({ apiVersion: "v1", kind: "Config", clusters: [...a.clusters, ...b.clusters], users: [...a.users, ...b.users], contexts: [...a.contexts, ...b.contexts], "current-context": "alpha" }),
  );
});

afterAll(async () => {
  await Promise.all([home.close(), remote.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("kubeconfig", () => {
  it("uses the current context by default and the named one when asked", async () => {
    const alpha = clusterFromKubeconfig({ file: kubeconfigFile });
    expect(alpha.name).toBe("alpha");
    expect((await alpha.get(marker))?.data).toEqual({ cluster: "home" });
    const beta = clusterFromKubeconfig({ file: kubeconfigFile, context: "beta" });
    expect(beta.name).toBe("beta");
    expect(beta.server).toBe(remote.url);
    expect((await beta.get(marker))?.data).toEqual({ cluster: "remote" });
    // The context's namespace is where namespaced objects go when they name none.
    const created = await beta.create(configMap("here"));
    expect(created.metadata.namespace).toBe("apps");
  });

  it("names the contexts there are when asked for one that is not", () => {
    expect(() => clusterFromKubeconfig({ file: kubeconfigFile, context: "gamma" })).toThrow(ConfigError);
    expect(() => clusterFromKubeconfig({ file: kubeconfigFile, context: "gamma" })).toThrow(/has no context "gamma" \(contexts: alpha, beta\)/);
  });

  it("says which file it could not read", () => {
    expect(() => clusterFromKubeconfig({ file: join(dir, "missing") })).toThrow(ConfigError);
    expect(() => clusterFromKubeconfig({ file: join(dir, "missing") })).toThrow(/cannot read kubeconfig .*missing/);
  });
});

describe("in-cluster", () => {
  it("uses the service account's token, CA and namespace, and refuses outside a cluster", async () => {
    const prefix = join(dir, "pod");
    const sa = join(prefix, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), DEFAULT_TOKEN);
    writeFileSync(join(sa, "ca.crt"), remote.certificate!);
    writeFileSync(join(sa, "namespace"), "apps");
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    try {
      delete process.env.KUBERNETES_SERVICE_HOST;
      expect(() => inClusterCluster({ pathPrefix: prefix })).toThrow(ConfigError);
      process.env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
      process.env.KUBERNETES_SERVICE_PORT = String(remote.port);
      const c = inClusterCluster({ pathPrefix: prefix });
      expect(c.name).toBe(IN_CLUSTER_NAME);
      expect((await c.get(marker))?.data).toEqual({ cluster: "remote" });
      expect((await c.create(configMap("from-the-pod"))).metadata.namespace).toBe("apps");
    } finally {
      for (const [k, v] of [["KUBERNETES_SERVICE_HOST", saved.host], ["KUBERNETES_SERVICE_PORT", saved.port]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe("Argo CD cluster Secrets", () => {
  const secret = (name: string, fields: Record<string, string>, encoding: "stringData" | "data"): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    type: "Opaque",
    [encoding]: encoding === "data" ? Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, b64(v)])) : fields,
  });

  const insecure = () =>
    secret("remote-insecure", { name: "remote", server: remote.url, config: JSON.stringify({ bearerToken: DEFAULT_TOKEN, tlsClientConfig: { insecure: true } }) }, "stringData");
  const withCa = () =>
    secret("remote-ca", { name: "remote-ca", server: remote.url + "/", config: JSON.stringify({ bearerToken: DEFAULT_TOKEN, tlsClientConfig: { caData: b64(remote.certificate!) } }) }, "data");

  it("builds a working cluster from stringData with a bearer token and tlsClientConfig.insecure", async () => {
    const c = clusterFromArgoCdSecret(insecure());
    expect(c.name).toBe("remote");
    expect((await c.get(marker))?.data).toEqual({ cluster: "remote" });
  });

  it("builds a working cluster from base64 data with the server's CA (caData)", async () => {
    const c = clusterFromArgoCdSecret(withCa());
    expect(c.name).toBe("remote-ca");
    expect((await c.get(marker))?.data).toEqual({ cluster: "remote" });
  });

  it("without caData or insecure, the self-signed certificate is refused", async () => {
    const s = secret("strict", { name: "strict", server: remote.url, config: JSON.stringify({ bearerToken: DEFAULT_TOKEN }) }, "stringData");
    const started = Date.now();
    await expect(clusterFromArgoCdSecret(s).get(marker)).rejects.toThrow(/self.signed|certificate/i);
    // Not retried: it would not be trusted the next time either.
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("refuses a Secret without server or with a config that is not JSON, naming the Secret", () => {
    expect(() => clusterFromArgoCdSecret(secret("no-server", { name: "x" }, "stringData"))).toThrow(/cluster Secret argocd\/no-server: no server/);
    expect(() => clusterFromArgoCdSecret(secret("bad", { server: remote.url, config: "{nope" }, "stringData"))).toThrow(ConfigError);
  });

  it("the registry loads them from the home cluster and resolves destinations by name, server or in-cluster", async () => {
    const homeCluster = clusterFromKubeconfig({ file: kubeconfigFile, context: "alpha" });
    // As stored by the API server: stringData becomes data.
    await homeCluster.create(insecure());
    await homeCluster.create(withCa());
    await homeCluster.create(
      secret("in-cluster", { name: "in-cluster", server: IN_CLUSTER_SERVER, config: "{}" }, "stringData"),
    );
    await homeCluster.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "not-a-cluster", namespace: "argocd" }, stringData: { server: "https://nope" } });

    const registry = new ClusterRegistry(homeCluster);
    expect(await registry.loadArgoCdSecrets("argocd")).toBe(2);

    expect(registry.resolve({ server: IN_CLUSTER_SERVER })).toBe(homeCluster);
    expect(registry.resolve({ server: IN_CLUSTER_SERVER + "/" })).toBe(homeCluster);
    expect(registry.resolve({ name: "in-cluster" })).toBe(homeCluster);
    const byName = registry.resolve({ name: "remote" });
    expect((await byName.get(marker))?.data).toEqual({ cluster: "remote" });
    expect(registry.resolve({ server: remote.url }).name).toMatch(/^remote/);

    expect(() => registry.resolve({ name: "elsewhere" })).toThrow(ConfigError);
    const unknown = (() => {
      try {
        registry.resolve({ server: "https://elsewhere.example" });
      } catch (err) {
        return err as Error;
      }
      throw new Error("resolved an unknown cluster");
    })();
    expect(unknown).toBeInstanceOf(ConfigError);
    expect(unknown.message).toBe(
      `destination https://elsewhere.example: no such cluster is registered (known: in-cluster (${IN_CLUSTER_SERVER}), remote (${remote.url}), remote-ca (${remote.url}))`,
    );
  });

  it("without a home cluster, in-cluster is a ConfigError and nothing is loaded", async () => {
    const registry = new ClusterRegistry();
    expect(await registry.loadArgoCdSecrets()).toBe(0);
    expect(() => registry.resolve({ server: IN_CLUSTER_SERVER })).toThrow(/not running in a cluster and no kubeconfig was given/);
  });
});
