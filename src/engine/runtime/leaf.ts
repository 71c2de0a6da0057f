import { substituteObject } from "./substitute.js";
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import type { ProcessResult, ProcessSpec, Sandbox } from "../executors/types.js";
import { evaluateExpr } from "../expr/expr-lang.js";
import type { Artifact, Container, NodeStatus, Outputs, Parameter, Template } from "../model/types.js";
import type { NodeContext } from "./composite.js";
import { parseDuration } from "../model/durations.js";
import { resolveArtifactRef } from "./outputs.js";
import { NodeInputError } from "./scope.js";
import { executePodNode } from "../executors/kubernetes/pod-node.js";

/** The container's own environment; the executor lays it over the host's when it spawns. */
function envOf(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    // valueFrom (secretKeyRef, configMapKeyRef, fieldRef) needs a cluster: left unset locally.
  }
  return env;
}

/** Reads an output parameter file, trimming one trailing newline like Argo's executor. */
function readParamFile(sandbox: Sandbox, path: string): string | undefined {
  const host = sandbox.hostPath(path);
  if (!existsSync(host) || statSync(host).isDirectory()) return undefined;
  const text = readFileSync(host, "utf8");
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

function trimResult(stdout: string): string {
  return stdout.endsWith("\n") ? stdout.slice(0, -1) : stdout;
}

async function loadInputArtifacts(ctx: NodeContext, sandbox: Sandbox): Promise<void> {
  const arts = ctx.node.inputs?.artifacts ?? [];
  for (const a of arts) {
    let art: Artifact = a;
    if (a.from) {
      const src = resolveArtifactRef(a.from, ctx.vars) ?? parseArtifactJson(a.from);
      if (!src) {
        if (a.optional) continue;
        throw new NodeInputError(`Unable to resolve: ${a.from} (inputs.artifacts.${a.name})`);
      }
      art = { ...src, name: a.name, path: a.path, mode: a.mode ?? src.mode, subPath: a.subPath ?? src.subPath };
    } else {
      // Argo substitutes the template (its artifact sources included) with the workflow's and the
      // template's parameters: `git.repo: "https://github.com/{{workflow.parameters.repo}}.git"`.
      art = substituteObject(a, ctx.vars);
    }
    if (!a.path) throw new NodeInputError(`inputs.artifacts.${a.name}.path is required`);
    const repo = ctx.run.opts.artifacts;
    if (!repo) throw new NodeInputError(`inputs.artifacts.${a.name}: no artifact repository configured for this run`);
    const hostPath = sandbox.hostPath(a.path);
    mkdirSync(dirname(hostPath), { recursive: true });
    await repo.load({ artifact: art, hostPath });
  }
}

function parseArtifactJson(text: string): Artifact | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Artifact) : undefined;
  } catch {
    return undefined;
  }
}

async function collectOutputs(ctx: NodeContext, sandbox: Sandbox, result: ProcessResult): Promise<Outputs> {
  const t = ctx.template;
  const outputs: Outputs = {};
  if (ctx.inv.captureResult && result.stdout !== undefined) outputs.result = trimResult(result.stdout);
  if (result.exitCode !== null) outputs.exitCode = String(result.exitCode);
  const params: Parameter[] = [];
  for (const p of t.outputs?.parameters ?? []) {
    const vf = p.valueFrom;
    let value: string | undefined;
    if (vf?.path) value = readParamFile(sandbox, vf.path);
    else if (p.value !== undefined) value = p.value;
    else if (vf?.expression) value = String(evaluateExpr(vf.expression, { exitCode: outputs.exitCode, outputs }));
    if (value === undefined) value = vf?.default;
    if (value === undefined) {
      throw new NodeInputError(`failed to save outputs: open ${vf?.path ?? p.name}: no such file or directory`);
    }
    params.push(p.globalName ? { name: p.name, value, globalName: p.globalName } : { name: p.name, value });
  }
  if (params.length) outputs.parameters = params;
  const arts: Artifact[] = [];
  for (const a of t.outputs?.artifacts ?? []) {
    if (!a.path) continue;
    const repo = ctx.run.opts.artifacts;
    if (!repo) throw new NodeInputError(`outputs.artifacts.${a.name}: no artifact repository configured for this run`);
    const saved = await repo.save({ nodeId: ctx.node.id, artifact: a, hostPath: sandbox.hostPath(a.path) });
    if (saved) arts.push(saved);
  }
  if (arts.length) outputs.artifacts = arts;
  return outputs;
}

