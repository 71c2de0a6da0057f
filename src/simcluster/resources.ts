// The resources the simulated server serves: the built-in table, plus custom resources that CRDs add at
// run time. A registry answers "which resource is this path, kind or name?".
import { errors } from "./status.js";
import type { ResourceType, ScaleSpec } from "./types.js";

export const STANDARD_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface Row {
  group?: string;
  version?: string;
  plural: string;
  kind: string;
  cluster?: boolean;
  short?: string[];
  all?: boolean;
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  fields?: string[];
  verbs?: string[];
}

const POD_FIELDS = [
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.schedulerName",
  "spec.serviceAccountName",
  "spec.hostNetwork",
  "status.phase",
  "status.podIP",
  "status.nominatedNodeName",
];
const EVENT_FIELDS = [
  "involvedObject.kind",
  "involvedObject.namespace",
  "involvedObject.name",
  "involvedObject.uid",
  "involvedObject.apiVersion",
  "involvedObject.resourceVersion",
  "involvedObject.fieldPath",
  "reason",
  "reportingComponent",
  "source",
  "type",
];

const ROWS: Row[] = [
  { plural: "namespaces", kind: "Namespace", cluster: true, short: ["ns"], status: true, fields: ["status.phase"] },
  { plural: "nodes", kind: "Node", cluster: true, short: ["no"], status: true, fields: ["spec.unschedulable"] },
  { plural: "pods", kind: "Pod", short: ["po"], all: true, status: true, fields: POD_FIELDS },
  { plural: "services", kind: "Service", short: ["svc"], all: true, status: true },
  { plural: "endpoints", kind: "Endpoints", short: ["ep"] },
  { plural: "configmaps", kind: "ConfigMap", short: ["cm"] },
  { plural: "secrets", kind: "Secret", fields: ["type"] },
  { plural: "serviceaccounts", kind: "ServiceAccount", short: ["sa"] },
  { plural: "events", kind: "Event", short: ["ev"], fields: EVENT_FIELDS },
  { plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", short: ["pvc"], status: true },
  { plural: "persistentvolumes", kind: "PersistentVolume", cluster: true, short: ["pv"], status: true },
  { group: "apps", plural: "deployments", kind: "Deployment", short: ["deploy"], all: true, status: true, scale: true, generation: true },
  { group: "apps", plural: "replicasets", kind: "ReplicaSet", short: ["rs"], all: true, status: true, scale: true, generation: true, fields: ["status.replicas"] },
  { group: "apps", plural: "statefulsets", kind: "StatefulSet", short: ["sts"], all: true, status: true, scale: true, generation: true },
  { group: "apps", plural: "daemonsets", kind: "DaemonSet", short: ["ds"], all: true, status: true, generation: true },
  { group: "apps", plural: "controllerrevisions", kind: "ControllerRevision" },
  { group: "batch", plural: "jobs", kind: "Job", all: true, status: true, generation: true, fields: ["status.successful"] },
  { group: "batch", plural: "cronjobs", kind: "CronJob", short: ["cj"], all: true, status: true, generation: true },
  { group: "networking.k8s.io", plural: "ingresses", kind: "Ingress", short: ["ing"], status: true, generation: true },
  { group: "networking.k8s.io", plural: "networkpolicies", kind: "NetworkPolicy", short: ["netpol"], generation: true },
  { group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", short: ["hpa"], all: true, status: true, generation: true },
  { group: "policy", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", short: ["pdb"], status: true, generation: true },
  { group: "rbac.authorization.k8s.io", plural: "roles", kind: "Role" },
  { group: "rbac.authorization.k8s.io", plural: "rolebindings", kind: "RoleBinding" },
  { group: "rbac.authorization.k8s.io", plural: "clusterroles", kind: "ClusterRole", cluster: true },
  { group: "rbac.authorization.k8s.io", plural: "clusterrolebindings", kind: "ClusterRoleBinding", cluster: true },
  { group: "coordination.k8s.io", plural: "leases", kind: "Lease" },
  // Reviews are answered, not stored: everything is allowed, and the user is whoever the token says.
  { group: "authorization.k8s.io", plural: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", cluster: true, verbs: ["create"] },
  { group: "authentication.k8s.io", plural: "selfsubjectreviews", kind: "SelfSubjectReview", cluster: true, verbs: ["create"] },
  {
    group: "apiextensions.k8s.io",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    cluster: true,
    short: ["crd", "crds"],
    status: true,
    generation: true,
  },
];

const BUILTIN_SCALE: ScaleSpec = {
  specReplicasPath: ".spec.replicas",
  statusReplicasPath: ".status.replicas",
  labelSelectorPath: ".spec.selector",
};

function fromRow(r: Row): ResourceType {
  const group = r.group ?? "";
  const version = r.version ?? "v1";
  return {
    group,
    version,
    versions: [version],
    plural: r.plural,
    singular: r.kind.toLowerCase(),
    kind: r.kind,
    listKind: `${r.kind}List`,
    namespaced: !r.cluster,
    shortNames: r.short ?? [],
    categories: r.all ? ["all"] : [],
    verbs: r.verbs ?? STANDARD_VERBS,
    status: r.status ?? false,
    scale: r.scale ? BUILTIN_SCALE : undefined,
    generation: r.generation ?? false,
    fieldSelectors: r.fields ?? [],
  };
}

export function builtinResources(): ResourceType[] {
  return ROWS.map(fromRow);
}

/** How callers of the internal API name a resource. */
export type ResourceRef =
  | string
  | ResourceType
  | { apiVersion: string; kind: string }
  | { group: string; resource: string };

export function storageKey(rt: ResourceType): string {
  return `${rt.group}/${rt.plural}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export class ResourceRegistry {
  private readonly types = new Map<string, ResourceType>();

  constructor(initial: ResourceType[] = builtinResources()) {
    for (const rt of initial) this.types.set(storageKey(rt), rt);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  register(rt: ResourceType): void {
    this.types.set(storageKey(rt), rt);
  }

  unregister(rt: ResourceType): void {
    this.types.delete(storageKey(rt));
  }

  /** The resource behind a URL's group, version and plural, if that version is served. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    const rt = this.types.get(`${group}/${plural}`);
    return rt && rt.versions.includes(version) ? rt : undefined;
  }

  byKind(group: string, kind: string): ResourceType | undefined {
    return this.all().find((rt) => rt.group === group && rt.kind === kind);
  }

  /** Served group versions, the preferred (storage) version first in each group. */
  groupVersions(): { group: string; versions: string[] }[] {
    const groups = new Map<string, string[]>();
    for (const rt of this.all()) {
      const list = groups.get(rt.group) ?? [];
      for (const v of [rt.version, ...rt.versions]) if (!list.includes(v)) list.push(v);
      groups.set(rt.group, list);
    }
    return [...groups].map(([group, versions]) => ({ group, versions }));
  }

  /**
   * Resolves `pods`, `po`, `Pod`, `deployments.apps`, `apps/v1/deployments`, `apps/v1/Deployment`,
   * `{apiVersion, kind}`, `{group, resource}` or a ResourceType. Throws 404 NotFound when nothing matches.
   */
  resolve(ref: ResourceRef): ResourceType {
    const found = this.tryResolve(ref);
    if (!found) {
      const name = typeof ref === "string" ? ref : "kind" in ref ? `${ref.kind}` : "resource" in ref ? ref.resource : "?";
      throw errors.pathNotFound(`resource ${JSON.stringify(name)} is not served`);
    }
    return found;
  }

  tryResolve(ref: ResourceRef): ResourceType | undefined {
    if (typeof ref !== "string") {
      if ("plural" in ref) return this.types.get(storageKey(ref));
      if ("apiVersion" in ref) {
        const { group, version } = splitApiVersion(ref.apiVersion);
        const rt = this.byKind(group, ref.kind);
        return rt && rt.versions.includes(version) ? rt : undefined;
      }
      return this.types.get(`${ref.group}/${ref.resource}`);
    }
    const parts = ref.split("/");
    if (parts.length >= 2) {
      const name = parts[parts.length - 1];
      const version = parts[parts.length - 2];
      const group = parts.slice(0, -2).join("/");
      return this.find(group, version, name) ?? this.versioned(this.byKind(group, name), version);
    }
    const lower = ref.toLowerCase();
    const dot = ref.indexOf(".");
    if (dot > 0) {
      const direct = this.types.get(`${ref.slice(dot + 1)}/${ref.slice(0, dot)}`);
      if (direct) return direct;
    }
    const all = this.all();
    // Built-in (core first) before custom resources, as kubectl's shortcut expansion prefers.
    return (
      all.find((rt) => rt.plural === lower && rt.group === "") ??
      all.find((rt) => rt.plural === lower) ??
      all.find((rt) => rt.kind === ref) ??
      all.find((rt) => rt.singular === lower || rt.shortNames.includes(lower))
    );
  }

  private versioned(rt: ResourceType | undefined, version: string): ResourceType | undefined {
    return rt && rt.versions.includes(version) ? rt : undefined;
  }
}
