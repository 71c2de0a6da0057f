import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { createNodeMiddleware } from "probot";
import { composeApp, configFromEnv, createTiphysProbot } from "../app/compose.js";

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
  const app = await composeApp({ probot, config, log: log.child({ name: "tiphys" }) });
  const middleware = await createNodeMiddleware(app.appFn, { probot, webhooksPath: WEBHOOK_PATH });
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
      void app.metrics.registry.metrics().then((text) => res.writeHead(200, { "content-type": app.metrics.registry.contentType }).end(text));
      return;
    }
    if (path === WEBHOOK_PATH) {
      const started = performance.now();
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
  ready = true;

  const shutdown = async (signal: string) => {
    app.ctx.log.info({ signal }, "shutting down");
    ready = false;
    server.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

await main();
