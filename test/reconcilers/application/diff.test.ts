import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { diffResource, diffResources, summarizeDiffs } from "../../../src/reconcilers/application/diff.js";
import type { KubeObject } from "../../../src/reconcilers/application/types.js";

/** Manifests are free-form JSON: tests reach into them by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = KubeObject & { spec?: any; [field: string]: any };

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared/corpus");

function corpus(path: string): KubeObject {
  return parse(readFileSync(resolve(CORPUS, path), "utf8")) as KubeObject;
}

const clone = <T>(v: T): T => structuredClone(v);

/** What the API server gives back for the guestbook Deployment once `tiphys` applied it. */
function liveDeployment(desired: KubeObject): Manifest {
  const live = clone(desired) as Manifest;
  live.metadata = {
    ...live.metadata,
    namespace: "default",
    uid: "9d4a1c1e-2f7a-4b7e-9a43-0c1f3c0e6a10",
    resourceVersion: "48213",
    generation: 1,
    creationTimestamp: "2026-01-10T09:00:00Z",
    annotations: { ...(live.metadata.annotations ?? {}), "deployment.kubernetes.io/revision": "1" },
    managedFields: [
      {
        manager: "kube-controller-manager",
        operation: "Update",
        apiVersion: "apps/v1",
        subresource: "status",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } }, "f:status": { "f:replicas": {} } },
      },
    ],
  };
  live.spec.progressDeadlineSeconds = 600;
  live.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  live.spec.template.metadata.creationTimestamp = null;
  Object.assign(live.spec.template.spec, {
    dnsPolicy: "ClusterFirst",
    restartPolicy: "Always",
    schedulerName: "default-scheduler",
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  });
  for (const c of live.spec.template.spec.containers) {
    Object.assign(c, { imagePullPolicy: "IfNotPresent", resources: {}, terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" });
    for (const p of c.ports ?? []) p.protocol = "TCP";
  }
  live.status = { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };
  return live;
}

function liveService(desired: KubeObject): Manifest {
  const live = clone(desired) as Manifest;
  live.metadata = { ...live.metadata, namespace: "default", uid: "1b0c", resourceVersion: "48190", creationTimestamp: "2026-01-10T09:00:00Z" };
  Object.assign(live.spec, {
    clusterIP: "10.96.12.7",
    clusterIPs: ["10.96.12.7"],
    internalTrafficPolicy: "Cluster",
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    sessionAffinity: "None",
    type: "ClusterIP",
  });
  for (const p of live.spec.ports) p.protocol = "TCP";
  live.status = { loadBalancer: {} };
  return live;
}

const deployment = (): Manifest => {
  const d = corpus("argocd-example-apps/guestbook/guestbook-ui-deployment.yaml") as Manifest;
  d.metadata.namespace = "default";
  return d;
};
const service = (): Manifest => {
  const s = corpus("argocd-example-apps/guestbook/guestbook-ui-svc.yaml") as Manifest;
  s.metadata.namespace = "default";
  return s;
};

describe("diffResource: what counts as drift", () => {
  it("server defaults, status and server metadata are not drift (guestbook)", async () => {
    const d = deployment();
    const s = service();
    const dd = await diffResource(d, liveDeployment(d));
    const sd = await diffResource(s, liveService(s));
    expect(dd).toMatchObject({ kind: "unchanged", modified: false, unified: "" });
    expect(sd).toMatchObject({ kind: "unchanged", modified: false, unified: "" });
    // The YAML of an unchanged pair is still there on demand, normalised.
    expect(dd.liveYaml).toContain("imagePullPolicy: IfNotPresent");
    expect(dd.liveYaml).not.toMatch(/uid:|resourceVersion|creationTimestamp|managedFields|status:/);
  });

  it("a changed image is drift, and the unified diff shows exactly that line", async () => {
    const d = deployment();
    const live = liveDeployment(d);
    d.spec.template.spec.containers[0].image = "gcr.io/google-samples/gb-frontend:v6";
    const r = await diffResource(d, live);
    expect(r).toMatchObject({ kind: "changed", modified: true });
    const changes = r.unified.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    expect(changes).toEqual(["-        - image: gcr.io/google-samples/gb-frontend:v5", "+        - image: gcr.io/google-samples/gb-frontend:v6"]);
    expect(r.unified.startsWith("--- live apps/Deployment default/guestbook-ui\n+++ desired apps/Deployment default/guestbook-ui\n@@ ")).toBe(true);
    expect(r.desiredYaml).toContain("image: gcr.io/google-samples/gb-frontend:v6");
    expect(r.liveYaml).toContain("image: gcr.io/google-samples/gb-frontend:v5");
  });

  it("a label only live has (not in desired, not applied by us) is not drift", async () => {
    const d = deployment();
    const live = liveDeployment(d);
    live.metadata.labels = { "team.example.com/owner": "payments" };
    expect((await diffResource(d, live)).kind).toBe("unchanged");
  });

  it("a label our last server-side apply set and desired dropped is drift: the next apply deletes it", async () => {
    const d = deployment();
    const live = liveDeployment(d);
    live.metadata.labels = { tier: "frontend", "team.example.com/owner": "payments" };
    (live.metadata.managedFields as unknown[]).push(
      { manager: "tiphys", operation: "Apply", apiVersion: "apps/v1", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { "f:tier": {} } }, "f:spec": { "f:replicas": {} } } },
      { manager: "kubectl-label", operation: "Update", apiVersion: "apps/v1", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { "f:team.example.com/owner": {} } } } },
    );
    const r = await diffResource(d, live);
    expect(r.kind).toBe("changed");
    expect(r.unified).toContain("-    tier: frontend");
    expect(r.unified).not.toContain("-    team.example.com/owner");
    // With another field manager named, nothing in live is known to be ours.
    expect((await diffResource(d, live, { fieldManager: "someone-else" })).kind).toBe("unchanged");
  });

  it("a container another controller injected (a sidecar) is not drift; a container we applied and removed is", async () => {
    const d = deployment();
    const live = liveDeployment(d);
    live.spec.template.spec.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.22.0", args: ["proxy", "sidecar"] });
    live.spec.template.spec.volumes = [{ name: "istio-envoy", emptyDir: { medium: "Memory" } }];
    expect((await diffResource(d, live)).kind).toBe("unchanged");

    const owned = clone(live);
    (owned.metadata.managedFields as unknown[]).push({
      manager: "tiphys",
      operation: "Apply",
      apiVersion: "apps/v1",
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:spec": {
          "f:template": {
            "f:spec": {
              "f:containers": {
                'k:{"name":"guestbook-ui"}': { ".": {}, "f:image": {}, "f:name": {} },
                'k:{"name":"istio-proxy"}': { ".": {}, "f:image": {}, "f:name": {}, "f:args": {} },
              },
            },
          },
        },
      },
    });
    const r = await diffResource(d, owned);
    expect(r.kind).toBe("changed");
    expect(r.unified).toContain("-        - args:");
    expect(r.unified).toContain("-          image: docker.io/istio/proxyv2:1.22.0");
  });

  it("merges env and ports by their keys: an added variable or a changed port is drift", async () => {
    const d = deployment();
    d.spec.template.spec.containers[0].env = [{ name: "GET_HOSTS_FROM", value: "dns" }];
    const live = liveDeployment(d);
    live.spec.template.spec.containers[0].env.push({ name: "INJECTED_BY_WEBHOOK", value: "1" });
    expect((await diffResource(d, live)).kind).toBe("unchanged");

    const d2 = clone(d);
    d2.spec.template.spec.containers[0].env.push({ name: "REDIS_HOST", value: "redis" });
    const r = await diffResource(d2, live);
    expect(r.kind).toBe("changed");
    expect(r.unified).toContain("+            - name: REDIS_HOST");

    const d3 = clone(d);
    d3.spec.template.spec.containers[0].ports[0].containerPort = 8080;
    expect((await diffResource(d3, live)).unified).toContain("+            - containerPort: 8080");
  });

  it("resource quantities compare by value: 0.5 is 500m and 1Gi is 1024Mi, 1G is not 1Gi", async () => {
    const d = deployment();
    d.spec.template.spec.containers[0].resources = { limits: { cpu: 0.5, memory: "1Gi" }, requests: { cpu: "250m" } };
    const live = liveDeployment(d);
    live.spec.template.spec.containers[0].resources = { limits: { cpu: "500m", memory: "1024Mi" }, requests: { cpu: "250m" } };
    expect((await diffResource(d, live)).kind).toBe("unchanged");
    d.spec.template.spec.containers[0].resources.limits.memory = "1G";
    expect((await diffResource(d, live)).kind).toBe("changed");
  });

  it("empty maps and lists equal absent ones; an empty Role rules list equals none", async () => {
    const d = deployment();
    const live = liveDeployment(d);
    d.spec.template.spec.containers[0].resources = {};
    d.spec.template.spec.containers[0].args = [];
    delete live.spec.template.spec.securityContext;
    expect((await diffResource(d, live)).kind).toBe("unchanged");

    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "reader", namespace: "default" }, rules: [] };
    const liveRole = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "reader", namespace: "default", uid: "u1" } };
    expect((await diffResource(role, liveRole)).kind).toBe("unchanged");
  });

  it("fields the API server defaults inside StatefulSet volumeClaimTemplates are not drift; a changed size is", async () => {
    const sts: Manifest = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "redis", namespace: "default" },
      spec: {
        serviceName: "redis",
        selector: { matchLabels: { app: "redis" } },
        template: { metadata: { labels: { app: "redis" } }, spec: { containers: [{ name: "redis", image: "redis:7.2" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    };
    const live = clone(sts);
    live.spec.volumeClaimTemplates[0] = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", creationTimestamp: null },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1024Mi" } }, volumeMode: "Filesystem" },
      status: { phase: "Pending" },
    };
    expect((await diffResource(sts, live)).kind).toBe("unchanged");
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "5Gi";
    expect((await diffResource(sts, live)).unified).toContain("-            storage: 1024Mi\n+            storage: 5Gi\n");
  });

  it("a desired-only object is added and a live-only one removed, both out of sync", async () => {
    const s = service();
    const added = await diffResource(s, undefined);
    expect(added).toMatchObject({ kind: "added", modified: true, liveYaml: undefined });
    expect(added.unified).toMatch(/^--- live Service default\/guestbook-ui\n\+\+\+ desired Service default\/guestbook-ui\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: v1\n/);
    const removed = await diffResource(undefined, liveService(s));
    expect(removed).toMatchObject({ kind: "removed", modified: true, desiredYaml: undefined });
    expect(removed.unified).toMatch(/@@ -1,\d+ \+0,0 @@\n-apiVersion: v1\n/);
    expect(removed.unified).not.toContain("uid:");
  });

  it("compareDesiredOnly compares plain desired with desired: a field only the base has is a difference", async () => {
    const base = deployment();
    base.spec.template.spec.containers[0].imagePullPolicy = "Always";
    const head = deployment();
    const r = await diffResource(head, base, { compareDesiredOnly: true, labels: { live: "main", desired: "pr-12" } });
    expect(r.kind).toBe("changed");
    expect(r.unified).toContain("--- main apps/Deployment default/guestbook-ui\n+++ pr-12 apps/Deployment default/guestbook-ui");
    expect(r.unified).toContain("-          imagePullPolicy: Always");
  });
});

