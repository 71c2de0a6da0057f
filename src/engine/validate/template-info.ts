import { isObject } from "../model/catalog.js";
import { templateTypes, type Artifact, type Parameter, type Template, type TemplateType } from "../model/types.js";

/** Facts about a template that the rules need, read defensively (the input is not yet trusted). */

export function asList<T = unknown>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function kindOf(t: Template): TemplateType | undefined {
  return isObject(t) ? templateTypes(t)[0] : undefined;
}

/** Argo's IsPodType: templates whose node is a pod (and so have `{{pod.name}}`). */
export function isPodType(t: Template): boolean {
  const k = kindOf(t);
  return k === "container" || k === "containerSet" || k === "script" || k === "resource" || k === "data";
}

/** Argo's IsLeaf: anything but steps and dag. */
export function isLeaf(t: Template): boolean {
  const k = kindOf(t);
  return k !== undefined && k !== "steps" && k !== "dag";
}

function containerSetHasMain(t: Template): boolean {
  return asList<{ name?: unknown }>(t.containerSet?.containers).some((c) => isObject(c) && c.name === "main");
}

/** Argo's HasOutput: templates with `outputs.result` and `exitCode`. */
export function hasOutput(t: Template): boolean {
  const k = kindOf(t);
  return (
    k === "container" ||
    k === "script" ||
    k === "data" ||
    k === "http" ||
    k === "plugin" ||
    (k === "containerSet" && containerSetHasMain(t))
  );
}

export function inputParams(t: Template): Parameter[] {
  return asList<Parameter>(isObject(t.inputs) ? t.inputs.parameters : undefined).filter(isObject);
}

export function inputArtifacts(t: Template): Artifact[] {
  return asList<Artifact>(isObject(t.inputs) ? t.inputs.artifacts : undefined).filter(isObject);
}

export function outputParams(t: Template): Parameter[] {
  return asList<Parameter>(isObject(t.outputs) ? t.outputs.parameters : undefined).filter(isObject);
}

export function outputArtifacts(t: Template): Artifact[] {
  return asList<Artifact>(isObject(t.outputs) ? t.outputs.artifacts : undefined).filter(isObject);
}

export const ARTIFACT_STORAGE_KINDS = [
  "s3",
  "git",
  "http",
  "artifactory",
  "hdfs",
  "raw",
  "oss",
  "gcs",
  "azure",
  "plugin",
] as const;

/** Argo's HasLocationOrKey: an artifact that says where it comes from. */
export function hasLocation(a: Artifact): boolean {
  return ARTIFACT_STORAGE_KINDS.some((k) => a[k] !== undefined && a[k] !== null);
}

/** A template's `retryStrategy`, or the one `templateDefaults` gives it. */
export function hasRetryStrategy(t: Template, defaults: Template | undefined): boolean {
  return (
    (t.retryStrategy !== undefined && t.retryStrategy !== null) ||
    (isObject(defaults) && isObject(defaults.retryStrategy))
  );
}

export function describeKind(t: Template): string {
  const k = kindOf(t);
  return k ? `a ${k} template` : "a template";
}
