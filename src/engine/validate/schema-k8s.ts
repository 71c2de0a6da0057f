import type { ShapeRegistry, StructShape } from "./schema-types.js";

/**
 * The Kubernetes types embedded in Argo specs. `Container` is spelled out field by field (a typo in
 * `image` or `command` is the most common mistake); anything deeper is opaque, as the API server is
 * the one to judge it.
 */
export const K8S_CONTAINER: StructShape = {
  name: "string",
  image: "string",
  command: ["string"],
  args: ["string"],
  workingDir: "string",
  ports: "list",
  envFrom: "list",
  env: ["@EnvVar"],
  resources: "object",
  volumeMounts: ["@VolumeMount"],
  volumeDevices: "list",
  livenessProbe: "object",
  readinessProbe: "object",
  startupProbe: "object",
  lifecycle: "object",
  terminationMessagePath: "string",
  terminationMessagePolicy: "string",
  imagePullPolicy: "string",
  securityContext: "object",
  stdin: "bool",
  stdinOnce: "bool",
  tty: "bool",
  restartPolicy: "string",
  resizePolicy: "list",
};

export const K8S_TYPES: ShapeRegistry = {
  Container: K8S_CONTAINER,
  EnvVar: { name: "string", value: "string", valueFrom: "object" },
  VolumeMount: {
    name: "string",
    mountPath: "string",
    subPath: "string",
    subPathExpr: "string",
    readOnly: "bool",
    recursiveReadOnly: "string",
    mountPropagation: "string",
  },
  ObjectMeta: {
    name: "string",
    generateName: "string",
    namespace: "string",
    labels: "stringMap",
    annotations: "stringMap",
    uid: "string",
    resourceVersion: "string",
    generation: "int",
    creationTimestamp: "any",
    deletionTimestamp: "any",
    deletionGracePeriodSeconds: "int",
    ownerReferences: "list",
    finalizers: ["string"],
    managedFields: "list",
    selfLink: "string",
  },
  SecretKeySelector: { name: "string", key: "string", optional: "bool" },
  ConfigMapKeySelector: { name: "string", key: "string", optional: "bool" },
};
