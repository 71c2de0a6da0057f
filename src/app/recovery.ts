import type { AppContext } from "./context.js";

/**
 * At start: runs this replica was executing when it died (same replica id), or, with the embedded
 * store (one replica by definition), every unfinished run, are queued again; they continue from their
 * stored node states. With PostgreSQL, runs of other replicas are adopted once their lease runs out.
 */
export async function recoverRuns(ctx: AppContext, opts: { embedded: boolean }): Promise<number> {
  const unfinished = await ctx.store.findRuns({ phases: ["Pending", "Running"], limit: 10_000 });
  let n = 0;
  const now = ctx.now();
  for (const run of unfinished) {
    const mine = opts.embedded || run.ownerId === ctx.workerId || !run.ownerId || (run.leaseUntil !== undefined && run.leaseUntil < now);
    if (!mine) continue;
    if (run.ownerId) await ctx.store.updateRun(run.id, { ownerId: undefined, leaseUntil: undefined });
    await ctx.store.enqueue({ kind: "run", key: `run:${run.id}:recover:${now.getTime()}`, installationId: run.installationId, repo: run.repo, payload: { runId: run.id } });
    n++;
  }
  if (n > 0) ctx.log.info({ runs: n }, "resuming interrupted runs");
  return n;
}

/**
 * GitHub does not retry a failed delivery by itself: find the deliveries of the last day that failed
 * (not answered 2xx) and that the store never recorded, and ask GitHub to deliver them again.
 */
export async function redeliverFailed(ctx: AppContext, opts: { sinceMs?: number } = {}): Promise<number> {
  const since = new Date(ctx.now().getTime() - (opts.sinceMs ?? 24 * 3600_000));
  const deliveries = await ctx.github.listDeliveries({ since, limit: 1000 });
  const succeeded = new Set(deliveries.filter((d) => d.statusCode >= 200 && d.statusCode < 300).map((d) => d.guid));
  let n = 0;
  const asked = new Set<string>();
  for (const d of deliveries) {
    if (d.statusCode >= 200 && d.statusCode < 300) continue;
    if (succeeded.has(d.guid) || asked.has(d.guid)) continue;
    if (await ctx.store.hasDelivery(d.guid)) continue;
    asked.add(d.guid);
    await ctx.github.redeliver(d.id);
    n++;
  }
  if (n > 0) ctx.log.info({ deliveries: n }, "asked GitHub to redeliver failed webhook deliveries");
  return n;
}
