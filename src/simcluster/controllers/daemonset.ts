// The DaemonSet controller for the one simulated node: one pod when the node fits the template
// (nodeSelector, required node affinity), pinned to it by node affinity as the real controller does,
// replaced on template changes (RollingUpdate) or only when deleted (OnDelete); status
// desiredNumberScheduled, currentNumberScheduled, numberReady, updatedNumberScheduled, numberAvailable.
import type { SimApi } from "../api.js";
import { NODE_NAME } from "../kubelet/node.js";
import { deepEqual } from "../objects.js";
import type { KubeObject } from "../types.js";
import { controllerOf, ownerKey, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { ensureRevision, ownedRevisions, pruneRevisions, REVISION_HASH_LABEL } from "./revisions.js";
import { unfitReason } from "./scheduler.js";
import { arr, byCreation, CONTROLLER_MANAGER, isOwnedBy, isPodAvailable, isPodReady, isTerminalPod, keyOf, num, obj, omitZero, podFromTemplate, spec, splitKey, status, untilAvailable, type Obj, recordEvent } from "./util.js";

const COMPONENT = "daemonset-controller";
const TOLERATIONS = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];

export function startDaemonSetController(api: SimApi): Controller {
  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const ds = api.tryGet("daemonsets.apps", namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const revisions = ownedRevisions(api, ds);
    const rev = ensureRevision(api, ds, revisions);
    const template = obj(spec(ds).template);
    const node = api.tryGet("nodes", undefined, NODE_NAME);
    const probe: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: {}, spec: template.spec };
    const desired = node && !unfitReason(probe, node) ? 1 : 0;
    const event = (reason: string, message: string) => recordEvent(api, ds, { reason, message, component: COMPONENT });
    const owned = () => api.list("pods", { namespace, readonly: true }).items.filter((p) => isOwnedBy(p, ds));
    const live = owned().filter((p) => !p.metadata.deletionTimestamp).sort(byCreation);
    const remove = (p: KubeObject) => {
      api.delete("pods", namespace, p.metadata.name ?? "");
      event("SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
    };
    const failed = live.filter(isTerminalPod);
    failed.forEach(remove);
    const running = live.filter((p) => !isTerminalPod(p));
    if (desired === 0) running.forEach(remove);
    else if (running.length > 1) running.slice(1).forEach(remove);
    else if (running.length === 1) {
      const outdated = running[0].metadata.labels?.[REVISION_HASH_LABEL] !== rev.hash;
      if (outdated && obj(spec(ds).updateStrategy).type !== "OnDelete") remove(running[0]);
    } else if (owned().length === 0) {
      // maxSurge 0: the new pod comes once the old one is gone.
      const pod = podFromTemplate(ds, template, { labels: { [REVISION_HASH_LABEL]: rev.hash, "pod-template-generation": String(ds.metadata.generation ?? 1) } });
      const podSpec = obj(pod.spec);
      podSpec.affinity = {
        ...obj(podSpec.affinity),
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [NODE_NAME] }] }] } },
      };
      const have = arr<Obj>(podSpec.tolerations);
      podSpec.tolerations = [...have, ...TOLERATIONS.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect))];
      const created = api.create("pods", pod, { namespace, fieldManager: CONTROLLER_MANAGER });
      event("SuccessfulCreate", `Created pod: ${created.metadata.name}`);
    }
    const t = api.core.now();
    const minReady = num(spec(ds).minReadySeconds);
    const pods = owned().filter((p) => !p.metadata.deletionTimestamp && !isTerminalPod(p));
    const available = pods.filter((p) => isPodAvailable(p, minReady, t)).length;
    const st = omitZero(
      {
        currentNumberScheduled: Math.min(pods.length, desired),
        numberMisscheduled: desired === 0 ? pods.length : 0,
        desiredNumberScheduled: desired,
        numberReady: pods.filter(isPodReady).length,
        observedGeneration: ds.metadata.generation ?? 1,
        updatedNumberScheduled: pods.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === rev.hash).length,
        numberAvailable: available,
        numberUnavailable: Math.max(0, desired - available),
      } as Obj,
      ["updatedNumberScheduled", "numberAvailable", "numberUnavailable"],
    );
    if (!deepEqual(st, status(ds))) api.updateStatus("daemonsets.apps", { ...ds, metadata: { ...ds.metadata, resourceVersion: undefined }, status: st }, { fieldManager: CONTROLLER_MANAGER });
    pruneRevisions(api, ds, ownedRevisions(api, ds), new Set([rev.name, ...pods.map((p) => `${ds.metadata.name}-${p.metadata.labels?.[REVISION_HASH_LABEL]}`)]));
    const waits = pods.map((p) => untilAvailable(p, minReady, t)).filter((w): w is number => w !== undefined);
    if (waits.length > 0) return Math.min(...waits) + 5;
  };
  const queue = new WorkQueue("daemonset", reconcile);
  const allDaemonSets = () => api.list("daemonsets.apps", { readonly: true }).items.map(keyOf);
  return controllerOf(queue, [
    watchKeys(api, "daemonsets.apps", queue),
    watchKeys(api, "pods", queue, (e) => ownerKey(e.object, "DaemonSet")),
    watchKeys(api, "nodes", queue, () => allDaemonSets()),
  ]);
}
