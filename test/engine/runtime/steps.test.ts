import { describe, expect, it } from "vitest";
import { childNames, dedent, runInProcess, runLocal, wf } from "./helpers.js";

const ECHO = `
- name: echo
  inputs: {parameters: [{name: msg, default: ""}]}
  container: {image: alpine, command: [sh, -c, 'echo "{{inputs.parameters.msg}}"']}
- name: fail
  container: {image: alpine, command: [sh, -c, 'exit 3']}
- name: missing-file
  container: {image: alpine, command: ["true"]}
  outputs: {parameters: [{name: p, valueFrom: {path: /tmp/nope}}]}
`;

/** A spec body whose `templates:` list is followed by the shared templates above. */
function tmpl(body: string): string {
  return dedent(body) + "\n" + dedent(ECHO);
}

describe("steps: groups", () => {
  it("runs groups in order and the steps of a group in parallel, with Argo's node names and types", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: a, template: sleepy}
            - {name: b, template: sleepy}
          - - {name: c, template: sleepy}
        - name: sleepy
          container: {image: alpine, command: [sh, -c, 'sleep 0.4; date +%s%N']}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const main = r.node("wf");
    expect(main.type).toBe("Steps");
    expect(main.displayName).toBe("wf");
    expect(childNames(r, main)).toEqual(["wf[0]"]);
    const g0 = r.node("wf[0]");
    expect(g0.type).toBe("StepGroup");
    expect(g0.displayName).toBe("[0]");
    expect(childNames(r, g0)).toEqual(["wf[0].a", "wf[0].b"]);
    // Argo links the next group to every outbound node of the previous one.
    expect(childNames(r, r.node("wf[0].a"))).toEqual(["wf[1]"]);
    expect(childNames(r, r.node("wf[0].b"))).toEqual(["wf[1]"]);
    const a = r.node("wf[0].a");
    expect(a).toMatchObject({ type: "Pod", displayName: "a", templateName: "sleepy", boundaryID: "wf", phase: "Succeeded" });
    const t = (n: string) => Date.parse(r.node(n).startedAt!);
    const end = (n: string) => Date.parse(r.node(n).finishedAt!);
    // a and b overlap; c starts after both ended.
    expect(Math.abs(t("wf[0].a") - t("wf[0].b"))).toBeLessThan(1000);
    expect(t("wf[1].c")).toBeGreaterThanOrEqual(Math.max(end("wf[0].a"), end("wf[0].b")) - 1000);
    const startA = BigInt(r.log("wf[0].a")[0]);
    const startB = BigInt(r.log("wf[0].b")[0]);
    const startC = BigInt(r.log("wf[1].c")[0]);
    expect(Number((startA > startB ? startA - startB : startB - startA) / 1_000_000n)).toBeLessThan(350);
    expect(Number((startC - (startA > startB ? startA : startB)) / 1_000_000n)).toBeGreaterThanOrEqual(350);
  });

  it("a failed step fails its group, its steps node and the workflow with `child '<id>' failed`, and later groups do not run", async () => {
    const r = await runInProcess(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: ok, template: echo}
            - {name: bad, template: fail}
          - - {name: never, template: echo}
      `),
      ),
      { behaviour: (s) => (s.argv.join(" ").includes("exit 3") ? 3 : 0) },
    );
    const bad = r.node("wf[0].bad");
    expect(bad.phase).toBe("Failed");
    expect(bad.message).toBe("Error (exit code 3)");
    expect(r.node("wf[0]")).toMatchObject({ phase: "Failed", message: `child '${bad.id}' failed` });
    expect(r.node("wf")).toMatchObject({ phase: "Failed", message: `child '${bad.id}' failed` });
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBe(`child '${bad.id}' failed`);
    expect(r.has("wf[1].never")).toBe(false);
    expect(r.has("wf[1]")).toBe(false);
  });
});

describe("steps: node tree", () => {
  it("the next group hangs under the previous group's outbound nodes (the pods of a nested template)", async () => {
    const r = await runInProcess(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: nested, template: two-pods}
            - {name: plain, template: echo}
          - - {name: last, template: echo}
        - name: two-pods
          steps:
          - - {name: p1, template: echo}
            - {name: p2, template: echo}
      `),
      ),
    );
    expect(r.status.phase).toBe("Succeeded");
    const outbound = ["wf[0].nested[0].p1", "wf[0].nested[0].p2"].map((n) => r.node(n).id);
    expect(r.node("wf[0].nested").outboundNodes).toEqual(outbound);
    for (const n of ["wf[0].nested[0].p1", "wf[0].nested[0].p2", "wf[0].plain"]) expect(childNames(r, r.node(n))).toEqual(["wf[1]"]);
    expect(childNames(r, r.node("wf[0].nested"))).toEqual(["wf[0].nested[0]"]);
    expect(r.node("wf").outboundNodes).toEqual([r.node("wf[1].last").id]);
  });
});

