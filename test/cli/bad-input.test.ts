/**
 * Bad input through the real command: each case ends with a clear message, in bounded time, and
 * nothing hangs (every command runs with a timeout).
 */
import { describe, expect, test } from "vitest";
import { describeResult, nodeByName, parseJson, workspace, type NodeJson, type WorkflowJson } from "./helpers.js";

const head = (name: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ${name}-
`;

/** Argo's ErrMaxDepthExceeded (workflow/controller/operator.go), with its help link. */
const ARGO_MAX_DEPTH = "Maximum recursion depth exceeded. See https://argo-workflows.readthedocs.io/en/latest/scaling/#maximum-recursion-depth";

/** Position (1-based) of the first occurrence of `needle` in `text`. */
function posOf(text: string, needle: string): { line: number; column: number } {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" is not in the fixture`);
  return { line: i + 1, column: lines[i].indexOf(needle) + 1 };
}

function failedNodes(wf: WorkflowJson): NodeJson[] {
  return Object.values(wf.status.nodes).filter((n) => n.phase === "Error" || n.phase === "Failed");
}

describe.concurrent("files tiphys refuses to run (exit 2)", () => {
  test("malformed YAML: file:line:column of the syntax error, reported once", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "malformed.yaml",
      `${head("malformed")}spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]
`,
    );
    const r = await ws.run(["run", file]);
    expect(r.code, describeResult(r)).toBe(2);
    const problems = r.stderr.split("\n").filter((l) => /malformed\.yaml:\d+:\d+: error:/.test(l));
    expect(problems.length, r.stderr).toBe(1);
    expect(problems[0]).toMatch(/malformed\.yaml:(9|10):\d+: error: .*(flow|\}|indent)/i);
    expect((await ws.run(["list"])).stdout).toBe("");
    const lint = await ws.run(["lint", file]);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain(problems[0].trim());
  });

  test("an unknown kind, with a did-you-mean", async (ctx) => {
    const ws = workspace(ctx);
    const text = `${head("kind").replace("kind: Workflow", "kind: Workflo")}spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
`;
    const file = ws.write("kind.yaml", text);
    const { line, column } = posOf(text, "Workflo");
    const r = await ws.run(["run", file]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain(`${file}:${line}:${column}: error: unknown kind "Workflo"`);
    expect(r.stderr).toContain('did you mean "Workflow"?');
  });

  test("an unknown field, with a did-you-mean", async (ctx) => {
    const ws = workspace(ctx);
    const text = `${head("field")}spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      comand: [echo, hi]
`;
    const file = ws.write("field.yaml", text);
    const { line, column } = posOf(text, "comand");
    const r = await ws.run(["run", file]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain(`${file}:${line}:${column}: error: unknown field "comand"`);
    expect(r.stderr).toContain('did you mean "command"?');
  });

  test("a YAML alias bomb is refused quickly, in bounded memory", async (ctx) => {
    const ws = workspace(ctx);
    // Ten levels of nine aliases each: 9^10 (3.4 billion) strings if expanded.
    const levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 10; i++) levels.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(",")}]`);
    const file = ws.write(
      "bomb.yaml",
      `${head("bomb")}  annotations:
    ${levels.join("\n    ")}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
`,
    );
    // A 96 MB heap: expanding the bomb would crash with an out-of-memory error instead of exit 2.
    for (const args of [["run", file], ["lint", file]]) {
      const r = await ws.run(args, { nodeArgs: ["--max-old-space-size=96"], timeoutMs: 20_000 });
      expect(r.timedOut).toBe(false);
      expect(r.code, describeResult(r)).toBe(args[0] === "run" ? 2 : 1);
      expect(r.durationMs).toBeLessThan(5_000);
      expect(args[0] === "run" ? r.stderr : r.stdout).toMatch(/bomb\.yaml:\d+:\d+: error: .*alias/i);
    }
  }, 30_000);

  test("a 10 MB file is refused quickly with its size and the limit", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "big.yaml",
      `${head("big")}  annotations:
    padding: "${"x".repeat(10 * 1024 * 1024)}"
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
`,
    );
    const r = await ws.run(["run", file], { nodeArgs: ["--max-old-space-size=96"], timeoutMs: 20_000 });
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.durationMs).toBeLessThan(5_000);
    const problems = r.stderr.split("\n").filter((l) => l.includes("error:"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/big\.yaml:1:1: error: file too large \(\d{8} bytes, limit \d+/);
  }, 30_000);
});

describe.concurrent("runs that must end, not hang", () => {
  test("a template that calls itself forever ends at Argo's maximum recursion depth", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "forever.yaml",
      `${head("forever")}spec:
  entrypoint: again
  templates:
  - name: again
    steps:
    - - name: deeper
        template: again
`,
    );
    const r = await ws.run(["run", file, "-o", "json"], { timeoutMs: 30_000 });
    expect(r.timedOut, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Failed");
    const deepest = failedNodes(wf).filter((n) => n.phase === "Error");
    expect(deepest).toHaveLength(1);
    expect(deepest[0].message).toBe(ARGO_MAX_DEPTH);
    // Argo counts template calls on its stack (the entrypoint is 1) and refuses the call that makes it
    // 100 (operator.go: currentStackDepth >= maxStackDepth): the 99th nested step. Its name shows it.
    expect(deepest[0].name.split(".deeper").length - 1).toBe(99);
  }, 40_000);

  test("a templateRef loop between two WorkflowTemplates ends the same way", async (ctx) => {
    const ws = workspace(ctx);
    ws.write(
      "templates/ping-pong.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: ping
spec:
  templates:
  - name: ping
    steps:
    - - name: to-pong
        templateRef: {name: pong, template: pong}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: pong
spec:
  templates:
  - name: pong
    steps:
    - - name: to-ping
        templateRef: {name: ping, template: ping}
`,
    );
    const file = ws.write(
      "loop.yaml",
      `${head("loop")}spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: start
        templateRef: {name: ping, template: ping}
`,
    );
    const r = await ws.run(["run", file, "--templates", ws.path("templates"), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.timedOut, describeResult(r)).toBe(false);
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(["Failed", "Error"]).toContain(wf.status.phase);
    expect(failedNodes(wf).filter((n) => n.phase === "Error").map((n) => n.message)).toEqual([ARGO_MAX_DEPTH]);
  }, 40_000);

  test("a `from` artifact that does not exist: the step errors naming it", async (ctx) => {
    const ws = workspace(ctx);
    const text = `${head("from")}spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: produce
        template: produce
        when: "1 == 2"
    - - name: consume
        template: consume
        arguments:
          artifacts:
          - name: data
            from: "{{steps.produce.outputs.artifacts.report}}"
  - name: produce
    container: {image: alpine, command: [sh, -c, "echo hi > /tmp/report.txt"]}
    outputs:
      artifacts:
      - {name: report, path: /tmp/report.txt}
  - name: consume
    inputs:
      artifacts:
      - {name: data, path: /tmp/in.txt}
    container: {image: alpine, command: [cat, /tmp/in.txt]}
`;
    const r = await ws.run(["run", ws.write("from.yaml", text), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).not.toBe("Succeeded");
    const errored = failedNodes(wf).filter((n) => n.phase === "Error");
    expect(errored.map((n) => n.message).join("\n")).toMatch(/Unable to resolve: \{\{steps\.produce\.outputs\.artifacts\.report\}\}/);
  }, 40_000);

  test("an output artifact the step did not write: the step errors, the next one does not run", async (ctx) => {
    const ws = workspace(ctx);
    const text = `${head("noartifact")}spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: produce
        template: produce
    - - name: consume
        template: consume
        arguments:
          artifacts:
          - name: data
            from: "{{steps.produce.outputs.artifacts.report}}"
  - name: produce
    container: {image: alpine, command: [sh, -c, "echo forgot to write it"]}
    outputs:
      artifacts:
      - {name: report, path: /tmp/report.txt}
  - name: consume
    inputs:
      artifacts:
      - {name: data, path: /tmp/in.txt}
    container: {image: alpine, command: [cat, /tmp/in.txt]}
`;
    const r = await ws.run(["run", ws.write("noartifact.yaml", text), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    const name = wf.metadata.name;
    expect(nodeByName(wf, `${name}[0].produce`)).toMatchObject({ phase: "Error" });
    expect(nodeByName(wf, `${name}[0].produce`).message).toMatch(/\/tmp\/report\.txt.*no such file or directory/);
    expect(Object.values(wf.status.nodes).some((n) => n.name === `${name}[1].consume`)).toBe(false);
  }, 40_000);

  test("a command that is not installed: node Error naming the command, workflow Error", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "nocmd.yaml",
      `${head("nocmd")}spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [tiphys-no-such-command, --version]}
`,
    );
    const r = await ws.run(["run", file, "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(1);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Error");
    const node = wf.status.nodes[wf.metadata.name];
    expect(node).toMatchObject({ type: "Pod", phase: "Error" });
    expect(node.message).toMatch(/tiphys-no-such-command.*not found/);
    expect(wf.status.message).toMatch(/tiphys-no-such-command/);
  }, 40_000);
});

