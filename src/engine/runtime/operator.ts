import { randomUUID } from "node:crypto";
import { ConfigError } from "../../core/errors.js";
import type { LocalArtifactRepository } from "../artifacts/local-repository.js";
import type { Executor } from "../executors/types.js";
import { evaluateExpr, expandDottedKeys } from "../expr/expr-lang.js";
import type { Catalog, TemplateScope } from "../model/catalog.js";
import { templateMap } from "../model/catalog.js";
import { withTemplateDefaults } from "../model/prepare.js";
import {
  templateType,
  type Arguments,
  type LifecycleHook,
  type NodePhase,
  type NodeStatus,
  type NodeType,
  type Outputs,
  type Template,
  type TemplateCall,
  type WorkflowManifest,
  type WorkflowSpec,
  type WorkflowStatus,
} from "../model/types.js";
import { isFulfilled } from "../scheduler/dag.js";
import { workflowPhaseOf } from "../scheduler/steps.js";
import { executeDag, executeSteps } from "./composite.js";
import { parseDuration } from "./durations.js";
import { executeHttp, executePod, executeSuspend } from "./leaf.js";
import { Limiter, LockRegistry } from "./limiter.js";
import type { MemoStore } from "./memo.js";
import { fnv32a, nodeIdOf } from "./names.js";
import type { Reporter } from "./reporter.js";
import { executeRetry } from "./retry.js";
import type { RunJournal } from "./run-store.js";
import { bindInputs, globalVars, NodeInputError, templateVars } from "./scope.js";
import { flattenVars, substituteObject, UnresolvedError, type Vars } from "./substitute.js";

export const MAX_RECURSION_DEPTH = 100;

export interface WorkflowRunOptions {
  workflow: WorkflowManifest;
  catalog: Catalog;
  executor: Executor;
  reporter?: Reporter;
  journal?: RunJournal;
  artifacts?: LocalArtifactRepository;
  memo?: MemoStore;
  /** Node states of an earlier attempt of this run: fulfilled nodes are reused, not run again. */
  previousNodes?: Record<string, NodeStatus>;
  uid?: string;
  createdAt?: Date;
  maxRecursionDepth?: number;
  /** Directory where node logs are written (one file per node). */
  logsDir?: string;
  /** Suspend nodes to release at once (`tiphys resume` of a run whose process had stopped). */
  autoResume?: ReadonlySet<string>;
}

/** One call of a template: a step, a task, a hook, the entrypoint or an exit handler. */
export interface Invocation {
  nodeName: string;
  displayName: string;
  call: Pick<TemplateCall, "template" | "templateRef" | "inline"> & { arguments?: Arguments };
  scope: TemplateScope;
  boundaryId?: string;
  depth: number;
  /** Variables of the caller, for resolving input defaults. */
  vars: Vars;
  /** Set for one attempt of a Retry node: run the template itself, without its retryStrategy. */
  attempt?: number;
  /** Exit handlers ignore a Stop (they still run) but not a Terminate. */
  isExitHandler?: boolean;
}

export type ShutdownStrategy = "Stop" | "Terminate";

const LEAF_TYPES: Record<string, NodeType> = {
  container: "Pod",
  script: "Pod",
  containerSet: "Pod",
  steps: "Steps",
  dag: "DAG",
  suspend: "Suspend",
  http: "HTTP",
  plugin: "Plugin",
  resource: "Pod",
  data: "Pod",
};

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** Executes one Workflow to completion with Argo's semantics; state goes to the journal as it changes. */
export class WorkflowRun {
  readonly name: string;
  readonly spec: WorkflowSpec;
  readonly nodes = new Map<string, NodeStatus>();
  readonly globals: Vars;
  readonly rootScope: TemplateScope;
  readonly podLimiter: Limiter;
  readonly locks = new LockRegistry();
  /** Aborted on Stop/Terminate/deadline: running steps are killed. */
  readonly stopController = new AbortController();
  /** Aborted on Terminate only: exit handlers are killed too. */
  readonly terminateController = new AbortController();
  shutdown: ShutdownStrategy | undefined;
  deadlineExceeded = false;
  status: Omit<WorkflowStatus, "nodes"> = { phase: "Pending" };
  private readonly previous: Record<string, NodeStatus>;
  private readonly suspended = new Map<string, (supplied?: Record<string, string>) => void>();
  private readonly resultRefCache = new WeakMap<Template, string>();
  private readonly childSets = new Map<string, Set<string>>();
  private readonly idByName = new Map<string, string>();
  private readonly nameById = new Map<string, string>();

