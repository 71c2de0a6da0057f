/**
 * A resource node (Argo's `resource` template) against the run's cluster: the action, then, unless
 * it deleted, a wait until `failureCondition` or `successCondition` holds on the object (watched, not
 * polled), then the output parameters from the object.
 *
 * Differences from Argo, on purpose:
 * - Argo runs kubectl in a Pod of its own (`{{pod.name}}` is that Pod); Tiphys acts from the engine
 *   and creates no Pod, so a manifest that patches `{{pod.name}}` finds nothing.
 * - `setOwnerReference: true` is not applied: a Tiphys run is no Workflow object in the cluster, and
 *   an ownerReference to an object that does not exist would have the garbage collector delete the
 *   resource at once. The run warns instead.
 * - Failures of the action or the wait make the node Failed (Argo's resource Pod fails), with the
 *   server's or the condition's message.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster, KubeObject, WatchHandle } from "../../../core/ports/cluster.js";
import { parseDuration } from "../../model/durations.js";
import type { Artifact, Template } from "../../model/types.js";
import type { NodeContext } from "../composite.js";
import { resolveArtifactRef } from "../outputs.js";
import { performAction, type ResourceAction } from "./actions.js";
import { judge, parseCondition, type Requirement } from "./conditions.js";
import { resourceParameters } from "./outputs.js";

interface ResourceSpec {
  action?: string;
  manifest?: string;
  manifestFrom?: { artifact?: { name?: string } };
  mergeStrategy?: string;
  flags?: string[];
  successCondition?: string;
  failureCondition?: string;
  setOwnerReference?: boolean;
}

class Aborted extends Error {}

function deadlineOf(t: Template): number | undefined {
  const a = t.activeDeadlineSeconds !== undefined ? Number(t.activeDeadlineSeconds) * 1000 : undefined;
  const b = t.timeout ? parseDuration(t.timeout, "timeout") : undefined;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** `manifestFrom.artifact`: the input artifact's content, read through the run's artifact repository. */
