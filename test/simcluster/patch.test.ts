// The three patch formats, as pure functions.
import { describe, expect, it } from "vitest";
import { jsonPatch, mergePatch, strategicMergePatch } from "../../src/simcluster/patch.js";
import { ApiError } from "../../src/simcluster/status.js";

const builtin = { builtin: true };

const deployment = () => ({
  metadata: { name: "web", labels: { app: "web", tier: "front" }, finalizers: ["a"] },
  spec: {
    replicas: 2,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%" } },
    template: {
      spec: {
        containers: [
          { name: "web", image: "nginx:1.25", ports: [{ containerPort: 80 }, { containerPort: 443 }], env: [{ name: "A", value: "1" }] },
          { name: "log", image: "busybox", args: ["-a", "-b"] },
        ],
        volumes: [{ name: "data", emptyDir: {} }],
      },
    },
  },
});

describe("JSON merge patch (RFC 7386)", () => {
  it.each([
    ["adds and replaces keys", { a: 1, b: { c: 2 } }, { b: { d: 3 }, e: 4 }, { a: 1, b: { c: 2, d: 3 }, e: 4 }],
    ["deletes with null", { a: 1, b: { c: 2, d: 3 } }, { b: { c: null } }, { a: 1, b: { d: 3 } }],
    ["replaces lists whole", { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ["replaces a non-object target", { a: "x" }, { a: { b: 1 } }, { a: { b: 1 } }],
  ])("%s", (_name, target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});

describe("strategic merge patch", () => {
  it("merges containers by name: changes one, adds another, keeps the rest", () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.26" }, { name: "new", image: "x" }] } } } }, builtin) as ReturnType<typeof deployment>;
    const containers = out.spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(["web", "log", "new"]);
    expect(containers[0]).toMatchObject({ image: "nginx:1.26", env: [{ name: "A", value: "1" }] });
    expect(containers[0].ports).toHaveLength(2);
  });

  it("merges ports by containerPort and env by name, and replaces plain lists", () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: "web", ports: [{ containerPort: 80, name: "http" }], env: [{ name: "B", value: "2" }] },
              { name: "log", args: ["-c"] },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch(deployment(), patch, builtin) as ReturnType<typeof deployment>;
    const [web, log] = out.spec.template.spec.containers;
    expect(web.ports).toEqual([{ containerPort: 80, name: "http" }, { containerPort: 443 }]);
    expect(web.env).toEqual([{ name: "A", value: "1" }, { name: "B", value: "2" }]);
    expect(log.args).toEqual(["-c"]);
  });

  it("deletes a list item with $patch: delete and a field with null", () => {
    const patch = { metadata: { labels: { tier: null } }, spec: { template: { spec: { containers: [{ name: "log", $patch: "delete" }] } } } };
    const out = strategicMergePatch(deployment(), patch, builtin) as ReturnType<typeof deployment>;
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["web"]);
    expect(out.metadata.labels).toEqual({ app: "web" });
  });

  it("replaces a map with $patch: replace and a list with a replace item", () => {
    const patch = {
      spec: {
        strategy: { $patch: "replace", type: "Recreate" },
        template: { spec: { volumes: [{ $patch: "replace" }, { name: "other", emptyDir: {} }] } },
      },
    };
    const out = strategicMergePatch(deployment(), patch, builtin) as ReturnType<typeof deployment>;
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
    expect(out.spec.template.spec.volumes).toEqual([{ name: "other", emptyDir: {} }]);
  });

  it("honours $retainKeys, $setElementOrder and $deleteFromPrimitiveList, and merges finalizers as a set", () => {
    const patch = {
      metadata: { finalizers: ["b", "a"], "$deleteFromPrimitiveList/finalizers": ["a"] },
      spec: {
        strategy: { $retainKeys: ["type"], type: "Recreate" },
        template: { spec: { "$setElementOrder/containers": [{ name: "log" }, { name: "web" }] } },
      },
    };
    const out = strategicMergePatch(deployment(), patch, builtin) as ReturnType<typeof deployment>;
    expect(out.metadata.finalizers).toEqual(["b"]);
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(["log", "web"]);
  });

  it("refuses a list item without its merge key (422)", () => {
    const err = (() => {
      try {
        strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: "x" }] } } } }, builtin);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
  });
});

describe("JSON patch (RFC 6902)", () => {
  const doc = () => ({ a: { b: 1, "x/y": 2, "t~": 3 }, l: [1, 2, 3] });

  it.each([
    ["add", [{ op: "add", path: "/a/c", value: 5 }], { a: { b: 1, "x/y": 2, "t~": 3, c: 5 }, l: [1, 2, 3] }],
    ["append with -", [{ op: "add", path: "/l/-", value: 4 }], { a: { b: 1, "x/y": 2, "t~": 3 }, l: [1, 2, 3, 4] }],
    ["insert", [{ op: "add", path: "/l/0", value: 0 }], { a: { b: 1, "x/y": 2, "t~": 3 }, l: [0, 1, 2, 3] }],
    ["remove escaped keys", [{ op: "remove", path: "/a/x~1y" }, { op: "remove", path: "/a/t~0" }], { a: { b: 1 }, l: [1, 2, 3] }],
    ["replace", [{ op: "replace", path: "/l/1", value: 9 }], { a: { b: 1, "x/y": 2, "t~": 3 }, l: [1, 9, 3] }],
    ["move", [{ op: "move", from: "/a/b", path: "/c" }], { a: { "x/y": 2, "t~": 3 }, l: [1, 2, 3], c: 1 }],
    ["copy", [{ op: "copy", from: "/l", path: "/m" }], { a: { b: 1, "x/y": 2, "t~": 3 }, l: [1, 2, 3], m: [1, 2, 3] }],
    ["test then change", [{ op: "test", path: "/a/b", value: 1 }, { op: "replace", path: "/a/b", value: 2 }], { a: { b: 2, "x/y": 2, "t~": 3 }, l: [1, 2, 3] }],
  ])("%s", (_name, ops, expected) => {
    expect(jsonPatch(doc(), ops)).toEqual(expected);
  });

  it.each([
    ["a failed test", [{ op: "test", path: "/a/b", value: 2 }], 422],
    ["a missing path", [{ op: "replace", path: "/nope", value: 1 }], 422],
    ["an unknown op", [{ op: "frobnicate", path: "/a" }], 400],
    ["not a list", { op: "add" }, 400],
  ])("refuses %s", (_name, ops, code) => {
    const err = (() => {
      try {
        jsonPatch(doc(), ops);
      } catch (e) {
        return e;
      }
    })();
    expect((err as ApiError).code).toBe(code);
  });
});
