// One container's life in the simulated kubelet: image "pull" (or its configured failure), config
// (env from the API), start, run (a local process, or a simulated one), termination with exit code,
// reason and termination message, and restarts with back-off as the restart policy says.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Sandbox } from "../../engine/executors/types.js";
import { timestamp } from "../objects.js";
import type { KubeObject, JsonObject } from "../types.js";
import { ContainerConfigError, containerEnv, expand } from "./env.js";
import { argvOf, failsToPull } from "./images.js";
import type { ContainerView } from "./pod-status.js";
import { SIMULATED_TIPHYS_IMAGE, sleep, untilAborted, type KubeletContext } from "./types.js";

type Obj = JsonObject;
const MESSAGE_LIMIT = 4096;

/** What a container needs from its pod worker. */
export interface PodHandle {
  ctx: KubeletContext;
  /** The pod as it is now, with the status the kubelet has given it (for fieldRefs). */
  pod(): KubeObject;
  sandbox(): Sandbox | undefined;
  /** Whether containers with a command run as processes in this pod. */
  processes: boolean;
  restartPolicy: string;
  /** The pod is being stopped (deleted, past its deadline): nothing restarts. */
  stopping(): boolean;
  flush(): void;
  event(reason: string, message: string, type?: "Normal" | "Warning"): void;
  log(container: string, text: string): void;
  closeLog(container: string): void;
  restartLog(container: string): void;
}

/**
 * Where a container's termination message is read from. Paths under /tmp are the pod's private /tmp;
 * any other path (the default /dev/termination-log) is mapped to `/tmp/.termination/<container><path>`,
 * because a process cannot write outside the pod's /tmp without changing the host.
 */
export function terminationMessageFile(container: string, path: string): string {
  return path === "/tmp" || path.startsWith("/tmp/") ? path : `/tmp/.termination/${container}${path.startsWith("/") ? path : `/${path}`}`;
}

const newContainerId = () => `containerd://${randomBytes(32).toString("hex")}`;

function shouldRestart(view: ContainerView, policy: string, exitCode: number): boolean {
  if (view.kind === "sidecar") return true;
  if (view.kind === "init") return exitCode !== 0 && policy !== "Never";
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}

function readMessage(h: PodHandle, cspec: Obj, name: string, exitCode: number): string | undefined {
  const path = String(cspec.terminationMessagePath ?? "/dev/termination-log");
  const sandbox = h.sandbox();
  let message = "";
  if (sandbox) {
    try {
      message = readFileSync(sandbox.hostPath(terminationMessageFile(name, path)), "utf8").slice(0, MESSAGE_LIMIT);
    } catch {
      // No message written.
    }
  }
  if (!message && exitCode !== 0 && cspec.terminationMessagePolicy === "FallbackToLogsOnError") {
    const pod = h.pod();
    message = h.ctx.api.readLog(pod.metadata.namespace ?? "", pod.metadata.name ?? "", name, { tailLines: 80 }).slice(-2048);
  }
  return message || undefined;
}

interface Outcome {
  exitCode: number;
  reason: string;
  signal?: number;
  startError?: string;
}

const SIGNALS: Record<string, number> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2, SIGHUP: 1, SIGQUIT: 3 };

async function execute(h: PodHandle, view: ContainerView, cspec: Obj, env: Record<string, string>, signal: AbortSignal): Promise<Outcome> {
  const argv = h.processes ? argvOf(cspec) : undefined;
  if (!argv) {
    // Nothing to run: a server runs until stopped; a batch container (or an init container) succeeds.
    const serves = view.kind === "sidecar" || (view.kind === "main" && h.restartPolicy === "Always");
    if (serves) await untilAborted(signal);
    return { exitCode: 0, reason: "Completed" };
  }
  const sandbox = h.sandbox();
  if (!sandbox) return { exitCode: 128, reason: "StartError", startError: "no sandbox for the pod" };
  const path = String(cspec.terminationMessagePath ?? "/dev/termination-log");
  mkdirSync(dirname(sandbox.hostPath(terminationMessageFile(view.name, path))), { recursive: true });
  const grace = Math.max(0, Number(h.pod().metadata.deletionGracePeriodSeconds ?? (h.pod().spec as Obj)?.terminationGracePeriodSeconds ?? 30));
  const hostView = String(cspec.image ?? "") === SIMULATED_TIPHYS_IMAGE;
  const result = await (hostView ? h.ctx.hostExecutor() : h.ctx.executor(grace)).run(
    {
      container: view.name,
      argv: argv.map((a) => expand(a, env)),
      env: hostView ? { ...env, TIPHYS_SIM_POD_TMP: sandbox.hostPath("/tmp") } : env,
      workingDir: typeof cspec.workingDir === "string" ? cspec.workingDir : undefined,
      image: view.image,
    },
    sandbox,
    { onLine: (_stream, line) => h.log(view.name, `${line}\n`), captureStdout: false },
    signal,
  );
  if (result.startError !== undefined) return { exitCode: 128, reason: "StartError", startError: result.startError };
  if (result.exitCode !== null) return { exitCode: result.exitCode, reason: result.exitCode === 0 ? "Completed" : "Error" };
  const sig = SIGNALS[String(result.signal ?? "").replace(/^signal /, "")] ?? (Number(String(result.signal ?? "").replace(/^signal /, "")) || 9);
  return { exitCode: 128 + sig, reason: "Error", signal: sig };
}