async function manifestFromArtifact(ctx: NodeContext, name: string): Promise<string> {
  const a = ctx.node.inputs?.artifacts?.find((x) => x.name === name);
  if (!a) throw new Error(`manifestFrom: no input artifact named ${name}`);
  let art: Artifact = a;
  if (a.from) {
    const src = resolveArtifactRef(a.from, ctx.vars);
    if (!src) throw new Error(`Unable to resolve: ${a.from} (inputs.artifacts.${a.name})`);
    art = { ...src, name: a.name };
  }
  const repo = ctx.run.opts.artifacts;
  if (!repo) throw new Error(`inputs.artifacts.${name}: no artifact repository configured for this run`);
  const dir = mkdtempSync(join(tmpdir(), "tiphys-manifest-"));
  try {
    const hostPath = join(dir, "manifest.yaml");
    await repo.load({ artifact: art, hostPath });
    return readFileSync(hostPath, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Watches the object until a condition decides. Resolves with the last object seen; rejects with the
 * failure condition's message, when the object goes away, or with Aborted.
 */
function awaitConditions(cluster: Cluster, obj: KubeObject, success: Requirement[], failure: Requirement[], signal: AbortSignal): Promise<KubeObject> {
  const name = obj.metadata.name ?? "";
  return new Promise((resolve, reject) => {
    // Set once the watch starts; a condition may already hold on the object as created.
    const watching: { handle?: WatchHandle } = {};
    let settled = false;
    let seen = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      watching.handle?.stop();
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const gone = () => finish(() => reject(new Error("The resource has been deleted while its status was still being checked")));
    const check = (o: KubeObject) => {
      const r = judge(o, success, failure);
      if (r.kind === "succeeded") finish(() => resolve(o));
      else if (r.kind === "failed") finish(() => reject(new Error(r.message)));
    };
    const recheck = async () => {
      try {
        const now = await cluster.get({ apiVersion: obj.apiVersion, kind: obj.kind, name, namespace: obj.metadata.namespace });
        if (now) check(now);
        else gone();
      } catch {
        // A transient read failure: the watch carries on.
      }
    };
    const onAbort = () => finish(() => reject(new Aborted()));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    check(obj);
    if (settled) return;
    const handle = cluster.watch(
      obj.apiVersion,
      obj.kind,
      { namespace: obj.metadata.namespace, fieldSelector: `metadata.name=${name}` },
      (e) => {
        if (e.type === "BOOKMARK" || e.object.metadata.name !== name) return;
        if (e.type === "DELETED") return gone();
        seen = true;
        check(e.object);
      },
      // The watch resumes by itself after a disconnect; meanwhile, read the object once.
      () => void recheck(),
    );
    watching.handle = handle;
    if (settled) handle.stop();
    handle.ready.then(
      () => {
        if (!seen) void recheck();
      },
      (err: Error) => finish(() => reject(err)),
    );
  });
}

/** Runs a resource node to its end. */
export async function executeResource(ctx: NodeContext): Promise<void> {
  const { run, node, template: t } = ctx;
  const cluster = run.opts.cluster;
  if (!cluster) {
    run.updateNode(node, { phase: "Error", message: "resource templates need a Kubernetes cluster; `tiphys run` has none configured yet" });
    return;
  }
  const spec = (t.resource ?? {}) as ResourceSpec;
  const signal = ctx.inv.isExitHandler ? run.terminateController.signal : run.stopController.signal;
  const deadline = deadlineOf(t);
  const both = deadline === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(deadline)]);
  const log = (line: string) => {
    run.reporter.log?.(node, "stdout", line);
    if (run.opts.logsDir) {
      try {
        appendFileSync(join(run.opts.logsDir, `${node.id}.log`), line + "\n");
      } catch (err) {
        run.reporter.warn?.(`cannot write the log of ${node.displayName}: ${(err as Error).message}`);
      }
    }
  };
  run.updateNode(node, { phase: "Running" });
  try {
    let success: Requirement[];
    let failure: Requirement[];
    try {
      success = parseCondition(spec.successCondition ?? "");
      failure = parseCondition(spec.failureCondition ?? "");
    } catch (err) {
      run.updateNode(node, { phase: "Error", message: `successCondition or failureCondition: ${(err as Error).message}` });
      return;
    }
    if (spec.setOwnerReference) {
      run.reporter.warn?.(`${node.displayName}: setOwnerReference is not applied: a Tiphys run has no Workflow object in the cluster to own the resource`);
    }
    const artifactName = spec.manifestFrom?.artifact?.name;
    const manifest = spec.manifest ?? (artifactName ? await manifestFromArtifact(ctx, artifactName) : "");
    const action = (spec.action ?? "") as ResourceAction;
    const namespace = run.opts.clusterNamespace ?? run.globals["workflow.namespace"] ?? "default";
    const done = await performAction({ cluster, action, manifest, flags: spec.flags ?? [], mergeStrategy: spec.mergeStrategy, namespace: String(namespace), log });
    let obj = done.object;
    if (obj && (success.length > 0 || failure.length > 0)) {
      log(`waiting for ${[spec.successCondition && `success: ${spec.successCondition}`, spec.failureCondition && `failure: ${spec.failureCondition}`].filter(Boolean).join("; ")}`);
      obj = await awaitConditions(cluster, obj, success, failure, both);
    }
    const declared = t.outputs?.parameters ?? [];
    // Argo reads the parameters with `kubectl get` after the wait: the object as it is now.
    if (obj && declared.length > 0 && obj.metadata.name) {
      obj = (await cluster.get({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace })) ?? obj;
    }
    const parameters = await resourceParameters(declared, obj);
    run.updateNode(node, { phase: "Succeeded", outputs: parameters.length ? { parameters } : undefined });
  } catch (err) {
    if (err instanceof Aborted || both.aborted) {
      const byDeadline = !signal.aborted;
      run.updateNode(node, { phase: "Failed", message: byDeadline ? "Pod was active on the node longer than the specified deadline" : run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
      return;
    }
    run.updateNode(node, { phase: "Failed", message: (err as Error).message });
  }
}
