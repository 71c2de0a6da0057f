/**
 * What a resource template's `flags` say, read the way kubectl reads them for the actions Argo runs
 * (`kubectl <action> [--ignore-not-found] [--type T -p PATCH] <flags> [-f manifest] -o json`): the
 * objects named on the command line (`pod NAME`, `configmap/NAME`, `job.batch --selector k=v`), the
 * namespace and the options Tiphys honours. Kind names are the built-in kinds below (plural, singular
 * and short names, `<resource>.<group>`): kubectl asks discovery; the Cluster port has no lookup by
 * resource name.
 */

export interface KindRef {
  apiVersion: string;
  kind: string;
}

const KINDS: Array<KindRef & { names: string[] }> = [
  { apiVersion: "v1", kind: "Pod", names: ["pod", "pods", "po"] },
  { apiVersion: "v1", kind: "ConfigMap", names: ["configmap", "configmaps", "cm"] },
  { apiVersion: "v1", kind: "Secret", names: ["secret", "secrets"] },
  { apiVersion: "v1", kind: "Service", names: ["service", "services", "svc"] },
  { apiVersion: "v1", kind: "ServiceAccount", names: ["serviceaccount", "serviceaccounts", "sa"] },
  { apiVersion: "v1", kind: "Namespace", names: ["namespace", "namespaces", "ns"] },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", names: ["persistentvolumeclaim", "persistentvolumeclaims", "pvc"] },
  { apiVersion: "batch/v1", kind: "Job", names: ["job", "jobs", "job.batch", "jobs.batch"] },
  { apiVersion: "batch/v1", kind: "CronJob", names: ["cronjob", "cronjobs", "cj", "cronjob.batch", "cronjobs.batch"] },
  { apiVersion: "apps/v1", kind: "Deployment", names: ["deployment", "deployments", "deploy", "deployment.apps", "deployments.apps"] },
  { apiVersion: "apps/v1", kind: "ReplicaSet", names: ["replicaset", "replicasets", "rs", "replicaset.apps", "replicasets.apps"] },
  { apiVersion: "apps/v1", kind: "StatefulSet", names: ["statefulset", "statefulsets", "sts", "statefulset.apps", "statefulsets.apps"] },
  { apiVersion: "apps/v1", kind: "DaemonSet", names: ["daemonset", "daemonsets", "ds", "daemonset.apps", "daemonsets.apps"] },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress", names: ["ingress", "ingresses", "ing", "ingress.networking.k8s.io", "ingresses.networking.k8s.io"] },
  { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", names: ["workflow", "workflows", "wf", "workflow.argoproj.io", "workflows.argoproj.io"] },
];

export class FlagsError extends Error {
  override name = "FlagsError";
}

export function kindOf(name: string): KindRef {
  const lower = name.toLowerCase();
  const k = KINDS.find((x) => x.names.includes(lower) || x.kind.toLowerCase() === lower);
  if (!k) throw new FlagsError(`the server doesn't have a resource type "${name}" that Tiphys knows (known: ${KINDS.map((x) => x.names[0]).join(", ")})`);
  return { apiVersion: k.apiVersion, kind: k.kind };
}

export interface CommandLine {
  /** Objects named: `kind name` or `kind/name`. */
  named: Array<KindRef & { name: string }>;
  /** `kind --selector S` or `kind --all`: every object of the kind matching the selector. */
  selected?: KindRef & { labelSelector?: string };
  namespace?: string;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  gracePeriodSeconds?: number;
  /** `replace --force`: delete, then create. */
  force?: boolean;
}

/** Flags that change nothing Tiphys does: kubectl's client-side options. */
const IGNORED = new Set(["--ignore-not-found", "--wait", "--validate", "--save-config", "--overwrite", "--record", "--now", "--server-side", "--force-conflicts"]);
const WITH_VALUE = new Set(["-l", "--selector", "-n", "--namespace", "--cascade", "--grace-period", "-o", "--output", "--field-manager", "--timeout"]);

/** Reads `flags` into what they name; throws FlagsError for what Tiphys does not do. */
export function readFlags(flags: readonly string[]): CommandLine {
  const out: CommandLine = { named: [] };
  const positional: string[] = [];
  let all = false;
  let selector: string | undefined;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (!f.startsWith("-")) {
      positional.push(f);
      continue;
    }
    const eq = f.indexOf("=");
    const flag = eq > 0 ? f.slice(0, eq) : f;
    let value: string | undefined = eq > 0 ? f.slice(eq + 1) : undefined;
    if (value === undefined && WITH_VALUE.has(flag)) {
      value = flags[++i];
      if (value === undefined) throw new FlagsError(`flag ${flag} needs a value`);
    }
    if (flag === "-l" || flag === "--selector") selector = value;
    else if (flag === "-n" || flag === "--namespace") out.namespace = value;
    else if (flag === "--all") all = value !== "false";
    else if (flag === "--force") out.force = value !== "false";
    else if (flag === "--cascade") {
      const c = (value ?? "background").toLowerCase();
      if (c === "foreground") out.propagationPolicy = "Foreground";
      else if (c === "orphan" || c === "false") out.propagationPolicy = "Orphan";
      else out.propagationPolicy = "Background";
    } else if (flag === "--grace-period") out.gracePeriodSeconds = Number(value);
    else if (IGNORED.has(flag) || flag === "-o" || flag === "--output" || flag === "--field-manager" || flag === "--timeout") continue;
    else throw new FlagsError(`flag ${flag} is not supported by Tiphys' resource templates`);
  }
  let kind: KindRef | undefined;
  for (const p of positional) {
    const slash = p.indexOf("/");
    if (slash > 0) out.named.push({ ...kindOf(p.slice(0, slash)), name: p.slice(slash + 1) });
    else if (!kind) kind = kindOf(p);
    else out.named.push({ ...kind, name: p });
  }
  if (kind && (selector !== undefined || all)) out.selected = { ...kind, labelSelector: selector };
  else if (kind && out.named.length === 0) throw new FlagsError(`resource(s) were provided, but no name was specified (${positional.join(" ")})`);
  else if (selector !== undefined && !kind) throw new FlagsError(`--selector ${selector} needs a resource type`);
  return out;
}
