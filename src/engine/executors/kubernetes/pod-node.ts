/**
 * A container/script node run by an executor with `runPod` (the Kubernetes one): the whole node goes
 * to it as a PodRequest, and the node's phase, message and outputs are set exactly as the local path
 * sets them (leaf.ts executePod): "Error (exit code N)", deadlines, stop strategies.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { evaluateExpr } from "../../expr/expr-lang.js";
import { parseDuration } from "../../model/durations.js";
import type { Artifact, Outputs, Parameter, Template } from "../../model/types.js";
import type { NodeContext } from "../../runtime/composite.js";
import { resolveArtifactRef } from "../../runtime/outputs.js";
import { NodeInputError } from "../../runtime/scope.js";
import { substituteObject, substituteString } from "../../runtime/substitute.js";
import type { ArtifactPodRequest, ArtifactPodResult, PodArtifactsRequest } from "./artifact-plan.js";

function deadlineOf(t: Template): number | undefined {
  const a = t.activeDeadlineSeconds !== undefined ? Number(t.activeDeadlineSeconds) * 1000 : undefined;
  const b = t.timeout ? parseDuration(t.timeout, "timeout") : undefined;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Why this node cannot run as a Pod yet, before anything is created. */
function unsupported(ctx: NodeContext): string | undefined {
  const t = ctx.template;
  if (t.containerSet) return "containerSet templates are not supported by the kubernetes executor yet";
  return undefined;
}

function parseArtifactJson(text: string): Artifact | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Artifact) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node's artifacts with their sources resolved, as the local path resolves them (leaf.ts
 * loadInputArtifacts): `from` gives the stored location; an optional one that cannot be resolved is
 * left out.
 */
function artifactsOf(ctx: NodeContext): PodArtifactsRequest {
  const inputs: Artifact[] = [];
  for (const a of ctx.node.inputs?.artifacts ?? []) {
    let art: Artifact;
    if (a.from) {
      const src = resolveArtifactRef(a.from, ctx.vars) ?? parseArtifactJson(a.from);
      if (!src) {
        if (a.optional) continue;
        throw new NodeInputError(`Unable to resolve: ${a.from} (inputs.artifacts.${a.name})`);
      }
      art = { ...src, name: a.name, path: a.path, mode: a.mode ?? src.mode, subPath: a.subPath ?? src.subPath, optional: a.optional };
    } else {
      art = substituteObject(a, ctx.vars);
    }
    if (!a.path) throw new NodeInputError(`inputs.artifacts.${a.name}.path is required`);
    inputs.push(art);
  }
  const outputs = (ctx.template.outputs?.artifacts ?? []).filter((a) => a.path);
  return { inputs, outputs, workflowVars: ctx.run.globals };
}

