// `tiphys lint` (and the App's tiphys/config check) on Rollout documents: what Tiphys's controller does
// not support yet is an error at its file, line and field, not silently ignored.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../../src/core/errors.js";
import { lintPaths } from "../../../src/engine/validate/index.js";

const ROLLOUT = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  replicas: 2
  selector:
    matchLabels: {app: r}
  template:
    metadata:
      labels: {app: r}
    spec:
      containers: [{name: r, image: nginx}]
  strategy:
    canary:
      trafficRouting:
        nginx:
          stableIngress: x
      steps:
      - setWeight: 20
      - experiment: {}
`;

describe("tiphys lint on Rollouts", () => {
  it("says traffic routers and experiments are not supported yet, at their lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tiphys-lint-rollout-"));
    try {
      const file = join(dir, "rollout.yaml");
      writeFileSync(file, ROLLOUT);
      const { problems } = await lintPaths([file], []);
      const lines = problems.map((p) => formatProblem(p).replace(dir, "DIR"));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^DIR\/rollout\.yaml:17:\d+: error: traffic routing \(nginx\) is not supported yet.*\(spec\.strategy\.canary\.trafficRouting\)$/);
      expect(lines[1]).toMatch(/^DIR\/rollout\.yaml:21:\d+: error: experiment steps are not supported yet.*\(spec\.strategy\.canary\.steps\[1\]\.experiment\)$/);
      writeFileSync(file, ROLLOUT.replace(/ {6}trafficRouting:\n.*\n.*\n/, "").replace("      - experiment: {}\n", "      - pause: {}\n"));
      expect((await lintPaths([file], [])).problems.filter((p) => p.severity === "error")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
