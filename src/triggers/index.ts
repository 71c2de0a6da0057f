// Which workflows a GitHub event starts: the repo's `.tiphys/**` documents in, a list of runs out.
// Two ways in: Sensors (Argo Events, see sensor.ts) and `tiphys.io/on` annotations (annotations.ts).
// A Workflow with neither never starts. Pure: the caller loads documents and stores `sensorState`.
import { checkAnnotations, matchAnnotations, ON_ANNOTATION } from "./annotations.js";
import { conditionNames } from "./conditions.js";
import type { TriggerEvent } from "./event.js";
import { applyTriggerParameters, TriggerParameterError } from "./parameters.js";
import { evaluateSensor, parseSensor } from "./sensor.js";
import type { FiredTrigger, ParsedSensor, SensorState, TriggerProblem } from "./sensor-types.js";

export type { TriggerEvent } from "./event.js";
export { argoEventContext, argoEventData, eventParameters } from "./event.js";
export { matchAnnotations, checkAnnotations } from "./annotations.js";
export { applyTriggerParameters, evaluateSensor, parseSensor } from "./sensor.js";
export type * from "./sensor-types.js";

export interface TriggerDoc {
  /** Path from the repository root, e.g. `.tiphys/ci.yaml`. */
  file: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  manifest: any;
}

