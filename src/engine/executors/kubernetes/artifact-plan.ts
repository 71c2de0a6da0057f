/**
 * Artifacts of a Pod, Argo's way (an init container and a `wait` container), with nothing in the
 * user's image but /bin/sh: both run the Tiphys image (`tiphys artifact load|save`), share an emptyDir
 * with the main container, and talk to the S3 repository themselves; the credentials reach them only
 * through `secretKeyRef`s, never as values in the Pod spec.
 *
 * - `tiphys-init` downloads the inputs into the emptyDir, which the main container mounts at each
 *   input's path (subPath `in/<name>`), as Argo mounts its input-artifacts volume.
 * - The main container mounts subPath `out/<i>` at the folder of each output path, and subPath `ctl`
 *   at CTL_DIR, where its wrapper writes the command's exit code once the command is over.
 * - `wait` waits for that file, uploads the outputs, and prints what it stored after RESULT_MARKER.
 *
 * On the simulated cluster in process mode (`sharedTmp`) the pod's containers are processes sharing
 * the pod's /tmp and volumes are not mounted: the Tiphys containers use the artifact paths directly,
 * which must then be under /tmp.
 *
 * Pure: the plan and the containers; the executor creates and reads.
 */
import { posix } from "node:path";
import type { Artifact } from "../../model/types.js";
import type { Vars } from "../../runtime/substitute.js";
import type { PodRequest, PodResult } from "../types.js";
import { escapeKubeVars } from "./wrapper.js";

export const ARTIFACT_VOLUME = "tiphys-artifacts";
/** Where the Tiphys containers mount the whole emptyDir. */
export const TOOLS_DIR = "/tmp/.tiphys";
export const CTL_DIR = `${TOOLS_DIR}/ctl`;
/** Written by the main container's wrapper: the command's exit code, once it is over. */
export const DONE_FILE = `${CTL_DIR}/done`;
/** The `wait` container's last line: this marker, a space, then the JSON of a SaveReport. */
export const RESULT_MARKER = "__tiphys_artifacts__";
export const INIT_CONTAINER = "tiphys-init";
export const WAIT_CONTAINER = "wait";

export interface SecretKeySelector {
  name: string;
  key: string;
}

/** The S3 repository as the Pods' Tiphys containers reach it (Argo's `artifactRepository.s3`). */
export interface PodS3Repository {
  endpoint: string;
  bucket: string;
  region?: string;
  insecure?: boolean;
  keyFormat?: string;
  /** Secrets in the Pods' namespace; without them the SDK's default chain (IRSA, env) is used. */
  accessKeySecret?: SecretKeySelector;
  secretKeySecret?: SecretKeySelector;
}

export interface PodArtifactsOptions {
  s3: PodS3Repository;
  /** Secrets the executor creates in the namespace before the first Pod that needs them (a simulated S3's keys). */
  secrets?: Array<{ name: string; stringData: Record<string, string> }>;
  /** The key format rendered for one node: the run's `workflow.*` variables and the node's `pod.name`. */
  renderKeyPrefix(workflowVars: Vars, podName: string): string;
  /** The Tiphys image, and the argv that starts its CLI in it. */
  image: string;
  command: string[];
  /** The simulated kubelet in process mode: the pod's containers share its /tmp, nothing is mounted. */
  sharedTmp: boolean;
}

/** What a node's Pod needs for its artifacts (set by pod-node.ts). */
export interface PodArtifactsRequest {
  /** Input artifacts with their sources resolved (`from` replaced by the stored location). */
  inputs: Artifact[];
  outputs: Artifact[];
  workflowVars: Vars;
}

export type ArtifactPodRequest = PodRequest & { artifacts?: PodArtifactsRequest };
export type ArtifactPodResult = PodResult & {
  /** Output artifacts stored, as the status records them. */
  outputArtifacts?: Artifact[];
  /** Why the outputs could not all be stored (the node is an Error when its command succeeded). */
  artifactError?: string;
};

/** One artifact as a Tiphys container moves it: the declaration, and its path as that container sees it. */
export interface ArtifactTransfer {
  artifact: Artifact;
  path: string;
}

/** What `tiphys artifact save` prints after RESULT_MARKER. */
export interface SaveReport {
  saved: Artifact[];
  errors: string[];
}

export class ArtifactPlanError extends Error {
  override name = "ArtifactPlanError";
}

export interface ArtifactPlan {
  inputs: ArtifactTransfer[];
  outputs: ArtifactTransfer[];
  /** Mounts of the artifact volume in the main container. */
  mainMounts: Array<{ name: string; mountPath: string; subPath: string }>;
  keyPrefix: string;
}

