/**
 * The Kubernetes executor: each container/script node is a Pod in one namespace of a cluster (the
 * Cluster port). Status comes from one shared watch per namespace (pod-watch.ts); after the main
 * container ends, its log (followed once it has run a while, or read once) gives the live lines,
 * `result` and the output parameters (wrapper.ts). Per node: one create and one log read.
 *
 * Artifacts (artifact-plan.ts): an init container loads the inputs and a `wait` container stores the
 * outputs in the S3 repository, both from the Tiphys image; the `wait` container's log says what it
 * stored (one more log read per node with output artifacts).
 *
 * Differences from Argo, on purpose for now: `result` is the main container's log, which is stdout
 * and stderr together (Argo's is stdout only); podGC's labelSelector is not applied.
 */
import { ConfigError } from "../../../core/errors.js";
import type { Cluster, KubeObject } from "../../../core/ports/cluster.js";
import { parseDuration } from "../../model/durations.js";
import { RESULT_LIMIT_BYTES, type Executor, type PodRequest, type ProcessResult, type Sandbox } from "../types.js";
import { ArtifactPlanError, INIT_CONTAINER, parseSaveReport, planArtifacts, WAIT_CONTAINER, type ArtifactPlan, type ArtifactPodRequest, type ArtifactPodResult, type PodArtifactsOptions } from "./artifact-plan.js";
import { buildPod, PodSpecError } from "./pod-spec.js";
import { viewPod, type PodView } from "./pod-status.js";
import { PodWatch } from "./pod-watch.js";
import { OUTPUTS_MARKER, splitLog } from "./wrapper.js";

export type PodGCStrategy = "OnPodCompletion" | "OnPodSuccess" | "OnWorkflowCompletion" | "OnWorkflowSuccess";
const GC_STRATEGIES: readonly string[] = ["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"];

export interface KubernetesExecutorOptions {
  cluster: Cluster;
  /** Namespace of the Pods. Default `default`. */
  namespace?: string;
  /** Follow each main container's log while it runs (live lines). Default true; false reads it once at the end. */
  followLogs?: boolean;
  /**
   * With followLogs: start following a container's log once it has run this long (default 500 ms). A
   * step that ends sooner costs one log read on a kept-alive connection, not a stream of its own.
   */
  followAfterMs?: number;
  /** Shown once per run (e.g. that the cluster is a simulation). */
  warnings?: string[];
  /** The artifact repository for the Pods; without it a step with artifacts is an Error saying so. */
  artifacts?: PodArtifactsOptions;
}

interface Outcome {
  view: PodView | { kind: "deleted" } | { kind: "aborted" } | { kind: "watchFailed"; reason: string };
}

function podGCOf(spec: Record<string, unknown>): { strategy?: PodGCStrategy; delayMs: number } {
  const gc = (spec.podGC ?? {}) as { strategy?: string; deleteDelayDuration?: string };
  const strategy = gc.strategy && GC_STRATEGIES.includes(gc.strategy) ? (gc.strategy as PodGCStrategy) : undefined;
  let delayMs = 0;
  try {
    delayMs = gc.deleteDelayDuration ? parseDuration(gc.deleteDelayDuration, "podGC.deleteDelayDuration") : 0;
  } catch {
    delayMs = 0;
  }
  return { strategy, delayMs };
}

export class KubernetesExecutor implements Executor {
  readonly name = "kubernetes";
  readonly namespace: string;
  private readonly watches = new Map<string, PodWatch>();
  /** Pods of each workflow, for Stop and the OnWorkflow* podGC strategies. */
  private readonly podsByWorkflow = new Map<string, Set<string>>();
  private readonly gcTimers = new Map<string, { timer: NodeJS.Timeout; run: () => Promise<void> }>();
  private secretsReady: Promise<void> | undefined;

  constructor(private readonly opts: KubernetesExecutorOptions) {
    this.namespace = opts.namespace ?? "default";
  }

  get cluster(): Cluster {
    return this.opts.cluster;
  }

  warnings(): string[] {
    return this.opts.warnings ?? [];
  }

