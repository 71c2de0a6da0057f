// The ReplicaSet controller: keeps spec.replicas active pods (creating from the template with
// generateName `<rs>-`, deleting the least useful first), adopts matching orphans, and reports
// replicas / fullyLabeledReplicas / readyReplicas / availableReplicas / observedGeneration.
import type { SimApi } from "../api.js";
import { deepEqual } from "../objects.js";
import { ApiError } from "../status.js";
import type { KubeObject } from "../types.js";
import { controllerOf, ownerKey, watchKeys, WorkQueue, type Controller } from "./queue.js";
import {
  arr,
  claimable,
  CONTROLLER_MANAGER,
  isActivePod,
  isPodAvailable,
  isPodReady,
  now,
  num,
  obj,
  omitZero,
  ownerRefTo,
  podFromTemplate,
  spec,
  splitKey,
  status,
  untilAvailable,
  type Condition,
  type Obj, recordEvent } from "./util.js";

const COMPONENT = "replicaset-controller";
/** What one pass creates at most (the real controller's burstReplicas). */
const BURST = 500;

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Which pods go first when scaling down (controller.ActivePodsWithRanks, without co-location). */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const assigned = (p: KubeObject) => (spec(p).nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: KubeObject) => PHASE_RANK[String(status(p).phase)] ?? 1;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: KubeObject) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const readySince = (p: KubeObject) => arr<Condition>(status(p).conditions).find((c) => c.type === "Ready")?.lastTransitionTime ?? "";
  if (ready(a) && readySince(a) !== readySince(b)) return readySince(a) > readySince(b) ? -1 : 1;
  const restarts = (p: KubeObject) => arr<Obj>(status(p).containerStatuses).reduce((n, c) => n + num(c.restartCount), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: KubeObject) => p.metadata.creationTimestamp ?? "";
  return created(a) === created(b) ? 0 : created(a) > created(b) ? -1 : 1;
}

export function startReplicaSetController(api: SimApi): Controller {
  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const rs = api.tryGet("replicasets.apps", namespace, name);
    if (!rs) return;
    const pods = api.list("pods", { namespace, readonly: true }).items;
    const { owned, orphans } = claimable(pods, rs);
    if (!rs.metadata.deletionTimestamp) {
      for (const o of orphans) {
        const refs = [...(o.metadata.ownerReferences ?? []), ownerRefTo(rs)];
        owned.push(api.patch("pods", namespace, o.metadata.name ?? "", { metadata: { ownerReferences: refs } }, { type: "merge", fieldManager: CONTROLLER_MANAGER }));
      }
    }
    let active = owned.filter(isActivePod);
    let failure: Condition | undefined;
    if (!rs.metadata.deletionTimestamp) {
      const diff = active.length - num(spec(rs).replicas, 1);
      if (diff < 0) {
        for (let i = 0; i < Math.min(-diff, BURST); i++) {
          try {
            const pod = api.create("pods", podFromTemplate(rs, obj(spec(rs).template), {}), { namespace, fieldManager: CONTROLLER_MANAGER });
            active.push(pod);
            recordEvent(api, rs, { reason: "SuccessfulCreate", message: `Created pod: ${pod.metadata.name}`, component: COMPONENT });
          } catch (err) {
            if (!(err instanceof ApiError) || err.code === 409) throw err;
            failure = { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: err.message, lastTransitionTime: now(api.core.now()) };
            recordEvent(api, rs, { type: "Warning", reason: "FailedCreate", message: `Error creating: ${err.message}`, component: COMPONENT });
            break;
          }
        }
      } else if (diff > 0) {
        const doomed = [...active].sort(deletionOrder).slice(0, diff);
        for (const p of doomed) {
          api.delete("pods", namespace, p.metadata.name ?? "");
          recordEvent(api, rs, { reason: "SuccessfulDelete", message: `Deleted pod: ${p.metadata.name}`, component: COMPONENT });
        }
        const gone = new Set(doomed.map((p) => p.metadata.uid));
        active = active.filter((p) => !gone.has(p.metadata.uid));
      }
    }
    const t = api.core.now();
    const minReady = num(spec(rs).minReadySeconds);
    const templateLabels = obj(obj(obj(spec(rs).template).metadata).labels);
    const old = status(rs);
    const conditions = arr<Condition>(old.conditions).filter((c) => c.type !== "ReplicaFailure");
    const oldFailure = arr<Condition>(old.conditions).find((c) => c.type === "ReplicaFailure");
    if (failure) conditions.push(oldFailure && oldFailure.message === failure.message ? oldFailure : failure);
    const next: Obj = omitZero(
      {
        replicas: active.length,
        fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
        readyReplicas: active.filter(isPodReady).length,
        availableReplicas: active.filter((p) => isPodAvailable(p, minReady, t)).length,
        observedGeneration: rs.metadata.generation ?? 1,
      },
      ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
    );
    if (conditions.length > 0) next.conditions = conditions;
    if (!deepEqual(next, old)) api.updateStatus("replicasets.apps", { ...rs, metadata: { ...rs.metadata, resourceVersion: undefined }, status: next }, { fieldManager: CONTROLLER_MANAGER });
    const waits = active.map((p) => untilAvailable(p, minReady, t)).filter((w): w is number => w !== undefined);
    if (failure) return 5000;
    if (waits.length > 0) return Math.min(...waits) + 5;
  };
  const queue = new WorkQueue("replicaset", reconcile);
  return controllerOf(queue, [
    watchKeys(api, "replicasets.apps", queue),
    watchKeys(api, "pods", queue, (e) => {
      const owner = ownerKey(e.object, "ReplicaSet");
      if (owner) return owner;
      // An orphan may be adopted by a ReplicaSet whose selector matches it.
      if ((e.object.metadata.ownerReferences ?? []).some((r) => r.controller) || e.type === "DELETED") return undefined;
      const ns = e.object.metadata.namespace;
      return api
        .list("replicasets.apps", { namespace: ns, readonly: true })
        .items.filter((rs) => claimable([e.object], rs).orphans.length > 0)
        .map((rs) => `${ns}/${rs.metadata.name}`);
    }),
  ]);
}
