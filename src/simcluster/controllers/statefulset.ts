// The StatefulSet controller: pods `<sts>-0..n-1` with stable names (hostname, subdomain), a PVC per
// volumeClaimTemplate and ordinal, OrderedReady (one at a time, each Running and Ready before the
// next) or Parallel management, scale-down from the highest ordinal, RollingUpdate from the highest
// ordinal down to the partition (or OnDelete), ControllerRevisions, and the status kubectl rollout
// status reads: replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas,
// currentRevision, updateRevision.
import type { SimApi } from "../api.js";
import { deepEqual } from "../objects.js";
import type { KubeObject } from "../types.js";
import { controllerOf, ownerKey, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { ensureRevision, ownedRevisions, pruneRevisions, REVISION_HASH_LABEL, templateOf } from "./revisions.js";
import { arr, CONTROLLER_MANAGER, isOwnedBy, isPodAvailable, isPodReady, isTerminalPod, num, obj, podFromTemplate, podPhase, spec, splitKey, status, untilAvailable, type Obj, recordEvent } from "./util.js";

const COMPONENT = "statefulset-controller";

const ordinalOf = (sts: KubeObject, p: KubeObject): number => {
  const prefix = `${sts.metadata.name}-`;
  const name = p.metadata.name ?? "";
  return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)) ? Number(name.slice(prefix.length)) : -1;
};
const healthy = (p: KubeObject) => !p.metadata.deletionTimestamp && podPhase(p) === "Running" && isPodReady(p);

