import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dedent, runInProcess, runLocal, wf, workspace } from "./helpers.js";

describe("memoize", () => {
  it("a second run with the same key is a cache hit: Succeeded, cached outputs, no process", async () => {
    const ws = workspace();
    const spec = (name: string, key: string) =>
      wf(
        `
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - {name: m, template: memo, arguments: {parameters: [{name: k, value: ${key}}]}}
        - name: memo
          inputs: {parameters: [{name: k}]}
          memoize:
            key: "m-{{inputs.parameters.k}}"
            maxAge: 1h
            cache: {configMap: {name: my-cache}}
          script:
            image: alpine
            command: [sh]
            source: |
              echo run >> {{workflow.parameters.shared}}/runs
              echo -n "value-{{inputs.parameters.k}}" > /tmp/out
          outputs: {parameters: [{name: out, globalName: memo-out, valueFrom: {path: /tmp/out}}]}
      `,
        name,
      );
    const first = await runLocal(spec("first", "a"), { ws });
    expect(first.node("first[0].m")).toMatchObject({ phase: "Succeeded", memoizationStatus: { hit: false, key: "m-a", cacheName: "my-cache" } });
    const second = await runLocal(spec("second", "a"), { ws });
    const hit = second.node("second[0].m");
    expect(hit).toMatchObject({ phase: "Succeeded", memoizationStatus: { hit: true, key: "m-a", cacheName: "my-cache" } });
    expect(hit.outputs?.parameters).toEqual([{ name: "out", value: "value-a", globalName: "memo-out" }]);
    expect(second.status.outputs?.parameters).toEqual([{ name: "memo-out", value: "value-a" }]);
    expect(readFileSync(join(ws.shared, "runs"), "utf8")).toBe("run\n");
    // Another key misses.
    const third = await runLocal(spec("third", "b"), { ws });
    expect(third.node("third[0].m").memoizationStatus?.hit).toBe(false);
    expect(readFileSync(join(ws.shared, "runs"), "utf8")).toBe("run\nrun\n");
  });

  it("a failed node is not cached", async () => {
    const ws = workspace();
    const spec = (name: string) =>
      wf(
        `
        entrypoint: memo
        templates:
        - name: memo
          memoize: {key: fixed, cache: {configMap: {name: c2}}}
          container: {image: alpine, command: [fail]}
      `,
        name,
      );
    const behaviour = () => 1;
    await runInProcess(spec("one"), { ws, behaviour });
    const again = await runInProcess(spec("two"), { ws, behaviour });
    expect(again.node("two").phase).toBe("Failed");
    expect(again.node("two").memoizationStatus?.hit).not.toBe(true);
  });
});

