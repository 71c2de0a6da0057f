import { describe, expect, it } from "vitest";
import { childNames, runInProcess, wf } from "./helpers.js";

describe("scale and determinism (in-process executor)", () => {
  it("a 2,000-item withItems fan-out: every item Succeeded, named in order, the aggregate in loop order", async () => {
    const items = Array.from({ length: 2000 }, (_, i) => `i${i}`);
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - name: fan
              template: work
              arguments: {parameters: [{name: x, value: "{{item}}"}]}
              withItems: [${items.join(", ")}]
          - - {name: after, template: work, arguments: {parameters: [{name: x, value: done}]}}
        - name: work
          inputs: {parameters: [{name: x}]}
          container: {image: alpine, command: [echo, "{{inputs.parameters.x}}"]}
      `),
      { timeoutMs: 60_000 },
    );
    expect(r.status.phase).toBe("Succeeded");
    const pods = r.nodes.filter((n) => n.type === "Pod");
    expect(pods).toHaveLength(2001);
    expect(pods.every((n) => n.phase === "Succeeded")).toBe(true);
    const names = childNames(r, r.node("wf[0]"));
    expect(names).toHaveLength(2000);
    expect(names.slice(0, 3)).toEqual(["wf[0].fan(0:i0)", "wf[0].fan(1:i1)", "wf[0].fan(2:i2)"]);
    expect(names[1999]).toBe("wf[0].fan(1999:i1999)");
    expect(new Set(r.nodes.map((n) => n.id)).size).toBe(r.nodes.length);
    expect(r.status.progress).toBe("2001/2001");
  });

  it("a 500-task chain runs in order, every task Succeeded", async () => {
    const tasks = Array.from({ length: 500 }, (_, i) => `- {name: t${i}, template: work${i === 0 ? "" : `, depends: t${i - 1}`}}`);
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
        ${tasks.map((t) => "      " + t).join("\n        ")}
        - name: work
          container: {image: alpine, command: ["true"]}
      `),
      { timeoutMs: 60_000 },
    );
    expect(r.status.phase).toBe("Succeeded");
    const pods = r.nodes.filter((n) => n.type === "Pod");
    expect(pods).toHaveLength(500);
    expect(pods.every((n) => n.phase === "Succeeded")).toBe(true);
    // Creation order is the chain order, and each task is its predecessor's only child.
    expect(pods.map((n) => n.displayName)).toEqual(Array.from({ length: 500 }, (_, i) => `t${i}`));
    for (let i = 0; i < 499; i++) expect(childNames(r, r.node(`wf.t${i}`))).toEqual([`wf.t${i + 1}`]);
    expect(r.node("wf").outboundNodes).toEqual([r.node("wf.t499").id]);
  });

  it("the same workflow gives the same node tree twice", async () => {
    const spec = wf(`
      entrypoint: main
      templates:
      - name: main
        dag:
          tasks:
          - {name: a, template: work, arguments: {parameters: [{name: x, value: "{{item}}"}]}, withSequence: {count: "50"}}
          - {name: b, depends: a, template: work, arguments: {parameters: [{name: x, value: b}]}}
          - {name: c, depends: a, template: work, arguments: {parameters: [{name: x, value: c}]}}
          - {name: d, depends: b && c, template: work, arguments: {parameters: [{name: x, value: d}]}}
      - name: work
        inputs: {parameters: [{name: x}]}
        container: {image: alpine, command: [echo, "{{inputs.parameters.x}}"]}
    `);
    const shape = async () => {
      const r = await runInProcess(spec);
      return Object.values(r.status.nodes)
        .map((n) => `${n.name}|${n.type}|${n.phase}|${[...(n.children ?? [])].sort().join(",")}`)
        .sort();
    };
    expect(await shape()).toEqual(await shape());
  });
});
