// An Argo Events Sensor, as Tiphys runs it: read and check the document once (parseSensor), then
// evaluate each GitHub event against it (evaluateSensor), carrying the "satisfied dependencies" state
// from one event to the next.
//
// Tiphys has no EventSources and no event bus. A dependency names a GitHub event in `eventName` (any
// `eventSourceName` is accepted), and its event's data is what Argo's GitHub EventSource would publish
// (see event.ts). Supported trigger types: argoWorkflow (operation submit) and log.
//
// Simplification: the state is one per Sensor, not one per trigger as in Argo. Two triggers that share
// a dependency both fire on the same event, but once one of them consumes the dependency's event, a
// trigger still waiting on it waits for the next one.
import { Checker } from "./check.js";
import { conditionNames, evaluateCondition } from "./conditions.js";
import { parseDependency } from "./dependency-parse.js";
import { argoEventContext, argoEventData, type TriggerEvent } from "./event.js";
import { passesFilters } from "./filters.js";
import { resolveParameters } from "./parameters.js";
import type { FiredTrigger, ParsedSensor, SatisfiedEvent, SensorDependency, SensorEvaluation, SensorState, SensorTrigger, TriggerProblem } from "./sensor-types.js";
import { parseTrigger } from "./trigger-parse.js";

export type * from "./sensor-types.js";
export { applyTriggerParameters, TriggerParameterError } from "./parameters.js";

const IGNORED_SPEC = ["template", "errorOnFailedRound", "eventBusName", "replicas", "revisionHistoryLimit", "loggingFields"];

/**
 * Checks a Sensor document. `sensor` is set only when there is no error: Tiphys runs all of a Sensor
 * or none of it, so a half-understood Sensor never starts anything. Warnings name what is ignored.
 */
export function parseSensor(manifest: unknown, file: string): { sensor?: ParsedSensor; problems: TriggerProblem[] } {
  const c = new Checker(file);
  const doc = c.object(manifest, [], true);
  if (!doc) return { problems: c.problems };
  if (doc.apiVersion !== "argoproj.io/v1alpha1" || doc.kind !== "Sensor") {
    c.error(["kind"], "not an argoproj.io/v1alpha1 Sensor");
    return { problems: c.problems };
  }
  const name = c.string(c.object(doc.metadata, ["metadata"], true)?.name, ["metadata", "name"], true);
  const spec = c.object(doc.spec, ["spec"], true);
  if (!spec) return { problems: c.problems };
  c.keys(spec, ["spec"], ["dependencies", "triggers", ...IGNORED_SPEC]);
  const dependencies: SensorDependency[] = [];
  const depList = c.list(spec.dependencies, ["spec", "dependencies"], true) ?? [];
  if (Array.isArray(spec.dependencies) && depList.length === 0) c.error(["spec", "dependencies"], "needs at least one dependency");
  depList.forEach((raw, i) => {
    const dep = parseDependency(c, raw, ["spec", "dependencies", i]);
    if (!dep) return;
    if (dependencies.some((d) => d.name === dep.name)) c.error(["spec", "dependencies", i, "name"], `dependency "${dep.name}" is defined twice`);
    else dependencies.push(dep);
  });
  const depNames = dependencies.map((d) => d.name);
  const triggers: SensorTrigger[] = [];
  const triggerList = c.list(spec.triggers, ["spec", "triggers"], true) ?? [];
  if (Array.isArray(spec.triggers) && triggerList.length === 0) c.error(["spec", "triggers"], "needs at least one trigger");
  triggerList.forEach((raw, i) => {
    const trigger = parseTrigger(c, raw, i, depNames);
    if (!trigger) return;
    if (triggers.some((t) => t.name === trigger.name)) c.error(["spec", "triggers", i, "template", "name"], `trigger "${trigger.name}" is defined twice`);
    else triggers.push(trigger);
  });
  if (c.hasErrors || !name) return { problems: c.problems };
  return { sensor: { name, file, dependencies, triggers }, problems: c.problems };
}

