import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { ConfigError } from "../../core/errors.js";
import type { Cluster } from "../../core/ports/cluster.js";
import type { ArtifactRepository } from "../artifacts/repository.js";
import type { Executor } from "../executors/types.js";
import type { Catalog, TemplateScope } from "../model/catalog.js";
import { templateMap } from "../model/catalog.js";
import { withTemplateDefaults } from "../model/prepare.js";
import {
  TEMPLATE_TYPES,
  templateType,
  type Arguments,
  type LifecycleHook,
  type NodeStatus,
  type NodeType,
  type Template,
  type TemplateCall,
  type WorkflowManifest,
  type WorkflowSpec,
  type WorkflowStatus,
} from "../model/types.js";
import { isFulfilled } from "../scheduler/dag.js";
import { runByType } from "./dispatch.js";
import { executeWorkflow, hookExpressionHolds, runHook } from "./lifecycle.js";
import { Limiter, LockRegistry, type SyncLocks } from "./limiter.js";
import type { MemoStore } from "./memo.js";
import { fnv32a, nodeIdOf } from "./names.js";
import type { Reporter } from "./reporter.js";
import { executeRetry } from "./retry.js";
import type { RunSink } from "./run-store.js";
import { bindInputs, globalVars, NodeInputError, promoteGlobals, templateVars } from "./scope.js";
import { substituteObject, UnresolvedError, type Vars } from "./substitute.js";

export const MAX_RECURSION_DEPTH = 100;

export interface WorkflowRunOptions {
  workflow: WorkflowManifest;
  catalog: Catalog;
  executor: Executor;
  reporter?: Reporter;
  journal?: RunSink;
  artifacts?: ArtifactRepository;
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
  /** Mutexes and semaphores; by default those of this process, shared by every run in it. */
  locks?: SyncLocks;
  /** The cluster `resource` templates act on; without one they end as Error. */
  cluster?: Cluster;
  /** Namespace of namespaced objects that name none; default the workflow's (`workflow.namespace`). */
  clusterNamespace?: string;
}

/**
 * Argo's locks are shared by every workflow of the controller: a workflow-level mutex must hold
 * off another run in the same process, so runs share one registry unless given their own.
 */
