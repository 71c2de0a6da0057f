import { describe, expect, it } from "vitest";
import { runInProcess, runLocal, wf } from "./helpers.js";

/** Runs one step that prints each tag on its own line (a quoted heredoc: no shell expansion); returns the lines. */
async function echoVars(exprs: string[], extraSpec = "", meta = ""): Promise<{ lines: string[]; r: Awaited<ReturnType<typeof runLocal>> }> {
  const spec = [
    "entrypoint: main",
    ...(extraSpec ? [extraSpec] : []),
    "templates:",
    "- name: main",
    "  steps:",
    "  - - {name: show, template: show}",
    "- name: show",
    "  script:",
    "    image: alpine",
    "    command: [sh]",
    "    source: |",
    "      cat <<'EOF'",
    ...exprs.map((e) => "      " + e),
    "      EOF",
  ].join("\n");
  const r = await runLocal(wf(spec).replace("metadata: {name: wf}", `metadata: {name: wf${meta}}`));
  expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.name, n.phase, n.message]))).toBe("Succeeded");
  return { lines: r.log("wf[0].show"), r };
}

describe("workflow.* variables", () => {
  it("name, namespace, uid, serviceAccountName, mainEntrypoint", async () => {
    const { lines, r } = await echoVars(["{{workflow.name}}", "{{workflow.namespace}}", "{{workflow.uid}}", "{{workflow.mainEntrypoint}}"]);
    expect(lines[0]).toBe("wf");
    expect(lines[1]).toBe("default");
    expect(lines[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(lines[2]).toBe(r.run.globals["workflow.uid"]);
    expect(lines[3]).toBe("main");
  });

  it("parameters, parameters.json (Argo's list of parameter objects) and parameters.<name>", async () => {
    const { lines } = await echoVars(
      ["{{workflow.parameters.a}}", "{{workflow.parameters.json}}", "{{workflow.parameters}}", "{{=jsonpath(workflow.parameters.json, '$[1].value')}}"],
      "arguments: {parameters: [{name: a, value: one}, {name: b, value: two}]}",
    );
    expect(lines[0]).toBe("one");
    expect(JSON.parse(lines[1])).toEqual([
      { name: "a", value: "one" },
      { name: "b", value: "two" },
    ]);
    expect(lines[2]).toBe(lines[1]);
    expect(lines[3]).toBe("two");
  });

  it("labels and annotations, one by one and as JSON", async () => {
    const { lines } = await echoVars(
      ["{{workflow.labels.team}}", "{{workflow.annotations.note}}", "{{workflow.labels.json}}", "{{workflow.annotations.json}}"],
      "",
      ", labels: {team: infra, app: x}, annotations: {note: hello}",
    );
    expect(lines[0]).toBe("infra");
    expect(lines[1]).toBe("hello");
    expect(lines[2]).toBe('{"app":"x","team":"infra"}');
    expect(lines[3]).toBe('{"note":"hello"}');
  });

  it("creationTimestamp, .RFC3339, .s and strftime characters", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { lines } = await echoVars([
      "{{workflow.creationTimestamp}}",
      "{{workflow.creationTimestamp.RFC3339}}",
      "{{workflow.creationTimestamp.s}}",
      "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}T{{workflow.creationTimestamp.H}}:{{workflow.creationTimestamp.M}}:{{workflow.creationTimestamp.S}}",
    ]);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[1]).toBe(lines[0]);
    const s = Number(lines[2]);
    expect(s).toBeGreaterThanOrEqual(before - 1);
    expect(s).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(new Date(s * 1000).toISOString().replace(/\.\d+Z$/, "Z")).toBe(lines[0]);
    expect(lines[3] + "Z").toBe(lines[0]);
  });
});

