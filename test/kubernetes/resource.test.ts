/**
 * `resource` templates against a cluster: in-process (a real WorkflowRun given the Cluster port, the
 * real adapter, a simulated cluster whose Job controller and kubelet set real status), and through
 * the CLI (`tiphys run --executor kubernetes --cluster simulated`), corpus examples included.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { KubernetesExecutor } from "../../src/engine/executors/kubernetes/executor.js";
import { Catalog } from "../../src/engine/model/catalog.js";
import { parseYamlDocuments } from "../../src/engine/model/load.js";
import { prepareWorkflow } from "../../src/engine/model/prepare.js";
import type { NodeStatus, WorkflowStatus } from "../../src/engine/model/types.js";
import { WorkflowRun } from "../../src/engine/runtime/operator.js";
import { judge, parseCondition } from "../../src/engine/runtime/resource/conditions.js";
import { kubectlJsonPath } from "../../src/engine/runtime/resource/outputs.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { CORPUS, describeResult, nodeByName, parseJson, workspace, type WorkflowJson } from "../cli/helpers.js";
import { dedent } from "../engine/runtime/helpers.js";

let sim: SimulatedCluster;
let cluster: KubeCluster;
let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid % 1000}-${++seq}`;

beforeAll(async () => {
  sim = await startSimulatedCluster({ port: 0, kubelet: { mode: "process", podStartDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
});
afterAll(async () => {
  await sim?.close();
});

interface Outcome {
  status: WorkflowStatus;
  node(displayName: string): NodeStatus;
  warnings: string[];
}

/** Runs a Workflow (its spec's YAML) in-process with the Cluster port, or without one. */
async function runWith(specYaml: string, opts: { cluster?: boolean } = {}): Promise<Outcome> {
  const name = unique("res");
  const text = `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: ${name}}\nspec:\n${dedent(specYaml).replace(/^/gm, "  ")}\n`;
  const catalog = new Catalog();
  for (const doc of parseYamlDocuments(text, "workflow.yaml")) catalog.add(doc);
  const workflow = prepareWorkflow(catalog.entries[0]!, catalog, {});
  const executor = new KubernetesExecutor({ cluster, namespace: "default" });
  const warnings: string[] = [];
  const run = new WorkflowRun({
    workflow,
    catalog,
    executor,
    cluster: opts.cluster === false ? undefined : cluster,
    clusterNamespace: "default",
    reporter: { warn: (m) => warnings.push(m) },
  });
  try {
    const status = await run.execute();
    const node = (d: string) => {
      const n = Object.values(status.nodes).find((x) => x.displayName === d);
      if (!n) throw new Error(`no node ${d}: ${JSON.stringify(Object.values(status.nodes).map((x) => [x.displayName, x.phase, x.message]))}`);
      return n;
    };
    return { status, node, warnings };
  } finally {
    await executor.close();
  }
}

const explain = (o: Outcome) => JSON.stringify(Object.values(o.status.nodes).map((n) => [n.displayName, n.phase, n.message]));
const configMap = (o: unknown) => o as { data?: Record<string, string>; metadata: { annotations?: Record<string, string>; labels?: Record<string, string>; resourceVersion?: string } } | undefined;

describe("conditions and jsonPath (pure)", () => {
  test.each([
    ["status.succeeded > 0", { status: { succeeded: 1 } }, "succeeded"],
    ["status.succeeded > 0", { status: {} }, "waiting"],
    ["status.phase in (Running,Done)", { status: { phase: "Done" } }, "succeeded"],
    ["status.phase == Done,status.ready = true", { status: { phase: "Done", ready: false } }, "waiting"],
    ["status.phase == Done,status.ready = true", { status: { phase: "Done", ready: true } }, "succeeded"],
    ["status.replicaStatuses.Worker.succeeded = 2", { status: { replicaStatuses: { Worker: { succeeded: 2 } } } }, "succeeded"],
    ["!status.failed", { status: {} }, "succeeded"],
    ["status.items.# > 1", { status: { items: [1, 2] } }, "succeeded"],
  ])("success %s on %j is %s", (cond, obj, want) => {
    expect(judge(obj, parseCondition(cond), []).kind).toBe(want);
  });

  test("any failure requirement that holds fails, before success is looked at, and names itself", () => {
    const r = judge({ status: { succeeded: 3, phase: "Error" } }, parseCondition("status.succeeded > 0"), parseCondition("status.failed > 0,status.phase in (Failed,Error)"));
    expect(r).toEqual({ kind: "failed", message: "failure condition 'status.phase in (Failed,Error)' evaluated true" });
  });

  test("a comparison with a non-integer value is refused", () => {
    expect(() => parseCondition("status.succeeded > many")).toThrow(/must be an integer/);
  });

  test("kubectl JSONPath templates: text kept, several results joined by a space, objects as JSON", () => {
    const obj = { metadata: { name: "x", labels: { a: "b" } }, items: [{ n: 1 }, { n: 2 }] };
    expect(kubectlJsonPath("{.metadata.name}", obj)).toBe("x");
    expect(kubectlJsonPath("name={.metadata.name}", obj)).toBe("name=x");
    expect(kubectlJsonPath("{.items[*].n}", obj)).toBe("1 2");
    expect(kubectlJsonPath("{.metadata.labels}", obj)).toBe('{"a":"b"}');
    expect(() => kubectlJsonPath("{.metadata.missing}", obj)).toThrow(/is not found/);
  });
});

