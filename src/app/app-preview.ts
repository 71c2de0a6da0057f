/**
 * The diff preview of a pull request's Applications (issue 5, "On pull requests"): every app the PR
 * affects is rendered at the base and at the head (branch against branch, no cluster), head diffed
 * against base, and shown in one comment per app, kept up to date by its hidden marker. Stages:
 * definitions (which apps exist on each side), select (which the PR affects), render and diff, write.
 */
import { ConfigError } from "../core/errors.js";
import type { RepoRef } from "../core/ports/github.js";
import { repoFullName } from "../core/ports/github.js";
import { diffResources } from "../reconcilers/application/diff.js";
import type { LoadedApplication } from "../reconcilers/application/model.js";
import { renderApplication } from "../reconcilers/application/render.js";
import type { Application, KubeObject } from "../reconcilers/application/types.js";
import { BinaryToolRunner } from "../tools/binaries.js";
import { describeError, liveDrift } from "./app-drift.js";
import { DEFINITIONS_KEY, renderPreviewParts, type PreviewState, type PreviewView } from "./app-preview-body.js";
import { foreignSources, pairApps, selectAffectedApps, type AffectedApp } from "./app-preview-select.js";
import { GitHubCheckouts, loadRepoApps, type RepoApps } from "./app-sources.js";
import { atRevision } from "./applications.js";
import { describeDestination } from "./clusters.js";
import { CONFIG_DIR } from "./config-source.js";
import type { AppContext } from "./context.js";
import { applyCommentWrites, commentMarker, findMarked, markedKeys, planMarkedComments, type PlannedWrite } from "./marked-comments.js";

export interface PreviewPull {
  number: number;
  baseSha: string;
  headSha: string;
  headRef?: string;
  baseRef?: string;
}

export interface PreviewOptions {
  /** The head's content may be rendered: a trusted author, or approved with `ok-to-test`. Default true. */
  trusted?: boolean;
  /** The PR's changed files (shared with path filters); default: one `pullRequestFiles` call. */
  changedFiles?: () => Promise<string[] | undefined>;
  /**
   * The commit whose `.tiphys/` was already read (the workflow config): the definitions of both sides
   * when the PR changes no `.tiphys/` file. Default: the head when trusted, else the base.
   */
  definitionsSha?: string;
  /** Only this app, rendered and written even when the PR does not touch it (`/tiphys diff <app>`). */
  only?: string;
  /** With `only`: add the drift of the head's app against its live cluster. */
  live?: boolean;
}

export interface PreviewResult {
  /** The apps defined at the base or at the head. */
  known: string[];
  /** `only` names none of them. */
  unknown?: boolean;
  /** Keys of the comments written (created or edited). */
  written: string[];
  /** The PR's head moved on before the comments were written: the newer push previews instead. */
  superseded?: boolean;
}

export const PREVIEW_KEY_PREFIX = "app-diff:";
const keyOf = (app: string) => `${PREVIEW_KEY_PREFIX}${app}`;

/** Kinds without a namespace (Kubernetes' built-in cluster-scoped kinds); CRDs of the render are read too. */
const CLUSTER_SCOPED = new Set([
  "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
  "PriorityClass", "RuntimeClass", "IngressClass", "APIService", "CSIDriver", "CSINode", "VolumeAttachment",
  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
  "ClusterIssuer", "ClusterWorkflowTemplate", "ClusterAnalysisTemplate",
]);

/** Namespaced objects without a namespace take the destination's, as a sync would apply them. */
function inDestination(objects: KubeObject[], namespace: string): KubeObject[] {
  const crdCluster = new Set<string>();
  for (const o of objects) {
    const spec = o.spec as { names?: { kind?: string }; scope?: string } | undefined;
    if (o.kind === "CustomResourceDefinition" && spec?.scope === "Cluster" && spec.names?.kind) crdCluster.add(spec.names.kind);
  }
  return objects.map((o) =>
    o.metadata.namespace || CLUSTER_SCOPED.has(o.kind) || crdCluster.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } },
  );
}

type Side = { ok: true; objects: KubeObject[] } | { ok: false; text: string };

