// `tiphys cluster simulate` as a user runs it: the real command (node bin/tiphys.js, which loads
// dist/, so build first) in the foreground, the real kubectl against the kubeconfig it writes, then a
// signal to stop it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { toolPath } from "../../scripts/tools-path.mjs";
import { until } from "./helpers.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(REPO, "bin", "tiphys.js");

interface Simulate {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tiphys-simulate-"));
  dirs.push(d);
  return d;
}

function simulate(args: string[], cwd: string): Simulate {
  const child = spawn(process.execPath, [BIN, "cluster", "simulate", "--port", "0", ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  return { child, stdout: () => out, exited };
}

function kubectl(kubeconfig: string, cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((r) =>
    execFile(toolPath("kubectl"), ["--kubeconfig", kubeconfig, "--cache-dir", join(cwd, "kube-cache"), ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      r({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

describe("tiphys cluster simulate", () => {
  it("serves kubectl over HTTPS from the kubeconfig it writes, says it is a simulation, and exits 0 on SIGTERM keeping the file asked for", async () => {
    const dir = workDir();
    const kubeconfig = join(workDir(), "sim.kubeconfig");
    const sim = simulate(["--kubeconfig-out", kubeconfig], dir);
    await until(() => existsSync(kubeconfig) && sim.stdout().includes("Ctrl-C"), 20_000, "the kubeconfig");
    expect(sim.stdout()).toMatch(/SIMULATION: this is not a real Kubernetes cluster/);
    expect(sim.stdout()).toContain(`kubectl --kubeconfig ${kubeconfig} get ns`);
    expect(readFileSync(kubeconfig, "utf8")).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);

    const ns = await kubectl(kubeconfig, dir, "get", "ns");
    expect(ns.stderr).toBe("");
    expect(ns.code).toBe(0);
    expect(ns.stdout).toMatch(/^default\s+Active/m);
    expect(ns.stdout).toMatch(/^kube-system\s+Active/m);
    const version = await kubectl(kubeconfig, dir, "version", "-o", "json");
    expect(version.stdout).toMatch(/tiphys-simulated/);

    sim.child.kill("SIGTERM");
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(sim.stdout()).toMatch(/simulated cluster stopped \(SIGTERM\)/);
    expect(existsSync(kubeconfig)).toBe(true);
  });

  it("with --no-tls and the default kubeconfig: kubectl works over HTTP, and Ctrl-C removes the file", async () => {
    const dir = workDir();
    const kubeconfig = join(dir, "tiphys-simulated.kubeconfig");
    const sim = simulate(["--no-tls"], dir);
    await until(() => existsSync(kubeconfig) && sim.stdout().includes("Ctrl-C"), 20_000, "the kubeconfig");
    expect(sim.stdout()).toContain("kubectl --kubeconfig ./tiphys-simulated.kubeconfig get ns");
    expect(readFileSync(kubeconfig, "utf8")).toMatch(/server: http:\/\/127\.0\.0\.1:\d+/);

    const ns = await kubectl(kubeconfig, dir, "get", "ns", "-o", "name");
    expect(ns.code).toBe(0);
    expect(ns.stdout).toContain("namespace/default");

    sim.child.kill("SIGINT");
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it("refuses a port that is not one, or one in use, with exit code 2", async () => {
    const dir = workDir();
    const bad = simulate(["--port", "http"], dir);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stdout()).toMatch(/expected a port number/);

    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = String((server.address() as AddressInfo).port);
      const taken = simulate(["--port", port], dir);
      expect((await taken.exited).code).toBe(2);
      expect(taken.stdout()).toContain(`port ${port} is in use`);
    } finally {
      server.close();
    }
  });
});
