// The simulated controllers against the simulated API server, with the kubelet in simulate mode (short
// delays) and, for rollout status and waits, the real kubectl.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolPath } from "../../scripts/tools-path.mjs";
import { fenceposts, newRSNewReplicas } from "../../src/simcluster/controllers/deployment-util.js";
import { computeHash } from "../../src/simcluster/controllers/hash.js";
import { startSimulatedCluster, type KubeObject, type SimulatedCluster } from "../../src/simcluster/index.js";

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

function deploy(name: string, opts: { replicas?: number; image?: string; strategy?: object; extra?: object } = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      strategy: opts.strategy,
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: opts.image ?? "nginx:1.25", ports: [{ name: "http", containerPort: 80 }] }] } },
      ...opts.extra,
    },
  };
}

const api = () => cluster.api;
const get = (ref: string, name: string): Any => api().tryGet(ref, "default", name);
const cond = (o: Any, type: string) => (o?.status?.conditions ?? []).find((c: Any) => c.type === type);
const replicaSetsOf = (name: string): Any[] => api().list("replicasets.apps", { namespace: "default", labelSelector: `app=${name}` }).items;
const setImage = (name: string, image: string) =>
  api().patch("deployments.apps", "default", name, { spec: { template: { spec: { containers: [{ name: "main", image }] } } } }, { type: "strategic" });
const available = (name: string) => () => {
  const d = get("deployments.apps", name);
  const done = d && d.status?.observedGeneration === d.metadata.generation && cond(d, "Progressing")?.reason === "NewReplicaSetAvailable" && d.status.availableReplicas === d.spec.replicas;
  return done ? d : undefined;
};

beforeAll(async () => {
  if (!existsSync(toolPath("kubectl"))) execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "tiphys-simcluster-controllers-"));
  cluster = await startSimulatedCluster({
    kubelet: { mode: "simulate", podStartDelayMs: 30, readyDelayMs: 30, failImages: ["registry.example/broken"] },
    loadBalancer: { delayMs: 100 },
  });
  await cluster.writeKubeconfig(join(dir, "kubeconfig"));
});

afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("deployment planning (deployment_util)", () => {
  it.each([
    [{ maxSurge: "25%", maxUnavailable: "25%" }, 4, { surge: 1, unavailable: 1 }],
    [{ maxSurge: "25%", maxUnavailable: "25%" }, 3, { surge: 1, unavailable: 0 }],
    [{ maxSurge: 0, maxUnavailable: 0 }, 3, { surge: 0, unavailable: 1 }],
    [{ maxSurge: "50%", maxUnavailable: 2 }, 5, { surge: 3, unavailable: 2 }],
  ])("resolves rollingUpdate %j for %i replicas", (rollingUpdate, replicas, want) => {
    expect(fenceposts({ apiVersion: "apps/v1", kind: "Deployment", metadata: {}, spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate } } })).toEqual(want);
  });

  it("sizes a new ReplicaSet by the surge left over", () => {
    const d = deploy("x", { replicas: 4, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
    const old = { ...deploy("o"), spec: { replicas: 4 } };
    const fresh = { ...deploy("n"), spec: { replicas: 0 } };
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(1);
    expect(newRSNewReplicas(d, [{ ...old, spec: { replicas: 3 } }, { ...fresh, spec: { replicas: 1 } }], { ...fresh, spec: { replicas: 1 } })).toBe(2);
  });

  it("hashes templates into stable safe strings that change with the template or collision count", () => {
    const t = { spec: { containers: [{ name: "a", image: "x" }] } };
    expect(computeHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(structuredClone(t))).toBe(computeHash(t));
    expect(computeHash({ spec: { containers: [{ name: "a", image: "y" }] } })).not.toBe(computeHash(t));
    expect(computeHash(t, 1)).not.toBe(computeHash(t));
  });
});

