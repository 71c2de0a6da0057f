/**
 * Desired against live, as Argo CD decides `OutOfSync` (util/argo/diff `StateDiffs`, gitops-engine
 * pkg/diff): both sides normalised (diff-normalize.ts), fields trusted managers own kept at their live
 * value (`managedFieldsManagers`), `ignoreDifferences` paths removed (JSON pointers, jq), then desired
 * merged onto live as a server-side apply would (diff-merge.ts) and compared with live. A pure function
 * of values; the only side trip is jq, which runs in a worker (diff-jq.ts).
 */
import { checkJqExpressions, deleteJqPaths, DEFAULT_JQ_TIMEOUT_MS } from "./diff-jq.js";
import { copyOwnedFields, fieldsOwnedBy, ownershipOf, type Ownership } from "./diff-managed-fields.js";
import { predictLive } from "./diff-merge.js";
import { checkPointers, deepEqual, ignoreRulesFor, isMap, normalizeObject, removeEmpty, removePointer, type JsonMap } from "./diff-normalize.js";
import { describeKey, maskSecretData, renderYaml, unifiedDiff } from "./diff-render.js";
import { keyOf, keyString, type KubeObject, type ResourceIgnoreDifferences, type ResourceKey } from "./types.js";

export interface ResourceDiff {
  key: ResourceKey;
  kind: "added" | "removed" | "changed" | "unchanged";
  /** True unless `unchanged`: the resource is out of sync (missing, extra, or different). */
  modified: boolean;
  /** Normalised, masked YAML: the predicted live state (desired merged onto live), or plain desired. */
  desiredYaml?: string;
  /** Normalised, masked YAML of live. */
  liveYaml?: string;
  /** Unified diff text, "" when unchanged. */
  unified: string;
}

export interface DiffOptions {
  ignoreDifferences?: ResourceIgnoreDifferences[];
  /** Branch against branch: plain normalised desired against desired, no merge onto live. */
  compareDesiredOnly?: boolean;
  /** diffResources: the namespace of desired objects that name none (the Application's destination). */
  namespace?: string;
  /**
   * The field manager our server-side applies use (default `tiphys`). Fields its last apply set, that
   * desired no longer has and no other manager owns, count as drift: the next apply deletes them.
   */
  fieldManager?: string;
  /** Names of the two sides in diff headers (default `live` and `desired`). */
  labels?: { live?: string; desired?: string };
  /** Time limit for one jq expression (default 1000 ms, as Argo CD). */
  jqTimeoutMs?: number;
}

export const DEFAULT_FIELD_MANAGER = "tiphys";

/** One pair on its way through the pipeline. */
interface Pair {
  key: ResourceKey;
  desired?: JsonMap;
  live?: JsonMap;
  ownership?: Ownership;
  jq: string[];
}

export async function diffResource(desired: KubeObject | undefined, live: KubeObject | undefined, opts: DiffOptions = {}): Promise<ResourceDiff> {
  const obj = desired ?? live;
  if (!obj) throw new Error("diffResource: neither a desired nor a live object");
  const [diff] = await runPipeline([{ key: keyOf(obj), desired, live }], opts);
  return diff;
}

/**
 * Pairs desired and live by (group, kind, namespace, name) and diffs each pair; sorted by group, kind,
 * namespace, name. A desired object without a namespace takes `opts.namespace`, or pairs with a
 * cluster-scoped live object of that name. When desired repeats an object the last one counts, as in
 * Argo CD.
 */
export async function diffResources(desired: KubeObject[], live: KubeObject[], opts: DiffOptions = {}): Promise<ResourceDiff[]> {
  const liveByKey = new Map<string, { key: ResourceKey; obj: KubeObject }>();
  // Desired against desired (two revisions, no cluster): both sides take the destination namespace the
  // same way, except kinds known to be cluster-scoped.
  const liveKey = (l: KubeObject) => (opts.compareDesiredOnly && !CLUSTER_SCOPED_KINDS.has(l.kind) ? keyOf(l, opts.namespace ?? "") : keyOf(l));
  for (const l of live) liveByKey.set(keyString(liveKey(l)), { key: liveKey(l), obj: l });
  const pairs = new Map<string, { key: ResourceKey; desired?: KubeObject; live?: KubeObject }>();
  for (const d of desired) {
    let key = opts.compareDesiredOnly && CLUSTER_SCOPED_KINDS.has(d.kind) ? keyOf(d, "") : keyOf(d, opts.namespace ?? "");
    if (!d.metadata.namespace && !liveByKey.has(keyString(key))) {
      const clusterKey = keyOf(d, "");
      if (liveByKey.has(keyString(clusterKey))) key = clusterKey;
    }
    pairs.set(keyString(key), { key, desired: d });
  }
  for (const [k, l] of liveByKey) {
    const p = pairs.get(k);
    if (p) p.live = l.obj;
    else pairs.set(k, { key: l.key, live: l.obj });
  }
  const sorted = [...pairs.values()].sort((a, b) => compareKeys(a.key, b.key));
  return runPipeline(sorted, opts);
}

/** Built-in kinds that are cluster-scoped (for pairing objects without a cluster to ask). */
export const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "IngressClass", "RuntimeClass",
  "CSIDriver", "CSINode", "VolumeAttachment", "CertificateSigningRequest", "PodSecurityPolicy", "ClusterWorkflowTemplate", "ClusterAnalysisTemplate",
]);