  createSandbox(): Promise<Sandbox> {
    return Promise.reject(new Error("the kubernetes executor runs whole pods (runPod), not host sandboxes"));
  }

  run(): Promise<ProcessResult> {
    return Promise.reject(new Error("the kubernetes executor runs whole pods (runPod), not host processes"));
  }

  private watchFor(namespace: string): PodWatch {
    let w = this.watches.get(namespace);
    if (!w) this.watches.set(namespace, (w = new PodWatch(this.opts.cluster, namespace)));
    return w;
  }

  /** The node's artifact plan; a string says why the Pod cannot be made. */
  private planFor(req: ArtifactPodRequest): ArtifactPlan | string | undefined {
    const arts = req.artifacts;
    if (!arts || arts.inputs.length + arts.outputs.length === 0) return undefined;
    if (!this.opts.artifacts) {
      const names = [...arts.inputs.map((a) => `inputs.artifacts.${a.name}`), ...arts.outputs.map((a) => `outputs.artifacts.${a.name}`)];
      return `no artifact repository is configured for the kubernetes executor (${names.join(", ")}): give --artifact-repository FILE, or use --cluster simulated`;
    }
    try {
      return planArtifacts(arts, req.podName, this.opts.artifacts);
    } catch (err) {
      if (err instanceof ArtifactPlanError || err instanceof ConfigError) return (err as Error).message;
      throw err;
    }
  }

