import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import type { WorkflowManifest } from "../../src/engine/model/types.js";
import { globalVars } from "../../src/engine/runtime/scope.js";
import { checkRepositoryConfig, effectiveKeyFormat, endpointUrl } from "../../src/s3/config.js";
import { defaultOutputKey, joinKey, keyVariables, renderKeyFormat } from "../../src/s3/key-format.js";

const workflow: WorkflowManifest = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Workflow",
  metadata: { name: "build-x7k2p", namespace: "ci", labels: { team: "infra" } },
  spec: { entrypoint: "main", arguments: { parameters: [{ name: "release", value: "v1.2" }] }, templates: [] },
};
const created = new Date("2026-03-04T05:06:07Z");
const vars = keyVariables(globalVars(workflow, "0f3c-uid", created), "build-x7k2p-1234567890");

describe("renderKeyFormat", () => {
  it.each([
    ["{{workflow.name}}/{{pod.name}}", "build-x7k2p/build-x7k2p-1234567890"],
    [
      "{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{workflow.name}}/{{pod.name}}",
      "2026/03/04/build-x7k2p/build-x7k2p-1234567890",
    ],
    ["{{workflow.namespace}}/{{workflow.uid}}/{{workflow.labels.team}}", "ci/0f3c-uid/infra"],
    ["releases/{{workflow.parameters.release}}/{{ pod.name }}", "releases/v1.2/build-x7k2p-1234567890"],
    ["fixed/prefix", "fixed/prefix"],
  ])("%s → %s", (format, expected) => {
    expect(renderKeyFormat(format, vars)).toBe(expected);
  });

  it("refuses a variable it cannot resolve, naming it", () => {
    expect(() => renderKeyFormat("{{workflow.name}}/{{steps.x.id}}", vars)).toThrow(ConfigError);
    expect(() => renderKeyFormat("{{workflow.name}}/{{steps.x.id}}", vars)).toThrow("unable to resolve {{steps.x.id}}");
  });
});

describe("defaultOutputKey", () => {
  it.each([
    [{ archived: true, artifactPath: "/tmp/out.txt" }, "build-x7k2p/build-x7k2p-1234567890/result.tgz"],
    [{ archived: false, artifactPath: "/tmp/out.txt" }, "build-x7k2p/build-x7k2p-1234567890/out.txt"],
    [{ archived: false, artifactPath: "/work/dist/" }, "build-x7k2p/build-x7k2p-1234567890/dist"],
  ])("%o → %s", (opts, expected) => {
    expect(defaultOutputKey({ keyFormat: "{{workflow.name}}/{{pod.name}}", vars, artifactName: "result", ...opts })).toBe(expected);
  });
});

describe("keys and configuration", () => {
  it.each([
    [["a", "b.tgz"], "a/b.tgz"],
    [["a/", "/b"], "a/b"],
    [["a//b/", "c"], "a/b/c"],
    [["dir/"], "dir"],
    [["", "x"], "x"],
  ])("joinKey(%j) = %s, as Go's path.Join", (parts, expected) => {
    expect(joinKey(...parts)).toBe(expected);
  });

  it.each([
    [{ endpoint: "minio:9000", insecure: true }, "http://minio:9000"],
    [{ endpoint: "s3.amazonaws.com" }, "https://s3.amazonaws.com"],
    [{ endpoint: "http://127.0.0.1:9000/" }, "http://127.0.0.1:9000"],
  ])("endpointUrl(%o) = %s", (config, expected) => {
    expect(endpointUrl(config)).toBe(expected);
  });

  it("uses keyFormat, else keyPrefix joined with Argo's default pattern", () => {
    expect(effectiveKeyFormat({})).toBe("{{workflow.name}}/{{pod.name}}");
    expect(effectiveKeyFormat({ keyPrefix: "argo" })).toBe("argo/{{workflow.name}}/{{pod.name}}");
    expect(effectiveKeyFormat({ keyFormat: "x/{{pod.name}}", keyPrefix: "argo" })).toBe("x/{{pod.name}}");
  });

  it("lists every problem of a configuration at once", () => {
    let caught: unknown;
    try {
      checkRepositoryConfig({ endpoint: "", bucket: " ", accessKey: "AKIA" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain("endpoint is required");
    expect(message).toContain("bucket is required");
    expect(message).toContain("an access key was given without a secret key");
  });
});
