/**
 * One reconciliation of a Rollout, as values: the ReplicaSets (new, stable, others), the Services, the
 * AnalysisRuns, the pause context, and the helpers Argo Rollouts' controller shares between canary and
 * blue-green (`rollout/sync.go`, `rollout/replicaset.go`, `rollout/service.go`, `rollout/analysis.go`).
 * Every write becomes an action; the objects here are updated as if it had been applied, as Argo's
 * informer cache is, so later steps of the same pass see it.
 */
import { computePodTemplateHash } from "./hash.js";
import { podTemplateEqualIgnoreHash } from "./template-equal.js";
import type { AnalysisRunRequest, AnalysisRunType, ObservedAnalysisRun, ObservedService, PlanInput, RolloutAction, RolloutEvent } from "./plan-types.js";
import { replicasOf } from "./replicas.js";
import { rolloutAnalysisArgs } from "./analysis-run.js";
import { MESSAGES, PauseContext, REASONS, getCondition, newCondition, pauseConditionOf, rfc3339, setCondition } from "./status.js";
import type { KubeObject, PauseReason, PodTemplateSpec, Rollout, RolloutAnalysis, RolloutAnalysisRunStatus, RolloutSpec, RolloutStatus } from "./types.js";
import { DESIRED_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, isCompleted } from "./types.js";

/** A ReplicaSet during planning: spec.replicas and the deadline change as actions are planned. */
export interface RSView {
  name: string;
  hash: string;
  revision: number;
  replicas: number;
  status: { replicas: number; readyReplicas: number; availableReplicas: number };
  scaleDownDeadline?: string;
  creationTimestamp?: string;
  /** spec.template, for finding the new ReplicaSet by template. */
  template?: PodTemplateSpec;
  deleted?: boolean;
}

export type RunSlot = "step" | "background" | "pre" | "post";

const msOf = (t: string | Date): number => (typeof t === "string" ? Date.parse(t) : t.getTime());
/** Creation time in ms (0 when unknown), for ordering ReplicaSets as Argo does. */
const created = (rs: { creationTimestamp?: string }): number => (rs.creationTimestamp ? Date.parse(rs.creationTimestamp) : 0);

export class Pass {
  readonly ro: Rollout;
  readonly spec: RolloutSpec;
  /** The Rollout's status as this pass found it (Argo's c.rollout.Status); checkPausedConditions edits its conditions. */
  readonly prev: RolloutStatus;
  readonly now: number;
  readonly nowIso: string;
  readonly hash: string;
  readonly replicas: number;
  allRSs: RSView[];
  newRS?: RSView;
  stableRS?: RSView;
  readonly services: Map<string, ObservedService>;
  readonly runs: ObservedAnalysisRun[];
  /** Argo's c.currentArs: the runs the status names, then (setCurrentRuns) the ones this pass keeps. */
  currentArs: Partial<Record<RunSlot, ObservedAnalysisRun>>;
  /** The runs written into the new status. */
  newArs: Partial<Record<RunSlot, ObservedAnalysisRun>> = {};
  readonly pause: PauseContext;

  constructor(
    input: PlanInput,
    readonly actions: RolloutAction[],
    readonly events: RolloutEvent[],
  ) {
    this.ro = input.rollout;
    this.spec = input.rollout.spec;
    this.prev = structuredClone(input.rollout.status ?? {});
    this.now = msOf(input.now);
    this.nowIso = rfc3339(this.now);
    if (!this.spec.template) throw new Error(`Rollout ${this.ro.metadata.name} has no pod template: resolve its workloadRef first`);
    this.hash = computePodTemplateHash(this.spec.template, this.prev.collisionCount);
    this.replicas = replicasOf(this.spec);
    const byAge = [...input.replicaSets].sort((a, b) => created(a) - created(b) || a.name.localeCompare(b.name));
    this.allRSs = byAge.map((rs) => ({
      name: rs.name,
      hash: rs.podTemplateHash,
      revision: rs.revision ?? 0,
      replicas: rs.replicas,
      status: { replicas: rs.status?.replicas ?? 0, readyReplicas: rs.status?.readyReplicas ?? 0, availableReplicas: rs.status?.availableReplicas ?? 0 },
      scaleDownDeadline: rs.scaleDownDeadline,
      creationTimestamp: rs.creationTimestamp,
      template: rs.template,
    }));
    // FindNewReplicaSet: by name (the hash), else the oldest whose template is equal ignoring the hash
    // (an undo copies a ReplicaSet's template, defaults filled in by the server, back into the Rollout).
    const template = this.spec.template;
    const equal = byAge.find((rs) => rs.template !== undefined && podTemplateEqualIgnoreHash(rs.template, template));
    this.newRS = this.allRSs.find((rs) => rs.hash === this.hash) ?? (equal ? this.allRSs.find((rs) => rs.name === equal.name) : undefined);
    this.stableRS = this.prev.stableRS ? this.allRSs.find((rs) => rs.hash === this.prev.stableRS) : undefined;
    this.services = new Map(Object.entries(input.services ?? {}).map(([k, v]) => [k, { ...v }]));
    this.runs = (input.analysisRuns ?? []).map((r) => ({ ...r }));
    const byName = (s?: RolloutAnalysisRunStatus): ObservedAnalysisRun | undefined => (s ? this.runs.find((r) => r.name === s.name) : undefined);
    this.currentArs = {
      step: byName(this.prev.canary?.currentStepAnalysisRunStatus),
      background: byName(this.prev.canary?.currentBackgroundAnalysisRunStatus),
      pre: byName(this.prev.blueGreen?.prePromotionAnalysisRunStatus),
      post: byName(this.prev.blueGreen?.postPromotionAnalysisRunStatus),
    };
    this.pause = new PauseContext(this.prev);
  }

