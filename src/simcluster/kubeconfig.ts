// A kubeconfig for the simulated cluster: HTTPS with the cluster's own certificate as authority (or
// plain HTTP), and a bearer token user.
import { stringify } from "yaml";

export const CLUSTER_NAME = "tiphys-simulated";

export interface KubeconfigOptions {
  server: string;
  token: string;
  /** PEM certificate of an HTTPS server; absent for plain HTTP. */
  certificateAuthority?: string;
  /** The context's namespace. Default "default". */
  namespace?: string;
  /** Name of the cluster, user and context. Default "tiphys-simulated". */
  name?: string;
}

export function renderKubeconfig(opts: KubeconfigOptions): string {
  const name = opts.name ?? CLUSTER_NAME;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    // For plain HTTP, insecure-skip-tls-verify: @kubernetes/client-node refuses http:// servers without it.
    // (kubectl sends no credentials over plain HTTP at all.)
    clusters: [{ name, cluster: { server: opts.server, ...tlsFields(opts.certificateAuthority) } }],
    users: [{ name: `${name}-admin`, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: opts.namespace ?? "default" } }],
    "current-context": name,
    preferences: {},
  });
}

function tlsFields(ca: string | undefined): Record<string, unknown> {
  return ca ? { "certificate-authority-data": Buffer.from(ca).toString("base64") } : { "insecure-skip-tls-verify": true };
}
