/**
 * Replica counts as Argo Rollouts computes them: the canary weight of the current step
 * (`utils/replicaset/canary.go` GetCurrentCanaryStep, GetCurrentSetWeight, GetCanaryReplicasOrWeight),
 * the basic canary's replica ratio with its maxSurge/maxUnavailable path
 * (CalculateReplicaCountsForBasicCanary, approximateWeightedCanaryStableReplicaCounts), the traffic-routed
 * counts (CalculateReplicaCountsForTrafficRoutedCanary), the fenceposts (`utils/replicaset/replicaset.go`
 * MaxSurge, MaxUnavailable, resolveFenceposts) and a blue-green new ReplicaSet's size (NewRSNewReplicas).
 * Pure functions of numbers; the float steps are the same IEEE operations Go does, so ties round alike.
 */
import type { CanaryStep, IntOrString, Rollout, RolloutSpec, RolloutStatus, SetCanaryScale } from "./types.js";

export const DEFAULT_REPLICAS = 1;
export const DEFAULT_MAX_SURGE = "25";
export const DEFAULT_MAX_UNAVAILABLE = "25";

/**
 * Kubernetes' legacy `intstr.GetValueFromIntOrPercent`, which Argo Rollouts calls: an int is taken as is;
 * any string is a percentage once its `%` signs are removed ("25%" and "25" both mean 25%), scaled to
 * `total` and rounded up (maxSurge) or down (maxUnavailable). Throws on a string that is not a number.
 */
export function valueFromIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === "number") return Math.trunc(value);
  const digits = value.replaceAll("%", "");
  if (!/^[+-]?\d+$/.test(digits)) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  const pct = Number(digits);
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}

export interface Fenceposts {
  maxSurge: number;
  maxUnavailable: number;
}

/** resolveFenceposts: when both round to 0, maxUnavailable becomes 1 (surge might not fit a quota). */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): Fenceposts {
  let surge: number;
  let unavailable: number;
  try {
    surge = valueFromIntOrPercent(maxSurge ?? 0, desired, true);
    unavailable = valueFromIntOrPercent(maxUnavailable ?? 0, desired, false);
  } catch {
    // Argo: "Error caught by validation"; the controller itself falls back to zeros.
    return { maxSurge: 0, maxUnavailable: 0 };
  }
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: unavailable };
}

export const replicasOf = (spec: RolloutSpec): number => spec.replicas ?? DEFAULT_REPLICAS;

