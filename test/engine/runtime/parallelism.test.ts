import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLocal, wf, workspace } from "./helpers.js";

/**
 * A step that records its start and end (ns since the epoch) in `<shared>/<id>`, sleeping in
 * between: the test rebuilds how many steps ran at once from these intervals.
 */
const RECORDER = `
- name: rec
  inputs: {parameters: [{name: id}]}
  script:
    image: alpine
    command: [sh]
    source: |
      s=$(date +%s%N); sleep 0.4; e=$(date +%s%N)
      echo "$s $e" > {{workflow.parameters.shared}}/{{inputs.parameters.id}}
`;

function intervals(shared: string): Array<[number, number]> {
  return readdirSync(shared)
    .filter((f) => !f.startsWith("."))
    .map((f) => readFileSync(join(shared, f), "utf8").trim().split(" ").map((x) => Number(BigInt(x) / 1000n)) as [number, number]);
}

/** The largest number of intervals that overlap at one instant. */
function maxConcurrent(spans: Array<[number, number]>): number {
  const events = spans.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  // Ends sort before starts at the same instant: touching intervals do not overlap.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (cur += d));
  return max;
}

function recorderIndent(n: number): string {
  return RECORDER.trim()
    .split("\n")
    .join("\n" + " ".repeat(n));
}

describe("parallelism", () => {
  it("workflow-level parallelism caps the running pods and is reached", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        parallelism: 2
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - name: x
              template: rec
              arguments: {parameters: [{name: id, value: "{{item}}"}]}
              withItems: [a, b, c, d, e, f]
        ${recorderIndent(8)}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const spans = intervals(r.ws.shared);
    expect(spans).toHaveLength(6);
    expect(maxConcurrent(spans)).toBe(2);
  });

  it("template-level parallelism on a steps template", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          parallelism: 3
          steps:
          - - name: x
              template: rec
              arguments: {parameters: [{name: id, value: "{{item}}"}]}
              withSequence: {count: "7"}
        ${recorderIndent(8)}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const spans = intervals(r.ws.shared);
    expect(spans).toHaveLength(7);
    expect(maxConcurrent(spans)).toBe(3);
  });

  it("template-level parallelism on a DAG template", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          parallelism: 2
          dag:
            tasks:
            - {name: a, template: rec, arguments: {parameters: [{name: id, value: a}]}}
            - {name: b, template: rec, arguments: {parameters: [{name: id, value: b}]}}
            - {name: c, template: rec, arguments: {parameters: [{name: id, value: c}]}}
            - {name: d, template: rec, arguments: {parameters: [{name: id, value: d}]}}
            - {name: e, template: rec, arguments: {parameters: [{name: id, value: e}]}}
        ${recorderIndent(8)}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(maxConcurrent(intervals(r.ws.shared))).toBe(2);
  });

  it("a template's parallelism limits its nested children (parallelism-nested)", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          parallelism: 2
          steps:
          - - name: outer
              template: inner
              arguments: {parameters: [{name: o, value: "{{item}}"}]}
              withItems: ["1", "2", "3"]
        - name: inner
          inputs: {parameters: [{name: o}]}
          steps:
          - - name: x
              template: rec
              arguments: {parameters: [{name: id, value: "{{inputs.parameters.o}}-{{item}}"}]}
              withItems: [a, b]
        ${recorderIndent(8)}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const spans = intervals(r.ws.shared);
    expect(spans).toHaveLength(6);
    // Two `inner` at a time, each running its two pods at once.
    expect(maxConcurrent(spans)).toBe(4);
  });
});

describe("synchronization", () => {
  it("a template-level mutex serialises parallel steps", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - name: x
              template: locked
              arguments: {parameters: [{name: id, value: "{{item}}"}]}
              withItems: [a, b, c]
        - name: locked
          inputs: {parameters: [{name: id}]}
          synchronization: {mutexes: [{name: the-lock}]}
          steps:
          - - {name: rec, template: rec, arguments: {parameters: [{name: id, value: "{{inputs.parameters.id}}"}]}}
        ${recorderIndent(8)}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const spans = intervals(r.ws.shared);
    expect(spans).toHaveLength(3);
    expect(maxConcurrent(spans)).toBe(1);
  });

  it("a workflow-level mutex serialises two runs of the same process", async () => {
    const ws = workspace();
    const spec = (name: string) =>
      wf(
        `
        entrypoint: main
        synchronization: {mutexes: [{name: wf-lock}]}
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - {name: x, template: rec, arguments: {parameters: [{name: id, value: ${name}}]}}
        ${recorderIndent(8)}
      `,
        name,
      );
    const [a, b] = await Promise.all([runLocal(spec("one"), { ws }), runLocal(spec("two"), { ws })]);
    expect([a.status.phase, b.status.phase]).toEqual(["Succeeded", "Succeeded"]);
    const spans = intervals(ws.shared);
    expect(spans).toHaveLength(2);
    expect(maxConcurrent(spans)).toBe(1);
  });

  it("without a mutex the same steps overlap (the measurement can see concurrency)", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - name: x
              template: rec
              arguments: {parameters: [{name: id, value: "{{item}}"}]}
              withItems: [a, b, c]
        ${recorderIndent(8)}
      `),
    );
    expect(maxConcurrent(intervals(r.ws.shared))).toBe(3);
  });
});
