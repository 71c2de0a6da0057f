// The ToolRunner adapter against the real helm/kustomize in .tools/bin and small fake tools (shell
// scripts) for the failure paths: missing binary, non-zero exit, timeout, output cap.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ExternalError, TransientError } from "../../src/core/errors.js";
import { ToolFailedError, ToolMissingError, ToolOutputTooLargeError, ToolTimeoutError } from "../../src/core/ports/tools.js";
import { createBinaryToolRunner, findPackageRoot, parseGoDuration } from "../../src/tools/binaries.js";
import { toolPath } from "../../scripts/tools-path.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
let work: string;

/** An executable shell script in the work folder. */
function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Running (a killed process whose parent died may linger as a zombie until init reaps it). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

beforeAll(() => {
  if (!existsSync(toolPath("helm")) || !existsSync(toolPath("kustomize"))) {
    execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "pipe" });
  }
  work = mkdtempSync(join(tmpdir(), "tiphys-binaries-"));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("finding the binary", () => {
  it("finds the package root by walking up to the package.json named tiphys", () => {
    expect(findPackageRoot(join(repoRoot, "src", "tools"))).toBe(repoRoot.replace(/\/$/, ""));
    expect(findPackageRoot(tmpdir())).toBeUndefined();
  });

  it("uses .tools/bin by default and runs the real helm and kustomize", async () => {
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin" } });
    expect(runner.binaryFor("helm")).toBe(toolPath("helm"));
    const helm = await runner.run("helm", ["version", "--short"], { cwd: work });
    expect(helm.stdout).toMatch(/^v4\.1\./);
    const kustomize = await runner.run("kustomize", ["version"], { cwd: work });
    expect(kustomize.stdout).toMatch(/^v5\./);
  });

  it("prefers TIPHYS_HELM, and passes the run's env on", async () => {
    const fake = script("fake-helm", 'echo "fake $FOO $*"');
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin", TIPHYS_HELM: fake } });
    const out = await runner.run("helm", ["template", "."], { cwd: work, env: { FOO: "bar" } });
    expect(out.stdout).toBe("fake bar template .\n");
  });

  it("falls back to PATH when .tools/bin has no such tool", async () => {
    const bin = join(work, "path-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "kustomize"), "#!/bin/sh\necho from-path\n");
    chmodSync(join(bin, "kustomize"), 0o755);
    const runner = createBinaryToolRunner({ env: { PATH: `${bin}:/usr/bin:/bin` }, packageRoot: join(work, "no-package") });
    expect((await runner.run("kustomize", [], { cwd: work })).stdout).toBe("from-path\n");
  });

  it("says how to install a missing binary (an ExternalError)", async () => {
    const runner = createBinaryToolRunner({ env: { PATH: join(work, "empty") }, packageRoot: join(work, "no-package") });
    const err = await runner.run("helm", ["version"], { cwd: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as Error).message).toContain("helm was not found");
    expect((err as Error).message).toContain("npm run tools");
    expect((err as Error).message).toContain("TIPHYS_HELM");
    expect((err as Error).message).toContain("PATH");
  });

  it("rejects a TIPHYS_KUSTOMIZE that points at nothing", async () => {
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin", TIPHYS_KUSTOMIZE: join(work, "nope") } });
    const err = await runner.run("kustomize", ["build", "."], { cwd: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as Error).message).toContain(`TIPHYS_KUSTOMIZE is set to ${join(work, "nope")}`);
  });
});

describe("failures", () => {
  it("a non-zero exit is a ConfigError carrying the tool's stderr", async () => {
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin" } });
    const err = await runner.run("kustomize", ["build", join(work, "does-not-exist")], { cwd: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ToolFailedError).exitCode).toBe(1);
    expect((err as ToolFailedError).stderr).toContain("must build at directory");
  });

  it("kills the tool and everything it started when the timeout passes (a TransientError)", async () => {
    const pidFile = join(work, "sleep.pid");
    const slow = script("slow-helm", `sleep 30 &\necho $! > ${pidFile}\nwait`);
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin", TIPHYS_HELM: slow } });
    const started = performance.now();
    const err = await runner.run("helm", ["template", "."], { cwd: work, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ToolTimeoutError);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain("did not finish within 0.3s");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it("takes the default timeout from ARGOCD_EXEC_TIMEOUT (a Go duration)", async () => {
    expect(parseGoDuration("90s")).toBe(90_000);
    expect(parseGoDuration("1m30s")).toBe(90_000);
    expect(parseGoDuration("1.5h")).toBe(5_400_000);
    expect(parseGoDuration("250ms")).toBe(250);
    expect(parseGoDuration("180")).toBeUndefined(); // Go rejects a number without a unit; Argo CD then uses 90s
    const slow = script("slow-kustomize", "exec sleep 30");
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin", TIPHYS_KUSTOMIZE: slow, ARGOCD_EXEC_TIMEOUT: "250ms" } });
    const err = await runner.run("kustomize", ["build", "."], { cwd: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolTimeoutError);
    expect((err as ToolTimeoutError).timeoutMs).toBe(250);
  });

  it("stops a tool that prints more than the cap (a ConfigError)", async () => {
    const noisy = script("noisy-helm", "yes manifest | head -c 5000000");
    const runner = createBinaryToolRunner({ env: { PATH: "/usr/bin:/bin", TIPHYS_HELM: noisy }, maxOutputBytes: 100_000 });
    const err = await runner.run("helm", ["template", "."], { cwd: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolOutputTooLargeError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("more than 100000 bytes");
  });
});
