import type { Catalog } from "./catalog.js";
import { reachableTemplates } from "./reachable.js";
import type { Container, Template, WorkflowManifest, WorkflowSpec } from "./types.js";

/** Fields only a Kubernetes Pod or controller can honour: a local run accepts them and says so. */
const SPEC_FIELDS = ["volumes", "volumeClaimTemplates", "nodeSelector", "affinity", "tolerations", "podSpecPatch", "securityContext", "serviceAccountName", "automountServiceAccountToken", "executor", "hostAliases", "dnsConfig", "dnsPolicy", "imagePullSecrets", "podGC", "ttlStrategy", "podDisruptionBudget", "podMetadata", "podPriorityClassName", "schedulerName", "metrics", "archiveLogs", "artifactRepositoryRef", "artifactGC", "volumeClaimGC", "hostNetwork"];
const TEMPLATE_FIELDS = ["volumes", "nodeSelector", "affinity", "tolerations", "podSpecPatch", "sidecars", "initContainers", "securityContext", "serviceAccountName", "automountServiceAccountToken", "daemon", "priorityClassName", "schedulerName", "hostAliases", "executor", "metrics", "archiveLocation", "archiveLogs", "podMetadata"];
const CONTAINER_FIELDS = ["resources", "volumeMounts", "ports", "livenessProbe", "readinessProbe", "startupProbe", "securityContext", "imagePullPolicy", "lifecycle", "envFrom"];

function templateFields(t: Template): string[] {
  const out = TEMPLATE_FIELDS.filter((k) => t[k] !== undefined);
  const containers: Container[] = [t.container, t.script, ...(t.containerSet?.containers ?? [])].filter((c): c is Container => !!c);
  for (const c of containers) for (const k of CONTAINER_FIELDS) if (c[k] !== undefined) out.push(`container.${k}`);
  if ((t.container ?? t.script)?.env?.some((e) => e.valueFrom !== undefined)) out.push("env.valueFrom");
  return [...new Set(out)];
}

/** One line per place that sets Kubernetes-only fields, e.g. `template "main": nodeSelector, container.resources`. */
export function notAppliedLocally(wf: WorkflowManifest, catalog: Catalog): string[] {
  const spec = wf.spec as WorkflowSpec;
  const lines: string[] = [];
  const top = SPEC_FIELDS.filter((k) => spec[k] !== undefined);
  if (top.length) lines.push(`spec: ${top.join(", ")}`);
  for (const r of reachableTemplates(wf, catalog)) {
    const fields = templateFields(r.template);
    if (fields.length) lines.push(`template "${r.label}": ${fields.join(", ")}`);
  }
  return lines;
}
