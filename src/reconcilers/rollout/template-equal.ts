/**
 * Argo Rollouts' `PodTemplateEqualIgnoreHash` (`utils/replicaset/replicaset.go`): a ReplicaSet's pod
 * template (as the API server stored it, defaults filled in) against a Rollout's (as written), both
 * without the pod-template-hash label, the Rollout's with the API server's pod defaults applied first.
 * FindNewReplicaSet falls back to it when no ReplicaSet has the template's hash: that is how an undo,
 * which copies a ReplicaSet's defaulted template back into the Rollout, finds that ReplicaSet again.
 * The defaults are those `SetObjectDefaults_PodTemplate` fills in for the fields Rollouts commonly use.
 */
import { withoutHashLabel } from "./hash.js";
import type { PodTemplateSpec } from "./types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const setDefault = (o: Obj, key: string, value: unknown) => {
  if (o[key] === undefined) o[key] = value;
};

function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  const image = typeof c.image === "string" ? c.image : "";
  const tag = image.includes("@") ? "digest" : /:[^/]+$/.exec(image)?.[0].slice(1);
  setDefault(c, "imagePullPolicy", !tag || tag === "latest" ? "Always" : "IfNotPresent");
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  setDefault(c, "resources", {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) setDefault(p, "protocol", "TCP");
}

/** The template with the API server's pod defaults filled in. */
export function withPodDefaults(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template) as Obj;
  if (!isObj(t.spec)) t.spec = {};
  const spec = t.spec as Obj;
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "securityContext", {});
  for (const list of ["containers", "initContainers"]) if (Array.isArray(spec[list])) (spec[list] as unknown[]).forEach(defaultContainer);
  return t as PodTemplateSpec;
}

/** JSON with sorted keys, without null or undefined fields (Go's omitempty for what a server adds as null). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== null && v[k] !== undefined) out[k] = canonical(v[k]);
  return out;
}

/** PodTemplateEqualIgnoreHash(live, desired). */
export function podTemplateEqualIgnoreHash(live: PodTemplateSpec, desired: PodTemplateSpec): boolean {
  const a = withPodDefaults(withoutHashLabel(live));
  const b = withPodDefaults(withoutHashLabel(desired));
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
