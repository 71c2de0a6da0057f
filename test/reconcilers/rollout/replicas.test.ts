// Argo Rollouts' own published cases for the replica math, ported one for one: each test title names
// the upstream test (utils/replicaset/canary_test.go, replicaset_test.go) and the case.
import { describe, expect, it } from "vitest";
import {
  approximateCanaryStableCounts,
  basicCanaryCountsFor,
  blueGreenNewReplicas,
  canaryReplicasOrWeight,
  currentSetWeight,
  fencepostsOf,
  resolveFenceposts,
  trafficRoutedReplicaCounts,
  valueFromIntOrPercent,
  type IntOrString,
  type ReplicaSetCounts,
  type Rollout,
  type SetCanaryScale,
} from "../../../src/reconcilers/rollout/index.js";
import { trafficWeightToReplicas } from "../../../src/reconcilers/rollout/replicas.js";

interface RolloutOpts {
  replicas: number;
  weight: number;
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
  scs?: SetCanaryScale;
  trafficRouting?: boolean;
  promoteFull?: boolean;
  abort?: boolean;
  abortScaleDownDelaySeconds?: number;
  minPodsPerReplicaSet?: number;
  dynamicStableScale?: boolean;
  currentPodHash?: string;
  stableRS?: string;
}

/** canary_test.go newRollout: one step {setWeight, setCanaryScale}, status currentPodHash "canary", stableRS "stable". */
function newRollout(o: RolloutOpts): Rollout {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: { name: "test" },
    spec: {
      replicas: o.replicas,
      strategy: {
        canary: {
          maxSurge: o.maxSurge ?? 0,
          maxUnavailable: o.maxUnavailable ?? 0,
          steps: [{ setWeight: o.weight, ...(o.scs ? { setCanaryScale: o.scs } : {}) }],
          ...(o.trafficRouting ? { trafficRouting: {} } : {}),
          ...(o.abortScaleDownDelaySeconds !== undefined ? { abortScaleDownDelaySeconds: o.abortScaleDownDelaySeconds } : {}),
          ...(o.minPodsPerReplicaSet !== undefined ? { minPodsPerReplicaSet: o.minPodsPerReplicaSet } : {}),
          ...(o.dynamicStableScale ? { dynamicStableScale: true } : {}),
        },
      },
    },
    status: { currentPodHash: o.currentPodHash ?? "canary", stableRS: o.stableRS ?? "stable", promoteFull: o.promoteFull, abort: o.abort },
  };
}

const rs = (name: string, replicas: number, availableReplicas: number): ReplicaSetCounts => ({ name, replicas, availableReplicas });

/** The traffic-routed path as the controller takes it: replicas or weight from the step, then the counts. */
function trafficRouted(ro: Rollout, actual?: { canary: number; stable: number }): { canary: number; stable: number } {
  const { replicas, weight } = canaryReplicasOrWeight(ro.spec, ro.status);
  const c = ro.spec.strategy.canary!;
  return trafficRoutedReplicaCounts({
    replicas: ro.spec.replicas ?? 1,
    canaryReplicas: replicas,
    weight,
    dynamicStableScale: c.dynamicStableScale as boolean | undefined,
    minPodsPerReplicaSet: c.minPodsPerReplicaSet as number | undefined,
    abort: ro.status?.abort,
    actual,
  });
}

type Case = [name: string, opts: RolloutOpts, stable: [spec: number, available: number], canary: [spec: number, available: number], expect: { stable: number; canary: number }, older?: ReplicaSetCounts];