  /** Creates the Secrets the artifact containers read (once; one that exists already is kept). */
  private ensureSecrets(): Promise<void> {
    this.secretsReady ??= (async () => {
      for (const s of this.opts.artifacts?.secrets ?? []) {
        const data = Object.fromEntries(Object.entries(s.stringData).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
        try {
          await this.opts.cluster.create({ apiVersion: "v1", kind: "Secret", metadata: { name: s.name, namespace: this.namespace, labels: { "app.kubernetes.io/managed-by": "tiphys" } }, type: "Opaque", data });
        } catch (err) {
          if ((err as { status?: number }).status !== 409) throw err;
        }
      }
    })();
    this.secretsReady.catch(() => (this.secretsReady = undefined));
    return this.secretsReady;
  }

  async runPod(req: ArtifactPodRequest, signal: AbortSignal): Promise<ArtifactPodResult> {
    const ns = this.namespace;
    let pod: KubeObject;
    const plan = this.planFor(req);
    if (typeof plan === "string") return { exitCode: null, startError: plan, outputsParameters: {} };
    try {
      pod = buildPod({ req, namespace: ns, workflowPodSpecPatch: req.workflow.spec.podSpecPatch as string | undefined, artifacts: plan && this.opts.artifacts ? { plan, opts: this.opts.artifacts } : undefined });
    } catch (err) {
      if (err instanceof PodSpecError) return { exitCode: null, startError: err.message, outputsParameters: {} };
      throw err;
    }
    if (plan) {
      try {
        await this.ensureSecrets();
      } catch (err) {
        return { exitCode: null, startError: `creating the artifact repository's secret in namespace ${ns}: ${(err as Error).message}`, outputsParameters: {} };
      }
    }
    const watch = this.watchFor(ns);
    try {
      await watch.ready();
    } catch (err) {
      return { exitCode: null, startError: `cannot watch pods in namespace ${ns} of cluster ${this.opts.cluster.name}: ${(err as Error).message}`, outputsParameters: {} };
    }
    const name = req.podName;
    const logs = new LogCollector(req, this.opts.followLogs !== false);
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (settle = r));
    let followTimer: NodeJS.Timeout | undefined;
    let last: KubeObject | undefined;
    const unobserve = watch.observe(name, (p) => {
      if (!p) return settle({ view: { kind: "deleted" } });
      last = p;
      const view = viewPod(p);
      if (view.kind === "started" && !followTimer) {
        followTimer = setTimeout(() => logs.start(this.opts.cluster, ns, name, signal), this.opts.followAfterMs ?? 500);
      }
      if (view.kind === "done" || view.kind === "cannotStart") settle({ view });
    });
    const onAbort = () => settle({ view: { kind: "aborted" } });
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      try {
        await this.opts.cluster.create(pod);
      } catch (err) {
        // A Tiphys restarted mid-run finds the node's Pod already there: adopt it, never start a second.
        if ((err as { status?: number }).status !== 409) {
          return { exitCode: null, startError: `creating pod ${name}: ${(err as Error).message}`, outputsParameters: {} };
        }
      }
      this.track(req.workflow.name, name);
      const { view } = await outcome;
      clearTimeout(followTimer);
      if (view.kind === "aborted" || view.kind === "deleted") {
        if (view.kind === "aborted") await this.deletePod(name);
        logs.stop();
        return { exitCode: null, message: view.kind === "deleted" ? `pod ${name} was deleted` : undefined, outputsParameters: {} };
      }
      if (view.kind === "cannotStart" || view.kind === "watchFailed") {
        logs.stop();
        await this.deletePod(name);
        return { exitCode: null, startError: view.reason, outputsParameters: {} };
      }
      if (view.kind !== "done") throw new Error(`pod ${name}: unexpected state ${view.kind}`);
      const loadFailure = plan && last ? initFailure(last) : undefined;
      if (loadFailure !== undefined) {
        logs.stop();
        this.collectAfterPod(req, name, false);
        return { exitCode: null, startError: loadFailure, outputsParameters: {} };
      }
      const text = await logs.finish(this.opts.cluster, ns, name, signal);
      const split = splitLog(text, req.outputParameterFiles);
      logs.flushUpTo(split.lines);
      const result: ArtifactPodResult = { exitCode: view.exitCode, outputsParameters: split.params, podIP: view.podIP };
      if (plan && plan.outputs.length > 0) Object.assign(result, await this.savedOutputs(name, signal));
      if (view.exitCode === null) result.message = view.message;
      else if (view.exitCode !== 0 && view.message) result.message = view.message;
      if (req.captureResult) {
        const out = split.lines.join("\n");
        result.result = out.length > RESULT_LIMIT_BYTES ? out.slice(-RESULT_LIMIT_BYTES) : out;
      }
      this.collectAfterPod(req, name, view.phase === "Succeeded" && view.exitCode === 0);
      return result;
    } finally {
      clearTimeout(followTimer);
      unobserve();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** What the `wait` container stored, from its log. */
  private async savedOutputs(pod: string, signal: AbortSignal): Promise<Pick<ArtifactPodResult, "outputArtifacts" | "artifactError">> {
    const log = await this.opts.cluster.logs({ namespace: this.namespace, name: pod, container: WAIT_CONTAINER }, { signal }).catch(() => "");
    const report = parseSaveReport(log);
    if (!report) {
      const tail = log.trim().split("\n").slice(-5).join("\n");
      return { artifactError: `failed to save outputs: the ${WAIT_CONTAINER} container reported nothing${tail ? `: ${tail}` : ""}` };
    }
    return { outputArtifacts: report.saved, ...(report.errors.length > 0 ? { artifactError: report.errors.join("; ") } : {}) };
  }

  private track(workflow: string, pod: string): void {
    let set = this.podsByWorkflow.get(workflow);
    if (!set) this.podsByWorkflow.set(workflow, (set = new Set()));
    set.add(pod);
  }

  private collectAfterPod(req: PodRequest, pod: string, succeeded: boolean): void {
    const gc = podGCOf(req.workflow.spec);
    if (gc.strategy === "OnPodCompletion" || (gc.strategy === "OnPodSuccess" && succeeded)) this.deleteLater(pod, gc.delayMs);
  }

  private deleteLater(pod: string, delayMs: number): void {
    if (delayMs <= 0) {
      void this.deletePod(pod);
      return;
    }
    const run = async () => {
      this.gcTimers.delete(pod);
      await this.deletePod(pod);
    };
    const timer = setTimeout(() => void run(), delayMs);
    timer.unref();
    this.gcTimers.set(pod, { timer, run });
  }

  private async deletePod(name: string): Promise<void> {
    try {
      await this.opts.cluster.delete({ apiVersion: "v1", kind: "Pod", namespace: this.namespace, name });
    } catch {
      // Best effort: a pod left behind is visible by its labels, and podGC can be run again.
    }
  }

  /**
   * The workflow finished: the OnWorkflowCompletion / OnWorkflowSuccess podGC strategies delete its
   * Pods now (after deleteDelayDuration).
   */
  async completeWorkflow(workflow: { name: string; spec: Record<string, unknown> }, phase: string): Promise<void> {
    const gc = podGCOf(workflow.spec);
    const pods = [...(this.podsByWorkflow.get(workflow.name) ?? [])];
    if (gc.strategy === "OnWorkflowCompletion" || (gc.strategy === "OnWorkflowSuccess" && phase === "Succeeded")) {
      for (const p of pods) this.deleteLater(p, gc.delayMs);
    }
    this.podsByWorkflow.delete(workflow.name);
  }

  /** Deletes every Pod this executor created for the workflow (a Stop or Terminate of the whole run). */
  async deleteWorkflowPods(workflow: string): Promise<void> {
    await Promise.all([...(this.podsByWorkflow.get(workflow) ?? [])].map((p) => this.deletePod(p)));
  }

  /** Stops the shared watches; pod deletions still waiting for their delay are done now. */
  async close(): Promise<void> {
    const pending = [...this.gcTimers.values()];
    this.gcTimers.clear();
    for (const p of pending) clearTimeout(p.timer);
    await Promise.all(pending.map((p) => p.run()));
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
  }
}

/** The artifact loader's failure message, when it failed (the pod then never ran its main container). */
function initFailure(pod: KubeObject): string | undefined {
  const st = (pod.status ?? {}) as { initContainerStatuses?: Array<{ name: string; state?: { terminated?: { exitCode?: number; message?: string } } }> };
  const term = st.initContainerStatuses?.find((c) => c.name === INIT_CONTAINER)?.state?.terminated;
  if (!term || term.exitCode === 0) return undefined;
  const lines = (term.message ?? "").trim().split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 ? lines[lines.length - 1] : `the artifact loader exited with code ${term.exitCode}`;
}

/**
 * The main container's log: followed from when it starts (lines go out live, the output section held
 * back), or read once after it ends.
 */
class LogCollector {
  private following: Promise<string | undefined> | undefined;
  private readonly abort = new AbortController();
  private partial = "";
  private emitted = 0;
  private holding = false;

