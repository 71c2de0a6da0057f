/**
 * Workflow steps as Pods, in-process: a real WorkflowRun with the KubernetesExecutor, talking through
 * the real adapter (@kubernetes/client-node) to a simulated cluster whose kubelet runs each Pod's
 * containers as local processes.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { KubernetesExecutor } from "../../src/engine/executors/kubernetes/executor.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { REPO, runLocal, wf, workspace } from "../engine/runtime/helpers.js";

const BAD_IMAGE = "registry.example/tiphys/no-such-image:1";
let sim: SimulatedCluster;
let cluster: KubeCluster;
let seq = 0;
const name = (prefix: string) => `${prefix}-${process.pid % 1000}-${++seq}`;

beforeAll(async () => {
  sim = await startSimulatedCluster({ port: 0, kubelet: { mode: "process", podStartDelayMs: 20, failImages: [BAD_IMAGE] } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
});
afterAll(async () => {
  await sim?.close();
});

function executor(): KubernetesExecutor {
  return new KubernetesExecutor({ cluster, namespace: "default" });
}

async function podsOf(workflow: string): Promise<KubeObject[]> {
  return cluster.list("v1", "Pod", { namespace: "default", labelSelector: `tiphys.io/workflow=${workflow}` });
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("container and script steps as Pods", () => {
  test("a script's result and a container's output parameter file reach the next step; lines are logged without Tiphys' section", async () => {
    const wfName = name("outputs");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: gen, template: gen}
          - - {name: make-file, template: make-file}
          - - name: use
              template: use
              arguments:
                parameters:
                - {name: a, value: "{{steps.gen.outputs.result}}"}
                - {name: b, value: "{{steps.make-file.outputs.parameters.p}}"}
        - name: gen
          script:
            image: python:3.12
            command: [sh]
            source: |
              echo "from a script: $((6*7)) 'quoted' \\"double\\""
        - name: make-file
          container:
            image: alpine:3.23
            command: [sh, -c]
            args: ["printf 'line one\\nline two\\n' > /tmp/p.txt; echo made it"]
          outputs:
            parameters:
            - name: p
              valueFrom: {path: /tmp/p.txt}
        - name: use
          inputs:
            parameters: [{name: a}, {name: b}]
          container:
            image: alpine:3.23
            command: [echo, "a={{inputs.parameters.a}}", "b={{inputs.parameters.b}}"]
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.name, n.phase, n.message]))).toBe("Succeeded");
    expect(r.node("gen").outputs?.result).toBe(`from a script: 42 'quoted' "double"`);
    expect(r.node("make-file").outputs?.parameters).toEqual([{ name: "p", value: "line one\nline two" }]);
    expect(r.log("make-file")).toEqual(["made it"]);
    expect(r.log("use")).toEqual(["a=from a script: 42 'quoted' \"double\" b=line one", "line two"]);
    const pods = await podsOf(wfName);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      const node = r.nodes.find((n) => n.id === p.metadata.labels?.["tiphys.io/node"]);
      expect(node, p.metadata.name).toBeDefined();
      expect(p.metadata.annotations?.["tiphys.io/node-name"]).toBe(node!.name);
      expect((p.spec as { restartPolicy: string }).restartPolicy).toBe("Never");
    }
    await ex.close();
  });

  test("a failing step is Failed with its exit code; retries make one Pod per attempt", async () => {
    const wfName = name("fails");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: boom, template: boom}
        - name: boom
          retryStrategy: {limit: 2}
          container:
            image: alpine:3.23
            command: [sh, -c, "echo trying; exit 3"]
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Failed");
    const attempts = r.nodes.filter((n) => n.type === "Pod");
    expect(attempts).toHaveLength(3);
    for (const a of attempts) {
      expect(a.phase).toBe("Failed");
      expect(a.message).toBe("Error (exit code 3)");
      expect(a.outputs?.exitCode).toBe("3");
    }
    expect(r.nodes.find((n) => n.type === "Retry")?.phase).toBe("Failed");
    expect(await podsOf(wfName)).toHaveLength(3);
    await ex.close();
  });

  test("a DAG fan-out costs one create and at most two reads per node; status comes from one shared watch", async () => {
    const wfName = name("fanout");
    const ex = executor();
    const before = sim.api.requests.list();
    const n = 8;
    const r = await runLocal(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          dag:
            tasks:
            - name: fan
              template: echo
              arguments: {parameters: [{name: i, value: "{{item}}"}]}
              withSequence: {count: "${n}"}
        - name: echo
          inputs: {parameters: [{name: i}]}
          container: {image: alpine:3.23, command: [echo, "item {{inputs.parameters.i}}"]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Succeeded");
    const reqs = sim.api.requests.list().slice(before.length).filter((q) => q.resource === "pods");
    const creates = reqs.filter((q) => q.verb === "create");
    const reads = reqs.filter((q) => q.verb === "get" || (q.verb === "list" && q.subresource === undefined));
    const watches = reqs.filter((q) => q.verb === "watch");
    expect(creates).toHaveLength(n);
    // The log read of each node is the only per-node read; the shared watch lists once (this executor's first pod).
    expect(reads.filter((q) => q.subresource === "log")).toHaveLength(n);
    expect(reads.length).toBeLessThanOrEqual(2 * n);
    expect(reads.filter((q) => q.verb === "list").length).toBeLessThanOrEqual(1);
    expect(watches.length).toBeLessThanOrEqual(2);
    expect(r.nodes.filter((x) => x.type === "Pod").map((x) => r.log(x.name)[0]).sort()).toEqual(Array.from({ length: n }, (_, i) => `item ${i}`).sort());
    await ex.close();
  });

  test("stopping the run deletes its running Pods", async () => {
    const wfName = name("stop");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: sleepy
        templates:
        - name: sleepy
          container: {image: alpine:3.23, command: [sleep, "60"]}
        `,
        wfName,
      ),
      {
        executor: ex,
        onStart: (run) => {
          void (async () => {
            await eventually(() => podsOf(wfName), (p) => p.some((x) => (x.status as { phase?: string })?.phase === "Running"));
            run.stop("Stop");
          })();
        },
      },
    );
    expect(r.status.phase).toBe("Failed");
    expect(r.node(wfName).message).toBe("Stopped with strategy 'Stop'");
    const left = await eventually(() => podsOf(wfName), (p) => p.length === 0);
    expect(left).toEqual([]);
    expect(r.durationMs).toBeLessThan(20_000);
    await ex.close();
  });

  test("podGC OnPodSuccess deletes the Pods that succeeded and keeps the failed one", async () => {
    const wfName = name("gc");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: main
        podGC: {strategy: OnPodSuccess}
        templates:
        - name: main
          steps:
          - - {name: fail, template: fail}
            - {name: succeed, template: succeed}
        - name: fail
          container: {image: alpine:3.23, command: [sh, -c, "exit 1"]}
        - name: succeed
          container: {image: alpine:3.23, command: [sh, -c, "exit 0"]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Failed");
    const pods = await eventually(() => podsOf(wfName), (p) => p.length === 1);
    expect(pods.map((p) => p.metadata.annotations?.["tiphys.io/node-name"])).toEqual([`${wfName}[0].fail`]);
    await ex.close();
  });

  test("podGC OnWorkflowCompletion deletes the workflow's Pods once it completes", async () => {
    const wfName = name("gcwf");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: ok
        podGC: {strategy: OnWorkflowCompletion}
        templates:
        - name: ok
          container: {image: alpine:3.23, command: ["true"]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(await podsOf(wfName)).toHaveLength(1);
    await ex.completeWorkflow({ name: wfName, spec: r.run.spec }, r.status.phase);
    expect(await eventually(() => podsOf(wfName), (p) => p.length === 0)).toEqual([]);
    await ex.close();
  });

  test("an image that cannot be pulled makes the node an Error with the reason, and its Pod is removed", async () => {
    const wfName = name("badimage");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: bad
        templates:
        - name: bad
          container: {image: "${BAD_IMAGE}", command: [echo, hi]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Error");
    expect(r.node(wfName).message).toMatch(/^(ErrImagePull|ImagePullBackOff): .*no-such-image/);
    expect(await eventually(() => podsOf(wfName), (p) => p.length === 0)).toEqual([]);
    await ex.close();
  });

  test("a node selector no node matches makes the node an Error: Unschedulable", async () => {
    const wfName = name("unsched");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: nowhere
        templates:
        - name: nowhere
          nodeSelector: {disktype: ssd}
          container: {image: alpine:3.23, command: ["true"]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Error");
    expect(r.node(wfName).message).toMatch(/^Unschedulable: 0\/1 nodes are available/);
    await ex.close();
  });

  test("a step with artifacts, without an artifact repository, is an Error saying how to give one, before any Pod", async () => {
    const wfName = name("arts");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: art
        templates:
        - name: art
          container: {image: alpine:3.23, command: [sh, -c, "echo x > /tmp/out"]}
          outputs:
            artifacts: [{name: out, path: /tmp/out}]
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Error");
    expect(r.node(wfName).message).toMatch(/no artifact repository is configured for the kubernetes executor \(outputs\.artifacts\.out\): give --artifact-repository FILE/);
    expect(await podsOf(wfName)).toEqual([]);
    await ex.close();
  });

  test("the template's pod fields reach the Pod: metadata, env, resources, sidecars, podSpecPatch, deadline", async () => {
    const wfName = name("fields");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: rich
        templates:
        - name: rich
          metadata:
            labels: {team: blue}
            annotations: {note: hello}
          activeDeadlineSeconds: 30
          tolerations: [{key: dedicated, operator: Exists}]
          podSpecPatch: '{"containers":[{"name":"main","resources":{"limits":{"cpu":"100m"}}}]}'
          sidecars:
          - name: helper
            image: alpine:3.23
            command: [sleep, "30"]
          container:
            image: alpine:3.23
            command: [sh, -c, 'echo "GREETING=$GREETING"']
            env: [{name: GREETING, value: hi}]
            resources: {requests: {memory: 10Mi}}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.name, n.phase, n.message]))).toBe("Succeeded");
    expect(r.log(wfName)).toEqual(["GREETING=hi"]);
    const [pod] = await podsOf(wfName);
    const spec = pod.spec as { activeDeadlineSeconds: number; tolerations: unknown[]; containers: Array<{ name: string; resources: unknown }>; initContainers: Array<{ name: string; restartPolicy: string }> };
    expect(pod.metadata.labels).toMatchObject({ team: "blue", "tiphys.io/workflow": wfName });
    expect(pod.metadata.annotations).toMatchObject({ note: "hello" });
    expect(spec.activeDeadlineSeconds).toBe(30);
    expect(spec.tolerations).toEqual([{ key: "dedicated", operator: "Exists" }]);
    expect(spec.containers[0]).toMatchObject({ name: "main", resources: { requests: { memory: "10Mi" }, limits: { cpu: "100m" } } });
    expect(spec.initContainers).toEqual([expect.objectContaining({ name: "helper", restartPolicy: "Always" })]);
    await ex.close();
  });

  test("the Pods are visible with kubectl by their labels", async () => {
    const kubectl = join(REPO, ".tools", "bin", "kubectl");
    if (!existsSync(kubectl)) execFileSync(process.execPath, [join(REPO, "scripts", "install-tools.mjs")], { stdio: "ignore" });
    const wfName = name("kubectl");
    const ex = executor();
    const r = await runLocal(
      wf(
        `
        entrypoint: hi
        templates:
        - name: hi
          container: {image: alpine:3.23, command: [echo, hi]}
        `,
        wfName,
      ),
      { executor: ex },
    );
    expect(r.status.phase).toBe("Succeeded");
    const kubeconfig = join(workspace().dir, "kubeconfig");
    writeFileSync(kubeconfig, sim.kubeconfig());
    // Asynchronously: the simulated server answers from this very process.
    const run = promisify(execFile);
    const { stdout: out } = await run(kubectl, ["--kubeconfig", kubeconfig, "get", "pods", "-l", `tiphys.io/workflow=${wfName}`, "-o", "jsonpath={.items[*].metadata.name} {.items[*].status.phase}"], { encoding: "utf8" });
    expect(out).toBe(`${r.run.podName(wfName, "hi")} Succeeded`);
    const { stdout: logs } = await run(kubectl, ["--kubeconfig", kubeconfig, "logs", r.run.podName(wfName, "hi")], { encoding: "utf8" });
    expect(logs).toBe("hi\n");
    await ex.close();
  });
});
