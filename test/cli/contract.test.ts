/**
 * The CLI contract of issue 2, through the real command: exit codes, `-o json`, parameters and the
 * other `run` flags, the kinds `run` accepts, Argo's names and messages, and the commands that read a
 * run back (`get`, `list`, `logs`) or check a file (`lint`).
 */
import { describe, expect, test } from "vitest";
import { argoNodeId, argoShapeProblems, CORPUS, describeResult, linesOf, nodeByName, nodesOfType, parseJson, workspace, type NodeJson, type WorkflowJson } from "./helpers.js";

const HELLO = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: message
      value: default-message
  templates:
  - name: main
    inputs:
      parameters:
      - name: message
        value: "{{workflow.parameters.message}}"
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo \\"said: {{inputs.parameters.message}}\\"; echo \\"computed-$((6 * 7))\\""]
`;

const FAILING_STEPS = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: failing
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: fine
        template: ok
    - - name: broken
        template: exit-3
  - name: ok
    container: {image: alpine, command: [echo, fine]}
  - name: exit-3
    container: {image: alpine, command: [sh, -c, "echo about to fail; exit 3"]}
`;

/** Runs `tiphys run` with `-o json` and parses the Workflow it prints. */
async function runJson(ws: ReturnType<typeof workspace>, args: string[], timeoutMs = 30_000) {
  const r = await ws.run(["run", ...args, "-o", "json"], { timeoutMs });
  let wf: WorkflowJson;
  try {
    wf = parseJson(r.stdout);
  } catch (err) {
    throw new Error(`stdout is not one JSON document (${(err as Error).message})\n${describeResult(r)}`);
  }
  return { r, wf };
}

