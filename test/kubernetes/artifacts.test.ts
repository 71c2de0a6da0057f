/**
 * Artifacts of steps run as Pods: an init container loads the inputs and a `wait` container stores the
 * outputs in an S3 repository, both running the Tiphys CLI (here this checkout's, as local processes
 * of the simulated kubelet), against the simulated S3 server. In-process runs through the real
 * Kubernetes client, and one run through the real CLI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SIMULATED_BUCKET, startSimulatedPodArtifacts } from "../../src/app/pod-artifacts.js";
import type { KubeCluster } from "../../src/cluster/kube-cluster.js";
import { clusterFromKubeconfig } from "../../src/cluster/registry.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import type { PodArtifactsOptions } from "../../src/engine/executors/kubernetes/artifact-plan.js";
import { KubernetesExecutor } from "../../src/engine/executors/kubernetes/executor.js";
import type { SimulatedS3 } from "../../src/s3/simulated-s3.js";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { CORPUS, describeResult, nodeByName, parseJson, workspace as cliWorkspace } from "../cli/helpers.js";
import { runLocal, wf } from "../engine/runtime/helpers.js";

let sim: SimulatedCluster;
let cluster: KubeCluster;
let s3: SimulatedS3;
let artifacts: PodArtifactsOptions;
let seq = 0;
const name = (prefix: string) => `${prefix}-${process.pid % 1000}-${++seq}`;

beforeAll(async () => {
  sim = await startSimulatedCluster({ port: 0, kubelet: { mode: "process", podStartDelayMs: 20 } });
  cluster = clusterFromKubeconfig({ text: sim.kubeconfig() });
  ({ s3, options: artifacts } = await startSimulatedPodArtifacts());
});
afterAll(async () => {
  await sim?.close();
  await s3?.close();
});

const secretKey = () => artifacts.secrets![0].stringData.secretkey;
const accessKey = () => artifacts.secrets![0].stringData.accesskey;

async function podsOf(workflow: string): Promise<KubeObject[]> {
  return cluster.list("v1", "Pod", { namespace: "default", labelSelector: `tiphys.io/workflow=${workflow}` });
}

async function allLogs(pods: KubeObject[]): Promise<string> {
  const out: string[] = [];
  for (const p of pods) {
    const spec = p.spec as { containers: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      out.push(await cluster.logs({ namespace: "default", name: p.metadata.name!, container: c.name }));
    }
  }
  return out.join("\n");
}

function run(yaml: string, withArtifacts = true) {
  return runLocal(yaml, { executor: new KubernetesExecutor({ cluster, namespace: "default", artifacts: withArtifacts ? artifacts : undefined }), timeoutMs: 60_000 });
}

describe("artifacts of Pods in an S3 repository", () => {
  test("Argo's artifact-passing example: the output goes to the bucket under the default key format and is the next step's input", async () => {
    const wfName = name("passing");
    const yaml = readFileSync(join(CORPUS, "examples", "artifact-passing.yaml"), "utf8").replace(/generateName: artifact-passing-/, `name: ${wfName}`);
    const r = await run(yaml);
    expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.displayName, n.phase, n.message]))).toBe("Succeeded");
    expect(r.log("consume-artifact")).toEqual(["hello world"]);
    const pods = await podsOf(wfName);
    const genPod = pods.find((p) => p.metadata.annotations?.["tiphys.io/node-name"]?.endsWith(".generate-artifact"))!;
    const key = `${wfName}/${genPod.metadata.name}/hello-art.tgz`;
    expect(r.node("generate-artifact").outputs?.artifacts).toEqual([{ name: "hello-art", path: "/tmp/hello_world.txt", s3: { key } }]);
    expect(s3.buckets.get(SIMULATED_BUCKET, key)?.body.length).toBeGreaterThan(0);

    // Nothing but /bin/sh in the user's image: the Tiphys containers do the moving.
    const consumePod = pods.find((p) => p !== genPod)!;
    const names = (p: KubeObject, field: "containers" | "initContainers") => ((p.spec as Record<string, Array<{ name: string }> | undefined>)[field] ?? []).map((c) => c.name);
    expect(names(genPod, "containers")).toEqual(["main", "wait"]);
    expect(names(consumePod, "initContainers")).toEqual(["tiphys-init"]);

    // The credentials: only secretKeyRefs in the Pod spec, never in a value, a log or the status.
    const specs = JSON.stringify(pods.map((p) => p.spec));
    expect(specs).toContain('"secretKeyRef"');
    for (const secret of [secretKey(), accessKey()]) {
      expect(specs).not.toContain(secret);
      expect(await allLogs(pods)).not.toContain(secret);
      expect(JSON.stringify(r.status)).not.toContain(secret);
      expect([...r.logs.values()].flat().join("\n")).not.toContain(secret);
    }
  });

  test("a folder (tar.gz) and an unarchived file pass between steps; an input's subPath picks one file of a folder", async () => {
    const wfName = name("folders");
    const r = await run(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: make, template: make}
          - - name: use
              template: use
              arguments:
                artifacts:
                - {name: dir, from: "{{steps.make.outputs.artifacts.dir}}"}
                - {name: one, from: "{{steps.make.outputs.artifacts.dir}}", subPath: b/c.txt}
                - {name: plain, from: "{{steps.make.outputs.artifacts.plain}}"}
        - name: make
          container:
            image: busybox
            command: [sh, -c, "mkdir -p /tmp/out/b && echo A > /tmp/out/a.txt && echo C > /tmp/out/b/c.txt && echo P > /tmp/plain.txt"]
          outputs:
            artifacts:
            - {name: dir, path: /tmp/out}
            - {name: plain, path: /tmp/plain.txt, archive: {none: {}}}
        - name: use
          inputs:
            artifacts:
            - {name: dir, path: /tmp/in}
            - {name: one, path: /tmp/one.txt}
            - {name: plain, path: /tmp/p.txt}
          container:
            image: busybox
            command: [sh, -c, 'read a < /tmp/in/a.txt; read c < /tmp/in/b/c.txt; read o < /tmp/one.txt; read p < /tmp/p.txt; echo "$a $c $o $p"']
        `,
        wfName,
      ),
    );
    expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.displayName, n.phase, n.message]))).toBe("Succeeded");
    expect(r.log("use")).toEqual(["A C C P"]);
    const keys = s3.buckets.keys(SIMULATED_BUCKET)!.filter((k) => k.startsWith(`${wfName}/`));
    expect(keys.map((k) => k.split("/").slice(2).join("/")).sort()).toEqual(["dir.tgz", "plain.txt"]);
  });

  test("an optional input that is missing is skipped; a required one makes the step an Error naming the key, and its command never runs", async () => {
    const wfName = name("missing");
    const r = await run(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: optional, template: optional}
            - {name: required, template: required}
        - name: optional
          inputs:
            artifacts:
            - {name: maybe, path: /tmp/maybe.txt, optional: true, s3: {key: no/such/key.tgz}}
          container: {image: busybox, command: [sh, -c, '[ -e /tmp/maybe.txt ] && echo present || echo absent']}
        - name: required
          inputs:
            artifacts:
            - {name: needed, path: /tmp/needed.txt, s3: {key: no/such/needed.tgz}}
          container: {image: busybox, command: [sh, -c, 'echo ran']}
        `,
        wfName,
      ),
    );
    expect(r.node("optional").phase).toBe("Succeeded");
    expect(r.log("optional")).toEqual(["absent"]);
    const required = r.node("required");
    expect(required.phase).toBe("Error");
    expect(required.message).toContain("no/such/needed.tgz");
    expect(r.log("required")).toEqual([]);
  });

  test("a required output that is missing makes a successful step an Error; an optional one is left out", async () => {
    const wfName = name("outmissing");
    const r = await run(
      wf(
        `
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: out, template: out}
        - name: out
          container: {image: busybox, command: [sh, -c, 'echo there > /tmp/there.txt']}
          outputs:
            artifacts:
            - {name: there, path: /tmp/there.txt}
            - {name: maybe, path: /tmp/maybe.txt, optional: true}
            - {name: needed, path: /tmp/needed.txt}
        `,
        wfName,
      ),
    );
    const out = r.node("out");
    expect(out.phase).toBe("Error");
    expect(out.message).toMatch(/failed to save outputs: \/tmp\/needed\.txt no such file or directory/);
    expect(out.outputs?.artifacts?.map((a) => a.name)).toEqual(["there"]);
  });

  test("without an artifact repository a step with artifacts is an Error that says how to give one", async () => {
    const r = await run(readFileSync(join(CORPUS, "examples", "artifact-passing.yaml"), "utf8"), false);
    const gen = r.node("generate-artifact");
    expect(gen.phase).toBe("Error");
    expect(gen.message).toContain("--artifact-repository");
  });
});

describe("tiphys run --executor kubernetes --cluster simulated with artifacts", () => {
  test("starts a simulated S3 it names as such, passes the artifact, and prints no Tiphys markers", async (ctx) => {
    const ws = cliWorkspace(ctx);
    const r = await ws.run(["run", join(CORPUS, "examples", "artifact-passing.yaml"), "--executor", "kubernetes", "--cluster", "simulated", "-o", "json"], { timeoutMs: 90_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toMatch(/SIMULATED S3 \(http:\/\/127\.0\.0\.1:\d+, bucket tiphys-artifacts\)/);
    expect(r.stderr).toContain("consume-artifact: hello world");
    expect(r.stderr + r.stdout).not.toContain("__tiphys_");
    const w = parseJson(r.stdout);
    const outputs = nodeByName(w, `${w.metadata.name}[0].generate-artifact`).outputs as { artifacts?: Array<{ s3?: { key: string } }> } | undefined;
    const key = outputs?.artifacts?.[0]?.s3;
    expect(key?.key).toMatch(new RegExp(`^${w.metadata.name}/${w.metadata.name}-hello-world-to-file-\\d+/hello-art\\.tgz$`));
    expect(ws.liveProcesses()).toEqual([]);
  });

  test("--artifact-repository is refused with --cluster simulated and without --executor kubernetes (exit 2)", async (ctx) => {
    const ws = cliWorkspace(ctx);
    const file = join(CORPUS, "examples", "artifact-passing.yaml");
    const a = await ws.run(["run", file, "--artifact-repository", "repo.yaml"]);
    expect(a.code, describeResult(a)).toBe(2);
    expect(a.stderr).toContain("need --executor kubernetes");
    const b = await ws.run(["run", file, "--executor", "kubernetes", "--cluster", "simulated", "--artifact-repository", "repo.yaml"]);
    expect(b.code, describeResult(b)).toBe(2);
    expect(b.stderr).toContain("simulated S3");
  });
});