/** MaxSurge and MaxUnavailable of a Rollout (defaults 25% and 25%; maxUnavailable capped at replicas). */
export function fencepostsOf(spec: RolloutSpec): Fenceposts {
  const replicas = replicasOf(spec);
  const canary = spec.strategy.canary;
  const surgeSetting = canary?.maxSurge ?? DEFAULT_MAX_SURGE;
  const unavailableSetting = spec.strategy.blueGreen?.maxUnavailable ?? canary?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
  let maxSurge = 0;
  let maxUnavailable: number;
  if (canary) {
    const f = resolveFenceposts(surgeSetting, unavailableSetting, replicas);
    maxSurge = f.maxSurge;
    maxUnavailable = f.maxUnavailable;
  } else {
    try {
      maxUnavailable = valueFromIntOrPercent(unavailableSetting, replicas, false);
    } catch {
      maxUnavailable = 0;
    }
  }
  if (replicas === 0) maxUnavailable = 0;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

// ---------------------------------------------------------------- current step and weight

/** GetCurrentCanaryStep: the step at status.currentStepIndex (0 when unset); undefined past the last step. */
export function currentCanaryStep(spec: RolloutSpec, status: RolloutStatus | undefined): { step?: CanaryStep; index?: number } {
  const steps = spec.strategy.canary?.steps ?? [];
  if (!spec.strategy.canary || steps.length === 0) return {};
  const index = status?.currentStepIndex ?? 0;
  return index >= steps.length ? { index } : { step: steps[index], index };
}

/** GetCurrentSetWeight: 0 when aborted, 100 past the last step, else the last setWeight at or before the step. */
export function currentSetWeight(spec: RolloutSpec, status: RolloutStatus | undefined): number {
  if (status?.abort) return 0;
  const { step, index } = currentCanaryStep(spec, status);
  if (!step || index === undefined) return 100;
  const steps = spec.strategy.canary?.steps ?? [];
  for (let i = index; i >= 0; i--) {
    const w = steps[i]?.setWeight;
    if (w !== undefined) return w;
  }
  return 0;
}

/**
 * UseSetCanaryScale: the setCanaryScale in force, only with a traffic router; `matchTrafficWeight` ends it,
 * and an abort ends it unless abortScaleDownDelaySeconds is 0.
 */
export function setCanaryScaleInForce(spec: RolloutSpec, status: RolloutStatus | undefined): SetCanaryScale | undefined {
  const canary = spec.strategy.canary;
  if (!canary || canary.trafficRouting === undefined || canary.trafficRouting === null) return undefined;
  if (status?.abort && canary.abortScaleDownDelaySeconds !== 0) return undefined;
  const { step, index } = currentCanaryStep(spec, status);
  if (!step || index === undefined) return undefined;
  const steps = canary.steps ?? [];
  for (let i = index; i >= 0; i--) {
    const scs = steps[i]?.setCanaryScale;
    if (!scs) continue;
    return scs.matchTrafficWeight ? undefined : scs;
  }
  return undefined;
}

/** GetCanaryReplicasOrWeight: explicit canary replicas, or the weight (100 when promoting fully or fully promoted). */
export function canaryReplicasOrWeight(spec: RolloutSpec, status: RolloutStatus | undefined): { replicas?: number; weight: number } {
  const st = status ?? {};
  if (st.promoteFull || !st.stableRS || st.currentPodHash === st.stableRS) return { weight: 100 };
  const scs = setCanaryScaleInForce(spec, st);
  if (scs?.replicas !== undefined) return { replicas: scs.replicas, weight: 0 };
  if (scs?.weight !== undefined) return { weight: scs.weight };
  return { weight: currentSetWeight(spec, st) };
}

// ---------------------------------------------------------------- basic canary

/** A ReplicaSet as the replica math sees it: its name, spec.replicas and status.availableReplicas. */
export interface ReplicaSetCounts {
  name: string;
  replicas: number;
  availableReplicas: number;
}

const floorCeilingTied = (weight: number, total: number): boolean => {
  const x = total * (weight / 100);
  return x - Math.trunc(x) === 0.5;
};
const weightDelta = (weight: number, canary: number, total: number): number => Math.abs((canary * 100) / total - weight);

/**
 * approximateWeightedCanaryStableReplicaCounts: the (canary, stable) counts whose ratio is closest to
 * `weight`, over totals of replicas and (when surge is allowed) replicas+1. A weight of 1–99 never
 * rounds the canary to 0 when two pods are possible; a tie (x.5) goes to the larger canary.
 */
export function approximateCanaryStableCounts(replicas: number, weight: number, maxSurge: number): [canary: number, stable: number] {
  if (replicas === 0) return [0, 0];
  const options: Array<[number, number]> = [];
  const ceil = Math.ceil((replicas * weight) / 100);
  const floor = Math.floor((replicas * weight) / 100);
  const tied = floorCeilingTied(weight, replicas);
  const zeroAllowed = weight === 100 || weight === 0 || (replicas === 1 && maxSurge === 0);
  if (ceil < replicas || zeroAllowed) options.push([ceil, replicas]);
  if (!tied && (floor !== 0 || zeroAllowed)) options.push([floor, replicas]);
  if (maxSurge > 0) {
    options.push([ceil, replicas + 1]);
    if (!floorCeilingTied(weight, replicas + 1) && (floor !== 0 || zeroAllowed)) options.push([floor, replicas + 1]);
  }
  if (options.length === 0) return [0, replicas]; // Argo: "should not get here"
  let best = options[0];
  let bestDelta = weightDelta(weight, best[0], best[1]);
  for (const opt of options.slice(1)) {
    const d = weightDelta(weight, opt[0], opt[1]);
    if (d < bestDelta) {
      best = opt;
      bestDelta = d;
    }
  }
  return [best[0], best[1] - best[0]];
}

/** GetReplicasForScaleDown: replicas a ReplicaSet may give up, by availability unless told to ignore it. */
export function replicasForScaleDown(rs: ReplicaSetCounts | undefined, ignoreAvailability: boolean): number {
  if (!rs) return 0;
  if (rs.replicas < rs.availableReplicas) return rs.replicas;
  return ignoreAvailability ? rs.replicas : rs.availableReplicas;
}

/** CheckStableRSExists: a stable ReplicaSet that is not the new one. */
export const stableExists = (newRS: ReplicaSetCounts | undefined, stableRS: ReplicaSetCounts | undefined): stableRS is ReplicaSetCounts =>
  stableRS !== undefined && (newRS === undefined || newRS.name !== stableRS.name);

export interface BasicCanaryInput {
  replicas: number;
  /** The desired canary weight (canaryReplicasOrWeight). */
  weight: number;
  maxSurge: number;
  maxUnavailable: number;
  newRS?: ReplicaSetCounts;
  stableRS?: ReplicaSetCounts;
  /** Every other ReplicaSet of the Rollout. */
  otherRSs: ReplicaSetCounts[];
}

function calculateScaleDownReplicaCount(drainRS: ReplicaSetCounts | undefined, desired: number, scaleDownCount: number, current: number): number {
  if (drainRS && drainRS.replicas > desired) return Math.max(desired, drainRS.replicas - scaleDownCount);
  return current;
}

/** adjustReplicaWithinLimits: keep the pair within maxSurge, giving back availability lost to it. */
function adjustReplicaWithinLimits(
  drainRS: ReplicaSetCounts | undefined,
  adjustRS: ReplicaSetCounts | undefined,
  drainCount: number,
  adjustCount: number,
  maxAllowed: number,
  minAvailable: number,
): [drain: number, adjust: number] {
  let overTheLimit = Math.max(0, adjustCount + drainCount - maxAllowed);
  let totalAvailable = 0;
  if (drainRS) totalAvailable += Math.min(drainRS.availableReplicas, drainCount);
  if (adjustRS) {
    adjustCount -= overTheLimit;
    totalAvailable += Math.min(adjustRS.availableReplicas, adjustCount);
    const extraAvailable = Math.max(0, adjustRS.availableReplicas - adjustCount);
    const moreNeeded = Math.max(0, minAvailable - totalAvailable);
    adjustCount += Math.min(extraAvailable, moreNeeded);
    overTheLimit = Math.max(0, adjustCount + drainCount - maxAllowed);
    drainCount -= overTheLimit;
  }
  return [drainCount, adjustCount];
}

/**
 * CalculateReplicaCountsForBasicCanary: the next replica counts of the new (canary) and stable
 * ReplicaSets on the way to the weight, within maxSurge (scale-up budget, stable first) and
 * maxUnavailable (scale-down budget); older ReplicaSets are scaled down before new or stable.
 */
export function basicCanaryReplicaCounts(input: BasicCanaryInput): { canary: number; stable: number } {
  const { replicas, newRS, stableRS, otherRSs, maxSurge, maxUnavailable } = input;
  let [desiredNew, desiredStable] = approximateCanaryStableCounts(replicas, input.weight, maxSurge);
  let newCount = newRS ? newRS.replicas : 0;
  let stableCount = 0;
  const scaleStable = stableExists(newRS, stableRS);
  if (scaleStable) stableCount = stableRS.replicas;
  else {
    // No stable (or the stable is the new one): no steps, the new ReplicaSet goes to 100%.
    desiredNew = replicas;
    desiredStable = 0;
  }
  const maxAllowed = replicas + maxSurge;
  const all = [...otherRSs, ...(newRS ? [newRS] : []), ...(scaleStable ? [stableRS] : [])];
  let scaleUp = maxAllowed - all.reduce((n, rs) => n + rs.replicas, 0);

  if (scaleStable && stableRS.replicas < desiredStable && scaleUp > 0) {
    if (stableRS.replicas + scaleUp < desiredStable) {
      stableCount = stableRS.replicas + scaleUp;
      scaleUp = 0;
    } else {
      stableCount = desiredStable;
      scaleUp -= desiredStable - stableRS.replicas;
    }
  }
  if (newRS && newRS.replicas < desiredNew && scaleUp > 0) {
    newCount = newRS.replicas + scaleUp < desiredNew ? newRS.replicas + scaleUp : desiredNew;
  }
  if (otherRSs.reduce((n, rs) => n + rs.replicas, 0) > 0) return { canary: newCount, stable: stableCount };

  const minAvailable = replicas - maxUnavailable;
  // Increasing the canary: the stable's availability may be ignored; decreasing (abort): the canary's.
  const increasing = newRS === undefined || desiredNew >= newRS.replicas;
  const toScaleDown = replicasForScaleDown(newRS, !increasing) + replicasForScaleDown(scaleStable ? stableRS : undefined, increasing);
  if (toScaleDown <= minAvailable) return { canary: newCount, stable: stableCount };
  const scaleDown = toScaleDown - minAvailable;
  if (!increasing) {
    newCount = calculateScaleDownReplicaCount(newRS, desiredNew, scaleDown, newCount);
    [newCount, stableCount] = adjustReplicaWithinLimits(newRS, scaleStable ? stableRS : undefined, newCount, stableCount, maxAllowed, minAvailable);
  } else if (scaleStable) {
    stableCount = calculateScaleDownReplicaCount(stableRS, desiredStable, scaleDown, stableCount);
    [stableCount, newCount] = adjustReplicaWithinLimits(stableRS, newRS, stableCount, newCount, maxAllowed, minAvailable);
  }
  return { canary: newCount, stable: stableCount };
}

/** The basic canary counts for a Rollout's current spec and status. */
export function basicCanaryCountsFor(ro: Pick<Rollout, "spec" | "status">, rs: Pick<BasicCanaryInput, "newRS" | "stableRS" | "otherRSs">): { canary: number; stable: number } {
  const { maxSurge, maxUnavailable } = fencepostsOf(ro.spec);
  const { weight } = canaryReplicasOrWeight(ro.spec, ro.status);
  return basicCanaryReplicaCounts({ replicas: replicasOf(ro.spec), weight, maxSurge, maxUnavailable, ...rs });
}

// ---------------------------------------------------------------- traffic-routed canary

/** trafficWeightToReplicas: ceil(weight × replicas / 100). */
export const trafficWeightToReplicas = (replicas: number, weight: number): number => Math.ceil((weight * replicas) / 100);

export interface TrafficRoutedInput {
  replicas: number;
  /** canaryReplicasOrWeight of the Rollout. */
  canaryReplicas?: number;
  weight: number;
  dynamicStableScale?: boolean;
  minPodsPerReplicaSet?: number;
  abort?: boolean;
  /** The traffic weights the router reports now, if known. */
  actual?: { canary: number; stable: number };
}

/**
 * CalculateReplicaCountsForTrafficRoutedCanary: the canary gets ceil(weight × replicas) pods (or the
 * setCanaryScale replicas), the stable stays at 100% unless dynamicStableScale. Tiphys routes no traffic
 * yet (`tiphys lint` refuses trafficRouting); this is here so the replica math is whole and tested.
 */
export function trafficRoutedReplicaCounts(input: TrafficRoutedInput): { canary: number; stable: number } {
  const atLeastMin = (n: number): number => (n === 0 || input.minPodsPerReplicaSet === undefined ? n : Math.max(n, input.minPodsPerReplicaSet));
  let canary = input.canaryReplicas ?? atLeastMin(trafficWeightToReplicas(input.replicas, input.weight));
  if (!input.dynamicStableScale) return { canary, stable: input.replicas };
  let stable = trafficWeightToReplicas(input.replicas, 100 - input.weight);
  if (input.actual) {
    stable = Math.max(stable, trafficWeightToReplicas(input.replicas, input.actual.stable));
    if (input.abort) canary = Math.max(trafficWeightToReplicas(input.replicas, input.actual.canary), canary);
  }
  return { canary: atLeastMin(canary), stable: atLeastMin(stable) };
}

// ---------------------------------------------------------------- blue-green

export interface BlueGreenNewReplicasInput {
  replicas: number;
  previewReplicaCount?: number;
  /** The ReplicaSet behind status.blueGreen.activeSelector is missing or is the new one. */
  activeIsNewOrMissing: boolean;
  promoteFull: boolean;
  /** The new ReplicaSet's hash equals status.currentPodHash (not a brand-new update). */
  newIsCurrent: boolean;
  /** spec.paused or any pause condition. */
  paused: boolean;
  scaleUpPreviewCheckPoint: boolean;
}

/** NewRSNewReplicas for blue-green: previewReplicaCount until promotion (or the checkpoint), then replicas. */
export function blueGreenNewReplicas(input: BlueGreenNewReplicasInput): number {
  if (input.previewReplicaCount === undefined) return input.replicas;
  if (input.activeIsNewOrMissing || input.promoteFull) return input.replicas;
  if (!input.newIsCurrent) return input.previewReplicaCount;
  if (!input.paused && input.scaleUpPreviewCheckPoint) return input.replicas;
  return input.previewReplicaCount;
}
