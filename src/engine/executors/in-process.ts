import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor, ProcessIO, ProcessResult, ProcessSpec, Sandbox } from "./types.js";

/**
 * An executor whose processes succeed at once without running anything: for measuring the engine
 * itself (scheduling, state, journaling) apart from process start-up, and for planning tests.
 */
export class InProcessExecutor implements Executor {
  readonly name = "in-process";
  private readonly root = mkdtempSync(join(tmpdir(), "tiphys-inproc-"));
  constructor(private readonly behaviour: (spec: ProcessSpec) => number = () => 0) {}
  warnings(): string[] {
    return [];
  }
  async createSandbox(nodeId: string): Promise<Sandbox> {
    const root = join(this.root, nodeId);
    return {
      root,
      isolated: true,
      hostPath: (p: string) => join(root, p),
      dispose: async () => {},
    };
  }
  async run(spec: ProcessSpec, _sandbox: Sandbox, _io: ProcessIO, _signal: AbortSignal): Promise<ProcessResult> {
    return { exitCode: this.behaviour(spec), durationMs: 0, stdout: "" };
  }
}
