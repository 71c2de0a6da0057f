import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeStatus, WorkflowManifest } from "../../../src/engine/model/types.js";
import { loadRun, RunJournal } from "../../../src/engine/runtime/run-store.js";

const WF: WorkflowManifest = { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", metadata: { name: "wf" }, spec: { entrypoint: "main" } };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function journal(): { j: RunJournal; data: string } {
  const data = mkdtempSync(join(tmpdir(), "tiphys-journal-"));
  dirs.push(data);
  return { j: RunJournal.create(data, { name: "wf", createdAt: "2026-11-23T00:00:00Z", executor: "test" }, WF), data };
}

function node(id: string, phase: NodeStatus["phase"], children?: string[]): NodeStatus {
  return { id, name: id, displayName: id, type: "Pod", phase, children };
}

describe("RunJournal", () => {
  it("writes a node changed several times in one batch once, with its latest state", () => {
    const { j, data } = journal();
    const n = node("a", "Pending");
    j.recordNode(n);
    n.phase = "Running";
    j.recordNode(n);
    n.phase = "Succeeded";
    j.recordNode(n);
    j.close();
    const lines = readFileSync(join(data, "runs", "wf", "nodes.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(loadRun(data, "wf").nodes.a.phase).toBe("Succeeded");
  });

  it("keeps child links written as small lines, once each, in order", () => {
    const { j, data } = journal();
    const parent = node("p", "Running");
    j.recordNode(parent);
    j.flush();
    for (const c of ["c1", "c2", "c1", "c3"]) j.recordChild("p", c);
    j.close();
    expect(loadRun(data, "wf").nodes.p.children).toEqual(["c1", "c2", "c3"]);
  });

  it("a later full record of the parent replaces what the links had added", () => {
    const { j, data } = journal();
    j.recordNode(node("p", "Running"));
    j.flush();
    j.recordChild("p", "c1");
    j.flush();
    j.recordNode(node("p", "Succeeded", ["c1", "c2"]));
    j.recordChild("p", "c2");
    j.close();
    const p = loadRun(data, "wf").nodes.p;
    expect(p.phase).toBe("Succeeded");
    expect(p.children).toEqual(["c1", "c2"]);
  });

  it("a line cut short by a kill loses only itself", () => {
    const { j, data } = journal();
    j.recordNode(node("a", "Succeeded"));
    j.recordNode(node("b", "Running"));
    j.close();
    appendFileSync(join(data, "runs", "wf", "nodes.jsonl"), '{"id":"b","name":"b","phase":"Succ');
    const nodes = loadRun(data, "wf").nodes;
    expect(nodes.a.phase).toBe("Succeeded");
    expect(nodes.b.phase).toBe("Running");
  });

  it("flushes on its own once a batch is large, without waiting for the event loop", () => {
    const { j, data } = journal();
    for (let i = 0; i < 5000; i++) j.recordNode(node(`n${i}`, "Succeeded"));
    // No flush or close yet: the batches of 2,048 are already on disk.
    const lines = readFileSync(join(data, "runs", "wf", "nodes.jsonl"), "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(4096);
    j.close();
    expect(Object.keys(loadRun(data, "wf").nodes)).toHaveLength(5000);
  });
});
