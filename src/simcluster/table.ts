// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for, with the columns the real
// server prints for the common kinds, and a CRD's additionalPrinterColumns for custom resources.
import { getPath, humanDuration, isObject } from "./objects.js";
import { labelSelectorToString, type LabelSelectorObject } from "./selectors.js";
import type { JsonObject, KubeObject, PrinterColumn, ResourceType } from "./types.js";

type Cell = string | number | boolean | null;
interface Column {
  name: string;
  type?: string;
  priority?: number;
  cell: (o: KubeObject, now: number) => Cell;
}

const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const age = (o: KubeObject, now: number) => (o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : "<unknown>");
const spec = (o: KubeObject) => obj(o.spec);
const status = (o: KubeObject) => obj(o.status);

const NAME: Column = { name: "Name", cell: (o) => o.metadata.name ?? "" };
const AGE: Column = { name: "Age", cell: age };
const c = (name: string, cell: Column["cell"], priority = 0, type = "string"): Column => ({ name, cell, priority, type });

function podStatus(o: KubeObject): string {
  const s = status(o);
  let reason = String(s.reason ?? s.phase ?? "Unknown");
  for (const cs of arr(s.containerStatuses).map(obj).reverse()) {
    const state = obj(cs.state);
    const waiting = obj(state.waiting);
    const terminated = obj(state.terminated);
    if (waiting.reason) reason = String(waiting.reason);
    else if (state.terminated) {
      reason = terminated.reason ? String(terminated.reason) : terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
    }
  }
  if (o.metadata.deletionTimestamp) reason = "Terminating";
  return reason;
}

