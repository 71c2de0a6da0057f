// The real kubectl 1.33 (from .tools/bin, see scripts/install-tools.mjs) against the simulated cluster,
// over HTTPS with the cluster's own certificate: kubectl sends its token only over TLS.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { toolPath } from "../../scripts/tools-path.mjs";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/simcluster/index.js";
import { configMap, pod, WORKFLOW_CRD } from "./helpers.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
let cluster: SimulatedCluster;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      toolPath("kubectl"),
      ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "cache"), ...args],
      { timeout: 20_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** kubectl that must succeed; returns stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const app = (replicas: number, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
`;

beforeAll(async () => {
  if (!existsSync(toolPath("kubectl"))) execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "tiphys-simcluster-kubectl-"));
  cluster = await startSimulatedCluster({ controllers: false });
  await cluster.writeKubeconfig(join(dir, "kubeconfig"));
});

afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("kubectl against the simulated cluster", () => {
  it("gets namespaces and the version, over HTTPS with a token", async () => {
    expect(cluster.url).toMatch(/^https:\/\//);
    const ns = await ok("get", "ns");
    expect(ns).toMatch(/^NAME\s+STATUS\s+AGE\n/);
    expect(ns).toMatch(/\ndefault\s+Active\s+\d+s\n/);
    expect(ns).toMatch(/\nkube-system\s+Active/);
    const version = JSON.parse(await ok("version", "-o", "json"));
    expect(version.serverVersion.gitVersion).toBe("v1.33.0-tiphys-simulated");
    expect(cluster.api.requests.list({ resource: "namespaces", verb: "list" }).at(-1)?.user).toBe("tiphys-simulated-admin");
  });

  it("applies a Deployment, Service and ConfigMap: created, unchanged, then configured with generation 2", async () => {
    const v1 = file("app-v1.yaml", app(2, "nginx:1.25"));
    expect(await ok("apply", "-f", v1)).toBe("deployment.apps/web created\nservice/web created\nconfigmap/web-config created\n");
    expect(await ok("apply", "-f", v1)).toBe("deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config unchanged\n");
    const v2 = file("app-v2.yaml", app(3, "nginx:1.26"));
    expect(await ok("apply", "-f", v2)).toBe("deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config unchanged\n");
    const deploy = parse(await ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields"));
    expect(deploy.metadata.generation).toBe(2);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: "nginx:1.26", imagePullPolicy: "IfNotPresent" });
    expect(deploy.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: "kubectl-client-side-apply", operation: "Update", apiVersion: "apps/v1", fieldsType: "FieldsV1" }),
    ]);
    expect(deploy.metadata.managedFields[0].fieldsV1["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']).toHaveProperty("f:image");
    const table = await ok("get", "deploy,svc,cm");
    expect(table).toMatch(/deployment\.apps\/web\s+0\/3\s+0\s+0\s+\d+s/);
    expect(table).toMatch(/service\/web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/);
  });

  it("server-side apply conflicts with another field manager, and --force-conflicts wins", async () => {
    const ssa = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "api:1"}]
`;
    expect(await ok("apply", "--server-side", "-f", file("ssa-2.yaml", ssa(2)))).toBe("deployment.apps/api serverside-applied\n");
    const conflict = await kubectl("apply", "--server-side", "--field-manager=ci", "-f", file("ssa-5.yaml", ssa(5)));
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(conflict.stderr).toContain("--force-conflicts");
    await ok("apply", "--server-side", "--field-manager=ci", "--force-conflicts", "-f", join(dir, "ssa-5.yaml"));
    const deploy = parse(await ok("get", "deploy", "api", "-o", "yaml", "--show-managed-fields"));
    expect(deploy.spec.replicas).toBe(5);
    const owners = Object.fromEntries(deploy.metadata.managedFields.map((m: { manager: string; fieldsV1: object }) => [m.manager, JSON.stringify(m.fieldsV1)]));
    expect(owners.ci).toContain("f:replicas");
    expect(owners.kubectl).not.toContain("f:replicas");
  });

  it("describes a ConfigMap with its events", async () => {
    const cm = cluster.api.get("configmaps", "default", "web-config");
    cluster.api.recordEvent(cm, { reason: "Checked", message: "looked at it", component: "test" });
    const out = await ok("describe", "configmap", "web-config");
    expect(out).toMatch(/^Name:\s+web-config\nNamespace:\s+default\n/);
    expect(out).toMatch(/greeting:\n----\nhello/);
    expect(out).toMatch(/Normal\s+Checked\s+\d+s\s+test\s+looked at it/);
  });

  it("patches with --type merge, strategic (containers merged by name) and json", async () => {
    await ok("patch", "deploy", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"team":"blue"}}}');
    await ok("patch", "deploy", "web", "--type", "strategic", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy:1"},{"name":"web","image":"nginx:1.27"}]}}}}');
    await ok("patch", "deploy", "web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":1}]');
    const d = JSON.parse(await ok("get", "deploy", "web", "-o", "json"));
    expect(d.metadata.labels).toEqual({ app: "web", team: "blue" });
    expect(d.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`)).toEqual(["web=nginx:1.27", "sidecar=envoy:1"]);
    expect(d.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
    expect(d.spec.replicas).toBe(1);
    const failed = await kubectl("patch", "deploy", "web", "--type", "json", "-p", '[{"op":"test","path":"/spec/replicas","value":9}]');
    expect(failed.code).not.toBe(0);
  });

  it("selects pods by label, and follows their logs", async () => {
    for (const [name, app] of [["x-1", "x"], ["x-2", "x"], ["y-1", "y"]]) cluster.api.create("pods", pod(name, { app }), { namespace: "default" });
    const out = await ok("get", "pods", "-l", "app=x");
    expect(out.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(0, 3).join(" "))).toEqual(["NAME READY STATUS", "x-1 0/1 Pending", "x-2 0/1 Pending"]);
    const none = await kubectl("get", "pods", "-l", "app=nope");
    expect(none.stderr.trim()).toBe("No resources found in default namespace.");
    cluster.api.appendLog("default", "x-1", "main", "first\n");
    const following = kubectl("logs", "-f", "x-1");
    setTimeout(() => {
      cluster.api.appendLog("default", "x-1", "main", "second\n");
      cluster.api.closeLog("default", "x-1", "main");
    }, 300);
    expect((await following).stdout).toBe("first\nsecond\n");
  });

  it("waits on a watch until a status changes", async () => {
    const waiting = kubectl("wait", "--for=jsonpath={.status.phase}=Running", "pod/x-2", "--timeout=10s");
    setTimeout(() => {
      const p = cluster.api.get("pods", "default", "x-2");
      cluster.api.updateStatus("pods", { ...p, status: { ...(p.status as object), phase: "Running" } });
    }, 300);
    const r = await waiting;
    expect(r.stdout).toBe("pod/x-2 condition met\n");
  });

  it("serves a CRD's custom resources once the CRD is created", async () => {
    const crd = file("crd.yaml", JSON.stringify(WORKFLOW_CRD));
    await ok("apply", "-f", crd);
    await ok("wait", "--for", "condition=established", "crd/workflows.argoproj.io", "--timeout=5s");
    const wf = file("wf.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: hello\nspec:\n  entrypoint: main\n");
    expect(await ok("apply", "-f", wf)).toBe("workflow.argoproj.io/hello created\n");
    cluster.api.patch("workflows.argoproj.io", "default", "hello", { status: { phase: "Running" } }, { type: "merge" });
    expect(await ok("get", "workflows")).toMatch(/^NAME\s+STATUS\s+AGE\nhello\s+Running\s+\d+s\n$/);
    expect(await ok("apply", "-f", wf)).toBe("workflow.argoproj.io/hello unchanged\n");
    expect(await ok("get", "wf", "hello", "-o", "jsonpath={.spec.entrypoint}")).toBe("main");
  });

  it("refuses an invalid name with the server's 422 message", async () => {
    const r = await kubectl("apply", "-f", file("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
  });

  it("holds a deletion on finalizers, and cascades by ownerReferences in the background and the foreground", async () => {
    cluster.api.create("configmaps", configMap("held", {}, { finalizers: ["example.com/hold"] }), { namespace: "default" });
    expect(await ok("delete", "cm", "held", "--wait=false")).toBe('configmap "held" deleted\n');
    expect(await ok("get", "cm", "held", "-o", "jsonpath={.metadata.deletionTimestamp}")).toMatch(/^\d{4}-/);
    await ok("patch", "cm", "held", "--type", "json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
    expect((await kubectl("get", "cm", "held")).stderr).toContain('configmaps "held" not found');

    for (const policy of ["background", "foreground"]) {
      const owner = cluster.api.create("configmaps", configMap(`owner-${policy}`), { namespace: "default" });
      const ref = { apiVersion: "v1", kind: "ConfigMap", name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", blockOwnerDeletion: true };
      for (const n of [1, 2]) cluster.api.create("configmaps", configMap(`dep-${policy}-${n}`, {}, { ownerReferences: [ref] }), { namespace: "default" });
      await ok("delete", "cm", `owner-${policy}`, `--cascade=${policy}`);
      await cluster.api.settle();
      expect(cluster.api.list("configmaps", { namespace: "default" }).items.filter((c) => c.metadata.name?.includes(policy))).toEqual([]);
    }
  });

  it("creates with kubectl's typed commands (protobuf bodies), and answers auth questions", async () => {
    expect(await ok("create", "namespace", "typed")).toBe("namespace/typed created\n");
    await ok("create", "-n", "typed", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=empty=");
    await ok("create", "-n", "typed", "secret", "generic", "creds", "--from-literal=password=s3cret");
    await ok("create", "-n", "typed", "serviceaccount", "robot");
    expect(cluster.api.get("configmaps", "typed", "settings").data).toEqual({ mode: "fast", empty: "" });
    expect(cluster.api.get("secrets", "typed", "creds")).toMatchObject({ type: "Opaque", data: { password: Buffer.from("s3cret").toString("base64") } });
    expect(cluster.api.get("namespaces", undefined, "typed").metadata.generateName).toBeUndefined();
    const unsupported = await kubectl("create", "-n", "typed", "deployment", "d", "--image=nginx");
    expect(unsupported.stderr).toContain("send JSON or YAML");
    expect(await ok("auth", "can-i", "delete", "pods")).toBe("yes\n");
    expect(await ok("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")).toBe("tiphys-simulated-admin");
  });

  it("deletes everything in a namespace when the namespace is deleted", async () => {
    await ok("apply", "-f", file("team.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"));
    await ok("apply", "-n", "team", "-f", join(dir, "app-v1.yaml"));
    expect(await ok("get", "all", "-n", "team", "-o", "name")).toBe("service/web\ndeployment.apps/web\n");
    await ok("delete", "ns", "team", "--timeout=10s");
    expect((await kubectl("get", "ns", "team")).stderr).toContain('namespaces "team" not found');
    expect(cluster.api.list("configmaps", { namespace: "team" }).items).toEqual([]);
  });

  it("deletes what a file applied", async () => {
    expect(await ok("delete", "-f", join(dir, "app-v2.yaml"))).toBe('deployment.apps "web" deleted\nservice "web" deleted\nconfigmap "web-config" deleted\n');
    expect((await kubectl("get", "deploy", "web")).stderr).toContain('deployments.apps "web" not found');
  });
});
