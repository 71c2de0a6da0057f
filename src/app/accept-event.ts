import type { AppContext } from "./context.js";
import { repoOf } from "./context.js";

export type AcceptOutcome = "queued" | "duplicate" | "ignored";

export interface IncomingEvent {
  id: string;
  name: string;
  payload: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- narrowed by `wanted`
}

/** Which deliveries lead to work; everything else is acknowledged and dropped. */
function wanted(ev: IncomingEvent): boolean {
  const a = ev.payload?.action;
  switch (ev.name) {
    case "push":
      return true;
    case "pull_request":
      return a === "opened" || a === "synchronize" || a === "reopened";
    case "issue_comment":
      return a === "created" && /(^|\n)\s{0,3}\/tiphys\b/i.test(ev.payload?.comment?.body ?? "");
    case "check_run":
      return a === "rerequested" || a === "requested_action";
    case "check_suite":
      return a === "rerequested";
    default:
      return false;
  }
}

/**
 * The webhook's whole synchronous path: record the delivery (a redelivery is processed once) and
 * queue the work. Nothing else happens before GitHub gets its answer.
 */
export async function acceptEvent(ctx: AppContext, ev: IncomingEvent, wake: () => void): Promise<AcceptOutcome> {
  const repo = repoOf(ev.payload ?? {});
  let outcome: AcceptOutcome;
  if (!repo || !wanted(ev)) outcome = "ignored";
  else {
    const fresh = await ctx.store.recordDelivery({
      id: ev.id,
      event: ev.name,
      action: ev.payload.action,
      installationId: repo.installationId,
      repo: `${repo.owner}/${repo.name}`,
      receivedAt: ctx.now(),
    });
    if (!fresh) outcome = "duplicate";
    else {
      await ctx.store.enqueue({
        kind: "event",
        key: `delivery:${ev.id}`,
        installationId: repo.installationId,
        repo: `${repo.owner}/${repo.name}`,
        payload: { id: ev.id, name: ev.name, payload: ev.payload },
        deliveryId: ev.id,
      });
      outcome = "queued";
      wake();
    }
  }
  ctx.metrics.webhooksReceived.inc({ event: ev.name, outcome });
  return outcome;
}