export function summarizeDiffs(diffs: ResourceDiff[]): { added: number; changed: number; removed: number; unchanged: number } {
  const out = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  for (const d of diffs) out[d.kind]++;
  return out;
}

function compareKeys(a: ResourceKey, b: ResourceKey): number {
  for (const f of ["group", "kind", "namespace", "name"] as const) {
    if (a[f] !== b[f]) return a[f] < b[f] ? -1 : 1;
  }
  return 0;
}

async function runPipeline(inputs: Array<{ key: ResourceKey; desired?: KubeObject; live?: KubeObject }>, opts: DiffOptions): Promise<ResourceDiff[]> {
  const ignores = opts.ignoreDifferences ?? [];
  checkPointers(ignores);
  const allJq = ignores.flatMap((e) => e.jqPathExpressions ?? []);
  if (allJq.length > 0) await checkJqExpressions(allJq, opts.jqTimeoutMs ?? DEFAULT_JQ_TIMEOUT_MS);
  const pairs = inputs.map((p) => preparePair(p.key, p.desired, p.live, opts));
  if (allJq.length > 0) await applyJq(pairs, opts.jqTimeoutMs ?? DEFAULT_JQ_TIMEOUT_MS);
  return pairs.map((p) => finishPair(p, opts));
}

/** Normalisation, trusted managers' fields and JSON pointers: everything before jq. */
function preparePair(key: ResourceKey, desiredObj: KubeObject | undefined, liveObj: KubeObject | undefined, opts: DiffOptions): Pair {
  const rules = ignoreRulesFor(key, opts.ignoreDifferences);
  const desired = desiredObj ? normalizeObject(desiredObj) : undefined;
  const live = liveObj ? normalizeObject(liveObj) : undefined;
  const merging = !opts.compareDesiredOnly;
  if (desired && live && merging && rules.managedFieldsManagers.length > 0) {
    const trusted = fieldsOwnedBy(liveObj as JsonMap, rules.managedFieldsManagers);
    if (trusted) copyOwnedFields(desired, live, trusted);
  }
  for (const pointer of rules.jsonPointers) {
    if (desired) removePointer(desired, pointer);
    if (live) removePointer(live, pointer);
  }
  const ownership = merging && desired && liveObj ? ownershipOf(liveObj as JsonMap, opts.fieldManager ?? DEFAULT_FIELD_MANAGER) : undefined;
  return { key, desired, live, ownership, jq: rules.jqPathExpressions };
}

/** Each expression runs once over every object it applies to, in the order the expressions appear. */
async function applyJq(pairs: Pair[], timeoutMs: number): Promise<void> {
  const order: string[] = [];
  for (const p of pairs) for (const e of p.jq) if (!order.includes(e)) order.push(e);
  for (const expression of order) {
    const targets: Array<{ pair: Pair; side: "desired" | "live" }> = [];
    for (const pair of pairs) {
      if (!pair.jq.includes(expression)) continue;
      if (pair.desired) targets.push({ pair, side: "desired" });
      if (pair.live) targets.push({ pair, side: "live" });
    }
    const results = await deleteJqPaths(
      expression,
      targets.map((t) => t.pair[t.side]!),
      timeoutMs,
    );
    targets.forEach((t, i) => {
      if (isMap(results[i])) t.pair[t.side] = results[i];
    });
  }
}

function finishPair(p: Pair, opts: DiffOptions): ResourceDiff {
  const { key } = p;
  if (p.desired) removeEmpty(p.desired);
  if (p.live) removeEmpty(p.live);
  const liveLabel = `${opts.labels?.live ?? "live"} ${describeKey(key)}`;
  const desiredLabel = `${opts.labels?.desired ?? "desired"} ${describeKey(key)}`;
  if (!p.live || !p.desired) {
    const [desired, live] = maskSecretData(p.desired, p.live);
    const desiredYaml = desired ? renderYaml(desired) : undefined;
    const liveYaml = live ? renderYaml(live) : undefined;
    return {
      key,
      kind: desired ? "added" : "removed",
      modified: true,
      desiredYaml,
      liveYaml,
      unified: unifiedDiff(liveYaml ?? "", desiredYaml ?? "", liveLabel, desiredLabel),
    };
  }
  const predicted = opts.compareDesiredOnly ? p.desired : predictLive(p.desired, p.live, p.ownership);
  if (deepEqual(predicted, p.live)) return unchanged(key, predicted, p.live);
  const [desired, live] = maskSecretData(predicted, p.live);
  const desiredYaml = renderYaml(desired);
  const liveYaml = renderYaml(live);
  return { key, kind: "changed", modified: true, desiredYaml, liveYaml, unified: unifiedDiff(liveYaml, desiredYaml, liveLabel, desiredLabel) };
}

/** YAML of an unchanged pair is rendered only if someone reads it: the common case stays cheap. */
function unchanged(key: ResourceKey, predicted: JsonMap, live: JsonMap): ResourceDiff {
  const out = { key, kind: "unchanged", modified: false, unified: "" } as ResourceDiff;
  let masked: [JsonMap | undefined, JsonMap | undefined] | undefined;
  const side = (i: 0 | 1): string => {
    masked ??= maskSecretData(predicted, live);
    return renderYaml(masked[i]);
  };
  let desiredYaml: string | undefined;
  let liveYaml: string | undefined;
  Object.defineProperty(out, "desiredYaml", { enumerable: true, get: () => (desiredYaml ??= side(0)) });
  Object.defineProperty(out, "liveYaml", { enumerable: true, get: () => (liveYaml ??= side(1)) });
  return out;
}