describe.concurrent("exit codes", () => {
  test("0 when the workflow Succeeded", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", ws.write("hello.yaml", HELLO)]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/Status:\s+Succeeded/);
  });

  test("1 when it Failed, with the pod's exit code in the node message", async (ctx) => {
    const ws = workspace(ctx);
    const { r, wf } = await runJson(ws, [ws.write("failing.yaml", FAILING_STEPS)]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(wf.status.phase).toBe("Failed");
    expect(nodeByName(wf, "failing[1].broken")).toMatchObject({ phase: "Failed", message: "Error (exit code 3)", outputs: { exitCode: "3" } });
  });

  test("2 for invalid input: a file that does not validate starts no run", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "cycle.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: cycle-
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo, depends: b}
      - {name: b, template: echo, depends: a}
  - name: echo
    container: {image: alpine, command: [echo, hi]}
`,
    );
    const r = await ws.run(["run", file]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toMatch(/cycle\.yaml:\d+:\d+: error: .*(cycle|circular)/i);
    const list = await ws.run(["list"]);
    expect(list.stdout).toBe("");
  });

  test("2 for bad flags and arguments", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("hello.yaml", HELLO);
    const cases: Array<[string[], RegExp]> = [
      [["run", file, "--parallelism", "0"], /positive integer/],
      [["run", file, "-o", "yaml"], /yaml.*invalid|choices/i],
      [["run", file, "-p", "no-equals-sign"], /expected name=value/],
      [["run"], /missing required argument 'file'/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["run", ws.path("missing.yaml")], /missing\.yaml:1:1: error: cannot read/],
      [["get", "no-such-run"], /run "no-such-run" not found/],
    ];
    for (const [args, message] of cases) {
      const r = await ws.run(args);
      expect(r.code, `${args.join(" ")}\n${describeResult(r)}`).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});

describe.concurrent("tiphys run", () => {
  test("-o json prints only the Workflow on stdout; the steps' logs go to stderr", async (ctx) => {
    const ws = workspace(ctx);
    const { r, wf } = await runJson(ws, [ws.write("hello.yaml", HELLO)]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout.trimStart().startsWith("{")).toBe(true);
    expect(wf.kind).toBe("Workflow");
    expect(wf.status.phase).toBe("Succeeded");
    expect(argoShapeProblems(wf)).toEqual([]);
    // "computed-42" exists only once the step ran (the spec says $((6 * 7))): a log line, on stderr.
    expect(r.stderr).toMatch(/: computed-42$/m);
    expect(r.stderr).toContain(`run ${wf.metadata.name}`);
    const outsideJson = r.stdout.replace(/"result": ".*"/g, "");
    expect(outsideJson).not.toContain("computed-42");
  });

  test("text output: the logs, then the summary and the node tree, on stdout", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", ws.write("hello.yaml", HELLO)]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/^hello-\w{5}: said: default-message$/m);
    expect(r.stdout).toMatch(/Name:\s+hello-\w{5}/);
    expect(r.stdout).toMatch(/Status:\s+Succeeded/);
    expect(() => JSON.parse(r.stdout)).toThrow();
  });

  test("-p name=value overrides a workflow argument", async (ctx) => {
    const ws = workspace(ctx);
    const { r, wf } = await runJson(ws, [ws.write("hello.yaml", HELLO), "-p", "message=from the command line"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toMatch(/: said: from the command line$/m);
    expect(r.stderr).not.toContain("default-message");
    expect((wf.spec.arguments as { parameters: Array<{ name: string; value: string }> }).parameters).toEqual([{ name: "message", value: "from the command line" }]);
  });

  test("-p with a name the workflow does not declare: exit 2, naming it and the declared ones", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", ws.write("hello.yaml", HELLO), "-p", "mesage=typo"]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain('parameter "mesage" is not declared in spec.arguments.parameters (declared: message)');
    expect((await ws.run(["list"])).stdout).toBe("");
  });

  test("--parameter-file reads a YAML map; -p wins over it", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("hello.yaml", HELLO);
    const params = ws.write("params.yaml", "# arguments for hello\nmessage: from the file\n");
    const a = await runJson(ws, [file, "--parameter-file", params]);
    expect(a.r.code, describeResult(a.r)).toBe(0);
    expect(a.r.stderr).toMatch(/: said: from the file$/m);
    const b = await runJson(ws, [file, "--parameter-file", params, "-p", "message=from -p"]);
    expect(b.r.stderr).toMatch(/: said: from -p$/m);
    const bad = await ws.run(["run", file, "--parameter-file", ws.write("bad.yaml", "nope: 1\n")]);
    expect(bad.code, describeResult(bad)).toBe(2);
    expect(bad.stderr).toContain('parameter "nope" is not declared');
  });

  test("--entrypoint runs another template; one that does not exist is invalid input (exit 2)", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "two.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: two-
spec:
  entrypoint: first
  templates:
  - name: first
    container: {image: alpine, command: [echo, ran-first]}
  - name: second
    container: {image: alpine, command: [echo, ran-second]}
`,
    );
    const { r, wf } = await runJson(ws, [file, "--entrypoint", "second"]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(wf.spec.entrypoint).toBe("second");
    expect(wf.status.nodes[wf.metadata.name].templateName).toBe("second");
    expect(r.stderr).toContain("ran-second");
    expect(r.stderr).not.toContain("ran-first");
    const bad = await ws.run(["run", file, "--entrypoint", "third"]);
    expect(bad.code, describeResult(bad)).toBe(2);
    expect(bad.stderr).toMatch(/third/);
    expect(bad.stderr).toMatch(/first, second/);
  });

  test("--parallelism 1 runs the parallel steps of a group one at a time", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "par.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: par-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: trace}]
  templates:
  - name: main
    steps:
    - - {name: a, template: work, arguments: {parameters: [{name: tag, value: a}]}}
      - {name: b, template: work, arguments: {parameters: [{name: tag, value: b}]}}
      - {name: c, template: work, arguments: {parameters: [{name: tag, value: c}]}}
  - name: work
    inputs:
      parameters: [{name: tag}]
    container:
      image: alpine
      command: [sh, -c]
      args: ["echo start >> {{workflow.parameters.trace}}; sleep 1; echo end >> {{workflow.parameters.trace}}"]
`,
    );
    const serial = ws.path("serial.trace");
    const a = await runJson(ws, [file, "-p", `trace=${serial}`, "--parallelism", "1"]);
    expect(a.r.code, describeResult(a.r)).toBe(0);
    expect(a.wf.spec.parallelism).toBe(1);
    expect(linesOf(serial)).toEqual(["start", "end", "start", "end", "start", "end"]);
    const parallel = ws.path("parallel.trace");
    const b = await runJson(ws, [file, "-p", `trace=${parallel}`]);
    expect(b.r.code, describeResult(b.r)).toBe(0);
    expect(linesOf(parallel).slice(0, 3)).toEqual(["start", "start", "start"]);
  });

  test("a CronWorkflow file runs its workflowSpec once, as a Workflow named after it", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "cron.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedules: ["* * * * *"]
  concurrencyPolicy: Replace
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: alpine, command: [echo, cron-ran]}
`,
    );
    const { r, wf } = await runJson(ws, [file]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(wf.kind).toBe("Workflow");
    expect(wf.metadata.generateName).toBe("nightly-");
    expect(wf.metadata.name).toMatch(/^nightly-[a-z0-9]{5}$/);
    expect(wf.status.phase).toBe("Succeeded");
    expect(nodesOfType(wf, "Pod")).toHaveLength(1);
    expect(r.stderr.match(/cron-ran/g)).toHaveLength(1);
    expect((await ws.run(["list"])).stdout.trim().split("\n")).toHaveLength(1);
  });

  test("a WorkflowTemplate file runs as `argo submit --from workflowtemplate/NAME` would", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "wft.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greeter
spec:
  entrypoint: greet
  arguments:
    parameters: [{name: who, value: world}]
  templates:
  - name: greet
    container: {image: alpine, command: [echo, "hello {{workflow.parameters.who}}"]}
`,
    );
    const a = await runJson(ws, [file]);
    expect(a.r.code, describeResult(a.r)).toBe(0);
    expect(a.wf.metadata.name).toMatch(/^greeter-[a-z0-9]{5}$/);
    expect(a.wf.status.nodes[a.wf.metadata.name]).toMatchObject({ type: "Pod", templateName: "greet", phase: "Succeeded" });
    expect(a.r.stderr).toMatch(/: hello world$/m);
    const b = await runJson(ws, [file, "-p", "who=tiphys"]);
    expect(b.r.stderr).toMatch(/: hello tiphys$/m);
  });

  test("generateName gives the prefix and 5 random characters; a fixed name cannot run twice", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("hello.yaml", HELLO);
    const names = [];
    for (let i = 0; i < 2; i++) {
      const { r, wf } = await runJson(ws, [file]);
      expect(r.code, describeResult(r)).toBe(0);
      expect(wf.metadata.generateName).toBe("hello-");
      // Kubernetes' generateName alphabet: no vowels, no 0/1/3 (utilrand.String).
      expect(wf.metadata.name).toMatch(/^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      names.push(wf.metadata.name);
    }
    expect(names[0]).not.toBe(names[1]);
    const list = (await ws.run(["list"])).stdout;
    for (const n of names) expect(list).toContain(n);

    const fixed = ws.write("fixed.yaml", HELLO.replace("generateName: hello-", "name: fixed-name"));
    expect((await ws.run(["run", fixed])).code).toBe(0);
    const again = await ws.run(["run", fixed]);
    expect(again.code, describeResult(again)).toBe(2);
    expect(again.stderr).toContain('a run named "fixed-name" already exists');
  });
});

describe.concurrent("Argo's node names, display names and messages", () => {
  test("steps: wf[0].step, loops wf[1].step(0:item), nested DAG tasks wf[1].step.task", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "names.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: names
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: first
        template: echo
    - - name: loop
        template: echo
        withItems: [a, b]
      - name: nested
        template: inner
  - name: inner
    dag:
      tasks:
      - {name: t1, template: echo}
      - {name: t2, template: echo, depends: t1}
  - name: echo
    container: {image: alpine, command: [echo, "{{pod.name}}"]}
`,
    );
    const { r, wf } = await runJson(ws, [file]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(argoShapeProblems(wf)).toEqual([]);
    const expected: Array<[string, string, string]> = [
      ["names", "names", "Steps"],
      ["names[0]", "[0]", "StepGroup"],
      ["names[0].first", "first", "Pod"],
      ["names[1]", "[1]", "StepGroup"],
      ["names[1].loop(0:a)", "loop(0:a)", "Pod"],
      ["names[1].loop(1:b)", "loop(1:b)", "Pod"],
      ["names[1].nested", "nested", "DAG"],
      ["names[1].nested.t1", "t1", "Pod"],
      ["names[1].nested.t2", "t2", "Pod"],
    ];
    expect(Object.values(wf.status.nodes).map((n) => n.name).sort()).toEqual(expected.map(([n]) => n).sort());
    for (const [name, displayName, type] of expected) {
      const n = nodeByName(wf, name);
      expect(n, name).toMatchObject({ id: argoNodeId("names", name), displayName, type, phase: "Succeeded" });
    }
    // Boundaries: the steps' nodes belong to the entry node, the tasks to the DAG node.
    expect(nodeByName(wf, "names[1].loop(0:a)").boundaryID).toBe("names");
    expect(nodeByName(wf, "names[1].nested.t2").boundaryID).toBe(argoNodeId("names", "names[1].nested"));
    // A loop item is in the step's name, and the group lists both iterations and the nested step.
    expect(nodeByName(wf, "names[1]").children?.sort()).toEqual(
      ["names[1].loop(0:a)", "names[1].loop(1:b)", "names[1].nested"].map((n) => argoNodeId("names", n)).sort(),
    );
  });

  test("dag: wf.task, loops wf.task(0:item) under a TaskGroup wf.task", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "dag.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: dagnames
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: prepare, template: echo}
      - {name: fan, template: echo, depends: prepare, withItems: [x, y, z]}
  - name: echo
    container: {image: alpine, command: [echo, hi]}