export function startStatefulSetController(api: SimApi): Controller {
  const event = (sts: KubeObject, reason: string, message: string) => recordEvent(api, sts, { reason, message, component: COMPONENT });

  const createPod = (sts: KubeObject, ordinal: number, revision: string, template: Obj) => {
    const ns = sts.metadata.namespace ?? "";
    const name = `${sts.metadata.name}-${ordinal}`;
    const pod = podFromTemplate(sts, template, {
      name,
      labels: { [REVISION_HASH_LABEL]: revision, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(ordinal) },
    });
    const podSpec = obj(pod.spec);
    podSpec.hostname = name;
    if (spec(sts).serviceName) podSpec.subdomain = spec(sts).serviceName;
    for (const t of arr<Obj>(spec(sts).volumeClaimTemplates)) {
      const tname = String(obj(t.metadata).name ?? "");
      const claim = `${tname}-${sts.metadata.name}-${ordinal}`;
      if (!api.tryGet("persistentvolumeclaims", ns, claim)) {
        api.create("persistentvolumeclaims", { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: claim, namespace: ns, labels: obj(obj(spec(sts).selector).matchLabels) }, spec: obj(t.spec) }, { fieldManager: CONTROLLER_MANAGER });
        event(sts, "SuccessfulCreate", `create Claim ${claim} Pod ${name} in StatefulSet ${sts.metadata.name} success`);
      }
      podSpec.volumes = [...arr<Obj>(podSpec.volumes).filter((v) => v.name !== tname), { name: tname, persistentVolumeClaim: { claimName: claim } }];
    }
    api.create("pods", pod, { namespace: ns, fieldManager: CONTROLLER_MANAGER });
    event(sts, "SuccessfulCreate", `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`);
  };

  const deletePod = (sts: KubeObject, p: KubeObject) => {
    api.delete("pods", p.metadata.namespace, p.metadata.name ?? "");
    event(sts, "SuccessfulDelete", `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
  };

  /** One step of the rollout: returns true when it changed something (the next pass continues). */
  const step = (sts: KubeObject, pods: KubeObject[], current: { name: string; template: Obj }, update: { name: string; template: Obj }): boolean => {
    const replicas = num(spec(sts).replicas, 1);
    const parallel = spec(sts).podManagementPolicy === "Parallel";
    const strategy = obj(spec(sts).updateStrategy);
    const partition = num(obj(strategy.rollingUpdate).partition);
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(sts, p), p]));
    // Finished pods are replaced.
    const finished = pods.filter((p) => isTerminalPod(p) && !p.metadata.deletionTimestamp);
    for (const p of finished) deletePod(sts, p);
    if (finished.length > 0) return true;
    let changed = false;
    for (let i = 0; i < replicas; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        const old = strategy.type !== "OnDelete" && i < partition;
        createPod(sts, i, old ? current.name : update.name, old ? current.template : update.template);
        changed = true;
        if (!parallel) return true;
      } else if (!parallel && !healthy(p)) return changed;
    }
    const condemned = pods.filter((p) => ordinalOf(sts, p) >= replicas || ordinalOf(sts, p) < 0).sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a));
    for (const p of condemned) {
      if (p.metadata.deletionTimestamp) {
        if (!parallel) return changed;
        continue;
      }
      if (!parallel && pods.some((x) => ordinalOf(sts, x) < replicas && !healthy(x))) return changed;
      deletePod(sts, p);
      changed = true;
      if (!parallel) return true;
    }
    if (strategy.type === "OnDelete" || changed) return changed;
    const inRange = pods.filter((p) => ordinalOf(sts, p) >= 0 && ordinalOf(sts, p) < replicas);
    if (inRange.some((p) => !healthy(p))) return false;
    for (let i = replicas - 1; i >= partition; i--) {
      const p = byOrdinal.get(i);
      if (p && p.metadata.labels?.[REVISION_HASH_LABEL] !== update.name) {
        deletePod(sts, p);
        return true;
      }
    }
    return false;
  };

  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const sts = api.tryGet("statefulsets.apps", namespace, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const revisions = ownedRevisions(api, sts);
    const update = ensureRevision(api, sts, revisions);
    const currentName = typeof status(sts).currentRevision === "string" ? (status(sts).currentRevision as string) : update.name;
    const currentRev = currentName === update.name ? undefined : revisions.find((r) => r.metadata.name === currentName);
    const current = currentRev ? { name: currentName, template: templateOf(currentRev) } : { name: update.name, template: update.template };
    const owned = () => api.list("pods", { namespace, readonly: true }).items.filter((p) => isOwnedBy(p, sts));
    step(sts, owned(), current, update);
    const pods = owned();
    const t = api.core.now();
    const minReady = num(spec(sts).minReadySeconds);
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const counted = (rev: string) => live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === rev).length;
    const st: Obj = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: live.filter(healthy).length,
      currentReplicas: counted(current.name),
      updatedReplicas: counted(update.name),
      availableReplicas: live.filter((p) => healthy(p) && isPodAvailable(p, minReady, t)).length,
      currentRevision: current.name,
      updateRevision: update.name,
      collisionCount: num(status(sts).collisionCount),
    };
    const rolling = obj(spec(sts).updateStrategy).type !== "OnDelete";
    if (rolling && st.updatedReplicas === st.replicas && st.readyReplicas === st.replicas) {
      st.currentRevision = update.name;
      st.currentReplicas = st.updatedReplicas;
    }
    for (const k of ["readyReplicas", "currentReplicas", "updatedReplicas"]) if (st[k] === 0) delete st[k];
    const old = { ...status(sts) };
    if (old.conditions) st.conditions = old.conditions;
    if (!deepEqual(st, old)) api.updateStatus("statefulsets.apps", { ...sts, metadata: { ...sts.metadata, resourceVersion: undefined }, status: st }, { fieldManager: CONTROLLER_MANAGER });
    pruneRevisions(api, sts, ownedRevisions(api, sts), new Set([String(st.currentRevision), update.name, ...pods.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? "")]));
    const waits = live.map((p) => untilAvailable(p, minReady, t)).filter((w): w is number => w !== undefined);
    if (waits.length > 0) return Math.min(...waits) + 5;
  };
  const queue = new WorkQueue("statefulset", reconcile);
  return controllerOf(queue, [watchKeys(api, "statefulsets.apps", queue), watchKeys(api, "pods", queue, (e) => ownerKey(e.object, "StatefulSet"))]);
}
