/**
 * Where the App runs a workflow's steps: local processes in the replica (default) or Kubernetes Pods.
 * Configured by environment, for every installation the replica serves:
 * - `TIPHYS_EXECUTOR=local|kubernetes`;
 * - `TIPHYS_EXECUTOR_KUBECONFIG` (and `TIPHYS_EXECUTOR_CONTEXT`): the cluster of the Pods; without it,
 *   the cluster Tiphys runs in (its service account);
 * - `TIPHYS_EXECUTOR_NAMESPACE`: the Pods' namespace (default: Tiphys's own namespace in a cluster,
 *   else `default`);
 * - `TIPHYS_EXECUTOR_ARTIFACT_REPOSITORY`: Argo's artifactRepository (s3) and tiphysImage, for steps
 *   with artifacts.
 * A workflow chooses for itself with the annotation `tiphys.io/executor: local|kubernetes`.
 *
 * The Kubernetes executor is built on first use and shared by every run of the replica (one watch of
 * Pods per namespace); its modules load only then, so a replica that runs no Pod never loads them.
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../core/errors.js";
import type { KubernetesExecutor } from "../engine/executors/kubernetes/executor.js";
import type { WorkflowManifest } from "../engine/model/types.js";
import { EXECUTOR_ANNOTATION, EXECUTOR_KINDS, type ExecutorKind } from "../triggers/annotations.js";

export { EXECUTOR_ANNOTATION, type ExecutorKind } from "../triggers/annotations.js";

export interface ExecutorConfig {
  /** The executor of workflows that do not choose one. */
  kind: ExecutorKind;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  artifactRepository?: string;
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The executor settings of the environment; an unknown TIPHYS_EXECUTOR is a configuration error. */
export function executorConfigFromEnv(env: NodeJS.ProcessEnv): ExecutorConfig {
  const kind = env.TIPHYS_EXECUTOR || "local";
  if (!(EXECUTOR_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`TIPHYS_EXECUTOR=${kind}: expected ${EXECUTOR_KINDS.join(" or ")}`);
  }
  return {
    kind: kind as ExecutorKind,
    kubeconfig: env.TIPHYS_EXECUTOR_KUBECONFIG || undefined,
    context: env.TIPHYS_EXECUTOR_CONTEXT || undefined,
    namespace: env.TIPHYS_EXECUTOR_NAMESPACE || undefined,
    artifactRepository: env.TIPHYS_EXECUTOR_ARTIFACT_REPOSITORY || undefined,
  };
}

/** The replica's executors: the kind each workflow runs with, and the shared Kubernetes executor. */
export class AppExecutors {
  private pods: Promise<KubernetesExecutor> | undefined;

  constructor(
    readonly config: ExecutorConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The workflow's own choice (`tiphys.io/executor`), else the replica's. */
  kindFor(workflow: WorkflowManifest): ExecutorKind {
    const chosen = workflow.metadata.annotations?.[EXECUTOR_ANNOTATION]?.trim();
    if (chosen === undefined || chosen === "") return this.config.kind;
    if (!(EXECUTOR_KINDS as readonly string[]).includes(chosen)) {
      throw new ConfigError(`${EXECUTOR_ANNOTATION}: "${chosen}" is not an executor (expected ${EXECUTOR_KINDS.join(" or ")})`);
    }
    return chosen as ExecutorKind;
  }

  /** The Kubernetes executor, built on first use; a ConfigError says what is missing. */
  kubernetes(): Promise<KubernetesExecutor> {
    this.pods ??= this.buildPods();
    // A failure (no cluster configured yet) is not kept: the next run tries again.
    this.pods.catch(() => (this.pods = undefined));
    return this.pods;
  }

  private async buildPods(): Promise<KubernetesExecutor> {
    const inCluster = Boolean(this.env.KUBERNETES_SERVICE_HOST);
    if (!this.config.kubeconfig && !inCluster) {
      throw new ConfigError("the kubernetes executor has no cluster: set TIPHYS_EXECUTOR_KUBECONFIG, or run Tiphys in a cluster");
    }
    const [{ KubernetesExecutor }, { clusterFromKubeconfig, inClusterCluster }, { readPodArtifactRepository }] = await Promise.all([
      import("../engine/executors/kubernetes/executor.js"),
      import("../cluster/registry.js"),
      import("./pod-artifacts.js"),
    ]);
    const cluster = this.config.kubeconfig ? clusterFromKubeconfig({ file: this.config.kubeconfig, context: this.config.context }) : inClusterCluster();
    const own = !this.config.kubeconfig && existsSync(SERVICE_ACCOUNT_NAMESPACE) ? readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim() : undefined;
    const artifacts = this.config.artifactRepository ? readPodArtifactRepository(this.config.artifactRepository) : undefined;
    return new KubernetesExecutor({ cluster, namespace: this.config.namespace ?? (own || "default"), artifacts, followLogs: true });
  }

  /** Stops the shared watches (Pods of unfinished runs keep running, to be adopted after a restart). */
  async close(): Promise<void> {
    const pods = this.pods;
    this.pods = undefined;
    if (pods) await (await pods.catch(() => undefined))?.close();
  }
}
