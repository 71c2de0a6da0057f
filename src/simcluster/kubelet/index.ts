/**
 * The simulated kubelet of the one node `tiphys-simulated-node`. It is a simulation, and says so: no
 * image is pulled (the image is recorded, with a made-up digest), there are no cgroups and no network
 * namespace (pod IPs 10.244.x.y are made up, nothing listens on them), probes are not run (a container
 * is Ready `readyDelayMs` after it starts).
 *
 * In `process` mode (and in `simulate` mode for restartPolicy Never/OnFailure pods whose containers
 * have a command) containers run as local processes through the local executor: `command` + `args`
 * (or, with `args` only, the ENTRYPOINT of a few well-known images, see images.ts), with the env the
 * pod spec gives. A container's file system is the host's, except a private /tmp per pod (a mount
 * namespace, where the host allows one), shared by the pod's containers like an emptyDir; configMap
 * and secret volumes mounted under /tmp are written there. Termination messages are read from the
 * container's terminationMessagePath when it is under /tmp, else from `/tmp/.termination/<container><path>`.
 * Containers without anything to run are simulated: servers run until stopped, batch containers succeed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SimApi } from "../api.js";
import { LocalExecutor } from "../../engine/executors/local.js";
import { isObject } from "../objects.js";
import type { KubeObject } from "../types.js";
import { NODE_NAME, nodeInfo, registerNode } from "./node.js";
import { PodWorker } from "./pod-worker.js";
import type { KubeletContext, KubeletOptions } from "./types.js";

export type { KubeletOptions } from "./types.js";
export { NODE_NAME } from "./node.js";
export { terminationMessageFile } from "./container.js";

export interface Kubelet {
  stop(): Promise<void>;
}

/** Pod IPs from 10.244.0.0/16, reused once a pod is done. */
class IpPool {
  private next = 2;
  private readonly free: number[] = [];
  allocate(): string {
    const n = this.free.shift() ?? this.next++;
    return `10.244.${Math.floor(n / 256)}.${n % 256}`;
  }
  release(ip: string): void {
    const [, , a, b] = ip.split(".").map(Number);
    this.free.push(a * 256 + b);
  }
}

export function startKubelet(api: SimApi, opts: KubeletOptions = {}): Kubelet {
  // Made on first use: pods that run no process need no sandbox.
  let ownDir: string | undefined;
  const workDir = () => opts.workDir ?? (ownDir ??= mkdtempSync(join(tmpdir(), "tiphys-kubelet-")));
  const executors = new Map<number, LocalExecutor>();
  let hostView: LocalExecutor | undefined;
  const pool = new IpPool();
  const node = nodeInfo();
  const ctx: KubeletContext = {
    api,
    mode: opts.mode ?? "simulate",
    podStartDelayMs: opts.podStartDelayMs ?? 200,
    readyDelayMs: opts.readyDelayMs ?? 100,
    restartBackoffMs: opts.restartBackoffMs ?? 1000,
    failImages: opts.failImages,
    node,
    executor(graceSeconds) {
      // SIGKILL follows SIGTERM after the pod's grace period, capped at 3 s: one executor per distinct wait.
      const wait = Math.min(Math.max(0, Math.round(graceSeconds)), 3);
      let e = executors.get(wait);
      if (!e) executors.set(wait, (e = new LocalExecutor({ workDir: workDir(), killGraceMs: wait * 1000 })));
      return e;
    },
    hostExecutor() {
      hostView ??= new LocalExecutor({ workDir: workDir(), isolation: "none", killGraceMs: 3000 });
      return hostView;
    },
    allocateIp: () => pool.allocate(),
    releaseIp: (ip) => pool.release(ip),
  };
  registerNode(api, node);
  const workers = new Map<string, PodWorker>();
  const onPod = (type: string, pod: KubeObject) => {
    const uid = pod.metadata.uid ?? "";
    const spec = isObject(pod.spec) ? pod.spec : {};
    if (spec.nodeName !== NODE_NAME) return;
    const worker = workers.get(uid);
    if (type === "DELETED") {
      worker?.vanished();
      workers.delete(uid);
      return;
    }
    if (worker) return worker.update(pod);
    const phase = isObject(pod.status) ? pod.status.phase : undefined;
    if (phase === "Succeeded" || phase === "Failed") return;
    if (pod.metadata.deletionTimestamp) {
      // Never started here: nothing to stop.
      try {
        api.delete("pods", pod.metadata.namespace, pod.metadata.name ?? "", { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch {
        // Already gone.
      }
      return;
    }
    const w = new PodWorker(ctx, pod);
    workers.set(uid, w);
    w.start();
  };
  const unsubscribe = api.subscribe("pods", (e) => onPod(e.type, e.object), {
    replay: true,
    onError: (err) => process.emitWarning(`simulated kubelet: ${String(err)}`),
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all([...workers.values()].map((w) => w.shutdown()));
      workers.clear();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}
