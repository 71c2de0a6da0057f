// Defaults the API server fills in, as the real one does, so objects read back look like a cluster's.
// Defaulting only adds what is missing; it runs on every write.
import { isObject } from "./objects.js";
import type { JsonObject, KubeObject, ResourceType } from "./types.js";

type Obj = JsonObject;

const obj = (parent: Obj, key: string): Obj => {
  if (!isObject(parent[key])) parent[key] = {};
  return parent[key] as Obj;
};
const setDefault = (o: Obj, key: string, value: unknown) => {
  if (o[key] === undefined) o[key] = value;
};

function defaultContainer(c: unknown): void {
  if (!isObject(c)) return;
  const image = typeof c.image === "string" ? c.image : "";
  const tag = image.includes("@") ? "digest" : /:[^/]+$/.exec(image)?.[0].slice(1);
  setDefault(c, "imagePullPolicy", !tag || tag === "latest" ? "Always" : "IfNotPresent");
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  setDefault(c, "resources", {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) setDefault(p, "protocol", "TCP");
}

export function defaultPodSpec(spec: Obj, restartPolicy = "Always"): void {
  setDefault(spec, "restartPolicy", restartPolicy);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "securityContext", {});
  for (const list of ["containers", "initContainers"]) if (Array.isArray(spec[list])) (spec[list] as unknown[]).forEach(defaultContainer);
}

function defaultTemplate(spec: Obj, restartPolicy?: string): void {
  const template = spec.template;
  if (!isObject(template)) return;
  defaultPodSpec(obj(template, "spec"), restartPolicy);
}

export interface DefaultingContext {
  /** A free ClusterIP for a new Service. */
  allocateClusterIp(): string;
  allocateNodePort(): number;
}

/** Fills in the server's defaults. `creating` is true on create (immutable allocations happen then). */
export function applyDefaults(rt: ResourceType, o: KubeObject, ctx: DefaultingContext, creating: boolean): void {
  if (rt.group === "" && rt.plural === "namespaces") {
    o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name ?? "" };
    if (!isObject(o.spec) || !Array.isArray((o.spec as Obj).finalizers)) o.spec = { ...(o.spec as Obj), finalizers: ["kubernetes"] };
    return;
  }
  const spec = isObject(o.spec) ? o.spec : undefined;
  switch (`${rt.group}/${rt.plural}`) {
    case "/pods":
      if (spec) defaultPodSpec(spec);
      return;
    case "/services": {
      if (!spec) return;
      setDefault(spec, "type", "ClusterIP");
      setDefault(spec, "sessionAffinity", "None");
      if (spec.type !== "ExternalName") {
        if (creating && spec.clusterIP === undefined) spec.clusterIP = ctx.allocateClusterIp();
        setDefault(spec, "clusterIPs", [spec.clusterIP]);
        setDefault(spec, "ipFamilies", ["IPv4"]);
        setDefault(spec, "ipFamilyPolicy", "SingleStack");
        setDefault(spec, "internalTrafficPolicy", "Cluster");
      }
      const external = spec.type === "NodePort" || spec.type === "LoadBalancer";
      if (external) setDefault(spec, "externalTrafficPolicy", "Cluster");
      if (Array.isArray(spec.ports)) {
        for (const p of spec.ports) {
          if (!isObject(p)) continue;
          setDefault(p, "protocol", "TCP");
          setDefault(p, "targetPort", p.port);
          if (external && p.nodePort === undefined) p.nodePort = ctx.allocateNodePort();
        }
      }
      return;
    }
    case "/secrets": {
      setDefault(o, "type", "Opaque");
      if (isObject(o.stringData)) {
        const data = { ...(isObject(o.data) ? o.data : {}) };
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString("base64");
        o.data = data;
        delete o.stringData;
      }
      return;
    }
    case "/persistentvolumeclaims":
      if (spec) setDefault(spec, "volumeMode", "Filesystem");
      return;
    case "apps/deployments":
      if (!spec) return;
      setDefault(spec, "replicas", 1);
      setDefault(spec, "strategy", { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
      setDefault(spec, "revisionHistoryLimit", 10);
      setDefault(spec, "progressDeadlineSeconds", 600);
      defaultTemplate(spec);
      return;
    case "apps/replicasets":
      if (!spec) return;
      setDefault(spec, "replicas", 1);
      defaultTemplate(spec);
      return;
    case "apps/statefulsets":
      if (!spec) return;
      setDefault(spec, "replicas", 1);
      setDefault(spec, "podManagementPolicy", "OrderedReady");
      setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
      setDefault(spec, "revisionHistoryLimit", 10);
      setDefault(spec, "persistentVolumeClaimRetentionPolicy", { whenDeleted: "Retain", whenScaled: "Retain" });
      defaultTemplate(spec);
      return;
    case "apps/daemonsets":
      if (!spec) return;
      setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      setDefault(spec, "revisionHistoryLimit", 10);
      defaultTemplate(spec);
      return;
    case "batch/jobs":
      if (!spec) return;
      if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
      setDefault(spec, "parallelism", 1);
      setDefault(spec, "backoffLimit", 6);
      setDefault(spec, "completionMode", "NonIndexed");
      setDefault(spec, "suspend", false);
      setDefault(spec, "podReplacementPolicy", "TerminatingOrFailed");
      if (creating && !spec.manualSelector) generateJobSelector(o, spec);
      defaultTemplate(spec);
      return;
    case "batch/cronjobs":
      if (!spec) return;
      setDefault(spec, "concurrencyPolicy", "Allow");
      setDefault(spec, "suspend", false);
      setDefault(spec, "successfulJobsHistoryLimit", 3);
      setDefault(spec, "failedJobsHistoryLimit", 1);
      return;
  }
}

/** Jobs get a selector on their own uid, and their pod template the matching labels. */
function generateJobSelector(o: KubeObject, spec: Obj): void {
  const uid = o.metadata.uid ?? "";
  const name = o.metadata.name ?? "";
  spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
  const template = obj(spec, "template");
  const meta = obj(template, "metadata");
  meta.labels = {
    ...(isObject(meta.labels) ? meta.labels : {}),
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
}

/** The status a new object starts with when its resource has a status subresource. */
export function initialStatus(rt: ResourceType): Obj | undefined {
  if (rt.group !== "") return rt.crd ? undefined : {};
  switch (rt.plural) {
    case "pods":
      return { phase: "Pending", qosClass: "BestEffort" };
    case "namespaces":
      return { phase: "Active" };
    case "persistentvolumeclaims":
      return { phase: "Pending" };
    case "services":
      return { loadBalancer: {} };
    default:
      return {};
  }
}
