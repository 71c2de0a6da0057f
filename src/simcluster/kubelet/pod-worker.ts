// One pod on the simulated node, from binding to deletion: sandbox (the pod's private /tmp), init
// containers in order (native sidecars, restartPolicy Always, start and keep running), then the
// containers together; sidecars are stopped once the containers are done; status written as it
// changes; activeDeadlineSeconds; graceful deletion (SIGTERM, SIGKILL after the capped grace period),
// then the final `delete(..., { gracePeriodSeconds: 0 })`.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Sandbox } from "../../engine/executors/types.js";
import { isObject, timestamp } from "../objects.js";
import { ApiError } from "../status.js";
import type { JsonObject, KubeObject } from "../types.js";
import { runContainer, type PodHandle } from "./container.js";
import { argvOf, imageId, normalizeImage } from "./images.js";
import { containerStatus, KUBELET_CONDITIONS, podConditions, podPhase, type ContainerView, type Phase } from "./pod-status.js";
import { sleep, type KubeletContext } from "./types.js";

type Obj = JsonObject;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
/** How long deletion waits for processes, whatever the pod's grace period says. */
const GRACE_CAP_MS = 3000;

export class PodWorker implements PodHandle {
  readonly restartPolicy: string;
  readonly processes: boolean;
  private readonly views: ContainerView[];
  private readonly specs = new Map<string, Obj>();
  private readonly abort = new AbortController();
  private readonly sidecarAbort = new AbortController();
  /** Sidecars stop with the pod, or once the containers are done. */
  private readonly sidecarSignal: AbortSignal;
  private current: KubeObject;
  private box: Sandbox | undefined;
  private podIP: string | undefined;
  private startTime: string | undefined;
  private startMs = 0;
  private sandboxReady = false;
  private terminal: { reason?: string; message?: string } | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private gone = false;
  private deleting = false;
  private finished: Promise<void> | undefined;
  private released = false;

  constructor(
    readonly ctx: KubeletContext,
    pod: KubeObject,
  ) {
    this.current = pod;
    const spec = obj(pod.spec);
    this.restartPolicy = String(spec.restartPolicy ?? "Always");
    const view = (c: Obj, kind: ContainerView["kind"]): ContainerView => {
      this.specs.set(String(c.name), c);
      const hasInit = arr(spec.initContainers).length > 0;
      const reason = kind === "main" && !hasInit ? "ContainerCreating" : "PodInitializing";
      return { name: String(c.name), kind, image: normalizeImage(String(c.image ?? "")), state: { waiting: { reason } }, lastState: {}, ready: false, started: false, restartCount: 0 };
    };
    this.views = [
      ...arr(spec.initContainers).map((c) => view(c, c.restartPolicy === "Always" ? "sidecar" : "init")),
      ...arr(spec.containers).map((c) => view(c, "main")),
    ];
    const all = [...arr(spec.initContainers), ...arr(spec.containers)];
    this.processes = ctx.mode === "process" ? all.some((c) => argvOf(c)) : this.restartPolicy !== "Always" && all.some((c) => Array.isArray(c.command) && c.command.length > 0);
    this.sidecarSignal = AbortSignal.any([this.abort.signal, this.sidecarAbort.signal]);
  }

  // PodHandle

  pod(): KubeObject {
    return { ...this.current, status: this.statusNow() };
  }
  sandbox(): Sandbox | undefined {
    return this.box;
  }
  stopping(): boolean {
    return this.abort.signal.aborted;
  }
  event(reason: string, message: string, type: "Normal" | "Warning" = "Normal"): void {
    if (this.gone) return;
    try {
      this.ctx.api.recordEvent(this.current, { type, reason, message, component: "kubelet" });
    } catch {
      // The namespace is going away: events are best effort.
    }
  }
  log(container: string, text: string): void {
    if (!this.gone) this.ctx.api.appendLog(this.ns, this.name, container, text);
  }
  closeLog(container: string): void {
    if (!this.gone) this.ctx.api.closeLog(this.ns, this.name, container);
  }
  restartLog(container: string): void {
    if (!this.gone) this.ctx.api.restartLog(this.ns, this.name, container);
  }

  private get ns(): string {
    return this.current.metadata.namespace ?? "";
  }
  private get name(): string {
    return this.current.metadata.name ?? "";
  }

