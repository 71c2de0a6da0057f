// The internal API: the same semantics the HTTP server serves, called in-process.
import { describe, expect, it } from "vitest";
import { createSimApi } from "../../src/simcluster/index.js";
import type { SimEvent } from "../../src/simcluster/api.js";
import { apiError, configMap, deployment, pod, ROLLOUT_CRD, WORKFLOW_CRD } from "./helpers.js";

describe("create, read, update", () => {
  it("sets uid, resourceVersion, generation and creationTimestamp; resourceVersions only grow", () => {
    const api = createSimApi();
    const a = api.create("configmaps", configMap("a"), { namespace: "default" });
    const b = api.create("deployments.apps", deployment("web"), { namespace: "default" });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(b.metadata.generation).toBe(1);
    expect(a.metadata.generation).toBeUndefined();
    expect(api.get("configmaps", "default", "a")).toEqual(a);
  });

  it("fills in the server's defaults", () => {
    const api = createSimApi();
    const d = api.create("deployments.apps", { ...deployment("web"), spec: { ...(deployment("web").spec as object), replicas: undefined } }, { namespace: "default" });
    expect(d.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, strategy: { type: "RollingUpdate" } });
    const svc = api.create("services", { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } }, { namespace: "default" });
    expect(svc.spec).toMatchObject({ type: "ClusterIP", clusterIP: expect.stringMatching(/^10\.96\./), ports: [{ port: 80, targetPort: 80, protocol: "TCP" }] });
    const secret = api.create("secrets", { metadata: { name: "s" }, stringData: { k: "v" } }, { namespace: "default" });
    expect(secret).toMatchObject({ type: "Opaque", data: { k: Buffer.from("v").toString("base64") } });
    expect(secret.stringData).toBeUndefined();
  });

  it("bumps generation on spec changes only, and skips writes that change nothing", () => {
    const api = createSimApi();
    const d = api.create("deployments.apps", deployment("web"), { namespace: "default" });
    const relabelled = api.update("deployments.apps", { ...d, metadata: { ...d.metadata, labels: { app: "web", x: "y" } } });
    expect(relabelled.metadata.generation).toBe(1);
    const scaled = api.update("deployments.apps", { ...relabelled, spec: { ...(relabelled.spec as object), replicas: 3 } });
    expect(scaled.metadata.generation).toBe(2);
    const withStatus = api.updateStatus("deployments.apps", { ...scaled, status: { replicas: 3 } });
    expect(withStatus.metadata.generation).toBe(2);
    const same = api.update("deployments.apps", withStatus);
    expect(same.metadata.resourceVersion).toBe(withStatus.metadata.resourceVersion);
  });

  it("keeps status out of main-resource updates and spec out of status updates", () => {
    const api = createSimApi();
    const d = api.create("deployments.apps", { ...deployment("web"), status: { replicas: 99 } }, { namespace: "default" });
    expect(d.status).toEqual({});
    const updated = api.update("deployments.apps", { ...d, status: { replicas: 5 } });
    expect(updated.status).toEqual({});
    const status = api.updateStatus("deployments.apps", { ...updated, spec: { ...(updated.spec as object), replicas: 7 }, status: { replicas: 2 } });
    expect(status.status).toEqual({ replicas: 2 });
    expect((status.spec as { replicas: number }).replicas).toBe(1);
    expect(status.metadata.managedFields?.find((m) => m.subresource === "status")?.manager).toBe("simcluster");
  });

  it("answers 409 to a stale resourceVersion, 409 AlreadyExists, 404 for a missing namespace", () => {
    const api = createSimApi();
    const cm = api.create("configmaps", configMap("a"), { namespace: "default" });
    api.update("configmaps", { ...cm, data: { x: "1" } });
    const stale = apiError(() => api.update("configmaps", { ...cm, data: { x: "2" } }));
    expect(stale.status).toMatchObject({ code: 409, reason: "Conflict", message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again' });
    expect(apiError(() => api.create("configmaps", configMap("a"), { namespace: "default" })).status).toMatchObject({ code: 409, reason: "AlreadyExists", message: 'configmaps "a" already exists' });
    expect(apiError(() => api.create("configmaps", configMap("a"), { namespace: "nope" })).status).toMatchObject({ code: 404, reason: "NotFound", message: 'namespaces "nope" not found' });
    expect(apiError(() => api.get("deployments.apps", "default", "gone")).status).toMatchObject({ code: 404, message: 'deployments.apps "gone" not found', details: { name: "gone", group: "apps", kind: "deployments" } });
  });

  it("validates: 422 with causes for bad names, missing containers, selectors that miss the template", () => {
    const api = createSimApi();
    const bad = apiError(() => api.create("configmaps", configMap("Bad_Name"), { namespace: "default" }));
    expect(bad.status).toMatchObject({ code: 422, reason: "Invalid", details: { name: "Bad_Name", kind: "ConfigMap", causes: [{ reason: "FieldValueInvalid", field: "metadata.name" }] } });
    expect(bad.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const noContainers = apiError(() => api.create("pods", { metadata: { name: "p" }, spec: { containers: [] } }, { namespace: "default" }));
    expect(noContainers.status.details?.causes).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "spec.containers" }]);
    const d = deployment("web");
    (d.spec as { selector: unknown }).selector = { matchLabels: { app: "other" } };
    expect(apiError(() => api.create("deployments.apps", d, { namespace: "default" })).message).toContain("`selector` does not match template `labels`");
    const job = { metadata: { name: "j" }, spec: { template: { spec: { containers: [{ name: "c", image: "x" }] } } } };
    expect(apiError(() => api.create("jobs.batch", job, { namespace: "default" })).message).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always"');
  });

  it("generates names from generateName, and gives Jobs a selector on their uid", () => {
    const api = createSimApi({ seed: 7 });
    const a = api.create("configmaps", { metadata: { generateName: "run-" } }, { namespace: "default" });
    expect(a.metadata.name).toMatch(/^run-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const job = api.create("jobs.batch", { metadata: { name: "j" }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "x" }] } } } }, { namespace: "default" });
    expect(job.spec).toMatchObject({ selector: { matchLabels: { "batch.kubernetes.io/controller-uid": job.metadata.uid } }, backoffLimit: 6, completions: 1 });
  });

  it("changes nothing on dryRun", () => {
    const api = createSimApi();
    const rv = api.resourceVersion;
    const o = api.create("configmaps", configMap("dry"), { namespace: "default", dryRun: true });
    expect(o.metadata.name).toBe("dry");
    expect(api.tryGet("configmaps", "default", "dry")).toBeUndefined();
    expect(api.resourceVersion).toBe(rv);
  });

  it("lists with selectors and pages with limit and continue", () => {
    const api = createSimApi();
    for (const n of ["a", "b", "c", "d", "e"]) api.create("pods", pod(n, { app: n < "c" ? "x" : "y" }), { namespace: "default" });
    expect(api.list("pods", { namespace: "default", labelSelector: "app=x" }).items.map((p) => p.metadata.name)).toEqual(["a", "b"]);
    expect(api.list("pods", { fieldSelector: "metadata.name!=a,status.phase=Pending", labelSelector: "app in (x)" }).items.map((p) => p.metadata.name)).toEqual(["b"]);
    const first = api.list("pods", { namespace: "default", limit: 2 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(["a", "b"]);
    expect(first.remainingItemCount).toBe(3);
    const second = api.list("pods", { namespace: "default", limit: 2, continue: first.continue });
    const third = api.list("pods", { namespace: "default", limit: 2, continue: second.continue });
    expect([...second.items, ...third.items].map((p) => p.metadata.name)).toEqual(["c", "d", "e"]);
    expect(third.continue).toBeUndefined();
  });

  it("hands out copies, or with readonly the stored objects, which cannot be changed in place", () => {
    const api = createSimApi();
    api.create("configmaps", configMap("c", { a: "1" }), { namespace: "default" });
    const copy = api.get("configmaps", "default", "c");
    (copy.data as Record<string, string>).a = "changed";
    expect(api.get("configmaps", "default", "c").data).toEqual({ a: "1" });
    const [stored] = api.list("configmaps", { namespace: "default", readonly: true }).items;
    expect(() => ((stored.data as Record<string, string>).a = "x")).toThrow(TypeError);
  });

  it("serves the scale subresource", () => {
    const api = createSimApi();
    api.create("deployments.apps", deployment("web", { replicas: 2 }), { namespace: "default" });
    expect(api.getScale("deployments.apps", "default", "web")).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { replicas: 0, selector: "app=web" } });
    const scale = api.patch("deployments.apps", "default", "web", { spec: { replicas: 5 } }, { type: "merge", subresource: "scale" });
    expect(scale.spec).toEqual({ replicas: 5 });
    expect(api.get("deployments.apps", "default", "web").metadata.generation).toBe(2);
  });
});