/** Where each artifact goes, or undefined when the node has none. */
export function planArtifacts(req: PodArtifactsRequest, podName: string, opts: PodArtifactsOptions): ArtifactPlan | undefined {
  if (req.inputs.length + req.outputs.length === 0) return undefined;
  const mainMounts: ArtifactPlan["mainMounts"] = [{ name: ARTIFACT_VOLUME, mountPath: CTL_DIR, subPath: "ctl" }];
  const pathOf = (a: Artifact, dir: "inputs" | "outputs"): string => {
    const p = a.path ? posix.normalize(a.path) : "";
    if (!p.startsWith("/")) throw new ArtifactPlanError(`${dir}.artifacts.${a.name}.path must be an absolute path`);
    if (p === TOOLS_DIR || p.startsWith(`${TOOLS_DIR}/`)) throw new ArtifactPlanError(`${dir}.artifacts.${a.name}.path: ${TOOLS_DIR} is Tiphys' own`);
    if (opts.sharedTmp && !(p === "/tmp" || p.startsWith("/tmp/"))) {
      throw new ArtifactPlanError(`${dir}.artifacts.${a.name}.path ${p}: on the simulated cluster artifact paths must be under /tmp (the only folder a simulated pod has of its own)`);
    }
    return p;
  };
  const inputs = req.inputs.map((artifact) => {
    const p = pathOf(artifact, "inputs");
    if (opts.sharedTmp) return { artifact, path: p };
    mainMounts.push({ name: ARTIFACT_VOLUME, mountPath: p, subPath: `in/${artifact.name}` });
    return { artifact, path: `${TOOLS_DIR}/in/${artifact.name}` };
  });
  const folders = new Map<string, number>();
  const outputs = req.outputs.map((artifact) => {
    const p = pathOf(artifact, "outputs");
    if (opts.sharedTmp) return { artifact, path: p };
    const dir = posix.dirname(p);
    let i = folders.get(dir);
    if (i === undefined) {
      folders.set(dir, (i = folders.size));
      mainMounts.push({ name: ARTIFACT_VOLUME, mountPath: dir, subPath: `out/${i}` });
    }
    return { artifact, path: `${TOOLS_DIR}/out/${i}/${posix.basename(p)}` };
  });
  return { inputs, outputs, mainMounts, keyPrefix: opts.renderKeyPrefix(req.workflowVars, podName) };
}

type Obj = Record<string, unknown>;

function toolsEnv(plan: ArtifactPlan, opts: PodArtifactsOptions, transfers: ArtifactTransfer[]): Obj[] {
  const { accessKeySecret, secretKeySecret, ...plain } = opts.s3;
  // Kubernetes expands `$(VAR)` in env values: JSON goes in with each `$` doubled.
  const env: Obj[] = [
    { name: "TIPHYS_S3", value: escapeKubeVars(JSON.stringify({ ...plain, keyFormat: plan.keyPrefix })) },
    { name: "TIPHYS_ARTIFACTS", value: escapeKubeVars(JSON.stringify(transfers)) },
  ];
  if (accessKeySecret) env.push({ name: "TIPHYS_S3_ACCESS_KEY", valueFrom: { secretKeyRef: { name: accessKeySecret.name, key: accessKeySecret.key } } });
  if (secretKeySecret) env.push({ name: "TIPHYS_S3_SECRET_KEY", valueFrom: { secretKeyRef: { name: secretKeySecret.name, key: secretKeySecret.key } } });
  return env;
}

/** The init container that loads the inputs, or undefined when there are none. */
export function initContainerOf(plan: ArtifactPlan, opts: PodArtifactsOptions): Obj | undefined {
  if (plan.inputs.length === 0) return undefined;
  return {
    name: INIT_CONTAINER,
    image: opts.image,
    command: [...opts.command, "artifact", "load"],
    env: toolsEnv(plan, opts, plan.inputs),
    volumeMounts: [{ name: ARTIFACT_VOLUME, mountPath: TOOLS_DIR }],
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

/** The container that stores the outputs once the main container's command is over. */
export function waitContainerOf(plan: ArtifactPlan, opts: PodArtifactsOptions): Obj | undefined {
  if (plan.outputs.length === 0) return undefined;
  return {
    name: WAIT_CONTAINER,
    image: opts.image,
    command: [...opts.command, "artifact", "save", "--done-file", DONE_FILE],
    env: toolsEnv(plan, opts, plan.outputs),
    volumeMounts: [{ name: ARTIFACT_VOLUME, mountPath: TOOLS_DIR }],
  };
}

/** The SaveReport in a `wait` container's log, or undefined when it printed none. */
export function parseSaveReport(log: string): SaveReport | undefined {
  const lines = log.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith(RESULT_MARKER + " ")) continue;
    try {
      const v = JSON.parse(lines[i].slice(RESULT_MARKER.length + 1)) as SaveReport;
      if (Array.isArray(v.saved) && Array.isArray(v.errors)) return v;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
