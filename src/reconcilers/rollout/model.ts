/**
 * Reading `Rollout` documents (argoproj.io/v1alpha1) from the repo's YAML, with every problem located
 * at its file, line and field. The checks are Argo Rollouts' validation (`pkg/apis/rollouts/validation`)
 * plus what Tiphys cannot do yet: experiment steps, traffic routers and their step kinds are refused with
 * a clear "not supported yet" rather than silently ignored.
 */
import type { ConfigProblem } from "../../core/errors.js";
import { parseDuration } from "../../engine/model/durations.js";
import { formatPath, type LoadedDoc, type PathSeg } from "../../engine/model/load.js";
import { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE, valueFromIntOrPercent } from "./replicas.js";
import type { IntOrString, Rollout } from "./types.js";

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function problem(doc: LoadedDoc, path: PathSeg[], message: string, severity: "error" | "warning" = "error"): ConfigProblem {
  return { message, field: formatPath(path), pos: doc.posOf(path), severity };
}

/** RolloutPause.DurationSeconds: an int is seconds; a string is seconds or a Go duration, truncated to whole seconds. */
export function pauseDurationSeconds(duration: IntOrString): number {
  if (typeof duration === "number") return Math.trunc(duration);
  try {
    return Math.trunc(parseDuration(duration) / 1000);
  } catch {
    return -1;
  }
}

/** Shared shape checks of a `RolloutAnalysis` (step analysis, background, pre/post-promotion). */
export function checkRolloutAnalysis(doc: LoadedDoc, v: unknown, path: PathSeg[], out: ConfigProblem[]): void {
  if (!isObj(v)) {
    out.push(problem(doc, path, "analysis must be a map with `templates`"));
    return;
  }
  if (!Array.isArray(v.templates) || v.templates.length === 0) out.push(problem(doc, [...path, "templates"], "analysis needs at least one entry in `templates`"));
  else
    v.templates.forEach((t, i) => {
      if (!isObj(t) || typeof t.templateName !== "string" || t.templateName === "") out.push(problem(doc, [...path, "templates", i, "templateName"], "templateName is required"));
      else if (t.clusterScope !== undefined && typeof t.clusterScope !== "boolean") out.push(problem(doc, [...path, "templates", i, "clusterScope"], "clusterScope must be true or false"));
    });
  if (v.args !== undefined) {
    if (!Array.isArray(v.args)) out.push(problem(doc, [...path, "args"], "args must be a list of {name, value} or {name, valueFrom}"));
    else
      v.args.forEach((a, i) => {
        const at = [...path, "args", i];
        if (!isObj(a) || typeof a.name !== "string" || a.name === "") return out.push(problem(doc, [...at, "name"], "an argument needs a name"));
        if (a.value !== undefined && typeof a.value !== "string") out.push(problem(doc, [...at, "value"], "an argument's value must be a string (quote numbers)"));
        if (a.value === undefined && a.valueFrom === undefined) out.push(problem(doc, at, `argument "${a.name}" needs value or valueFrom`));
        if (a.valueFrom !== undefined) {
          const vf = a.valueFrom;
          if (!isObj(vf) || (vf.podTemplateHashValue === undefined && vf.fieldRef === undefined)) {
            out.push(problem(doc, [...at, "valueFrom"], "valueFrom needs podTemplateHashValue (Stable or Latest) or fieldRef.fieldPath"));
          } else if (vf.podTemplateHashValue !== undefined && vf.podTemplateHashValue !== "Stable" && vf.podTemplateHashValue !== "Latest") {
            out.push(problem(doc, [...at, "valueFrom", "podTemplateHashValue"], "podTemplateHashValue must be Stable or Latest"));
          } else if (vf.fieldRef !== undefined && (!isObj(vf.fieldRef) || typeof vf.fieldRef.fieldPath !== "string")) {
            out.push(problem(doc, [...at, "valueFrom", "fieldRef", "fieldPath"], "fieldRef needs fieldPath, e.g. metadata.labels['app']"));
          }
        }
      });
  }
}

function checkIntOrPercent(doc: LoadedDoc, v: unknown, path: PathSeg[], out: ConfigProblem[]): number | undefined {
  if (v === undefined) return undefined;
  if (isInt(v)) {
    if (v < 0) out.push(problem(doc, path, `${path[path.length - 1]} must be ≥ 0`));
    return v;
  }
  if (typeof v === "string") {
    try {
      const pct = valueFromIntOrPercent(v, 100, false);
      if (!v.endsWith("%")) out.push(problem(doc, path, `"${v}" is read as ${pct}% (a string is a percentage); write ${v} unquoted for a number of pods`, "warning"));
      if (pct < 0 || pct > 100) out.push(problem(doc, path, `${path[path.length - 1]} must be between 0% and 100%`));
      return pct;
    } catch {
      /* fall through */
    }
  }
  out.push(problem(doc, path, `${path[path.length - 1]} must be a number of pods or a percentage like "25%"`));
  return undefined;
}

