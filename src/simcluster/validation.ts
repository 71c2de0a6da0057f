// Validation on create and update: names, labels, and the few kind-specific rules clients trip over
// (pod containers, workload selectors matching template labels, immutable selectors, Job restartPolicy).
import { validateCrd } from "./crd.js";
import { deepEqual, isObject } from "./objects.js";
import { matchesLabelSelector, type LabelSelectorObject } from "./selectors.js";
import { errors, invalidValue, requiredValue, type StatusCause } from "./status.js";
import type { JsonObject, KubeObject, ResourceType } from "./types.js";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const MESSAGES = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
};

type NameRule = "subdomain" | "label" | "dns1035" | "segment";

function nameRule(rt: ResourceType): NameRule {
  if (rt.crd || rt.group === "rbac.authorization.k8s.io") return "segment";
  if (rt.group === "" && rt.plural === "namespaces") return "label";
  if (rt.group === "" && rt.plural === "services") return "dns1035";
  return "subdomain";
}

/** Why a name is not valid for a resource, or undefined. */
function nameProblem(rt: ResourceType, name: string): string | undefined {
  const rule = nameRule(rt);
  if (rule === "segment") {
    if (name === "." || name === "..") return `may not be '${name}'`;
    return /[/%]/.test(name) ? `may not contain '${/\//.test(name) ? "/" : "%"}'` : undefined;
  }
  const max = rule === "subdomain" ? 253 : 63;
  if (name.length > max) return `must be no more than ${max} characters`;
  const re = rule === "subdomain" ? SUBDOMAIN : rule === "label" ? LABEL : DNS1035;
  return re.test(name) ? undefined : MESSAGES[rule];
}

function validateMeta(rt: ResourceType, o: KubeObject, causes: StatusCause[]): void {
  const name = o.metadata.name;
  if (!name) causes.push({ ...requiredValue("metadata.name"), message: "Required value: name or generateName is required" });
  else {
    const problem = nameProblem(rt, name);
    if (problem) causes.push(invalidValue("metadata.name", name, problem));
  }
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    const [prefix, local] = k.includes("/") ? [k.slice(0, k.indexOf("/")), k.slice(k.indexOf("/") + 1)] : ["", k];
    if (!QUALIFIED_NAME.test(local) || local.length > 63 || (prefix && !SUBDOMAIN.test(prefix))) {
      causes.push(invalidValue("metadata.labels", k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) causes.push(invalidValue("metadata.labels", v, MESSAGES.labelValue));
  }
}

function validatePodSpec(spec: unknown, field: string, causes: StatusCause[]): void {
  if (!isObject(spec)) return void causes.push(requiredValue(field));
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return void causes.push(requiredValue(`${field}.containers`));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${field}.containers[${i}]`;
    if (!isObject(c)) return;
    if (typeof c.name !== "string" || !c.name) causes.push(requiredValue(`${at}.name`));
    else if (!LABEL.test(c.name)) causes.push(invalidValue(`${at}.name`, c.name, MESSAGES.label));
    else if (seen.has(c.name)) causes.push({ reason: "FieldValueDuplicate", field: `${at}.name`, message: `Duplicate value: ${JSON.stringify(c.name)}` });
    else seen.add(c.name);
    if (typeof c.image !== "string" || !c.image) causes.push(requiredValue(`${at}.image`));
  });
}

const WORKLOADS = new Set(["apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets"]);

function validateKind(rt: ResourceType, o: KubeObject, causes: StatusCause[]): void {
  const key = `${rt.group}/${rt.plural}`;
  const spec = isObject(o.spec) ? o.spec : undefined;
  if (key === "/pods") validatePodSpec(o.spec, "spec", causes);
  if (WORKLOADS.has(key) || key === "batch/jobs") {
    const template = isObject(spec?.template) ? (spec.template as JsonObject) : undefined;
    if (!template) return void causes.push(requiredValue("spec.template"));
    validatePodSpec(template.spec, "spec.template.spec", causes);
    const labels = (isObject(template.metadata) ? template.metadata.labels : undefined) as Record<string, string> | undefined;
    const selector = spec?.selector as LabelSelectorObject | undefined;
    if (!isObject(selector)) causes.push(requiredValue("spec.selector"));
    else if (!matchesLabelSelector(selector, labels)) {
      causes.push(invalidValue("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`"));
    }
    if (typeof spec?.replicas === "number" && spec.replicas < 0) causes.push(invalidValue("spec.replicas", spec.replicas, "must be greater than or equal to 0"));
  }
  if (key === "batch/jobs") {
    const policy = (isObject(spec?.template) && isObject((spec.template as JsonObject).spec) ? ((spec.template as JsonObject).spec as JsonObject).restartPolicy : undefined) as string | undefined;
    if (policy !== "OnFailure" && policy !== "Never") {
      causes.push({
        reason: "FieldValueNotSupported",
        field: "spec.template.spec.restartPolicy",
        message: `Unsupported value: ${JSON.stringify(policy ?? "")}: supported values: "OnFailure", "Never"`,
      });
    }
  }
  if (key === "/services" && spec && Array.isArray(spec.ports)) {
    spec.ports.forEach((p, i) => {
      if (isObject(p) && !(typeof p.port === "number" && p.port >= 1 && p.port <= 65535)) {
        causes.push(invalidValue(`spec.ports[${i}].port`, p.port, "must be between 1 and 65535, inclusive"));
      }
      if (isObject(p) && (spec.ports as unknown[]).length > 1 && !p.name) causes.push(requiredValue(`spec.ports[${i}].name`));
    });
  }
  if (key === "apiextensions.k8s.io/customresourcedefinitions") causes.push(...validateCrd(o));
}