const PROCESS_LOCKS = new LockRegistry();

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
  /**
   * Whether the caller's template mentions `<steps|tasks>.<name>.outputs.result`: Argo captures a
   * pod's stdout as its result only then (includeScriptOutput / hasOutputResultRef).
   */
  captureResult?: boolean;
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
  readonly locks: SyncLocks;
  /** Aborted on Stop/Terminate/deadline: running steps are killed. */
  readonly stopController = new AbortController();
  /** Aborted on Terminate only: exit handlers are killed too. */
  readonly terminateController = new AbortController();
  shutdown: ShutdownStrategy | undefined;
  deadlineExceeded = false;
  status: Omit<WorkflowStatus, "nodes"> = { phase: "Pending" };
  private readonly previous: Record<string, NodeStatus>;
  private readonly suspended = new Map<string, (supplied?: Record<string, string>) => void>();
  private readonly resultRefCache = new WeakMap<Template, Set<string>>();
  private readonly childSets = new Map<string, Set<string>>();
  /** Ids of nodes that errored before running (see errorNode). */
  readonly setupErrors = new Set<string>();
  private readonly idByName = new Map<string, string>();
  private readonly nameById = new Map<string, string>();

  constructor(readonly opts: WorkflowRunOptions) {
    // Every running step listens for these: a fan-out of hundreds is not a listener leak.
    setMaxListeners(0, this.stopController.signal, this.terminateController.signal);
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
    this.locks = opts.locks ?? PROCESS_LOCKS;
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
    // Argo's GeneratePodName: an empty template name still adds its dash ("wf--123").
    const prefix = nodeName.includes(".inline") ? this.name : `${this.name}-${templateName ?? ""}`;
    return `${prefix.slice(0, 252 - 11)}-${fnv32a(nodeName)}`;
  }

  /** Whether a template mentions `<steps|tasks>.<name>.outputs.result` (Argo captures results only then). */
  referencesResult(parent: Template | undefined, kind: "steps" | "tasks", name: string): boolean {
    if (!parent) return true;
    // Scanned once per template: a large DAG asks this for every task.
    let refs = this.resultRefCache.get(parent);
    if (refs === undefined) {
      refs = new Set<string>();
      const text = JSON.stringify(parent);
      for (const m of text.matchAll(/\b(steps|tasks)(?:\.([^.\s'"[\]{}]+)|\[\\?['"]([^'"\\]+)\\?['"]\])\.outputs\.result/g)) {
        refs.add(`${m[1]}.${m[2] ?? m[3]}`);
      }
      this.resultRefCache.set(parent, refs);
    }
    return refs.has(`${kind}.${name}`);
  }

  /**
   * Argo's initializeNodeOrMarkError: a call that fails before it runs (its template cannot be
   * resolved, its inputs bound or substituted) is an Error node of type Skipped. Such "setup"
   * errors are remembered: Argo reports them on the step group ("step group deemed errored due to
   * child ...") or the task ("task '...' errored: ..."), unlike an Error from a node that ran.
   */
  errorNode(inv: Invocation, message: string, setup = true): NodeStatus {
    const node = this.initNode(inv.nodeName, { type: "Skipped", displayName: inv.displayName, boundaryID: inv.boundaryId, templateName: inv.call.template, phase: "Error", message });
    if (node.phase !== "Error") this.updateNode(node, { phase: "Error", message });
    if (setup) this.setupErrors.add(node.id);
    return node;
  }

  /** Runs a template call and returns its node once fulfilled. */
  async executeTemplate(inv: Invocation): Promise<NodeStatus> {
    const reused = this.reusable(inv.nodeName);
    if (reused) return reused;
    // Argo counts nested executeTemplate calls from 1 (the entrypoint) and refuses the 100th.
    // Unlike other setup errors, Argo lets the step group judge this one as a plain Error child.
    if (inv.depth + 1 >= (this.opts.maxRecursionDepth ?? MAX_RECURSION_DEPTH)) {
      return this.errorNode(inv, "Maximum recursion depth exceeded. See https://argo-workflows.readthedocs.io/en/latest/scaling/#maximum-recursion-depth", false);
    }
    let resolved;
    try {
      resolved = this.opts.catalog.resolveCall(inv.call, inv.scope);
    } catch (err) {
      return this.errorNode(inv, (err as Error).message);
    }
    const tmpl = this.withDefaults(resolved.template);
    const type = templateType(tmpl);
    if (!type) return this.errorNode(inv, `template "${resolved.templateName ?? "inline"}" has no template type`);
    const nodeType = LEAF_TYPES[type];
    // Arguments are bound before a Retry node exists (Argo's ProcessArgs comes first): a missing
    // input is one Error node, not a failed attempt.
    let inputs;
    try {
      inputs = bindInputs(tmpl, inv.call.arguments, inv.vars);
    } catch (err) {
      return this.errorNode(inv, (err as Error).message);
    }
    if (tmpl.retryStrategy && inv.attempt === undefined) {
      return executeRetry(this, inv, { ...resolved, template: tmpl });
    }
    const podName = this.podName(inv.nodeName, resolved.templateName);
    const vars = templateVars(this.globals, tmpl, inputs, inv.nodeName, podName);
    if (inv.attempt !== undefined) vars["retries"] = String(inv.attempt);
    let t: Template;
    try {
      t = substituteObject(tmpl, vars, { strictPrefixes: ["inputs.parameters"], deferExpressions: type === "steps" || type === "dag" });
    } catch (err) {
      return this.errorNode(inv, (err as Error).message);
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
        this.updateNode(node, {
          phase: "Succeeded",
          outputs: hit,
          memoizationStatus: { hit: true, key: memoKey!, cacheName: t.memoize.cache?.configMap?.name ?? "" },
        });
        // Cached outputs are outputs all the same: their globalNames reach workflow.outputs.
        promoteGlobals(this, node.outputs, tmpl);
        return node;
      }
    }
    const release = await this.locks.acquire(t.synchronization, (msg) => this.updateNode(node, { message: msg }));
    try {
      if (node.message?.startsWith("Waiting for")) this.updateNode(node, { message: undefined });
      const ctx = { run: this, node, template: t, vars, inv, scope: resolved.scope };
      await runByType(ctx, type);
    } catch (err) {
      const msg = err instanceof ConfigError || err instanceof NodeInputError || err instanceof UnresolvedError ? err.message : `internal error: ${(err as Error).stack ?? err}`;
      if (!isFulfilled(node.phase)) this.updateNode(node, { phase: "Error", message: msg });
    } finally {
      release();
    }
    if (node.phase === "Succeeded") promoteGlobals(this, node.outputs, tmpl);
    if (node.phase === "Succeeded" && t.memoize && this.opts.memo) {
      this.opts.memo.set(t.memoize, memoKey!, node.outputs ?? {});
      node.memoizationStatus = { hit: false, key: memoKey!, cacheName: t.memoize.cache?.configMap?.name ?? "" };
      this.record(node);
    }
    return node;
  }

  /**
   * templateDefaults merged under a template. Like Argo's mergedTemplateDefaultsInto (which calls
   * SetType afterwards), the template keeps its own type: a default `container` must not give a
   * steps or script template a second type.
   */
  withDefaults(t: Template): Template {
    if (!this.spec.templateDefaults) return t;
    const own = templateType(t);
    const merged = withTemplateDefaults(t, this.spec.templateDefaults);
    if (own) for (const k of TEMPLATE_TYPES) if (k !== own) delete merged[k];
    return merged;
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
    return hookExpressionHolds(hook, vars);
  }

  /** Runs the whole workflow: entrypoint, workflow hooks, exit handler (lifecycle.ts). */
  execute(): Promise<WorkflowStatus> {
    return executeWorkflow(this);
  }

  /** Runs an exit handler or lifecycle hook as a node of its own. */
  runHook(nodeName: string, hook: LifecycleHook, vars: Vars, boundaryId: string | undefined, isExit = false, scope = this.rootScope, depth = 1): Promise<NodeStatus> {
    return runHook(this, { nodeName, hook, vars, boundaryId, isExit, scope, depth });
  }

  /**
   * Argo's initializeNode display name: the node name without its boundary node's name and the
   * `[i].`/`.` that follows (`wf[0].step.onExit` -> `step.onExit`); the full name without a boundary.
   */
  displayNameOf(nodeName: string, boundaryId: string | undefined): string {
    const boundary = boundaryId ? this.nodes.get(boundaryId) : undefined;
    if (!boundary || !nodeName.startsWith(boundary.name)) return nodeName;
    return nodeName.slice(boundary.name.length).replace(/^(\[\d+\])?\./, "");
  }

  snapshot(): WorkflowStatus {
    const nodes: Record<string, NodeStatus> = {};
    for (const [id, n] of this.nodes) nodes[id] = n;
    return { ...this.status, nodes };
  }
}