  private phase(): Phase {
    if (this.terminal?.reason === "DeadlineExceeded") return "Failed";
    const phase = podPhase(this.views, this.restartPolicy, this.terminal !== undefined);
    // Not terminal while a sidecar is still being stopped (the kubelet reports the final phase last).
    if ((phase === "Succeeded" || phase === "Failed") && !this.terminal && this.views.some((v) => v.state.running)) return "Running";
    return phase;
  }

  private statusNow(): Obj {
    const old = obj(this.current.status);
    const phase = this.phase();
    const now = timestamp(this.ctx.api.core.now());
    const previous = arr(old.conditions) as Array<{ type: string }>;
    const gates = arr(obj(this.current.spec).readinessGates).map((g) => String(g.conditionType));
    const mine = podConditions({ containers: this.views, phase, sandboxReady: this.sandboxReady, readinessGates: gates, previous, now });
    const status: Obj = { ...old, phase, conditions: [...mine, ...previous.filter((c) => !KUBELET_CONDITIONS.has(c.type))] };
    status.hostIP = this.ctx.node.ip;
    status.hostIPs = [{ ip: this.ctx.node.ip }];
    if (this.podIP) {
      status.podIP = this.podIP;
      status.podIPs = [{ ip: this.podIP }];
    }
    if (this.startTime) status.startTime = this.startTime;
    const withIds = (v: ContainerView) => containerStatus({ ...v, imageID: v.containerID || v.lastState.terminated ? imageId(v.image) : "" });
    const inits = this.views.filter((v) => v.kind !== "main").map(withIds);
    if (inits.length > 0) status.initContainerStatuses = inits;
    status.containerStatuses = this.views.filter((v) => v.kind === "main").map(withIds);
    if (this.terminal?.reason) status.reason = this.terminal.reason;
    if (this.terminal?.message) status.message = this.terminal.message;
    return status;
  }

