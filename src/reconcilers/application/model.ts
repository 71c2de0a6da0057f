/**
 * Reading `Application` and `AppProject` documents (argoproj.io/v1alpha1) from the repo's YAML, with
 * every problem located at its file, line and field; sync options and annotations as Argo CD reads them.
 */
import type { ConfigProblem } from "../../core/errors.js";
import { ConfigError } from "../../core/errors.js";
import { formatPath, type LoadedDoc, type PathSeg } from "../../engine/model/load.js";
import type { Application, ApplicationSource, AppProject, GroupKind, KubeObject } from "./types.js";

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Argo CD's name rule for Applications: a DNS subdomain. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface LoadedApplication {
  app: Application;
  doc: LoadedDoc;
}

function problem(doc: LoadedDoc, path: PathSeg[], message: string): ConfigProblem {
  return { message, field: formatPath(path), pos: doc.posOf(path), severity: "error" };
}

function checkSource(doc: LoadedDoc, src: unknown, path: PathSeg[], problems: ConfigProblem[], multi: boolean): void {
  if (!isObj(src)) {
    problems.push(problem(doc, path, "a source must be a map"));
    return;
  }
  if (typeof src.repoURL !== "string" || src.repoURL === "") problems.push(problem(doc, [...path, "repoURL"], "repoURL is required"));
  if (!multi && src.path === undefined && src.chart === undefined) problems.push(problem(doc, path, "a source needs `path` (a folder of the repo) or `chart`"));
  if (multi && src.path === undefined && src.chart === undefined && src.ref === undefined) {
    problems.push(problem(doc, path, "a source needs `path`, `chart` or `ref`"));
  }
  for (const field of ["path", "targetRevision", "chart", "ref", "name"]) {
    if (src[field] !== undefined && typeof src[field] !== "string") problems.push(problem(doc, [...path, field], `${field} must be a string`));
  }
  const tools = ["helm", "kustomize", "directory", "plugin"].filter((t) => src[t] !== undefined);
  if (tools.length > 1) problems.push(problem(doc, [...path, tools[1]!], `a source has one tool; found ${tools.join(" and ")}`));
  for (const t of tools) if (!isObj(src[t])) problems.push(problem(doc, [...path, t], `${t} must be a map`));
  if (typeof src.ref === "string" && !/^[A-Za-z0-9_-]+$/.test(src.ref)) {
    problems.push(problem(doc, [...path, "ref"], "ref must be letters, digits, `-` or `_` (it is used as `$ref/...`)"));
  }
}

/** Checks one Application document and returns it typed, or its problems. */
export function readApplication(doc: LoadedDoc): { app?: Application; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const d = doc.data;
  if (!isObj(d)) return { problems: [problem(doc, [], "an Application must be a map")] };
  if (d.apiVersion !== ARGO_API_VERSION) problems.push(problem(doc, ["apiVersion"], `apiVersion must be ${ARGO_API_VERSION}`));
  const meta = d.metadata;
  if (!isObj(meta) || typeof meta.name !== "string" || meta.name === "") {
    problems.push(problem(doc, ["metadata", "name"], "metadata.name is required"));
  } else if (!DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
    problems.push(problem(doc, ["metadata", "name"], `"${meta.name}" is not a valid name: lower-case letters, digits, '-' and '.'`));
  }
  const spec = d.spec;
  if (!isObj(spec)) {
    problems.push(problem(doc, ["spec"], "spec is required"));
    return { problems };
  }
  if (!isObj(spec.destination)) {
    problems.push(problem(doc, ["spec", "destination"], "spec.destination is required (server or name, and namespace)"));
  } else {
    const dest = spec.destination;
    if (dest.server === undefined && dest.name === undefined) problems.push(problem(doc, ["spec", "destination"], "destination needs `server` or `name`"));
    if (dest.server !== undefined && dest.name !== undefined) problems.push(problem(doc, ["spec", "destination", "name"], "destination has both `server` and `name`; give one"));
    if (dest.namespace !== undefined && typeof dest.namespace !== "string") problems.push(problem(doc, ["spec", "destination", "namespace"], "namespace must be a string"));
  }
  if (spec.sources !== undefined) {
    if (!Array.isArray(spec.sources) || spec.sources.length === 0) problems.push(problem(doc, ["spec", "sources"], "sources must be a non-empty list"));
    else spec.sources.forEach((s, i) => checkSource(doc, s, ["spec", "sources", i], problems, true));
  } else if (spec.source !== undefined) {
    checkSource(doc, spec.source, ["spec", "source"], problems, false);
  } else {
    problems.push(problem(doc, ["spec"], "spec needs `source` or `sources`"));
  }
  const policy = spec.syncPolicy;
  if (policy !== undefined) {
    if (!isObj(policy)) problems.push(problem(doc, ["spec", "syncPolicy"], "syncPolicy must be a map"));
    else {
      if (policy.automated !== undefined && policy.automated !== null && !isObj(policy.automated)) {
        problems.push(problem(doc, ["spec", "syncPolicy", "automated"], "automated must be a map (e.g. `{prune: true, selfHeal: true}`)"));
      }
      if (policy.syncOptions !== undefined) {
        if (!Array.isArray(policy.syncOptions)) problems.push(problem(doc, ["spec", "syncPolicy", "syncOptions"], "syncOptions must be a list of `Name=value`"));
        else
          policy.syncOptions.forEach((o, i) => {
            if (typeof o !== "string" || !o.includes("=")) problems.push(problem(doc, ["spec", "syncPolicy", "syncOptions", i], `sync option ${JSON.stringify(o)} must be \`Name=value\``));
            else if (!KNOWN_SYNC_OPTIONS.has(o.slice(0, o.indexOf("=")))) {
              problems.push({ ...problem(doc, ["spec", "syncPolicy", "syncOptions", i], `unknown sync option ${o.slice(0, o.indexOf("="))}`), severity: "warning" });
            }
          });
      }
    }
  }
  if (spec.ignoreDifferences !== undefined) {
    if (!Array.isArray(spec.ignoreDifferences)) problems.push(problem(doc, ["spec", "ignoreDifferences"], "ignoreDifferences must be a list"));
    else
      spec.ignoreDifferences.forEach((e, i) => {
        if (!isObj(e) || typeof e.kind !== "string") problems.push(problem(doc, ["spec", "ignoreDifferences", i, "kind"], "each entry needs `kind`"));
      });
  }
  if (spec.revisionHistoryLimit !== undefined && (typeof spec.revisionHistoryLimit !== "number" || spec.revisionHistoryLimit < 0)) {
    problems.push(problem(doc, ["spec", "revisionHistoryLimit"], "revisionHistoryLimit must be a number ≥ 0"));
  }
  if (problems.some((p) => p.severity === "error")) return { problems };
  return { app: d as unknown as Application, problems };
}

