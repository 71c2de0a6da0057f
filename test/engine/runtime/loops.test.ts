import { describe, expect, it } from "vitest";
import { childNames, runInProcess, runLocal, wf, type RunResult } from "./helpers.js";

/** The `arg` inputs the expanded children of `wf[0].x` received, in loop order. */
function loopArgs(r: RunResult, parent = "wf[0]"): Array<[string, string | undefined]> {
  return childNames(r, r.node(parent)).map((n) => [r.node(n).displayName, r.node(n).inputs?.parameters?.[0]?.value]);
}

const SHOW = `
- name: show
  inputs: {parameters: [{name: arg}]}
  container: {image: alpine, command: [echo, "{{inputs.parameters.arg}}"]}
`;

function loopWf(loop: string, arg = "{{item}}"): string {
  return wf(`
    entrypoint: main
    templates:
    - name: main
      steps:
      - - name: x
          template: show
          arguments: {parameters: [{name: arg, value: '${arg}'}]}
          ${loop}
    ${SHOW.trim().split("\n").join("\n    ")}
  `);
}

describe("withItems", () => {
  it("strings: children named x(i:item) in order, all Succeeded", async () => {
    const r = await runInProcess(loopWf("withItems: [hello, world, 'a(b)c']"));
    expect(r.status.phase).toBe("Succeeded");
    expect(loopArgs(r)).toEqual([
      ["x(0:hello)", "hello"],
      ["x(1:world)", "world"],
      // Argo strips parentheses from the description, not from the value.
      ["x(2:abc)", "a(b)c"],
    ]);
    expect(r.node("wf[0].x(0:hello)")).toMatchObject({ type: "Pod", templateName: "show", boundaryID: "wf" });
  });

  it("numbers and booleans are rendered like Go's %v", async () => {
    const r = await runInProcess(loopWf("withItems: [1, 2.5, true]"));
    expect(loopArgs(r)).toEqual([
      ["x(0:1)", "1"],
      ["x(1:2.5)", "2.5"],
      ["x(2:true)", "true"],
    ]);
  });

  it("maps: item.key, the description sorted as k:v, and {{item}} as JSON with sorted keys", async () => {
    const r = await runInProcess(loopWf("withItems: [{os: debian, ver: 9}, {ver: 18, os: ubuntu}]", "{{item.os}}/{{item.ver}}/{{item}}"));
    expect(loopArgs(r)).toEqual([
      ["x(0:os:debian,ver:9)", 'debian/9/{"os":"debian","ver":9}'],
      ["x(1:os:ubuntu,ver:18)", 'ubuntu/18/{"os":"ubuntu","ver":18}'],
    ]);
  });

  it("lists: {{item}} is the list as JSON", async () => {
    const r = await runInProcess(loopWf("withItems: [[1, 2], [a, b]]"));
    const args = loopArgs(r).map(([, v]) => v);
    expect(args).toEqual(["[1,2]", '["a","b"]']);
    expect(loopArgs(r)[0][0]).toMatch(/^x\(0:/);
  });

  it("an empty list runs nothing: one Skipped node `Skipped, empty params`, and the step Succeeds", async () => {
    const r = await runInProcess(loopWf("withItems: []"));
    expect(r.status.phase).toBe("Succeeded");
    expect(r.nodes.filter((n) => n.type === "Pod")).toHaveLength(0);
    expect(r.node("wf[0].x")).toMatchObject({ type: "Skipped", phase: "Skipped", message: "Skipped, empty params" });
    expect(childNames(r, r.node("wf[0]"))).toEqual(["wf[0].x"]);
  });
});

describe("withSequence", () => {
  const seq = async (s: string) => loopArgs(await runInProcess(loopWf(`withSequence: ${s}`))).map(([, v]) => v);
  it("count from 0", async () => expect(await seq("{count: '3'}")).toEqual(["0", "1", "2"]));
  it("count with start", async () => expect(await seq("{start: '5', count: 2}")).toEqual(["5", "6"]));
  it("start..end inclusive", async () => expect(await seq("{start: '2', end: '4'}")).toEqual(["2", "3", "4"]));
  it("descending when start > end", async () => expect(await seq("{start: '3', end: '1'}")).toEqual(["3", "2", "1"]));
  it("start 1, end 0 counts down", async () => expect(await seq("{start: 1, end: 0}")).toEqual(["1", "0"]));
  it("format %02d", async () => expect(await seq("{start: '8', end: '10', format: 'n%02d'}")).toEqual(["n08", "n09", "n10"]));
  it("count 0 gives nothing to run", async () => {
    const r = await runInProcess(loopWf("withSequence: {count: '0'}"));
    expect(r.nodes.filter((n) => n.type === "Pod")).toHaveLength(0);
    expect(r.node("wf[0].x").phase).toBe("Skipped");
  });
  it("node names carry the formatted item", async () => {
    const r = await runInProcess(loopWf("withSequence: {count: '2', format: 'v%03d'}"));
    expect(childNames(r, r.node("wf[0]"))).toEqual(["wf[0].x(0:v000)", "wf[0].x(1:v001)"]);
  });
});

describe("withParam", () => {
  it("iterates over a step's JSON result, maps give item.key", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: gen, template: gen}
          - - name: x
              template: show
              arguments: {parameters: [{name: arg, value: "{{item.name}}-{{item.n}}"}]}
              withParam: "{{steps.gen.outputs.result}}"
        - name: gen
          script:
            image: python
            command: [sh]
            source: |
              echo '[{"name": "a", "n": 1}, {"name": "b", "n": 2}]'
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(loopArgs(r, "wf[1]")).toEqual([
      ["x(0:n:1,name:a)", "a-1"],
      ["x(1:n:2,name:b)", "b-2"],
    ]);
    expect(r.log("wf[1].x(1:n:2,name:b)")).toEqual(["b-2"]);
  });

  it("a withParam that is not a JSON list is an Error", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: list, value: "not json"}]}
        templates:
        - name: main
          steps:
          - - {name: x, template: show, arguments: {parameters: [{name: arg, value: "{{item}}"}]}, withParam: "{{workflow.parameters.list}}"}
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    // Argo errors the step group itself; the step gets no node.
    expect(r.node("wf[0]")).toMatchObject({ phase: "Error" });
    expect(r.node("wf[0]").message).toMatch(/^withParam value could not be parsed as a JSON list: not json/);
    expect(r.node("wf")).toMatchObject({ phase: "Failed", message: r.node("wf[0]").message });
    expect(r.has("wf[0].x")).toBe(false);
    expect(r.status.phase).toBe("Failed");
  });

  it("an unparsable withParam is ignored when `when` is false", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: list, value: "not json"}]}
        templates:
        - name: main
          steps:
          - - {name: x, template: show, when: "1 == 2", arguments: {parameters: [{name: arg, value: "{{item}}"}]}, withParam: "{{workflow.parameters.list}}"}
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0].x").phase).toBe("Skipped");
  });
});

