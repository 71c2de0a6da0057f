/**
 * A run killed with SIGKILL: the step it was running must end with it, so `tiphys resume` never runs
 * one node twice at once (Argo never runs two pods for one node).
 */
import { describe, expect, test } from "vitest";
import { describeResult, linesOf, workspace } from "./helpers.js";

describe.concurrent("a run killed with SIGKILL", () => {
  test("the step it was running does not keep running beside the copy `tiphys resume` starts", async (ctx) => {
    // Argo never runs two pods for one node: a controller that restarts adopts the running pod. A
    // local run cannot adopt a process, so the step that was running must end with the process that
    // ran it: the step spawner kills its steps when the engine's end of its pipe closes.
    const ws = workspace(ctx);
    const counter = ws.path("counter");
    const gate = ws.path("gate");
    const file = ws.write(
      "resumable.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: resumable
spec:
  entrypoint: main
  arguments:
    parameters: [{name: counter}, {name: gate}]
  templates:
  - name: main
    steps:
    - - {name: one, template: mark, arguments: {parameters: [{name: tag, value: one}]}}
    - - {name: two, template: gated, arguments: {parameters: [{name: tag, value: two}]}}
    - - {name: three, template: mark, arguments: {parameters: [{name: tag, value: three}]}}
  - name: mark
    inputs:
      parameters: [{name: tag}]
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo {{inputs.parameters.tag}} >> {{workflow.parameters.counter}}"]
  - name: gated
    inputs:
      parameters: [{name: tag}]
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo waiting-at-gate; while [ ! -e {{workflow.parameters.gate}} ]; do sleep 0.1; done; echo {{inputs.parameters.tag}} >> {{workflow.parameters.counter}}"]
`,
    );
    const run = ws.spawn(["run", file, "-p", `counter=${counter}`, "-p", `gate=${gate}`], { timeoutMs: 40_000 });
    await run.waitFor(/two: waiting-at-gate/);
    run.kill("SIGKILL");
    await run.done;
    ws.write("gate", "");
    const resumed = await ws.run(["resume", "resumable", "-o", "json"], { timeoutMs: 30_000 });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(linesOf(counter)).toEqual(["one", "two", "three"]);
  }, 60_000);
});
