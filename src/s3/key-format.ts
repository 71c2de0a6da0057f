/**
 * Argo's artifact keys. An output without a key of its own goes to `path.Join(<keyFormat>, <file>)`
 * (workflow/executor/executor.go saveArtifactFromFile), where `<file>` is `<artifact name>.tgz` when
 * archived and the base name of the artifact's path with `archive: none`. The key format is
 * substituted when the pod is created, with the workflow's global variables and `pod.name`, and an
 * unresolved variable left in it is an error (workflow/controller/workflowpod.go: substitutePodParams,
 * then VerifyResolvedVariables on the archive location).
 */
import path from "node:path";
import { ConfigError } from "../core/errors.js";
import { childVars, substituteString, type Vars } from "../engine/runtime/substitute.js";

const TAG = /\{\{.*?\}\}/s;

/** The variables a key may use: the run's `workflow.*` and this node's `pod.name`. */
export function keyVariables(workflowVars: Vars, podName: string): Vars {
  return childVars(workflowVars, { "pod.name": podName });
}

/** Substitutes the repository's key format; a variable left unresolved is a ConfigError. */
export function renderKeyFormat(format: string, vars: Vars): string {
  const rendered = substituteString(format, vars);
  const left = TAG.exec(rendered);
  if (left) {
    throw new ConfigError(`artifact repository keyFormat ${JSON.stringify(format)}: unable to resolve ${left[0]}`);
  }
  return rendered;
}

/** An artifact's own `s3.key`: substituted with the same variables, unknown ones left as written. */
export function renderArtifactKey(key: string, vars: Vars): string {
  return substituteString(key, vars);
}

/** Go's `path.Join`: joined, cleaned, no trailing slash; empty parts dropped. */
export function joinKey(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  if (nonEmpty.length === 0) return "";
  const joined = path.posix.normalize(nonEmpty.join("/"));
  return joined.length > 1 ? joined.replace(/\/+$/, "") : joined;
}

/** The key of an output artifact stored under the key format. */
export function defaultOutputKey(opts: { keyFormat: string; vars: Vars; artifactName: string; archived: boolean; artifactPath: string }): string {
  const file = opts.archived ? `${opts.artifactName}.tgz` : path.posix.basename(opts.artifactPath);
  return joinKey(renderKeyFormat(opts.keyFormat, opts.vars), file);
}