`,
    );
    const { r, wf } = await runJson(ws, [file]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(argoShapeProblems(wf)).toEqual([]);
    expect(nodeByName(wf, "dagnames")).toMatchObject({ type: "DAG", displayName: "dagnames", templateName: "main" });
    expect(nodeByName(wf, "dagnames.prepare")).toMatchObject({ type: "Pod", displayName: "prepare", templateName: "echo" });
    const group = nodeByName(wf, "dagnames.fan");
    expect(group).toMatchObject({ type: "TaskGroup", displayName: "fan" });
    expect(group.children?.map((id) => wf.status.nodes[id].name)).toEqual(["dagnames.fan(0:x)", "dagnames.fan(1:y)", "dagnames.fan(2:z)"]);
    expect(nodeByName(wf, "dagnames.fan(2:z)")).toMatchObject({ displayName: "fan(2:z)", type: "Pod" });
    expect(nodeByName(wf, "dagnames.prepare").children).toEqual([group.id]);
  });

  test("a failed steps workflow: Argo's message child '<id>' failed, up to the workflow", async (ctx) => {
    const ws = workspace(ctx);
    const { r, wf } = await runJson(ws, [ws.write("failing.yaml", FAILING_STEPS)]);
    expect(r.code, describeResult(r)).toBe(1);
    const broken = nodeByName(wf, "failing[1].broken");
    const message = `child '${broken.id}' failed`;
    expect(wf.status.message).toBe(message);
    expect(nodeByName(wf, "failing[1]")).toMatchObject({ phase: "Failed", message });
    expect(nodeByName(wf, "failing")).toMatchObject({ phase: "Failed", message });
    expect(nodeByName(wf, "failing[0].fine").phase).toBe("Succeeded");
    expect(wf.status.progress).toBe("2/2");
  });
});

function parentsOf(wf: WorkflowJson, id: string): string[] {
  return Object.values(wf.status.nodes)
    .filter((n) => (n.children ?? []).includes(id))
    .map((n) => n.name)
    .sort();
}

function childNames(wf: WorkflowJson, n: NodeJson): string[] {
  return (n.children ?? []).map((c) => wf.status.nodes[c]?.name ?? c).sort();
}

const NESTED_STEPS = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: nested
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: inner
        template: inner
    - - name: after
        template: echo
  - name: inner
    steps:
    - - name: leaf
        template: echo
  - name: echo
    container: {image: alpine, command: [echo, hi]}
`;