describe("diffResource: Secrets", () => {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const secret = (body: Record<string, unknown>): KubeObject => ({ apiVersion: "v1", kind: "Secret", metadata: { name: "redis-auth", namespace: "default" }, type: "Opaque", ...body });

  it("stringData is folded into base64 data: the same values are not drift", async () => {
    const desired = secret({ stringData: { password: "hunter2", user: "app" } });
    const live = secret({ data: { password: b64("hunter2"), user: b64("app") } });
    expect((await diffResource(desired, live)).kind).toBe("unchanged");
  });

  it("no secret value, plain or base64, appears in any output; different values get masks of different lengths", async () => {
    const lastApplied = JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "redis-auth" }, stringData: { password: "old-pass-0001" } });
    const desired = secret({ stringData: { password: "new-pass-9999", user: "app" } });
    const live = secret({
      metadata: { name: "redis-auth", namespace: "default", annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } },
      data: { password: b64("old-pass-0001"), user: b64("app"), extra: b64("only-live-value") },
    });
    const r = await diffResource(desired, live);
    expect(r.kind).toBe("changed");
    const text = [r.unified, r.desiredYaml, r.liveYaml].join("\n");
    for (const v of ["new-pass-9999", "old-pass-0001", "app", "only-live-value"]) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(b64(v));
    }
    expect(r.unified).toContain("-  password: ++++++++++++\n+  password: ++++++++\n");
    expect(r.desiredYaml).toContain("user: ++++++++\n");
    expect(r.liveYaml).toContain("user: ++++++++\n");
    expect(r.unified).not.toMatch(/^[-+]\s+user:/m);
    const added = await diffResource(desired, undefined);
    expect(added.unified).toContain("+  password: ++++++++");
    expect(added.unified).not.toContain(b64("new-pass-9999"));
  });

  it("a Secret that is unchanged shows masks in its YAML too", async () => {
    const r = await diffResource(secret({ data: { token: b64("t0k3n") } }), secret({ data: { token: b64("t0k3n") } }));
    expect(r.kind).toBe("unchanged");
    expect(r.liveYaml).toContain("token: ++++++++");
    expect(r.desiredYaml).not.toContain(b64("t0k3n"));
  });
});