  get name(): string {
    return this.ro.metadata.name;
  }
  get otherRSs(): RSView[] {
    return this.allRSs.filter((rs) => rs !== this.newRS && rs !== this.stableRS && !rs.deleted);
  }
  get liveRSs(): RSView[] {
    return this.allRSs.filter((rs) => !rs.deleted);
  }
  /** MaxRevision of the ReplicaSets other than the new one. */
  get maxOldRevision(): number {
    return Math.max(0, ...this.allRSs.filter((rs) => rs !== this.newRS).map((rs) => rs.revision));
  }
  get revision(): number {
    return this.newRS?.revision ?? this.maxOldRevision + 1;
  }
  event(reason: string, message: string, type: "Normal" | "Warning" = "Normal"): void {
    this.events.push({ type, reason, message });
  }
  rsByHash(hash: string | undefined): RSView | undefined {
    return hash ? this.liveRSs.find((rs) => rs.hash === hash) : undefined;
  }

  // ---------------------------------------------------------------- ReplicaSets

  /** getAllReplicaSetsAndSyncRevision: sync the new ReplicaSet's revision, or create it (0 replicas) when asked. */
  syncNewReplicaSet(create: boolean): void {
    const revision = this.maxOldRevision + 1;
    if (this.newRS) {
      if (this.newRS.revision < revision) {
        this.newRS.revision = revision;
        this.actions.push({ kind: "setRevision", name: this.newRS.name, revision });
      }
      if (!getCondition(this.prev, "Progressing")) {
        setCondition(this.prev, newCondition("Progressing", "True", REASONS.foundNewReplicaSet, MESSAGES.foundNewReplicaSet(this.newRS.name), this.nowIso));
      }
      return;
    }
    if (!create) return;
    const name = `${this.name}-${this.hash}`;
    const template = structuredClone(this.spec.template!);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: this.hash } };
    const selector = structuredClone(this.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: this.hash };
    const replicaSet: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        ...(this.ro.metadata.namespace ? { namespace: this.ro.metadata.namespace } : {}),
        labels: { ...template.metadata.labels },
        annotations: { [REVISION_ANNOTATION]: String(revision), [DESIRED_REPLICAS_ANNOTATION]: String(this.replicas) },
        ownerReferences: [{ apiVersion: this.ro.apiVersion, kind: "Rollout", name: this.name, uid: this.ro.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas: 0, minReadySeconds: this.spec.minReadySeconds ?? 0, selector, template },
    };
    this.actions.push({ kind: "createReplicaSet", name, podTemplateHash: this.hash, revision, replicaSet });
    this.newRS = { name, hash: this.hash, revision, replicas: 0, status: { replicas: 0, readyReplicas: 0, availableReplicas: 0 }, creationTimestamp: this.nowIso, template };
    this.allRSs.push(this.newRS);
    this.event("NewReplicaSetCreated", `Created ReplicaSet ${name} (revision ${revision})`);
    setCondition(this.prev, newCondition("Progressing", "True", REASONS.newReplicaSetCreated, MESSAGES.newReplicaSet(name), this.nowIso));
  }

  /** scaleReplicaSetAndRecordEvent; scaling to 0 also drops a scale-down deadline (unless an abort delays it). */
  scale(rs: RSView, to: number): boolean {
    if (rs.replicas === to) return false;
    this.actions.push({ kind: "scaleReplicaSet", name: rs.name, from: rs.replicas, to });
    this.event("ScalingReplicaSet", `Scaled ${rs.replicas < to ? "up" : "down"} ReplicaSet ${rs.name} (revision ${rs.revision}) from ${rs.replicas} to ${to}`);
    rs.replicas = to;
    if (to === 0 && rs.scaleDownDeadline && !this.shouldDelayScaleDownOnAbort()) {
      this.actions.push({ kind: "removeScaleDownDeadline", name: rs.name });
      rs.scaleDownDeadline = undefined;
    }
    return true;
  }

  setScaleDownDeadline(rs: RSView, delaySeconds: number): void {
    const deadline = rfc3339(this.now + delaySeconds * 1000);
    this.actions.push({ kind: "setScaleDownDeadline", name: rs.name, deadline });
    rs.scaleDownDeadline = deadline;
  }

  removeScaleDownDeadline(rs: RSView | undefined): void {
    if (!rs?.scaleDownDeadline) return;
    this.actions.push({ kind: "removeScaleDownDeadline", name: rs.name });
    rs.scaleDownDeadline = undefined;
  }

  /** removeScaleDownDeadlines: the new and stable ReplicaSets keep no deadline (moving back to a delayed one cancels it). */
  removeScaleDownDeadlines(): void {
    if (this.newRS && !this.shouldDelayScaleDownOnAbort()) this.removeScaleDownDeadline(this.newRS);
    if (this.stableRS && this.stableRS !== this.newRS) this.removeScaleDownDeadline(this.stableRS);
  }

  /** shouldDelayScaleDownOnAbort: blue-green (and traffic-routed canary) keep the aborted pods for abortScaleDownDelaySeconds. */
  shouldDelayScaleDownOnAbort(): boolean {
    if (!this.pause.isAborted() || !this.stableRS) return false;
    if (this.spec.strategy.canary) return false; // a basic canary scales the canary down at once
    return this.abortScaleDownDelaySeconds() !== undefined;
  }

  /** GetAbortScaleDownDelaySecondsOrDefault for blue-green: 30 by default; 0 means never (undefined). */
  abortScaleDownDelaySeconds(): number | undefined {
    const v = this.spec.strategy.blueGreen?.abortScaleDownDelaySeconds ?? 30;
    return v === 0 ? undefined : v;
  }

  /** reconcileRevisionHistoryLimit: delete the oldest scaled-down other ReplicaSets beyond the limit. */
  cleanupRevisionHistory(): void {
    const cleanable = this.otherRSs;
    const diff = cleanable.length - (this.spec.revisionHistoryLimit ?? 10);
    for (const rs of cleanable.slice(0, Math.max(0, diff))) {
      if (rs.status.replicas !== 0 || rs.replicas !== 0) continue;
      this.actions.push({ kind: "deleteReplicaSet", name: rs.name });
      rs.deleted = true;
    }
  }

  /** haltProgress: spec.paused or an inconclusive analysis stops replica changes. */
  haltProgress(): string {
    if (this.spec.paused) return "user paused";
    if (pauseConditionOf(this.prev, "InconclusiveAnalysisRun")) return "inconclusive analysis";
    return "";
  }

  /** isRollbackWithinWindow: the new ReplicaSet is older than the stable and within rollbackWindow.revisions. */
  isRollbackWithinWindow(): boolean {
    const { newRS, stableRS } = this;
    const window = this.spec.rollbackWindow?.revisions ?? 0;
    if (!newRS || !stableRS || window <= 0 || !newRS.creationTimestamp || !stableRS.creationTimestamp) return false;
    if (!(created(newRS) < created(stableRS))) return false;
    const between = this.allRSs.filter((rs) => rs.creationTimestamp && created(rs) < created(stableRS) && created(newRS) < created(rs)).length;
    return between < window;
  }

  // ---------------------------------------------------------------- Services

  /** switchServiceSelector: patch the Service unless it already selects the hash and is managed. */
  switchService(service: string, hash: string): void {
    const svc = this.services.get(service) ?? {};
    if (svc.selector === hash && svc.managedBy) return;
    this.actions.push({ kind: "switchService", service, ...(svc.selector !== undefined ? { from: svc.selector } : {}), to: hash, addManagedBy: !svc.managedBy });
    this.event("SwitchService", `Switched selector for service '${service}' from '${svc.selector ?? ""}' to '${hash}'`);
    this.services.set(service, { selector: hash, managedBy: svc.managedBy ?? this.name });
  }

  /** ensureSVCTargets: point a Service at a ReplicaSet once it has available pods (all of them when adopting the Service). */
  ensureServiceTargets(service: string | undefined, rs: RSView | undefined, checkAvailability: boolean): void {
    if (!rs || !service) return;
    const svc = this.services.get(service) ?? {};
    if (svc.selector === rs.hash) return;
    if (!svc.managedBy && checkAvailability && !(rs.replicas !== 0 && rs.status.availableReplicas !== 0 && rs.replicas <= rs.status.availableReplicas)) return;
    if (checkAvailability && rs.status.availableReplicas <= 0) return;
    this.switchService(service, rs.hash);
  }

  serviceSelector(service: string | undefined): string {
    return service ? (this.services.get(service)?.selector ?? "") : "";
  }

  // ---------------------------------------------------------------- AnalysisRuns

  cancelRuns(runs: ReadonlyArray<ObservedAnalysisRun | undefined>): void {
    for (const run of runs) {
      if (!run || run.terminated || isCompleted(run.phase)) continue;
      this.actions.push({ kind: "terminateAnalysisRun", name: run.name });
      run.terminated = true;
    }
  }

  /** needsNewAnalysisRun: none yet, a paused inconclusive one to replace, or an abort to retry after. */
  needsNewRun(current: ObservedAnalysisRun | undefined): boolean {
    if (!current) return true;
    if (this.prev.controllerPause && !pauseConditionOf(this.prev, "BlueGreenPause")) return current.phase === "Inconclusive";
    return this.prev.abortedAt !== undefined;
  }

  /** createAnalysisRun: `<rollout>-<hash>-<revision>[-<infix>]`, `.1`, `.2` … on a name taken by another run. */
  createRun(type: AnalysisRunType, analysis: RolloutAnalysis, infix: string, stepIndex?: number): ObservedAnalysisRun {
    const hash = this.newRS!.hash;
    const base = [this.name, hash, String(this.revision), ...(infix ? [infix] : [])].join("-");
    let name = base;
    for (let n = 1; ; n++) {
      const taken = this.runs.find((r) => r.name === name);
      if (!taken) break;
      if (!isCompleted(taken.phase) && !taken.terminated) return taken;
      name = `${base}.${n}`;
    }
    const labels: Record<string, string> = { [POD_TEMPLATE_HASH_LABEL]: hash, "rollout-type": type, ...(stepIndex !== undefined ? { "step-index": String(stepIndex) } : {}) };
    Object.assign(labels, analysis.analysisRunMetadata?.labels ?? {}, this.spec.selector?.matchLabels ?? {});
    const annotations = { [REVISION_ANNOTATION]: String(this.revision), ...(analysis.analysisRunMetadata?.annotations ?? {}) };
    const args = rolloutAnalysisArgs(analysis.args, this.ro, { stable: this.stableRS?.hash, latest: hash });
    const run: AnalysisRunRequest = { name, type, ...(stepIndex !== undefined ? { stepIndex } : {}), analysis, args, labels, annotations };
    this.actions.push({ kind: "createAnalysisRun", run });
    const created: ObservedAnalysisRun = { name, phase: "Pending" };
    this.runs.push(created);
    return created;
  }

  /** A run's Failed/Error aborts, Inconclusive pauses (setPauseOrAbort). */
  pauseOrAbortFor(run: ObservedAnalysisRun | undefined): void {
    if (!run) return;
    if (run.phase === "Inconclusive") this.pause.add.push("InconclusiveAnalysisRun");
    else if (run.phase === "Failed" || run.phase === "Error") this.pause.abort(run.message ?? "");
  }

  /** SetCurrentAnalysisRuns. */
  setCurrentRuns(runs: Partial<Record<RunSlot, ObservedAnalysisRun>>): void {
    this.currentArs = { ...runs };
    this.newArs = { ...runs };
  }

  /** Cancel every run but the current ones (reconcileAnalysisRuns' otherArs). */
  cancelOtherRuns(): void {
    const current = new Set(Object.values(this.newArs).map((r) => r?.name));
    this.cancelRuns(this.runs.filter((r) => !current.has(r.name)));
  }

  pauseCondition(reason: PauseReason) {
    return pauseConditionOf(this.prev, reason);
  }

  /** The cluster as it will be once this pass's actions are applied (pods not yet started). */
  observedAfter(): Pick<PlanInput, "replicaSets" | "services" | "analysisRuns"> {
    return {
      replicaSets: this.liveRSs.map((rs) => ({
        name: rs.name,
        podTemplateHash: rs.hash,
        revision: rs.revision,
        replicas: rs.replicas,
        status: { ...rs.status },
        ...(rs.scaleDownDeadline ? { scaleDownDeadline: rs.scaleDownDeadline } : {}),
        ...(rs.creationTimestamp ? { creationTimestamp: rs.creationTimestamp } : {}),
        ...(rs.template ? { template: rs.template } : {}),
      })),
      services: Object.fromEntries(this.services),
      analysisRuns: this.runs.map((r) => ({ ...r })),
    };
  }
}
