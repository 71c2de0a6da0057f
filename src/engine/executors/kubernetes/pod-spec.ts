/**
 * The Pod of a workflow node (pure): Argo's pod fields from the template over the workflow's
 * defaults, the main container wrapped for outputs (wrapper.ts), sidecars and init containers, then
 * podSpecPatch (the workflow's, then the template's) merged strategic-merge style.
 */
import { parse as parseYaml } from "yaml";
import type { KubeObject } from "../../../core/ports/cluster.js";
import type { Container, Template } from "../../model/types.js";
import type { PodRequest } from "../types.js";
import { ARTIFACT_VOLUME, DONE_FILE, initContainerOf, waitContainerOf, type ArtifactPlan, type PodArtifactsOptions } from "./artifact-plan.js";
import { escapeKubeVars, wrapCommand } from "./wrapper.js";

export const WORKFLOW_LABEL = "tiphys.io/workflow";
export const NODE_LABEL = "tiphys.io/node";
export const NODE_NAME_ANNOTATION = "tiphys.io/node-name";
export const WORKFLOW_UID_LABEL = "tiphys.io/workflow-uid";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Pod spec fields a template sets over the workflow's (Argo's template-level overrides). */
const POD_FIELDS: Array<[templateField: string, specField: string, workflowField: string]> = [
  ["nodeSelector", "nodeSelector", "nodeSelector"],
  ["tolerations", "tolerations", "tolerations"],
  ["affinity", "affinity", "affinity"],
  ["serviceAccountName", "serviceAccountName", "serviceAccountName"],
  ["automountServiceAccountToken", "automountServiceAccountToken", "automountServiceAccountToken"],
  ["securityContext", "securityContext", "securityContext"],
  ["schedulerName", "schedulerName", "schedulerName"],
  ["priorityClassName", "priorityClassName", "podPriorityClassName"],
  ["hostAliases", "hostAliases", "hostAliases"],
  ["dnsPolicy", "dnsPolicy", "dnsPolicy"],
  ["dnsConfig", "dnsConfig", "dnsConfig"],
  ["imagePullSecrets", "imagePullSecrets", "imagePullSecrets"],
  ["hostNetwork", "hostNetwork", "hostNetwork"],
];

/** A label value Kubernetes accepts: 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends. */
export function labelSafe(value: string): string {
  const s = value.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 63);
  return s.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
}

/** The container fields Kubernetes knows (Argo's template containers carry a few of their own). */
function k8sContainer(c: Container, name: string): Obj {
  const { dependencies: _d, source: _s, mirrorVolumeMounts: _m, ...rest } = c as Container & { source?: unknown; mirrorVolumeMounts?: unknown };
  return { ...rest, name };
}

/** Where a script template's source is written in the pod (its private /tmp). */
export function scriptPathOf(podName: string): string {
  return `/tmp/tiphys-${podName}.script`;
}

export class PodSpecError extends Error {
  override name = "PodSpecError";
}

/** The main container: the template's container or script, its command wrapped to report outputs. */
function mainContainer(req: PodRequest, plan: ArtifactPlan | undefined): Obj {
  const t = req.template;
  const src = t.script ?? t.container;
  if (!src) throw new PodSpecError("the kubernetes executor runs container and script templates (containerSet is not supported yet)");
  const c = k8sContainer(src, "main");
  if (plan) c.volumeMounts = [...((c.volumeMounts as Obj[] | undefined) ?? []), ...plan.mainMounts];
  const command = src.command ?? [];
  const args = src.args ?? [];
  const doneFile = plan && plan.outputs.length > 0 ? DONE_FILE : undefined;
  const needsWrap = t.script !== undefined || req.outputParameterFiles.length > 0 || doneFile !== undefined;
  if (!needsWrap) return c;
  if (command.length === 0) {
    throw new PodSpecError(`container "main" (image ${src.image ?? "none"}) has no command: Tiphys needs one to collect its outputs; give the container a command`);
  }
  const scriptPath = t.script ? scriptPathOf(req.podName) : undefined;
  const argv = [...command, ...args, ...(scriptPath ? [scriptPath] : [])];
  const env = [...((c.env as Obj[] | undefined) ?? [])];
  if (t.script) env.push({ name: "TIPHYS_SCRIPT", value: escapeKubeVars(t.script.source) });
  const wrapped: Obj = { ...c, command: wrapCommand({ argv, files: req.outputParameterFiles, scriptPath, doneFile }) };
  delete wrapped.args;
  if (env.length > 0) wrapped.env = env;
  return wrapped;
}