  constructor(
    private readonly req: PodRequest,
    private readonly follow: boolean,
  ) {}

  start(cluster: Cluster, namespace: string, pod: string, signal: AbortSignal): void {
    if (!this.follow || this.following) return;
    const sig = AbortSignal.any([signal, this.abort.signal]);
    this.following = cluster
      .logs({ namespace, name: pod, container: "main" }, { follow: true, signal: sig, onData: (chunk) => this.onChunk(chunk) })
      .then(
        (text) => text,
        () => undefined,
      );
  }

  private onChunk(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      if (!this.holding && line === OUTPUTS_MARKER && this.req.outputParameterFiles.length > 0) this.holding = true;
      // The output section (and anything after it) is judged by splitLog once the log is complete.
      if (this.holding) continue;
      this.emitted++;
      this.req.onLine("stdout", line);
    }
  }

  /** The whole log once the container has ended: the followed text, else one read. */
  async finish(cluster: Cluster, namespace: string, pod: string, signal: AbortSignal): Promise<string> {
    const followed = this.following ? await this.following : undefined;
    if (followed !== undefined) return followed;
    return cluster.logs({ namespace, name: pod, container: "main" }, { signal }).catch(() => "");
  }

  /** Sends the user's lines not sent yet (all of them when the log was read at the end). */
  flushUpTo(lines: string[]): void {
    for (let i = this.emitted; i < lines.length; i++) this.req.onLine("stdout", lines[i]);
    this.emitted = lines.length;
  }

  stop(): void {
    this.abort.abort();
  }
}
