import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The App's Prometheus metrics, on a registry of its own (several App instances in one process, as
 * in tests, do not share counters).
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly webhooksReceived: Counter<"event" | "outcome">;
  readonly webhookAckSeconds: Histogram<"event">;
  readonly runsStarted: Counter<"trigger">;
  readonly runsFinished: Counter<"phase">;
  readonly runsActive: Gauge;
  readonly nodeSeconds: Histogram<"type" | "phase">;
  readonly rateLimitRemaining: Gauge<"installation">;
  readonly jobsQueued: Gauge;
  readonly commands: Counter<"verb" | "decision">;
  readonly appSyncs: Counter<"trigger" | "phase">;
  readonly appDrift: Counter<"action">;

  /**
   * `part` splits the metrics between a server's two threads: "web" exports the webhook metrics (and
   * the process's), "worker" the rest; "all" (default) exports everything from one registry.
   */
  constructor(opts: { defaultMetrics?: boolean; part?: "all" | "web" | "worker" } = {}) {
    const part = opts.part ?? "all";
    const web = part === "worker" ? [] : [this.registry];
    const registers = part === "web" ? [] : [this.registry];
    this.webhooksReceived = new Counter({
      name: "tiphys_webhooks_received_total",
      help: "Webhook deliveries received, by event and outcome (queued, duplicate, ignored)",
      labelNames: ["event", "outcome"],
      registers: web,
    });
    this.webhookAckSeconds = new Histogram({
      name: "tiphys_webhook_ack_seconds",
      help: "Time from a delivery's arrival to its acknowledgement",
      labelNames: ["event"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: web,
    });
    this.runsStarted = new Counter({ name: "tiphys_runs_started_total", help: "Workflow runs created, by trigger", labelNames: ["trigger"], registers });
    this.runsFinished = new Counter({ name: "tiphys_runs_finished_total", help: "Workflow runs finished, by phase", labelNames: ["phase"], registers });
    this.runsActive = new Gauge({ name: "tiphys_runs_active", help: "Workflow runs executing in this replica", registers });
    this.nodeSeconds = new Histogram({
      name: "tiphys_node_duration_seconds",
      help: "Duration of finished workflow nodes, by type and phase",
      labelNames: ["type", "phase"],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.rateLimitRemaining = new Gauge({
      name: "tiphys_github_rate_limit_remaining",
      help: "GitHub API requests left in the current window, per installation (0 = the App itself)",
      labelNames: ["installation"],
      registers,
    });
    this.jobsQueued = new Gauge({ name: "tiphys_jobs_queued", help: "Jobs waiting in the store's queue", registers });
    this.commands = new Counter({ name: "tiphys_commands_total", help: "Comment commands and buttons, by verb and decision", labelNames: ["verb", "decision"], registers });
    this.appSyncs = new Counter({ name: "tiphys_app_syncs_total", help: "Application sync operations finished, by trigger and phase", labelNames: ["trigger", "phase"], registers });
    this.appDrift = new Counter({
      name: "tiphys_app_drift_total",
      help: "Drift seen on an Application's objects: healed (self-heal re-applied it) or reported (no selfHeal, or locked)",
      labelNames: ["action"],
      registers,
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