describe("template variables", () => {
  it("inputs.parameters (all, as JSON), node.name, pod.name", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: s, template: t, arguments: {parameters: [{name: a, value: "1"}, {name: b, value: "x y"}]}}
        - name: t
          inputs: {parameters: [{name: a}, {name: b}]}
          container: {image: alpine, command: [sh, -c, 'echo "$0"; echo "$1"; echo "$2"', "{{inputs.parameters}}", "{{node.name}}", "{{pod.name}}"]}
      `),
    );
    const [params, node, pod] = r.log("wf[0].s");
    expect(JSON.parse(params)).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "x y" },
    ]);
    expect(node).toBe("wf[0].s");
    // POD_NAMES=v2: <workflow>-<template>-<fnv32a hash of the node name>
    expect(pod).toMatch(/^wf-t-\d+$/);
    expect(pod).toBe(`wf-t-${r.node("wf[0].s").id.slice(3)}`);
  });

  it("steps.X.id/status/startedAt/finishedAt/exitCode/outputs in a later step", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: first, template: first}
          - - name: show
              template: show
              arguments:
                parameters:
                - {name: v, value: "{{steps.first.id}}|{{steps.first.status}}|{{steps.first.startedAt}}|{{steps.first.finishedAt}}|{{steps.first.exitCode}}|{{steps.first.outputs.result}}"}
        - name: first
          container: {image: alpine, command: [echo, out]}
        - name: show
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    const first = r.node("wf[0].first");
    const v = r.node("wf[1].show").inputs!.parameters![0].value!.split("|");
    expect(v).toEqual([first.id, "Succeeded", first.startedAt, first.finishedAt, "0", "out"]);
  });

  it("tasks.X.* in a DAG", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - {name: first, template: first}
            - name: show
              depends: first
              template: show
              arguments:
                parameters:
                - {name: v, value: "{{tasks.first.id}}|{{tasks.first.status}}|{{tasks.first.exitCode}}|{{tasks.first.outputs.result}}|{{tasks.first.startedAt}}"}
        - name: first
          container: {image: alpine, command: [echo, out]}
        - name: show
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    const first = r.node("wf.first");
    expect(r.node("wf.show").inputs!.parameters![0].value).toBe(`${first.id}|Succeeded|0|out|${first.startedAt}`);
  });

  it("{{=expr}} with sprig, asInt, asFloat, jsonpath and toJson", async () => {
    const { lines } = await echoVars(
      [
        "{{=sprig.upper(workflow.parameters.word)}}",
        "{{=asInt(workflow.parameters.n) * 2}}",
        "{{=asFloat(workflow.parameters.n) / 4}}",
        "{{=jsonpath(workflow.parameters.doc, '$.a.b')}}",
        "{{=toJson({'k': workflow.parameters.word})}}",
        "{{=sprig.trim('  x  ') + sprig.repeat(2, 'ab')}}",
        "{{=workflow.parameters.n == '5' ? 'five' : 'other'}}",
      ],
      `arguments: {parameters: [{name: word, value: hello}, {name: n, value: "5"}, {name: doc, value: '{"a": {"b": "deep"}}'}]}`,
    );
    expect(lines).toEqual(["HELLO", "10", "1.25", "deep", '{"k":"hello"}', "xabab", "five"]);
  });
});

describe("workflow.status and workflow.failures", () => {
  it("are final only in the exit handler; failures is JSON quoted like Argo (decode twice)", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        onExit: exit
        templates:
        - name: main
          steps:
          - - {name: during, template: during}
          - - {name: bad, template: bad}
        - name: during
          container: {image: alpine, command: [echo, "{{workflow.status}}"]}
        - name: bad
          container: {image: alpine, command: [sh, -c, 'echo boom >&2; exit 2']}
        - name: exit
          container: {image: alpine, command: [sh, -c, 'echo "$0"; echo "$1"', "{{workflow.status}}", "{{workflow.failures}}"]}
      `),
    );
    expect(r.status.phase).toBe("Failed");
    expect(r.log("wf[0].during")).toEqual(["Running"]);
    const [status, failures] = r.log("wf.onExit");
    expect(status).toBe("Failed");
    const decoded = JSON.parse(JSON.parse(failures) as string) as Array<Record<string, string>>;
    const bad = r.node("wf[1].bad");
    const entry = decoded.find((f) => f.displayName === "bad");
    expect(entry).toMatchObject({ displayName: "bad", message: "Error (exit code 2)", templateName: "bad", phase: "Failed", finishedAt: bad.finishedAt });
    expect(entry!.podName).toMatch(/^wf-bad-\d+$/);
    // Argo lists every Failed/Error node, the steps and group nodes included.
    expect(decoded.map((f) => f.displayName).sort()).toEqual(["[1]", "bad", "wf"]);
  });

  it("workflow.failures is the quoted string \"null\" when nothing failed", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: ok
        onExit: exit
        templates:
        - name: ok
          container: {image: alpine, command: ["true"]}
        - name: exit
          container: {image: alpine, command: [sh, -c, 'echo "$0|$1"', "{{workflow.status}}", "{{workflow.failures}}"]}
      `),
    );
    expect(r.log("wf.onExit")).toEqual(['Succeeded|"null"']);
  });

  it("workflow.duration is a number of seconds in the exit handler", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: ok
        onExit: exit
        templates:
        - name: ok
          container: {image: alpine, command: ["true"]}
        - name: exit
          inputs: {parameters: [{name: d, value: "{{workflow.duration}}"}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    const d = r.node("wf.onExit").inputs!.parameters![0].value!;
    expect(Number.isFinite(Number(d))).toBe(true);
    expect(Number(d)).toBeGreaterThanOrEqual(0);
  });
});
