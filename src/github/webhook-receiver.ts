import { createNodeMiddleware, Webhooks } from "@octokit/webhooks";
import type { Logger } from "pino";

export interface WebhookReceiverOptions {
  /** The App's webhook secret (WEBHOOK_SECRET). */
  secret: string;
  /** Where GitHub posts (/api/github/webhooks, as Probot). */
  path: string;
  /** The use-case: record the delivery and queue its work; GitHub gets its answer when this settles. */
  accept(ev: { id: string; name: string; payload: unknown }): Promise<unknown>;
  log: Logger;
}

/**
 * The webhook endpoint for node:http: @octokit/webhooks (what Probot's own middleware is made of)
 * verifies the signature (400 without the headers or when it does not match, 415 for another
 * content type) and hands the event to `accept`; an error there answers 500, so GitHub records the
 * delivery as failed and it is redelivered. Probot's middleware would also build a Probot context for
 * every event, with a new installation Octokit (all its plugins and limiters): measured, that was the
 * largest part of the acknowledging thread's time under a burst, and nothing there uses it (the work
 * thread talks to GitHub through Probot later).
 */
export function webhookMiddleware(opts: WebhookReceiverOptions) {
  const webhooks = new Webhooks({ secret: opts.secret });
  webhooks.onAny(async (event) => {
    await opts.accept({ id: event.id, name: event.name, payload: event.payload });
  });
  const log = opts.log;
  return createNodeMiddleware(webhooks, {
    path: opts.path,
    log: { debug: (m: string) => log.debug(m), info: (m: string) => log.info(m), warn: (m: string) => log.warn(m), error: (m: unknown) => log.error({ err: m }, "webhook failed") },
  });
}
