import { createLogUpdate } from "log-update";
import pc from "picocolors";
import type { NodeStatus, WorkflowStatus } from "../engine/model/types.js";
import type { Reporter } from "../engine/runtime/reporter.js";
import { colourPhase, duration, renderTree } from "./render.js";

/** Up to this many nodes the live block shows the whole tree. */
const LIVE_TREE_MAX = 40;

export interface TerminalReporterOptions {
  /** Where progress goes: stderr with `--output json` so stdout holds only the Workflow. */
  stream: NodeJS.WriteStream;
  /** A live block of running nodes under the logs (on a TTY). */
  live: boolean;
  quiet?: boolean;
}

const PALETTE = [pc.cyan, pc.magenta, pc.blue, pc.yellow, pc.green];

/**
 * Streams node logs with a node prefix and node transitions as lines; on a TTY a live block at the
 * bottom shows what is running now.
 */
export class TerminalReporter implements Reporter {
  private readonly running = new Map<string, NodeStatus>();
  private readonly colours = new Map<string, (s: string) => string>();
  private readonly live?: ReturnType<typeof createLogUpdate>;
  private timer?: NodeJS.Timeout;
  private readonly lastPhase = new Map<string, string>();
  private readonly nodes = new Map<string, NodeStatus>();
  private root: string | undefined;

  constructor(private readonly opts: TerminalReporterOptions) {
    if (opts.live && opts.stream.isTTY) {
      this.live = createLogUpdate(opts.stream, { showCursor: true });
      this.timer = setInterval(() => this.redraw(), 250);
      this.timer.unref();
    }
  }

  private print(line: string): void {
    if (this.opts.quiet) return;
    if (this.live) {
      this.live.clear();
      this.opts.stream.write(line + "\n");
      this.redraw();
    } else this.opts.stream.write(line + "\n");
  }

  /** The live block: the whole node tree while it is small, else what runs now and the counts. */
  private redraw(): void {
    if (!this.live) return;
    if (this.nodes.size > 0 && this.nodes.size <= LIVE_TREE_MAX && this.root) {
      this.live(renderTree({ phase: "Running", nodes: Object.fromEntries(this.nodes) }, this.root));
      return;
    }
    const lines = [...this.running.values()].slice(0, 10).map((n) => `${colourPhase("Running", "●")} ${n.displayName} ${pc.dim(duration(n))}`);
    if (this.running.size > 10) lines.push(pc.dim(`… and ${this.running.size - 10} more running`));
    lines.push(pc.dim(`${this.nodes.size} nodes, ${this.running.size} running`));
    this.live(lines.join("\n"));
  }

  private colourOf(id: string): (s: string) => string {
    let c = this.colours.get(id);
    if (!c) {
      c = PALETTE[this.colours.size % PALETTE.length];
      this.colours.set(id, c);
    }
    return c;
  }

  nodeUpdated(node: NodeStatus): void {
    if (this.live) {
      this.nodes.set(node.id, node);
      if (!node.boundaryID && !this.root) this.root = node.name;
    }
    const leaf = node.type === "Pod" || node.type === "Suspend" || node.type === "HTTP" || (node.type === "Skipped" && node.phase === "Error");
    if (node.phase === "Running" && leaf) this.running.set(node.id, node);
    else this.running.delete(node.id);
    if (!leaf || this.lastPhase.get(node.id) === node.phase) return;
    this.lastPhase.set(node.id, node.phase);
    if (node.phase === "Pending" || node.phase === "Running") return;
    const msg = node.message ? pc.dim(` (${node.message})`) : "";
    this.print(`${colourPhase(node.phase, node.phase.padEnd(9))} ${this.colourOf(node.id)(node.displayName)} ${pc.dim(duration(node))}${msg}`);
  }

  log(node: NodeStatus, _stream: "stdout" | "stderr", line: string): void {
    this.print(`${this.colourOf(node.id)(node.displayName)}: ${line}`);
  }

  workflowUpdated(_status: Omit<WorkflowStatus, "nodes">): void {}

  warn(message: string): void {
    this.print(pc.yellow(`warning: ${message}`));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.live?.clear();
    this.live?.done();
  }
}