const NOT_SUPPORTED_STEPS: Record<string, string> = {
  experiment: "experiment steps are not supported yet: Tiphys does not run Argo Rollouts Experiments",
  setHeaderRoute: "setHeaderRoute steps are not supported yet: they need a traffic router",
  setMirrorRoute: "setMirrorRoute steps are not supported yet: they need a traffic router",
  plugin: "step plugins are not supported yet",
};
const STEP_KINDS = ["setWeight", "pause", "setCanaryScale", "analysis", ...Object.keys(NOT_SUPPORTED_STEPS)];
/** Strategy fields Tiphys reads but does not act on (yet); named in a warning so nobody relies on them. */
const IGNORED_FIELDS = ["antiAffinity", "canaryMetadata", "stableMetadata", "activeMetadata", "previewMetadata", "replicaProgressThreshold"];
const TRAFFIC_ONLY = ["dynamicStableScale", "minPodsPerReplicaSet", "pingPong", "scaleDownDelaySeconds", "abortScaleDownDelaySeconds"];

function checkCanary(doc: LoadedDoc, c: Record<string, unknown>, at: PathSeg[], out: ConfigProblem[]): void {
  const hasRouter = c.trafficRouting !== undefined && c.trafficRouting !== null;
  if (hasRouter) {
    const routers = isObj(c.trafficRouting) ? Object.keys(c.trafficRouting).join(", ") : "";
    out.push(problem(doc, [...at, "trafficRouting"], `traffic routing${routers ? ` (${routers})` : ""} is not supported yet: Tiphys runs a basic canary, shifting traffic by replica counts; remove trafficRouting`));
  }
  for (const f of ["canaryService", "stableService"]) {
    if (c[f] !== undefined && typeof c[f] !== "string") out.push(problem(doc, [...at, f], `${f} must be a Service name`));
  }
  if (typeof c.canaryService === "string" && c.canaryService !== "" && c.canaryService === c.stableService) {
    out.push(problem(doc, [...at, "stableService"], "canaryService and stableService must be two different Services"));
  }
  const surge = checkIntOrPercent(doc, c.maxSurge, [...at, "maxSurge"], out);
  const unavailable = checkIntOrPercent(doc, c.maxUnavailable, [...at, "maxUnavailable"], out);
  const surgeV = surge ?? (c.maxSurge === undefined ? Number(DEFAULT_MAX_SURGE) : undefined);
  const unavailableV = unavailable ?? (c.maxUnavailable === undefined ? Number(DEFAULT_MAX_UNAVAILABLE) : undefined);
  if (surgeV === 0 && unavailableV === 0) out.push(problem(doc, [...at, "maxUnavailable"], "maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress"));
  if (!hasRouter) {
    for (const f of TRAFFIC_ONLY) {
      if (c[f] !== undefined) out.push(problem(doc, [...at, f], `${f} has an effect only with trafficRouting; a basic canary ignores it`, "warning"));
    }
  }
  for (const f of IGNORED_FIELDS) if (c[f] !== undefined) out.push(problem(doc, [...at, f], `${f} is not supported yet and is ignored`, "warning"));
  const steps = c.steps;
  if (steps !== undefined && !Array.isArray(steps)) out.push(problem(doc, [...at, "steps"], "steps must be a list"));
  const stepCount = Array.isArray(steps) ? steps.length : 0;
  if (Array.isArray(steps)) {
    steps.forEach((s, i) => {
      const sp = [...at, "steps", i];
      if (!isObj(s)) return out.push(problem(doc, sp, "a step must be a map like {setWeight: 20} or {pause: {}}"));
      const kinds = Object.keys(s);
      for (const k of kinds) {
        if (!STEP_KINDS.includes(k)) out.push(problem(doc, [...sp, k], `unknown step kind ${k}; expected one of setWeight, pause, setCanaryScale, analysis`));
        else if (NOT_SUPPORTED_STEPS[k]) out.push(problem(doc, [...sp, k], NOT_SUPPORTED_STEPS[k]));
      }
      const exclusive = kinds.filter((k) => ["setWeight", "pause", "experiment", "analysis"].includes(k));
      if (exclusive.length > 1) out.push(problem(doc, [...sp, exclusive[1]], `a step has one of setWeight, pause, experiment or analysis; found ${exclusive.join(" and ")}`));
      if (kinds.length === 0) out.push(problem(doc, sp, "an empty step does nothing; give setWeight, pause, setCanaryScale or analysis"));
      if (s.setWeight !== undefined && (!isInt(s.setWeight) || s.setWeight < 0 || s.setWeight > 100)) {
        out.push(problem(doc, [...sp, "setWeight"], "setWeight must be a whole number from 0 to 100"));
      }
      if (s.pause !== undefined) {
        if (s.pause !== null && !isObj(s.pause)) out.push(problem(doc, [...sp, "pause"], "pause must be a map: {} waits for a promote, {duration: 30s} waits that long"));
        else if (isObj(s.pause) && s.pause.duration !== undefined) {
          const d = s.pause.duration;
          if ((typeof d !== "number" && typeof d !== "string") || pauseDurationSeconds(d) < 0) {
            out.push(problem(doc, [...sp, "pause", "duration"], "pause duration must be a number of seconds or a duration like 30s, 5m, 1h"));
          }
        }
      }
      if (s.setCanaryScale !== undefined) {
        const scs = s.setCanaryScale;
        if (!isObj(scs) || [scs.weight, scs.replicas, scs.matchTrafficWeight].filter((x) => x !== undefined).length !== 1) {
          out.push(problem(doc, [...sp, "setCanaryScale"], "setCanaryScale needs exactly one of weight, replicas or matchTrafficWeight"));
        } else if (!hasRouter) {
          out.push(problem(doc, [...sp, "setCanaryScale"], "setCanaryScale has an effect only with trafficRouting; a basic canary ignores it (the step completes at once)", "warning"));
        }
      }
      if (s.analysis !== undefined) checkRolloutAnalysis(doc, s.analysis, [...sp, "analysis"], out);
    });
  }
  if (c.analysis !== undefined) {
    checkRolloutAnalysis(doc, c.analysis, [...at, "analysis"], out);
    const start = isObj(c.analysis) ? c.analysis.startingStep : undefined;
    if (start !== undefined && (!isInt(start) || start < 0 || start > stepCount)) {
      out.push(problem(doc, [...at, "analysis", "startingStep"], `startingStep must be a step index from 0 to ${stepCount}`));
    }
  }
}

