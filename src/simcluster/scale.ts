// The `/scale` subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets and of
// custom resources whose CRD declares `subresources.scale`.
import { clone, getPath, isObject, setPath } from "./objects.js";
import { labelSelectorToString, type LabelSelectorObject } from "./selectors.js";
import { errors } from "./status.js";
import type { JsonObject, KubeObject, ResourceType } from "./types.js";

export function scaleOf(rt: ResourceType, o: KubeObject): KubeObject {
  if (!rt.scale) throw errors.pathNotFound();
  const selector = rt.scale.labelSelectorPath ? getPath(o, rt.scale.labelSelectorPath) : undefined;
  const status: JsonObject = { replicas: Number(getPath(o, rt.scale.statusReplicasPath) ?? 0) };
  if (isObject(selector)) status.selector = labelSelectorToString(selector as LabelSelectorObject);
  else if (typeof selector === "string") status.selector = selector;
  const m = o.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(getPath(o, rt.scale.specReplicasPath) ?? 0) },
    status,
  };
}

/** The object with the replica count of a Scale written into it. */
export function withScale(rt: ResourceType, o: KubeObject, scale: unknown): KubeObject {
  if (!rt.scale) throw errors.pathNotFound();
  const replicas = isObject(scale) && isObject(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid("Scale", "autoscaling", o.metadata.name ?? "", [
      { reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const next = clone(o);
  setPath(next, rt.scale.specReplicasPath, replicas);
  const rv = isObject(scale) && isObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
  if (typeof rv === "string" && rv) next.metadata.resourceVersion = rv;
  return next;
}
