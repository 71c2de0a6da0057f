/**
 * The baseline for bench/webhooks.ts: a bare Probot app with an empty `push` handler, served the way
 * src/server/main.ts serves Tiphys (the same Probot, the same logger settings, createNodeMiddleware on
 * node:http, /readyz), so the difference between the two is Tiphys's own work. Run from dist/ with
 * plain node, as `npm start` runs Tiphys.
 */
import { createServer } from "node:http";
import { pino } from "pino";
import { createNodeMiddleware, createProbot, type ApplicationFunction } from "probot";

const WEBHOOK_PATH = "/api/github/webhooks";

const log = pino({
  level: process.env.LOG_LEVEL || "info",
  redact: { paths: ["*.token", "*.authorization", "*.headers.authorization", "req.headers.authorization"], censor: "***" },
});
const probot = createProbot({ env: process.env, overrides: { log } });
const appFn: ApplicationFunction = (app) => {
  app.on("push", async () => {});
};
const middleware = await createNodeMiddleware(appFn, { probot, webhooksPath: WEBHOOK_PATH });

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && (path === "/readyz" || path === "/healthz")) {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    return;
  }
  void middleware(req, res, () => {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
  });
});
server.listen(Number(process.env.PORT || 3000), process.env.HOST || undefined, () => log.info("bare Probot app is listening"));
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
