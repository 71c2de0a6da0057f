// A container's environment as the kubelet makes it: envFrom, then env in order (values, fieldRef,
// resourceFieldRef, configMapKeyRef, secretKeyRef), with `$(VAR)` references expanded in values,
// command and args. A missing ConfigMap or Secret (not optional) is a CreateContainerConfigError.
import type { SimApi } from "../api.js";
import { isObject } from "../objects.js";
import type { JsonObject, KubeObject } from "../types.js";

type Obj = JsonObject;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The container cannot be configured yet; the kubelet retries. */
export class ContainerConfigError extends Error {}

/** Kubernetes' `$(VAR)` expansion: defined names are replaced, `$$` escapes, anything else stays. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === "$$") return "$";
    return name !== undefined && name in vars ? vars[name] : m;
  });
}

const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5 };

/** A resource quantity (`500m`, `1Gi`, `2`) as a number. */
export function parseQuantity(q: unknown): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? ""));
  return m ? Number(m[1]) * (SUFFIX[m[2]] ?? 1) : 0;
}

function fieldValue(pod: KubeObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]] ?? "";
  const status = obj(pod.status);
  const spec = obj(pod.spec);
  switch (path) {
    case "metadata.name":
      return pod.metadata.name ?? "";
    case "metadata.namespace":
      return pod.metadata.namespace ?? "";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "metadata.labels":
    case "metadata.annotations": {
      const map = (path === "metadata.labels" ? pod.metadata.labels : pod.metadata.annotations) ?? {};
      return Object.entries(map)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join("\n");
    }
    case "spec.nodeName":
      return String(spec.nodeName ?? "");
    case "spec.serviceAccountName":
      return String(spec.serviceAccountName ?? "default");
    case "status.hostIP":
    case "status.podIP":
      return String(status[path.slice(7)] ?? "");
    case "status.hostIPs":
    case "status.podIPs":
      return arr(status[path.slice(7)]).map((x) => String(x.ip)).join(",");
    default:
      throw new ContainerConfigError(`unsupported fieldRef path ${JSON.stringify(path)}`);
  }
}

function resourceValue(pod: KubeObject, container: Obj, ref: Obj, allocatable: { cpu: number; memory: number }): string {
  const name = ref.containerName ? String(ref.containerName) : String(container.name);
  const c = [...arr(obj(pod.spec).containers), ...arr(obj(pod.spec).initContainers)].find((x) => x.name === name) ?? container;
  const [kind, resource] = String(ref.resource ?? "").split(".");
  const res = obj(obj(c.resources)[kind]);
  const fallback = resource === "cpu" ? allocatable.cpu : resource === "memory" ? allocatable.memory : 0;
  const value = res[resource] !== undefined ? parseQuantity(res[resource]) : kind === "limits" ? fallback : 0;
  const divisor = ref.divisor !== undefined ? parseQuantity(ref.divisor) || 1 : 1;
  return String(Math.ceil(value / divisor));
}

interface EnvContext {
  api: SimApi;
  pod: KubeObject;
  container: Obj;
  allocatable: { cpu: number; memory: number };
}

function lookup(api: SimApi, ns: string, kind: "ConfigMap" | "Secret", name: string, optional: boolean): Record<string, string> | undefined {
  const o = api.tryGet(kind === "ConfigMap" ? "configmaps" : "secrets", ns, name);
  if (!o) {
    if (optional) return undefined;
    throw new ContainerConfigError(`${kind.toLowerCase()} "${name}" not found`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(o.data))) out[k] = kind === "Secret" ? Buffer.from(String(v), "base64").toString() : String(v);
  if (kind === "ConfigMap") for (const [k, v] of Object.entries(obj(o.binaryData))) out[k] = Buffer.from(String(v), "base64").toString();
  return out;
}

function keyRef(ctx: EnvContext, kind: "ConfigMap" | "Secret", ref: Obj): string | undefined {
  const ns = ctx.pod.metadata.namespace ?? "default";
  const data = lookup(ctx.api, ns, kind, String(ref.name ?? ""), ref.optional === true);
  if (!data) return undefined;
  const key = String(ref.key ?? "");
  if (key in data) return data[key];
  if (ref.optional === true) return undefined;
  throw new ContainerConfigError(`couldn't find key ${key} in ${kind} ${ns}/${ref.name}`);
}

/** The container's own variables (the host's environment is added by the executor). */
export function containerEnv(ctx: EnvContext): Record<string, string> {
  const { pod, container } = ctx;
  const env: Record<string, string> = { HOSTNAME: String(obj(pod.spec).hostname ?? pod.metadata.name ?? "") };
  for (const src of arr(container.envFrom)) {
    const prefix = String(src.prefix ?? "");
    const ref = isObject(src.configMapRef) ? src.configMapRef : isObject(src.secretRef) ? src.secretRef : undefined;
    if (!ref) continue;
    const data = lookup(ctx.api, pod.metadata.namespace ?? "default", isObject(src.configMapRef) ? "ConfigMap" : "Secret", String(ref.name ?? ""), ref.optional === true);
    for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
  }
  for (const e of arr(container.env)) {
    const name = String(e.name ?? "");
    const from = obj(e.valueFrom);
    let value: string | undefined;
    if (isObject(from.fieldRef)) value = fieldValue(pod, String(from.fieldRef.fieldPath ?? ""));
    else if (isObject(from.resourceFieldRef)) value = resourceValue(pod, container, from.resourceFieldRef, ctx.allocatable);
    else if (isObject(from.configMapKeyRef)) value = keyRef(ctx, "ConfigMap", from.configMapKeyRef);
    else if (isObject(from.secretKeyRef)) value = keyRef(ctx, "Secret", from.secretKeyRef);
    else value = expand(String(e.value ?? ""), env);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
