import { describe, expect, it } from "vitest";
import type { TriggerEvent } from "../../src/triggers/event.js";
import { evaluateSensor, parseSensor } from "../../src/triggers/sensor.js";
import { branchPush, event, oneDependency, payload } from "./helpers.js";

const opened = (): TriggerEvent => event("pull_request", payload("pull_request", "opened"));
const closed = (): TriggerEvent => event("pull_request", payload("pull_request", "closed"));
const pushTo = (ref: string): TriggerEvent => event("push", { ...branchPush(), ref });
const at = (iso: string) => (ev: TriggerEvent): TriggerEvent => ({ ...ev, time: new Date(iso) });

/** Feeds one event to a one-dependency Sensor: did the dependency take it, and if not, why. */
function run(filters: unknown, ev: TriggerEvent, dep: Record<string, unknown> = {}): { matched: boolean; reason?: string } {
  const eventName = (dep.eventName as string | undefined) ?? ev.name;
  const { sensor, problems } = parseSensor(oneDependency(eventName, filters, dep), ".tiphys/s.yaml");
  expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  const r = evaluateSensor(sensor!, ev);
  return { matched: r.matchedDependencies.includes("dep"), reason: r.unmatched[0]?.reason };
}

const str = (path: string, value: string[], comparator?: string) => ({ path, type: "string", value, comparator });
const num = (path: string, value: string[], comparator?: string) => ({ path, type: "number", value, comparator });

describe("data filters", () => {
  it.each<{ what: string; ev: () => TriggerEvent; filters: unknown; matched: boolean }>([
    { what: "string regexes are unanchored: main matches main-2", ev: () => pushTo("refs/heads/main-2"), filters: { data: [str("body.ref", ["main"])] }, matched: true },
    { what: "an anchored regex does not", ev: () => pushTo("refs/heads/main-2"), filters: { data: [str("body.ref", ["^refs/heads/main$"])] }, matched: false },
    { what: "(?i) makes a regex case-insensitive", ev: opened, filters: { data: [str("body.pull_request.base.ref", ["(?i)^MASTER$"])] }, matched: true },
    { what: "OR over values", ev: opened, filters: { data: [str("body.action", ["closed", "opened"])] }, matched: true },
    { what: "no value matches", ev: closed, filters: { data: [str("body.action", ["opened", "synchronize"])] }, matched: false },
    { what: "!= on a string: passes when the regex does not match", ev: opened, filters: { data: [str("body.action", ["closed"], "!=")] }, matched: true },
    { what: "!= on a string: fails when it matches", ev: closed, filters: { data: [str("body.action", ["closed"], "!=")] }, matched: false },
    { what: "headers are lists; their JSON text is matched", ev: opened, filters: { data: [str("headers.X-Github-Event", ["pull_request"])] }, matched: true },
    { what: "number = (default comparator)", ev: opened, filters: { data: [num("body.number", ["2"])] }, matched: true },
    { what: "number >=", ev: opened, filters: { data: [num("body.number", ["2"], ">=")] }, matched: true },
    { what: "number >", ev: opened, filters: { data: [num("body.number", ["2"], ">")] }, matched: false },
    { what: "number <", ev: opened, filters: { data: [num("body.number", ["2.5"], "<")] }, matched: true },
    { what: "number <=", ev: opened, filters: { data: [num("body.number", ["1"], "<=")] }, matched: false },
    { what: "number !=", ev: opened, filters: { data: [num("body.number", ["2"], "!=")] }, matched: false },
    { what: "number: OR over values with a comparator", ev: opened, filters: { data: [num("body.number", ["5", "1"], ">")] }, matched: true },
    { what: "number filter on a word fails", ev: opened, filters: { data: [num("body.action", ["1"])] }, matched: false },
    { what: "bool: ParseBool of the value", ev: opened, filters: { data: [{ path: "body.pull_request.merged", type: "bool", value: ["F"] }] }, matched: true },
    { what: "bool: wrong value", ev: opened, filters: { data: [{ path: "body.pull_request.merged", type: "bool", value: ["true"] }] }, matched: false },
    { what: "bool: OR over values", ev: opened, filters: { data: [{ path: "body.pull_request.merged", type: "bool", value: ["1", "0"] }] }, matched: true },
    { what: "missing path fails", ev: opened, filters: { data: [str("body.nope", [".*"])] }, matched: false },
    { what: "template output is what is compared", ev: opened, filters: { data: [{ ...str("body.action", ["^OPENED$"]), template: "{{ .Input | upper }}" }] }, matched: true },
    {
      what: "data filters are ANDed by default",
      ev: opened,
      filters: { data: [str("body.action", ["opened"]), str("body.pull_request.base.ref", ["^develop$"])] },
      matched: false,
    },
    {
      what: "dataLogicalOperator or: one passing filter is enough, even after a missing path",
      ev: opened,
      filters: { dataLogicalOperator: "or", data: [str("body.nope", ["x"]), str("body.pull_request.base.ref", ["^develop$"]), str("body.action", ["opened"])] },
      matched: true,
    },
    {
      what: "dataLogicalOperator or: none passing",
      ev: closed,
      filters: { dataLogicalOperator: "or", data: [str("body.nope", ["x"]), str("body.action", ["opened"])] },
      matched: false,
    },
  ])("$what", ({ ev, filters, matched }) => {
    expect(run(filters, ev()).matched).toBe(matched);
  });

  it("explains a refusal", () => {
    expect(run({ data: [str("body.action", ["opened", "reopened"])] }, closed()).reason).toBe('body.action is "closed", wanted opened | reopened');
    expect(run({ data: [str("body.nope", ["x"])] }, closed()).reason).toBe("path body.nope does not exist");
    expect(run({ data: [num("body.number", ["3"], ">=")] }, closed()).reason).toBe('body.number is "2", wanted >= 3');
  });
});

