import { describe, expect, it } from "vitest";
import { planHistoryPrune, type FinishedRun } from "../../src/schedules/history.js";

const run = (name: string, phase: FinishedRun["phase"], minute: number): FinishedRun => ({
  name,
  phase,
  finishedAt: new Date(Date.UTC(2024, 0, 1, 0, minute)),
});

// Finished in this order: s1 f1 s2 e1 s3 s4 f2 s5 (listed shuffled, as a store might return them).
const history = [run("s3", "Succeeded", 5), run("f1", "Failed", 2), run("s1", "Succeeded", 1), run("s5", "Succeeded", 9), run("e1", "Error", 4), run("s2", "Succeeded", 3), run("f2", "Failed", 7), run("s4", "Succeeded", 6)];

describe("planHistoryPrune", () => {
  it.each<[string, { successfulJobsHistoryLimit?: number; failedJobsHistoryLimit?: number }, string[]]>([
    ["defaults keep 3 succeeded and 1 failed (Error counts as failed)", {}, ["s2", "s1", "e1", "f1"]],
    ["custom limits", { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 2 }, ["s4", "s3", "s2", "s1", "f1"]],
    ["zero keeps none", { successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }, ["s5", "s4", "s3", "s2", "s1", "f2", "e1", "f1"]],
    ["limits above the counts keep all", { successfulJobsHistoryLimit: 10, failedJobsHistoryLimit: 10 }, []],
    ["a negative limit means the default", { successfulJobsHistoryLimit: -1, failedJobsHistoryLimit: -5 }, ["s2", "s1", "e1", "f1"]],
  ])("%s", (_title, limits, expected) => {
    expect(planHistoryPrune(limits, history)).toEqual(expected);
  });

  it("keeps the input order between runs that finished at the same moment", () => {
    const tied = [run("a", "Failed", 1), run("b", "Failed", 1), run("c", "Failed", 1)];
    expect(planHistoryPrune({}, tied)).toEqual(["b", "c"]);
  });
});
