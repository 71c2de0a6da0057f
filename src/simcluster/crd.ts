// CustomResourceDefinitions: a CRD object becomes a served resource, and gets the status
// (NamesAccepted, Established) that clients such as `kubectl wait --for condition=established` expect.
import { isObject, timestamp } from "./objects.js";
import { STANDARD_VERBS } from "./resources.js";
import { invalidValue, requiredValue, type StatusCause } from "./status.js";
import type { JsonObject, KubeObject, PrinterColumn, ResourceType } from "./types.js";

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonObject };
  subresources?: { status?: JsonObject; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateCrd(obj: KubeObject): StatusCause[] {
  const spec = (obj.spec ?? {}) as CrdSpec;
  const causes: StatusCause[] = [];
  const names = spec.names ?? {};
  if (!spec.group) causes.push(requiredValue("spec.group"));
  if (!names.plural) causes.push(requiredValue("spec.names.plural"));
  else if (!DNS_LABEL.test(names.plural)) causes.push(invalidValue("spec.names.plural", names.plural, "a lowercase RFC 1123 label"));
  if (!names.kind) causes.push(requiredValue("spec.names.kind"));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    causes.push({ reason: "FieldValueNotSupported", field: "spec.scope", message: `Unsupported value: ${JSON.stringify(spec.scope ?? "")}: supported values: "Cluster", "Namespaced"` });
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) causes.push(requiredValue("spec.versions"));
  else if (versions.filter((v) => v.storage).length !== 1) {
    causes.push(invalidValue("spec.versions", versions.map((v) => v.name), "must have exactly one version marked as storage version"));
  }
  if (spec.group && names.plural && obj.metadata.name !== `${names.plural}.${spec.group}`) {
    causes.push(invalidValue("metadata.name", obj.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  return causes;
}

/** The resource a valid CRD defines. */
export function resourceOfCrd(obj: KubeObject): ResourceType {
  const spec = obj.spec as CrdSpec;
  const names = spec.names ?? {};
  const versions = spec.versions ?? [];
  const storage = versions.find((v) => v.storage) ?? versions[0];
  const kind = names.kind ?? "";
  const ageColumn: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
  const columns = storage.additionalPrinterColumns ?? [];
  return {
    group: spec.group ?? "",
    version: storage.name,
    versions: versions.filter((v) => v.served !== false).map((v) => v.name),
    plural: names.plural ?? "",
    singular: names.singular ?? kind.toLowerCase(),
    kind,
    listKind: names.listKind ?? `${kind}List`,
    namespaced: spec.scope !== "Cluster",
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: STANDARD_VERBS,
    status: isObject(storage.subresources?.status),
    scale: storage.subresources?.scale,
    generation: true,
    crd: {
      name: obj.metadata.name ?? "",
      printerColumns: columns.some((c) => c.name === "Age") ? columns : [...columns, ageColumn],
      schema: storage.schema?.openAPIV3Schema,
      selectableFields: (storage.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, "")),
    },
    fieldSelectors: (storage.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, "")),
  };
}

/** The status the apiextensions controller gives an accepted CRD. */
export function crdStatus(obj: KubeObject, now = Date.now()): JsonObject {
  const spec = obj.spec as CrdSpec;
  const t = timestamp(now);
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: "True",
    lastTransitionTime: t,
    reason,
    message,
  });
  return {
    conditions: [
      condition("NamesAccepted", "NoConflicts", "no conflicts found"),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ],
    acceptedNames: { ...spec.names, listKind: spec.names?.listKind ?? `${spec.names?.kind}List` },
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}