export function readAppProject(doc: LoadedDoc): { project?: AppProject; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const d = doc.data;
  if (!isObj(d)) return { problems: [problem(doc, [], "an AppProject must be a map")] };
  if (!isObj(d.metadata) || typeof d.metadata.name !== "string") problems.push(problem(doc, ["metadata", "name"], "metadata.name is required"));
  if (d.spec !== undefined && !isObj(d.spec)) problems.push(problem(doc, ["spec"], "spec must be a map"));
  const spec = isObj(d.spec) ? d.spec : {};
  for (const list of ["sourceRepos", "destinations", "clusterResourceWhitelist", "clusterResourceBlacklist", "namespaceResourceWhitelist", "namespaceResourceBlacklist"]) {
    if (spec[list] !== undefined && !Array.isArray(spec[list])) problems.push(problem(doc, ["spec", list], `${list} must be a list`));
  }
  if (problems.length > 0) return { problems };
  return { project: { ...(d as unknown as AppProject), spec: spec as AppProject["spec"] }, problems };
}

/** Applications and AppProjects among documents; other kinds are ignored. Errors throw one ConfigError. */
export function loadApplications(docs: LoadedDoc[]): { apps: LoadedApplication[]; projects: AppProject[]; warnings: ConfigProblem[] } {
  const apps: LoadedApplication[] = [];
  const projects: AppProject[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, LoadedDoc>();
  for (const doc of docs) {
    const d = doc.data;
    if (!isObj(d) || typeof d.apiVersion !== "string" || !d.apiVersion.startsWith("argoproj.io/")) continue;
    if (d.kind === "Application") {
      const r = readApplication(doc);
      problems.push(...r.problems);
      if (r.app) {
        const prev = seen.get(r.app.metadata.name);
        if (prev) problems.push(problem(doc, ["metadata", "name"], `Application ${r.app.metadata.name} is also defined at ${prev.file}:${prev.posOf([]).line}`));
        else {
          seen.set(r.app.metadata.name, doc);
          apps.push({ app: r.app, doc });
        }
      }
    } else if (d.kind === "AppProject") {
      const r = readAppProject(doc);
      problems.push(...r.problems);
      if (r.project) projects.push(r.project);
    }
  }
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) throw new ConfigError(`${errors.length} problem(s) in Application documents`, problems);
  return { apps, projects, warnings: problems };
}

// ---------------------------------------------------------------- sources and options

/** The app's sources: `sources` when given (Argo CD ignores `source` then), else `[source]`. */
export function sourcesOf(app: Application): ApplicationSource[] {
  if (app.spec.sources && app.spec.sources.length > 0) return app.spec.sources;
  return app.spec.source ? [app.spec.source] : [];
}

/** Argo CD's sync options (gitops-engine `pkg/sync/common/types.go`, `controller/sync.go`). */
export const KNOWN_SYNC_OPTIONS = new Set([
  "CreateNamespace",
  "PruneLast",
  "Prune",
  "Delete",
  "Replace",
  "Force",
  "ServerSideApply",
  "Validate",
  "SkipDryRunOnMissingResource",
  "ApplyOutOfSyncOnly",
  "PrunePropagationPolicy",
  "RespectIgnoreDifferences",
  "FailOnSharedResource",
  "ClientSideApplyMigration",
]);

