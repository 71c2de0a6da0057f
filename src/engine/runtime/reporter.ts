import type { NodeStatus, WorkflowStatus } from "../model/types.js";

/**
 * The Reporter port: where progress goes (the terminal now; GitHub check runs later). The engine
 * calls it and never prints.
 */
export interface Reporter {
  nodeUpdated?(node: NodeStatus): void;
  log?(node: NodeStatus, stream: "stdout" | "stderr", line: string): void;
  workflowUpdated?(status: Omit<WorkflowStatus, "nodes">): void;
  warn?(message: string): void;
}
