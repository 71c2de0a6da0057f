// The scheduler of a one-node cluster: a pod without spec.nodeName goes to the simulated node when the
// node is Ready and the pod's nodeSelector and required node affinity allow it; otherwise the pod stays
// Pending with PodScheduled=False (Unschedulable), as on a real cluster with no fitting node.
import type { SimApi } from "../api.js";
import { NODE_NAME as SIMULATED_NODE } from "../kubelet/node.js";
import type { KubeObject } from "../types.js";
import { controllerOf, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { arr, findCondition, keyOf, now, obj, spec, splitKey, status, type Condition, type Obj, recordEvent } from "./util.js";

const SCHEDULER = "default-scheduler";

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function requirementHolds(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
      return value !== undefined && Number(value) > Number(values[0]);
    case "Lt":
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** Why the pod does not fit the node, or undefined when it does. */
export function unfitReason(pod: KubeObject, node: KubeObject | undefined): string | undefined {
  if (!node) return "no nodes available to schedule pods";
  const ready = findCondition(arr<Condition>(status(node).conditions), "Ready")?.status === "True";
  if (!ready || spec(node).unschedulable) return "1 node(s) were unschedulable";
  const labels = node.metadata.labels ?? {};
  const s = spec(pod);
  const selectorOk = Object.entries(obj(s.nodeSelector)).every(([k, v]) => labels[k] === v);
  const required = obj(obj(obj(s.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution);
  const terms = arr<Obj>(required.nodeSelectorTerms);
  const termOk = (t: Obj) =>
    arr<Requirement>(t.matchExpressions).every((r) => requirementHolds(r, labels[r.key])) &&
    arr<Requirement>(t.matchFields).every((r) => requirementHolds(r, r.key === "metadata.name" ? node.metadata.name : undefined));
  if (!selectorOk || (terms.length > 0 && !terms.some(termOk))) return "1 node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

function setScheduled(pod: KubeObject, cond: Condition): Obj {
  const st = { ...status(pod) };
  const conds = arr<Condition>(st.conditions).filter((c) => c.type !== "PodScheduled");
  const old = findCondition(arr<Condition>(st.conditions), "PodScheduled");
  if (old && old.status === cond.status) cond.lastTransitionTime = old.lastTransitionTime;
  st.conditions = [...conds, cond];
  return st;
}

export function startScheduler(api: SimApi): Controller {
  const reconcile = (key: string): void => {
    const { namespace, name } = splitKey(key);
    const pod = api.tryGet("pods", namespace, name);
    if (!pod || pod.metadata.deletionTimestamp || spec(pod).nodeName) return;
    if ((spec(pod).schedulerName ?? SCHEDULER) !== SCHEDULER) return;
    if (["Succeeded", "Failed"].includes(String(status(pod).phase))) return;
    const node = api.tryGet("nodes", undefined, SIMULATED_NODE);
    const why = unfitReason(pod, node);
    const t = now(api.core.now());
    if (why) {
      const message = `0/${node ? 1 : 0} nodes are available: ${why}. preemption: 0/${node ? 1 : 0} nodes are available: ${node ? "1 Preemption is not helpful for scheduling." : "no nodes available."}`;
      const old = findCondition(arr<Condition>(status(pod).conditions), "PodScheduled");
      if (old?.message === message) return;
      api.updateStatus("pods", { ...pod, status: setScheduled(pod, { type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastProbeTime: null, lastTransitionTime: t }) }, { fieldManager: SCHEDULER });
      recordEvent(api, pod, { type: "Warning", reason: "FailedScheduling", message, component: SCHEDULER });
      return;
    }
    const bound = api.patch("pods", namespace, name, { spec: { nodeName: SIMULATED_NODE } }, { type: "merge", fieldManager: SCHEDULER });
    api.updateStatus("pods", { ...bound, metadata: { ...bound.metadata, resourceVersion: undefined }, status: setScheduled(bound, { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: t }) }, { fieldManager: SCHEDULER });
    recordEvent(api, bound, { reason: "Scheduled", message: `Successfully assigned ${namespace}/${name} to ${SIMULATED_NODE}`, component: SCHEDULER });
  };
  const queue = new WorkQueue("scheduler", reconcile);
  const unbound = (o: KubeObject) => !spec(o).nodeName && !o.metadata.deletionTimestamp;
  const pendingPods = () => api.list("pods", { readonly: true }).items.filter(unbound).map(keyOf);
  return controllerOf(queue, [
    watchKeys(api, "pods", queue, (e) => (e.type !== "DELETED" && unbound(e.object) ? keyOf(e.object) : undefined)),
    // A node appearing or changing may make waiting pods fit.
    watchKeys(api, "nodes", queue, (e) => (e.type === "DELETED" ? undefined : pendingPods())),
  ]);
}
