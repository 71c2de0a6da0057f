import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { pino } from "pino";
import { composeApp, configFromEnv, createTiphysProbot } from "../app/compose.js";
import { webhookMiddleware } from "../github/webhook-receiver.js";

const WEBHOOK_PATH = "/api/github/webhooks";

/** What must be set before the App can start, with the fix for each. */
function missingSettings(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (!env.APP_ID) out.push("APP_ID: the GitHub App's id (its settings page)");
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) out.push("PRIVATE_KEY or PRIVATE_KEY_PATH: the App's private key (PEM)");
  if (!env.WEBHOOK_SECRET) out.push("WEBHOOK_SECRET: the App's webhook secret");
  return out;
}

/** `npm start`: the Probot server with Tiphys's handlers, health, readiness and metrics. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const missing = missingSettings(env);
  if (missing.length > 0) {
    process.stderr.write(`tiphys: cannot start the GitHub App; set:\n${missing.map((m) => "  " + m).join("\n")}\n(see .env.example)\n`);
    process.exit(2);
  }
  const config = configFromEnv(env);
  // One logger for Probot and Tiphys: JSON lines, the level from LOG_LEVEL, tokens redacted.
  const log = pino({
    level: env.LOG_LEVEL || "info",
    redact: { paths: ["*.token", "*.authorization", "*.headers.authorization", "req.headers.authorization"], censor: "***" },
  });
  const probot = createTiphysProbot(env, config, log);
  // The work runs in a thread of its own (TIPHYS_WORKER_THREAD=0 keeps it in this one), so that
  // acknowledging a webhook never waits behind it.
  const threaded = env.TIPHYS_WORKER_THREAD !== "0";
  let work: ReturnType<typeof startWorkThread> | undefined;
  const app = await composeApp({ probot, config, log: log.child({ name: "tiphys" }), role: threaded ? "web" : "all", wake: () => work?.wake() });
  // Started once this thread's store is open (and migrated), so the two never migrate at once.
  if (threaded) work = startWorkThread(env);
  const middleware = webhookMiddleware({ secret: env.WEBHOOK_SECRET!, path: WEBHOOK_PATH, accept: app.accept, log: log.child({ name: "webhooks" }) });
  let ready = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.method === "GET" && path === "/readyz") {
      void app.store.ping().then((ok) => {
        const up = ok && ready;
        res.writeHead(up ? 200 : 503, { "content-type": "text/plain" }).end(up ? "ready\n" : "not ready\n");
      });
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      void Promise.all([app.metrics.registry.metrics(), work ? work.metrics() : Promise.resolve("")]).then(([mine, theirs]) =>
        res.writeHead(200, { "content-type": app.metrics.registry.contentType }).end(mine + (theirs ? "\n" + theirs : "")),
      );
      return;
    }
    if (path === WEBHOOK_PATH) {
      const started = performance.now();
      work?.arrived(started);
      const event = String(req.headers["x-github-event"] ?? "unknown");
      res.on("finish", () => app.metrics.webhookAckSeconds.observe({ event }, (performance.now() - started) / 1000));
    }
    void middleware(req, res, () => {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
    });
  });

  const port = Number(env.PORT || 3000);
  const host = env.HOST || undefined;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  app.ctx.log.info({ port: typeof address === "object" && address ? address.port : port }, "Tiphys is listening");
  await app.start();
  await work?.ready;
  ready = true;

  const shutdown = async (signal: string) => {
    app.ctx.log.info({ signal }, "shutting down");
    ready = false;
    server.close();
    await work?.stop();
    await app.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

/** The work thread, and how this thread talks to it. */
function startWorkThread(env: NodeJS.ProcessEnv) {
  const thread = new Worker(new URL("./worker-thread.js", import.meta.url), { workerData: { env } });
  let nextId = 0;
  const pending = new Map<number, (text: string) => void>();
  let onStopped: (() => void) | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  thread.on("message", (msg: { type: string; id?: number; text?: string }) => {
    if (msg.type === "ready") resolveReady();
    else if (msg.type === "metrics") {
      pending.get(msg.id!)?.(msg.text ?? "");
      pending.delete(msg.id!);
    } else if (msg.type === "stopped") onStopped?.();
  });
  thread.on("error", (err) => {
    process.stderr.write(`tiphys: the work thread failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  // A wake per webhook would flood the thread under a burst: one pending at a time is enough.
  let wakePending = false;
  // Arrivals in the current 100 ms window; past a rate of 100 a second the work thread is told to
  // hold back (acknowledging comes first), at most once per window.
  let windowStart = 0;
  let arrivals = 0;
  let told = false;
  return {
    ready,
    arrived(now: number) {
      if (now - windowStart > 100) {
        windowStart = now;
        arrivals = 0;
        told = false;
      }
      if (++arrivals > 10 && !told) {
        told = true;
        thread.postMessage({ type: "pressure" });
      }
    },
    wake() {
      if (wakePending) return;
      wakePending = true;
      setImmediate(() => {
        wakePending = false;
        thread.postMessage({ type: "wake" });
      });
    },
    metrics(): Promise<string> {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        thread.postMessage({ type: "metrics", id });
      });
    },
    async stop(): Promise<void> {
      await new Promise<void>((resolve) => {
        onStopped = resolve;
        thread.postMessage({ type: "stop" });
        setTimeout(resolve, 10_000).unref();
      });
      await thread.terminate();
    },
  };
}

await main();
