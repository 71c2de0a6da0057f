// The simulated kubelet in process mode: containers run as local processes with the pod's env, a
// shared private /tmp, logs readable over HTTP and with the real kubectl, exit codes, restarts,
// deadlines and graceful deletion.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolPath } from "../../scripts/tools-path.mjs";
import { detectIsolation } from "../../src/engine/executors/local.js";
import { DEFAULT_TOKEN, startSimulatedCluster, terminationMessageFile, type KubeObject, type SimulatedCluster } from "../../src/simcluster/index.js";
import { expand } from "../../src/simcluster/kubelet/env.js";
import { argvOf, failsToPull, imageId, normalizeImage } from "../../src/simcluster/kubelet/images.js";
import { podPhase, type ContainerView } from "../../src/simcluster/kubelet/pod-status.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let cluster: SimulatedCluster;
let dir: string;

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(toolPath("kubectl"), ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "cache"), ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** GET over HTTPS with the cluster's certificate and token. */
function httpGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.url}${path}`, { ca: cluster.certificate, headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

let seq = 0;
function pod(containers: object[], extra: { initContainers?: object[]; restartPolicy?: string; [k: string]: unknown } = {}): KubeObject {
  const name = `p${++seq}`;
  const o = cluster.api.create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: { team: "a" } }, spec: { restartPolicy: "Never", ...extra, containers } });
  return o;
}
const sh = (name: string, script: string, more: object = {}) => ({ name, image: "busybox:1.36", command: ["sh", "-c", script], ...more });
const get = (name: string): Any => cluster.api.tryGet("pods", "default", name);
const finished = (name: string) => () => ["Succeeded", "Failed"].includes(get(name)?.status.phase) && get(name);
const log = (name: string, container = "main") => cluster.api.readLog("default", name, container);

beforeAll(async () => {
  if (!existsSync(toolPath("kubectl"))) execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "tiphys-simcluster-kubelet-"));
  cluster = await startSimulatedCluster({ kubelet: { mode: "process", podStartDelayMs: 10, readyDelayMs: 10, restartBackoffMs: 100, workDir: join(dir, "pods") }, controllers: false });
  await cluster.writeKubeconfig(join(dir, "kubeconfig"));
});

afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("kubelet pure parts", () => {
  const view = (kind: ContainerView["kind"], state: ContainerView["state"], lastState: ContainerView["lastState"] = {}, started = false): ContainerView => ({
    name: "c",
    kind,
    image: "x",
    state,
    lastState,
    ready: false,
    started,
    restartCount: 0,
  });
  const done = (exitCode: number) => ({ terminated: { exitCode } });
  it.each([
    ["waiting main", [view("main", { waiting: {} })], "Never", false, "Pending"],
    ["running main", [view("main", { running: {} })], "Never", false, "Running"],
    ["all succeeded", [view("main", done(0)), view("main", done(0))], "Never", false, "Succeeded"],
    ["one failed, Never", [view("main", done(0)), view("main", done(2))], "Never", false, "Failed"],
    ["one failed, OnFailure: restarting", [view("main", done(1))], "OnFailure", false, "Running"],
    ["stopped, Always: restarting", [view("main", done(0))], "Always", false, "Running"],
    ["stopped, Always, terminal", [view("main", done(137))], "Always", true, "Failed"],
    ["crash loop counts as stopped", [view("main", { waiting: {} }, done(1))], "Always", false, "Running"],
    ["init running", [view("init", { running: {} }), view("main", { waiting: {} })], "Never", false, "Pending"],
    ["init failed, Never", [view("init", done(1)), view("main", { waiting: {} })], "Never", false, "Failed"],
    ["started sidecar, main running", [view("sidecar", { running: {} }, {}, true), view("main", { running: {} })], "Never", false, "Running"],
    ["sidecar killed after main succeeded", [view("sidecar", done(143)), view("main", done(0))], "Never", true, "Succeeded"],
  ])("phase: %s", (_name, containers, policy, terminal, want) => {
    expect(podPhase(containers as ContainerView[], policy as string, terminal as boolean)).toBe(want);
  });

  it("normalizes images, makes stable digests and finds what to run", () => {
    expect(normalizeImage("busybox")).toBe("docker.io/library/busybox:latest");
    expect(normalizeImage("alpine/git:2.45")).toBe("docker.io/alpine/git:2.45");
    expect(normalizeImage("ghcr.io/org/app@sha256:abc")).toBe("ghcr.io/org/app@sha256:abc");
    expect(imageId("busybox")).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    expect(argvOf({ image: "alpine/git", args: ["status"] })).toEqual(["git", "status"]);
    expect(argvOf({ image: "busybox", args: ["echo", "hi"] })).toEqual(["echo", "hi"]);
    expect(argvOf({ image: "nginx" })).toBeUndefined();
    expect(failsToPull("registry.example/broken:2", ["registry.example/broken"])).toBe(true);
    expect(failsToPull("registry.example/broken:2", ["registry.example/broken:1"])).toBe(false);
    expect(failsToPull("nginx:1.25", /^nginx:/)).toBe(true);
    expect(expand("$(A)-$(B)-$$(A)", { A: "1" })).toBe("1-$(B)-$(A)");
    expect(terminationMessageFile("main", "/dev/termination-log")).toBe("/tmp/.termination/main/dev/termination-log");
  });
});

describe("process mode", () => {
  it("runs a container's command, with logs over HTTP and kubectl, its exit code and phase Failed", async () => {
    const p = pod([sh("main", "echo hi; echo err >&2; exit 3")]);
    const name = p.metadata.name ?? "";
    const done = await waitFor("finished", finished(name));
    expect(done.status.phase).toBe("Failed");
    const [cs] = done.status.containerStatuses;
    expect(cs).toMatchObject({ name: "main", ready: false, restartCount: 0, image: "docker.io/library/busybox:1.36", started: false });
    expect(cs.state.terminated).toMatchObject({ exitCode: 3, reason: "Error", containerID: expect.stringMatching(/^containerd:\/\//) });
    expect(Date.parse(cs.state.terminated.finishedAt)).toBeGreaterThanOrEqual(Date.parse(cs.state.terminated.startedAt));
    expect(done.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(done.status.conditions.map((c: Any) => `${c.type}=${c.status}`)).toEqual(["PodReadyToStartContainers=True", "Initialized=True", "Ready=False", "ContainersReady=False", "PodScheduled=True"]);
    expect((await httpGet(`/api/v1/namespaces/default/pods/${name}/log`)).body).toBe("hi\nerr\n");
    const k = await kubectl("logs", name);
    expect(k.stdout).toBe("hi\nerr\n");
    const events = cluster.api.list("events", { namespace: "default", fieldSelector: `involvedObject.name=${name}` }).items.map((e: Any) => e.reason);
    expect(events).toEqual(expect.arrayContaining(["Scheduled", "Pulled", "Created", "Started"]));
  });

  it("runs init containers in order before the containers, which share the pod's /tmp", async () => {
    const p = pod(
      [
        sh("writer", "mkdir -p /tmp/shared && echo from-writer > /tmp/shared/note && echo wrote"),
        sh("reader", "while [ ! -f /tmp/shared/note ]; do sleep 0.02; done; cat /tmp/order /tmp/shared/note"),
      ],
      { initContainers: [sh("first", "echo one > /tmp/order"), sh("second", "echo two >> /tmp/order")] },
    );
    const name = p.metadata.name ?? "";
    const done = await waitFor("finished", finished(name));
    expect(done.status.phase).toBe("Succeeded");
    expect(log(name, "reader")).toBe("one\ntwo\nfrom-writer\n");
    // Where the host allows a mount namespace, the pod's /tmp is its own.
    if (detectIsolation() !== "none") expect(existsSync("/tmp/shared/note")).toBe(false);
    expect(done.status.initContainerStatuses.map((c: Any) => [c.name, c.state.terminated.reason, c.ready])).toEqual([
      ["first", "Completed", true],
      ["second", "Completed", true],
    ]);
    expect(done.status.conditions.find((c: Any) => c.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
  });

  it("fails the pod when an init container fails, without running the containers", async () => {
    const p = pod([sh("main", "echo never")], { initContainers: [sh("init", "exit 4")] });
    const done = await waitFor("finished", finished(p.metadata.name ?? ""));
    expect(done.status.phase).toBe("Failed");
    expect(done.status.containerStatuses[0].state.waiting.reason).toBe("PodInitializing");
    expect(done.status.conditions.find((c: Any) => c.type === "Initialized")).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [init]" });
  });

  it("gives the env from fieldRefs, ConfigMaps and Secrets, and waits for a missing ConfigMap", async () => {
    const env = [
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "TEAM", valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
      { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "COLOR", valueFrom: { configMapKeyRef: { name: "settings", key: "color" } } },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
      { name: "GREETING", value: "hello $(POD)" },
    ];
    cluster.api.create("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "default" }, stringData: { password: "s3cret" } });
    const p = pod([sh("main", 'echo "$POD $TEAM $IP $COLOR $PASSWORD $GREETING"', { env })]);
    const name = p.metadata.name ?? "";
    const waiting = await waitFor("config error", () => get(name)?.status.containerStatuses?.[0]?.state.waiting?.reason === "CreateContainerConfigError" && get(name));
    expect(waiting.status.containerStatuses[0].state.waiting.message).toBe('configmap "settings" not found');
    cluster.api.create("configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "default" }, data: { color: "blue" } });
    const done = await waitFor("finished", finished(name));
    expect(log(name)).toBe(`${name} a ${done.status.podIP} blue s3cret hello ${name}\n`);
  });

  it("reads the termination message from the pod's /tmp", async () => {
    const p = pod([sh("main", "echo custom > /tmp/msg; exit 0", { terminationMessagePath: "/tmp/msg" }), sh("other", `echo default > ${terminationMessageFile("other", "/dev/termination-log")}; exit 1`)]);
    const done = await waitFor("finished", finished(p.metadata.name ?? ""));
    expect(done.status.containerStatuses.map((c: Any) => [c.name, c.state.terminated.message])).toEqual([
      ["main", "custom\n"],
      ["other", "default\n"],
    ]);
  });

  it("restarts an OnFailure container with a back-off and counts the restart", async () => {
    const p = pod([sh("main", "if [ -f /tmp/again ]; then echo second; else touch /tmp/again; echo first; exit 1; fi")], { restartPolicy: "OnFailure" });
    const name = p.metadata.name ?? "";
    await waitFor("crash loop", () => get(name)?.status.containerStatuses?.[0]?.state.waiting?.reason === "CrashLoopBackOff");
    const done = await waitFor("finished", finished(name));
    const [cs] = done.status.containerStatuses;
    expect(done.status.phase).toBe("Succeeded");
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(log(name)).toBe("second\n");
    expect(cluster.api.readLog("default", name, "main", { previous: true })).toBe("first\n");
  });

  it("stops a native sidecar once the containers are done", async () => {
    const p = pod([sh("main", "sleep 0.2; echo done")], { initContainers: [sh("proxy", "sleep 100", { restartPolicy: "Always" })] });
    const started = Date.now();
    const done = await waitFor("finished", finished(p.metadata.name ?? ""));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(done.status.phase).toBe("Succeeded");
    expect(done.status.initContainerStatuses[0].state.terminated).toMatchObject({ exitCode: 143, signal: 15 });
  });

  it("kills a running pod on deletion and removes it within the capped grace period", async () => {
    const p = pod([sh("main", "exec sleep 101")], { restartPolicy: "Always" });
    const name = p.metadata.name ?? "";
    await waitFor("running", () => get(name)?.status.containerStatuses?.[0]?.state.running);
    const sleeping = () => execFileSync("ps", ["-eo", "args"]).toString().split("\n").some((l) => l.trim() === "sleep 101");
    await waitFor("the process", sleeping);
    const started = Date.now();
    cluster.api.delete("pods", "default", name);
    expect(get(name).metadata.deletionTimestamp).toBeDefined();
    await waitFor("gone", () => !get(name), 5000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sleeping()).toBe(false);
    const reasons = cluster.api.list("events", { namespace: "default", fieldSelector: `involvedObject.name=${name}` }).items.map((e: Any) => e.reason);
    expect(reasons).toContain("Killing");
  });

  it("fails a pod past its activeDeadlineSeconds", async () => {
    const p = pod([sh("main", "sleep 100")], { activeDeadlineSeconds: 1 });
    const started = Date.now();
    const done = await waitFor("deadline", finished(p.metadata.name ?? ""), 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(done.status).toMatchObject({ phase: "Failed", reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" });
    expect(done.status.containerStatuses[0].state.terminated.exitCode).toBe(143);
  });
});

describe("simulate mode", () => {
  it("keeps servers running and Ready, and pods with an image that fails to pull Pending", async () => {
    const sim = await startSimulatedCluster({ kubelet: { podStartDelayMs: 10, readyDelayMs: 10, failImages: /broken/ } });
    try {
      const make = (name: string, image: string) => sim.api.create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { containers: [{ name: "main", image }] } });
      make("server", "nginx:1.25");
      make("broken", "registry.example/broken:1");
      const server = await waitFor("ready", () => (sim.api.get("pods", "default", "server") as Any).status.conditions?.find((c: Any) => c.type === "Ready" && c.status === "True") && (sim.api.get("pods", "default", "server") as Any));
      expect(server.status.phase).toBe("Running");
      expect(server.status.containerStatuses[0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: expect.any(String) } } });
      const broken = await waitFor("back-off", () => {
        const b = sim.api.get("pods", "default", "broken") as Any;
        return b.status.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff" && b;
      });
      expect(broken.status.phase).toBe("Pending");
      const reasons = sim.api.list("events", { namespace: "default", fieldSelector: "involvedObject.name=broken" }).items.map((e: Any) => `${e.type}/${e.reason}`);
      expect(reasons).toEqual(expect.arrayContaining(["Warning/Failed", "Normal/BackOff"]));
    } finally {
      await sim.close();
    }
  });
});
