import type { ApplicationFunction } from "probot";

export type AcceptWebhook = (ev: { id: string; name: string; payload: unknown }) => Promise<string>;

/** Every event Tiphys acts on; the handler only hands it to the use-case that queues it. */
export const HANDLED_EVENTS = ["push", "pull_request", "issue_comment", "check_run", "check_suite"] as const;

/**
 * The Probot app: thin. Probot has verified the signature; the use-case dedupes, narrows and
 * queues, so GitHub gets its answer before any work is done.
 */
export function webhookHandlers(accept: AcceptWebhook): ApplicationFunction {
  return (app) => {
    app.on([...HANDLED_EVENTS], async (context) => {
      const outcome = await accept({ id: context.id, name: context.name, payload: context.payload });
      context.log.debug({ outcome }, "webhook accepted");
    });
  };
}