/** The processes of a pod: `main` for container/script; every container of a containerSet. */
function processesOf(t: Template, sandbox: Sandbox): Array<ProcessSpec & { dependencies: string[] }> {
  if (t.script) {
    const scriptPath = sandbox.isolated ? "/tmp/.argo/staging/script" : join(sandbox.root, "script");
    const host = sandbox.isolated ? sandbox.hostPath(scriptPath) : scriptPath;
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, t.script.source, { mode: 0o755 });
    const cmd = t.script.command ?? [];
    return [{ container: "main", argv: [...cmd, ...(t.script.args ?? []), scriptPath], env: envOf(t.script), workingDir: t.script.workingDir, image: t.script.image, dependencies: [] }];
  }
  if (t.container) {
    return [{ container: "main", argv: [...(t.container.command ?? []), ...(t.container.args ?? [])], env: envOf(t.container), workingDir: t.container.workingDir, image: t.container.image, dependencies: [] }];
  }
  return (t.containerSet?.containers ?? []).map((c) => ({
    container: c.name ?? "main",
    argv: [...(c.command ?? []), ...(c.args ?? [])],
    env: envOf(c),
    workingDir: c.workingDir,
    image: c.image,
    dependencies: c.dependencies ?? [],
  }));
}

/**
 * Argo shows each container of a containerSet as a Container node (`<pod>.<container>`) bounded by
 * the pod node: containers without dependencies are the pod's children, the others their
 * dependencies' children (container_set_template.go).
 */
function containerNodes(ctx: NodeContext, procs: ReadonlyArray<{ container: string; dependencies: string[] }>): Map<string, NodeStatus> {
  const { run, node } = ctx;
  const out = new Map<string, NodeStatus>();
  for (const p of procs) {
    out.set(p.container, run.initNode(`${node.name}.${p.container}`, { type: "Container", displayName: p.container, boundaryID: node.id, phase: "Pending" }));
  }
  for (const p of procs) {
    const id = out.get(p.container)!.id;
    if (p.dependencies.length === 0) run.addChild(node.id, id);
    for (const d of p.dependencies) run.addChild(out.get(d)?.id, id);
  }
  return out;
}

