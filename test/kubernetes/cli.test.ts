/**
 * `tiphys run --executor kubernetes` through the real CLI process: a private simulated cluster for
 * the command, said to be a simulation, stopped at the end; the flags checked at the edge.
 */
import { describe, expect, test } from "vitest";
import { describeResult, nodeByName, parseJson, workspace } from "../cli/helpers.js";

const WORKFLOW = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: k8s-cli-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: count, template: count}
    - - name: show
        template: show
        arguments: {parameters: [{name: n, value: "{{steps.count.outputs.result}}"}]}
  - name: count
    script:
      image: python:3.12
      command: [python3]
      source: |
        print(sum(range(10)))
  - name: show
    inputs: {parameters: [{name: n}]}
    container: {image: alpine:3.23, command: [sh, -c, 'echo "n is {{inputs.parameters.n}}"; exit 4']}
`;

describe("tiphys run --executor kubernetes --cluster simulated", () => {
  test("runs the steps as Pods on a private simulated cluster it names as such, with Argo's phases and messages", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("wf.yaml", WORKFLOW);
    const r = await ws.run(["run", file, "--executor", "kubernetes", "--cluster", "simulated", "-o", "json"], { timeoutMs: 60_000 });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toMatch(/SIMULATED cluster \(https:\/\/127\.0\.0\.1:\d+\)/);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Failed");
    const name = wf.metadata.name;
    expect(nodeByName(wf, `${name}[0].count`).outputs?.result).toBe("45");
    const show = nodeByName(wf, `${name}[1].show`);
    expect(show.phase).toBe("Failed");
    expect(show.message).toBe("Error (exit code 4)");
    expect(r.stderr).toContain("n is 45");
    expect(r.stderr).not.toContain("__tiphys_");
    // The simulated cluster and its kubelet's processes are gone with the command.
    expect(ws.liveProcesses()).toEqual([]);
    const logs = await ws.run(["logs", name, "show"]);
    expect(logs.stdout).toBe("n is 45\n");
  });

  test("cluster flags without --executor kubernetes, or two clusters at once, are refused (exit 2)", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("wf.yaml", WORKFLOW);
    const a = await ws.run(["run", file, "--cluster", "simulated"]);
    expect(a.code, describeResult(a)).toBe(2);
    expect(a.stderr).toContain("need --executor kubernetes");
    const b = await ws.run(["run", file, "--executor", "kubernetes", "--cluster", "simulated", "--kubeconfig", "x"]);
    expect(b.code, describeResult(b)).toBe(2);
    expect(b.stderr).toContain("exclude each other");
    const c = await ws.run(["run", file, "--executor", "kubernetes", "--kubeconfig", ws.path("missing.kubeconfig")]);
    expect(c.code, describeResult(c)).toBe(2);
    expect(c.stderr).toContain("cannot read kubeconfig");
  });
});
