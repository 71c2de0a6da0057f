import { assessDag, compileDag, planDag, type TaskView } from "../scheduler/dag.js";
import type { DAGTask, NodeStatus } from "../model/types.js";
import { Channel } from "./channel.js";
import { EMPTY_LOOP, expand, failedFast, finishWithOutputs, parallelismOf, runAll, runCall, type NodeContext } from "./composite.js";
import { Limiter } from "./limiter.js";
import { outboundNodes } from "./outbound.js";
import { addAggregateToScope, addNodeToScope } from "./scope.js";
import { childVars, type Vars } from "./substitute.js";

/** DAG: tasks start as their dependencies are fulfilled; `depends` decides run or Omitted (dag.go). */
export async function executeDag(ctx: NodeContext): Promise<void> {
  const { run, node, template } = ctx;
  let dag;
  try {
    dag = compileDag(template.dag!);
  } catch (err) {
    run.updateNode(node, { phase: "Error", message: (err as Error).message });
    return;
  }
  const scopeVars: Vars = childVars(ctx.vars);
  const views = new Map<string, TaskView>();
  const taskNodes = new Map<string, NodeStatus>();
  const limiter = new Limiter(parallelismOf(template, ctx.vars));
  const done = new Channel<string>();
  let running = 0;
  const view = (t: string) => views.get(t);
  // A root task hangs under the DAG node, the others under their dependencies' outbound nodes.
  const parentsOf = (name: string): Array<string | undefined> => {
    const deps = dag.deps.get(name) ?? [];
    if (deps.length === 0) return [node.id];
    return [...new Set(deps.flatMap((d) => {
      const id = taskNodes.get(d)?.id;
      return id ? outboundNodes(run.nodes, id) : [];
    }))];
  };
  const settle = (name: string, n: NodeStatus, childPhases?: string[]) => {
    taskNodes.set(name, n);
    views.set(name, { phase: n.phase, childPhases });
  };
  const launch = (name: string) => {
    const task = dag.tasks.get(name)! as DAGTask;
    const taskVars = childVars(scopeVars, { "tasks.name": name });
    views.set(name, { phase: "Running" });
    running++;
    void (async () => {
      try {
        const parents = parentsOf(name);
        const baseName = `${node.name}.${name}`;
        let r;
        try {
          r = expand(task, baseName, name, taskVars);
        } catch (err) {
          const n = run.initNode(baseName, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Error", message: (err as Error).message });
          for (const p of parents) run.addChild(p, n.id);
          settle(name, n);
          return;
        }
        if (r.single) {
          const release = await limiter.acquire();
          try {
            const n = await runCall(ctx, r.single, "tasks", node.id, parents[0]);
            if (n.phase === "Failed" || n.phase === "Error") ctx.childFailed = true;
            for (const p of parents.slice(1)) run.addChild(p, n.id);
            settle(name, n);
            addNodeToScope(scopeVars, `tasks.${name}`, n);
          } finally {
            release();
          }
          return;
        }
        if (r.items!.length === 0) {
          const n = run.reusable(baseName) ?? run.initNode(baseName, { type: "Skipped", displayName: name, boundaryID: node.id, templateName: task.template, phase: "Skipped", message: EMPTY_LOOP });
          for (const p of parents) run.addChild(p, n.id);
          settle(name, n);
          addNodeToScope(scopeVars, `tasks.${name}`, n);
          return;
        }
        const group = run.reusable(baseName) ?? run.initNode(baseName, { type: "TaskGroup", displayName: name, boundaryID: node.id, phase: "Running" });
        for (const p of parents) run.addChild(p, group.id);
        const children = (await runAll(ctx, r.items!, "tasks", group.id, limiter)).filter((c): c is NodeStatus => c !== undefined);
        // Argo's executeDAGTask keeps the phase of the last failed item.
        const failed = children.findLast((c) => c.phase === "Failed" || c.phase === "Error");
        run.updateNode(group, { phase: failed ? failed.phase : "Succeeded" });
        addAggregateToScope(scopeVars, `tasks.${name}`, children);
        scopeVars[`tasks.${name}.status`] = group.phase;
        scopeVars[`tasks.${name}.id`] = group.id;
        settle(name, group, children.map((c) => c.phase));
      } catch (err) {
        const n = run.initNode(`${node.name}.${name}`, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Error", message: `internal error: ${(err as Error).message}` });
        settle(name, n);
      } finally {
        running--;
        done.push(name);
      }
    })();
  };
  const omit = (name: string) => {
    const n =
      run.reusable(`${node.name}.${name}`) ??
      run.initNode(`${node.name}.${name}`, { type: "Skipped", displayName: name, boundaryID: node.id, phase: "Omitted", message: "omitted: depends condition not met" });
    for (const p of parentsOf(name)) run.addChild(p, n.id);
    settle(name, n);
  };
  let candidates: Iterable<string> | undefined;
  for (;;) {
    // A template's failFast: no task starts once one failed (Omitted ones are still recorded).
    const stopping = run.shutdown !== undefined || run.deadlineExceeded || (template.failFast === true && ctx.childFailed === true);
    const actions = planDag(dag, view, candidates);
    for (const name of actions.omit) omit(name);
    if (!stopping) for (const name of actions.start) launch(name);
    if (running === 0) {
      // Tasks that settle without awaiting anything (an empty loop, an expansion error) are
      // already in `done`: their dependents must still be planned.
      const settled = done.drain();
      if (actions.omit.length > 0 || settled.length > 0) {
        candidates = [...actions.omit, ...settled].flatMap((n) => dag.dependents.get(n) ?? []);
        continue;
      }
      break;
    }
    const finished = await done.take();
    const next = new Set<string>(dag.dependents.get(finished) ?? []);
    for (const n of done.drain()) for (const d of dag.dependents.get(n) ?? []) next.add(d);
    for (const n of actions.omit) for (const d of dag.dependents.get(n) ?? []) next.add(d);
    candidates = next;
  }
  if (run.shutdown || run.deadlineExceeded) {
    run.updateNode(node, { phase: "Failed", message: run.shutdown ? `Stopped with strategy '${run.shutdown}'` : "Step exceeded its deadline" });
    return;
  }
  // Argo's updateOutboundNodesForTargetTasks, done whether the DAG succeeded or failed.
  node.outboundNodes = dag.targets.flatMap((t) => {
    const id = taskNodes.get(t)?.id;
    return id ? outboundNodes(run.nodes, id) : [];
  });
  if (failedFast(ctx)) return;
  const failFast = template.dag?.failFast !== false;
  const verdict = assessDag(dag, view, failFast);
  if (verdict.phase === "Failed" || verdict.phase === "Error") {
    // Argo's executeDAG marks a failed DAG without a message (unlike a steps node).
    run.updateNode(node, { phase: verdict.phase });
    return;
  }
  if (verdict.phase === "Running") {
    run.updateNode(node, { phase: "Error", message: "DAG could not make progress: some target tasks never became ready" });
    return;
  }
  finishWithOutputs(ctx, scopeVars);
}
