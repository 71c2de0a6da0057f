import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CORPUS, describeResult, parseJson, workspace } from "./helpers.js";

describe.concurrent("Kubernetes-only fields", () => {
  test("are accepted by run and named as not applied locally", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", join(CORPUS, "examples", "node-selector.yaml"), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(parseJson(r.stdout).status.phase).toBe("Succeeded");
    expect(r.stderr).toMatch(/Kubernetes-only fields accepted and not applied locally: template "print-arch": nodeSelector/);
  });

  test("a workflow without them gets no such warning", async (ctx) => {
    const ws = workspace(ctx);
    const r = await ws.run(["run", join(CORPUS, "examples", "hello-world.yaml"), "-o", "json"], { timeoutMs: 30_000 });
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).not.toMatch(/not applied locally/);
  });
});