function trimOne(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

function outputsOf(ctx: NodeContext, res: ArtifactPodResult): Outputs {
  const outputs: Outputs = {};
  if (ctx.inv.captureResult && res.result !== undefined) outputs.result = trimOne(res.result);
  if (res.exitCode !== null) outputs.exitCode = String(res.exitCode);
  const params: Parameter[] = [];
  for (const p of ctx.template.outputs?.parameters ?? []) {
    const vf = p.valueFrom;
    let value: string | undefined;
    if (vf?.path) value = res.outputsParameters[p.name] !== undefined ? trimOne(res.outputsParameters[p.name]) : undefined;
    else if (p.value !== undefined) value = p.value;
    else if (vf?.expression) value = String(evaluateExpr(vf.expression, { exitCode: outputs.exitCode, outputs }));
    if (value === undefined) value = vf?.default;
    if (value === undefined) throw new Error(`failed to save outputs: open ${vf?.path ?? p.name}: no such file or directory`);
    params.push(p.globalName ? { name: p.name, value, globalName: p.globalName } : { name: p.name, value });
  }
  if (params.length) outputs.parameters = params;
  if (res.outputArtifacts?.length) outputs.artifacts = res.outputArtifacts;
  return outputs;
}

/** The workflow's podSpecPatch with the workflow's variables in it (the template's is substituted already). */
function workflowPatch(ctx: NodeContext): string | undefined {
  const patch = ctx.run.spec.podSpecPatch;
  if (typeof patch !== "string") return undefined;
  try {
    return substituteString(patch, ctx.vars);
  } catch {
    return patch;
  }
}

export async function executePodNode(ctx: NodeContext, runPod: (req: ArtifactPodRequest, signal: AbortSignal) => Promise<ArtifactPodResult>): Promise<void> {
  const { run, node, template: t } = ctx;
  const signal = ctx.inv.isExitHandler ? run.terminateController.signal : run.stopController.signal;
  const release = await run.podLimiter.acquire();
  let log: WriteStream | undefined;
  const timeoutCtl = t.activeDeadlineSeconds !== undefined || t.timeout ? new AbortController() : undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (signal.aborted) {
      run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
      return;
    }
    const refused = unsupported(ctx);
    if (refused) {
      run.updateNode(node, { phase: "Error", message: refused });
      return;
    }
    run.updateNode(node, { phase: "Running" });
    const deadline = deadlineOf(t);
    if (deadline !== undefined && timeoutCtl) timer = setTimeout(() => timeoutCtl.abort(), deadline);
    const both = deadline === undefined || !timeoutCtl ? signal : AbortSignal.any([signal, timeoutCtl.signal]);
    // The name the template saw as {{pod.name}} (Argo's POD_NAMES=v2).
    const podName = typeof ctx.vars["pod.name"] === "string" ? ctx.vars["pod.name"] : run.podName(node.name, t.name);
    const res = await runPod(
      {
        nodeId: node.id,
        nodeName: node.name,
        podName,
        workflow: { name: run.name, uid: String(run.globals["workflow.uid"] ?? ""), spec: { ...run.spec, podSpecPatch: workflowPatch(ctx) } },
        template: t,
        outputParameterFiles: (t.outputs?.parameters ?? []).filter((p) => p.valueFrom?.path).map((p) => ({ name: p.name, path: p.valueFrom!.path! })),
        captureResult: ctx.inv.captureResult === true,
        artifacts: artifactsOf(ctx),
        onLine: (stream, line) => {
          if (run.opts.logsDir) {
            if (!log) {
              log = createWriteStream(join(run.opts.logsDir, `${node.id}.log`), { flags: "a" });
              log.on("error", (err) => run.reporter.warn?.(`cannot write the log of ${node.displayName}: ${err.message}`));
            }
            log.write(line + "\n");
          }
          run.reporter.log?.(node, stream, line);
        },
      },
      both,
    );
    if (timeoutCtl?.signal.aborted || (res.exitCode === null && res.message?.includes("longer than the specified deadline"))) {
      run.updateNode(node, { phase: "Failed", message: "Pod was active on the node longer than the specified deadline" });
      return;
    }
    if (signal.aborted) {
      run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
      return;
    }
    if (res.startError !== undefined) {
      run.updateNode(node, { phase: "Error", message: res.startError });
      return;
    }
    let outputs: Outputs;
    try {
      outputs = outputsOf(ctx, res);
    } catch (err) {
      run.updateNode(node, { phase: "Error", message: (err as Error).message });
      return;
    }
    const code = res.exitCode;
    // Argo: a step whose command succeeded but whose outputs could not be stored is an Error.
    if (code === 0 && res.artifactError) {
      run.updateNode(node, { phase: "Error", message: res.artifactError, outputs });
      return;
    }
    if (code === 0) run.updateNode(node, { phase: "Succeeded", outputs });
    else run.updateNode(node, { phase: "Failed", message: code === null ? (res.message ?? "pod failed") : `Error (exit code ${code})`, outputs });
  } catch (err) {
    run.updateNode(node, { phase: "Error", message: (err as Error).message });
  } finally {
    if (timer) clearTimeout(timer);
    log?.end();
    release();
  }
}
