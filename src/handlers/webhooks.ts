import type { ApplicationFunction } from "probot";

export type AcceptWebhook = (ev: { id: string; name: string; payload: unknown }) => Promise<string>;

/**
 * The Probot app: thin. Probot has verified the signature; the use-case dedupes, narrows and
 * queues, so GitHub gets its answer before any work is done. Every event goes there: any may match
 * a Sensor, and the use-case drops what cannot start anything.
 */
export function webhookHandlers(accept: AcceptWebhook): ApplicationFunction {
  return (app) => {
    app.onAny(async (event) => {
      await accept({ id: event.id, name: event.name, payload: event.payload as unknown });
    });
  };
}
