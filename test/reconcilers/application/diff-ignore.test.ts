import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { diffResource, diffResources } from "../../../src/reconcilers/application/diff.js";
import type { KubeObject, ResourceIgnoreDifferences } from "../../../src/reconcilers/application/types.js";

/** Manifests are free-form JSON: tests reach into them by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = KubeObject & { spec: any; [field: string]: any };

/** A Deployment as in Git: 2 replicas, an app container and a log shipper. */
function desiredDeployment(): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "checkout", namespace: "shop", labels: { app: "checkout" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "checkout" } },
      template: {
        metadata: { labels: { app: "checkout" } },
        spec: {
          containers: [
            { name: "app", image: "registry.example.com/checkout:1.4.0", ports: [{ containerPort: 8080, name: "http" }] },
            { name: "log-shipper", image: "fluent/fluent-bit:3.0" },
          ],
        },
      },
    },
  };
}

/**
 * Live after an HPA scaled it to 5: the HPA's writes go through the scale subresource, so the replicas
 * field belongs to kube-controller-manager, and an image updater bumped the app image.
 */
function scaledLive(): Obj {
  const live = desiredDeployment();
  live.metadata = {
    ...live.metadata,
    uid: "2c1e",
    resourceVersion: "9911",
    generation: 7,
    managedFields: [
      {
        manager: "tiphys",
        operation: "Apply",
        apiVersion: "apps/v1",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:selector": {},
            "f:template": {
              "f:metadata": { "f:labels": { "f:app": {} } },
              "f:spec": {
                "f:containers": {
                  'k:{"name":"app"}': { ".": {}, "f:name": {}, "f:ports": { 'k:{"containerPort":8080,"protocol":"TCP"}': { ".": {}, "f:containerPort": {}, "f:name": {} } } },
                  'k:{"name":"log-shipper"}': { ".": {}, "f:image": {}, "f:name": {} },
                },
              },
            },
          },
        },
      },
      { manager: "kube-controller-manager", operation: "Update", apiVersion: "apps/v1", subresource: "scale", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:replicas": {} } } },
      {
        manager: "argocd-image-updater",
        operation: "Update",
        apiVersion: "apps/v1",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"app"}': { "f:image": {} } } } } } },
      },
    ],
  };
  live.spec.replicas = 5;
  live.spec.template.spec.containers[0].image = "registry.example.com/checkout:1.4.1";
  live.spec.template.spec.containers[0].ports[0].protocol = "TCP";
  live.status = { replicas: 5 };
  return live;
}

const onDeployments = (e: Partial<ResourceIgnoreDifferences>): ResourceIgnoreDifferences[] => [{ group: "apps", kind: "Deployment", ...e }];

