import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLocal, wf } from "./helpers.js";

/** Whether a process whose command line contains `marker` is still alive. */
function alive(marker: string): boolean {
  try {
    return execFileSync("pgrep", ["-f", marker], { encoding: "utf8" }).trim() !== "";
  } catch {
    return false;
  }
}

describe("workflow activeDeadlineSeconds", () => {
  it("kills the running step, fails the workflow, and the exit handler still runs", async () => {
    const marker = `deadline-${process.pid}-${Date.now()}`;
    const r = await runLocal(
      wf(`
        entrypoint: main
        activeDeadlineSeconds: 1
        onExit: exit-handler
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - {name: long, template: long}
          - - {name: never, template: long}
        - name: long
          container: {image: alpine, command: [sh, -c, 'sleep 30; echo ${marker}']}
        - name: exit-handler
          container: {image: alpine, command: [sh, -c, 'echo "{{workflow.status}}" > {{workflow.parameters.shared}}/exit']}
      `),
    );
    expect(r.durationMs).toBeLessThan(8000);
    expect(r.status.phase).toBe("Failed");
    const long = r.node("wf[0].long");
    expect(long.phase).toBe("Failed");
    expect(long.message).toBe("Step exceeded its deadline");
    expect(r.has("wf[1].never")).toBe(false);
    expect(r.node("wf.onExit").phase).toBe("Succeeded");
    expect(readFileSync(join(r.ws.shared, "exit"), "utf8").trim()).toBe("Failed");
    expect(alive(marker)).toBe(false);
  });
});

describe("template timeouts", () => {
  it("activeDeadlineSeconds on a container template fails the node with the pod-deadline message", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: slow, template: slow}
        - name: slow
          activeDeadlineSeconds: 1
          container: {image: alpine, command: [sleep, "20"]}
      `),
    );
    expect(r.durationMs).toBeLessThan(6000);
    expect(r.node("wf[0].slow")).toMatchObject({ phase: "Failed", message: "Pod was active on the node longer than the specified deadline" });
    expect(r.status.phase).toBe("Failed");
  });

  it("timeout (a duration string, parameterised) fails the node the same way", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: t, value: 1s}]}
        templates:
        - name: main
          steps:
          - - {name: slow, template: slow}
        - name: slow
          timeout: "{{workflow.parameters.t}}"
          script:
            image: alpine
            command: [sh]
            source: sleep 20
      `),
    );
    expect(r.durationMs).toBeLessThan(6000);
    expect(r.node("wf[0].slow")).toMatchObject({ phase: "Failed", message: "Pod was active on the node longer than the specified deadline" });
    expect(r.status.phase).toBe("Failed");
  });

  it("a step under its timeout succeeds", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: quick
        templates:
        - name: quick
          timeout: 10s
          container: {image: alpine, command: [sh, -c, 'sleep 0.1']}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(existsSync(r.ws.shared)).toBe(true);
  });
});

describe("stop and terminate", () => {
  const longWf = (marker: string) =>
    wf(`
      entrypoint: main
      onExit: exit-handler
      templates:
      - name: main
        steps:
        - - {name: long, template: long}
      - name: long
        container: {image: alpine, command: [sh, -c, 'sleep 30; echo ${marker}']}
      - name: exit-handler
        container: {image: alpine, command: [echo, "exit ran with {{workflow.status}}"]}
    `);

  it("stop (argo stop): the running step is killed, the exit handler still runs, the workflow fails", async () => {
    const marker = `stop-${process.pid}-${Date.now()}`;
    const r = await runLocal(longWf(marker), { onStart: (run) => setTimeout(() => run.stop("Stop"), 400) });
    expect(r.durationMs).toBeLessThan(8000);
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBe("Stopped with strategy 'Stop'");
    expect(r.node("wf[0].long").phase).toBe("Failed");
    expect(r.log("wf.onExit")).toEqual(["exit ran with Failed"]);
    expect(alive(marker)).toBe(false);
  });

  it("terminate (argo terminate): the exit handler does not run", async () => {
    const marker = `term-${process.pid}-${Date.now()}`;
    const r = await runLocal(longWf(marker), { onStart: (run) => setTimeout(() => run.stop("Terminate"), 400) });
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBe("Stopped with strategy 'Terminate'");
    expect(r.has("wf.onExit")).toBe(false);
    expect(alive(marker)).toBe(false);
  });
});
