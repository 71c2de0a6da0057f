/**
 * Which Applications a pull request affects (pure): the apps defined at the base and at the head are
 * paired by name, and an app is affected when it was added or removed, when its Application document
 * changed, or when a changed file lies where its manifests come from (a source's `path`, a `$ref`
 * value file, a value file outside the path, or Argo CD's `manifest-generate-paths` annotation).
 */
import { posix } from "node:path";
import type { RepoRef } from "../core/ports/github.js";
import type { LoadedApplication } from "../reconcilers/application/model.js";
import { sourcesOf } from "../reconcilers/application/model.js";
import { stableStringify } from "../reconcilers/application/render-support.js";
import type { Application } from "../reconcilers/application/types.js";
import { isThisRepo } from "./app-sources.js";

/** Argo CD's annotation naming the paths whose changes concern an app (`;`-separated). */
export const MANIFEST_PATHS_ANNOTATION = "argocd.argoproj.io/manifest-generate-paths";

export interface AppPair {
  name: string;
  base?: LoadedApplication;
  head?: LoadedApplication;
}

export type AffectReason = "added" | "removed" | "definition" | "files";

export interface AffectedApp extends AppPair {
  reason: AffectReason;
}

/** Apps by name over both sides, sorted by name. `head` undefined: the head's definitions are unknown. */
export function pairApps(base: LoadedApplication[], head: LoadedApplication[] | undefined): AppPair[] {
  const pairs = new Map<string, AppPair>();
  for (const b of base) pairs.set(b.app.metadata.name, { name: b.app.metadata.name, base: b });
  for (const h of head ?? []) {
    const name = h.app.metadata.name;
    pairs.set(name, { ...pairs.get(name), name, head: h });
  }
  return [...pairs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A repo path without `./`, duplicate or trailing slashes; "" is the whole repo, undefined escapes it. */
function normalizeRepoPath(path: string): string | undefined {
  const n = posix.normalize(path.replace(/^\/+/, "")).replace(/\/+$/, "");
  if (n === "." || n === "") return "";
  if (n === ".." || n.startsWith("../")) return undefined;
  return n;
}

/**
 * Repo-relative folders and files whose changes concern `app`, for its sources in `repo` only (the
 * files of a PR are this repo's). "" stands for the whole repo.
 */
export function watchedPaths(app: Application, repo: RepoRef): string[] {
  const out = new Set<string>();
  const add = (p: string | undefined) => {
    if (p !== undefined) out.add(p);
  };
  const sources = sourcesOf(app);
  for (const s of sources) {
    if (!isThisRepo(s.repoURL, repo) || s.path === undefined) continue;
    const root = normalizeRepoPath(s.path);
    if (root === undefined) continue;
    add(root);
    for (const vf of s.helm?.valueFiles ?? []) {
      if (vf.startsWith("$")) continue;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(vf)) continue; // a URL: not in the repo
      add(normalizeRepoPath(posix.join(root, vf)));
    }
    const annotation = app.metadata.annotations?.[MANIFEST_PATHS_ANNOTATION];
    for (const raw of (annotation ?? "").split(";")) {
      const p = raw.trim();
      if (p === "") continue;
      add(normalizeRepoPath(p.startsWith("/") ? p : posix.join(root, p)));
    }
  }
  // `$ref/file` value files name a file of the source whose `ref` is `ref`.
  const refs = new Map(sources.filter((s) => s.ref).map((s) => [s.ref!, s]));
  for (const s of sources) {
    for (const vf of s.helm?.valueFiles ?? []) {
      const m = /^\$([A-Za-z0-9_-]+)\/(.+)$/.exec(vf);
      const ref = m ? refs.get(m[1]!) : undefined;
      if (ref && isThisRepo(ref.repoURL, repo)) add(normalizeRepoPath(m![2]!));
    }
  }
  return [...out].sort();
}

/** Whether `file` is `watched` or lies under it. */
export function pathCovers(watched: string, file: string): boolean {
  return watched === "" || file === watched || file.startsWith(watched + "/");
}

/** Sources of `app` that Tiphys cannot read from this repository (their repoURLs). */
export function foreignSources(app: Application, repo: RepoRef): string[] {
  return [...new Set(sourcesOf(app).filter((s) => !isThisRepo(s.repoURL, repo)).map((s) => s.repoURL))];
}

/** Why the PR affects this pair, or undefined. With `head` unknown only the base's paths and file count. */
export function affectReason(pair: AppPair, files: readonly string[], repo: RepoRef, headKnown: boolean): AffectReason | undefined {
  if (headKnown) {
    if (!pair.base) return "added";
    if (!pair.head) return "removed";
    if (stableStringify(pair.base.app) !== stableStringify(pair.head.app)) return "definition";
  } else if (pair.base && files.includes(pair.base.doc.file)) {
    return "definition";
  }
  const watched = new Set([...(pair.base ? watchedPaths(pair.base.app, repo) : []), ...(pair.head ? watchedPaths(pair.head.app, repo) : [])]);
  for (const w of watched) if (files.some((f) => pathCovers(w, f))) return "files";
  return undefined;
}

/** The affected pairs, sorted by name. */
export function selectAffectedApps(pairs: AppPair[], files: readonly string[], repo: RepoRef, headKnown: boolean): AffectedApp[] {
  const out: AffectedApp[] = [];
  for (const p of pairs) {
    const reason = affectReason(p, files, repo, headKnown);
    if (reason) out.push({ ...p, reason });
  }
  return out;
}