describe("ignoreDifferences: jsonPointers", () => {
  it("/spec/replicas on a Deployment an HPA scales removes that difference from both sides", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    live.spec.template.spec.containers[0].image = desired.spec.template.spec.containers[0].image;
    const plain = await diffResource(desired, live);
    expect(plain.kind).toBe("changed");
    expect(plain.unified).toContain("-  replicas: 5\n+  replicas: 2");

    const r = await diffResource(desired, live, { ignoreDifferences: onDeployments({ jsonPointers: ["/spec/replicas"] }) });
    expect(r.kind).toBe("unchanged");
    expect(r.desiredYaml).not.toContain("replicas:");
    expect(r.liveYaml).not.toContain("replicas:");
  });

  it("escapes ~1 and ~0, removes list items by index, and ignores paths that are not there", async () => {
    const desired = desiredDeployment();
    desired.metadata.annotations = { "example.com/build~id": "1" };
    const live = desiredDeployment();
    live.metadata.annotations = { "example.com/build~id": "2" };
    live.spec.template.spec.containers[1].image = "fluent/fluent-bit:3.1";
    const r = await diffResource(desired, live, {
      ignoreDifferences: onDeployments({ jsonPointers: ["/metadata/annotations/example.com~1build~0id", "/spec/template/spec/containers/1", "/spec/not/there", "/spec/template/spec/containers/9"] }),
    });
    expect(r.kind).toBe("unchanged");
    expect(r.desiredYaml).not.toContain("log-shipper");
  });

  it("applies only to matching objects: group and kind as globs, name and namespace exactly", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    live.spec.template.spec.containers[0].image = desired.spec.template.spec.containers[0].image;
    const kindOf = async (entry: ResourceIgnoreDifferences) => (await diffResource(desired, live, { ignoreDifferences: [entry] })).kind;
    const jsonPointers = ["/spec/replicas"];
    expect(await kindOf({ group: "*", kind: "Deploy*", jsonPointers })).toBe("unchanged");
    expect(await kindOf({ group: "apps", kind: "Deployment", name: "checkout", namespace: "shop", jsonPointers })).toBe("unchanged");
    expect(await kindOf({ group: "apps", kind: "Deployment", name: "cart", jsonPointers })).toBe("changed");
    expect(await kindOf({ group: "apps", kind: "Deployment", namespace: "staging", jsonPointers })).toBe("changed");
    expect(await kindOf({ kind: "Deployment", jsonPointers })).toBe("changed"); // no group: the core group only
    expect(await kindOf({ group: "apps", kind: "StatefulSet", jsonPointers })).toBe("changed");
  });

  it("a pointer that does not start with / is a ConfigError naming it", async () => {
    const err = await diffResource(desiredDeployment(), scaledLive(), { ignoreDifferences: onDeployments({ jsonPointers: ["spec/replicas"] }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toContain('"spec/replicas"');
  });
});

describe("ignoreDifferences: jqPathExpressions (real jq)", () => {
  const imageOfApp = '.spec.template.spec.containers[] | select(.name == "app") | .image';

  it("removes the paths the expression selects, only where it selects them", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    const r = await diffResource(desired, live, { ignoreDifferences: onDeployments({ jsonPointers: ["/spec/replicas"], jqPathExpressions: [imageOfApp] }) });
    expect(r.kind).toBe("unchanged");
    expect(r.desiredYaml).toContain("image: fluent/fluent-bit:3.0"); // the other container keeps its image
    expect(r.desiredYaml).not.toContain("checkout:1.4");

    const other = await diffResource(desired, live, {
      ignoreDifferences: onDeployments({ jsonPointers: ["/spec/replicas"], jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "log-shipper") | .image'] }),
    });
    expect(other.kind).toBe("changed");
    expect(other.unified).toContain("+        - image: registry.example.com/checkout:1.4.0");
  });

  it("handles expressions that delete list items and use jq builtins", async () => {
    const desired = desiredDeployment();
    const live = desiredDeployment();
    live.spec.template.spec.containers.push({ name: "istio-proxy", image: "istio/proxyv2:1.22.0" });
    live.metadata.annotations = { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' };
    const owned = { ...live, metadata: { ...live.metadata, managedFields: scaledLive().metadata.managedFields } } as Obj;
    (owned.metadata.managedFields as Obj[])[0].fieldsV1["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"istio-proxy"}'] = { ".": {}, "f:name": {}, "f:image": {} };
    owned.spec.replicas = 2;
    owned.spec.template.spec.containers[0].ports[0].protocol = "TCP";
    expect((await diffResource(desired, owned)).kind).toBe("changed");
    const r = await diffResource(desired, owned, {
      ignoreDifferences: onDeployments({ jqPathExpressions: ['.spec.template.spec.containers[] | select(.name | startswith("istio-"))', '.metadata.annotations | with_entries(select(.key | test("^sidecar[.]istio[.]io/")))'] }),
    });
    // with_entries is not a path expression: jq fails on each object, so (as in Argo) nothing is removed by it.
    expect(r.kind).toBe("unchanged");
  });

  it("an expression that fails on an object leaves that object as it was, as Argo does", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    const r = await diffResource(desired, live, { ignoreDifferences: onDeployments({ jqPathExpressions: [".metadata.name[0]"] }) });
    expect(r.kind).toBe("changed");
    expect(r.desiredYaml).toContain("name: checkout");
  });

  it("an invalid expression is a ConfigError naming it, even when no object matches", async () => {
    const err = await diffResource(desiredDeployment(), scaledLive(), {
      ignoreDifferences: [{ group: "batch", kind: "Job", jqPathExpressions: [".spec.template.spec.containers[] | select(.name == )"] }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^ignoreDifferences: invalid jqPathExpressions entry "\.spec\.template\.spec\.containers\[\] \| select\(\.name == \)": syntax error/);
    // An expression cannot close the del(...) it is wrapped in.
    const escape = await diffResource(desiredDeployment(), scaledLive(), { ignoreDifferences: onDeployments({ jqPathExpressions: [".spec) | (.metadata"] }) }).catch((e: unknown) => e);
    expect(escape).toBeInstanceOf(ConfigError);
  });

  it("an expression that runs away is stopped after the time limit, and jq keeps working after", async () => {
    const err = await diffResource(desiredDeployment(), scaledLive(), {
      ignoreDifferences: onDeployments({ jqPathExpressions: [".spec | until(false; .)"] }),
      jqTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('".spec | until(false; .)" failed: timed out');
    const ok = await diffResource(desiredDeployment(), scaledLive(), { ignoreDifferences: onDeployments({ jsonPointers: ["/spec/replicas"], jqPathExpressions: [imageOfApp] }) });
    expect(ok.kind).toBe("unchanged");
  });

  it("runs once per expression over many objects", async () => {
    const desired: KubeObject[] = [];
    const live: KubeObject[] = [];
    for (let i = 0; i < 300; i++) {
      const d = desiredDeployment();
      d.metadata.name = `checkout-${i}`;
      const l = scaledLive();
      l.metadata.name = `checkout-${i}`;
      desired.push(d);
      live.push(l);
    }
    const diffs = await diffResources(desired, live, { ignoreDifferences: onDeployments({ jsonPointers: ["/spec/replicas"], jqPathExpressions: [imageOfApp] }) });
    expect(diffs.every((x) => x.kind === "unchanged")).toBe(true);
  });
});

describe("ignoreDifferences: managedFieldsManagers", () => {
  it("fields a trusted manager owns keep their live value: replicas the HPA set are not drift", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    live.spec.template.spec.containers[0].image = desired.spec.template.spec.containers[0].image;
    expect((await diffResource(desired, live)).kind).toBe("changed");
    const r = await diffResource(desired, live, { ignoreDifferences: onDeployments({ managedFieldsManagers: ["kube-controller-manager"] }) });
    expect(r.kind).toBe("unchanged");
    expect(r.desiredYaml).toContain("replicas: 5");
    const other = await diffResource(desired, live, { ignoreDifferences: onDeployments({ managedFieldsManagers: ["some-other-controller"] }) });
    expect(other.kind).toBe("changed");
  });

  it("follows keyed list items: the image the image updater owns in container app", async () => {
    const desired = desiredDeployment();
    const live = scaledLive();
    const r = await diffResource(desired, live, { ignoreDifferences: onDeployments({ managedFieldsManagers: ["kube-controller-manager", "argocd-image-updater"] }) });
    expect(r.kind).toBe("unchanged");
    expect(r.desiredYaml).toContain("image: registry.example.com/checkout:1.4.1");
    // A change to a field the trusted managers do not own is still drift.
    desired.spec.template.spec.containers[1].image = "fluent/fluent-bit:3.2";
    const changed = await diffResource(desired, live, { ignoreDifferences: onDeployments({ managedFieldsManagers: ["kube-controller-manager", "argocd-image-updater"] }) });
    expect(changed.unified.split("\n").filter((l) => /^[-+] /.test(l))).toEqual(["-        - image: fluent/fluent-bit:3.0", "+        - image: fluent/fluent-bit:3.2"]);
  });
});
