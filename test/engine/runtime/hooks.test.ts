import { describe, expect, it } from "vitest";
import { childNames, runInProcess, runLocal, wf } from "./helpers.js";

const behaviour = (s: { argv: string[] }) => (s.argv.some((a) => a.includes("fail")) ? 1 : 0);

describe("workflow onExit", () => {
  const exitWf = (entry: string, exit: string) =>
    wf(`
      entrypoint: main
      onExit: exit-handler
      templates:
      - name: main
        container: {image: alpine, command: [${entry}]}
      - name: exit-handler
        container: {image: alpine, command: [${exit}]}
    `);

  it("runs after the entrypoint as node wf.onExit and sees the final status", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        onExit: exit-handler
        templates:
        - name: main
          container: {image: alpine, command: [sh, -c, 'sleep 0.2']}
        - name: exit-handler
          container: {image: alpine, command: [echo, "exit saw {{workflow.status}}"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const exit = r.node("wf.onExit");
    expect(exit).toMatchObject({ type: "Pod", templateName: "exit-handler", phase: "Succeeded", displayName: "wf.onExit" });
    expect(r.log("wf.onExit")).toEqual(["exit saw Succeeded"]);
    expect(Date.parse(exit.startedAt!)).toBeGreaterThanOrEqual(Date.parse(r.node("wf").finishedAt!));
  });

  it("a failing exit handler turns a Succeeded workflow Failed, with its message", async () => {
    const r = await runInProcess(exitWf("pass", "fail"), { behaviour });
    expect(r.node("wf").phase).toBe("Succeeded");
    expect(r.node("wf.onExit").phase).toBe("Failed");
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBe(r.node("wf.onExit").message);
  });

  it("a Failed workflow stays Failed whatever the exit handler does, and keeps the entry's message", async () => {
    const ok = await runInProcess(exitWf("fail", "pass"), { behaviour });
    expect(ok.node("wf.onExit").phase).toBe("Succeeded");
    expect(ok.status.phase).toBe("Failed");
    expect(ok.status.message).toBe(ok.node("wf").message);
    const bad = await runInProcess(exitWf("fail", "fail"), { behaviour });
    expect(bad.status.phase).toBe("Failed");
  });

  it("spec.hooks.exit works like onExit, with arguments", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        hooks:
          exit:
            template: exit-handler
            arguments: {parameters: [{name: who, value: "{{workflow.name}}"}]}
        templates:
        - name: main
          container: {image: alpine, command: ["true"]}
        - name: exit-handler
          inputs: {parameters: [{name: who}]}
          container: {image: alpine, command: [echo, "bye {{inputs.parameters.who}}"]}
      `),
    );
    expect(r.log("wf.onExit")).toEqual(["bye wf"]);
    expect(r.status.phase).toBe("Succeeded");
  });
});

describe("step and task exit hooks", () => {
  it("hooks.exit on a step runs after it, with the step's outputs, before the next group", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - name: hello
              template: gen
              hooks:
                exit:
                  template: report
                  arguments: {parameters: [{name: v, value: "{{steps.hello.outputs.parameters.out}}/{{steps.hello.status}}"}]}
          - - {name: after, template: report, arguments: {parameters: [{name: v, value: next}]}}
        - name: gen
          container: {image: alpine, command: [sh, -c, 'echo -n payload > /tmp/out']}
          outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
        - name: report
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.v}}"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const hook = r.node("wf[0].hello.onExit");
    expect(hook).toMatchObject({ phase: "Succeeded", displayName: "hello.onExit", templateName: "report" });
    expect(r.log("wf[0].hello.onExit")).toEqual(["payload/Succeeded"]);
    expect(childNames(r, r.node("wf[0].hello"))).toContain("wf[0].hello.onExit");
    expect(Date.parse(r.node("wf[1].after").startedAt!)).toBeGreaterThanOrEqual(Date.parse(hook.finishedAt!));
  });

  it("legacy onExit on a failed step still runs; the failure still fails the workflow", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: bad, template: bad, onExit: cleanup}
        - name: bad
          container: {image: alpine, command: [fail]}
        - name: cleanup
          container: {image: alpine, command: [pass]}
      `),
      { behaviour },
    );
    expect(r.node("wf[0].bad.onExit").phase).toBe("Succeeded");
    expect(r.status.phase).toBe("Failed");
  });

  it("DAG tasks: legacy onExit and hooks.exit with the task's outputs", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - {name: A, template: gen, onExit: report-plain}
            - name: B
              depends: A
              template: gen
              hooks:
                exit:
                  template: report
                  arguments: {parameters: [{name: v, value: "{{tasks.B.outputs.parameters.out}}"}]}
        - name: gen
          container: {image: alpine, command: [sh, -c, 'echo -n from-gen > /tmp/out']}
          outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
        - name: report
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.v}}"]}
        - name: report-plain
          container: {image: alpine, command: [echo, plain]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf.A.onExit")).toMatchObject({ phase: "Succeeded", displayName: "A.onExit" });
    expect(r.log("wf.B.onExit")).toEqual(["from-gen"]);
  });
});

describe("lifecycle hooks", () => {
  it("a step hook with an expression fires once, in parallel with its step", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - name: work
              template: slow
              hooks:
                running:
                  expression: steps["work"].status == "Running"
                  template: note
                done:
                  expression: steps["work"].status == "Succeeded"
                  template: note
                never:
                  expression: steps["work"].status == "Failed"
                  template: note
                always:
                  expression: "true"
                  template: note
        - name: slow
          container: {image: alpine, command: [sh, -c, 'sleep 0.5; date +%s%N']}
        - name: note
          container: {image: alpine, command: [sh, -c, 'date +%s%N']}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const hooks = r.nodes.filter((n) => n.name.startsWith("wf[0].work.hooks."));
    expect(hooks.map((h) => h.name).sort()).toEqual(["wf[0].work.hooks.always", "wf[0].work.hooks.done", "wf[0].work.hooks.running"]);
    // An expression that holds at every evaluation still fires its hook once.
    expect(r.log("wf[0].work.hooks.always")).toHaveLength(1);
    expect(hooks.every((h) => h.phase === "Succeeded")).toBe(true);
    const running = BigInt(r.log("wf[0].work.hooks.running")[0]);
    const workEnd = BigInt(r.log("wf[0].work")[0]);
    const done = BigInt(r.log("wf[0].work.hooks.done")[0]);
    // The Running hook ran while the step slept; the Succeeded one after it.
    expect(running < workEnd).toBe(true);
    expect(done > workEnd).toBe(true);
  });

  it("workflow-level hooks fire on workflow.status and the run waits for them", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        hooks:
          started:
            expression: workflow.status == "Running"
            template: note
          succeeded:
            expression: workflow.status == "Succeeded"
            template: note
          failed:
            expression: workflow.status == "Failed"
            template: note
        templates:
        - name: main
          container: {image: alpine, command: ["true"]}
        - name: note
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const hooks = r.nodes.filter((n) => n.name.startsWith("wf.hooks.")).map((n) => [n.name, n.phase]);
    expect(hooks.sort()).toEqual([
      ["wf.hooks.started", "Succeeded"],
      ["wf.hooks.succeeded", "Succeeded"],
    ]);
  });
});
