/**
 * The App as Probot runs it, minus the HTTP server: a real Probot with the composed Tiphys app
 * loaded, an in-memory store, a worker that executes steps as real processes, and GitHub mocked by
 * nock. `deliver` hands Probot a webhook and returns once everything it started has finished.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { composeApp, configFromEnv, type ComposedApp, type ComposeOptions } from "../../src/app/compose.js";
import { DEFAULT_LIMITS, type AppLimits } from "../../src/app/context.js";
import { AppMetrics } from "../../src/app/metrics.js";
import type { Store } from "../../src/core/ports/store.js";
import { openMemoryStore } from "../../src/store/index.js";
import { mockGitHub, type GitHubMock } from "../helpers/github-mock.js";
import type { WebhookPayload } from "../helpers/webhooks.js";
import { testWorkRoot } from "../support/work-root.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Generated once per test file: no key is committed, and 2048-bit generation is not free.
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

// The function form: Probot wraps the class again with its own throttle options, and the object
// form's `throttle: { enabled: false }` is lost, so every second write would wait 3 s
// (probot/probot#2039, stack-spike.md section 1).
const TestOctokit = ProbotOctokit.defaults((o: { throttle?: object }) => ({
  ...o,
  throttle: { ...o.throttle, enabled: false },
  retry: { enabled: false },
})) as typeof ProbotOctokit;

export interface Harness {
  probot: Probot;
  app: ComposedApp;
  gh: GitHubMock;
  /** Probot receives the webhook; resolves when the queue is empty and no run is Pending or Running. */
  deliver(name: string, payload: WebhookPayload, id?: string): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  limits?: Partial<AppLimits>;
  /** How long `deliver` waits for the work to settle. */
  settleMs?: number;
  /** More of the composition root's options (clusters, app sync timings ...). */
  compose?: Partial<Omit<ComposeOptions, "probot" | "config" | "log" | "store" | "metrics">>;
  /** The store (default: a new in-memory one); a file store lets a test restart the App on the same data. */
  store?: Store;
}

let harnesses = 0;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const gh = mockGitHub();
  // Steps run as real processes, each with its own /tmp: their files must live outside it.
  const dataDir = testWorkRoot(REPO_ROOT, `handlers-${process.pid}-${++harnesses}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const probot = new Probot({ appId: 123, privateKey, logLevel: "fatal", Octokit: TestOctokit });
  const app = await composeApp({
    probot,
    config: {
      ...configFromEnv({}),
      dataDir,
      pollMs: 10,
      redeliverIntervalMs: 0,
      workerId: "handler-tests",
      // Octokit's throttling is off here (TestOctokit), and so is Tiphys's own pacing of writes.
      githubWriteIntervalMs: 0,
      // A long debounce: the first in-progress update goes out at once and the next would wait a
      // minute, but the final update flushes it, so every run makes exactly one in-progress call.
      limits: { ...DEFAULT_LIMITS, checkRunDebounceMs: 60_000, ...opts.limits },
    },
    // HARNESS_LOG=info shows the App's log when a test needs looking into.
    log: pino({ level: process.env.HARNESS_LOG ?? "silent" }),
    store: opts.store ?? (await openMemoryStore()),
    metrics: new AppMetrics({ defaultMetrics: false }),
    ...opts.compose,
  });
  await probot.load(app.appFn);
  // Not app.start(): that also asks GitHub for failed deliveries, a call no test here is about.
  app.worker.start();

  const settle = async (what: string) => {
    const deadline = Date.now() + (opts.settleMs ?? 15_000);
    for (;;) {
      if (gh.unmatched.length > 0) throw new Error(`${what}: GitHub got requests nothing was set up for:\n  ${gh.unmatched.join("\n  ")}`);
      await app.worker.idle();
      const queued = await app.store.countJobs("queued");
      const running = await app.store.countJobs("running");
      const active = await app.store.findRuns({ phases: ["Pending", "Running"] });
      if (queued === 0 && running === 0 && active.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`${what}: still busy after ${opts.settleMs ?? 15_000} ms (${queued} queued, ${running} running jobs, runs ${active.map((r) => `${r.id}=${r.phase}`).join(", ") || "none"}); calls: ${gh.calls.join(", ")}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  return {
    probot,
    app,
    gh,
    async deliver(name, payload, id = randomUUID()) {
      await probot.receive({ id, name, payload } as never);
      await settle(`${name}.${String(payload.action ?? "")} ${id}`);
    },
    async close() {
      await app.worker.idle();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