  constructor(readonly opts: WorkflowRunOptions) {
    this.name = opts.workflow.metadata.name ?? "workflow";
    this.spec = opts.workflow.spec as WorkflowSpec;
    this.previous = opts.previousNodes ?? {};
    for (const n of Object.values(this.previous)) {
      this.idByName.set(n.name, n.id);
      this.nameById.set(n.id, n.name);
    }
    this.globals = globalVars(opts.workflow, opts.uid ?? randomUUID(), opts.createdAt ?? new Date());
    this.rootScope = { kind: "Workflow", name: this.name, templates: templateMap(this.spec) };
    this.podLimiter = new Limiter(this.spec.parallelism);
  }

  get executor(): Executor {
    return this.opts.executor;
  }
  get reporter(): Reporter {
    return this.opts.reporter ?? {};
  }

  /**
   * The id of a node name: Argo's `<workflow>-<fnv32a(name)>`. Two names can hash alike (about once
   * in 50,000 nodes); the later one then gets a `-<n>` suffix instead of silently sharing a node.
   */
  nodeId(nodeName: string): string {
    const known = this.idByName.get(nodeName);
    if (known) return known;
    const base = nodeIdOf(this.name, nodeName);
    let id = base;
    for (let i = 1; this.nameById.has(id); i++) id = `${base}-${i}`;
    this.idByName.set(nodeName, id);
    this.nameById.set(id, nodeName);
    return id;
  }

  /** A node of an earlier attempt that is fulfilled and can be reused as is. */
  reusable(nodeName: string): NodeStatus | undefined {
    const prev = this.previous[this.nodeId(nodeName)];
    if (prev && isFulfilled(prev.phase) && prev.name === nodeName) {
      this.nodes.set(prev.id, prev);
      return prev;
    }
    return undefined;
  }

  initNode(
    nodeName: string,
    fields: Partial<NodeStatus> & { type: NodeType; displayName: string },
  ): NodeStatus {
    const id = this.nodeId(nodeName);
    const existing = this.nodes.get(id);
    if (existing) return existing;
    const node: NodeStatus = { id, name: nodeName, phase: "Pending", startedAt: now(), ...fields };
    if (isFulfilled(node.phase)) node.finishedAt = node.finishedAt ?? node.startedAt;
    this.nodes.set(id, node);
    this.record(node);
    return node;
  }

  updateNode(node: NodeStatus, patch: Partial<NodeStatus>): NodeStatus {
    Object.assign(node, patch);
    if (isFulfilled(node.phase) && !node.finishedAt) node.finishedAt = now();
    this.record(node);
    return node;
  }

  addChild(parentId: string | undefined, childId: string): void {
    if (!parentId) return;
    const parent = this.nodes.get(parentId);
    if (!parent) return;
    let set = this.childSets.get(parentId);
    if (!set) {
      set = new Set(parent.children ?? []);
      this.childSets.set(parentId, set);
    }
    if (set.has(childId)) return;
    set.add(childId);
    (parent.children ??= []).push(childId);
    this.opts.journal?.recordChild(parentId, childId);
  }

  private record(node: NodeStatus): void {
    this.opts.journal?.recordNode(node);
    this.reporter.nodeUpdated?.(node);
  }

  /** Argo's POD_NAMES=v2: `<workflow>-<template>-<fnv32a(node name)>`. */
  podName(nodeName: string, templateName: string | undefined): string {
    if (nodeName === this.name) return this.name;
    const prefix = templateName ? `${this.name}-${templateName}` : this.name;
    return `${prefix.slice(0, 252 - 11)}-${fnv32a(nodeName)}`;
  }

  /** Whether `tmplText` mentions `<steps|tasks>.<name>.outputs.result` (Argo captures results only then). */
  referencesResult(parent: Template | undefined, kind: "steps" | "tasks", name: string): boolean {
    if (!parent) return true;
    let text = this.resultRefCache.get(parent);
    if (text === undefined) {
      text = JSON.stringify(parent);
      this.resultRefCache.set(parent, text);
    }
    return text.includes(`${kind}.${name}.outputs.result`) || text.includes(`${kind}['${name}'].outputs.result`) || text.includes(`${kind}["${name}"].outputs.result`);
  }

  errorNode(inv: Invocation, message: string, type: NodeType = "Skipped"): NodeStatus {
    const node = this.initNode(inv.nodeName, { type, displayName: inv.displayName, boundaryID: inv.boundaryId, phase: "Error", message });
    if (node.phase !== "Error") this.updateNode(node, { phase: "Error", message });
    return node;
  }