// TestCalculateReplicaCountsForCanary, every case, in upstream order.
const CASES: Case[] = [
  ["Do not add extra RSs in scaleDownCount when .Spec.Replica < AvailableReplicas", { replicas: 10, weight: 100, maxSurge: 3, maxUnavailable: 0 }, [7, 8], [6, 3], { stable: 7, canary: 6 }],
  ["Use max surge int to scale up canary", { replicas: 10, weight: 20, maxSurge: 2, maxUnavailable: 0 }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
  ["Use max surge percentage to scale up canary", { replicas: 10, weight: 20, maxSurge: "20%", maxUnavailable: 0 }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
  ["Scale down extra stable replicas", { replicas: 10, weight: 20, maxSurge: "20%", maxUnavailable: 0 }, [10, 10], [2, 2], { stable: 8, canary: 2 }],
  ["Do not go past max surge", { replicas: 10, weight: 30, maxSurge: 2, maxUnavailable: 0 }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
  ["Use max unavailable int to scale down stableRS", { replicas: 10, weight: 20, maxSurge: 0, maxUnavailable: 2 }, [10, 10], [0, 0], { stable: 8, canary: 0 }],
  ["Use max surge percentage to scale down stableRS", { replicas: 10, weight: 20, maxSurge: 0, maxUnavailable: "20%" }, [10, 10], [0, 0], { stable: 8, canary: 0 }],
  ["Do not go past max unavailable", { replicas: 10, weight: 30, maxSurge: 0, maxUnavailable: 2 }, [10, 10], [0, 0], { stable: 8, canary: 0 }],
  ["Use Max Surge and Max Unavailable", { replicas: 10, weight: 50, maxSurge: 2, maxUnavailable: 1 }, [10, 10], [0, 0], { stable: 9, canary: 2 }],
  ["Scale canaryRS to zero on setWeight of 0%", { replicas: 10, weight: 0, maxSurge: 1, maxUnavailable: 1 }, [10, 10], [1, 1], { stable: 10, canary: 0 }],
  ["Scale stable to zero on setWeight of 100%", { replicas: 10, weight: 100, maxSurge: 1, maxUnavailable: 1 }, [1, 1], [10, 10], { stable: 0, canary: 10 }],
  ["Do not scale newRS down to zero on non-zero weight", { replicas: 1, weight: 20, maxSurge: 1, maxUnavailable: 0 }, [1, 1], [0, 0], { stable: 1, canary: 1 }],
  ["Do not scale canaryRS down to zero on non-100 weight", { replicas: 1, weight: 90, maxSurge: 1, maxUnavailable: 0 }, [1, 1], [0, 0], { stable: 1, canary: 1 }],
  ["Scale up Stable before newRS", { replicas: 10, weight: 30, maxSurge: 1, maxUnavailable: 0 }, [1, 1], [0, 0], { stable: 7, canary: 1 }, rs("older", 3, 3)],
  ["Scale down newRS and stable", { replicas: 10, weight: 30, maxSurge: 0, maxUnavailable: 3 }, [8, 5], [4, 4], { stable: 7, canary: 3 }],
  ["Scale down stable and canary available", { replicas: 10, weight: 100, maxSurge: 1, maxUnavailable: 0 }, [10, 2], [10, 8], { stable: 2, canary: 9 }],
  ["Do not scale down newRS or stable when older RS count >= scaleDownCount", { replicas: 10, weight: 30, maxSurge: 0, maxUnavailable: 1 }, [8, 6], [4, 2], { stable: 8, canary: 4 }, rs("older", 3, 3)],
  ["Do not round past maxSurge with uneven setWeight divisor", { replicas: 10, weight: 5, maxSurge: 0, maxUnavailable: 1 }, [10, 10], [0, 0], { stable: 9, canary: 0 }],
  ["Do not round past maxSurge with uneven setWeight divisor (part 2)", { replicas: 10, weight: 5, maxSurge: 0, maxUnavailable: 1 }, [9, 9], [0, 0], { stable: 9, canary: 1 }],
  ["Use maxUnavailable of 1 when percentage of maxUnavailable and maxSurge result in 0 replicas", { replicas: 10, weight: 10, maxSurge: "0%", maxUnavailable: "0%" }, [10, 10], [0, 0], { stable: 9, canary: 0 }],
  ["For canary replicas, use setCanaryScale.replicas when specified along with trafficRouting (and ignore setWeight)", { replicas: 1, weight: 100, scs: { replicas: 9 }, trafficRouting: true }, [1, 1], [0, 0], { stable: 1, canary: 9 }],
  ["Use setCanaryScale.weight for canary replicas when specified with trafficRouting (and ignore setWeight)", { replicas: 4, weight: 100, scs: { weight: 200 }, trafficRouting: true }, [4, 4], [0, 0], { stable: 4, canary: 8 }],
  ["Ignore setCanaryScale replicas/weight when matchTrafficWeight is true", { replicas: 10, weight: 20, maxSurge: "20%", maxUnavailable: 0, scs: { replicas: 9, weight: 100, matchTrafficWeight: true }, trafficRouting: true }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
  ["Ignore setCanaryScale when trafficRouting is missing and use setWeight for replicas", { replicas: 10, weight: 20, maxSurge: "20%", maxUnavailable: 0, scs: { replicas: 9, weight: 100 } }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
  ["honor maxSurge during scale up when stableRS unavailable", { replicas: 4, weight: 100, maxSurge: 1, maxUnavailable: 0 }, [4, 1], [0, 0], { stable: 4, canary: 1 }],
  ["scale down to maxunavailable without exceeding maxSurge", { replicas: 3, weight: 99, maxSurge: 0, maxUnavailable: 2 }, [3, 3], [0, 0], { stable: 1, canary: 0 }],
  ["scale down to maxunavailable without exceeding maxSurge (part 2)", { replicas: 3, weight: 99, maxSurge: 0, maxUnavailable: 2 }, [1, 1], [0, 0], { stable: 1, canary: 2 }],
  ["honor maxUnavailable during scale down stableRS unavailable", { replicas: 4, weight: 100, maxSurge: 1, maxUnavailable: 0 }, [4, 1], [1, 1], { stable: 3, canary: 1 }],
  ["honor maxUnavailable when aborting or reducing weight part 1", { replicas: 4, weight: 0, maxSurge: 1, maxUnavailable: 0 }, [0, 0], [4, 4], { stable: 1, canary: 4 }],
  ["honor maxUnavailable when aborting or reducing weight part 2", { replicas: 4, weight: 0, maxSurge: 1, maxUnavailable: 0 }, [1, 0], [4, 4], { stable: 1, canary: 4 }],
  ["honor maxUnavailable when aborting or reducing weight part 3", { replicas: 4, weight: 0, maxSurge: 1, maxUnavailable: 0 }, [1, 1], [4, 4], { stable: 1, canary: 3 }],
  ["promote full does not consider weight", { replicas: 4, weight: 1, maxSurge: 4, maxUnavailable: 4, promoteFull: true }, [4, 4], [0, 0], { stable: 0, canary: 4 }],
  ["promote full still honors maxSurge/maxUnavailable", { replicas: 4, weight: 1, maxSurge: 3, maxUnavailable: 0, promoteFull: true }, [4, 4], [0, 0], { stable: 4, canary: 3 }],
  ["aborted with abortScaleDownDelaySeconds:0 and setCanaryScale", { replicas: 1, weight: 0, scs: { replicas: 1 }, trafficRouting: true, abortScaleDownDelaySeconds: 0, abort: true }, [1, 1], [1, 1], { stable: 1, canary: 1 }],
  ["aborted with abortScaleDownDelaySeconds>0 and setCanaryScale", { replicas: 1, weight: 0, scs: { replicas: 1 }, trafficRouting: true, abortScaleDownDelaySeconds: 30, abort: true }, [1, 1], [1, 1], { stable: 1, canary: 0 }],
  ["Honor MinPodsPerReplicaSet when using trafficRouting and starting canary", { replicas: 10, weight: 5, trafficRouting: true, minPodsPerReplicaSet: 2 }, [10, 10], [0, 0], { stable: 10, canary: 2 }],
];

describe("TestCalculateReplicaCountsForCanary (canary_test.go)", () => {
  it.each(CASES)("%s", (_name, opts, [stableSpec, stableAvail], [canarySpec, canaryAvail], want, older) => {
    const ro = newRollout(opts);
    const got = opts.trafficRouting
      ? trafficRouted(ro)
      : basicCanaryCountsFor(ro, { newRS: rs("canary", canarySpec, canaryAvail), stableRS: rs("stable", stableSpec, stableAvail), otherRSs: older ? [older] : [] });
    expect(got).toEqual(want);
  });
});

// TestApproximateWeightedNewStableReplicaCounts: [replicas, weight, maxSurge, canary, stable].
const APPROX: Array<[number, number, number, number, number]> = [
  [0, 0, 0, 0, 0], [0, 50, 0, 0, 0], [0, 100, 0, 0, 0], [0, 0, 1, 0, 0], [0, 50, 1, 0, 0], [0, 100, 1, 0, 0],
  [1, 0, 0, 0, 1], [1, 1, 0, 0, 1], [1, 49, 0, 0, 1], [1, 50, 0, 1, 0], [1, 99, 0, 1, 0], [1, 100, 0, 1, 0],
  [1, 0, 1, 0, 1], [1, 1, 1, 1, 1], [1, 49, 1, 1, 1], [1, 50, 1, 1, 1], [1, 99, 1, 1, 1], [1, 100, 1, 1, 0],
  [2, 0, 0, 0, 2], [2, 1, 0, 1, 1], [2, 50, 0, 1, 1], [2, 99, 0, 1, 1], [2, 100, 0, 2, 0],
  [2, 0, 1, 0, 2], [2, 1, 1, 1, 2], [2, 50, 1, 1, 1], [2, 99, 1, 2, 1], [2, 100, 1, 2, 0],
  [3, 10, 0, 1, 2], [3, 25, 0, 1, 2], [3, 33, 0, 1, 2], [3, 34, 0, 1, 2], [3, 49, 0, 1, 2], [3, 50, 0, 2, 1],
  [3, 10, 1, 1, 3], [3, 25, 1, 1, 3], [3, 33, 1, 1, 2], [3, 34, 1, 1, 2], [3, 49, 1, 2, 2], [3, 50, 1, 2, 2],
  [10, 0, 1, 0, 10], [10, 1, 0, 1, 9], [10, 14, 0, 1, 9], [10, 15, 0, 2, 8], [10, 16, 0, 2, 8], [10, 99, 0, 9, 1], [10, 100, 1, 10, 0],
  [10, 0, 1, 0, 10], [10, 1, 1, 1, 10], [10, 18, 1, 2, 9], [10, 19, 1, 2, 9], [10, 20, 1, 2, 8], [10, 23, 1, 2, 8], [10, 24, 1, 3, 8], [10, 25, 1, 3, 8], [10, 99, 1, 10, 1], [10, 100, 1, 10, 0],
];

describe("TestApproximateWeightedNewStableReplicaCounts (canary_test.go)", () => {
  it("has all 57 upstream vectors", () => expect(APPROX).toHaveLength(57));
  it.each(APPROX)("replicas:%i_weight:%i_surge:%i → canary %i, stable %i", (replicas, weight, surge, canary, stable) => {
    expect(approximateCanaryStableCounts(replicas, weight, surge)).toEqual([canary, stable]);
  });
});

describe("canary_test.go, the smaller tests", () => {
  it("TestCalculateReplicaCountsForNewDeployment: new and stable are the same ReplicaSet → all pods on it", () => {
    const ro = newRollout({ replicas: 10, weight: 10, maxSurge: 0, maxUnavailable: 1 });
    expect(basicCanaryCountsFor(ro, { newRS: rs("stable", 10, 0), stableRS: rs("stable", 10, 0), otherRSs: [] })).toEqual({ canary: 10, stable: 0 });
  });
  it("TestCalculateReplicaCountsForCanaryStableRSdEdgeCases: no stable, or stable = new → 10/0", () => {
    const ro = newRollout({ replicas: 10, weight: 10, maxSurge: 0, maxUnavailable: 1, currentPodHash: "", stableRS: "" });
    const newRS = rs("stable", 9, 9);
    expect(basicCanaryCountsFor(ro, { newRS, otherRSs: [] })).toEqual({ canary: 10, stable: 0 });
    expect(basicCanaryCountsFor(ro, { newRS, stableRS: newRS, otherRSs: [] })).toEqual({ canary: 10, stable: 0 });
  });
  it("TestCalculateReplicaCountsForCanaryTrafficRouting: weight 10 of 10 → 1 canary, stable stays 10", () => {
    expect(trafficRouted(newRollout({ replicas: 10, weight: 10, maxUnavailable: 1, trafficRouting: true }))).toEqual({ canary: 1, stable: 10 });
  });
  it.each([
    ["verify we scale down stable", 10, false, { canary: 10, stable: 90 }, { canary: 1, stable: 9 }],
    ["verify we take max of desired canary (20) > actual (10)", 20, false, { canary: 10, stable: 90 }, { canary: 2, stable: 9 }],
    ["verify when we abort, we leave canary scaled up if there is still traffic to it", 20, true, { canary: 20, stable: 80 }, { canary: 2, stable: 10 }],
    ["verify when we abort, we reduce canary when there is less traffic to it", 20, true, { canary: 10, stable: 90 }, { canary: 1, stable: 10 }],
  ] as const)("TestCalculateReplicaCountsForCanaryTrafficRoutingDynamicScale: %s", (_n, weight, abort, actual, want) => {
    const ro = newRollout({ replicas: 10, weight, maxUnavailable: 1, trafficRouting: true, dynamicStableScale: true, abort });
    expect(trafficRouted(ro, actual)).toEqual(want);
  });
  it("TestTrafficWeightToReplicas", () => {
    expect([0, 20, 25, 33, 99, 100].map((w) => trafficWeightToReplicas(10, w))).toEqual([0, 2, 3, 4, 10, 10]);
  });
  it("TestGetCurrentSetWeight: past the last step 100, at step 0 its weight, aborted 0", () => {
    const ro = newRollout({ replicas: 10, weight: 10, maxUnavailable: 1, currentPodHash: "", stableRS: "" });
    expect(currentSetWeight(ro.spec, { currentStepIndex: 1 })).toBe(100);
    expect(currentSetWeight(ro.spec, { currentStepIndex: 0 })).toBe(10);
    expect(currentSetWeight(ro.spec, { currentStepIndex: 0, abort: true })).toBe(0);
  });
  it("TestGetCanaryReplicasOrWeight: promoteFull → 100; setCanaryScale weight 20 or replicas 5 with a router; blue-green → 100", () => {
    expect(canaryReplicasOrWeight({ strategy: {} }, { promoteFull: true })).toEqual({ weight: 100 });
    const spec = (scs: SetCanaryScale) => ({ strategy: { canary: { steps: [{ setWeight: 10 }, { setCanaryScale: scs }], trafficRouting: {} } } });
    expect(canaryReplicasOrWeight(spec({ weight: 20 }), { currentStepIndex: 1, stableRS: "stable-rs" })).toEqual({ weight: 20 });
    expect(canaryReplicasOrWeight(spec({ replicas: 5 }), { currentStepIndex: 1, stableRS: "stable-rs" })).toEqual({ replicas: 5, weight: 0 });
    expect(canaryReplicasOrWeight({ strategy: { blueGreen: { activeService: "a" } } }, { abort: true })).toEqual({ weight: 100 });
  });
});

describe("fenceposts (replicaset_test.go)", () => {
  it.each([
    ["0%", "0%", 0, 0, 1],
    ["39%", "39%", 10, 4, 3],
    ["oops", "39%", 10, 0, 0],
    ["55%", "urg", 10, 0, 0],
    [undefined, "39%", 10, 0, 3],
    ["39%", undefined, 10, 4, 0],
    [undefined, undefined, 10, 0, 1],
  ] as const)("TestResolveFenceposts: surge %s unavailable %s of %i → %i:%i", (surge, unavailable, desired, wantSurge, wantUnavailable) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual({ maxSurge: wantSurge, maxUnavailable: wantUnavailable });
  });
  const canary = (replicas: number, maxSurge: IntOrString, maxUnavailable: IntOrString) => ({ replicas, strategy: { canary: { maxSurge, maxUnavailable } } });
  it.each([
    ["maxSurge with int", canary(10, 5, 1), 5],
    ["maxSurge with percents", canary(10, "50%", 1), 5],
  ] as const)("TestMaxSurge: %s", (_n, spec, want) => expect(fencepostsOf(spec).maxSurge).toBe(want));
  it("TestMaxSurge: maxSurge with BlueGreen deployment strategy → 0", () => expect(fencepostsOf({ strategy: { blueGreen: { activeService: "a" } } }).maxSurge).toBe(0));
  it.each([
    ["maxUnavailable less than replicas", canary(10, 1, 5), 5],
    ["maxUnavailable equal replicas", canary(10, 1, 10), 10],
    ["maxUnavailable greater than replicas", canary(5, 1, 10), 5],
    ["maxUnavailable with replicas is 0", canary(0, 1, 10), 0],
    ["maxUnavailable less than replicas with percents", canary(10, 1, "50%"), 5],
    ["maxUnavailable equal replicas with percents", canary(10, 1, "100%"), 10],
    ["maxUnavailable greater than replicas with percents", canary(5, 1, "100%"), 5],
  ] as const)("TestMaxUnavailable: %s", (_n, spec, want) => expect(fencepostsOf(spec).maxUnavailable).toBe(want));
  it("TestMaxUnavailable: maxUnavailable with BlueGreen deployment strategy → 0 (25% of 1 rounds down)", () => {
    expect(fencepostsOf({ strategy: { blueGreen: { activeService: "a" } } }).maxUnavailable).toBe(0);
  });
  it("the defaults are 25% up (rounded up) and 25% down (rounded down); a string without % is still a percentage", () => {
    expect(fencepostsOf({ replicas: 5, strategy: { canary: {} } })).toEqual({ maxSurge: 2, maxUnavailable: 1 });
    expect(valueFromIntOrPercent("25", 10, true)).toBe(3);
    expect(valueFromIntOrPercent("25%", 10, false)).toBe(2);
    expect(valueFromIntOrPercent(3, 10, false)).toBe(3);
    expect(() => valueFromIntOrPercent("a lot", 10, true)).toThrow('invalid value "a lot"');
  });
});

// The targets table of ../shared/reference/argo-rollouts.md §3.2 (default maxSurge 25%): canary/stable.
const WEIGHTS = [10, 20, 25, 33, 40, 50, 60, 75, 80, 90, 100];
const TARGETS: Record<number, string> = {
  1: "1/1 1/1 1/1 1/1 1/1 1/1 1/1 1/1 1/1 1/1 1/0",
  2: "1/2 1/2 1/2 1/2 1/2 1/1 2/1 2/1 2/1 2/1 2/0",
  3: "1/3 1/3 1/3 1/2 1/2 2/2 2/1 3/1 3/1 3/1 3/0",
  4: "1/4 1/4 1/3 2/3 2/3 2/2 3/2 3/1 4/1 4/1 4/0",
  5: "1/5 1/4 1/4 2/4 2/3 3/3 3/2 4/1 4/1 5/1 5/0",
  10: "1/9 2/8 3/8 3/7 4/6 5/5 6/4 8/3 8/2 9/1 10/0",
};

describe("approximate targets with the default maxSurge (reference table)", () => {
  it.each(Object.entries(TARGETS))("replicas %s", (replicas, row) => {
    const n = Number(replicas);
    const surge = fencepostsOf({ replicas: n, strategy: { canary: {} } }).maxSurge;
    expect(WEIGHTS.map((w) => approximateCanaryStableCounts(n, w, surge).join("/")).join(" ")).toBe(row);
  });
  it("maxSurge 0 has Argo's odd fallbacks: replicas 2 at 75% → 0/2, replicas 5 at 90% → 0/5", () => {
    expect(approximateCanaryStableCounts(2, 75, 0)).toEqual([0, 2]);
    expect(approximateCanaryStableCounts(5, 90, 0)).toEqual([0, 5]);
  });
});

describe("TestNewRSNewReplicasWitPreviewReplicaCount (replicaset_test.go): blue-green with previewReplicaCount 1 of 10", () => {
  const base = { replicas: 10, previewReplicaCount: 1, activeIsNewOrMissing: false, promoteFull: false, newIsCurrent: true, paused: false, scaleUpPreviewCheckPoint: false };
  it.each([
    ["No active rs is set", { activeIsNewOrMissing: true }, 10],
    ["Active rs is the new RS", { activeIsNewOrMissing: true }, 10],
    ["Rollout's currentPodHash doesn't match up", { newIsCurrent: false, scaleUpPreviewCheckPoint: true }, 1],
    ["Rollout is unpaused and ready to scale up", { scaleUpPreviewCheckPoint: true }, 10],
    ["The rollout should use the preview value", {}, 1],
    ["Ignore preview replica count during promote full", { promoteFull: true }, 10],
  ] as const)("%s → %i", (_n, over, want) => expect(blueGreenNewReplicas({ ...base, ...over })).toBe(want));
  it("TestNewRSNewReplicas: without previewReplicaCount the new ReplicaSet gets spec.replicas", () => {
    expect(blueGreenNewReplicas({ ...base, previewReplicaCount: undefined })).toBe(10);
  });
  it("paused with the checkpoint passed keeps the preview size", () => {
    expect(blueGreenNewReplicas({ ...base, paused: true, scaleUpPreviewCheckPoint: true })).toBe(1);
  });
});
