import type { NodeStatus } from "../engine/model/types.js";

/**
 * A workflow run's nodes as a tree, in the order `argo get` shows them. Pure.
 *
 * Argo's `children` is a graph, not a tree: a DAG task's children are its dependents and a step's
 * children include the next step group. So, as in the terminal view, a node hangs under its group
 * (step group, retry, loop, a pod's containers) when the group lists it and its name extends the
 * group's name, and otherwise under its template boundary. Siblings keep the order of the parent's
 * `children`, then start time, then name.
 */

export interface TreeEntry {
  node: NodeStatus;
  /** 0 for a root (the workflow's entry node, exit handler and hooks). */
  depth: number;
  parent?: NodeStatus;
  /** Whether this node is the last of its siblings (for drawing `└─` rather than `├─`). */
  last: boolean;
  /** The drawing prefix of this node's ancestors: `│  ` and `   ` runs. */
  prefix: string;
  /** Children in the tree (not Argo's graph children). */
  childCount: number;
}

const GROUP_TYPES = new Set<string>(["StepGroup", "Retry", "TaskGroup", "Pod"]);
/** Types that only arrange other nodes; everything else does work of its own. */
const CONTAINER_TYPES = new Set<string>(["Steps", "DAG", "StepGroup", "TaskGroup", "Retry"]);
/** Deeper nesting is drawn at this depth, so pathological runs cannot make the prefixes quadratic. */
const MAX_DRAWN_DEPTH = 40;

const collator = new Intl.Collator("en", { numeric: true });

/** A node that runs something itself (a pod, container, HTTP call, suspend, plugin), not a grouping. */
export function isLeaf(entry: TreeEntry): boolean {
  return !CONTAINER_TYPES.has(entry.node.type) && entry.childCount === 0;
}

function extendsName(child: string, parent: string): boolean {
  if (child.length <= parent.length || !child.startsWith(parent)) return false;
  const next = child[parent.length];
  return next === "." || next === "(" || next === "[";
}

/**
 * Each node's longest distance from a source in Argo's `children` graph (Kahn's algorithm), so a
 * DAG task sorts after the tasks it depends on and step group `[1]` after `[0]`, even when their
 * whole-second start times tie. Nodes on a cycle (a corrupt status) get no level.
 */
function graphLevels(all: readonly NodeStatus[], byId: ReadonlyMap<string, NodeStatus>): Map<string, number> {
  const indegree = new Map<string, number>();
  for (const n of all) for (const c of n.children ?? []) if (byId.has(c) && c !== n.id) indegree.set(c, (indegree.get(c) ?? 0) + 1);
  const level = new Map<string, number>();
  const queue: string[] = [];
  for (const n of all) {
    if (indegree.has(n.id)) continue;
    level.set(n.id, 0);
    queue.push(n.id);
  }
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    const next = level.get(id)! + 1;
    for (const c of byId.get(id)!.children ?? []) {
      if (!byId.has(c) || c === id) continue;
      if ((level.get(c) ?? -1) < next) level.set(c, next);
      const left = indegree.get(c)! - 1;
      indegree.set(c, left);
      if (left === 0) queue.push(c);
    }
  }
  return level;
}

/** The nodes in tree order (depth first, roots in start order). Every node appears exactly once. */
export function orderNodes(nodes: Record<string, NodeStatus>): TreeEntry[] {
  const all = Object.values(nodes);
  const byId = new Map<string, NodeStatus>();
  for (const n of all) byId.set(n.id, n);

  const parentOf = new Map<string, string>();
  for (const n of all) {
    if (n.boundaryID && n.boundaryID !== n.id && byId.has(n.boundaryID)) parentOf.set(n.id, n.boundaryID);
  }
  const rank = new Map<string, number>();
  for (const g of all) {
    const kids = g.children;
    if (!kids) continue;
    const isGroup = GROUP_TYPES.has(g.type);
    for (let i = 0; i < kids.length; i++) {
      const c = byId.get(kids[i]);
      if (!c || c.id === g.id) continue;
      if (isGroup && c.type !== "StepGroup" && extendsName(c.name, g.name)) parentOf.set(c.id, g.id);
      if (parentOf.get(c.id) === g.id && !rank.has(c.id)) rank.set(c.id, i);
    }
  }

  const byParent = new Map<string, NodeStatus[]>();
  const roots: NodeStatus[] = [];
  for (const n of all) {
    const p = parentOf.get(n.id);
    if (p === undefined) roots.push(n);
    else {
      let list = byParent.get(p);
      if (!list) byParent.set(p, (list = []));
      list.push(n);
    }
  }
  const level = graphLevels(all, byId);
  const cmp = (a: NodeStatus, b: NodeStatus) =>
    (level.get(a.id) ?? Infinity) - (level.get(b.id) ?? Infinity) ||
    (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) ||
    (a.startedAt ?? "").localeCompare(b.startedAt ?? "") ||
    collator.compare(a.name, b.name);
  roots.sort((a, b) => Number(a.boundaryID !== undefined) - Number(b.boundaryID !== undefined) || cmp(a, b));
  for (const list of byParent.values()) list.sort(cmp);

  // Iterative depth-first walk; `seen` guards against cycles in a corrupt status.
  const out: TreeEntry[] = [];
  const seen = new Set<string>();
  const stack: Array<{ node: NodeStatus; depth: number; parent?: NodeStatus; last: boolean; prefix: string }> = [];
  const pushAll = (list: NodeStatus[], depth: number, parent: NodeStatus | undefined, prefix: string) => {
    for (let i = list.length - 1; i >= 0; i--) stack.push({ node: list[i], depth, parent, last: i === list.length - 1, prefix });
  };
  const walkFrom = (root: NodeStatus) => {
    stack.push({ node: root, depth: 0, last: true, prefix: "" });
    while (stack.length > 0) {
      const e = stack.pop()!;
      if (seen.has(e.node.id)) continue;
      seen.add(e.node.id);
      const kids = (byParent.get(e.node.id) ?? []).filter((k) => !seen.has(k.id));
      out.push({ ...e, childCount: kids.length });
      const childPrefix =
        e.depth === 0 || e.depth >= MAX_DRAWN_DEPTH ? e.prefix : e.prefix + (e.last ? "   " : "│  ");
      pushAll(kids, e.depth + 1, e.node, childPrefix);
    }
  };
  for (const r of roots) walkFrom(r);
  // Nodes caught in a parent cycle are reachable from no root: show them at the top level.
  for (const n of all) if (!seen.has(n.id)) walkFrom(n);
  return out;
}