describe("exprs, context and time filters", () => {
  const fields = [
    { name: "number", path: "body.number" },
    { name: "action", path: "body.action" },
  ];
  it.each<{ what: string; ev: () => TriggerEvent; filters: unknown; dep?: Record<string, unknown>; matched: boolean }>([
    { what: "expr with bound fields", ev: opened, filters: { exprs: [{ expr: 'number > 1 && action == "opened"', fields }] }, matched: true },
    { what: "expr false", ev: closed, filters: { exprs: [{ expr: 'action == "opened"', fields }] }, matched: false },
    { what: "expr regex match", ev: opened, filters: { exprs: [{ expr: 'action =~ "^op"', fields }] }, matched: true },
    { what: "expr over a missing field fails", ev: opened, filters: { exprs: [{ expr: "x == 1", fields: [{ name: "x", path: "body.nope" }] }] }, matched: false },
    {
      what: "exprs are ANDed by default",
      ev: opened,
      filters: { exprs: [{ expr: "number == 2", fields }, { expr: 'action == "closed"', fields }] },
      matched: false,
    },
    {
      what: "exprLogicalOperator or",
      ev: opened,
      filters: { exprLogicalOperator: "or", exprs: [{ expr: "number == 3", fields }, { expr: 'action == "opened"', fields }] },
      matched: true,
    },
    { what: "context subject is the event name", ev: opened, filters: { context: { subject: "pull_request", type: "github" } }, matched: true },
    { what: "context source is the eventSourceName", ev: opened, filters: { context: { source: "gh" } }, dep: { eventSourceName: "gh" }, matched: true },
    { what: "context mismatch", ev: opened, filters: { context: { subject: "push" } }, matched: false },
    { what: "time inside [start, stop)", ev: () => at("2024-05-01T10:00:00Z")(opened()), filters: { time: { start: "09:00:00", stop: "17:00:00" } }, matched: true },
    { what: "time at stop is outside", ev: () => at("2024-05-01T17:00:00Z")(opened()), filters: { time: { start: "09:00:00", stop: "17:00:00" } }, matched: false },
    { what: "window wraps past midnight (late)", ev: () => at("2024-05-01T23:30:00Z")(opened()), filters: { time: { start: "22:00:00", stop: "06:00:00" } }, matched: true },
    { what: "window wraps past midnight (early)", ev: () => at("2024-05-01T05:59:59Z")(opened()), filters: { time: { start: "22:00:00", stop: "06:00:00" } }, matched: true },
    { what: "window wraps past midnight (midday)", ev: () => at("2024-05-01T12:00:00Z")(opened()), filters: { time: { start: "22:00:00", stop: "06:00:00" } }, matched: false },
    {
      what: "time in an IANA zone (10:00Z is 06:00 in New York in May)",
      ev: () => at("2024-05-01T10:00:00Z")(opened()),
      filters: { time: { start: "05:00:00", stop: "07:00:00", timezone: "America/New_York" } },
      matched: true,
    },
    { what: "no event time: a time filter fails", ev: opened, filters: { time: { start: "00:00:00", stop: "23:59:59" } }, matched: false },
    {
      what: "filtersLogicalOperator and (default): every filter type must pass",
      ev: opened,
      filters: { data: [str("body.action", ["closed"])], exprs: [{ expr: "number == 2", fields }] },
      matched: false,
    },
    {
      what: "filtersLogicalOperator or: one filter type is enough",
      ev: opened,
      filters: { data: [str("body.action", ["closed"])], exprs: [{ expr: "number == 2", fields }] },
      dep: { filtersLogicalOperator: "or" },
      matched: true,
    },
    {
      what: 'eventName "*" takes any event its filters pass',
      ev: () => pushTo("refs/heads/main"),
      filters: { data: [str("headers.X-Github-Event", ['"push"'])] },
      dep: { eventName: "*" },
      matched: true,
    },
  ])("$what", ({ ev, filters, dep, matched }) => {
    expect(run(filters, ev(), dep).matched).toBe(matched);
  });

  it("a dependency ignores other events entirely", () => {
    const { sensor } = parseSensor(oneDependency("pull_request", undefined), "f");
    const r = evaluateSensor(sensor!, pushTo("refs/heads/main"));
    expect(r.matchedDependencies).toEqual([]);
    expect(r.unmatched).toEqual([]);
  });
});
