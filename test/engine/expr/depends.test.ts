import { describe, expect, it } from "vitest";
import {
  dependenciesToDepends,
  DependsError,
  dependsTaskNames,
  evaluateDepends,
  parseDepends,
  type TaskResultView,
} from "../../../src/engine/expr/depends.js";

const views: Record<string, TaskResultView> = {
  ok: { phase: "Succeeded" },
  bad: { phase: "Failed" },
  err: { phase: "Error" },
  skip: { phase: "Skipped" },
  omit: { phase: "Omitted" },
  run: { phase: "Running" },
  daemon: { phase: "Running", daemoned: true },
  "pending-daemon": { phase: "Pending", daemoned: true },
  "loop-mixed": { phase: "Failed", childPhases: ["Succeeded", "Failed"] },
  "loop-failed": { phase: "Failed", childPhases: ["Failed", "Failed"] },
  "loop-ok": { phase: "Succeeded", childPhases: ["Succeeded", "Succeeded"] },
  "loop-empty": { phase: "Succeeded", childPhases: [] },
  "loop-errored": { phase: "Failed", childPhases: ["Failed", "Error"] },
};
const view = (task: string): TaskResultView => {
  const v = views[task];
  if (!v) throw new Error(`no task ${task}`);
  return v;
};
const run = (text: string): boolean => evaluateDepends(parseDepends(text), view);

describe("depends evaluation", () => {
  it.each<[string, boolean]>([
    // a bare name is Succeeded || Skipped || Daemoned
    ["ok", true],
    ["skip", true],
    ["daemon", true],
    ["pending-daemon", false],
    ["bad", false],
    ["err", false],
    ["omit", false],
    ["run", false],
    ["ok.Succeeded", true],
    ["bad.Succeeded", false],
    ["bad.Failed", true],
    ["err.Errored", true],
    ["err.Failed", false],
    ["bad.Errored", false],
    ["skip.Skipped", true],
    ["omit.Omitted", true],
    ["daemon.Daemoned", true],
    ["pending-daemon.Daemoned", false],
    ["ok.Daemoned", false],
    ["loop-mixed.AnySucceeded", true],
    ["loop-mixed.AllFailed", false],
    ["loop-failed.AllFailed", true],
    ["loop-failed.AnySucceeded", false],
    ["loop-ok.AnySucceeded", true],
    ["loop-empty.AllFailed", false],
    ["loop-empty.AnySucceeded", false],
    ["loop-errored.AllFailed", false],
    ["ok.AnySucceeded", false],
    ["bad.AllFailed", false],
    ["loop-mixed", false],
    ["loop-ok", true],
    ["ok && skip", true],
    ["ok && bad", false],
    ["bad || ok", true],
    ["!bad", true],
    ["!bad.Failed", false],
    ["!!ok", true],
    ["ok && (bad.Succeeded || bad.Failed)", true],
    ["(ok || bad) && !omit", true],
    ["ok || bad && omit", true],
    ["(ok || bad) && omit", false],
    ["  ok&&skip  ", true],
    // examples/dag-enhanced-depends.yaml
    ["bad.Succeeded || skip", true],
  ])("%s is %s", (text, want) => {
    expect(run(text)).toBe(want);
  });

  it("short-circuits, so unrelated tasks need not have a view", () => {
    expect(run("ok || missing")).toBe(true);
    expect(run("bad.Succeeded && missing")).toBe(false);
  });
});

describe("depends parsing", () => {
  it.each<[string, string[]]>([
    ["A", ["A"]],
    ["A && B && C", ["A", "B", "C"]],
    ["A && (C.Succeeded || C.Failed)", ["A", "C"]],
    ["should-execute-2.Succeeded || should-not-execute", ["should-execute-2", "should-not-execute"]],
    ["inner-B && inner-C", ["inner-B", "inner-C"]],
    ["b2 && b3 && b4", ["b2", "b3", "b4"]],
    ["producer-1 && producer-2 && producer-3", ["producer-1", "producer-2", "producer-3"]],
    ["task-1.AnySucceeded || task-2.AllFailed", ["task-1", "task-2"]],
    ["A || A.Failed || !A.Omitted", ["A"]],
    ["1st-task", ["1st-task"]],
  ])("%s references %j", (text, names) => {
    expect(dependsTaskNames(parseDepends(text))).toEqual(names);
  });

  it("builds the AST with positions", () => {
    expect(parseDepends("!A.Failed && B")).toEqual({
      kind: "and",
      pos: 10,
      left: { kind: "not", pos: 0, operand: { kind: "task", task: "A", result: "Failed", pos: 1 } },
      right: { kind: "task", task: "B", pos: 13 },
    });
  });

  it.each<[string, RegExp, number]>([
    ["", /unexpected end of expression at offset 0/, 0],
    ["A &&", /unexpected end of expression at offset 4/, 4],
    ["A & B", /unexpected character '&' at offset 2 in depends 'A & B' \(use "&&"\)/, 2],
    ["A | B", /unexpected character '\|' at offset 2.*\(use "\|\|"\)/, 2],
    ["(A && B", /missing '\)' at offset 7/, 7],
    ["A && B)", /unexpected '\)' at offset 6/, 6],
    ["A B", /unexpected 'B' at offset 2/, 2],
    ["A.Foo", /task result 'Foo' for task 'A' is invalid/, 2],
    ["A.succeeded", /task result 'succeeded' for task 'A' is invalid/, 2],
    ["A.", /task result '' for task 'A' is invalid/, 2],
    ["A and B", /unexpected 'and' at offset 2/, 2],
    ["A == B", /unexpected character '='/, 2],
  ])("rejects %j", (text, message, offset) => {
    let err: unknown;
    try {
      parseDepends(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DependsError);
    expect((err as Error).message).toMatch(message);
    expect((err as DependsError).offset).toBe(offset);
  });
});

describe("dependenciesToDepends", () => {
  it.each<[string[], Record<string, { failed?: boolean; error?: boolean }>, string]>([
    [[], {}, ""],
    [["A"], {}, "(A.Succeeded || A.Skipped || A.Daemoned)"],
    [
      ["A", "B"],
      {},
      "(A.Succeeded || A.Skipped || A.Daemoned) && (B.Succeeded || B.Skipped || B.Daemoned)",
    ],
    [["A"], { A: { failed: true } }, "(A.Succeeded || A.Skipped || A.Daemoned || A.Failed)"],
    [["A"], { A: { error: true } }, "(A.Succeeded || A.Skipped || A.Daemoned || A.Errored)"],
    [["A"], { A: { error: true, failed: true } }, "(A.Succeeded || A.Skipped || A.Daemoned || A.Errored || A.Failed)"],
    [["A"], { A: {} }, "(A.Succeeded || A.Skipped || A.Daemoned)"],
  ])("%j with continueOn %j", (deps, continueOn, want) => {
    expect(dependenciesToDepends(deps, (t) => continueOn[t])).toBe(want);
  });

  it("round-trips through parseDepends", () => {
    const text = dependenciesToDepends(["ok", "bad"], (t) => (t === "bad" ? { failed: true } : undefined));
    expect(dependsTaskNames(parseDepends(text))).toEqual(["ok", "bad"]);
    expect(run(text)).toBe(true);
    expect(run(dependenciesToDepends(["ok", "bad"], () => undefined))).toBe(false);
    expect(run(dependenciesToDepends(["err"], () => ({ failed: true })))).toBe(false);
  });
});