export const SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options";
export const COMPARE_OPTIONS_ANNOTATION = "argocd.argoproj.io/compare-options";

/** `A=B,C=D` (annotation) or `["A=B"]` (spec) as a map. */
export function parseOptions(list: string[] | string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const items = typeof list === "string" ? list.split(",") : (list ?? []);
  for (const raw of items) {
    const item = raw.trim();
    const eq = item.indexOf("=");
    if (eq > 0) out.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  return out;
}

/** A resource's effective sync option: its annotation wins over the app's option. */
export function syncOption(app: Map<string, string>, obj: KubeObject | undefined, name: string): string | undefined {
  const own = obj ? parseOptions(obj.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION]) : undefined;
  return own?.get(name) ?? app.get(name);
}

export function appSyncOptions(app: Application): Map<string, string> {
  return parseOptions(app.spec.syncPolicy?.syncOptions);
}

/** `automated` present and not `enabled: false`. */
export function isAutomated(app: Application): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a !== null && a.enabled !== false;
}

// ---------------------------------------------------------------- AppProject restrictions

/** Argo CD's `default` project: any source, any destination, any kind. */
export const DEFAULT_PROJECT: AppProject = {
  apiVersion: ARGO_API_VERSION,
  kind: "AppProject",
  metadata: { name: "default" },
  spec: { sourceRepos: ["*"], destinations: [{ server: "*", name: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] },
};

/** Argo CD's glob match (`*` any run, `?` one char), with `!` negation handled by the caller. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp("^" + pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("") + "$");
  return re.test(value);
}

/** Patterns with `!` deny; a value is allowed when some positive pattern matches and no negated one does. */
function allowedBy(patterns: string[], value: string): boolean {
  const deny = patterns.filter((p) => p.startsWith("!"));
  const allow = patterns.filter((p) => !p.startsWith("!"));
  if (deny.some((p) => globMatch(p.slice(1), value))) return false;
  return allow.some((p) => globMatch(p, value));
}

function normalizeRepo(url: string): string {
  return url.trim().replace(/\.git$/, "").replace(/\/+$/, "").toLowerCase();
}

function gkMatches(list: GroupKind[] | undefined, gk: GroupKind): boolean {
  return (list ?? []).some((e) => globMatch(e.group || "", gk.group) && globMatch(e.kind, gk.kind));
}

/** Why the project refuses this app's sources or destination, or undefined. */
export function projectRefusesApp(project: AppProject, app: Application, destinationServer: string): string | undefined {
  const repos = project.spec.sourceRepos ?? [];
  for (const src of sourcesOf(app)) {
    if (!allowedBy(repos.map(normalizeRepo), normalizeRepo(src.repoURL))) {
      return `application repo ${src.repoURL} is not permitted in project '${project.metadata.name}'`;
    }
  }
  const dest = app.spec.destination;
  const ns = dest.namespace ?? "";
  const ok = (project.spec.destinations ?? []).some((d) => {
    const serverOk = dest.name !== undefined && d.name !== undefined ? allowedBy([d.name], dest.name) : allowedBy([d.server ?? "*"], destinationServer);
    return serverOk && allowedBy([d.namespace ?? "*"], ns);
  });
  if (!ok) {
    return `application destination server '${destinationServer}' and namespace '${ns}' do not match any of the allowed destinations in project '${project.metadata.name}'`;
  }
  return undefined;
}

/** Why the project refuses a kind (Argo CD's IsGroupKindPermitted), or undefined. */
export function projectRefusesKind(project: AppProject, gk: GroupKind, namespaced: boolean): string | undefined {
  const s = project.spec;
  const name = `${gk.group ? gk.group + "/" : ""}${gk.kind}`;
  if (namespaced) {
    const white = s.namespaceResourceWhitelist;
    if (white !== undefined && white.length > 0 && !gkMatches(white, gk)) return `resource ${name} is not permitted in project ${project.metadata.name} (not in namespaceResourceWhitelist)`;
    if (gkMatches(s.namespaceResourceBlacklist, gk)) return `resource ${name} is not permitted in project ${project.metadata.name} (namespaceResourceBlacklist)`;
    return undefined;
  }
  if (!gkMatches(s.clusterResourceWhitelist, gk)) return `cluster-scoped resource ${name} is not permitted in project ${project.metadata.name} (not in clusterResourceWhitelist)`;
  if (gkMatches(s.clusterResourceBlacklist, gk)) return `cluster-scoped resource ${name} is not permitted in project ${project.metadata.name} (clusterResourceBlacklist)`;
  return undefined;
}

/** The project an app names (`default` when it names none and none is defined). */
export function projectFor(app: Application, projects: AppProject[]): AppProject {
  const name = app.spec.project || "default";
  const found = projects.find((p) => p.metadata.name === name);
  if (found) return found;
  if (name === "default") return DEFAULT_PROJECT;
  throw new ConfigError(`Application ${app.metadata.name} names project '${name}', which is not defined (add an AppProject named ${name})`);
}