  /** Runs a template call and returns its node once fulfilled. */
  async executeTemplate(inv: Invocation): Promise<NodeStatus> {
    const reused = this.reusable(inv.nodeName);
    if (reused) return reused;
    if (inv.depth > (this.opts.maxRecursionDepth ?? MAX_RECURSION_DEPTH)) {
      return this.errorNode(inv, `Maximum recursion depth exceeded (${this.opts.maxRecursionDepth ?? MAX_RECURSION_DEPTH}). See https://argo-workflows.readthedocs.io/en/latest/scaling/#maximum-recursion-depth`);
    }
    let resolved;
    try {
      resolved = this.opts.catalog.resolveCall(inv.call, inv.scope);
    } catch (err) {
      return this.errorNode(inv, (err as Error).message);
    }
    const tmpl = withTemplateDefaults(resolved.template, this.spec.templateDefaults);
    const type = templateType(tmpl);
    if (!type) return this.errorNode(inv, `template "${resolved.templateName ?? "inline"}" has no template type`);
    const nodeType = LEAF_TYPES[type];
    if (tmpl.retryStrategy && inv.attempt === undefined) {
      return executeRetry(this, inv, { ...resolved, template: tmpl });
    }
    let inputs;
    try {
      inputs = bindInputs(tmpl, inv.call.arguments, inv.vars);
    } catch (err) {
      return this.errorNode(inv, (err as Error).message, nodeType);
    }
    const attemptName = inv.attempt !== undefined ? inv.nodeName : inv.nodeName;
    const podName = this.podName(attemptName, resolved.templateName);
    const vars = templateVars(this.globals, tmpl, inputs, inv.nodeName, podName);
    if (inv.attempt !== undefined) vars["retries"] = String(inv.attempt);
    let t: Template;
    try {
      t = substituteObject(tmpl, vars, { strictPrefixes: ["inputs.parameters"] });
    } catch (err) {
      return this.errorNode(inv, (err as Error).message, nodeType);
    }
    const node = this.initNode(inv.nodeName, {
      type: nodeType,
      displayName: inv.displayName,
      templateName: resolved.templateRef ? undefined : resolved.templateName,
      templateRef: resolved.templateRef,
      boundaryID: inv.boundaryId,
      inputs: inputs.parameters || inputs.artifacts ? inputs : undefined,
      phase: "Pending",
    });
    if (this.shutdown && !(inv.isExitHandler && this.shutdown === "Stop")) {
      return this.updateNode(node, { phase: "Failed", message: `Stopped with strategy '${this.shutdown}'` });
    }
    if (this.deadlineExceeded && !inv.isExitHandler) {
      return this.updateNode(node, { phase: "Failed", message: "Step exceeded its deadline" });
    }
    const memoKey = t.memoize ? t.memoize.key : undefined;
    if (t.memoize && this.opts.memo) {
      const hit = this.opts.memo.get(t.memoize, memoKey!);
      if (hit) {
        return this.updateNode(node, {
          phase: "Succeeded",
          outputs: hit,
          memoizationStatus: { hit: true, key: memoKey!, cacheName: t.memoize.cache?.configMap?.name ?? "" },
        });
      }
    }
    const release = await this.locks.acquire(t.synchronization, (msg) => this.updateNode(node, { message: msg }));
    try {
      if (node.message?.startsWith("Waiting for")) this.updateNode(node, { message: undefined });
      const ctx = { run: this, node, template: t, vars, inv, scope: resolved.scope };
      switch (type) {
        case "steps":
          this.updateNode(node, { phase: "Running" });
          await executeSteps(ctx);
          break;
        case "dag":
          this.updateNode(node, { phase: "Running" });
          await executeDag(ctx);
          break;
        case "container":
        case "script":
        case "containerSet":
          await executePod(ctx);
          break;
        case "suspend":
          await executeSuspend(ctx);
          break;
        case "http":
          await executeHttp(ctx);
          break;
        case "resource":
          this.updateNode(node, { phase: "Error", message: "resource templates need a Kubernetes cluster; `tiphys run` has none configured yet" });
          break;
        case "plugin":
          this.updateNode(node, { phase: "Error", message: `executor plugin "${Object.keys(t.plugin ?? {})[0] ?? ""}" is not available: \`tiphys run\` has no executor plugins configured` });
          break;
        case "data":
          this.updateNode(node, { phase: "Error", message: "data templates need an artifact repository with a bucket; a local run has none" });
          break;
      }
    } catch (err) {
      const msg = err instanceof ConfigError || err instanceof NodeInputError || err instanceof UnresolvedError ? err.message : `internal error: ${(err as Error).stack ?? err}`;
      if (!isFulfilled(node.phase)) this.updateNode(node, { phase: "Error", message: msg });
    } finally {
      release();
    }
    if (node.phase === "Succeeded") this.promoteGlobals(node.outputs, tmpl);
    if (node.phase === "Succeeded" && t.memoize && this.opts.memo) {
      this.opts.memo.set(t.memoize, memoKey!, node.outputs ?? {});
      node.memoizationStatus = { hit: false, key: memoKey!, cacheName: t.memoize.cache?.configMap?.name ?? "" };
      this.record(node);
    }
    return node;
  }

