import { describe, expect, it } from "vitest";
import { runInProcess, runLocal, wf } from "./helpers.js";

describe("inputs", () => {
  const inputsWf = (args: string, inputs: string) =>
    wf(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - name: s
            template: t
            ${args}
      - name: t
        inputs:
          parameters: ${inputs}
        container: {image: alpine, command: [echo, "{{inputs.parameters.p}}"]}
    `);

  it("an argument overrides the default; the default applies without one; `value` is fixed", async () => {
    const withArg = await runInProcess(inputsWf("arguments: {parameters: [{name: p, value: given}]}", "[{name: p, default: dflt}]"));
    expect(withArg.node("wf[0].s").inputs?.parameters).toEqual([{ name: "p", value: "given" }]);
    const noArg = await runInProcess(inputsWf("", "[{name: p, default: dflt}]"));
    expect(noArg.node("wf[0].s").inputs?.parameters).toEqual([{ name: "p", value: "dflt" }]);
    const fixed = await runInProcess(inputsWf("", "[{name: p, value: fixed}]"));
    expect(fixed.node("wf[0].s").inputs?.parameters).toEqual([{ name: "p", value: "fixed" }]);
  });

  it("a missing input is an Error node `inputs.parameters.p was not supplied` that errors its step group", async () => {
    const r = await runInProcess(inputsWf("", "[{name: p}]"));
    const s = r.node("wf[0].s");
    expect(s).toMatchObject({ type: "Skipped", phase: "Error", message: "inputs.parameters.p was not supplied" });
    const groupMessage = "step group deemed errored due to child wf[0].s error: inputs.parameters.p was not supplied";
    expect(r.node("wf[0]")).toMatchObject({ phase: "Error", message: groupMessage });
    expect(r.node("wf")).toMatchObject({ phase: "Failed", message: groupMessage });
    expect(r.status.phase).toBe("Failed");
    expect(r.status.message).toBe(groupMessage);
  });

  it("in a DAG the task's message says which task errored", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - {name: A, template: t}
            - {name: B, depends: A, template: t, arguments: {parameters: [{name: p, value: x}]}}
        - name: t
          inputs: {parameters: [{name: p}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.p}}"]}
      `),
    );
    expect(r.node("wf.A")).toMatchObject({ phase: "Error", message: "task 'wf.A' errored: inputs.parameters.p was not supplied" });
    expect(r.node("wf.B").phase).toBe("Omitted");
    expect(r.status.phase).toBe("Error");
  });

  it("with a retryStrategy, a missing input is still one Error node, not a failed attempt", async () => {
    const r = await runInProcess(inputsWf("", "[{name: p}]").replace("- name: t\n    inputs", "- name: t\n    retryStrategy: {limit: 3}\n    inputs"));
    expect(r.run.spec.templates?.find((t) => t.name === "t")?.retryStrategy).toEqual({ limit: 3 });
    expect(r.node("wf[0].s")).toMatchObject({ type: "Skipped", phase: "Error" });
    expect(r.has("wf[0].s(0)")).toBe(false);
  });

  it("enum: a value in the enum runs, one outside is an Error naming the value", async () => {
    const ok = await runInProcess(inputsWf("arguments: {parameters: [{name: p, value: b}]}", "[{name: p, enum: [a, b]}]"));
    expect(ok.status.phase).toBe("Succeeded");
    const bad = await runInProcess(inputsWf("arguments: {parameters: [{name: p, value: z}]}", "[{name: p, enum: [a, b]}]"));
    const s = bad.node("wf[0].s");
    expect(s.phase).toBe("Error");
    expect(s.message).toContain("z");
    expect(bad.status.phase).not.toBe("Succeeded");
  });

  it("workflow arguments reach the entrypoint's inputs; -p overrides them", async () => {
    const spec = wf(`
      entrypoint: t
      arguments: {parameters: [{name: p, value: from-spec}]}
      templates:
      - name: t
        inputs: {parameters: [{name: p}]}
        container: {image: alpine, command: [echo, "{{inputs.parameters.p}}|{{workflow.parameters.p}}"]}
    `);
    const r = await runLocal(spec);
    expect(r.log("wf")).toEqual(["from-spec|from-spec"]);
    const o = await runLocal(spec, { parameters: { p: "from-cli" } });
    expect(o.log("wf")).toEqual(["from-cli|from-cli"]);
  });

  it("values with quotes, newlines and backslashes survive substitution", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        arguments:
          parameters:
          - name: p
            value: |-
              say "hi" \\ and
              {"k": 'v'}
        templates:
        - name: t
          inputs: {parameters: [{name: p}]}
          container: {image: alpine, command: [printf, "%s", "{{inputs.parameters.p}}"]}
      `),
    );
    expect(r.log("wf")).toEqual(['say "hi" \\ and', `{"k": 'v'}`]);
  });
});

describe("outputs", () => {
  it("valueFrom.path trims exactly one trailing newline; default applies when the file is missing", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        templates:
        - name: t
          container: {image: alpine, command: [sh, -c, 'printf "one\\n\\n" > /tmp/a; printf "two" > /tmp/b']}
          outputs:
            parameters:
            - {name: a, valueFrom: {path: /tmp/a}}
            - {name: b, valueFrom: {path: /tmp/b}}
            - {name: c, valueFrom: {path: /tmp/none, default: fallback}}
      `),
    );
    expect(r.node("wf").outputs?.parameters).toEqual([
      { name: "a", value: "one\n" },
      { name: "b", value: "two" },
      { name: "c", value: "fallback" },
    ]);
  });

  it("a missing output file without a default makes the node Error", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        templates:
        - name: t
          container: {image: alpine, command: ["true"]}
          outputs: {parameters: [{name: a, valueFrom: {path: /tmp/none}}]}
      `),
    );
    expect(r.node("wf").phase).toBe("Error");
    expect(r.node("wf").message).toMatch(/\/tmp\/none/);
    expect(r.status.phase).toBe("Error");
  });

  it("steps and dag templates export outputs with valueFrom.parameter, expression and default", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: s, template: steps-out}
            - {name: d, template: dag-out}
          - - name: show
              template: show
              arguments:
                parameters:
                - {name: a, value: "{{steps.s.outputs.parameters.from-param}}|{{steps.s.outputs.parameters.from-expr}}|{{steps.s.outputs.parameters.from-default}}"}
                - {name: b, value: "{{steps.d.outputs.parameters.x}}"}
        - name: steps-out
          steps:
          - - {name: gen, template: gen}
          outputs:
            parameters:
            - name: from-param
              valueFrom: {parameter: "{{steps.gen.outputs.parameters.out}}"}
            - name: from-expr
              valueFrom: {expression: "steps.gen.outputs.parameters.out + '!' + string(asInt(steps.gen.exitCode) + 1)"}
            - name: from-default
              valueFrom: {parameter: "{{steps.nothing.outputs.parameters.out}}", default: dflt}
        - name: dag-out
          dag:
            tasks:
            - {name: gen, template: gen}
          outputs:
            parameters:
            - name: x
              valueFrom: {parameter: "{{tasks.gen.outputs.parameters.out}}"}
        - name: gen
          container: {image: alpine, command: [sh, -c, 'echo hello > /tmp/out']}
          outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
        - name: show
          inputs: {parameters: [{name: a}, {name: b}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[1].show").inputs?.parameters).toEqual([
      { name: "a", value: "hello|hello!1|dflt" },
      { name: "b", value: "hello" },
    ]);
    expect(r.node("wf[0].s").outputs?.parameters?.map((p) => p.value)).toEqual(["hello", "hello!1", "dflt"]);
  });

  it("globalName: workflow.outputs.parameters.X is visible to later steps and in status.outputs", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: gen, template: gen}
          - - {name: use, template: use}
        - name: gen
          container: {image: alpine, command: [sh, -c, 'echo -n shared-value > /tmp/out']}
          outputs: {parameters: [{name: out, globalName: my-global, valueFrom: {path: /tmp/out}}]}
        - name: use
          container: {image: alpine, command: [echo, "got {{workflow.outputs.parameters.my-global}}"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.log("wf[1].use")).toEqual(["got shared-value"]);
    expect(r.status.outputs?.parameters).toEqual([{ name: "my-global", value: "shared-value" }]);
  });

  it("outputs.result: stdout without one trailing newline; only the last 256 KiB are kept", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: small, template: small}
            - {name: big, template: big}
          - - {name: use, template: use, arguments: {parameters: [{name: a, value: "{{steps.small.outputs.result}}"}, {name: b, value: "{{steps.big.outputs.result}}"}]}}
        - name: small
          container: {image: alpine, command: [sh, -c, 'printf "line1\\nline2\\n\\n"; echo to-stderr >&2']}
        - name: big
          script:
            image: python
            command: [sh]
            source: |
              head -c 307200 /dev/zero | tr '\\0' 'a'
              printf 'END\\n'
        - name: use
          inputs: {parameters: [{name: a}, {name: b}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0].small").outputs?.result).toBe("line1\nline2\n");
    const big = r.node("wf[0].big").outputs!.result!;
    expect(big.length).toBe(256 * 1024 - 1);
    expect(big.endsWith("aaaEND")).toBe(true);
    expect(r.node("wf[1].use").inputs?.parameters?.[0].value).toBe("line1\nline2\n");
  });

  it("outputs.result is captured only when the calling template mentions it (dotted or bracket form)", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: quiet, template: say}
            - {name: dotted, template: say}
            - {name: bracket-name, template: say}
          - - name: use
              template: use
              arguments: {parameters: [{name: a, value: "{{steps.dotted.outputs.result}}"}, {name: b, value: "{{=steps['bracket-name'].outputs.result}}"}]}
        - name: say
          container: {image: alpine, command: [echo, said]}
        - name: use
          inputs: {parameters: [{name: a}, {name: b}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0].quiet").outputs?.result).toBeUndefined();
    expect(r.log("wf[0].quiet")).toEqual(["said"]);
    expect(r.node("wf[0].dotted").outputs?.result).toBe("said");
    expect(r.node("wf[1].use").inputs?.parameters?.map((p) => p.value)).toEqual(["said", "said"]);
  });

  it("exitCode is a string output, visible as steps.X.exitCode", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: code, template: code, continueOn: {failed: true}}
          - - {name: use, template: use, arguments: {parameters: [{name: c, value: "{{steps.code.exitCode}}"}]}}
        - name: code
          container: {image: alpine, command: [sh, -c, 'exit 123']}
        - name: use
          inputs: {parameters: [{name: c}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.node("wf[0].code")).toMatchObject({ phase: "Failed", message: "Error (exit code 123)" });
    expect(r.node("wf[0].code").outputs?.exitCode).toBe("123");
    expect(r.node("wf[1].use").inputs?.parameters?.[0].value).toBe("123");
    expect(r.status.phase).toBe("Succeeded");
  });
});
