// What the kubelet reports, as pure functions: a container's status entry, the pod phase
// (kubelet's getPhase, with native sidecars), and the pod conditions PodReadyToStartContainers,
// Initialized, ContainersReady and Ready with their reasons and messages.
import type { JsonObject } from "../types.js";

type Obj = JsonObject;

export type ContainerKind = "init" | "sidecar" | "main";

/** The kubelet's view of one container. */
export interface ContainerView {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID?: string;
  state: { waiting?: Obj; running?: Obj; terminated?: Obj };
  lastState: { terminated?: Obj };
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID?: string;
}

export function containerStatus(c: ContainerView): Obj {
  const s: Obj = {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID ?? "",
    started: c.started,
  };
  if (c.containerID) s.containerID = c.containerID;
  return s;
}

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

/** kubelet getPhase: from the containers' states and the restart policy; `terminal` when nothing restarts any more. */
export function podPhase(containers: ContainerView[], restartPolicy: string, terminal: boolean): Phase {
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of containers) {
    if (c.kind === "main") continue;
    const { running, terminated, waiting } = c.state;
    if (c.kind === "sidecar") {
      if (!(running && c.started) && !terminated && !c.lastState.terminated) pendingInit++;
      continue;
    }
    if (running) pendingInit++;
    else if (terminated) {
      if (terminated.exitCode !== 0) failedInit++;
    } else if (waiting && c.lastState.terminated) {
      if (c.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers.filter((x) => x.kind === "main")) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.state.waiting) {
      if (c.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && restartPolicy === "Never") return "Failed";
  if (pendingInit > 0 || failedInit > 0) return terminal ? "Failed" : "Pending";
  if (waiting > 0) return terminal ? "Failed" : "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? "Succeeded" : "Failed";
    if (restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

export interface Condition {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

const names = (cs: ContainerView[]) => `[${cs.map((c) => c.name).join(" ")}]`;

/** The kubelet's conditions, keeping lastTransitionTime from `previous` where the status holds. */
export function podConditions(opts: {
  containers: ContainerView[];
  phase: Phase;
  sandboxReady: boolean;
  readinessGates: string[];
  previous: Array<{ type: string; status?: unknown; lastTransitionTime?: unknown }>;
  now: string;
}): Condition[] {
  const { containers, phase, now } = opts;
  const make = (type: string, ok: boolean, reason?: string, message?: string): Condition => {
    const prev = opts.previous.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    const c: Condition = { type, status, lastProbeTime: null, lastTransitionTime: prev && prev.status === status && typeof prev.lastTransitionTime === "string" ? prev.lastTransitionTime : now };
    if (!ok && reason) c.reason = reason;
    if (!ok && message) c.message = message;
    return c;
  };
  const incomplete = containers.filter((c) => (c.kind === "init" && c.state.terminated?.exitCode !== 0) || (c.kind === "sidecar" && !c.started && !c.state.terminated));
  // Once every init container has run, the pod stays initialized (a terminal pod keeps it).
  const initialized = incomplete.length === 0 || (phase !== "Pending" && incomplete.every((c) => c.kind === "sidecar"));
  const unready = containers.filter((c) => c.kind !== "init" && !c.ready);
  const completed = phase === "Succeeded";
  const containersReady = !completed && unready.length === 0;
  const gatesOk = opts.readinessGates.every((g) => opts.previous.find((c) => c.type === g)?.status === "True");
  const notReady = completed ? ["PodCompleted", undefined] : ["ContainersNotReady", `containers with unready status: ${names(unready)}`];
  return [
    make("PodReadyToStartContainers", opts.sandboxReady),
    make("Initialized", initialized, "ContainersNotInitialized", `containers with incomplete status: ${names(incomplete)}`),
    make("Ready", containersReady && gatesOk, completed || unready.length > 0 ? notReady[0] : "ReadinessGatesNotReady", completed || unready.length > 0 ? notReady[1] : "corresponding condition of pod readiness gate is not true"),
    make("ContainersReady", containersReady, notReady[0], notReady[1]),
  ];
}

/** The conditions the kubelet owns; others (PodScheduled, readiness gates) are kept as they are. */
export const KUBELET_CONDITIONS = new Set(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"]);