describe("diffResources", () => {
  it("pairs by group, kind, namespace and name, sorts, and summarises", async () => {
    const d = deployment();
    const s = service();
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config", namespace: "default" }, data: { LOG_LEVEL: "info" } };
    const liveCm = { ...clone(cm), data: { LOG_LEVEL: "debug" } };
    const orphan = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "old-config", namespace: "default", uid: "x" }, data: { a: "b" } };
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "guestbook" } };
    const diffs = await diffResources([s, d, cm, ns], [liveDeployment(d), liveCm, orphan, { ...clone(ns), status: { phase: "Active" } }], { namespace: "default" });
    expect(diffs.map((x) => [x.key.group, x.key.kind, x.key.namespace, x.key.name, x.kind])).toEqual([
      ["", "ConfigMap", "default", "old-config", "removed"],
      ["", "ConfigMap", "default", "web-config", "changed"],
      ["", "Namespace", "", "guestbook", "unchanged"],
      ["", "Service", "default", "guestbook-ui", "added"],
      ["apps", "Deployment", "default", "guestbook-ui", "unchanged"],
    ]);
    expect(summarizeDiffs(diffs)).toEqual({ added: 1, changed: 1, removed: 1, unchanged: 2 });
  });

  it("is deterministic: key order in the input does not change the output, and keys come out sorted", async () => {
    const d = deployment();
    d.spec.template.spec.containers[0].image = "gcr.io/google-samples/gb-frontend:v6";
    const live = liveDeployment(deployment());
    const reorder = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reorder) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v;
    const a = await diffResources([d], [live]);
    const b = await diffResources([reorder(d) as KubeObject], [reorder(live) as KubeObject]);
    expect(b[0].unified).toBe(a[0].unified);
    expect(b[0].desiredYaml).toBe(a[0].desiredYaml);
    const top = a[0].desiredYaml!.split("\n").filter((l) => /^\w/.test(l));
    expect(top).toEqual(["apiVersion: apps/v1", "kind: Deployment", "metadata:", "spec:"]);
  });

  it("diffs 1,000 typical resources correctly", async () => {
    const desired: KubeObject[] = [];
    const live: KubeObject[] = [];
    const changed = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const name = `svc-${String(i).padStart(4, "0")}`;
      const kind = i % 3;
      let d: KubeObject;
      let l: KubeObject;
      if (kind === 0) {
        d = deployment();
        d.metadata.name = name;
        (d as Manifest).spec.template.spec.containers[0].env = [{ name: "INDEX", value: String(i) }];
        l = liveDeployment(d);
        if (i % 50 === 0) {
          (d as Manifest).spec.template.spec.containers[0].image = `registry.example.com/app:${i}`;
          changed.add(name);
        }
      } else if (kind === 1) {
        d = service();
        d.metadata.name = name;
        l = liveService(d);
      } else {
        d = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels: { app: name } }, data: { "app.properties": `index=${i}\nmode=prod\n` } };
        l = { ...clone(d), metadata: { ...clone(d.metadata), uid: `u${i}`, resourceVersion: String(i) } };
        if (i % 100 === 2) {
          (d as Manifest).data["app.properties"] = `index=${i}\nmode=canary\n`;
          changed.add(name);
        }
      }
      if (i % 200 === 1) {
        live.push(l); // desired no longer has it
      } else if (i % 200 === 4) {
        desired.push(d); // not created yet
      } else {
        desired.push(d);
        live.push(l);
      }
    }
    const diffs = await diffResources(desired, live);
    expect(diffs).toHaveLength(1000);
    expect(summarizeDiffs(diffs)).toEqual({ added: 5, removed: 5, changed: changed.size, unchanged: 1000 - 10 - changed.size });
    expect(new Set(diffs.filter((x) => x.kind === "changed").map((x) => x.key.name))).toEqual(changed);
    const order = diffs.map((x) => [x.key.group, x.key.kind, x.key.namespace, x.key.name].join("\u0000"));
    expect(order).toEqual([...order].sort());
  });
});