/**
 * Argo links a node to what runs after it through `children`; a node that is itself a template of
 * steps or tasks (a Steps or DAG node) is linked through its *outbound nodes*, the leaves it ends with
 * (operator.go getOutboundNodes; steps.go links step group N+1 under the outbound nodes of group N's
 * children; dag.go connectDependencies adds a task "as a child of all outbound nodes of our
 * dependencies"), and Steps and DAG nodes record those leaves in `outboundNodes`.
 */
describe.concurrent("Argo's node graph: children and outboundNodes", () => {
  test("DAG: a task that runs a steps template links its dependents under its leaves, not under itself", async (ctx) => {
    // ../shared corpus examples/dag-diamond-steps.yaml: A, B, C, D each run a steps template (a loop).
    const ws = workspace(ctx);
    const r = await ws.run(["run", "examples/dag-diamond-steps.yaml", "-o", "json"], { cwd: CORPUS, timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const wf = parseJson(r.stdout);
    const w = wf.metadata.name;
    const a = nodeByName(wf, `${w}.A`);
    const b = nodeByName(wf, `${w}.B`);
    const d = nodeByName(wf, `${w}.D`);
    // Argo: A's only child is its first step group; B hangs under A's outbound nodes, the loop's pods.
    expect(childNames(wf, a)).toEqual([`${w}.A[0]`]);
    expect(parentsOf(wf, b.id)).toEqual([`${w}.A[0].echo(0:1)`, `${w}.A[0].echo(1:2)`, `${w}.A[0].echo(2:3)`]);
    // And D under the pods of both B and C.
    expect(parentsOf(wf, d.id)).toEqual(
      ["B", "C"].flatMap((t) => [`${w}.${t}[0].echo(0:1)`, `${w}.${t}[0].echo(1:2)`, `${w}.${t}[0].echo(2:3)`]).sort(),
    );
  });

  test("steps: the next step group hangs under the leaves of a nested steps template, not under its Steps node", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", ws.write("nested.yaml", NESTED_STEPS), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const wf = parseJson(r.stdout);
    // Argo: nested[1] is a child of nested[0].inner's outbound node, the pod nested[0].inner[0].leaf.
    expect(parentsOf(wf, nodeByName(wf, "nested[1]").id)).toEqual(["nested[0].inner[0].leaf"]);
    expect(childNames(wf, nodeByName(wf, "nested[0].inner"))).toEqual(["nested[0].inner[0]"]);
  });

  test("Steps and DAG nodes record their outbound nodes (the leaf nodes), as Argo's status does", async (ctx) => {
    const ws = workspace(ctx);
    const steps = await ws.run(["run", ws.write("nested.yaml", NESTED_STEPS), "-o", "json"], { timeoutMs: 30_000 });
    expect(steps.code, describeResult(steps)).toBe(0);
    const swf = parseJson(steps.stdout);
    const outbound = (wf: WorkflowJson, name: string) =>
      (nodeByName(wf, name).outboundNodes ?? []).map((id) => wf.status.nodes[id]?.name ?? id).sort();
    expect(outbound(swf, "nested[0].inner")).toEqual(["nested[0].inner[0].leaf"]);
    expect(outbound(swf, "nested")).toEqual(["nested[1].after"]);

    const dag = await ws.run(["run", "examples/dag-diamond-steps.yaml", "-o", "json"], { cwd: CORPUS, timeoutMs: 30_000 });
    expect(dag.code, describeResult(dag)).toBe(0);
    const dwf = parseJson(dag.stdout);
    const w = dwf.metadata.name;
    // The DAG's outbound nodes are those of its target D: D's pods, not the Steps node D.
    expect(outbound(dwf, w)).toEqual([`${w}.D[0].echo(0:1)`, `${w}.D[0].echo(1:2)`, `${w}.D[0].echo(2:3)`]);
  });
});

describe.concurrent("get, list, logs", () => {
  const TWO_STEPS = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: logged-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: alpha
        template: say
        arguments: {parameters: [{name: words, value: "alpha line one\\nalpha line two"}]}
    - - name: beta
        template: say
        arguments: {parameters: [{name: words, value: "beta only line"}]}
  - name: say
    inputs:
      parameters: [{name: words}]
    container: {image: alpine, command: [printf, "{{inputs.parameters.words}}\\n"]}
`;

  test("print what the nodes printed, the status and the list of runs", async (ctx) => {
    const ws = workspace(ctx);
    const { r, wf } = await runJson(ws, [ws.write("logged.yaml", TWO_STEPS)]);
    expect(r.code, describeResult(r)).toBe(0);
    const name = wf.metadata.name;

    const list = await ws.run(["list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.trim()).toMatch(new RegExp(`^${name}\\s+Succeeded\\s+${wf.status.startedAt}$`));

    const get = await ws.run(["get", name]);
    expect(get.code, describeResult(get)).toBe(0);
    expect(get.stdout).toMatch(new RegExp(`Name:\\s+${name}`));
    expect(get.stdout).toMatch(/Status:\s+Succeeded/);
    expect(get.stdout).toMatch(/alpha/);
    expect(get.stdout).toMatch(/beta/);
    const getJson = await ws.run(["get", "@latest", "-o", "json"]);
    const stored = parseJson(getJson.stdout);
    expect(stored.metadata.name).toBe(name);
    expect(stored.status.phase).toBe("Succeeded");
    expect(Object.keys(stored.status.nodes).sort()).toEqual(Object.keys(wf.status.nodes).sort());
    expect(argoShapeProblems(stored)).toEqual([]);

    const logs = await ws.run(["logs", name]);
    expect(logs.code, describeResult(logs)).toBe(0);
    expect(logs.stdout).toBe("alpha: alpha line one\nalpha: alpha line two\nbeta: beta only line\n");

    const beta = nodeByName(wf, `${name}[1].beta`);
    for (const which of ["beta", beta.name, beta.id]) {
      const one = await ws.run(["logs", name, which]);
      expect(one.code, describeResult(one)).toBe(0);
      expect(one.stdout).toBe("beta only line\n");
    }
    const none = await ws.run(["logs", name, "gamma"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`no step "gamma" in run ${name}`);
  });

  test("--data-dir chooses where runs are kept, over TIPHYS_DATA_DIR", async (ctx) => {
    const ws = workspace(ctx);
    const other = ws.path("elsewhere");
    const r = await ws.run(["run", ws.write("hello.yaml", HELLO), "--data-dir", other, "-o", "json"]);
    expect(r.code, describeResult(r)).toBe(0);
    const name = parseJson(r.stdout).metadata.name;
    expect((await ws.run(["list", "--data-dir", other])).stdout).toContain(name);
    expect((await ws.run(["list"])).stdout).toBe("");
    expect((await ws.run(["logs", name, "--data-dir", other])).stdout).toContain("said: default-message");
  });

  test("logs piped into a reader that stops early: no crash", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write(
      "chatty.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: chatty
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [seq, "1", "200000"]}
`,
    );
    expect((await ws.run(["run", file, "-o", "json"])).code).toBe(0);
    // As `tiphys logs chatty | head -1`: the reader goes away after the first chunk.
    const reader = ws.spawn(["logs", "chatty"]);
    reader.child.stdout!.once("data", () => reader.child.stdout!.destroy());
    const r = await reader.done;
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code, describeResult(r)).toBe(0);
  });
});