/** Runs a container until it is terminated for good (or the pod stops). */
export async function runContainer(h: PodHandle, view: ContainerView, cspec: Obj, signal: AbortSignal): Promise<void> {
  const { ctx } = h;
  const image = String(cspec.image ?? "");
  let pulled = false;
  for (;;) {
    if (signal.aborted) return;
    if (failsToPull(image, ctx.failImages)) {
      view.state = { waiting: { reason: "ErrImagePull", message: `failed to pull and unpack image "${image}": not found (simulated)` } };
      h.event("Pulling", `Pulling image "${image}"`);
      h.event("Failed", `Failed to pull image "${image}": failed to resolve reference "${image}": not found (simulated)`, "Warning");
      h.event("Failed", "Error: ErrImagePull", "Warning");
      h.flush();
      await sleep(Math.max(ctx.podStartDelayMs, 50), signal);
      if (signal.aborted) return;
      view.state = { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` } };
      h.event("BackOff", `Back-off pulling image "${image}"`);
      h.event("Failed", "Error: ImagePullBackOff", "Warning");
      h.flush();
      return untilAborted(signal);
    }
    if (!pulled) {
      h.event("Pulled", `Container image "${image}" already present on machine (simulated: nothing is pulled)`);
      pulled = true;
    }
    let env: Record<string, string>;
    try {
      env = containerEnv({ api: ctx.api, pod: h.pod(), container: cspec, allocatable: ctx.node.allocatable });
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      if (view.state.waiting?.message !== err.message) {
        view.state = { waiting: { reason: "CreateContainerConfigError", message: err.message } };
        h.event("Failed", `Error: ${err.message}`, "Warning");
        h.flush();
      }
      await sleep(1000, signal);
      continue;
    }
    const startedAt = timestamp(ctx.api.core.now());
    view.containerID = newContainerId();
    view.state = { running: { startedAt } };
    view.started = view.kind !== "init";
    h.event("Created", `Created container: ${view.name}`);
    h.event("Started", `Started container ${view.name}`);
    h.flush();
    const runId = view.containerID;
    if (view.kind !== "init") {
      void sleep(ctx.readyDelayMs, signal).then(() => {
        if (signal.aborted || view.containerID !== runId || !view.state.running) return;
        view.ready = true;
        h.flush();
      });
    }
    const out = await execute(h, view, cspec, env, signal);
    const terminated: Obj = { exitCode: out.exitCode, reason: out.reason, startedAt, finishedAt: timestamp(ctx.api.core.now()), containerID: view.containerID };
    if (out.signal) terminated.signal = out.signal;
    const message = out.startError ? `failed to create containerd task: exec: ${out.startError} (simulated)` : readMessage(h, cspec, view.name, out.exitCode);
    if (message) terminated.message = message;
    if (out.startError) h.event("Failed", `Error: ${message}`, "Warning");
    h.closeLog(view.name);
    view.ready = view.kind === "init" && out.exitCode === 0;
    view.started = false;
    if (signal.aborted || h.stopping() || !shouldRestart(view, h.restartPolicy, out.exitCode)) {
      view.state = { terminated };
      h.flush();
      return;
    }
    view.lastState = { terminated };
    view.restartCount++;
    const backoff = Math.min(ctx.restartBackoffMs * 2 ** (view.restartCount - 1), ctx.restartBackoffMs * 32);
    const pod = h.pod();
    view.state = { waiting: { reason: "CrashLoopBackOff", message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${view.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})` } };
    h.event("BackOff", `Back-off restarting failed container ${view.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`, "Warning");
    h.flush();
    await sleep(backoff, signal);
    if (signal.aborted || h.stopping()) {
      view.state = { terminated: view.lastState.terminated };
      return;
    }
    h.restartLog(view.name);
  }
}
