/**
 * Helm sources, as Argo CD's repo-server renders them (`reposerver/repository/repository.go`
 * helmTemplate, `util/helm/cmd.go` template): in the chart folder,
 *
 *   helm template . --name-template <releaseName|app name> [--namespace <helm.namespace|destination>]
 *     [--kube-version <v>] [--set k=v]... [--set-string k=v]... [--set-file k=path]...
 *     [--values <valueFile>]... [--values <temp file of values/valuesObject>]
 *     [--api-versions <v>]... [--include-crds unless skipCrds] [--skip-schema-validation] [--skip-tests]
 *
 * A chart whose dependencies are not vendored in charts/ gets `helm dependency build` (in a copy of
 * the checkout) only when every missing dependency is a local `file://` chart: rendering never
 * downloads anything.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../core/errors.js";
import { ToolFailedError } from "../../core/ports/tools.js";
import type { SourceContext, ToolText } from "./render.js";
import { envsubst, isRecord, resolveRepoFile, urlScheme } from "./render-support.js";
import type { HelmSource } from "./types.js";

/** Fields of Argo CD's `ApplicationSourceHelm` that types.ts does not list but users write. */
export interface HelmSourceExtras {
  kubeVersion?: string;
  apiVersions?: string[];
  skipSchemaValidation?: boolean;
  skipTests?: boolean;
}

/** Argo CD's `helm.valuesFileSchemes` default. */
const VALUE_FILE_SCHEMES = ["http", "https"];

/** Argo CD's `cleanSetParameters`: escape commas unless the value is a `{a,b}` list. */
export function cleanSetParameter(value: string): string {
  if (value.startsWith("{") && value.endsWith("}")) return value;
  let out = "";
  let prev = "";
  for (const ch of value) {
    out += ch === "," && prev !== "\\" ? "\\," : ch;
    prev = ch;
  }
  return out;
}

/** `v1.29.3+k3s1` -> `1.29.3` (Argo CD's parseKubeVersion keeps the numeric part). */
export function normalizeKubeVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) throw new ConfigError(`could not parse kubernetes version ${version}`);
  return [m[1], m[2], m[3]].filter((p) => p !== undefined).join(".");
}

/**
 * The text of `values`/`valuesObject` (the object wins), "" when there is none. The object is written
 * as JSON (valid YAML): Argo CD writes Go YAML, which quotes strings like `yes` that YAML 1.1 readers
 * (helm) would otherwise take for booleans; JSON keeps the same meaning.
 */
export function helmValuesText(helm: HelmSource): string {
  if (helm.valuesObject !== undefined && helm.valuesObject !== null) return JSON.stringify(helm.valuesObject);
  return helm.values ?? "";
}

/** A `$ref/...` path's file inside the referenced source's checkout, or undefined when `raw` names no ref. */
async function resolveRefFile(ctx: SourceContext, raw: string): Promise<string | undefined> {
  if (!raw.startsWith("$")) return undefined;
  const refVar = raw.split("/")[0];
  const ref = ctx.refs.get(refVar);
  if (!ref) return undefined;
  const target = await ctx.refCheckout(refVar);
  const rest = ["", ...raw.split("/").slice(1)].join("/");
  return resolveRepoFile(target.root, target.root, envsubst(rest, ctx.env));
}

