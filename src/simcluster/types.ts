// Shapes shared by the simulated API server's modules. Objects are plain JSON values, as on the wire.

export type JsonObject = { [key: string]: unknown };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time?: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** Any Kubernetes object. `metadata.name` and `metadata.uid` are always set on stored objects. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** Where the replica count and selector of a resource's `/scale` subresource live (JSON paths like `.spec.replicas`). */
export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** One served resource: a row of discovery. */
export interface ResourceType {
  group: string;
  /** The version objects are stored in; `versions` lists every served version (CRDs may serve several). */
  version: string;
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Has a `/status` subresource: the main resource ignores status changes, `/status` changes only status. */
  status: boolean;
  scale?: ScaleSpec;
  /** Whether metadata.generation is kept (bumped on changes outside metadata and status). */
  generation: boolean;
  /** Custom resources: defined by this CRD (name), with its printer columns and schema. */
  crd?: { name: string; printerColumns: PrinterColumn[]; schema?: JsonObject; selectableFields: string[] };
  /** Field selectors the resource accepts besides metadata.name and metadata.namespace. */
  fieldSelectors: string[];
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