describe("Deployments", () => {
  it("creates a ReplicaSet and Ready pods, and reports the deployment Available", async () => {
    api().create("deployments.apps", deploy("web", { replicas: 3 }));
    const d = await waitFor("web available", available("web"));
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    expect(cond(d, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." });
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    const [rs] = replicaSetsOf("web");
    const hash = rs.metadata.labels["pod-template-hash"];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4" });
    expect(rs.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const pods = api().list("pods", { namespace: "default", labelSelector: "app=web" }).items as Any[];
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: "ReplicaSet", name: rs.metadata.name, controller: true, blockOwnerDeletion: true });
      expect(p.status.phase).toBe("Running");
      expect(p.spec.nodeName).toBe("tiphys-simulated-node");
    }
    const reasons = api().list("events", { namespace: "default" }).items.map((e: Any) => `${e.involvedObject.kind}/${e.reason}`);
    expect(reasons).toEqual(expect.arrayContaining(["Deployment/ScalingReplicaSet", "ReplicaSet/SuccessfulCreate", "Pod/Scheduled", "Pod/Created", "Pod/Started"]));
  });

  it("rolls a new image out within maxSurge and maxUnavailable, keeping the revisions", async () => {
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    api().create("deployments.apps", deploy("roll", { replicas: 4, strategy }));
    await waitFor("roll available", available("roll"));
    let maxPods = 0;
    let minAvailable = Infinity;
    const stop = api().subscribe("replicasets.apps", () => {
      const sets = replicaSetsOf("roll");
      maxPods = Math.max(maxPods, sets.reduce((n, rs) => n + rs.spec.replicas, 0));
      minAvailable = Math.min(minAvailable, sets.reduce((n, rs) => n + (rs.status.availableReplicas ?? 0), 0));
    });
    setImage("roll", "nginx:1.26");
    const d = await waitFor("roll updated", () => {
      const x = available("roll")();
      return x && x.metadata.generation === 2 && x;
    });
    stop();
    expect(maxPods).toBe(5);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    const sets = replicaSetsOf("roll").sort((a, b) => Number(a.metadata.annotations["deployment.kubernetes.io/revision"]) - Number(b.metadata.annotations["deployment.kubernetes.io/revision"]));
    expect(sets.map((rs) => [rs.metadata.annotations["deployment.kubernetes.io/revision"], rs.spec.replicas, rs.spec.template.spec.containers[0].image])).toEqual([
      ["1", 0, "nginx:1.25"],
      ["2", 4, "nginx:1.26"],
    ]);
    const messages = api().list("events", { namespace: "default", fieldSelector: "involvedObject.name=roll" }).items.map((e: Any) => e.message);
    expect(messages).toContain(`Scaled up replica set ${sets[1].metadata.name} from 0 to 1`);
    expect(messages).toContain(`Scaled down replica set ${sets[0].metadata.name} from 4 to 3`);
    // The old template comes back as revision 3, in the same ReplicaSet.
    setImage("roll", "nginx:1.25");
    await waitFor("rollback", () => get("replicasets.apps", sets[0].metadata.name)?.metadata.annotations["deployment.kubernetes.io/revision"] === "3");
    expect(get("replicasets.apps", sets[0].metadata.name).metadata.annotations["deployment.kubernetes.io/revision-history"]).toBe("1");
  });

  it("Recreate scales the old ReplicaSet to zero before the new one starts", async () => {
    api().create("deployments.apps", deploy("rec", { replicas: 2, strategy: { type: "Recreate" } }));
    await waitFor("rec available", available("rec"));
    let overlap = false;
    const stop = api().subscribe("pods", () => {
      const images = new Set(api().list("pods", { namespace: "default", labelSelector: "app=rec" }).items.map((p: Any) => p.spec.containers[0].image));
      if (images.size > 1) overlap = true;
    });
    setImage("rec", "nginx:1.26");
    await waitFor("rec updated", () => available("rec")()?.metadata.generation === 2);
    stop();
    expect(overlap).toBe(false);
  });

  it("keeps revisionHistoryLimit old ReplicaSets, and holds a paused deployment's rollout", async () => {
    api().create("deployments.apps", deploy("hist", { replicas: 1, extra: { revisionHistoryLimit: 1 } }));
    for (const [i, image] of ["nginx:1.26", "nginx:1.27", "nginx:1.28"].entries()) {
      await waitFor("hist available", () => available("hist")()?.metadata.generation === i + 1);
      setImage("hist", image);
    }
    await waitFor("history trimmed", () => available("hist")()?.metadata.generation === 4 && replicaSetsOf("hist").length === 2);
    api().patch("deployments.apps", "default", "hist", { spec: { paused: true } }, { type: "merge" });
    await waitFor("paused condition", () => cond(get("deployments.apps", "hist"), "Progressing")?.reason === "DeploymentPaused");
    setImage("hist", "nginx:1.29");
    await new Promise((r) => setTimeout(r, 200));
    expect(replicaSetsOf("hist").some((rs) => rs.spec.template.spec.containers[0].image === "nginx:1.29")).toBe(false);
    api().patch("deployments.apps", "default", "hist", { spec: { paused: false } }, { type: "merge" });
    await waitFor("resumed rollout", () => available("hist")()?.spec.template.spec.containers[0].image === "nginx:1.29");
  });

  it("reports ProgressDeadlineExceeded when new pods cannot pull their image, and kubectl rollout status fails", async () => {
    api().create("deployments.apps", deploy("stuck", { replicas: 2, extra: { progressDeadlineSeconds: 2 } }));
    await waitFor("stuck available", available("stuck"));
    setImage("stuck", "registry.example/broken:1");
    const pulling = await waitFor("ImagePullBackOff", () =>
      (api().list("pods", { namespace: "default", labelSelector: "app=stuck" }).items as Any[]).find((p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff"),
    );
    expect(pulling.status.phase).toBe("Pending");
    const progressing = cond(get("deployments.apps", "stuck"), "Progressing");
    expect(progressing).toMatchObject({ status: "True", reason: "ReplicaSetUpdated" });
    const d = await waitFor("deadline", () => cond(get("deployments.apps", "stuck"), "Progressing")?.reason === "ProgressDeadlineExceeded" && get("deployments.apps", "stuck"), 6000);
    expect(cond(d, "Progressing")).toMatchObject({ status: "False", message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/) });
    expect(cond(d, "Available")?.status).toBe("True");
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 1, availableReplicas: 2, unavailableReplicas: 1 });
    const r = await kubectl("rollout", "status", "deploy/stuck", "--timeout=10s");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "stuck" exceeded its progress deadline');
  });

  it("scales a stuck rollout proportionally, as the Kubernetes documentation's example does", async () => {
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    api().create("deployments.apps", deploy("prop", { replicas: 10, strategy }));
    await waitFor("prop available", available("prop"));
    setImage("prop", "registry.example/broken:2");
    const sizes = () => replicaSetsOf("prop").map((rs) => `${rs.spec.template.spec.containers[0].image}=${rs.spec.replicas}`).sort();
    await waitFor("stuck at 8 + 5", () => sizes().join() === "nginx:1.25=8,registry.example/broken:2=5");
    api().patch("deployments.apps", "default", "prop", { spec: { replicas: 15 } }, { type: "merge" });
    await waitFor("11 + 7", () => sizes().join() === "nginx:1.25=11,registry.example/broken:2=7");
    const d = get("deployments.apps", "prop");
    expect(replicaSetsOf("prop").map((rs) => rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"])).toEqual(["15", "15"]);
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
  });

  it("satisfies kubectl rollout status, kubectl wait and kubectl get pods", async () => {
    const applied = kubectl("rollout", "status", "deploy/cli", "--timeout=15s");
    api().create("deployments.apps", deploy("cli", { replicas: 2 }));
    const r = await applied;
    expect(r.stdout).toContain('deployment "cli" successfully rolled out');
    const w = await kubectl("wait", "--for=condition=Available", "deploy/cli", "--timeout=10s");
    expect(w.stdout).toBe("deployment.apps/cli condition met\n");
    const pods = await kubectl("get", "pods", "-l", "app=cli");
    expect(pods.stdout.split("\n").filter(Boolean).slice(1).map((l) => l.split(/\s+/).slice(1, 4).join(" "))).toEqual(["1/1 Running 0", "1/1 Running 0"]);
    const describe = await kubectl("describe", "deploy", "cli");
    expect(describe.stdout).toMatch(/ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set cli-\w+ from 0 to 2/);
  });
});

describe("StatefulSets, DaemonSets and Jobs", () => {
  it("creates StatefulSet pods in order with their claims, and rolls an update from the highest ordinal", async () => {
    const order: string[] = [];
    const stop = api().subscribe("pods", (e) => e.type === "ADDED" && e.object.metadata.name?.startsWith("db-") && order.push(e.object.metadata.name));
    api().create("statefulsets.apps", {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "default" },
      spec: {
        replicas: 3,
        serviceName: "db",
        selector: { matchLabels: { app: "db" } },
        template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "main", image: "postgres:16" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    });
    const ready = (rev?: string) => () => {
      const s = get("statefulsets.apps", "db");
      return s?.status?.readyReplicas === 3 && s.status.currentRevision === s.status.updateRevision && (!rev || s.status.updateRevision !== rev) && s;
    };
    const sts = await waitFor("db ready", ready());
    expect(order.slice(0, 3)).toEqual(["db-0", "db-1", "db-2"]);
    expect(sts.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect(sts.status.updateRevision).toMatch(/^db-\w+$/);
    const pod = get("pods", "db-1");
    expect(pod.metadata.labels).toMatchObject({ "controller-revision-hash": sts.status.updateRevision, "statefulset.kubernetes.io/pod-name": "db-1", "apps.kubernetes.io/pod-index": "1" });
    expect(pod.spec).toMatchObject({ hostname: "db-1", subdomain: "db", volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-db-1" } }] });
    await waitFor("claim bound", () => get("persistentvolumeclaims", "data-db-1")?.status.phase === "Bound");
    order.length = 0;
    api().patch("statefulsets.apps", "default", "db", { spec: { template: { spec: { containers: [{ name: "main", image: "postgres:17" }] } } } }, { type: "strategic" });
    const updated = await waitFor("db updated", ready(sts.status.updateRevision));
    stop();
    expect(order).toEqual(["db-2", "db-1", "db-0"]);
    expect(updated.status.currentReplicas).toBe(3);
    expect(get("pods", "db-0").spec.containers[0].image).toBe("postgres:17");
  });

  it("schedules one DaemonSet pod on the node and reports its status", async () => {
    api().create("daemonsets.apps", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "agent", namespace: "default" },
      spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "main", image: "fluent-bit:3" }] } } },
    });
    const ds = await waitFor("agent ready", () => get("daemonsets.apps", "agent")?.status?.numberAvailable === 1 && get("daemonsets.apps", "agent"));
    expect(ds.status).toEqual({ currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1, observedGeneration: 1, updatedNumberScheduled: 1, numberAvailable: 1 });
    const [pod] = api().list("pods", { namespace: "default", labelSelector: "app=agent" }).items as Any[];
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values).toEqual(["tiphys-simulated-node"]);
  });

  const job = (name: string, script: string, extra: object = {}): KubeObject => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: { ...extra, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", command: ["sh", "-c", script] }] } } },
  });

  it("completes a Job whose pods succeed", async () => {
    api().create("jobs.batch", job("ok", "echo done", { completions: 2, parallelism: 2 }));
    const j = await waitFor("ok complete", () => cond(get("jobs.batch", "ok"), "Complete")?.status === "True" && get("jobs.batch", "ok"));
    expect(j.status).toMatchObject({ succeeded: 2, ready: 0, uncountedTerminatedPods: {} });
    expect(j.status.active).toBeUndefined();
    expect(Date.parse(j.status.completionTime)).toBeGreaterThanOrEqual(Date.parse(j.status.startTime));
    expect(cond(j, "SuccessCriteriaMet")).toMatchObject({ status: "True", reason: "CompletionsReached" });
    expect(api().readLog("default", (api().list("pods", { namespace: "default", labelSelector: "job-name=ok" }).items[0].metadata.name as string), "main")).toBe("done\n");
  });

  it("fails a Job after backoffLimit failed pods", async () => {
    api().create("jobs.batch", job("bad", "exit 1", { backoffLimit: 1 }));
    const j = await waitFor("bad failed", () => cond(get("jobs.batch", "bad"), "Failed")?.status === "True" && get("jobs.batch", "bad"), 10_000);
    expect(cond(j, "Failed")).toMatchObject({ reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
    expect(cond(j, "FailureTarget")?.status).toBe("True");
    expect(j.status.failed).toBe(2);
  });
});

