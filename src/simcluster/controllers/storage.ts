// Volume binding: each PersistentVolumeClaim gets a PersistentVolume `pvc-<uid>` of the size it asks
// for (a dynamic provisioner), and both become Bound. Deleting the claim deletes the volume (reclaim
// policy Delete). No storage exists behind them.
import type { SimApi } from "../api.js";
import type { KubeObject } from "../types.js";
import { controllerOf, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { CONTROLLER_MANAGER, obj, spec, splitKey, status, recordEvent } from "./util.js";

const PROVISIONER = "tiphys.io/simulated-provisioner";

export function startVolumeBinder(api: SimApi): Controller {
  const reconcile = (key: string): void => {
    const { namespace, name } = splitKey(key);
    const pvc = api.tryGet("persistentvolumeclaims", namespace, name);
    if (!pvc || pvc.metadata.deletionTimestamp || status(pvc).phase === "Bound") return;
    const pvName = String(spec(pvc).volumeName ?? `pvc-${pvc.metadata.uid}`);
    const storage = obj(obj(spec(pvc).resources).requests).storage ?? "1Gi";
    const accessModes = spec(pvc).accessModes ?? ["ReadWriteOnce"];
    const storageClassName = spec(pvc).storageClassName ?? "standard";
    if (!api.tryGet("persistentvolumes", undefined, pvName)) {
      const pv = api.create(
        "persistentvolumes",
        {
          apiVersion: "v1",
          kind: "PersistentVolume",
          metadata: { name: pvName, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
          spec: {
            capacity: { storage },
            accessModes,
            persistentVolumeReclaimPolicy: "Delete",
            storageClassName,
            volumeMode: spec(pvc).volumeMode ?? "Filesystem",
            claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", name, namespace, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
            hostPath: { path: `/var/lib/tiphys-simulated/${pvName}`, type: "" },
          },
        },
        { fieldManager: CONTROLLER_MANAGER },
      );
      api.updateStatus("persistentvolumes", { ...pv, metadata: { ...pv.metadata, resourceVersion: undefined }, status: { phase: "Bound" } }, { fieldManager: CONTROLLER_MANAGER });
      recordEvent(api, pvc, { reason: "ProvisioningSucceeded", message: `Successfully provisioned volume ${pvName} (simulated)`, component: PROVISIONER });
    }
    const annotations = { ...pvc.metadata.annotations, "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes", "volume.kubernetes.io/storage-provisioner": PROVISIONER };
    const bound = api.update("persistentvolumeclaims", { ...pvc, metadata: { ...pvc.metadata, annotations, resourceVersion: undefined }, spec: { ...spec(pvc), volumeName: pvName, storageClassName } }, { fieldManager: CONTROLLER_MANAGER });
    api.updateStatus("persistentvolumeclaims", { ...bound, metadata: { ...bound.metadata, resourceVersion: undefined }, status: { phase: "Bound", accessModes, capacity: { storage } } }, { fieldManager: CONTROLLER_MANAGER });
  };
  const queue = new WorkQueue("persistentvolume-binder", reconcile);
  const released = (pvc: KubeObject) => {
    const pv = api.tryGet("persistentvolumes", undefined, String(spec(pvc).volumeName ?? ""));
    if (pv && obj(spec(pv).claimRef).uid === pvc.metadata.uid && spec(pv).persistentVolumeReclaimPolicy === "Delete") api.delete("persistentvolumes", undefined, pv.metadata.name ?? "");
  };
  return controllerOf(queue, [
    watchKeys(api, "persistentvolumeclaims", queue, (e) => {
      if (e.type !== "DELETED") return `${e.object.metadata.namespace}/${e.object.metadata.name}`;
      released(e.object);
      return undefined;
    }),
  ]);
}