/**
 * Strategic-merge-style deep merge (podSpecPatch): maps merge, lists of objects with a `name` merge
 * by name (containers, volumes, env), other lists are replaced, `null` deletes.
 */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (patch === null) return undefined;
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      const merged = mergePatch(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((p) => isObj(p) && typeof p.name === "string")) {
    const out = base.map((b) => b as unknown);
    for (const p of patch as Obj[]) {
      const i = out.findIndex((b) => isObj(b) && b.name === p.name);
      if (i >= 0) out[i] = mergePatch(out[i], p);
      else out.push(p);
    }
    return out;
  }
  return patch;
}

function parsePatch(text: string, where: string): Obj {
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (err) {
    throw new PodSpecError(`${where}: not JSON or YAML: ${(err as Error).message}`);
  }
  if (!isObj(v)) throw new PodSpecError(`${where}: must be an object (a partial pod spec)`);
  return v;
}

export interface BuildPodInput {
  req: PodRequest;
  namespace: string;
  /** The workflow's podSpecPatch, already substituted (the template's is, by the engine). */
  workflowPodSpecPatch?: string;
  /** The node's artifacts (artifact-plan.ts): an init container, a `wait` container, a shared emptyDir. */
  artifacts?: { plan: ArtifactPlan; opts: PodArtifactsOptions };
}

/** The Pod for a node. Throws PodSpecError for what cannot make a valid pod. */
export function buildPod({ req, namespace, workflowPodSpecPatch, artifacts }: BuildPodInput): KubeObject {
  const t = req.template as Template & Obj;
  const wf = req.workflow.spec;
  const podMetadata = isObj(wf.podMetadata) ? wf.podMetadata : {};
  const labels: Record<string, string> = {
    ...(podMetadata.labels as Record<string, string> | undefined),
    ...t.metadata?.labels,
    [WORKFLOW_LABEL]: labelSafe(req.workflow.name),
    [NODE_LABEL]: labelSafe(req.nodeId),
    [WORKFLOW_UID_LABEL]: labelSafe(req.workflow.uid),
  };
  const annotations: Record<string, string> = {
    ...(podMetadata.annotations as Record<string, string> | undefined),
    ...t.metadata?.annotations,
    [NODE_NAME_ANNOTATION]: req.nodeName,
    "workflows.argoproj.io/node-name": req.nodeName,
    "kubectl.kubernetes.io/default-container": "main",
  };
  const spec: Obj = { restartPolicy: "Never" };
  for (const [tf, sf, wff] of POD_FIELDS) {
    const v = t[tf] ?? wf[wff];
    if (v !== undefined) spec[sf] = v;
  }
  const volumes = [...((wf.volumes as Obj[] | undefined) ?? []), ...((t.volumes as Obj[] | undefined) ?? [])];
  if (artifacts) volumes.push({ name: ARTIFACT_VOLUME, emptyDir: {} });
  if (volumes.length > 0) spec.volumes = volumes;
  const deadline = t.activeDeadlineSeconds;
  if (deadline !== undefined && Number.isFinite(Number(deadline))) spec.activeDeadlineSeconds = Number(deadline);
  spec.containers = [mainContainer(req, artifacts?.plan)];
  const wait = artifacts && waitContainerOf(artifacts.plan, artifacts.opts);
  if (wait) spec.containers = [...(spec.containers as Obj[]), wait];
  // Sidecars are native sidecars (init containers that keep running): the pod completes when main
  // does, as Argo's wait container makes it by killing them.
  const sidecars = ((t.sidecars as Container[] | undefined) ?? []).map((s, i) => ({ ...k8sContainer(s, s.name ?? `sidecar-${i}`), restartPolicy: "Always" }));
  const inits = ((t.initContainers as Container[] | undefined) ?? []).map((s, i) => k8sContainer(s, s.name ?? `init-${i}`));
  // The artifact loader comes first, as Argo's init container does.
  const load = artifacts && initContainerOf(artifacts.plan, artifacts.opts);
  if (load) inits.unshift(load);
  if (inits.length + sidecars.length > 0) spec.initContainers = [...inits, ...sidecars];
  let finalSpec: Obj = spec;
  if (workflowPodSpecPatch) finalSpec = mergePatch(finalSpec, parsePatch(workflowPodSpecPatch, "spec.podSpecPatch")) as Obj;
  if (typeof t.podSpecPatch === "string" && t.podSpecPatch.trim()) finalSpec = mergePatch(finalSpec, parsePatch(t.podSpecPatch, `template ${t.name ?? ""} podSpecPatch`)) as Obj;
  finalSpec.restartPolicy = "Never";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: req.podName, namespace, labels, annotations },
    spec: finalSpec,
  };
}