  /** `globalName` outputs become `workflow.outputs.*`, visible to later steps and the exit handler. */
  promoteGlobals(outputs: Outputs | undefined, tmpl: Template): void {
    if (!outputs) return;
    for (const p of outputs.parameters ?? []) {
      const decl = tmpl.outputs?.parameters?.find((d) => d.name === p.name);
      const g = p.globalName ?? decl?.globalName;
      if (!g) continue;
      this.globals[`workflow.outputs.parameters.${g}`] = p.value ?? "";
      const list = ((this.status.outputs ??= {}).parameters ??= []);
      const i = list.findIndex((q) => q.name === g);
      if (i >= 0) list[i] = { name: g, value: p.value };
      else list.push({ name: g, value: p.value });
    }
    for (const a of outputs.artifacts ?? []) {
      const decl = tmpl.outputs?.artifacts?.find((d) => d.name === a.name);
      const g = a.globalName ?? decl?.globalName;
      if (!g) continue;
      const art = { ...a, name: g, globalName: undefined, path: undefined };
      this.globals[`workflow.outputs.artifacts.${g}`] = art;
      const list = ((this.status.outputs ??= {}).artifacts ??= []);
      const i = list.findIndex((q) => q.name === g);
      if (i >= 0) list[i] = art;
      else list.push(art);
    }
  }

  /** Registers a suspended node; `resume()` releases it. */
  waitForResume(nodeId: string): Promise<Record<string, string> | undefined> {
    if (this.opts.autoResume?.has(nodeId)) return Promise.resolve(undefined);
    return new Promise((resolve) => this.suspended.set(nodeId, resolve));
  }

  /** Resumes suspended nodes (all, or those whose name or display name matches). */
  resume(filter?: string, supplied?: Record<string, string>): number {
    let n = 0;
    for (const [id, release] of [...this.suspended]) {
      const node = this.nodes.get(id);
      if (filter && node && node.name !== filter && node.displayName !== filter && node.id !== filter) continue;
      this.suspended.delete(id);
      release(supplied);
      n++;
    }
    return n;
  }

  hasSuspended(): boolean {
    return this.suspended.size > 0;
  }

  /** `argo stop` (exit handlers still run) or `argo terminate` (they don't). */
  stop(strategy: ShutdownStrategy = "Stop"): void {
    if (this.shutdown === "Terminate") return;
    this.shutdown = strategy;
    this.stopController.abort();
    if (strategy === "Terminate") this.terminateController.abort();
    for (const [id, release] of [...this.suspended]) {
      const node = this.nodes.get(id);
      if (node && this.isExitHandlerNode(node) && strategy === "Stop") continue;
      this.suspended.delete(id);
      release(undefined);
    }
  }

  private isExitHandlerNode(node: NodeStatus): boolean {
    return node.name.startsWith(`${this.name}.onExit`);
  }

  evaluateHookExpression(hook: LifecycleHook, vars: Vars): boolean {
    if (!hook.expression) return false;
    try {
      return evaluateExpr(hook.expression, expandDottedKeys(flattenVars(vars))) === true;
    } catch {
      return false;
    }
  }