describe("Services, Ingresses and scheduling", () => {
  it("gives a LoadBalancer Service an address after a delay, and Endpoints of its ready pods", async () => {
    api().create("deployments.apps", deploy("front", { replicas: 2 }));
    api().create("services", { apiVersion: "v1", kind: "Service", metadata: { name: "front", namespace: "default" }, spec: { type: "LoadBalancer", selector: { app: "front" }, ports: [{ port: 80, targetPort: "http" }] } });
    expect(get("services", "front").status.loadBalancer).toEqual({});
    const svc = await waitFor("address", () => get("services", "front")?.status.loadBalancer.ingress && get("services", "front"));
    expect(svc.status.loadBalancer.ingress).toEqual([{ ip: expect.stringMatching(/^172\.18\.255\.\d+$/), ipMode: "VIP" }]);
    const ep = await waitFor("endpoints", () => get("endpoints", "front")?.subsets?.[0]?.addresses?.length === 2 && get("endpoints", "front"));
    const ips = api().list("pods", { namespace: "default", labelSelector: "app=front" }).items.map((p: Any) => p.status.podIP).sort();
    expect(ep.subsets).toEqual([{ addresses: ips.map((ip: string) => expect.objectContaining({ ip, nodeName: "tiphys-simulated-node" })), ports: [{ port: 80, protocol: "TCP" }] }]);
    api().create("ingresses.networking.k8s.io", { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "front", namespace: "default" }, spec: { defaultBackend: { service: { name: "front", port: { number: 80 } } } } });
    await waitFor("ingress address", () => get("ingresses.networking.k8s.io", "front")?.status.loadBalancer?.ingress?.[0]?.ip);
  });

  it("leaves LoadBalancers without an address and pods unscheduled when told", async () => {
    const bare = await startSimulatedCluster({ loadBalancer: false, kubelet: false });
    try {
      bare.api.create("services", { apiVersion: "v1", kind: "Service", metadata: { name: "lb", namespace: "default" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } });
      bare.api.create("deployments.apps", deploy("nowhere", { replicas: 1 }));
      await waitFor("a pod", () => bare.api.list("pods").items.length === 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(bare.api.get("services", "default", "lb").status).toEqual({ loadBalancer: {} });
      const [pod] = bare.api.list("pods").items as Any[];
      expect(pod.spec.nodeName).toBeUndefined();
      expect(pod.status.phase).toBe("Pending");
      expect(bare.api.list("nodes").items).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it("keeps a pod Pending and Unschedulable when its nodeSelector matches no node", async () => {
    api().create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name: "picky", namespace: "default" }, spec: { nodeSelector: { disk: "ssd" }, containers: [{ name: "main", image: "busybox" }] } });
    const c = await waitFor("unschedulable", () => cond(get("pods", "picky"), "PodScheduled"));
    expect(c).toMatchObject({ status: "False", reason: "Unschedulable", message: expect.stringContaining("didn't match Pod's node affinity/selector") });
    const node = api().get("nodes", undefined, "tiphys-simulated-node") as Any;
    expect(cond(node, "Ready")?.status).toBe("True");
    api().patch("nodes", undefined, "tiphys-simulated-node", { metadata: { labels: { disk: "ssd" } } }, { type: "merge" });
    await waitFor("scheduled once the node fits", () => get("pods", "picky")?.status.phase === "Running");
  });
});