describe("templateDefaults", () => {
  it("are merged into every template: retryStrategy and container fields, the template winning", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templateDefaults:
          retryStrategy: {limit: 1}
          container:
            env: [{name: GREETING, value: from-defaults}]
        templates:
        - name: main
          steps:
          - - {name: bad, template: bad, continueOn: {failed: true}}
            - {name: show, template: show}
            - {name: own, template: own}
            - {name: script, template: script}
        - name: bad
          container: {image: alpine, command: [sh, -c, 'exit 1']}
        - name: show
          container: {image: alpine, command: [sh, -c, 'echo $GREETING']}
        - name: own
          retryStrategy: {limit: 0}
          container: {image: alpine, command: [sh, -c, 'echo $GREETING'], env: [{name: GREETING, value: own}]}
        - name: script
          script: {image: alpine, command: [sh], source: 'echo script-ran'}
      `),
    );
    // Argo merges the defaults into every template, the steps template too: it gets a Retry node.
    expect(r.node("wf")).toMatchObject({ type: "Retry", phase: "Succeeded" });
    expect(r.node("wf(0)").type).toBe("Steps");
    expect(r.node("wf(0)[0].bad").type).toBe("Retry");
    expect(r.node("wf(0)[0].bad").children).toHaveLength(2);
    expect(r.log("wf(0)[0].show(0)")).toEqual(["from-defaults"]);
    expect(r.node("wf(0)[0].own").children).toHaveLength(1);
    expect(r.log("wf(0)[0].own(0)")).toEqual(["own"]);
    // A container default does not turn a script template into a container one.
    expect(r.log("wf(0)[0].script(0)")).toEqual(["script-ran"]);
  });
});

const LIBRARY = dedent(`
  apiVersion: argoproj.io/v1alpha1
  kind: WorkflowTemplate
  metadata: {name: lib}
  spec:
    entrypoint: outer
    arguments:
      parameters:
      - {name: greeting, value: hello-from-template}
      - {name: target, value: world}
    templates:
    - name: outer
      inputs: {parameters: [{name: who, default: lib-default}]}
      steps:
      - - {name: call-inner, template: inner, arguments: {parameters: [{name: who, value: "{{inputs.parameters.who}}"}]}}
    - name: inner
      inputs: {parameters: [{name: who}]}
      container: {image: alpine, command: [echo, "inner says {{inputs.parameters.who}} / {{workflow.parameters.greeting}} {{workflow.parameters.target}}"]}
`);

describe("templateRef and workflowTemplateRef", () => {
  it("templateRef runs a WorkflowTemplate's template; its own template: refs resolve in its scope", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: greeting, value: hi}, {name: target, value: there}]}
        templates:
        - name: main
          steps:
          - - name: use-lib
              templateRef: {name: lib, template: outer}
              arguments: {parameters: [{name: who, value: caller}]}
        # A template of the same name in the workflow must not be picked for the library's call.
        - name: inner
          container: {image: alpine, command: [echo, WRONG]}
      `),
      { templates: LIBRARY },
    );
    expect(r.status.phase).toBe("Succeeded");
    const useLib = r.node("wf[0].use-lib");
    expect(useLib).toMatchObject({ type: "Steps", templateRef: { name: "lib", template: "outer" } });
    expect(useLib.templateName).toBeUndefined();
    expect(r.log("wf[0].use-lib[0].call-inner")).toEqual(["inner says caller / hi there"]);
  });

  it("a missing templateRef is an Error naming the WorkflowTemplate", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: x, templateRef: {name: nowhere, template: t}}
      `),
    );
    expect(r.node("wf[0].x").phase).toBe("Error");
    expect(r.node("wf[0].x").message).toContain("nowhere");
  });

  it("workflowTemplateRef runs the template's spec with the workflow's arguments merged over its own", async () => {
    const r = await runLocal(
      dedent(`
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: from-ref}
        spec:
          workflowTemplateRef: {name: lib}
          arguments: {parameters: [{name: target, value: overridden}]}
      `),
      { templates: LIBRARY },
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.log("from-ref[0].call-inner")).toEqual(["inner says lib-default / hello-from-template overridden"]);
  });
});

describe("recursion", () => {
  it("stops at Argo's depth of 100 template calls with its message", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: again
        templates:
        - name: again
          steps:
          - - {name: again, template: again}
      `),
      { timeoutMs: 30_000 },
    );
    expect(r.status.phase).toBe("Failed");
    const errored = r.nodes.filter((n) => n.phase === "Error");
    expect(errored).toHaveLength(1);
    const deepest = errored[0];
    expect(deepest.message).toMatch(/^Maximum recursion depth exceeded\. See https:\/\/argo-workflows\.readthedocs\.io\/en\/[^/]+\/scaling\/#maximum-recursion-depth$/);
    // The entrypoint is call 1; the 100th nested call is refused.
    expect(deepest.name.split("[0].again").length - 1).toBe(99);
  });

  it("a recursion that ends on its own (coinflip style) is fine", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: count
        arguments: {parameters: [{name: n, value: "5"}]}
        templates:
        - name: count
          inputs: {parameters: [{name: n}]}
          steps:
          - - name: deeper
              template: count
              when: "{{inputs.parameters.n}} > 0"
              arguments: {parameters: [{name: n, value: "{{=asInt(inputs.parameters.n) - 1}}"}]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.nodes.filter((n) => n.type === "Steps")).toHaveLength(6);
    expect(r.nodes.filter((n) => n.phase === "Skipped")).toHaveLength(1);
  });
});
