import type { NodeStatus, NodeType, NodePhase } from "../../src/engine/model/types.js";

/** Node statuses shaped as Argo (and Tiphys's engine) write them: ids, boundaries, graph `children`. */

export function node(id: string, name: string, type: NodeType, phase: NodePhase, extra: Partial<NodeStatus> = {}): NodeStatus {
  const displayName = name.replace(/^.*[.\]]/, "") || name;
  return { id, name, displayName, type, phase, startedAt: "2025-01-01T10:00:00Z", finishedAt: "2025-01-01T10:00:05Z", ...extra };
}

export function byId(...nodes: NodeStatus[]): Record<string, NodeStatus> {
  return Object.fromEntries(nodes.map((n) => [n.id, n]));
}

/**
 * `ci`: steps [[lint, test (DAG: compile → unit(0), unit(1) → pack)], [build (retry: build(0), build(1))]].
 * The graph links are Argo's: a step's children include the next step group, a DAG task's its dependents.
 */
export function stepsRun(buildPhase: NodePhase = "Failed"): Record<string, NodeStatus> {
  const failed = buildPhase === "Failed" || buildPhase === "Error";
  return byId(
    node("ci", "ci", "Steps", buildPhase, { children: ["ci-g0"], message: failed ? "child 'ci-build' failed" : undefined, finishedAt: "2025-01-01T10:01:12Z" }),
    node("ci-g0", "ci[0]", "StepGroup", "Succeeded", { displayName: "[0]", boundaryID: "ci", children: ["ci-lint", "ci-test"] }),
    node("ci-lint", "ci[0].lint", "Pod", "Succeeded", { boundaryID: "ci", children: ["ci-g1"] }),
    node("ci-test", "ci[0].test", "DAG", "Succeeded", { boundaryID: "ci", children: ["ci-compile"] }),
    node("ci-compile", "ci[0].test.compile", "Pod", "Succeeded", { boundaryID: "ci-test", children: ["ci-unit"] }),
    node("ci-unit", "ci[0].test.unit", "TaskGroup", "Succeeded", { boundaryID: "ci-test", children: ["ci-unit0", "ci-unit1"] }),
    node("ci-unit0", "ci[0].test.unit(0:a)", "Pod", "Succeeded", { displayName: "unit(0:a)", boundaryID: "ci-test", children: ["ci-pack"] }),
    node("ci-unit1", "ci[0].test.unit(1:b)", "Pod", "Succeeded", { displayName: "unit(1:b)", boundaryID: "ci-test", children: ["ci-pack"] }),
    node("ci-pack", "ci[0].test.pack", "Pod", "Succeeded", { boundaryID: "ci-test", children: ["ci-g1"] }),
    node("ci-g1", "ci[1]", "StepGroup", buildPhase, { displayName: "[1]", boundaryID: "ci", children: ["ci-build"], startedAt: "2025-01-01T10:00:10Z" }),
    node("ci-build", "ci[1].build", "Retry", buildPhase, {
      boundaryID: "ci",
      children: ["ci-build0", "ci-build1"],
      message: failed ? "No more retries left" : undefined,
      startedAt: "2025-01-01T10:00:10Z",
    }),
    node("ci-build0", "ci[1].build(0)", "Pod", failed ? "Failed" : "Succeeded", {
      displayName: "build(0)",
      boundaryID: "ci",
      message: failed ? "Error (exit code 2)" : undefined,
      startedAt: "2025-01-01T10:00:10Z",
      finishedAt: "2025-01-01T10:00:40Z",
    }),
    node("ci-build1", "ci[1].build(1)", "Pod", buildPhase === "Error" ? "Error" : failed ? "Failed" : "Succeeded", {
      displayName: "build(1)",
      boundaryID: "ci",
      message: failed ? "Error (exit code 2)" : undefined,
      startedAt: "2025-01-01T10:00:41Z",
      finishedAt: "2025-01-01T10:01:12Z",
    }),
  );
}

/**
 * A DAG `big` whose loop task `shard` fans out to `count` pods; the pods listed in `failing` fail
 * with "Error (exit code 3)". Every node carries a message so rows are of realistic width.
 */
export function bigRun(count: number, failing: number[] = []): Record<string, NodeStatus> {
  const bad = new Set(failing);
  const shards: NodeStatus[] = [];
  for (let i = 0; i < count; i++) {
    shards.push(
      node(`big-s${i}`, `big.shard(${i}:${i})`, "Pod", bad.has(i) ? "Failed" : "Succeeded", {
        displayName: `shard(${i}:${i})`,
        boundaryID: "big",
        message: bad.has(i) ? "Error (exit code 3)" : `processed partition ${i} of the nightly import`,
      }),
    );
  }
  const anyBad = bad.size > 0 ? "Failed" : "Succeeded";
  return byId(
    node("big", "big", "DAG", anyBad, { children: ["big-shard"] }),
    node("big-shard", "big.shard", "TaskGroup", anyBad, { boundaryID: "big", children: shards.map((s) => s.id) }),
    ...shards,
  );
}
