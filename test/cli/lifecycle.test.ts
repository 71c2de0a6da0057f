/**
 * A run's life through the real command: Ctrl-C (SIGINT) stops it like `argo stop`, a second one
 * terminates it; a run killed with SIGKILL is continued by `tiphys resume`; `tiphys retry` re-runs only
 * what failed; suspend steps wait for `tiphys resume` from another process, or for their duration.
 *
 * Steps that must leave a trace for the test append to files in the test's workspace, which is
 * outside /tmp (each step has a private /tmp).
 */
import { describe, expect, test } from "vitest";
import { describeResult, linesOf, nodeByName, parseJson, until, workspace, type WorkflowJson } from "./helpers.js";

const STOPPABLE = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: stoppable
spec:
  entrypoint: main
  onExit: cleanup
  templates:
  - name: main
    steps:
    - - name: first
        template: quick
    - - name: long
        template: sleeper
    - - name: after
        template: quick
  - name: quick
    container: {image: alpine, command: [echo, quick-done]}
  - name: sleeper
    container: {image: alpine, command: [sh, -c, "echo sleeper-started; sleep 60; echo sleeper-finished"]}
  - name: cleanup
    container: {image: alpine, command: [sh, -c, "CLEANUP"]}
`;

describe.concurrent("Ctrl-C", () => {
  test("the first stops the run like `argo stop`: running step killed, exit handler runs, Failed, exit 1", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("stoppable.yaml", STOPPABLE.replace("CLEANUP", "echo cleanup-ran status={{workflow.status}}"));
    const run = ws.spawn(["run", file, "-o", "json"], { timeoutMs: 40_000 });
    await run.waitFor(/long: sleeper-started/);
    const interruptedAt = Date.now();
    run.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - interruptedAt, "stopping must not wait for the 60 s step").toBeLessThan(15_000);
    expect(r.code, describeResult(r)).toBe(1);
    // The killed step's processes are gone by the time the command returns.
    expect(ws.liveProcesses()).toEqual([]);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Failed");
    expect(wf.status.message).toBe("Stopped with strategy 'Stop'");
    expect(nodeByName(wf, "stoppable[0].first").phase).toBe("Succeeded");
    expect(nodeByName(wf, "stoppable[1].long")).toMatchObject({ phase: "Failed", message: "Stopped with strategy 'Stop'" });
    expect(r.stderr).not.toContain("sleeper-finished");
    // No new step starts after a stop, but the exit handler runs, and sees the workflow Failed.
    expect(Object.values(wf.status.nodes).some((n) => n.name === "stoppable[2].after" && n.phase === "Succeeded")).toBe(false);
    expect(r.stderr).not.toMatch(/after: quick-done/);
    expect(nodeByName(wf, "stoppable.onExit")).toMatchObject({ phase: "Succeeded", templateName: "cleanup" });
    expect(r.stderr).toMatch(/onExit: cleanup-ran status=Failed/);
    // What `tiphys get` shows afterwards is the same final state.
    const get = parseJson((await ws.run(["get", "stoppable", "-o", "json"])).stdout);
    expect(get.status).toMatchObject({ phase: "Failed", message: "Stopped with strategy 'Stop'" });
  }, 60_000);

  test("a second one terminates: the exit handler is killed too", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("stoppable.yaml", STOPPABLE.replace("CLEANUP", "echo cleanup-started; sleep 60; echo cleanup-finished"));
    const run = ws.spawn(["run", file, "-o", "json"], { timeoutMs: 40_000 });
    await run.waitFor(/long: sleeper-started/);
    run.kill("SIGINT");
    await run.waitFor(/onExit: cleanup-started/);
    const secondAt = Date.now();
    run.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - secondAt, "terminating must not wait for the 60 s exit handler").toBeLessThan(15_000);
    expect(r.code, describeResult(r)).toBe(1);
    expect(ws.liveProcesses()).toEqual([]);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Failed");
    expect(wf.status.message).toBe("Stopped with strategy 'Terminate'");
    expect(nodeByName(wf, "stoppable.onExit").phase).toBe("Failed");
    expect(r.stderr).not.toContain("cleanup-finished");
  }, 60_000);
});

describe.concurrent("tiphys stop / terminate from another process", () => {
  test("stop: the running step is killed and the exit handler still runs; a run not running cannot be stopped", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("stoppable.yaml", STOPPABLE.replace("CLEANUP", "echo cleanup-ran"));
    const run = ws.spawn(["run", file, "-o", "json"], { timeoutMs: 40_000 });
    await run.waitFor(/long: sleeper-started/);
    const stop = await ws.run(["stop", "stoppable"]);
    expect(stop.code, describeResult(stop)).toBe(0);
    expect(stop.stdout).toBe("stop requested for stoppable\n");
    const r = await run.done;
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(wf.status).toMatchObject({ phase: "Failed", message: "Stopped with strategy 'Stop'" });
    expect(nodeByName(wf, "stoppable.onExit").phase).toBe("Succeeded");
    expect(ws.liveProcesses()).toEqual([]);
    const again = await ws.run(["stop", "stoppable"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('run "stoppable" is not running');
  }, 60_000);

  test("terminate: no exit handler", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("stoppable.yaml", STOPPABLE.replace("CLEANUP", "echo cleanup-ran"));
    const run = ws.spawn(["run", file, "-o", "json"], { timeoutMs: 40_000 });
    await run.waitFor(/long: sleeper-started/);
    const term = await ws.run(["terminate", "stoppable"]);
    expect(term.code, describeResult(term)).toBe(0);
    const r = await run.done;
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(wf.status).toMatchObject({ phase: "Failed", message: "Stopped with strategy 'Terminate'" });
    expect(Object.values(wf.status.nodes).some((n) => n.name === "stoppable.onExit" && n.phase === "Succeeded")).toBe(false);
    expect(r.stderr).not.toContain("cleanup-ran");
  }, 60_000);
});

describe.concurrent("exit handlers", () => {
  test("a failing exit handler fails a workflow that succeeded, with the handler's message", async (ctx) => {
    const ws = workspace(ctx);
    const text = STOPPABLE.replace("CLEANUP", "echo cleaning; exit 4").replace("sleep 60", "true");
    const r = await ws.run(["run", ws.write("exit-fails.yaml", text), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(nodeByName(wf, "stoppable").phase).toBe("Succeeded");
    expect(nodeByName(wf, "stoppable.onExit")).toMatchObject({ phase: "Failed", message: "Error (exit code 4)" });
    expect(wf.status).toMatchObject({ phase: "Failed", message: "Error (exit code 4)" });
  }, 60_000);
});

/** Three steps; the second waits at a gate file, so a test can kill the run while it runs. */
const RESUMABLE = `apiVersion: argoproj.io/v1alpha1
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
`;

describe.concurrent("a run killed mid-way, continued with tiphys resume", () => {
  test("completed steps are not run again, and the run finishes Succeeded", async (ctx) => {
    const ws = workspace(ctx);
    const counter = ws.path("counter");
    const gate = ws.path("gate");
    const file = ws.write(
      "resumable.yaml",
      RESUMABLE,
    );
    const run = ws.spawn(["run", file, "-p", `counter=${counter}`, "-p", `gate=${gate}`], { timeoutMs: 40_000 });
    await run.waitFor(/two: waiting-at-gate/);
    run.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    // That the killed run's step ends by itself is the next test's subject; here, make sure of it.
    ws.killAll();
    expect(linesOf(counter)).toEqual(["one"]);

    const before = parseJson((await ws.run(["get", "resumable", "-o", "json"])).stdout);
    expect(before.status.phase).toBe("Running");
    expect(nodeByName(before, "resumable[0].one").phase).toBe("Succeeded");

    ws.write("gate", "");
    const resumed = await ws.run(["resume", "resumable", "-o", "json"], { timeoutMs: 30_000 });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    const wf = parseJson(resumed.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(linesOf(counter)).toEqual(["one", "two", "three"]);
    expect(nodeByName(wf, "resumable[0].one").phase).toBe("Succeeded");
    expect(nodeByName(wf, "resumable[2].three").phase).toBe("Succeeded");
    // Continued, not restarted: the run keeps its start time and its node ids.
    expect(wf.status.startedAt).toBe(before.status.startedAt);
    expect(nodeByName(wf, "resumable[0].one").id).toBe(nodeByName(before, "resumable[0].one").id);
    const again = await ws.run(["resume", "resumable"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already finished (Succeeded)");
  }, 60_000);

  test("the step it was running does not keep running beside the copy `tiphys resume` starts", async (ctx) => {
    // Argo never runs two pods for one node: a controller that restarts adopts the running pod. A
    // local run cannot adopt a process, so the step that was running must end with the process that
    // ran it: the step spawner kills its steps when the engine's end of its pipe closes.
    const ws = workspace(ctx);
    const counter = ws.path("counter");
    const gate = ws.path("gate");
    const file = ws.write(
      "resumable.yaml",
      RESUMABLE,
    );
    const run = ws.spawn(["run", file, "-p", `counter=${counter}`, "-p", `gate=${gate}`], { timeoutMs: 40_000 });
    await run.waitFor(/two: waiting-at-gate/);
    run.kill("SIGKILL");
    await run.done;
    await until(() => ws.liveProcesses().length === 0, "the killed run's step to end", 10_000);
    ws.write("gate", "");
    const resumed = await ws.run(["resume", "resumable", "-o", "json"], { timeoutMs: 30_000 });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(linesOf(counter)).toEqual(["one", "two", "three"]);
  }, 60_000);
});

describe.concurrent("tiphys retry", () => {
  test("re-runs only the failed node, and succeeds once -p fixes the failure", async (ctx) => {
    const ws = workspace(ctx);
    const counter = ws.path("counter");
    const file = ws.write(
      "retryable.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: retryable-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: counter
    - name: ok
      value: "no"
  templates:
  - name: main
    steps:
    - - name: prepare
        template: prepare
    - - name: check
        template: check
  - name: prepare
    container:
      image: alpine
      command: [sh, -c, "echo prepare >> {{workflow.parameters.counter}}"]
  - name: check
    container:
      image: alpine
      command: [sh, -c, "echo check >> {{workflow.parameters.counter}}; test {{workflow.parameters.ok}} = yes"]
`,
    );
    const first = await ws.run(["run", file, "-p", `counter=${counter}`, "-o", "json"]);
    expect(first.code, describeResult(first)).toBe(1);
    const failed = parseJson(first.stdout);
    const name = failed.metadata.name;
    expect(nodeByName(failed, `${name}[1].check`).phase).toBe("Failed");
    expect(linesOf(counter)).toEqual(["prepare", "check"]);

    // Same input, same failure: only `check` ran again.
    const second = await ws.run(["retry", name, "-o", "json"]);
    expect(second.code, describeResult(second)).toBe(1);
    expect(parseJson(second.stdout).status.phase).toBe("Failed");
    expect(linesOf(counter)).toEqual(["prepare", "check", "check"]);

    const fixed = await ws.run(["retry", name, "-p", "ok=yes", "-o", "json"]);
    expect(fixed.code, describeResult(fixed)).toBe(0);
    const wf = parseJson(fixed.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(wf.metadata.name).toBe(name);
    expect(nodeByName(wf, `${name}[0].prepare`).id).toBe(nodeByName(failed, `${name}[0].prepare`).id);
    expect(linesOf(counter)).toEqual(["prepare", "check", "check", "check"]);

    const notFailed = await ws.run(["retry", name]);
    expect(notFailed.code).toBe(2);
    expect(notFailed.stderr).toContain("only Failed or Error runs can be retried");
  }, 60_000);
});

