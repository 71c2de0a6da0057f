import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InProcessExecutor } from "../../../src/engine/executors/in-process.js";
import { Catalog } from "../../../src/engine/model/catalog.js";
import { parseYamlDocuments } from "../../../src/engine/model/load.js";
import { prepareWorkflow } from "../../../src/engine/model/prepare.js";
import { WorkflowRun } from "../../../src/engine/runtime/operator.js";

/** Random DAG workflows: task i may depend on any earlier tasks; some tasks exit 1. */
const arbitraryDag = fc
  .integer({ min: 1, max: 30 })
  .chain((n) => fc.tuple(fc.constant(n), fc.array(fc.uniqueArray(fc.nat({ max: 29 }), { maxLength: 3 }), { minLength: n, maxLength: n }), fc.array(fc.nat({ max: 9 }), { minLength: n, maxLength: n })))
  .map(([n, picks, failRolls]) =>
    Array.from({ length: n }, (_, i) => ({
      name: `t${i}`,
      deps: i === 0 ? [] : [...new Set(picks[i].map((d) => `t${d % i}`))],
      fails: failRolls[i] === 0,
    })),
  );

async function runDag(tasks: Array<{ name: string; deps: string[]; fails: boolean }>) {
  const yaml = [
    "apiVersion: argoproj.io/v1alpha1",
    "kind: Workflow",
    "metadata: {name: prop}",
    "spec:",
    "  entrypoint: main",
    "  templates:",
    "  - name: main",
    "    dag:",
    "      tasks:",
    ...tasks.map((t) => `      - {name: ${t.name}, template: work, arguments: {parameters: [{name: id, value: ${t.name}}]}${t.deps.length ? `, depends: "${t.deps.join(" && ")}"` : ""}}`),
    "  - name: work",
    "    inputs: {parameters: [{name: id}]}",
    "    container: {image: x, command: [work, '{{inputs.parameters.id}}']}",
  ].join("\n");
  const catalog = new Catalog();
  for (const d of parseYamlDocuments(yaml, "prop.yaml")) catalog.add(d);
  const calls: string[] = [];
  const failing = new Set(tasks.filter((t) => t.fails).map((t) => t.name));
  const executor = new InProcessExecutor((spec) => {
    calls.push(spec.argv[1]);
    return failing.has(spec.argv[1]) ? 1 : 0;
  });
  const run = new WorkflowRun({ workflow: prepareWorkflow(catalog.entries[0], catalog), catalog, executor });
  const status = await run.execute();
  return { calls, status };
}

describe("engine on random DAGs", () => {
  it("runs every task once, after its dependencies; with no failure every task runs and the DAG succeeds", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryDag, async (tasks) => {
        const { calls, status } = await runDag(tasks);
        expect(new Set(calls).size).toBe(calls.length);
        const at = new Map(calls.map((c, i) => [c, i]));
        for (const t of tasks) {
          if (!at.has(t.name)) continue;
          for (const d of t.deps) {
            expect(at.has(d)).toBe(true);
            expect(at.get(d)!).toBeLessThan(at.get(t.name)!);
          }
        }
        const byName = new Map(Object.values(status.nodes).map((n) => [n.displayName, n]));
        for (const t of tasks) {
          const n = byName.get(t.name);
          expect(n, `node for ${t.name}`).toBeDefined();
          // A task ran exactly when none of its dependencies failed or was omitted.
          const ran = at.has(t.name);
          const depsOk = t.deps.every((d) => byName.get(d)?.phase === "Succeeded");
          expect(ran).toBe(depsOk);
          expect(n!.phase).toBe(ran ? (t.fails ? "Failed" : "Succeeded") : "Omitted");
        }
        if (tasks.every((t) => !t.fails)) {
          expect(calls).toHaveLength(tasks.length);
          expect(status.phase).toBe("Succeeded");
        } else {
          expect(status.phase).toBe("Failed");
        }
      }),
      { numRuns: 150 },
    );
  });
});