describe.concurrent("tiphys lint", () => {
  const VALID = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: valid-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [echo, hi]
`;

  test("exit 0 on a valid file", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["lint", ws.write("valid.yaml", VALID)]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toMatch(/1 file\(s\), 1 document\(s\): 0 error\(s\), 0 warning\(s\)/);
  });

  test("exit 1 on a misspelt field, with file:line:column and a did-you-mean", async (ctx) => {
    const ws = workspace(ctx);
    const text = VALID.replace("    container:", "    containr:");
    const file = ws.write("typo.yaml", text);
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes("containr:")) + 1;
    const column = lines[line - 1].indexOf("containr") + 1;
    const r = await ws.run(["lint", file]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stdout).toContain(`${file}:${line}:${column}: error: unknown field "containr"`);
    expect(r.stdout).toContain('did you mean "container"?');
    expect(r.stdout).toMatch(/1 error\(s\)/);

    const json = await ws.run(["lint", file, "-o", "json"]);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout) as { problems: Array<{ severity: string; pos: { file: string; line: number; column: number } }> };
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ severity: "error", pos: { file, line, column } });
  });

  test("references resolve against --templates", async (ctx) => {
    const ws = workspace(ctx);
    ws.write(
      "templates/lib.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
  - name: hello
    container: {image: alpine, command: [echo, hello]}
`,
    );
    const file = ws.write(
      "uses-lib.yaml",
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: uses-lib-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: call
        templateRef: {name: lib, template: hello}
`,
    );
    const without = await ws.run(["lint", file]);
    expect(without.code, describeResult(without)).toBe(1);
    expect(without.stdout).toMatch(/uses-lib\.yaml:\d+:\d+: error: .*lib/);
    const withTemplates = await ws.run(["lint", file, "--templates", ws.path("templates")]);
    expect(withTemplates.code, describeResult(withTemplates)).toBe(0);
    const run = await ws.run(["run", file, "--templates", ws.path("templates"), "-o", "json"]);
    expect(run.code, describeResult(run)).toBe(0);
    expect(nodesOfType(parseJson(run.stdout), "Pod")[0].templateRef).toEqual({ name: "lib", template: "hello" });
  });
});