  flush(): void {
    if (this.gone) return;
    try {
      const fresh = this.ctx.api.tryGet("pods", this.ns, this.name);
      if (!fresh || fresh.metadata.uid !== this.current.metadata.uid) return this.vanished();
      this.current = fresh;
      this.current = this.ctx.api.updateStatus("pods", { ...fresh, metadata: { ...fresh.metadata, resourceVersion: undefined }, status: this.statusNow() }, { fieldManager: "kubelet" });
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) this.vanished();
      else throw err;
    }
  }

  /** Starts the pod's containers. */
  start(): void {
    this.finished = this.run().catch((err: unknown) => {
      process.emitWarning(`simulated kubelet: pod ${this.ns}/${this.name} failed: ${String(err)}`);
    });
  }

  private async run(): Promise<void> {
    this.startMs = this.ctx.api.core.now();
    this.startTime = timestamp(this.startMs);
    this.podIP = this.ctx.allocateIp();
    this.flush();
    this.armDeadline();
    await sleep(this.ctx.podStartDelayMs, this.abort.signal);
    if (this.processes && !this.stopping()) {
      this.box = await this.ctx.executor(0).createSandbox(this.current.metadata.uid ?? this.name);
      this.writeVolumes();
    }
    this.sandboxReady = true;
    const sidecars: Promise<void>[] = [];
    let initOk = true;
    for (const v of this.views.filter((x) => x.kind !== "main")) {
      if (this.stopping()) break;
      const cspec = this.specs.get(v.name) ?? {};
      if (v.kind === "sidecar") {
        sidecars.push(runContainer(this, v, cspec, this.sidecarSignal));
        while (!v.started && !this.stopping() && !v.state.terminated) await sleep(5, this.abort.signal);
        continue;
      }
      await runContainer(this, v, cspec, this.abort.signal);
      if (v.state.terminated?.exitCode !== 0) {
        initOk = false;
        break;
      }
    }
    if (initOk && !this.stopping()) {
      await Promise.all(this.views.filter((v) => v.kind === "main").map((v) => runContainer(this, v, this.specs.get(v.name) ?? {}, this.abort.signal)));
    }
    // The containers are done: sidecars are stopped, and the pod's phase is final.
    for (const s of this.views.filter((v) => v.kind === "sidecar" && v.state.running)) this.event("Killing", `Stopping container ${s.name}`);
    this.sidecarAbort.abort();
    await Promise.all(sidecars);
    this.terminal ??= {};
    this.flush();
    this.release();
  }

  /** Files of configMap and secret volumes mounted under /tmp (the only place a pod has of its own). */
  private writeVolumes(): void {
    const box = this.box;
    if (!box) return;
    const volumes = new Map(arr(obj(this.current.spec).volumes).map((v) => [String(v.name), v]));
    for (const c of [...this.specs.values()]) {
      for (const m of arr(c.volumeMounts)) {
        const path = String(m.mountPath ?? "");
        const v = volumes.get(String(m.name));
        if (!v || !(path === "/tmp" || path.startsWith("/tmp/"))) continue;
        const source = isObject(v.configMap) ? { kind: "configmaps", ref: v.configMap } : isObject(v.secret) ? { kind: "secrets", ref: { ...v.secret, name: v.secret.secretName } } : undefined;
        mkdirSync(box.hostPath(path), { recursive: true });
        if (!source) continue;
        const o = this.ctx.api.tryGet(source.kind, this.ns, String(source.ref.name ?? ""));
        const data = obj(o?.data);
        const items = arr(source.ref.items);
        const files = items.length > 0 ? items.map((i) => [String(i.key), String(i.path)]) : Object.keys(data).map((k) => [k, k]);
        for (const [key, rel] of files) {
          if (data[key] === undefined) continue;
          const text = source.kind === "secrets" ? Buffer.from(String(data[key]), "base64").toString() : String(data[key]);
          const file = join(box.hostPath(path), rel);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, text);
        }
      }
    }
  }

  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    const ads = obj(this.current.spec).activeDeadlineSeconds;
    if (typeof ads !== "number" || !this.startTime || this.terminal) return;
    // From the precise start: status.startTime has whole seconds.
    const left = this.startMs + ads * 1000 - this.ctx.api.core.now();
    this.deadline = setTimeout(() => this.exceedDeadline(), Math.max(0, left));
    this.deadline.unref();
  }

  private exceedDeadline(): void {
    if (this.terminal || this.stopping()) return;
    const message = "Pod was active on the node longer than the specified deadline";
    this.terminal = { reason: "DeadlineExceeded", message };
    this.event("DeadlineExceeded", message, "Warning");
    this.killAll();
  }

  private killAll(): void {
    for (const v of this.views.filter((x) => x.state.running)) this.event("Killing", `Stopping container ${v.name}`);
    this.abort.abort();
  }

  /** The pod changed: a deletion, or a new activeDeadlineSeconds. */
  update(pod: KubeObject): void {
    if (pod.metadata.uid !== this.current.metadata.uid) return;
    const deadlineChanged = obj(pod.spec).activeDeadlineSeconds !== obj(this.current.spec).activeDeadlineSeconds;
    this.current = pod;
    if (deadlineChanged) this.armDeadline();
    if (pod.metadata.deletionTimestamp && !this.deleting) void this.terminate();
  }

  /** Graceful deletion: stop the containers, report them, and let the API server remove the pod. */
  private async terminate(): Promise<void> {
    this.deleting = true;
    if (!this.terminal) this.terminal = {};
    if (!this.abort.signal.aborted) this.killAll();
    const grace = Math.min(Number(this.current.metadata.deletionGracePeriodSeconds ?? 30) * 1000, GRACE_CAP_MS);
    await raceTimeout(this.finished, grace + 1000);
    if (this.gone) return;
    try {
      this.ctx.api.delete("pods", this.ns, this.name, { gracePeriodSeconds: 0, preconditions: { uid: this.current.metadata.uid } });
    } catch (err) {
      if (!(err instanceof ApiError) || (err.code !== 404 && err.code !== 409)) throw err;
    }
    this.vanished();
  }

  /** The pod is gone from the API: stop everything, write nothing more. */
  vanished(): void {
    if (this.gone) return;
    this.gone = true;
    this.abort.abort();
    this.release();
  }

  private release(): void {
    if (this.deadline) clearTimeout(this.deadline);
    if (this.released || (!this.gone && !this.terminal)) return;
    this.released = true;
    if (this.podIP) this.ctx.releaseIp(this.podIP);
    const box = this.box;
    if (box) void Promise.resolve(this.finished).then(() => box.dispose().catch(() => undefined));
  }

  /** Stops the pod without touching the API (the kubelet is shutting down). */
  async shutdown(): Promise<void> {
    this.gone = true;
    this.abort.abort();
    await raceTimeout(this.finished, GRACE_CAP_MS + 1000);
    await this.box?.dispose().catch(() => undefined);
  }
}

/** Waits for `p`, at most `ms`; the timer is cleared as soon as `p` settles (it must not keep the process alive). */
async function raceTimeout(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  const stop = new AbortController();
  await Promise.race([p.finally(() => stop.abort()), sleep(ms, stop.signal)]);
}