describe.concurrent("templates that need what a local run does not have", () => {
  const RESOURCE = `${head("resource")}spec:
  entrypoint: main
  templates:
  - name: main
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          generateName: made-by-tiphys-
`;
  const PLUGIN = `${head("plugin")}spec:
  entrypoint: main
  templates:
  - name: main
    plugin:
      hello:
        text: world
`;

  for (const [kind, text, missing] of [
    ["resource", RESOURCE, /Kubernetes cluster/],
    ["plugin", PLUGIN, /executor plugins/],
  ] as const) {
    test(`a ${kind} template: lint passes with a warning, run refuses before anything runs, naming what is missing`, async (ctx) => {
      const ws = workspace(ctx);
      const file = ws.write(`${kind}.yaml`, text);
      const lint = await ws.run(["lint", file]);
      expect(lint.code, describeResult(lint)).toBe(0);
      const warnings = lint.stdout.split("\n").filter((l) => l.includes(": warning: "));
      expect(warnings.length).toBeLessThanOrEqual(1);
      for (const w of warnings) expect(w).toMatch(new RegExp(`^${file}:\\d+:\\d+: warning: .*${kind}`));

      const r = await ws.run(["run", file, "-o", "json"], { timeoutMs: 30_000 });
      expect(r.code, describeResult(r)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(new RegExp(`template "main" is a ${kind} template`));
      expect(r.stderr).toMatch(missing);
      // Nothing ran: no run was recorded.
      const list = await ws.run(["list"]);
      expect(list.stdout.trim()).toBe("");
    });
  }

  test("a step before the resource template does not run either", async (ctx) => {
    const ws = workspace(ctx);
    const marker = ws.path("ran");
    const file = ws.write(
      "mixed.yaml",
      `${head("mixed")}spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: touch}
    - - {name: second, template: make}
  - name: touch
    container: {image: busybox, command: [touch, "${marker}"]}
  - name: make
    resource:
      action: create
      manifest: "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}"
`,
    );
    const r = await ws.run(["run", file], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toMatch(/template "make" is a resource template/);
    const { existsSync } = await import("node:fs");
    expect(existsSync(marker)).toBe(false);
  });
});
