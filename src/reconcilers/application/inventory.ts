/**
 * The inventory of an app: what it applied, its last synced revision and its history, kept in the
 * destination cluster (a ConfigMap `tiphys-app-<name>` in the destination namespace, labelled
 * `tiphys.io/inventory`), so the cluster holds the truth about the cluster and any replica, or the CLI,
 * reads the same. Prune deletes only what this says the app applied; a failed delete stays in it.
 */
import type { Cluster, KubeObject } from "../../core/ports/cluster.js";
import { appLabelValue, APP_LABEL, destinationNamespace, type InventoryEntry } from "./compare.js";
import type { Application, OperationPhase, RevisionHistory, SyncStatusCode } from "./types.js";

export const INVENTORY_LABEL = "tiphys.io/inventory";

export interface Inventory {
  app: string;
  /** Where it lives. */
  namespace: string;
  resources: InventoryEntry[];
  /** The revision of the last successful (non-selective) sync. */
  revision?: string;
  history: RevisionHistory[];
  /** The last operation's outcome and the app's status then, for `tiphys app list`. */
  lastOperation?: { phase: OperationPhase; message: string; revision: string; finishedAt?: string; automated?: boolean };
  /** Sync status right after that operation (health is not kept: it is read live). */
  sync?: SyncStatusCode;
  repoURL?: string;
  path?: string;
}

export function inventoryName(appName: string): string {
  return `tiphys-app-${appName}`.slice(0, 253);
}

export function inventoryRef(app: Application) {
  return { apiVersion: "v1", kind: "ConfigMap", namespace: destinationNamespace(app), name: inventoryName(app.metadata.name) };
}

export function parseInventory(cm: KubeObject): Inventory | undefined {
  const data = (cm.data ?? {}) as Record<string, string>;
  try {
    const parsed = JSON.parse(data["inventory.json"] ?? "") as Inventory;
    return { ...parsed, namespace: cm.metadata.namespace ?? parsed.namespace, history: parsed.history ?? [], resources: parsed.resources ?? [] };
  } catch {
    return undefined;
  }
}

export async function readInventory(cluster: Cluster, app: Application): Promise<Inventory | undefined> {
  const cm = await cluster.get(inventoryRef(app));
  return cm ? parseInventory(cm) : undefined;
}

/** Canonical text of an inventory (resources sorted) so that an unchanged one is not written. */
export function inventoryText(inv: Inventory): string {
  const resources = [...inv.resources].sort((a, b) => `${a.group}/${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.group}/${b.kind}/${b.namespace}/${b.name}`));
  return JSON.stringify({ ...inv, resources }, null, 1);
}

/** Writes the inventory (server-side apply) unless the live one says the same; true when written. */
export async function writeInventory(cluster: Cluster, app: Application, inv: Inventory, previous: Inventory | undefined): Promise<boolean> {
  if (previous && inventoryText(previous) === inventoryText(inv)) return false;
  const ref = inventoryRef(app);
  const cm: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { [INVENTORY_LABEL]: "true", [APP_LABEL]: appLabelValue(app.metadata.name), "app.kubernetes.io/managed-by": "tiphys" },
    },
    data: { "inventory.json": inventoryText(inv) },
  };
  await cluster.apply(cm, { force: true });
  return true;
}

/** Every app's inventory in a cluster (for `tiphys app list`). */
export async function listInventories(cluster: Cluster): Promise<Inventory[]> {
  const cms = await cluster.list("v1", "ConfigMap", { labelSelector: `${INVENTORY_LABEL}=true` });
  return cms.map(parseInventory).filter((i): i is Inventory => i !== undefined).sort((a, b) => a.app.localeCompare(b.app));
}