describe("custom resources", () => {
  it("serves a CRD's resource once created, with status conditions, and removes its objects with it", async () => {
    const api = createSimApi();
    const crd = api.create("customresourcedefinitions", WORKFLOW_CRD);
    expect(api.get("crd", undefined, crd.metadata.name ?? "").status).toMatchObject({ conditions: [{ type: "NamesAccepted", status: "True" }, { type: "Established", status: "True" }] });
    const wf = api.create({ apiVersion: "argoproj.io/v1alpha1", kind: "Workflow" }, { metadata: { name: "hello" }, spec: { entrypoint: "main" }, status: { phase: "Running" } }, { namespace: "default" });
    expect(wf).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", status: { phase: "Running" } });
    expect(api.list("wf").items).toHaveLength(1);
    const smp = apiError(() => api.patch("workflows.argoproj.io", "default", "hello", { spec: {} }, { type: "strategic" }));
    expect(smp.code).toBe(415);
    api.delete("crd", undefined, "workflows.argoproj.io");
    await api.settle();
    expect(api.resources.tryResolve("workflows.argoproj.io")).toBeUndefined();
  });

  it("honours a CRD's status and scale subresources", () => {
    const api = createSimApi();
    api.create("crd", ROLLOUT_CRD);
    const ro = api.create("rollouts.argoproj.io", { metadata: { name: "r" }, spec: { replicas: 3 }, status: { phase: "x" } }, { namespace: "default" });
    expect(ro.status).toBeUndefined();
    const withStatus = api.updateStatus("rollouts", { ...ro, status: { replicas: 1, selector: "app=r" } });
    expect(withStatus.metadata.generation).toBe(1);
    expect(api.getScale("rollouts", "default", "r")).toMatchObject({ spec: { replicas: 3 }, status: { replicas: 1, selector: "app=r" } });
  });
});

