/**
 * The Pod of a node with artifacts on a real cluster (pure): the main container mounts the shared
 * emptyDir at each input path and at each output's folder, the Tiphys containers read the credentials
 * from Secrets only, and the wrapper says when the command is over.
 */
import { describe, expect, test } from "vitest";
import { planArtifacts, type PodArtifactsOptions } from "../../src/engine/executors/kubernetes/artifact-plan.js";
import { buildPod } from "../../src/engine/executors/kubernetes/pod-spec.js";
import type { PodRequest } from "../../src/engine/executors/types.js";
import type { Template } from "../../src/engine/model/types.js";

const opts: PodArtifactsOptions = {
  s3: { endpoint: "minio:9000", bucket: "my-bucket", insecure: true, accessKeySecret: { name: "my-minio-cred", key: "accesskey" }, secretKeySecret: { name: "my-minio-cred", key: "secretkey" } },
  renderKeyPrefix: (vars, pod) => `${String(vars["workflow.name"])}/${pod}`,
  image: "registry.example.com/tiphys:0.1.0",
  command: ["tiphys"],
  sharedTmp: false,
};

const template: Template = {
  name: "t",
  container: { image: "busybox", command: ["sh", "-c", "cat /tmp/in.txt > /tmp/out/a.txt"] },
  inputs: { artifacts: [{ name: "in", path: "/tmp/in.txt" }] },
  outputs: { artifacts: [{ name: "a", path: "/tmp/out/a.txt" }, { name: "b", path: "/tmp/out/b.txt" }, { name: "c", path: "/data/c" }] },
};

function request(): PodRequest {
  return { nodeId: "n", nodeName: "wf.t", podName: "wf-t-1", workflow: { name: "wf", uid: "u", spec: {} }, template, outputParameterFiles: [], captureResult: false, onLine: () => undefined };
}

type C = { name: string; command: string[]; env?: Array<{ name: string; value?: string; valueFrom?: unknown }>; volumeMounts?: Array<{ mountPath: string; subPath?: string }> };

describe("the Pod of a node with artifacts, on a real cluster", () => {
  const plan = planArtifacts({ inputs: template.inputs!.artifacts!, outputs: template.outputs!.artifacts!, workflowVars: { "workflow.name": "wf" } }, "wf-t-1", opts)!;
  const pod = buildPod({ req: request(), namespace: "ns", artifacts: { plan, opts } });
  const spec = pod.spec as { containers: C[]; initContainers: C[]; volumes: Array<{ name: string; emptyDir?: unknown }> };

  test("main mounts the emptyDir at the input path, at each output folder once, and at the control folder", () => {
    const main = spec.containers.find((c) => c.name === "main")!;
    expect(main.volumeMounts).toEqual([
      { name: "tiphys-artifacts", mountPath: "/tmp/.tiphys/ctl", subPath: "ctl" },
      { name: "tiphys-artifacts", mountPath: "/tmp/in.txt", subPath: "in/in" },
      { name: "tiphys-artifacts", mountPath: "/tmp/out", subPath: "out/0" },
      { name: "tiphys-artifacts", mountPath: "/data", subPath: "out/1" },
    ]);
    expect(main.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(main.command[2]).toContain(`printf '%s\\n' "$rc" > '/tmp/.tiphys/ctl/done'`);
    expect(spec.volumes).toContainEqual({ name: "tiphys-artifacts", emptyDir: {} });
  });

  test("the init and wait containers run the Tiphys image, see the volume's paths, and get the keys only from Secrets", () => {
    const init = spec.initContainers[0];
    const wait = spec.containers.find((c) => c.name === "wait")!;
    expect(init.command).toEqual(["tiphys", "artifact", "load"]);
    expect(wait.command).toEqual(["tiphys", "artifact", "save", "--done-file", "/tmp/.tiphys/ctl/done"]);
    const transfers = JSON.parse(wait.env!.find((e) => e.name === "TIPHYS_ARTIFACTS")!.value!) as Array<{ path: string }>;
    expect(transfers.map((t) => t.path)).toEqual(["/tmp/.tiphys/out/0/a.txt", "/tmp/.tiphys/out/0/b.txt", "/tmp/.tiphys/out/1/c"]);
    const s3 = JSON.parse(init.env!.find((e) => e.name === "TIPHYS_S3")!.value!) as Record<string, unknown>;
    expect(s3).toEqual({ endpoint: "minio:9000", bucket: "my-bucket", insecure: true, keyFormat: "wf/wf-t-1" });
    expect(init.env!.find((e) => e.name === "TIPHYS_S3_SECRET_KEY")).toEqual({ name: "TIPHYS_S3_SECRET_KEY", valueFrom: { secretKeyRef: { name: "my-minio-cred", key: "secretkey" } } });
  });
});
