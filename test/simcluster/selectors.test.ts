// Label and field selectors.
import { describe, expect, it } from "vitest";
import {
  labelSelectorToString,
  matchesFields,
  matchesLabelSelector,
  matchesLabelSelectorString,
  parseFieldSelector,
} from "../../src/simcluster/selectors.js";
import { ApiError } from "../../src/simcluster/status.js";

const labels = { app: "web", tier: "front", version: "3" };

describe("label selectors", () => {
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["missing!=x", true],
    ["app in (web,db)", true],
    ["app in (db, cache)", false],
    ["app notin (db)", true],
    ["missing notin (db)", true],
    ["tier", true],
    ["missing", false],
    ["!missing", true],
    ["!tier", false],
    ["app=web,tier in (front,back),!legacy", true],
    ["app=web,tier=back", false],
    ["version>2", true],
    ["version<2", false],
  ])("%j → %s", (selector, expected) => {
    expect(matchesLabelSelectorString(selector, labels)).toBe(expected);
  });

  it("refuses a malformed selector with 400", () => {
    expect(() => matchesLabelSelectorString("app in web", labels)).toThrow(ApiError);
    expect(() => matchesLabelSelectorString("=x", labels)).toThrow(/unable to parse requirement/);
  });

  it("matches LabelSelector objects, and prints them in the string form", () => {
    const sel = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In" as const, values: ["front", "back"] }, { key: "legacy", operator: "DoesNotExist" as const }] };
    expect(matchesLabelSelector(sel, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { app: "db" } }, labels)).toBe(false);
    expect(matchesLabelSelector({}, labels)).toBe(true);
    expect(matchesLabelSelector(undefined, labels)).toBe(false);
    expect(labelSelectorToString(sel)).toBe("app=web,tier in (back,front),!legacy");
  });
});

describe("field selectors", () => {
  const pod = { metadata: { name: "p1", namespace: "ns1" }, spec: { nodeName: "n1" }, status: { phase: "Running" } };
  const podFields = ["spec.nodeName", "status.phase"];

  it.each([
    ["metadata.name=p1", true],
    ["metadata.name==p2", false],
    ["metadata.namespace=ns1,status.phase!=Failed", true],
    ["spec.nodeName=", false],
    ["status.phase=Running,spec.nodeName=n1", true],
  ])("%s → %s", (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector, podFields), pod)).toBe(expected);
  });

  it("refuses fields the resource does not support", () => {
    expect(() => parseFieldSelector("spec.replicas=1", podFields)).toThrow(/field label not supported: spec.replicas/);
  });
});