  /** Runs the whole workflow: entrypoint, workflow hooks, exit handler. */
  async execute(): Promise<WorkflowStatus> {
    this.status = { ...this.status, phase: "Running", startedAt: this.status.startedAt ?? now() };
    this.reporter.workflowUpdated?.(this.status);
    this.opts.journal?.writeStatus(this.status);
    let deadline: NodeJS.Timeout | undefined;
    if (this.spec.activeDeadlineSeconds !== undefined) {
      deadline = setTimeout(() => {
        this.deadlineExceeded = true;
        this.stopController.abort();
      }, Number(this.spec.activeDeadlineSeconds) * 1000);
    }
    const release = await this.locks.acquire(this.spec.synchronization, () => {
      this.status.message = "Waiting for the workflow-level lock";
      this.reporter.workflowUpdated?.(this.status);
    });
    let entry: NodeStatus;
    let exitNode: NodeStatus | undefined;
    try {
      const hookNames = Object.keys(this.spec.hooks ?? {}).filter((h) => h !== "exit");
      const fired = new Set<string>();
      const fireHooks = async () => {
        const vars = { ...this.globals };
        const started: Array<Promise<NodeStatus>> = [];
        for (const h of hookNames) {
          const hook = this.spec.hooks![h];
          if (fired.has(h) || !this.evaluateHookExpression(hook, vars)) continue;
          fired.add(h);
          started.push(this.runHook(`${this.name}.hooks.${h}`, hook, vars, undefined));
        }
        return started;
      };
      const early = await fireHooks();
      entry = await this.executeTemplate({
        nodeName: this.name,
        displayName: this.name,
        call: { template: this.spec.entrypoint, arguments: this.spec.arguments },
        scope: this.rootScope,
        depth: 0,
        vars: this.globals,
      });
      this.globals["workflow.status"] = workflowPhaseOf(entry.phase);
      const late = await fireHooks();
      await Promise.all([...early, ...late]);
      const exitHook: LifecycleHook | undefined = this.spec.hooks?.exit ?? (this.spec.onExit ? { template: this.spec.onExit } : undefined);
      if (exitHook && this.shutdown !== "Terminate") {
        this.globals["workflow.status"] = this.shutdown || this.deadlineExceeded ? "Failed" : workflowPhaseOf(entry.phase);
        this.globals["workflow.failures"] = this.failuresJson();
        this.globals["workflow.duration"] = String((Date.now() - Date.parse(this.status.startedAt!)) / 1000);
        exitNode = await this.runHook(`${this.name}.onExit`, exitHook, this.globals, undefined, true);
      }
    } finally {
      release();
      if (deadline) clearTimeout(deadline);
    }
    let phase = workflowPhaseOf(entry.phase, exitNode?.phase);
    let message = phase === "Succeeded" ? undefined : entry.message;
    if (this.shutdown) {
      phase = "Failed";
      message = `Stopped with strategy '${this.shutdown}'`;
    } else if (this.deadlineExceeded) {
      phase = "Failed";
      message = "Step exceeded its deadline";
    } else if (entry.phase === "Succeeded" && exitNode && phase !== "Succeeded") {
      message = exitNode.message ?? `exit handler ${exitNode.phase.toLowerCase()}`;
    }
    this.status = { ...this.status, phase, finishedAt: now(), message, progress: this.progress() };
    this.opts.journal?.writeStatus(this.status);
    this.opts.journal?.flush();
    this.reporter.workflowUpdated?.(this.status);
    return this.snapshot();
  }

  /** Runs an exit handler or lifecycle hook as a node of its own. */
  async runHook(nodeName: string, hook: LifecycleHook, vars: Vars, boundaryId: string | undefined, isExit = false, scope = this.rootScope, depth = 1): Promise<NodeStatus> {
    const call = substituteObject({ template: hook.template, templateRef: hook.templateRef, arguments: hook.arguments }, vars);
    return this.executeTemplate({
      nodeName,
      displayName: nodeName.slice(nodeName.lastIndexOf(".") + 1),
      call,
      scope,
      boundaryId,
      depth,
      vars,
      isExitHandler: isExit || nodeName.startsWith(`${this.name}.onExit`),
    });
  }

  /** `workflow.failures`: the failed leaf nodes, as Argo lists them. */
  private failuresJson(): string {
    const failures = [];
    for (const n of this.nodes.values()) {
      if ((n.phase === "Failed" || n.phase === "Error") && (n.type === "Pod" || n.type === "Skipped" || n.type === "HTTP")) {
        failures.push({
          displayName: n.displayName,
          message: n.message ?? "",
          templateName: n.templateName ?? "",
          phase: n.phase,
          podName: this.podName(n.name, n.templateName),
          finishedAt: n.finishedAt ?? "",
        });
      }
    }
    return failures.length ? JSON.stringify(failures) : "null";
  }

  private progress(): string {
    let done = 0;
    let total = 0;
    for (const n of this.nodes.values()) {
      if (n.type !== "Pod") continue;
      total++;
      if (isFulfilled(n.phase)) done++;
    }
    return `${done}/${total}`;
  }

  snapshot(): WorkflowStatus {
    const nodes: Record<string, NodeStatus> = {};
    for (const [id, n] of this.nodes) nodes[id] = n;
    return { ...this.status, nodes };
  }
}

/** Node phases a step or task waits for before the next one may look at it. */
export function phaseDone(p: NodePhase): boolean {
  return isFulfilled(p);
}

export function durationMs(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  return parseDuration(value, field);
}
