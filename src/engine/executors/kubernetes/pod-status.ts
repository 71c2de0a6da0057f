/** What a Pod's status says about the node (pure). */
import type { KubeObject } from "../../../core/ports/cluster.js";

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; signal?: number };
}
interface ContainerStatus {
  name: string;
  state?: ContainerState;
}
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** Waiting reasons that mean the pod will not start without someone changing it. */
const START_FAILURES = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

export type PodView =
  | { kind: "pending" }
  | { kind: "started" }
  | { kind: "cannotStart"; reason: string }
  | { kind: "done"; phase: "Succeeded" | "Failed"; exitCode: number | null; message?: string; podIP?: string };

export function statusOf(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

/** The pod's state as far as a waiting node cares. */
export function viewPod(pod: KubeObject, main = "main"): PodView {
  const st = statusOf(pod);
  const mainStatus = st.containerStatuses?.find((c) => c.name === main);
  if (st.phase === "Succeeded" || st.phase === "Failed") {
    const term = mainStatus?.state?.terminated;
    if (st.reason === "DeadlineExceeded") {
      return { kind: "done", phase: "Failed", exitCode: null, message: st.message ?? "Pod was active on the node longer than the specified deadline", podIP: st.podIP };
    }
    if (term?.exitCode !== undefined) {
      return { kind: "done", phase: st.phase, exitCode: term.exitCode, message: term.message, podIP: st.podIP };
    }
    return { kind: "done", phase: st.phase, exitCode: null, message: st.message ?? st.reason ?? `pod ${st.phase.toLowerCase()} without a main container exit code`, podIP: st.podIP };
  }
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason && START_FAILURES.has(w.reason)) return { kind: "cannotStart", reason: `${w.reason}: ${w.message ?? ""}`.replace(/: $/, "") };
  }
  const scheduled = st.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return { kind: "cannotStart", reason: `Unschedulable: ${scheduled.message ?? ""}`.replace(/: $/, "") };
  }
  if (mainStatus?.state?.running || mainStatus?.state?.terminated) return { kind: "started" };
  return { kind: "pending" };
}