function deadlineOf(t: Template): number | undefined {
  const a = t.activeDeadlineSeconds !== undefined ? Number(t.activeDeadlineSeconds) * 1000 : undefined;
  const b = t.timeout ? parseDuration(t.timeout, "timeout") : undefined;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** A container, script or containerSet node: its processes on the executor, then its outputs. */
export async function executePod(ctx: NodeContext): Promise<void> {
  const { run, node, template: t } = ctx;
  // An executor that runs whole Pods (Kubernetes) takes the node as it is: no host sandbox.
  if (run.executor.runPod) return executePodNode(ctx, run.executor.runPod.bind(run.executor));
  const signal = ctx.inv.isExitHandler ? run.terminateController.signal : run.stopController.signal;
  const release = await run.podLimiter.acquire();
  let sandbox: Sandbox | undefined;
  let log: WriteStream | undefined;
  // Only a step with a deadline needs its own signal (one per step adds up in large fan-outs).
  const timeoutCtl = t.activeDeadlineSeconds !== undefined || t.timeout ? new AbortController() : undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (signal.aborted) {
      run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
      return;
    }
    run.updateNode(node, { phase: "Running", hostNodeName: "localhost" });
    sandbox = await run.executor.createSandbox(node.id);
    await loadInputArtifacts(ctx, sandbox);
    const procs = processesOf(t, sandbox);
    for (const p of procs) {
      if (p.argv.length === 0) {
        run.updateNode(node, { phase: "Error", message: `container "${p.container}" (image ${p.image ?? "none"}) has no command: the image's entrypoint cannot run locally; give the container a command` });
        return;
      }
    }
    const deadline = deadlineOf(t);
    if (deadline !== undefined && timeoutCtl) timer = setTimeout(() => timeoutCtl.abort(), deadline);
    const both = deadline === undefined || !timeoutCtl ? signal : AbortSignal.any([signal, timeoutCtl.signal]);
    // Opened on the first line: most benchmark and many real steps print nothing.
    const logLine = (text: string) => {
      if (!run.opts.logsDir) return;
      if (!log) {
        log = createWriteStream(join(run.opts.logsDir, `${node.id}.log`), { flags: "a" });
        log.on("error", (err) => run.reporter.warn?.(`cannot write the log of ${node.displayName}: ${err.message}`));
      }
      log.write(text);
    };
    const results = new Map<string, ProcessResult>();
    const pending = new Map<string, Promise<ProcessResult>>();
    const ctrNodes = t.containerSet ? containerNodes(ctx, procs) : undefined;
    const start = (p: (typeof procs)[number]): Promise<ProcessResult> => {
      let pr = pending.get(p.container);
      if (pr) return pr;
      const ctr = ctrNodes?.get(p.container);
      pr = (async () => {
        for (const d of p.dependencies) {
          const dep = procs.find((q) => q.container === d);
          if (!dep) return { exitCode: null, startError: `containerSet: unknown dependency "${d}"`, durationMs: 0 };
          const r = await start(dep);
          if (r.exitCode !== 0) {
            if (ctr) run.updateNode(ctr, { phase: "Failed", message: `dependency "${d}" did not succeed` });
            return { exitCode: null, startError: `dependency "${d}" did not succeed`, durationMs: 0 };
          }
        }
        if (ctr) run.updateNode(ctr, { phase: "Running" });
        const prefix = procs.length > 1 ? `${p.container}: ` : "";
        const r = await run.executor.run(p, sandbox!, {
          captureStdout: p.container === "main" && ctx.inv.captureResult === true,
          onLine: (stream, line) => {
            logLine(prefix + line + "\n");
            run.reporter.log?.(node, stream, prefix + line);
          },
        }, both);
        results.set(p.container, r);
        if (ctr) {
          const ok = r.exitCode === 0 && r.startError === undefined;
          run.updateNode(ctr, ok ? { phase: "Succeeded" } : { phase: r.startError !== undefined ? "Error" : "Failed", message: r.startError ?? (r.exitCode === null ? `terminated by signal ${r.signal ?? ""}`.trim() : `Error (exit code ${r.exitCode})`) });
        }
        return r;
      })();
      pending.set(p.container, pr);
      return pr;
    };
    await Promise.all(procs.map(start));
    const main = results.get("main") ?? [...results.values()].pop()!;
    const failed = [...results.values()].find((r) => r.startError !== undefined) ?? (procs.length > 1 ? [...results.values()].find((r) => r.exitCode !== 0) : undefined);
    if (timeoutCtl?.signal.aborted) {
      run.updateNode(node, { phase: "Failed", message: "Pod was active on the node longer than the specified deadline", outputs: main?.exitCode != null ? { exitCode: String(main.exitCode) } : undefined });
      return;
    }
    if (signal.aborted) {
      run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
      return;
    }
    if (failed?.startError !== undefined) {
      run.updateNode(node, { phase: "Error", message: failed.startError });
      return;
    }
    let outputs: Outputs;
    try {
      outputs = await collectOutputs(ctx, sandbox, main);
    } catch (err) {
      run.updateNode(node, { phase: "Error", message: (err as Error).message });
      return;
    }
    const code = (failed ?? main).exitCode;
    if (code === 0) run.updateNode(node, { phase: "Succeeded", outputs });
    else run.updateNode(node, { phase: "Failed", message: code === null ? `terminated by signal ${main.signal ?? ""}`.trim() : `Error (exit code ${code})`, outputs });
  } catch (err) {
    run.updateNode(node, { phase: "Error", message: (err as Error).message });
  } finally {
    if (timer) clearTimeout(timer);
    log?.end();
    release();
    if (sandbox && process.env.TIPHYS_KEEP_SANDBOX !== "1") await sandbox.dispose().catch(() => {});
  }
}

