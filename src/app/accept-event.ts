import type { RepoRef } from "../core/ports/github.js";
import type { AppContext } from "./context.js";
import { mayTrigger } from "./event-index.js";
import { repoOf } from "./context.js";

export type AcceptOutcome = "queued" | "duplicate" | "ignored";

export interface IncomingEvent {
  id: string;
  name: string;
  payload: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- narrowed by `wanted`
}

/**
 * Which deliveries lead to work: what Tiphys always acts on (pushes, new PR code, `/tiphys` commands,
 * re-runs and buttons, installs), and any other event the default branch's triggers name (a Sensor on
 * `release`, `tiphys.io/on: pull_request.closed` ...). Everything else is acknowledged and dropped
 * without being stored.
 */
async function wanted(ctx: AppContext, ev: IncomingEvent, repo: RepoRef): Promise<boolean> {
  const a: string | undefined = ev.payload?.action;
  switch (ev.name) {
    case "push":
      return true;
    case "pull_request":
      if (a === "opened" || a === "synchronize" || a === "reopened") return true;
      break;
    case "issue_comment":
      if (a === "created" && /(^|\n)\s{0,3}\/tiphys\b/i.test(ev.payload?.comment?.body ?? "")) return true;
      break;
    case "check_run":
      return a === "rerequested" || a === "requested_action";
    case "check_suite":
      return a === "rerequested";
    case "installation":
    case "installation_repositories":
      return a === "created" || a === "added";
  }
  return repo.owner !== "" && mayTrigger(ctx, repo, ev.name, a);
}

/**
 * The webhook's whole synchronous path: record the delivery (a redelivery is processed once) and
 * queue the work. Nothing else happens before GitHub gets its answer.
 */
export async function acceptEvent(ctx: AppContext, ev: IncomingEvent, wake: () => void): Promise<AcceptOutcome> {
  const installationId: number | undefined = ev.payload?.installation?.id;
  const repo = repoOf(ev.payload ?? {}) ?? (installationId && ev.name.startsWith("installation") ? { owner: "", name: "", installationId } : undefined);
  let outcome: AcceptOutcome;
  if (!repo || !(await wanted(ctx, ev, repo))) outcome = "ignored";
  else {
    const fullName = repo.owner ? `${repo.owner}/${repo.name}` : undefined;
    const fresh = await (ctx.deliveries ? ctx.deliveries.accept.bind(ctx.deliveries) : ctx.store.acceptDelivery.bind(ctx.store))(
      { id: ev.id, event: ev.name, action: ev.payload.action, installationId: repo.installationId, repo: fullName, receivedAt: ctx.now() },
      { kind: "event", key: `delivery:${ev.id}`, installationId: repo.installationId, repo: fullName, payload: { id: ev.id, name: ev.name, payload: ev.payload }, deliveryId: ev.id },
    );
    if (!fresh) outcome = "duplicate";
    else {
      outcome = "queued";
      wake();
    }
  }
  ctx.metrics.webhooksReceived.inc({ event: ev.name, outcome });
  return outcome;
}