/** "owner/name" from an https or ssh Git URL, lower-cased; undefined when it does not look like one. */
function repoOfUrl(url: string): string | undefined {
  const m = /^(?:[a-z+]+:\/\/(?:[^@/]+@)?[^/]+\/|[^@\s]+@[^:]+:)([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(url);
  return m?.[1].toLowerCase();
}

function fire(
  t: SensorTrigger,
  events: Record<string, SatisfiedEvent>,
  ev: TriggerEvent,
): { fired: FiredTrigger } | { path: string; reason: string } {
  const consumed = conditionNames(t.condition).filter((n) => events[n] !== undefined);
  const resolved = resolveParameters(t.parameters, events);
  if (!resolved.ok) return { path: resolved.path, reason: resolved.reason };
  const base = {
    triggerName: t.name,
    type: t.type,
    parameters: Object.fromEntries(resolved.list.map((p) => [p.dest, p.value])),
    parameterList: resolved.list,
    consumed,
  };
  const src = t.source;
  if (t.type === "log" || !src) return { fired: base };
  if (src.kind === "inline") return { fired: { ...base, workflow: { source: "inline", manifest: structuredClone(src.manifest) } } };
  if (src.kind === "git" && src.url !== undefined) {
    const here = String(ev.payload?.repository?.full_name ?? "").toLowerCase();
    if (repoOfUrl(src.url) !== here) {
      return {
        path: `spec.triggers[${t.index}].template.argoWorkflow.source.git.url`,
        reason: `${src.url} is not this repository (${here || "unknown"}): Tiphys reads workflows only from the repository of the event`,
      };
    }
  }
  return { fired: { ...base, workflow: { source: "file", file: src.path } } };
}

/**
 * Feeds one event to a Sensor. Each dependency whose eventName is the event's name (or "*") and whose
 * filters pass records the event as its latest; then every trigger that listens to one of those
 * dependencies fires if its condition holds over the recorded events. The events a trigger fires on are
 * consumed (removed from the state), even when it then fails, as Argo does. Pure: returns a new state.
 */
export function evaluateSensor(sensor: ParsedSensor, ev: TriggerEvent, state: SensorState = { satisfied: {} }): SensorEvaluation {
  const data = argoEventData(ev);
  const satisfied: Record<string, SatisfiedEvent> = {};
  for (const dep of sensor.dependencies) {
    const kept = state.satisfied[dep.name];
    if (kept) satisfied[dep.name] = kept;
  }
  const matchedDependencies: string[] = [];
  const unmatched: SensorEvaluation["unmatched"] = [];
  for (const dep of sensor.dependencies) {
    if (dep.eventName !== "*" && dep.eventName !== ev.name) continue;
    const context = argoEventContext(ev, dep.eventSourceName);
    const result = passesFilters(dep, data, context, ev.time);
    if (!result.pass) {
      unmatched.push({ dependency: dep.name, reason: result.reason });
      continue;
    }
    matchedDependencies.push(dep.name);
    satisfied[dep.name] = { eventId: ev.deliveryId ?? "", data, context };
  }
  const fired: FiredTrigger[] = [];
  const failed: SensorEvaluation["failed"] = [];
  const consumed = new Set<string>();
  for (const t of sensor.triggers) {
    // A trigger is evaluated when one of its own dependencies receives an event.
    const names = conditionNames(t.condition);
    if (!names.some((n) => matchedDependencies.includes(n))) continue;
    if (!evaluateCondition(t.condition, (n) => satisfied[n] !== undefined)) continue;
    const outcome = fire(t, satisfied, ev);
    for (const n of names) if (satisfied[n]) consumed.add(n);
    if ("fired" in outcome) fired.push(outcome.fired);
    else failed.push({ triggerName: t.name, ...outcome });
  }
  for (const n of consumed) delete satisfied[n];
  return { matchedDependencies, unmatched, fired, failed, state: { satisfied } };
}