function servicePorts(o: KubeObject): string {
  const ports = arr(spec(o).ports).map(obj);
  if (ports.length === 0) return "<none>";
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

function externalIp(o: KubeObject): string {
  const s = spec(o);
  const ingress = arr(obj(status(o).loadBalancer).ingress).map(obj);
  const ips = [...arr(s.externalIPs).map(String), ...ingress.map((i) => String(i.ip ?? i.hostname ?? ""))].filter(Boolean);
  if (ips.length) return ips.join(",");
  if (s.type === "LoadBalancer") return "<pending>";
  if (s.type === "ExternalName") return String(s.externalName ?? "");
  return "<none>";
}

function jobStatus(o: KubeObject): string {
  const conds = arr(status(o).conditions).map(obj).filter((x) => x.status === "True");
  for (const t of ["Complete", "Failed", "Suspended", "FailureTarget", "SuccessCriteriaMet"]) if (conds.some((x) => x.type === t)) return t === "FailureTarget" ? "Failing" : t;
  return "Running";
}

function containersOf(o: KubeObject): JsonObject[] {
  return arr(obj(obj(spec(o).template).spec).containers).map(obj);
}

const WORKLOAD_WIDE = [
  c("Containers", (o) => containersOf(o).map((x) => x.name).join(","), 1),
  c("Images", (o) => containersOf(o).map((x) => x.image).join(","), 1),
  c("Selector", (o) => labelSelectorToString(spec(o).selector as LabelSelectorObject), 1),
];

const COLUMNS: Record<string, Column[]> = {
  "/namespaces": [NAME, c("Status", (o) => String(status(o).phase ?? "")), AGE],
  "/pods": [
    NAME,
    c("Ready", (o) => `${arr(status(o).containerStatuses).filter((x) => obj(x).ready).length}/${arr(spec(o).containers).length}`),
    c("Status", podStatus),
    c("Restarts", (o) => arr(status(o).containerStatuses).reduce((n: number, x) => n + num(obj(x).restartCount), 0), 0, "integer"),
    AGE,
    c("IP", (o) => String(status(o).podIP ?? "<none>"), 1),
    c("Node", (o) => String(spec(o).nodeName ?? "<none>"), 1),
  ],
  "/services": [
    NAME,
    c("Type", (o) => String(spec(o).type ?? "")),
    c("Cluster-IP", (o) => String(spec(o).clusterIP ?? "<none>")),
    c("External-IP", externalIp),
    c("Port(s)", servicePorts),
    AGE,
    c("Selector", (o) => Object.entries(obj(spec(o).selector)).map(([k, v]) => `${k}=${v}`).join(",") || "<none>", 1),
  ],
  "/configmaps": [NAME, c("Data", (o) => Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length, 0, "integer"), AGE],
  "/secrets": [NAME, c("Type", (o) => String(o.type ?? "")), c("Data", (o) => Object.keys(obj(o.data)).length, 0, "integer"), AGE],
  "/serviceaccounts": [NAME, c("Secrets", (o) => arr(o.secrets).length, 0, "integer"), AGE],
  "/events": [
    c("Last Seen", (o, now) => {
      const t = (o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp) as string | undefined;
      return t ? humanDuration(now - Date.parse(t)) : "<unknown>";
    }),
    c("Type", (o) => String(o.type ?? "")),
    c("Reason", (o) => String(o.reason ?? "")),
    c("Object", (o) => `${String(obj(o.involvedObject).kind ?? "").toLowerCase()}/${obj(o.involvedObject).name ?? ""}`),
    c("Message", (o) => String(o.message ?? "")),
  ],
  "/persistentvolumeclaims": [
    NAME,
    c("Status", (o) => String(status(o).phase ?? "")),
    c("Volume", (o) => String(spec(o).volumeName ?? "")),
    c("Capacity", (o) => String(obj(status(o).capacity).storage ?? "")),
    c("Access Modes", (o) => arr(status(o).accessModes).join(",")),
    c("StorageClass", (o) => String(spec(o).storageClassName ?? "<unset>")),
    AGE,
  ],
  "/endpoints": [
    NAME,
    c("Endpoints", (o) => {
      const eps = arr(o.subsets).flatMap((s) => arr(obj(s).addresses).flatMap((a) => arr(obj(s).ports).map((p) => `${obj(a).ip}:${obj(p).port}`)));
      return eps.length ? eps.join(",") : "<none>";
    }),
    AGE,
  ],
  "apps/deployments": [
    NAME,
    c("Ready", (o) => `${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`),
    c("Up-to-date", (o) => num(status(o).updatedReplicas), 0, "integer"),
    c("Available", (o) => num(status(o).availableReplicas), 0, "integer"),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  "apps/replicasets": [
    NAME,
    c("Desired", (o) => num(spec(o).replicas), 0, "integer"),
    c("Current", (o) => num(status(o).replicas), 0, "integer"),
    c("Ready", (o) => num(status(o).readyReplicas), 0, "integer"),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  "apps/statefulsets": [NAME, c("Ready", (o) => `${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`), AGE, ...WORKLOAD_WIDE.slice(0, 2)],
  "apps/daemonsets": [
    NAME,
    c("Desired", (o) => num(status(o).desiredNumberScheduled), 0, "integer"),
    c("Current", (o) => num(status(o).currentNumberScheduled), 0, "integer"),
    c("Ready", (o) => num(status(o).numberReady), 0, "integer"),
    c("Up-to-date", (o) => num(status(o).updatedNumberScheduled), 0, "integer"),
    c("Available", (o) => num(status(o).numberAvailable), 0, "integer"),
    c("Node Selector", (o) => Object.entries(obj(obj(obj(spec(o).template).spec).nodeSelector)).map(([k, v]) => `${k}=${v}`).join(",") || "<none>"),
    AGE,
  ],
  "batch/jobs": [
    NAME,
    c("Status", jobStatus),
    c("Completions", (o) => `${num(status(o).succeeded)}/${spec(o).completions ?? 1}`),
    c("Duration", (o, now) => {
      const start = status(o).startTime as string | undefined;
      const end = (status(o).completionTime as string | undefined) ?? undefined;
      return start ? humanDuration((end ? Date.parse(end) : now) - Date.parse(start)) : "";
    }),
    AGE,
  ],
  "batch/cronjobs": [
    NAME,
    c("Schedule", (o) => String(spec(o).schedule ?? "")),
    c("Timezone", (o) => String(spec(o).timeZone ?? "<none>")),
    c("Suspend", (o) => String(spec(o).suspend ?? false)),
    c("Active", (o) => arr(status(o).active).length, 0, "integer"),
    c("Last Schedule", (o, now) => (status(o).lastScheduleTime ? humanDuration(now - Date.parse(String(status(o).lastScheduleTime))) : "<none>")),
    AGE,
  ],
  "networking.k8s.io/ingresses": [
    NAME,
    c("Class", (o) => String(spec(o).ingressClassName ?? "<none>")),
    c("Hosts", (o) => arr(spec(o).rules).map((r) => obj(r).host ?? "*").join(",") || "*"),
    c("Address", (o) => arr(obj(status(o).loadBalancer).ingress).map((i) => obj(i).ip ?? obj(i).hostname).join(",")),
    c("Ports", (o) => (arr(spec(o).tls).length ? "80, 443" : "80")),
    AGE,
  ],
  "rbac.authorization.k8s.io/rolebindings": [NAME, c("Role", (o) => `${obj(o.roleRef).kind}/${obj(o.roleRef).name}`), AGE],
  "rbac.authorization.k8s.io/clusterrolebindings": [NAME, c("Role", (o) => `${obj(o.roleRef).kind}/${obj(o.roleRef).name}`), AGE],
};

const CREATED_AT: Column = { name: "Created At", type: "date", cell: (o) => o.metadata.creationTimestamp ?? null };

function printerColumn(p: PrinterColumn): Column {
  return {
    name: p.name,
    type: p.type,
    priority: p.priority ?? 0,
    cell: (o, now) => {
      const v = getPath(o, p.jsonPath);
      if (v === undefined || v === null) return null;
      if (p.type === "date") return humanDuration(now - Date.parse(String(v)));
      if (typeof v === "object") return JSON.stringify(v);
      return v as Cell;
    },
  };
}

export function columnsOf(rt: ResourceType): Column[] {
  if (rt.crd) return [NAME, ...rt.crd.printerColumns.map(printerColumn)];
  return COLUMNS[`${rt.group}/${rt.plural}`] ?? [NAME, CREATED_AT];
}

export type IncludeObject = "None" | "Metadata" | "Object";

function rowObject(o: KubeObject, include: IncludeObject): JsonObject | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return o;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

/** A Table of objects, as `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` asks for. */
export function toTable(rt: ResourceType, items: KubeObject[], opts: { resourceVersion: string; continue?: string; include: IncludeObject; now: number; noHeaders?: boolean }): JsonObject {
  const columns = columnsOf(rt);
  const metadata: JsonObject = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  const table: JsonObject = {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: opts.noHeaders
      ? []
      : columns.map((col) => ({
          name: col.name,
          type: col.type ?? "string",
          format: col === NAME ? "name" : "",
          description: col.name,
          priority: col.priority ?? 0,
        })),
    rows: items.map((o) => {
      const row: JsonObject = { cells: columns.map((col) => col.cell(o, opts.now)) };
      const object = rowObject(o, opts.include);
      if (object) row.object = object;
      return row;
    }),
  };
  return table;
}

/** Whether an Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