async function renderSide(ctx: AppContext, checkouts: GitHubCheckouts, app: Application | undefined, sha: string): Promise<Side> {
  if (!app) return { ok: true, objects: [] };
  try {
    const rendered = await renderApplication(atRevision(app, sha), { tools: ctx.tools ?? new BinaryToolRunner(), checkout: checkouts.checkout, cache: checkouts.cache });
    return { ok: true, objects: inDestination(rendered.objects, app.spec.destination.namespace || "default") };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, text: describeError(err) };
    throw err;
  }
}

/** What one affected app's comment shows. */
async function previewState(ctx: AppContext, repo: RepoRef, pr: PreviewPull, a: AffectedApp, checkouts: GitHubCheckouts, trusted: boolean): Promise<PreviewState> {
  if (!trusted) return { kind: "waiting" };
  const foreign = [...new Set([...(a.base ? foreignSources(a.base.app, repo) : []), ...(a.head ? foreignSources(a.head.app, repo) : [])])];
  if (foreign.length > 0) return { kind: "foreign", repoURLs: foreign };
  // One side after the other: the two checkouts share most blobs, and the second reads them from the cache.
  const base = await renderSide(ctx, checkouts, a.base?.app, pr.baseSha);
  const head = await renderSide(ctx, checkouts, a.head?.app, pr.headSha);
  const errors: Array<{ side: "base" | "head"; text: string }> = [];
  if (!base.ok) errors.push({ side: "base", text: base.text });
  if (!head.ok) errors.push({ side: "head", text: head.text });
  if (!base.ok || !head.ok) return { kind: "error", errors };
  const app = (a.head ?? a.base)!.app;
  const diffs = await diffResources(head.objects, base.objects, { compareDesiredOnly: true, ignoreDifferences: app.spec.ignoreDifferences, labels: { live: "base", desired: "head" } });
  return { kind: "diff", diffs, ...(a.base ? {} : { lifecycle: "added" as const }), ...(a.head ? {} : { lifecycle: "removed" as const }) };
}

/** The Application definitions of both sides; `head` undefined when the head may not be read. */
async function loadDefinitions(ctx: AppContext, repo: RepoRef, pr: PreviewPull, trusted: boolean, files: string[] | undefined, definitionsSha: string): Promise<{ base: RepoApps; head?: RepoApps }> {
  const definitionsChanged = files === undefined || files.some((f) => f.startsWith(CONFIG_DIR));
  if (!definitionsChanged) {
    const same = await loadRepoApps(ctx, repo, definitionsSha);
    return { base: same, head: same };
  }
  const base = await loadRepoApps(ctx, repo, pr.baseSha);
  return { base, head: trusted ? await loadRepoApps(ctx, repo, pr.headSha) : undefined };
}

const isChangeless = (s: PreviewState) => s.kind === "diff" && !s.lifecycle && s.diffs.every((d) => d.kind === "unchanged");

/**
 * Previews the PR's affected apps in one comment each (split past GitHub's limit). Writes nothing
 * when no comment would change, and nothing at all when the PR's head moved on meanwhile. Render
 * errors are shown in the app's comment; GitHub's and the tools' transport failures throw.
 */
