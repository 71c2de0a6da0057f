import type { NodeStatus } from "../model/types.js";

/**
 * Argo's getOutboundNodes: the nodes a following step group or dependent task hangs under. A pod is
 * its own outbound node (or its last containers, for a containerSet), a loop's TaskGroup gives its
 * items, a Retry node its last attempt, a Steps or DAG node its recorded outbound nodes. Linking to
 * these rather than to the step or task node itself is what makes Argo's node tree.
 */
export function outboundNodes(nodes: ReadonlyMap<string, NodeStatus>, id: string): string[] {
  const node = nodes.get(id);
  if (!node) return [id];
  const children = node.children ?? [];
  const containers = () => children.filter((c) => nodes.get(c)?.type === "Container");
  switch (node.type) {
    case "Skipped":
    case "Suspend":
    case "HTTP":
    case "Plugin":
      return [id];
    case "Pod":
    case "Container": {
      const cs = containers();
      return cs.length > 0 ? cs.flatMap((c) => outboundNodes(nodes, c)) : [id];
    }
    case "TaskGroup":
      return children.length > 0 ? children.flatMap((c) => outboundNodes(nodes, c)) : [id];
    case "Retry":
      if (children.length > 0) return [children[children.length - 1]];
      break;
  }
  const out: string[] = [];
  for (const o of node.outboundNodes ?? []) {
    if (nodes.get(o)?.type === "Pod") out.push(o);
    else out.push(...outboundNodes(nodes, o));
  }
  return out;
}
