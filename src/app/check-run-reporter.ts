import type { GitHubPort, RepoRef } from "../core/ports/github.js";
import type { NodeStatus, WorkflowStatus } from "../engine/model/types.js";
import type { Reporter } from "../engine/runtime/reporter.js";
import { renderWorkflowCheckRun } from "../reporting/index.js";

export interface CheckRunReporterOptions {
  github: GitHubPort;
  repo: RepoRef;
  checkRunId: number;
  workflowName: string;
  runId: string;
  debounceMs: number;
  /** The last lines of a node's log (from the store: any replica can render them). */
  logTail: (nodeId: string) => Promise<string | undefined>;
  /** Values masked wherever they would appear (the installation token, secrets). */
  secrets: () => string[];
  nodes: () => Record<string, NodeStatus>;
  onError: (err: Error) => void;
  onNodeFinished?: (node: NodeStatus) => void;
}

const FINISHED = new Set(["Succeeded", "Failed", "Error", "Skipped", "Omitted"]);

/**
 * Reports a run to its check run: in progress with live updates at most once per debounce window
 * (GitHub's secondary rate limits punish bursts), and completed with the full output at the end.
 */
export class CheckRunReporter implements Reporter {
  private status: Omit<WorkflowStatus, "nodes"> = { phase: "Pending" };
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: CheckRunReporterOptions) {}

  nodeUpdated(node: NodeStatus): void {
    if (FINISHED.has(node.phase)) this.opts.onNodeFinished?.(node);
    this.schedule();
  }

  workflowUpdated(status: Omit<WorkflowStatus, "nodes">): void {
    this.status = status;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const wait = Math.max(0, this.lastSent + this.opts.debounceMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastSent = Date.now();
      this.chain = this.chain.then(() => this.send(false)).catch((err: Error) => this.opts.onError(err));
    }, wait);
    this.timer.unref?.();
  }

  private async render(final: boolean) {
    const nodes = this.opts.nodes();
    const logTails: Record<string, string> = {};
    if (final) {
      for (const n of Object.values(nodes)) {
        if ((n.phase === "Failed" || n.phase === "Error") && n.type === "Pod") {
          const tail = await this.opts.logTail(n.id);
          if (tail) logTails[n.id] = tail;
        }
      }
    }
    return renderWorkflowCheckRun({
      workflowName: this.opts.workflowName,
      runId: this.opts.runId,
      status: this.status,
      nodes,
      logTails,
      secrets: this.opts.secrets(),
      detailsHint: `tiphys get ${this.opts.runId}`,
    });
  }

  private async send(final: boolean, status?: Omit<WorkflowStatus, "nodes">, cancelled?: boolean): Promise<void> {
    if (status) this.status = status;
    const out = await this.render(final);
    const completed = final && out.status === "completed";
    await this.opts.github.updateCheckRun(this.opts.repo, this.opts.checkRunId, {
      status: completed ? "completed" : "in_progress",
      conclusion: completed ? (cancelled ? "cancelled" : out.conclusion) : undefined,
      startedAt: this.status.startedAt,
      completedAt: completed ? (this.status.finishedAt ?? new Date().toISOString()) : undefined,
      output: { title: out.title, summary: out.summary, text: out.text },
    });
  }

  /** The final update: waits for queued updates, then completes the check run. */
  async finish(status: Omit<WorkflowStatus, "nodes">, opts: { cancelled?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    await this.send(true, status, opts.cancelled);
  }
}