/** A value file's path (or URL) as helm gets it; undefined when it is missing and may be. */
async function resolveValueFile(ctx: SourceContext, appPath: string, root: string, raw: string, ignoreMissing: boolean): Promise<string | undefined> {
  const fromRef = await resolveRefFile(ctx, raw);
  if (fromRef !== undefined) return ignoreMissing && !(await exists(fromRef)) ? undefined : fromRef;
  const file = envsubst(raw, ctx.env);
  const scheme = urlScheme(file);
  if (scheme !== undefined) {
    if (VALUE_FILE_SCHEMES.includes(scheme.toLowerCase())) return file;
    throw new ConfigError(`error resolving value file path: the URL scheme '${scheme}' is not allowed`);
  }
  const path = await resolveRepoFile(appPath, root, file);
  if (ignoreMissing && !(await exists(path))) return undefined;
  return path;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface HelmPlan {
  args: string[];
  /** Content of the temp values file the args point at (`values`/`valuesObject`), if any. */
  extraValues?: { path: string; text: string };
}

/** The `helm template` arguments for this source, with the chart at `appPath` inside `root`. */
export async function planHelmTemplate(ctx: SourceContext, appPath: string, root: string): Promise<HelmPlan> {
  const helm: HelmSource & HelmSourceExtras = ctx.source.helm ?? {};
  if (helm.version && helm.version !== "v3") throw new ConfigError(`helm chart version '${helm.version}' is not supported`);
  const name = helm.releaseName || ctx.app.metadata.name;
  const namespace = helm.namespace || ctx.app.spec.destination?.namespace || "";
  const kubeVersionRaw = helm.kubeVersion || ctx.kubeVersion || "";
  const kubeVersion = kubeVersionRaw ? normalizeKubeVersion(kubeVersionRaw) : "";
  const apiVersions = helm.apiVersions?.length ? helm.apiVersions : (ctx.apiVersions ?? []);

  const values: string[] = [];
  for (const raw of helm.valueFiles ?? []) {
    const resolved = await resolveValueFile(ctx, appPath, root, raw, helm.ignoreMissingValueFiles === true);
    if (resolved !== undefined) values.push(resolved);
  }
  const valuesText = helmValuesText(helm);
  const extraValues = valuesText ? { path: join(ctx.workDir, "values-from-source.yaml"), text: valuesText } : undefined;

  // Parameters are maps keyed by name in Argo CD: the last one with a name wins.
  const set = new Map<string, string>();
  const setString = new Map<string, string>();
  for (const p of helm.parameters ?? []) (p.forceString ? setString : set).set(p.name, envsubst(p.value ?? "", ctx.env));
  const setFile = new Map<string, string>();
  for (const p of helm.fileParameters ?? []) {
    const fromRef = await resolveRefFile(ctx, p.path);
    setFile.set(p.name, fromRef ?? (await resolveRepoFile(appPath, root, envsubst(p.path, ctx.env))));
  }

  const args = ["template", ".", "--name-template", name];
  if (namespace) args.push("--namespace", namespace);
  if (kubeVersion) args.push("--kube-version", kubeVersion);
  for (const [k, v] of set) args.push("--set", `${k}=${cleanSetParameter(v)}`);
  for (const [k, v] of setString) args.push("--set-string", `${k}=${cleanSetParameter(v)}`);
  for (const [k, v] of setFile) args.push("--set-file", `${k}=${cleanSetParameter(v)}`);
  for (const v of values) args.push("--values", v);
  if (extraValues) args.push("--values", extraValues.path);
  for (const v of apiVersions) args.push("--api-versions", v);
  if (!helm.skipCrds) args.push("--include-crds");
  if (helm.skipSchemaValidation) args.push("--skip-schema-validation");
  if (helm.skipTests) args.push("--skip-tests");
  return { args, extraValues };
}

/** Helm's caches and config in the render's scratch folder, and no kubeconfig (as in Argo CD's repo-server). */
async function helmEnv(ctx: SourceContext): Promise<Record<string, string>> {
  const home = join(ctx.workDir, "helm-home");
  await mkdir(home, { recursive: true });
  const kubeconfig = join(home, "kubeconfig");
  await writeFile(kubeconfig, "");
  return {
    ...ctx.env,
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    HELM_CACHE_HOME: join(home, "cache", "helm"),
    HELM_CONFIG_HOME: join(home, "config", "helm"),
    HELM_DATA_HOME: join(home, "data", "helm"),
    // Without --namespace helm falls back to the kubeconfig's namespace: make that "default" everywhere.
    KUBECONFIG: kubeconfig,
    HELM_NAMESPACE: "",
  };
}

const MISSING_DEPENDENCY = [/found in requirements\.yaml, but missing in charts/, /found in Chart\.yaml, but missing in charts\/ directory/];

/** Argo CD's IsMissingDependencyErr. */
export function isMissingDependency(err: unknown): err is ToolFailedError {
  return err instanceof ToolFailedError && MISSING_DEPENDENCY.some((re) => re.test(err.stderr));
}

interface ChartDependency {
  name: string;
  repository: string;
}

async function chartDependencies(chartDir: string): Promise<ChartDependency[]> {
  const out: ChartDependency[] = [];
  for (const file of ["Chart.yaml", "requirements.yaml"]) {
    const text = await readFile(join(chartDir, file), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const doc: unknown = parse(text);
    const deps = isRecord(doc) && Array.isArray(doc.dependencies) ? doc.dependencies : [];
    for (const d of deps) if (isRecord(d)) out.push({ name: String(d.name ?? ""), repository: String(d.repository ?? "") });
  }
  return out;
}

/** Names helm says are missing (`... missing in charts/ directory: a, b`). */
function missingNames(stderr: string): string[] {
  const m = /missing in charts\/? directory: ([^\n]+)/.exec(stderr);
  return m ? m[1].split(",").map((s) => s.trim()).filter(Boolean) : [];
}

export async function renderHelm(ctx: SourceContext): Promise<ToolText> {
  const env = await helmEnv(ctx);
  const run = async (appPath: string, root: string) => {
    const plan = await planHelmTemplate(ctx, appPath, root);
    if (plan.extraValues) {
      await writeFile(plan.extraValues.path, plan.extraValues.text);
      ctx.redactions.set(plan.extraValues.path, "<temp file with values from source.helm.values/valuesObject>");
    }
    const { stdout } = await ctx.tools.run("helm", plan.args, { cwd: appPath, timeoutMs: ctx.timeoutMs, env });
    return stdout;
  };
  try {
    return { text: await run(ctx.appPath, ctx.checkout.root), label: "`helm template` output" };
  } catch (err) {
    if (!isMissingDependency(err)) throw err;
    const deps = await chartDependencies(ctx.appPath);
    const missing = missingNames(err.stderr);
    const wanted = deps.filter((d) => missing.length === 0 || missing.includes(d.name));
    const remote = wanted.filter((d) => !d.repository.startsWith("file://"));
    if (remote.length > 0 || wanted.length === 0) {
      const list = (remote.length ? remote : wanted).map((d) => `${d.name} (${d.repository || "no repository"})`).join(", ");
      throw new ConfigError(
        `chart dependencies are not in charts/: ${list || missing.join(", ")}. Tiphys renders offline and downloads no chart ` +
          "dependencies yet: run `helm dependency build` and commit charts/ (and Chart.lock), or use file:// dependencies",
      );
    }
    // Every missing dependency is a local chart: build them in a copy (the checkout is read-only).
    const copy = await ctx.writableCopy();
    const chartCopy = join(copy.root, relative(ctx.checkout.root, ctx.appPath));
    await ctx.tools.run("helm", ["dependency", "build"], { cwd: chartCopy, timeoutMs: ctx.timeoutMs, env });
    return { text: await run(chartCopy, copy.root), label: "`helm template` output" };
  }
}