export async function previewApps(ctx: AppContext, repo: RepoRef, pr: PreviewPull, opts: PreviewOptions = {}): Promise<PreviewResult> {
  const trusted = opts.trusted ?? true;
  const files = await (opts.changedFiles ?? (() => ctx.github.pullRequestFiles(repo, pr.number)))();
  if (files === undefined && !opts.only) {
    ctx.log.warn({ pr: pr.number }, "the pull request's files are unknown; its apps are not previewed");
    return { known: [], written: [] };
  }
  const defs = await loadDefinitions(ctx, repo, pr, trusted, files, opts.definitionsSha ?? (trusted ? pr.headSha : pr.baseSha));
  const headKnown = defs.head !== undefined;
  const views: PreviewView[] = [];
  let pairs = pairApps(defs.base.error ? [] : defs.base.apps, defs.head?.error ? undefined : defs.head?.apps);
  if (defs.head?.error) {
    // The head's documents do not load: nothing can be paired; the problems are the preview.
    views.push({ app: DEFINITIONS_KEY, repo: repoFullName(repo), state: { kind: "error", errors: [{ side: "definitions", text: describeError(defs.head.error) }] } });
    pairs = [];
  }
  const known = pairs.map((p) => p.name);
  let affected: AffectedApp[];
  if (opts.only !== undefined && defs.head?.error) {
    affected = []; // the documents' problems are the preview of every app
  } else if (opts.only !== undefined) {
    const pair = pairs.find((p) => p.name === opts.only);
    if (!pair) return { known, unknown: true, written: [] };
    affected = [{ ...pair, reason: "definition" }];
  } else {
    affected = selectAffectedApps(pairs, files ?? [], repo, headKnown);
  }
  // Past previews may need bringing up to date only when some app exists on a side that was read.
  if (affected.length === 0 && views.length === 0 && (pairs.length === 0 || !headKnown || opts.only !== undefined)) return { known, written: [] };

  const checkouts = new GitHubCheckouts(ctx, repo, ctx.renderCache);
  for (const a of affected) {
    const def: LoadedApplication = (a.head ?? a.base)!;
    const dest = def.app.spec.destination;
    let state: PreviewState;
    try {
      state = await previewState(ctx, repo, pr, a, checkouts, trusted);
    } catch (err) {
      // GitHub or a tool's transport failed: this app keeps its comment, the others go on.
      ctx.log.warn({ err, app: a.name, pr: pr.number }, "previewing an app failed");
      continue;
    }
    const view: PreviewView = {
      app: a.name,
      repo: repoFullName(repo),
      baseRef: pr.baseRef,
      destination: { cluster: ctx.clusters?.describe(dest) ?? describeDestination(dest), namespace: dest.namespace || "default" },
      state,
    };
    if (opts.live && trusted) {
      view.live = a.head ? await liveDrift(ctx, repo, atRevision(a.head.app, pr.headSha), checkouts) : { kind: "unavailable", text: "This pull request removes the app: there is nothing of it at the head to compare with the cluster." };
    }
    views.push(view);
  }

  const comments = await ctx.github.listComments(repo, pr.number);
  const writes: PlannedWrite[] = [];
  const written: string[] = [];
  const plan = (key: string, parts: string[]) => {
    const w = planMarkedComments(comments, key, parts);
    if (w.length > 0) written.push(key);
    writes.push(...w);
  };
  for (const view of views) {
    const key = keyOf(view.app);
    // An app this PR leaves as it was gets no new comment; an earlier one is brought up to date.
    if (!opts.only && isChangeless(view.state) && !findMarked(comments, commentMarker(key))) continue;
    plan(key, renderPreviewParts(view));
  }
  if (!opts.only && headKnown) {
    const current = new Set(views.map((v) => keyOf(v.app)));
    for (const key of markedKeys(comments, PREVIEW_KEY_PREFIX)) {
      if (current.has(key)) continue;
      plan(key, renderPreviewParts({ app: key.slice(PREVIEW_KEY_PREFIX.length), repo: repoFullName(repo), state: { kind: "gone" } }));
    }
  }
  if (writes.length === 0) return { known, written: [] };
  // Debounce: a render takes seconds, and a newer push renders again; its comments win.
  const now = await ctx.github.getPullRequest(repo, pr.number);
  if (now.headSha !== pr.headSha) {
    ctx.log.info({ pr: pr.number, rendered: pr.headSha, head: now.headSha }, "the pull request moved on; its app preview is left to the newer push");
    return { known, written: [], superseded: true };
  }
  await applyCommentWrites(ctx, repo, pr.number, writes);
  return { known, written };
}

/** A PR payload's preview from the event path: failures are logged, never thrown into the workflow path. */
export async function previewPullRequest(
  ctx: AppContext,
  repo: RepoRef,
  pull: { number: number; head: { sha: string; ref?: string }; base: { sha: string; ref?: string } },
  opts: Pick<PreviewOptions, "trusted" | "changedFiles" | "definitionsSha">,
): Promise<void> {
  try {
    await previewApps(ctx, repo, { number: pull.number, headSha: pull.head.sha, baseSha: pull.base.sha, headRef: pull.head.ref, baseRef: pull.base.ref }, opts);
  } catch (err) {
    ctx.log.warn({ err, pr: pull.number }, "previewing the pull request's applications failed");
  }
}
