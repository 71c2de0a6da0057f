// A tiny in-memory cluster for the Rollout planner: it applies a plan's actions the way the cluster-side
// controller will (ReplicaSets, Service selectors, AnalysisRuns, the status), makes pods available when
// told to, and moves the clock. Enough to walk Argo's examples step by step without an API server.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYamlDocuments } from "../../../src/engine/model/load.js";
import { loadRollouts } from "../../../src/reconcilers/rollout/lint.js";
import { abortRollout, promoteRollout, retryRollout, undoRollout } from "../../../src/reconcilers/rollout/operations.js";
import { planRollout } from "../../../src/reconcilers/rollout/plan.js";
import type { AnalysisPhase, ObservedAnalysisRun, ObservedReplicaSet, ObservedService, PodTemplateSpec, Rollout, RolloutPlan } from "../../../src/reconcilers/rollout/index.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
export const CORPUS = join(repoRoot, "..", "shared", "corpus", "argo-rollouts");

export function corpusDocs(file: string) {
  return parseYamlDocuments(readFileSync(join(CORPUS, file), "utf8"), file);
}

export function corpusRollout(file: string): Rollout {
  return structuredClone(loadRollouts(corpusDocs(file)).rollouts[0].rollout);
}

export const T0 = Date.parse("2026-01-01T00:00:00Z");

export class Sim {
  rollout: Rollout;
  replicaSets = new Map<string, ObservedReplicaSet & { template?: PodTemplateSpec }>();
  services: Record<string, ObservedService> = {};
  runs: ObservedAnalysisRun[] = [];
  now = T0;
  /** Pods become available as soon as a ReplicaSet is scaled. */
  podsReady = true;
  plans: RolloutPlan[] = [];

  constructor(rollout: Rollout) {
    this.rollout = structuredClone(rollout);
    this.rollout.status = this.rollout.status ?? {};
    for (const svc of [rollout.spec.strategy.canary?.canaryService, rollout.spec.strategy.canary?.stableService, rollout.spec.strategy.blueGreen?.activeService, rollout.spec.strategy.blueGreen?.previewService]) {
      if (svc) this.services[svc] = {};
    }
  }

  get nowIso(): string {
    return new Date(this.now).toISOString();
  }

  plan(): RolloutPlan {
    return planRollout({ rollout: this.rollout, replicaSets: [...this.replicaSets.values()], services: this.services, analysisRuns: this.runs, now: this.nowIso });
  }

  apply(plan: RolloutPlan): void {
    for (const a of plan.actions) {
      switch (a.kind) {
        case "createReplicaSet": {
          const spec = a.replicaSet.spec as { template: PodTemplateSpec };
          this.replicaSets.set(a.name, { name: a.name, podTemplateHash: a.podTemplateHash, revision: a.revision, replicas: 0, status: { replicas: 0, readyReplicas: 0, availableReplicas: 0 }, creationTimestamp: this.nowIso, template: spec.template });
          break;
        }
        case "scaleReplicaSet": {
          const rs = this.replicaSets.get(a.name)!;
          rs.replicas = a.to;
          if (this.podsReady) rs.status = { replicas: a.to, readyReplicas: a.to, availableReplicas: a.to };
          else rs.status = { ...rs.status, replicas: a.to, availableReplicas: Math.min(rs.status?.availableReplicas ?? 0, a.to), readyReplicas: Math.min(rs.status?.readyReplicas ?? 0, a.to) };
          break;
        }
        case "setRevision":
          this.replicaSets.get(a.name)!.revision = a.revision;
          break;
        case "setScaleDownDeadline":
          this.replicaSets.get(a.name)!.scaleDownDeadline = a.deadline;
          break;
        case "removeScaleDownDeadline":
          delete this.replicaSets.get(a.name)!.scaleDownDeadline;
          break;
        case "deleteReplicaSet":
          this.replicaSets.delete(a.name);
          break;
        case "switchService":
          this.services[a.service] = { selector: a.to, managedBy: this.rollout.metadata.name };
          break;
        case "createAnalysisRun":
          this.runs.push({ name: a.run.name, phase: "Running" });
          break;
        case "terminateAnalysisRun": {
          const run = this.runs.find((r) => r.name === a.name)!;
          run.terminated = true;
          if (run.phase === "Running" || run.phase === "Pending") run.phase = "Successful";
          break;
        }
      }
    }
    this.rollout = { ...this.rollout, status: plan.status };
  }

  /** Plans and applies until the rollout waits for something other than its own writes. */
  settle(max = 60): RolloutPlan {
    for (let i = 0; i < max; i++) {
      const plan = this.plan();
      this.plans.push(plan);
      this.apply(plan);
      if (plan.next.kind !== "continue") return plan;
    }
    throw new Error(`no steady state after ${max} passes`);
  }

  /** Marks every ReplicaSet's pods available (after podsReady = false). */
  podsBecomeReady(): void {
    for (const rs of this.replicaSets.values()) rs.status = { replicas: rs.replicas, readyReplicas: rs.replicas, availableReplicas: rs.replicas };
  }

  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  setImage(image: string): void {
    const t = structuredClone(this.rollout.spec.template!);
    (t.spec!.containers as Array<{ image: string }>)[0].image = image;
    this.rollout = { ...this.rollout, spec: { ...this.rollout.spec, template: t }, metadata: { ...this.rollout.metadata, generation: (this.rollout.metadata.generation ?? 1) + 1 } };
  }

  promote(full = false): void {
    this.rollout = promoteRollout(this.rollout, { full }).rollout;
  }
  abort(): void {
    this.rollout = abortRollout(this.rollout).rollout;
  }
  retry(): void {
    this.rollout = retryRollout(this.rollout).rollout;
  }
  undo(toRevision?: number): string {
    const r = undoRollout(this.rollout, [...this.replicaSets.values()], { toRevision });
    this.rollout = { ...r.rollout, metadata: { ...r.rollout.metadata, generation: (r.rollout.metadata.generation ?? 1) + (r.changed ? 1 : 0) } };
    return r.message;
  }

  setRun(name: string, phase: AnalysisPhase, message?: string): void {
    const run = this.runs.find((r) => r.name === name);
    if (!run) throw new Error(`no run ${name}; runs: ${this.runs.map((r) => r.name).join(", ")}`);
    run.phase = phase;
    if (message) run.message = message;
  }

  /** spec.replicas of the ReplicaSet running an image, by the image's tag. */
  byImage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const rs of this.replicaSets.values()) {
      const image = String((rs.template?.spec?.containers as Array<{ image: string }> | undefined)?.[0]?.image ?? "?");
      out[image.slice(image.lastIndexOf(":") + 1)] = rs.replicas;
    }
    return out;
  }

  hashOfImage(tag: string): string {
    for (const rs of this.replicaSets.values()) {
      const image = String((rs.template?.spec?.containers as Array<{ image: string }> | undefined)?.[0]?.image ?? "");
      if (image.endsWith(`:${tag}`)) return rs.podTemplateHash;
    }
    throw new Error(`no ReplicaSet runs ${tag}`);
  }
}
