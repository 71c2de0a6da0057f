import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintPaths } from "../../../src/engine/validate/index.js";
import { repairFlowIndentation } from "../../../src/engine/model/yaml-repair.js";
import { parseAllDocuments } from "yaml";
import { lintYaml, writeTree } from "./helpers.js";

const UNDER_INDENTED = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: flow-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c]
      args: ["
        echo one &&
        echo two
      "]
`;

describe("loading", () => {
  it("reads a multi-line flow sequence closed at its key's indentation, as Go's YAML does, with a warning", async () => {
    const r = await lintYaml(UNDER_INDENTED);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0].pos?.line).toBe(15);
    const repaired = repairFlowIndentation(UNDER_INDENTED);
    const args = (
      parseAllDocuments(repaired!.text)[0].toJS() as { spec: { templates: { container: { args: string[] } }[] } }
    ).spec.templates[0].container.args;
    expect(args).toEqual([" echo one && echo two "]);
  });

  it("still reports other YAML errors with their position", async () => {
    const r = await lintYaml(
      "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: x\n   bad: indent\n",
    );
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors[0].pos?.line).toBeGreaterThan(1);
  });

  it("refuses a 10 MB file quickly", async () => {
    const dir = await writeTree({});
    const file = join(dir, "big.yaml");
    await writeFile(file, "a: " + "x".repeat(10 * 1024 * 1024) + "\n");
    const start = performance.now();
    const { problems } = await lintPaths([file], []);
    expect(performance.now() - start).toBeLessThan(500);
    expect(problems[0].message).toMatch(/file too large/);
  });

  it("counts files and documents", async () => {
    const dir = await writeTree({
      "a.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
      "b.yml": UNDER_INDENTED,
    });
    const r = await lintPaths([dir], []);
    expect(r.files).toBe(2);
    expect(r.documents).toBe(3);
  });
});
