// The pod-template hash must be Argo's own: a ReplicaSet Argo Rollouts created is then recognised, and the
// names match what people know from Argo. Argo's getting-started guide prints rollouts-demo-687d76d795
// (blue) and rollouts-demo-6cf78c66c5 (yellow) for its basic/rollout.yaml.
import { describe, expect, it } from "vitest";
import { canonicalQuantity, computePodTemplateHash, computeStepHash, marshalPodTemplate, safeEncodeString, withoutHashLabel } from "../../../src/reconcilers/rollout/index.js";
import { fnv32a } from "../../../src/reconcilers/rollout/hash.js";
import { corpusRollout } from "./sim.js";

const gettingStarted = (image: string) => ({
  metadata: { labels: { app: "rollouts-demo" } },
  spec: {
    containers: [
      { name: "rollouts-demo", image: `argoproj/rollouts-demo:${image}`, ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }], resources: { requests: { memory: "32Mi", cpu: "5m" } } },
    ],
  },
});

describe("computePodTemplateHash", () => {
  it("gives the hashes Argo's getting-started guide shows", () => {
    expect(computePodTemplateHash(gettingStarted("blue"))).toBe("687d76d795");
    expect(computePodTemplateHash(gettingStarted("yellow"))).toBe("6cf78c66c5");
  });
  it("does not depend on the order keys were written in", () => {
    const t = gettingStarted("blue");
    const reordered = { spec: { containers: [{ resources: { requests: { cpu: "5m", memory: "32Mi" } }, ports: [{ protocol: "TCP", containerPort: 8080, name: "http" }], image: t.spec.containers[0].image, name: "rollouts-demo" }] }, metadata: t.metadata };
    expect(computePodTemplateHash(reordered)).toBe("687d76d795");
  });
  it("a collision count changes the hash (TestHashUtils/HashForDifferentTemplates), 0 included", () => {
    const t = gettingStarted("blue");
    expect(computePodTemplateHash(t, 1)).not.toBe("687d76d795");
    expect(computePodTemplateHash(t, 0)).not.toBe(computePodTemplateHash(t));
    expect(computePodTemplateHash(t, 1)).toBe(computePodTemplateHash(structuredClone(t), 1));
  });
  it("hashes the corpus canary's template to a 10-character safe string", () => {
    const h = computePodTemplateHash(corpusRollout("rollout-canary.yaml").spec.template!);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
  it("safeEncodeString maps digits to Argo's alphabet, fnv32a is FNV-1a", () => {
    expect(safeEncodeString("0123456789")).toBe("456789bcdf");
    expect(fnv32a(Buffer.from(""))).toBe(0x811c9dc5);
    expect(fnv32a(Buffer.from("a"))).toBe(0xe40c292c);
  });
});

describe("marshalPodTemplate (Go's json.Marshal of a PodTemplateSpec)", () => {
  it("writes fields in Go's order with its zero values: creationTimestamp null, resources {}", () => {
    expect(marshalPodTemplate({ spec: { containers: [{ image: "i", name: "a" }] }, metadata: { labels: { b: "2", a: "1" } } })).toBe(
      '{"metadata":{"creationTimestamp":null,"labels":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"a","image":"i","resources":{}}]}}',
    );
  });
  it("drops empty omitempty fields but keeps a pointer's false", () => {
    const json = marshalPodTemplate({ spec: { hostNetwork: false, enableServiceLinks: false, containers: [{ name: "a", args: [] }] } });
    expect(json).toBe('{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"a","resources":{}}],"enableServiceLinks":false}}');
  });
  it("writes the required fields of nested types (env name, port, probe port) even when empty", () => {
    const json = marshalPodTemplate({ spec: { containers: [{ name: "a", env: [{ value: "x" }], readinessProbe: { httpGet: { path: "/" } } }] } });
    expect(json).toContain('"env":[{"name":"","value":"x"}]');
    expect(json).toContain('"readinessProbe":{"httpGet":{"path":"/","port":0}}');
  });
  it("escapes HTML characters as Go does", () => {
    expect(marshalPodTemplate({ metadata: { annotations: { a: "<b>&" } }, spec: { containers: [] } })).toContain('"a":"\\u003cb\\u003e\\u0026"');
  });
  it("keeps keys it does not know, sorted after the known ones", () => {
    expect(marshalPodTemplate({ spec: { zeta: 1, containers: [], alpha: true } })).toBe('{"metadata":{"creationTimestamp":null},"spec":{"containers":[],"alpha":true,"zeta":1}}');
  });
});

describe("canonicalQuantity (resource.Quantity's canonical form)", () => {
  it.each([
    ["0.5", "500m"],
    [1, "1"],
    ["1000m", "1"],
    ["1024Mi", "1Gi"],
    ["1.5Gi", "1536Mi"],
    ["100Mi", "100Mi"],
    ["1500", "1500"],
    ["2000", "2k"],
    ["1e3", "1e3"],
    ["0.1", "100m"],
    ["512M", "512M"],
    ["5m", "5m"],
    ["0", "0"],
    ["1.1Ki", "1126400m"],
    ["not-a-quantity", "not-a-quantity"],
  ] as const)("%s → %s", (input, want) => expect(canonicalQuantity(input)).toBe(want));
});

describe("computeStepHash", () => {
  it("changes with the steps and is empty for blue-green", () => {
    const canary = corpusRollout("rollout-canary.yaml");
    const a = computeStepHash(canary.spec);
    const changed = structuredClone(canary.spec);
    changed.strategy.canary!.steps![0].setWeight = 30;
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computeStepHash(changed)).not.toBe(a);
    expect(computeStepHash(corpusRollout("rollout-bluegreen.yaml").spec)).toBe("");
  });
  it("withoutHashLabel drops only rollouts-pod-template-hash", () => {
    expect(withoutHashLabel({ metadata: { labels: { app: "x", "rollouts-pod-template-hash": "abc" } } })).toEqual({ metadata: { labels: { app: "x" } } });
  });
});