describe("resource templates in-process against a simulated cluster", () => {
  test("create a ConfigMap, then get it: outputs by jsonPath and jqFilter; the object is on the cluster", async () => {
    const cm = unique("cm");
    const o = await runWith(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: create, template: create}
        - - {name: get, template: get}
      - name: create
        resource:
          action: create
          manifest: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ${cm}, labels: {made-by: test}}
            data: {greeting: hello}
        outputs:
          parameters:
          - {name: uid, valueFrom: {jsonPath: '{.metadata.uid}'}}
      - name: get
        resource:
          action: get
          manifest: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ${cm}}
        outputs:
          parameters:
          - {name: greeting, valueFrom: {jsonPath: '{.data.greeting}'}}
          - {name: data, valueFrom: {jqFilter: '.data'}}
          - {name: missing, valueFrom: {jsonPath: '{.data.nope}', default: fallback}}
    `);
    expect(o.status.phase, explain(o)).toBe("Succeeded");
    const onCluster = await cluster.get({ apiVersion: "v1", kind: "ConfigMap", name: cm, namespace: "default" });
    expect(configMap(onCluster)?.data).toEqual({ greeting: "hello" });
    expect(o.node("create").outputs?.parameters).toEqual([{ name: "uid", value: onCluster!.metadata.uid }]);
    expect(o.node("get").outputs?.parameters).toEqual([
      { name: "greeting", value: "hello" },
      { name: "data", value: '{"greeting":"hello"}' },
      { name: "missing", value: "fallback" },
    ]);
    expect(o.node("get").type).toBe("Pod");
  });

  test("a Job with successCondition succeeds once the Job controller counts a succeeded Pod", async () => {
    const o = await runWith(`
      entrypoint: job
      templates:
      - name: job
        resource:
          action: create
          successCondition: status.succeeded > 0
          failureCondition: status.failed > 0
          manifest: |
            apiVersion: batch/v1
            kind: Job
            metadata: {generateName: ok-job-}
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: main, image: alpine:3.23, command: [sh, -c, "sleep 0.2; echo done"]}
        outputs:
          parameters:
          - {name: succeeded, valueFrom: {jsonPath: '{.status.succeeded}'}}
          - {name: name, valueFrom: {jsonPath: '{.metadata.name}'}}
    `);
    expect(o.status.phase, explain(o)).toBe("Succeeded");
    const params = Object.fromEntries((Object.values(o.status.nodes)[0]!.outputs?.parameters ?? []).map((p) => [p.name, p.value]));
    expect(params.succeeded).toBe("1");
    expect(params.name).toMatch(/^ok-job-/);
    const job = await cluster.get({ apiVersion: "batch/v1", kind: "Job", name: params.name!, namespace: "default" });
    expect((job as { status?: { succeeded?: number } }).status?.succeeded).toBe(1);
  }, 30_000);

  test("a Job whose Pod fails meets its failureCondition: the node is Failed with the condition's message", async () => {
    const o = await runWith(`
      entrypoint: job
      templates:
      - name: job
        resource:
          action: create
          successCondition: status.succeeded > 0
          failureCondition: status.failed > 0
          manifest: |
            apiVersion: batch/v1
            kind: Job
            metadata: {generateName: bad-job-}
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: main, image: alpine:3.23, command: [sh, -c, "exit 3"]}
    `);
    expect(o.status.phase, explain(o)).toBe("Failed");
    const n = Object.values(o.status.nodes)[0]!;
    expect(n.phase).toBe("Failed");
    expect(n.message).toBe("failure condition 'status.failed>0' evaluated true");
  }, 30_000);

  test("apply twice is idempotent; patch merge and json change the object on the cluster; delete ignores what is gone", async () => {
    const cm = unique("applied");
    const manifest = `
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ${cm}}
            data: {a: "1", b: "2"}`;
    const o = await runWith(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: apply1, template: apply}
        - - {name: apply2, template: apply}
        - - {name: merge, template: merge}
        - - {name: json, template: json}
        - - {name: delete-missing, template: delete-missing}
      - name: apply
        resource:
          action: apply
          manifest: |${manifest}
        outputs:
          parameters:
          - {name: rv, valueFrom: {jsonPath: '{.metadata.resourceVersion}'}}
      - name: merge
        resource:
          action: patch
          mergeStrategy: merge
          flags: [configmap, ${cm}]
          manifest: |
            metadata: {annotations: {foo: bar}}
            data: {b: null, c: "3"}
      - name: json
        resource:
          action: patch
          mergeStrategy: json
          flags: [configmap/${cm}]
          manifest: |
            - {op: replace, path: /data/a, value: "one"}
      - name: delete-missing
        resource:
          action: delete
          flags: [configmap, ${cm}-never-made, --ignore-not-found]
    `);
    expect(o.status.phase, explain(o)).toBe("Succeeded");
    const rv = (d: string) => o.node(d).outputs?.parameters?.[0]?.value;
    expect(rv("apply1")).toBeTruthy();
    expect(rv("apply2")).toBe(rv("apply1"));
    const obj = configMap(await cluster.get({ apiVersion: "v1", kind: "ConfigMap", name: cm, namespace: "default" }));
    expect(obj?.data).toEqual({ a: "one", c: "3" });
    expect(obj?.metadata.annotations?.foo).toBe("bar");
  });

  test("delete by manifest and by label selector removes the objects", async () => {
    const a = unique("del-a");
    const b = unique("del-b");
    const label = unique("batch");
    const cms = [a, b].map((n) => cluster.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: n, namespace: "default", labels: { batch: label } }, data: {} }));
    await Promise.all(cms);
    const o = await runWith(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: by-manifest, template: by-manifest}
          - {name: by-selector, template: by-selector}
      - name: by-manifest
        resource:
          action: delete
          manifest: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ${a}}
      - name: by-selector
        resource:
          action: delete
          flags: [configmap, --selector, batch=${label}]
    `);
    expect(o.status.phase, explain(o)).toBe("Succeeded");
    expect(await cluster.list("v1", "ConfigMap", { namespace: "default", labelSelector: `batch=${label}` })).toEqual([]);
  });

  test("failures: a server error fails the node with its message; unknown flags are named; setOwnerReference warns", async () => {
    const o = await runWith(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: patch-missing, template: patch-missing, continueOn: {failed: true}}
          - {name: bad-flag, template: bad-flag, continueOn: {failed: true}}
          - {name: owned, template: owned}
      - name: patch-missing
        resource:
          action: patch
          flags: [pod, no-such-pod]
          manifest: |
            metadata: {annotations: {a: b}}
      - name: bad-flag
        resource:
          action: delete
          flags: [configmap, x, --frobnicate]
      - name: owned
        resource:
          action: create
          setOwnerReference: true
          manifest: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {generateName: owned-}
    `);
    expect(o.node("patch-missing").phase).toBe("Failed");
    expect(o.node("patch-missing").message).toContain('pods "no-such-pod" not found');
    expect(o.node("bad-flag").phase).toBe("Failed");
    expect(o.node("bad-flag").message).toBe("flag --frobnicate is not supported by Tiphys' resource templates");
    expect(o.node("owned").phase).toBe("Succeeded");
    expect(o.warnings.some((w) => w.includes("setOwnerReference is not applied"))).toBe(true);
  });

  test("without a cluster, a resource node is an Error naming what is missing", async () => {
    const o = await runWith(
      `
      entrypoint: main
      templates:
      - name: main
        resource:
          action: create
          manifest: |
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: never}
    `,
      { cluster: false },
    );
    expect(o.status.phase).toBe("Error");
    expect(Object.values(o.status.nodes)[0]!.message).toBe("resource templates need a Kubernetes cluster; `tiphys run` has none configured yet");
  });
});

