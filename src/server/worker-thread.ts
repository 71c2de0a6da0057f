import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { composeApp, configFromEnv, createTiphysProbot } from "../app/compose.js";

/**
 * The server's work thread: executes queued webhooks, runs, schedules and redeliveries, so the main
 * thread only answers GitHub (acknowledging a webhook never waits behind work).
 */
const env = (workerData as { env: NodeJS.ProcessEnv }).env;
/** How long one "webhooks are arriving fast" message holds the work back. */
const PRESSURE_MS = 250;
const config = configFromEnv(env);
const log = pino({ level: env.LOG_LEVEL || "info", redact: { paths: ["*.token", "*.authorization"], censor: "***" } }).child({ name: "tiphys", thread: "worker" });
const probot = createTiphysProbot(env, config, log);
const app = await composeApp({ probot, config, log, role: "worker" });
await app.start();

parentPort!.on("message", (msg: { type: string; id?: number }) => {
  if (msg.type === "wake") app.worker.wake();
  else if (msg.type === "pressure") app.worker.setPressure(Date.now() + PRESSURE_MS);
  else if (msg.type === "metrics") {
    void app.metrics.registry.metrics().then((text) => parentPort!.postMessage({ type: "metrics", id: msg.id, text }));
  } else if (msg.type === "stop") {
    void app.close().then(() => parentPort!.postMessage({ type: "stopped" }));
  }
});
parentPort!.postMessage({ type: "ready" });
