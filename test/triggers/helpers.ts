// Real webhook payloads from @octokit/webhooks-examples, and small builders for trigger tests.
import { createRequire } from "node:module";
import { parse } from "yaml";
import type { TriggerEvent } from "../../src/triggers/event.js";
import { parseSensor, type ParsedSensor } from "../../src/triggers/sensor.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = any;

const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Array<{ name: string; examples: Payload[] }>;

/** A copy of the first example payload of `name` (with `action`, when given; `pick` chooses among several). */
export function payload(name: string, action?: string, pick: (p: Payload) => boolean = () => true): Payload {
  const all = examples.find((e) => e.name === name)?.examples ?? [];
  const found = all.find((p) => (action === undefined || p.action === action) && pick(p));
  if (!found) throw new Error(`no ${name}${action ? `.${action}` : ""} example`);
  return structuredClone(found);
}

/** The push to refs/heads/master of the examples. */
export const branchPush = (): Payload => payload("push", undefined, (p) => p.ref === "refs/heads/master");
/** The push of refs/tags/simple-tag. */
export const tagPush = (): Payload => payload("push", undefined, (p) => p.ref === "refs/tags/simple-tag" && !p.deleted);

export function event(name: string, body: Payload, extra: Partial<TriggerEvent> = {}): TriggerEvent {
  return { name, action: body.action, payload: body, deliveryId: `delivery-${name}`, ...extra };
}

/** Parses a Sensor written as YAML; fails the test with its problems when it has errors. */
export function sensorOf(yaml: string): ParsedSensor {
  const { sensor, problems } = parseSensor(parse(yaml), ".tiphys/sensor.yaml");
  if (!sensor) throw new Error(`sensor has problems:\n${problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  return sensor;
}

/** A minimal Sensor: one GitHub dependency `dep` with these filters, and a log trigger. */
export function oneDependency(eventName: string, filters: unknown, dep: Record<string, unknown> = {}): Payload {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Sensor",
    metadata: { name: "s" },
    spec: {
      dependencies: [{ name: "dep", eventSourceName: "github", eventName, filters, ...dep }],
      triggers: [{ template: { name: "t", log: {} } }],
    },
  };
}