describe("deletion", () => {
  const owned = (name: string, owner: { metadata: { name?: string; uid?: string } }, block = false) =>
    configMap(name, {}, { ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", blockOwnerDeletion: block }] });

  it("holds an object with finalizers until they are removed", async () => {
    const api = createSimApi();
    api.create("configmaps", configMap("f", {}, { finalizers: ["example.com/hold"] }), { namespace: "default" });
    const { object, deleted } = api.delete("configmaps", "default", "f");
    expect(deleted).toBe(false);
    expect(object.metadata.deletionTimestamp).toBeDefined();
    const err = apiError(() => api.update("configmaps", { ...object, metadata: { ...object.metadata, finalizers: ["example.com/hold", "new"] } }));
    expect(err.code).toBe(422);
    api.update("configmaps", { ...object, metadata: { ...object.metadata, finalizers: [] } });
    expect(api.tryGet("configmaps", "default", "f")).toBeUndefined();
  });

  it("Background: deletes the owner at once, dependents after, down the chain", async () => {
    const api = createSimApi();
    const owner = api.create("configmaps", configMap("owner"), { namespace: "default" });
    const child = api.create("configmaps", owned("child", owner), { namespace: "default" });
    api.create("configmaps", owned("grandchild", child), { namespace: "default" });
    expect(api.delete("configmaps", "default", "owner").deleted).toBe(true);
    await api.settle();
    expect(api.list("configmaps", { namespace: "default" }).items.map((c) => c.metadata.name)).toEqual([]);
  });

  it("Foreground: the owner waits with foregroundDeletion until blocking dependents are gone", async () => {
    const api = createSimApi();
    const owner = api.create("configmaps", configMap("owner"), { namespace: "default" });
    api.create("configmaps", { ...owned("child", owner, true), metadata: { ...owned("child", owner, true).metadata, finalizers: ["example.com/hold"] } }, { namespace: "default" });
    const { object } = api.delete("configmaps", "default", "owner", { propagationPolicy: "Foreground" });
    expect(object.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await api.settle();
    const child = api.get("configmaps", "default", "child");
    expect(child.metadata.deletionTimestamp).toBeDefined();
    expect(api.tryGet("configmaps", "default", "owner")).toBeDefined();
    api.patch("configmaps", "default", "child", { metadata: { finalizers: null } }, { type: "merge" });
    await api.settle();
    expect(api.tryGet("configmaps", "default", "child")).toBeUndefined();
    expect(api.tryGet("configmaps", "default", "owner")).toBeUndefined();
  });

  it("Orphan: dependents stay, without the reference", async () => {
    const api = createSimApi();
    const owner = api.create("configmaps", configMap("owner"), { namespace: "default" });
    api.create("configmaps", owned("child", owner), { namespace: "default" });
    api.delete("configmaps", "default", "owner", { propagationPolicy: "Orphan" });
    await api.settle();
    expect(api.tryGet("configmaps", "default", "owner")).toBeUndefined();
    expect(api.get("configmaps", "default", "child").metadata.ownerReferences).toBeUndefined();
  });

  it("checks preconditions and protects the system namespaces", () => {
    const api = createSimApi();
    api.create("configmaps", configMap("p"), { namespace: "default" });
    expect(apiError(() => api.delete("configmaps", "default", "p", { preconditions: { uid: "other" } })).code).toBe(409);
    expect(apiError(() => api.delete("namespaces", undefined, "default")).code).toBe(403);
  });

  it("deleting a namespace makes it Terminating, deletes its content, then the namespace", async () => {
    const api = createSimApi({ namespaces: ["team"] });
    api.create("configmaps", configMap("a"), { namespace: "team" });
    api.create("configmaps", configMap("held", {}, { finalizers: ["example.com/hold"] }), { namespace: "team" });
    api.create("pods", pod("p"), { namespace: "team" });
    const { object } = api.delete("namespaces", undefined, "team");
    expect(object.status).toEqual({ phase: "Terminating" });
    expect(apiError(() => api.create("configmaps", configMap("late"), { namespace: "team" })).code).toBe(403);
    await api.settle();
    expect(api.list("configmaps", { namespace: "team" }).items.map((c) => c.metadata.name)).toEqual(["held"]);
    expect(api.get("namespaces", undefined, "team").status).toEqual({ phase: "Terminating" });
    api.patch("configmaps", "team", "held", { metadata: { finalizers: null } }, { type: "merge" });
    await api.settle();
    expect(api.tryGet("namespaces", undefined, "team")).toBeUndefined();
  });

  it("gives pods bound to a node a grace period the kubelet ends", async () => {
    const api = createSimApi();
    api.create("pods", pod("bound", {}, { nodeName: "node-1" }), { namespace: "default" });
    const first = api.delete("pods", "default", "bound");
    expect(first.deleted).toBe(false);
    expect(first.object.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(api.delete("pods", "default", "bound", { gracePeriodSeconds: 0 }).deleted).toBe(true);
    api.create("pods", pod("unbound"), { namespace: "default" });
    expect(api.delete("pods", "default", "unbound").deleted).toBe(true);
  });
});

describe("watch and subscribe", () => {
  it("resumes a watch from a resourceVersion and answers 410 Expired when it is too old", () => {
    const api = createSimApi({ historySize: 3 });
    const a = api.create("configmaps", configMap("a"), { namespace: "default" });
    for (let i = 0; i < 5; i++) api.update("configmaps", { ...api.get("configmaps", "default", "a"), data: { i: String(i) } });
    const seen: string[] = [];
    const stop = api.watch("configmaps", { resourceVersion: String(Number(api.resourceVersion) - 2) }, (e) => seen.push(`${e.type}:${e.object.data && (e.object.data as { i: string }).i}`));
    api.delete("configmaps", "default", "a");
    stop();
    expect(seen).toEqual(["MODIFIED:3", "MODIFIED:4", "DELETED:4"]);
    const expired = apiError(() => api.watch("configmaps", { resourceVersion: a.metadata.resourceVersion }, () => {}));
    expect(expired.status).toMatchObject({ code: 410, reason: "Expired" });
    expect(expired.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("turns selector transitions into ADDED and DELETED", () => {
    const api = createSimApi();
    const seen: string[] = [];
    api.watch("pods", { labelSelector: "app=web" }, (e) => seen.push(`${e.type}:${e.object.metadata.name}`));
    const p = api.create("pods", pod("p", { app: "db" }), { namespace: "default" });
    const relabelled = api.update("pods", { ...p, metadata: { ...p.metadata, labels: { app: "web" } } });
    api.update("pods", { ...relabelled, metadata: { ...relabelled.metadata, labels: { app: "db" } } });
    expect(seen).toEqual(["ADDED:p", "DELETED:p"]);
  });

  it("delivers copies to subscribers asynchronously and in order, replaying what exists first", async () => {
    const api = createSimApi();
    api.create("configmaps", configMap("before"), { namespace: "default" });
    const events: SimEvent[] = [];
    const stop = api.subscribe("configmaps", (e) => {
      events.push(e);
      if (e.object.metadata.name === "trigger" && e.type === "ADDED") api.create("configmaps", configMap("reaction"), { namespace: "default" });
    }, { replay: true });
    api.create("configmaps", configMap("trigger"), { namespace: "default" });
    expect(events).toHaveLength(0);
    await api.settle();
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:before", "ADDED:trigger", "ADDED:reaction"]);
    expect(events[0].resource.plural).toBe("configmaps");
    stop();
  });
});

describe("server-side apply", () => {
  const applied = (replicas: number, image = "nginx:1.25") => deployment("web", { replicas, image });

  it("creates, then merges, tracking each manager's fields", () => {
    const api = createSimApi();
    const created = api.apply("deployments.apps", applied(2), { fieldManager: "alice", namespace: "default" });
    expect(created.metadata.managedFields).toMatchObject([{ manager: "alice", operation: "Apply", apiVersion: "apps/v1" }]);
    const fields = created.metadata.managedFields?.[0].fieldsV1 as Record<string, Record<string, unknown>>;
    expect(fields["f:spec"]["f:replicas"]).toEqual({});
    expect(Object.keys((fields["f:spec"]["f:template"] as Record<string, Record<string, Record<string, unknown>>>)["f:spec"]["f:containers"])).toEqual(['k:{"name":"main"}']);
    const again = api.apply("deployments.apps", applied(2), { fieldManager: "alice", namespace: "default" });
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it("refuses another manager's different value with Kubernetes' message, takes it with force", () => {
    const api = createSimApi();
    api.apply("deployments.apps", applied(2), { fieldManager: "alice", namespace: "default" });
    const err = apiError(() => api.apply("deployments.apps", applied(5), { fieldManager: "bob", namespace: "default" }));
    expect(err.status).toMatchObject({ code: 409, reason: "Conflict", message: 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas', details: { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "alice"', field: ".spec.replicas" }] } });
    api.patch("deployments.apps", "default", "web", { spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2" }] } } } }, { type: "strategic", fieldManager: "kubectl-edit" });
    const two = apiError(() => api.apply("deployments.apps", applied(5, "nginx:3"), { fieldManager: "bob", namespace: "default" }));
    expect(two.message).toBe('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.replicas\nconflicts with "kubectl-edit" using apps/v1:\n- .spec.template.spec.containers[name="main"].image');
    const forced = api.apply("deployments.apps", applied(5, "nginx:3"), { fieldManager: "bob", namespace: "default", force: true });
    expect((forced.spec as { replicas: number }).replicas).toBe(5);
    expect(JSON.stringify(forced.metadata.managedFields?.find((m) => m.manager === "alice")?.fieldsV1)).not.toContain("f:replicas");
  });

  it("shares a field applied with the same value, and removes fields a manager stops applying", () => {
    const api = createSimApi();
    const withSidecar = applied(2);
    const spec = (withSidecar.spec as { template: { spec: { containers: object[] } } }).template.spec;
    spec.containers.push({ name: "sidecar", image: "envoy" });
    api.apply("deployments.apps", withSidecar, { fieldManager: "alice", namespace: "default" });
    api.apply("deployments.apps", applied(2), { fieldManager: "bob", namespace: "default" });
    const dropped = api.apply("deployments.apps", applied(2), { fieldManager: "alice", namespace: "default" });
    const containers = (dropped.spec as { template: { spec: { containers: { name: string; ports?: unknown }[] } } }).template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(["main"]);
    expect(containers[0].ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
    const onlyBob = deployment("web");
    delete (onlyBob.spec as { replicas?: number }).replicas;
    const after = api.apply("deployments.apps", onlyBob, { fieldManager: "alice", namespace: "default" });
    expect((after.spec as { replicas: number }).replicas).toBe(2);
  });

  it("requires a fieldManager and applies status through the status subresource", () => {
    const api = createSimApi();
    expect(apiError(() => api.apply("deployments.apps", applied(1), { fieldManager: "", namespace: "default" })).code).toBe(400);
    api.apply("deployments.apps", applied(1), { fieldManager: "alice", namespace: "default" });
    const s = api.apply("deployments.apps", { ...applied(1), status: { readyReplicas: 1 } }, { fieldManager: "controller", namespace: "default", subresource: "status" });
    expect(s.status).toEqual({ readyReplicas: 1 });
    expect(s.metadata.managedFields?.find((m) => m.manager === "controller")).toMatchObject({ operation: "Apply", subresource: "status" });
  });
});

describe("logs", () => {
  it("keeps lines with their time, serves tails, previous, and follows until closed", () => {
    const api = createSimApi();
    api.appendLog("default", "p", "main", "one\ntwo\nthr");
    expect(api.readLog("default", "p", "main")).toBe("one\ntwo\n");
    api.appendLog("default", "p", "main", "ee\n");
    expect(api.readLog("default", "p", "main", { tailLines: 1 })).toBe("three\n");
    expect(api.readLog("default", "p", "main", { timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);
    const followed: string[] = [];
    let ended = false;
    api.core.logs.follow("default", "p", "main", (l) => followed.push(l.text), () => (ended = true));
    api.appendLog("default", "p", "main", "four\nfive");
    api.closeLog("default", "p", "main");
    expect(followed).toEqual(["four", "five"]);
    expect(ended).toBe(true);
    api.restartLog("default", "p", "main");
    api.appendLog("default", "p", "main", "again\n");
    expect(api.readLog("default", "p", "main", { previous: true })).toBe("one\ntwo\nthree\nfour\nfive\n");
    expect(api.readLog("default", "p", "main")).toBe("again\n");
  });
});
