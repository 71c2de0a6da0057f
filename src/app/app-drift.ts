/**
 * An app's drift against its live destination, for `/tiphys diff <app> --live`: the app rendered at a
 * revision, prepared as a sync would apply it, and compared with the live objects and the app's
 * inventory as Argo CD compares (compare.ts). Never throws: a failure is the view's message.
 */
import { ConfigError, formatProblem } from "../core/errors.js";
import type { RepoRef } from "../core/ports/github.js";
import { compareApp, discoverScopes, kindsToList, loadLive, prepareTargets } from "../reconcilers/application/compare.js";
import { diffResource, type ResourceDiff } from "../reconcilers/application/diff.js";
import { readInventory } from "../reconcilers/application/inventory.js";
import { renderApplication } from "../reconcilers/application/render.js";
import type { Application } from "../reconcilers/application/types.js";
import { BinaryToolRunner } from "../tools/binaries.js";
import type { LiveView } from "./app-preview-body.js";
import type { GitHubCheckouts } from "./app-sources.js";
import { describeDestination } from "./clusters.js";
import type { AppContext } from "./context.js";

/** An error as the user should read it: the message, then each located problem on its own line. */
export function describeError(err: unknown): string {
  if (err instanceof ConfigError) {
    const located = err.problems.filter((p) => p.pos).map(formatProblem);
    return [err.message, ...located].join("\n");
  }
  return err instanceof Error ? err.message : String(err);
}

export const NO_CLUSTERS =
  "Tiphys has no clusters configured (set `TIPHYS_KUBECONFIG`, or run Tiphys in a cluster), so there is no live state to compare with.";

/** `app` (its sources at the revisions it names) against the live objects of its destination. */
export async function liveDrift(ctx: AppContext, repo: RepoRef, app: Application, checkouts: GitHubCheckouts): Promise<LiveView> {
  if (!ctx.clusters) return { kind: "unavailable", text: NO_CLUSTERS };
  const destination = ctx.clusters.describe(app.spec.destination) || describeDestination(app.spec.destination);
  try {
    const cluster = await ctx.clusters.forDestination(app.spec.destination);
    const rendered = await renderApplication(app, { tools: ctx.tools ?? new BinaryToolRunner(), checkout: checkouts.checkout, cache: checkouts.cache });
    const { scopeOf } = await discoverScopes(cluster, rendered.objects);
    const targets = prepareTargets(app, rendered.objects, scopeOf);
    const inventory = (await readInventory(cluster, app))?.resources ?? [];
    const live = await loadLive(cluster, kindsToList(targets, inventory), scopeOf);
    const comparison = await compareApp(app, targets, live, inventory);
    const diffs: ResourceDiff[] = [];
    for (const r of comparison.resources) {
      if (r.diff?.modified) diffs.push(r.diff);
      // What a prune would delete, shown whole (Secret values masked like any diff).
      else if (r.requiresPruning && r.live) diffs.push(await diffResource(undefined, r.live, { ignoreDifferences: app.spec.ignoreDifferences }));
    }
    return { kind: "drift", revision: rendered.revisions.find((r) => r) ?? "", destination, sync: comparison.sync, diffs };
  } catch (err) {
    ctx.log.warn({ err, app: app.metadata.name, repo: `${repo.owner}/${repo.name}` }, "comparing an app with its live cluster failed");
    return { kind: "error", text: describeError(err) };
  }
}