export interface PlannedRun {
  /** The file that defines the workflow (for an inline Sensor resource: the Sensor's file). */
  workflowFile?: string;
  /** A Workflow to submit: a deep copy, trigger parameters applied. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  manifest: any;
  via: "annotation" | "sensor";
  sensor?: string;
  trigger?: string;
  reason: string;
}

/** Sensor name → its satisfied dependencies, carried from one event to the next. */
export type SensorStates = Record<string, SensorState>;

export interface TriggerPlan {
  runs: PlannedRun[];
  problems: TriggerProblem[];
  sensorState: SensorStates;
  skipped: Array<{ name: string; reason: string }>;
}

const ARGO = "argoproj.io/v1alpha1";
const TEMPLATE_KINDS = ["WorkflowTemplate", "ClusterWorkflowTemplate"];
const normalize = (p: string): string => p.replace(/^(\.\/)+/, "");
const docName = (m: { kind?: unknown; metadata?: { name?: unknown; generateName?: unknown } }): string =>
  `${String(m.kind)}/${String(m.metadata?.name ?? m.metadata?.generateName ?? "(unnamed)")}`;

/** The one Workflow of a repo file that a Sensor's `source.file.path` names. */
function workflowInFile(docs: readonly TriggerDoc[], path: string): { manifest?: unknown; reason?: string } {
  const inFile = docs.filter((d) => normalize(d.file) === path);
  if (inFile.length === 0) return { reason: `${path} is not among the .tiphys/ files (Tiphys reads workflows only from .tiphys/**)` };
  const workflows = inFile.filter((d) => d.manifest?.kind === "Workflow");
  if (workflows.length !== 1) return { reason: `${path} holds ${workflows.length} Workflows; the file of an argoWorkflow trigger must hold exactly one` };
  return { manifest: workflows[0].manifest };
}

function sensorRun(sensor: ParsedSensor, f: FiredTrigger, docs: readonly TriggerDoc[]): { run?: PlannedRun; problem?: string } {
  const wf = f.workflow;
  if (!wf) return {};
  const found: { manifest?: unknown; reason?: string } = wf.source === "inline" ? { manifest: wf.manifest } : workflowInFile(docs, wf.file ?? "");
  if (found.manifest === undefined) return { problem: found.reason };
  try {
    const manifest = applyTriggerParameters(found.manifest, f.parameterList);
    const deps = f.consumed.join(", ");
    return {
      run: {
        workflowFile: wf.source === "inline" ? sensor.file : wf.file,
        manifest,
        via: "sensor",
        sensor: sensor.name,
        trigger: f.triggerName,
        reason: `Sensor ${sensor.name}, trigger ${f.triggerName}: ${deps ? `events of ${deps}` : "condition met"}`,
      },
    };
  } catch (e) {
    if (e instanceof TriggerParameterError) return { problem: e.message };
    throw e;
  }
}

function planSensors(docs: readonly TriggerDoc[], ev: TriggerEvent, states: SensorStates, plan: TriggerPlan): ParsedSensor[] {
  const sensors: ParsedSensor[] = [];
  for (const doc of docs) {
    if (doc.manifest?.kind !== "Sensor") continue;
    const { sensor, problems } = parseSensor(doc.manifest, doc.file);
    plan.problems.push(...problems);
    const name = docName(doc.manifest);
    if (!sensor) {
      const first = problems.find((p) => p.severity === "error");
      plan.skipped.push({ name, reason: `not run: ${first ? `${first.path}: ${first.message}` : "invalid"}` });
      // Keep what it was waiting for: a fix in a later commit resumes where it was.
      const kept = states[String(doc.manifest?.metadata?.name)];
      if (kept) plan.sensorState[String(doc.manifest.metadata.name)] = kept;
      continue;
    }
    if (sensors.some((s) => s.name === sensor.name)) {
      plan.problems.push({ file: doc.file, path: "metadata.name", message: `another Sensor is named ${sensor.name}; this one is not run`, severity: "error" });
      continue;
    }
    sensors.push(sensor);
    const result = evaluateSensor(sensor, ev, states[sensor.name] ?? { satisfied: {} });
    plan.sensorState[sensor.name] = result.state;
    for (const f of result.fired) {
      const { run, problem } = sensorRun(sensor, f, docs);
      if (run) plan.runs.push(run);
      if (problem) {
        const path = `spec.triggers[${sensor.triggers.findIndex((t) => t.name === f.triggerName)}].template.argoWorkflow.source`;
        plan.problems.push({ file: sensor.file, path, message: problem, severity: "error" });
        plan.skipped.push({ name: `${name}/${f.triggerName}`, reason: problem });
      }
      if (f.type === "log") plan.skipped.push({ name: `${name}/${f.triggerName}`, reason: "log trigger fired; it starts nothing" });
    }
    for (const f of result.failed) {
      plan.problems.push({ file: sensor.file, path: f.path, message: f.reason, severity: "error" });
      plan.skipped.push({ name: `${name}/${f.triggerName}`, reason: f.reason });
    }
    // Triggers that listen to this event but did not fire: say which filter refused it or what is missing.
    const done = new Set([...result.fired, ...result.failed].map((f) => f.triggerName));
    const listening = sensor.dependencies.filter((d) => d.eventName === ev.name || d.eventName === "*").map((d) => d.name);
    for (const t of sensor.triggers) {
      const names = conditionNames(t.condition);
      if (done.has(t.name) || !names.some((n) => listening.includes(n))) continue;
      const refused = result.unmatched.filter((u) => names.includes(u.dependency)).map((u) => `${u.dependency}: ${u.reason}`);
      const missing = names.filter((n) => result.state.satisfied[n] === undefined);
      const reason = [...refused, ...(missing.length > 0 ? [`waiting for ${missing.join(", ")}`] : [])].join("; ");
      plan.skipped.push({ name: `${name}/${t.name}`, reason });
    }
  }
  return sensors;
}

/** The Workflow an annotated document starts: itself, or a Workflow that references the template. */
function annotatedWorkflow(manifest: { kind: string; metadata?: { name?: string } }): unknown {
  if (manifest.kind === "Workflow") return structuredClone(manifest);
  const name = String(manifest.metadata?.name ?? "");
  const ref: Record<string, unknown> = { name };
  if (manifest.kind === "ClusterWorkflowTemplate") ref.clusterScope = true;
  return { apiVersion: ARGO, kind: "Workflow", metadata: { generateName: `${name}-` }, spec: { workflowTemplateRef: ref } };
}

/**
 * Plans what `event` starts. `docs` are all documents of `.tiphys/**` with their repo paths; a Sensor's
 * `source.file.path` is looked up among them. Returns the runs, the problems found in the documents
 * (a Sensor with errors runs nothing), the new Sensor state, and what did not start and why.
 */
export function planTriggers(docs: readonly TriggerDoc[], event: TriggerEvent, sensorState: SensorStates = {}): TriggerPlan {
  const plan: TriggerPlan = { runs: [], problems: [], sensorState: {}, skipped: [] };
  const sensors = planSensors(docs, event, sensorState, plan);
  const referenced = new Set(
    sensors.flatMap((s) => s.triggers.flatMap((t) => (t.source && t.source.kind !== "inline" ? [t.source.path] : []))),
  );
  for (const doc of docs) {
    const m = doc.manifest;
    if (!m || typeof m !== "object" || m.kind === "Sensor") continue;
    const name = docName(m);
    const on = m.metadata?.annotations?.[ON_ANNOTATION];
    const runnable = m.apiVersion === ARGO && (m.kind === "Workflow" || TEMPLATE_KINDS.includes(m.kind));
    if (on !== undefined && !runnable) {
      plan.problems.push({ file: doc.file, path: `metadata.annotations.${ON_ANNOTATION}`, message: `ignored on a ${String(m.kind)}: only a Workflow or WorkflowTemplate starts on events`, severity: "warning" });
      continue;
    }
    if (!runnable) continue;
    if (on === undefined) {
      if (m.kind === "Workflow" && !referenced.has(normalize(doc.file))) {
        plan.skipped.push({ name, reason: `no ${ON_ANNOTATION} annotation and no Sensor submits it` });
      }
      continue;
    }
    const problems = checkAnnotations(m, doc.file);
    plan.problems.push(...problems);
    const error = problems.find((p) => p.severity === "error");
    if (error) {
      plan.skipped.push({ name, reason: `not run: ${error.path}: ${error.message}` });
      continue;
    }
    const { matched, reason } = matchAnnotations(m, event);
    if (matched) plan.runs.push({ workflowFile: doc.file, manifest: annotatedWorkflow(m), via: "annotation", reason });
    else plan.skipped.push({ name, reason });
  }
  return plan;
}