/** A suspend node: waits its duration, or until `tiphys resume`; supplied outputs come with the resume. */
export async function executeSuspend(ctx: NodeContext): Promise<void> {
  const { run, node, template: t } = ctx;
  run.updateNode(node, { phase: "Running" });
  const durationText = t.suspend?.duration;
  let supplied: Record<string, string> | undefined;
  const resumed = run.waitForResume(node.id);
  if (durationText) {
    const ms = parseDuration(durationText, "suspend.duration");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([resumed.then((s) => (supplied = s)), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    if (timer) clearTimeout(timer);
    run.resume(node.id);
  } else {
    run.updateNode(node, { message: "waiting for `tiphys resume`" });
    supplied = await resumed;
  }
  if (run.shutdown && !(ctx.inv.isExitHandler && run.shutdown === "Stop")) {
    run.updateNode(node, { phase: "Failed", message: `Stopped with strategy '${run.shutdown}'` });
    return;
  }
  const params: Parameter[] = [];
  for (const p of t.outputs?.parameters ?? []) {
    const v = supplied?.[p.name] ?? p.valueFrom?.default ?? p.value;
    if (v === undefined) {
      run.updateNode(node, { phase: "Error", message: `outputs.parameters.${p.name}: no value supplied on resume and no default` });
      return;
    }
    params.push({ name: p.name, value: v });
  }
  run.updateNode(node, { phase: "Succeeded", message: undefined, outputs: params.length ? { parameters: params } : undefined });
}

/** An HTTP node: the request itself; success is 2xx or `successCondition`. */
export async function executeHttp(ctx: NodeContext): Promise<void> {
  const { run, node, template: t } = ctx;
  const h = t.http!;
  run.updateNode(node, { phase: "Running" });
  const headers: Record<string, string> = {};
  for (const x of h.headers ?? []) if (x.value !== undefined) headers[x.name] = x.value;
  const method = (h.method ?? "GET").toUpperCase();
  const body = h.body ?? (h.bodyFrom?.bytes ? Buffer.from(h.bodyFrom.bytes, "base64").toString("utf8") : undefined);
  const timeoutMs = (h.timeoutSeconds ?? 30) * 1000;
  const signal = AbortSignal.any([run.stopController.signal, AbortSignal.timeout(timeoutMs)]);
  let status: number;
  let text: string;
  let resHeaders: Record<string, string[]> = {};
  try {
    const res = await fetch(h.url, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body, signal });
    status = res.status;
    text = await res.text();
    resHeaders = {};
    res.headers.forEach((v, k) => (resHeaders[k] = [v]));
  } catch (err) {
    const e = err as Error;
    const reason = e.name === "TimeoutError" ? `timed out after ${h.timeoutSeconds ?? 30}s` : (e.cause as Error | undefined)?.message ?? e.message;
    run.updateNode(node, { phase: "Failed", message: `${method} ${redactUrl(h.url)}: ${reason}` });
    return;
  }
  let ok: boolean;
  if (h.successCondition) {
    try {
      ok = evaluateExpr(h.successCondition, {
        request: { method, url: h.url, body: body ?? "", headers },
        response: { statusCode: status, body: text, headers: resHeaders },
      }) === true;
    } catch (err) {
      run.updateNode(node, { phase: "Error", message: `successCondition: ${(err as Error).message}` });
      return;
    }
  } else ok = status >= 200 && status < 300;
  const outputs: Outputs = { result: text };
  if (ok) run.updateNode(node, { phase: "Succeeded", outputs });
  else run.updateNode(node, { phase: "Failed", message: h.successCondition ? `successCondition '${h.successCondition}' evaluated false (status ${status})` : `received non-2xx response code: ${status}`, outputs });
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return u;
  }
}