function checkBlueGreen(doc: LoadedDoc, b: Record<string, unknown>, at: PathSeg[], out: ConfigProblem[]): void {
  if (typeof b.activeService !== "string" || b.activeService === "") out.push(problem(doc, [...at, "activeService"], "activeService is required: the Service switched to the new version on promotion"));
  if (b.previewService !== undefined && typeof b.previewService !== "string") out.push(problem(doc, [...at, "previewService"], "previewService must be a Service name"));
  if (typeof b.previewService === "string" && b.previewService !== "" && b.previewService === b.activeService) {
    out.push(problem(doc, [...at, "previewService"], "previewService and activeService must be two different Services"));
  }
  for (const f of ["previewReplicaCount", "autoPromotionSeconds", "scaleDownDelaySeconds", "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds"]) {
    if (b[f] !== undefined && (!isInt(b[f]) || (b[f] as number) < 0)) out.push(problem(doc, [...at, f], `${f} must be a whole number ≥ 0`));
  }
  if (b.autoPromotionEnabled !== undefined && typeof b.autoPromotionEnabled !== "boolean") out.push(problem(doc, [...at, "autoPromotionEnabled"], "autoPromotionEnabled must be true or false"));
  if (b.autoPromotionEnabled === false && b.autoPromotionSeconds !== undefined) {
    out.push(problem(doc, [...at, "autoPromotionSeconds"], "autoPromotionSeconds is ignored while autoPromotionEnabled is false", "warning"));
  }
  checkIntOrPercent(doc, b.maxUnavailable, [...at, "maxUnavailable"], out);
  for (const f of ["prePromotionAnalysis", "postPromotionAnalysis"]) if (b[f] !== undefined) checkRolloutAnalysis(doc, b[f], [...at, f], out);
  for (const f of IGNORED_FIELDS) if (b[f] !== undefined) out.push(problem(doc, [...at, f], `${f} is not supported yet and is ignored`, "warning"));
}

const WORKLOAD_KINDS: Record<string, string> = { Deployment: "apps/v1", ReplicaSet: "apps/v1", PodTemplate: "v1" };

