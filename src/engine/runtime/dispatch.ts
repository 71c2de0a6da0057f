import type { TemplateType } from "../model/types.js";
import { executeSteps, type NodeContext } from "./composite.js";
import { executeDag } from "./dag-exec.js";
import { executeHttp, executePod, executeSuspend } from "./leaf.js";
import { executeResource } from "./resource/execute.js";

/**
 * Runs a node by its template type. Types that need what a local run lacks (a cluster, executor
 * plugins, a bucket) end as Error with a message naming what is missing.
 */
export async function runByType(ctx: NodeContext, type: TemplateType): Promise<void> {
  const { run, node, template: t } = ctx;
  switch (type) {
    case "steps":
      run.updateNode(node, { phase: "Running" });
      await executeSteps(ctx);
      break;
    case "dag":
      run.updateNode(node, { phase: "Running" });
      await executeDag(ctx);
      break;
    case "container":
    case "script":
    case "containerSet":
      await executePod(ctx);
      break;
    case "suspend":
      await executeSuspend(ctx);
      break;
    case "http":
      await executeHttp(ctx);
      break;
    case "resource":
      await executeResource(ctx);
      break;
    case "plugin":
      run.updateNode(node, { phase: "Error", message: `executor plugin "${Object.keys(t.plugin ?? {})[0] ?? ""}" is not available: \`tiphys run\` has no executor plugins configured` });
      break;
    case "data":
      run.updateNode(node, { phase: "Error", message: "data templates need an artifact repository with a bucket; a local run has none" });
      break;
  }
}
