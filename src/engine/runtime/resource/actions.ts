/**
 * The action of a resource template against the Cluster port, as Argo's executor runs it with kubectl
 * (workflow/executor/resource.go): create, apply, replace, patch, get, delete. `delete` always ignores
 * objects already gone (Argo adds `--ignore-not-found`). `apply` is server-side apply with field
 * manager `tiphys`, forced, so that it takes fields over as `kubectl apply` would.
 */
import { parseAllDocuments } from "yaml";
import type { Cluster, KubeObject, ObjectRef, PatchType } from "../../../core/ports/cluster.js";
import { readFlags, type CommandLine } from "./targets.js";

export type ResourceAction = "create" | "apply" | "replace" | "patch" | "get" | "delete";

export interface ActionInput {
  cluster: Cluster;
  action: ResourceAction;
  /** The manifest text (substituted); for `patch`, the patch. */
  manifest: string;
  flags: readonly string[];
  mergeStrategy?: string;
  /** The run's namespace: the default for namespaced objects. */
  namespace: string;
  /** kubectl-style lines for the node's log (`configmap/x created`). */
  log: (line: string) => void;
}

export interface ActionResult {
  /** The object acted on; undefined after a delete. */
  object?: KubeObject;
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** The one document of a manifest (kubectl accepts several; Argo then finds no single name and fails). */
export function parseManifest(text: string): unknown {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length === 0) return undefined;
  if (docs.length > 1) throw new ManifestError("the manifest holds several documents; a resource template acts on one object");
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw new ManifestError(`the manifest is not valid YAML: ${doc.errors[0]!.message}`);
  return doc.toJS() as unknown;
}

function asObject(v: unknown): KubeObject {
  const o = v as Partial<KubeObject> | undefined;
  if (!o || typeof o !== "object" || Array.isArray(o) || typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
    throw new ManifestError("the manifest must be one Kubernetes object with apiVersion and kind");
  }
  return { ...o, metadata: { ...(o.metadata ?? {}) } } as KubeObject;
}

/** `job.batch/name`, `configmap/name`: how kubectl names an object in its output. */
export function displayName(o: { apiVersion: string; kind: string; name?: string }): string {
  const slash = o.apiVersion.indexOf("/");
  const group = slash > 0 ? `.${o.apiVersion.slice(0, slash)}` : "";
  return `${o.kind.toLowerCase()}${group}/${o.name ?? ""}`;
}

/** Sets the run's namespace on a namespaced object that names none (cluster-scoped kinds keep none). */
async function placed(cluster: Cluster, obj: KubeObject, namespace: string): Promise<KubeObject> {
  const info = await cluster.resourceFor(obj.apiVersion, obj.kind);
  if (!info) throw new ManifestError(`cluster ${cluster.name} does not serve ${obj.kind} (${obj.apiVersion}); is its CustomResourceDefinition installed?`);
  if (!info.namespaced) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace: obj.metadata.namespace ?? namespace } };
}

function refOf(o: KubeObject): ObjectRef {
  if (!o.metadata.name) throw new ManifestError(`${o.kind}: metadata.name is required for this action`);
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

async function targetsOf(input: ActionInput, cmd: CommandLine): Promise<ObjectRef[]> {
  const { cluster } = input;
  const ns = cmd.namespace ?? input.namespace;
  const refs: ObjectRef[] = [];
  const fromManifest = input.action !== "patch" && input.manifest.trim() !== "" ? parseManifest(input.manifest) : undefined;
  if (fromManifest !== undefined) refs.push(refOf(await placed(cluster, asObject(fromManifest), ns)));
  for (const n of cmd.named) refs.push({ ...n, namespace: ns });
  if (cmd.selected) {
    const items = await cluster.list(cmd.selected.apiVersion, cmd.selected.kind, { namespace: ns, labelSelector: cmd.selected.labelSelector });
    for (const o of items) refs.push({ apiVersion: cmd.selected.apiVersion, kind: cmd.selected.kind, name: o.metadata.name ?? "", namespace: o.metadata.namespace ?? ns });
  }
  return refs;
}

/** Runs the action; cluster errors propagate with the server's message. */
export async function performAction(input: ActionInput): Promise<ActionResult> {
  const { cluster, action, log } = input;
  const cmd = readFlags(input.flags);
  const ns = cmd.namespace ?? input.namespace;
  switch (action) {
    case "create":
    case "apply":
    case "replace": {
      const obj = await placed(cluster, asObject(parseManifest(input.manifest)), ns);
      let out: KubeObject;
      if (action === "create") out = await cluster.create(obj);
      else if (action === "apply") out = await cluster.apply(obj, { force: true });
      else if (cmd.force) {
        await cluster.delete(refOf(obj), { propagationPolicy: "Foreground" });
        out = await cluster.create(obj);
      } else out = await cluster.replace(obj);
      log(`${displayName({ ...out, name: out.metadata.name })} ${action === "create" ? "created" : action === "apply" ? "serverside-applied" : "replaced"}`);
      return { object: out };
    }
    case "patch": {
      const body = parseManifest(input.manifest);
      if (body === undefined) throw new ManifestError("patch needs a manifest: the patch to apply");
      const ref = cmd.named[0] ? { ...cmd.named[0], namespace: ns } : refOf(await placed(cluster, asObject(body), ns));
      if (cmd.named.length > 1 || cmd.selected) throw new ManifestError("patch acts on one object: name one kind and name in flags");
      const type = (input.mergeStrategy ?? "strategic") as PatchType;
      const out = await cluster.patch(ref, body, type);
      log(`${displayName(ref)} patched`);
      return { object: out };
    }
    case "get": {
      const [ref] = await targetsOf(input, cmd);
      if (!ref) throw new ManifestError("get needs a manifest or flags naming the object");
      const out = await cluster.get(ref);
      if (!out) throw new ManifestError(`Error from server (NotFound): ${ref.kind} "${ref.name}" not found`);
      return { object: out };
    }
    case "delete": {
      const refs = await targetsOf(input, cmd);
      if (refs.length === 0 && !cmd.selected) throw new ManifestError("Must provide at least one of flags or manifest.");
      for (const ref of refs) {
        if (await cluster.delete(ref, { propagationPolicy: cmd.propagationPolicy, gracePeriodSeconds: cmd.gracePeriodSeconds })) log(`${displayName(ref)} deleted`);
      }
      return {};
    }
  }
}