const CLI_WORKFLOW = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: res-cli-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: create, template: create}
    - - {name: patch, template: patch}
    - - {name: delete, template: delete}
  - name: create
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cli-cm, labels: {app: cli}}
        data: {k: v}
  - name: patch
    resource:
      action: patch
      mergeStrategy: json
      flags: [configmap, cli-cm]
      manifest: |
        - {op: replace, path: /data/k, value: w}
    outputs:
      parameters:
      - {name: k, valueFrom: {jsonPath: '{.data.k}'}}
  - name: delete
    resource:
      action: delete
      flags: [configmap, --selector, app=cli]
`;

describe("tiphys run with resource templates", () => {
  test("--executor kubernetes --cluster simulated runs them; the node logs say what was done", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("wf.yaml", CLI_WORKFLOW);
    const r = await ws.run(["run", file, "--executor", "kubernetes", "--cluster", "simulated", "-o", "json"], { timeoutMs: 60_000 });
    expect(r.code, describeResult(r)).toBe(0);
    const wf = parseJson(r.stdout);
    expect(wf.status.phase).toBe("Succeeded");
    expect(nodeByName(wf, `${wf.metadata.name}[1].patch`).outputs?.parameters).toEqual([{ name: "k", value: "w" }]);
    expect(r.stderr).toContain("configmap/cli-cm created");
    expect(r.stderr).toContain("configmap/cli-cm deleted");
    const logs = await ws.run(["logs", wf.metadata.name, "patch"]);
    expect(logs.stdout).toBe("configmap/cli-cm patched\n");
    expect(ws.liveProcesses()).toEqual([]);
  });

  test("the local executor still refuses them before the run, naming what is missing", async (ctx) => {
    const ws = workspace(ctx);
    const file = ws.write("wf.yaml", CLI_WORKFLOW);
    const r = await ws.run(["run", file]);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain("`tiphys run` cannot run this workflow locally");
    expect(r.stderr).toContain('template "create" is a resource template: it needs a Kubernetes cluster');
  });
});

/**
 * The corpus examples with `resource` templates and the phase each reaches on the simulated cluster
 * (none is in expected.tsv; see the report for how each was decided).
 */
const CORPUS_CASES: Array<{ file: string; phase: string; check?: (wf: WorkflowJson) => void }> = [
  {
    file: "k8s-jobs.yaml",
    phase: "Succeeded",
    check: (wf) => {
      const root = Object.values(wf.status.nodes).find((n) => n.type === "Pod")!;
      const params = Object.fromEntries((root.outputs?.parameters ?? []).map((p) => [p.name, p.value]));
      expect(params["job-name"]).toMatch(/^rand-num-/);
      expect(JSON.parse(params["job-obj"]!).status.succeeded).toBe(3);
    },
  },
  {
    file: "k8s-orchestration.yaml",
    phase: "Succeeded",
    check: (wf) => {
      const job = nodeByName(wf, `${wf.metadata.name}[0].random-number-job`);
      expect(job.outputs?.parameters?.map((p) => p.name)).toEqual(["job-name", "job-uid"]);
      expect(nodeByName(wf, `${wf.metadata.name}[2].delete-job`).phase).toBe("Succeeded");
    },
  },
  { file: "resource-delete-with-flags.yaml", phase: "Succeeded" },
  {
    file: "k8s-patch-merge-pod.yaml",
    phase: "Failed",
    check: (wf) => expect(Object.values(wf.status.nodes)[0]!.message).toMatch(/pods "k8s-patch-merge-pod-\w+" not found/),
  },
  {
    file: "k8s-owner-reference.yaml",
    phase: "Failed",
    check: (wf) => expect(Object.values(wf.status.nodes)[0]!.message).toContain("does not serve Workflow (argoproj.io/v1alpha1)"),
  },
  {
    file: "k8s-resource-log-selector.yaml",
    phase: "Failed",
    check: (wf) => expect(Object.values(wf.status.nodes)[0]!.message).toContain("does not serve TFJob (kubeflow.org/v1)"),
  },
];

describe("corpus examples with resource templates on the simulated cluster", () => {
  for (const { file, phase, check } of CORPUS_CASES) {
    test.concurrent(`${file} reaches ${phase}`, async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", `${CORPUS}/examples/${file}`, "--executor", "kubernetes", "--cluster", "simulated", "-o", "json"], { timeoutMs: 120_000 });
    const wf = parseJson(r.stdout);
    expect(wf.status.phase, describeResult(r)).toBe(phase);
    expect(r.code).toBe(phase === "Succeeded" ? 0 : 1);
    check?.(wf);
    expect(ws.liveProcesses()).toEqual([]);
  }, 150_000);
  }
});