describe("steps: when", () => {
  const whenWf = (when: string, args = "") =>
    wf(
      tmpl(`
      entrypoint: main
      arguments: {parameters: [{name: v, value: "heads"}, {name: n, value: "7"}, {name: path, value: "a-b/c"}${args}]}
      templates:
      - name: main
        steps:
        - - name: s
            template: echo
            when: "${when.replace(/"/g, '\\"')}"
    `),
    );

  const cases: Array<[string, boolean]> = [
    ["{{workflow.parameters.v}} == heads", true],
    ["{{workflow.parameters.v}} == tails", false],
    ["{{workflow.parameters.v}} != tails", true],
    ["{{workflow.parameters.n}} > 5", true],
    ["{{workflow.parameters.n}} < 5", false],
    ["{{workflow.parameters.n}} >= 7 && {{workflow.parameters.n}} <= 7", true],
    ["{{workflow.parameters.v}} =~ '^he'", true],
    ["{{workflow.parameters.v}} !~ '^he'", false],
    ["'{{workflow.parameters.path}}' == 'a-b/c'", true],
    ["({{workflow.parameters.v}} == tails || {{workflow.parameters.n}} == 7) && true", true],
    ["!({{workflow.parameters.n}} == 7)", false],
    ["{{=workflow.parameters.n == '7'}}", true],
  ];
  it.each(cases)("when %s -> runs: %s", async (when, runs) => {
    const r = await runInProcess(whenWf(when));
    expect(r.status.phase).toBe("Succeeded");
    const s = r.node("wf[0].s");
    if (runs) {
      expect(s).toMatchObject({ type: "Pod", phase: "Succeeded" });
    } else {
      expect(s.type).toBe("Skipped");
      expect(s.phase).toBe("Skipped");
      const substituted = when.replace("{{workflow.parameters.v}}", "heads").replace(/\{\{workflow\.parameters\.n\}\}/g, "7");
      expect(s.message).toBe(`when '${substituted}' evaluated false`);
    }
  });

  it("an unquoted value with a dash is arithmetic to govaluate: the step errors", async () => {
    const r = await runInProcess(whenWf("{{workflow.parameters.path}} == a-b/c"));
    const s = r.node("wf[0].s");
    expect(s.phase).toBe("Error");
    expect(s.message).toMatch(/when/i);
    expect(r.status.phase).not.toBe("Succeeded");
  });

  it("a Skipped step leaves its group and the workflow Succeeded, and its status is visible", async () => {
    const r = await runInProcess(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: s, template: echo, when: "1 == 2"}
          - - {name: t, template: echo, arguments: {parameters: [{name: msg, value: "{{steps.s.status}}"}]}}
      `),
      ),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0]").phase).toBe("Succeeded");
    expect(r.node("wf[1].t").inputs?.parameters?.[0].value).toBe("Skipped");
  });
});

describe("steps: continueOn", () => {
  it("continueOn.failed lets the next group run and the workflow succeed", async () => {
    const r = await runInProcess(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: bad, template: fail, continueOn: {failed: true}}
          - - {name: next, template: echo, arguments: {parameters: [{name: msg, value: "{{steps.bad.status}}"}]}}
      `),
      ),
      { behaviour: (s) => (s.argv.join(" ").includes("exit 3") ? 3 : 0) },
    );
    expect(r.node("wf[0].bad").phase).toBe("Failed");
    expect(r.node("wf[0]").phase).toBe("Succeeded");
    expect(r.node("wf[1].next")).toMatchObject({ phase: "Succeeded", inputs: { parameters: [{ name: "msg", value: "Failed" }] } });
    expect(r.status.phase).toBe("Succeeded");
  });

  it("continueOn.error covers an Error (missing output file) but not a Failed step", async () => {
    const errorCase = await runLocal(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: err, template: missing-file, continueOn: {error: true}}
          - - {name: next, template: echo}
      `),
      ),
    );
    expect(errorCase.node("wf[0].err").phase).toBe("Error");
    expect(errorCase.node("wf[1].next").phase).toBe("Succeeded");
    expect(errorCase.status.phase).toBe("Succeeded");

    const failedCase = await runLocal(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: bad, template: fail, continueOn: {error: true}}
          - - {name: next, template: echo}
      `),
      ),
    );
    expect(failedCase.node("wf[0].bad").phase).toBe("Failed");
    expect(failedCase.has("wf[1].next")).toBe(false);
    expect(failedCase.status.phase).toBe("Failed");

    const failedNotCoveringError = await runLocal(
      wf(
        tmpl(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: err, template: missing-file, continueOn: {failed: true}}
      `),
      ),
    );
    expect(failedNotCoveringError.node("wf[0].err").phase).toBe("Error");
    expect(failedNotCoveringError.status.phase).toBe("Failed");
  });
});

describe("steps: failFast", () => {
  it("failFast with parallelism 1 is a sequential loop that stops at the first failure", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          parallelism: 1
          failFast: true
          steps:
          - - name: item
              template: maybe-fail
              arguments: {parameters: [{name: n, value: "{{item}}"}]}
              withItems: [1, 2, 3, 4]
        - name: maybe-fail
          inputs: {parameters: [{name: n}]}
          container: {image: alpine, command: [sh, -c, 'test {{inputs.parameters.n}} -ne 2']}
      `),
    );
    expect(r.status.phase).toBe("Failed");
    expect(r.node("wf[0].item(0:1)").phase).toBe("Succeeded");
    expect(r.node("wf[0].item(1:2)").phase).toBe("Failed");
    // Items after the failure are never created (Argo's checkParallelism refuses them).
    expect(r.has("wf[0].item(2:3)")).toBe(false);
    expect(r.has("wf[0].item(3:4)")).toBe(false);
    expect(r.nodes.filter((n) => n.type === "Pod")).toHaveLength(2);
    expect(r.node("wf")).toMatchObject({ phase: "Failed", message: "template has failed or errored children and failFast enabled" });
    expect(r.status.message).toBe("template has failed or errored children and failFast enabled");
  });

  it("failFast lets running siblings finish (Argo's parallelism-step-fail-fast e2e)", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          parallelism: 2
          failFast: true
          steps:
          - - {name: step1, template: fail}
            - {name: step2, template: sleep}
        - name: fail
          container: {image: alpine, command: [sh, -c, 'exit 1']}
        - name: sleep
          container: {image: alpine, command: [sh, -c, 'sleep 0.5']}
      `),
    );
    expect(r.status.message).toBe("template has failed or errored children and failFast enabled");
    expect(r.node("[0]").phase).toBe("Failed");
    expect(r.node("step1").phase).toBe("Failed");
    expect(r.node("step2").phase).toBe("Succeeded");
  });

  it("without failFast the remaining items still run", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          parallelism: 1
          steps:
          - - name: item
              template: maybe-fail
              arguments: {parameters: [{name: n, value: "{{item}}"}]}
              withItems: [1, 2, 3]
        - name: maybe-fail
          inputs: {parameters: [{name: n}]}
          container: {image: alpine, command: [sh, -c, 'test {{inputs.parameters.n}} -ne 2']}
      `),
    );
    expect(r.status.phase).toBe("Failed");
    expect(r.nodes.filter((n) => n.type === "Pod").map((n) => n.phase)).toEqual(["Succeeded", "Failed", "Succeeded"]);
  });
});
