import { describe, expect, it } from "vitest";
import { assessStepGroup, mayStartChild, workflowPhaseOf } from "../../../src/engine/scheduler/steps.js";

describe("assessStepGroup", () => {
  const cases = [
    { name: "running while a child runs", children: [{ id: "a", phase: "Running" as const }], phase: "Running" },
    { name: "succeeded when all succeeded or were skipped", children: [{ id: "a", phase: "Succeeded" as const }, { id: "b", phase: "Skipped" as const }], phase: "Succeeded" },
    { name: "failed names the failed child", children: [{ id: "a", phase: "Succeeded" as const }, { id: "b", phase: "Failed" as const }], phase: "Failed", message: "child 'b' failed" },
    { name: "continueOn.failed covers Failed", children: [{ id: "a", phase: "Failed" as const, continueOn: { failed: true } }], phase: "Succeeded" },
    { name: "continueOn.failed does not cover Error", children: [{ id: "a", phase: "Error" as const, continueOn: { failed: true } }], phase: "Failed", message: "child 'a' failed" },
    { name: "continueOn.error covers Error", children: [{ id: "a", phase: "Error" as const, continueOn: { error: true } }], phase: "Succeeded" },
    { name: "an empty group (empty loop) succeeds", children: [], phase: "Succeeded" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = assessStepGroup(c.children);
      expect(r.phase).toBe(c.phase);
      expect(r.message).toBe(c.message);
    });
  }
});

describe("mayStartChild", () => {
  it("honours parallelism", () => {
    expect(mayStartChild({ running: 2, parallelism: 2, anyFailed: false })).toBe(false);
    expect(mayStartChild({ running: 1, parallelism: 2, anyFailed: false })).toBe(true);
    expect(mayStartChild({ running: 100, anyFailed: false })).toBe(true);
  });
  it("stops new children after a failure only with failFast", () => {
    expect(mayStartChild({ running: 0, failFast: true, anyFailed: true })).toBe(false);
    expect(mayStartChild({ running: 0, failFast: false, anyFailed: true })).toBe(true);
  });
});

describe("workflowPhaseOf", () => {
  const cases: Array<[Parameters<typeof workflowPhaseOf>[0], Parameters<typeof workflowPhaseOf>[1], string]> = [
    ["Succeeded", undefined, "Succeeded"],
    ["Skipped", undefined, "Succeeded"],
    ["Omitted", undefined, "Succeeded"],
    ["Failed", undefined, "Failed"],
    ["Error", undefined, "Error"],
    ["Succeeded", "Failed", "Failed"],
    ["Succeeded", "Error", "Error"],
    ["Failed", "Succeeded", "Failed"],
    ["Failed", "Error", "Failed"],
    ["Error", "Failed", "Error"],
  ];
  for (const [entry, exit, want] of cases) {
    it(`entry ${entry}, exit handler ${exit ?? "none"} → ${want}`, () => expect(workflowPhaseOf(entry, exit)).toBe(want));
  }
});