function labelsMatch(selector: unknown, template: unknown): boolean {
  const want = isObj(selector) && isObj(selector.matchLabels) ? selector.matchLabels : {};
  const have = isObj(template) && isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : {};
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** Checks one Rollout document and returns it typed, or its problems (warnings come back with a rollout). */
export function readRollout(doc: LoadedDoc): { rollout?: Rollout; problems: ConfigProblem[] } {
  const out: ConfigProblem[] = [];
  const d = doc.data;
  if (!isObj(d)) return { problems: [problem(doc, [], "a Rollout must be a map")] };
  if (d.apiVersion !== ARGO_API_VERSION) out.push(problem(doc, ["apiVersion"], `apiVersion must be ${ARGO_API_VERSION}`));
  const meta = d.metadata;
  if (!isObj(meta) || typeof meta.name !== "string" || meta.name === "") out.push(problem(doc, ["metadata", "name"], "metadata.name is required"));
  else if (!DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) out.push(problem(doc, ["metadata", "name"], `"${meta.name}" is not a valid name: lower-case letters, digits, '-' and '.'`));
  const spec = d.spec;
  if (!isObj(spec)) return { problems: [...out, problem(doc, ["spec"], "spec is required")] };
  if (spec.replicas !== undefined && (!isInt(spec.replicas) || spec.replicas < 0)) out.push(problem(doc, ["spec", "replicas"], "replicas must be a whole number ≥ 0"));
  for (const f of ["minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"]) {
    if (spec[f] !== undefined && (!isInt(spec[f]) || (spec[f] as number) < 0)) out.push(problem(doc, ["spec", f], `${f} must be a whole number ≥ 0`));
  }
  if (isInt(spec.progressDeadlineSeconds) && spec.progressDeadlineSeconds <= ((spec.minReadySeconds as number | undefined) ?? 0)) {
    out.push(problem(doc, ["spec", "progressDeadlineSeconds"], "progressDeadlineSeconds must be greater than minReadySeconds"));
  }
  for (const f of ["paused", "progressDeadlineAbort"]) if (spec[f] !== undefined && typeof spec[f] !== "boolean") out.push(problem(doc, ["spec", f], `${f} must be true or false`));
  if (spec.restartAt !== undefined) out.push(problem(doc, ["spec", "restartAt"], "restartAt is not supported yet and is ignored", "warning"));
  if (spec.workloadRef !== undefined) {
    const w = spec.workloadRef;
    if (!isObj(w)) out.push(problem(doc, ["spec", "workloadRef"], "workloadRef must be a map with apiVersion, kind and name"));
    else {
      if (typeof w.kind !== "string" || !WORKLOAD_KINDS[w.kind]) out.push(problem(doc, ["spec", "workloadRef", "kind"], "workloadRef.kind must be Deployment, ReplicaSet or PodTemplate"));
      else if (w.apiVersion !== WORKLOAD_KINDS[w.kind]) out.push(problem(doc, ["spec", "workloadRef", "apiVersion"], `workloadRef.apiVersion must be ${WORKLOAD_KINDS[w.kind]} for a ${w.kind}`));
      if (typeof w.name !== "string" || w.name === "") out.push(problem(doc, ["spec", "workloadRef", "name"], "workloadRef.name is required"));
      if (w.scaleDown !== undefined && !["never", "onsuccess", "progressively"].includes(String(w.scaleDown))) {
        out.push(problem(doc, ["spec", "workloadRef", "scaleDown"], "scaleDown must be never, onsuccess or progressively"));
      }
    }
    if (spec.template !== undefined) out.push(problem(doc, ["spec", "template"], "template must be empty for a Rollout with a workloadRef (the template comes from the workload)"));
  } else {
    if (!isObj(spec.template)) out.push(problem(doc, ["spec", "template"], "spec.template is required (or spec.workloadRef to a Deployment)"));
    if (!isObj(spec.selector)) out.push(problem(doc, ["spec", "selector"], "spec.selector is required"));
    else if (Object.keys(spec.selector).length === 0) out.push(problem(doc, ["spec", "selector"], "this Rollout's selector selects all pods; a non-empty selector is required"));
    else if (isObj(spec.template) && !labelsMatch(spec.selector, spec.template)) {
      out.push(problem(doc, ["spec", "selector"], "the selector does not match the template's labels"));
    }
  }
  const strategy = spec.strategy;
  if (!isObj(strategy) || (strategy.canary === undefined && strategy.blueGreen === undefined)) {
    out.push(problem(doc, ["spec", "strategy"], "spec.strategy needs canary or blueGreen"));
  } else if (strategy.canary !== undefined && strategy.blueGreen !== undefined) {
    out.push(problem(doc, ["spec", "strategy", "blueGreen"], "a Rollout has one strategy: canary or blueGreen, not both"));
  } else if (strategy.canary !== undefined) {
    if (!isObj(strategy.canary)) out.push(problem(doc, ["spec", "strategy", "canary"], "canary must be a map (`canary: {}` rolls like a Deployment with the defaults)"));
    else checkCanary(doc, strategy.canary, ["spec", "strategy", "canary"], out);
  } else if (!isObj(strategy.blueGreen)) {
    out.push(problem(doc, ["spec", "strategy", "blueGreen"], "blueGreen must be a map with activeService"));
  } else {
    checkBlueGreen(doc, strategy.blueGreen, ["spec", "strategy", "blueGreen"], out);
  }
  if (out.some((p) => p.severity === "error")) return { problems: out };
  return { rollout: d as unknown as Rollout, problems: out };
}