/** Throws 422 Invalid with the causes, as the real server reports them. */
export function validateObject(rt: ResourceType, o: KubeObject, old?: KubeObject): void {
  const causes: StatusCause[] = [];
  validateMeta(rt, o, causes);
  validateKind(rt, o, causes);
  if (old) validateImmutable(rt, o, old, causes);
  if (causes.length > 0) throw errors.invalid(rt.kind, rt.group, o.metadata.name ?? "", causes);
}

function validateImmutable(rt: ResourceType, o: KubeObject, old: KubeObject, causes: StatusCause[]): void {
  const key = `${rt.group}/${rt.plural}`;
  const spec = (x: KubeObject) => (isObject(x.spec) ? x.spec : {});
  if ((WORKLOADS.has(key) || key === "batch/jobs") && !deepEqual(spec(o).selector, spec(old).selector)) {
    causes.push(invalidValue("spec.selector", spec(o).selector, "field is immutable"));
  }
  if (key === "/pods") {
    // Only images (and the binding, nodeName, when still unset) may change on a pod's spec.
    const strip = (s: JsonObject, keepNode: boolean) => {
      const c = JSON.parse(JSON.stringify(s)) as JsonObject;
      for (const list of ["containers", "initContainers"]) if (Array.isArray(c[list])) for (const x of c[list] as JsonObject[]) delete x.image;
      delete c.activeDeadlineSeconds;
      if (!keepNode) delete c.nodeName;
      return c;
    };
    const unbound = !spec(old).nodeName;
    if (!deepEqual(strip(spec(o), !unbound), strip(spec(old), !unbound))) {
      causes.push({
        reason: "FieldValueForbidden",
        field: "spec",
        message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
      });
    }
  }
  if (key === "/configmaps" || key === "/secrets") {
    if (old.immutable === true && (!deepEqual(o.data, old.data) || !deepEqual(o.binaryData, old.binaryData))) {
      causes.push({ reason: "FieldValueForbidden", field: "data", message: "Forbidden: field is immutable when `immutable` is set" });
    }
  }
}