describe("loop aggregation", () => {
  it("outputs.parameters of a loop: a JSON list of {name: value} maps, and per-parameter lists, in loop order", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - name: gen
              template: gen
              arguments: {parameters: [{name: n, value: "{{item}}"}]}
              withItems: [3, 1, 2]
          - - name: all
              template: show
              arguments: {parameters: [{name: arg, value: "{{steps.gen.outputs.parameters}}"}]}
            - name: one
              template: show
              arguments: {parameters: [{name: arg, value: "{{steps.gen.outputs.parameters.out}}"}]}
            - name: results
              template: show
              arguments: {parameters: [{name: arg, value: "{{steps.gen.outputs.result}}"}]}
        - name: gen
          inputs: {parameters: [{name: n}]}
          script:
            image: alpine
            command: [sh]
            source: |
              sleep 0.{{inputs.parameters.n}}
              echo -n "v{{inputs.parameters.n}}" > /tmp/out
              echo '{"n": {{inputs.parameters.n}}}'
          outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const arg = (n: string) => r.node(n).inputs?.parameters?.[0].value;
    expect(arg("wf[1].all")).toBe('[{"out":"v3"},{"out":"v1"},{"out":"v2"}]');
    expect(arg("wf[1].one")).toBe('["v3","v1","v2"]');
    // JSON object results are embedded as objects.
    expect(arg("wf[1].results")).toBe('[{"n":3},{"n":1},{"n":2}]');
  });

  it("non-JSON results aggregate as strings; a DAG loop aggregates the same way", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - name: gen
              template: gen
              arguments: {parameters: [{name: n, value: "{{item}}"}]}
              withItems: [a, b]
            - name: sum
              depends: gen
              template: show
              arguments: {parameters: [{name: arg, value: "{{tasks.gen.outputs.result}}"}]}
        - name: gen
          inputs: {parameters: [{name: n}]}
          container: {image: alpine, command: [echo, "r-{{inputs.parameters.n}}"]}
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    expect(r.node("wf.sum").inputs?.parameters?.[0].value).toBe('["r-a","r-b"]');
  });

  it("a parent exports a loop's aggregate with valueFrom.parameter", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: inner, template: loop}
          - - {name: use, template: show, arguments: {parameters: [{name: arg, value: "{{steps.inner.outputs.parameters.all}}"}]}}
        - name: loop
          steps:
          - - name: gen
              template: const
              arguments: {parameters: [{name: v, value: "{{item}}"}]}
              withItems: [x, y]
          outputs:
            parameters:
            - name: all
              valueFrom: {parameter: "{{steps.gen.outputs.parameters.v}}"}
        - name: const
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: [sh, -c, "echo {{inputs.parameters.v}} > /tmp/v"]}
          outputs: {parameters: [{name: v, valueFrom: {path: /tmp/v}}]}
        ${SHOW.trim().split("\n").join("\n        ")}
      `),
    );
    expect(r.node("wf[1].use").inputs?.parameters?.[0].value).toBe('["x","y"]');
  });
});