const SUSPENDING = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: approval
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: build
        template: say
        arguments: {parameters: [{name: text, value: built}]}
    - - name: approve
        template: wait
    - - name: deploy
        template: say
        arguments: {parameters: [{name: text, value: deployed}]}
  - name: wait
    suspend: SUSPEND
  - name: say
    inputs:
      parameters: [{name: text}]
    container: {image: alpine, command: [echo, "{{inputs.parameters.text}}"]}
`;

/** Polls `tiphys get` until the node is in the phase. */
async function waitForNode(ws: ReturnType<typeof workspace>, run: string, node: string, phase: string): Promise<WorkflowJson> {
  return until(async () => {
    const r = await ws.run(["get", run, "-o", "json"]);
    if (r.code !== 0) return false;
    const wf = parseJson(r.stdout);
    return Object.values(wf.status.nodes).some((n) => n.name === node && n.phase === phase) ? wf : false;
  }, `${node} to be ${phase}`);
}

describe.concurrent("suspend", () => {
  test("suspend: {} waits until `tiphys resume RUN` from another process", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("approval.yaml", SUSPENDING.replace("SUSPEND", "{}"));
    const run = ws.spawn(["run", file, "-o", "json"], { timeoutMs: 40_000 });
    const waiting = await waitForNode(ws, "approval", "approval[1].approve", "Running");
    expect(nodeByName(waiting, "approval[1].approve").type).toBe("Suspend");
    // It really waits: still running a while later, and deploy has not started.
    await new Promise((r) => setTimeout(r, 1500));
    expect(run.exited).toBe(false);
    expect(run.stderr).not.toContain("deployed");

    const resume = await ws.run(["resume", "approval"]);
    expect(resume.code, describeResult(resume)).toBe(0);
    expect(resume.stdout).toBe("resume requested for approval\n");
    const r = await run.done;
    expect(r.code, describeResult(r)).toBe(0);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(nodeByName(wf, "approval[1].approve").phase).toBe("Succeeded");
    expect(nodeByName(wf, "approval[2].deploy").phase).toBe("Succeeded");
    expect(r.stderr).toMatch(/deploy: deployed/);
  }, 60_000);

  test("suspend: {} of a run whose process was killed: tiphys resume carries it on to the end", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("approval.yaml", SUSPENDING.replace("SUSPEND", "{}"));
    const run = ws.spawn(["run", file], { timeoutMs: 40_000 });
    await waitForNode(ws, "approval", "approval[1].approve", "Running");
    run.kill("SIGKILL");
    await run.done;
    const resumed = await ws.run(["resume", "approval", "-o", "json"], { timeoutMs: 30_000 });
    expect(resumed.code, describeResult(resumed)).toBe(0);
    const wf = parseJson(resumed.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(nodeByName(wf, "approval[2].deploy").phase).toBe("Succeeded");
    const logs = await ws.run(["logs", "approval"]);
    expect(logs.stdout).toBe("build: built\ndeploy: deployed\n");
  }, 60_000);

  test("suspend: {duration: 1s} continues by itself", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("approval.yaml", SUSPENDING.replace("SUSPEND", '{duration: "1s"}'));
    const started = Date.now();
    const r = await ws.run(["run", file, "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(nodeByName(wf, "approval[1].approve")).toMatchObject({ type: "Suspend", phase: "Succeeded" });
    expect(nodeByName(wf, "approval[2].deploy").phase).toBe("Succeeded");
  }, 60_000);
});
