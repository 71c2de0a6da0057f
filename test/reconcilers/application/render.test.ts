// renderApplication against Argo's own example apps (../shared/corpus/argocd-example-apps) with the
// real helm and kustomize from .tools/bin: the objects must be what the binaries give when run by
// hand. Plus the Application fields that change the render, the failure paths, and the cache.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ConfigError, ExternalError, TransientError } from "../../../src/core/errors.js";
import type { ToolName, ToolRunner, ToolRunOptions } from "../../../src/core/ports/tools.js";
import { RenderCache, renderApplication, type RenderDeps } from "../../../src/reconcilers/application/render.js";
import { argoGlob } from "../../../src/reconcilers/application/render-directory.js";
import { mergeImages, parseImageOverride, planKustomizeEdits } from "../../../src/reconcilers/application/render-kustomize.js";
import { envsubst } from "../../../src/reconcilers/application/render-support.js";
import type { Application, ApplicationSource, KubeObject } from "../../../src/reconcilers/application/types.js";
import { createBinaryToolRunner } from "../../../src/tools/binaries.js";
import { toolPath } from "../../../scripts/tools-path.mjs";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
// The real path: a checkout beside a symlinked ../shared (as CI clones have it) is read through its real path.
const CORPUS = realpathSync(join(repoRoot, "..", "shared", "corpus", "argocd-example-apps"));
const REPO = "https://github.com/argoproj/argocd-example-apps.git";
const REVISION = "0d521c6";

let work: string;
let tools: ReturnType<typeof createBinaryToolRunner>;

function app(source: ApplicationSource | ApplicationSource[], name = "demo", namespace = "demo-ns"): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace }, ...(Array.isArray(source) ? { sources: source } : { source }) },
  };
}

/** Every repoURL maps to the corpus (the parent of the app folders) unless listed. */
function deps(extra: Partial<RenderDeps> = {}, roots: Record<string, { root: string; revision: string }> = {}): RenderDeps {
  return { tools, checkout: async (repoURL) => roots[repoURL] ?? { root: CORPUS, revision: REVISION }, ...extra };
}

/** Counts the tool runs, to see the cache at work. */
function counting(inner: ToolRunner): ToolRunner & { calls: Array<{ tool: ToolName; args: string[]; opts: ToolRunOptions }> } {
  const calls: Array<{ tool: ToolName; args: string[]; opts: ToolRunOptions }> = [];
  return { calls, run: (tool, args, opts) => (calls.push({ tool, args, opts }), inner.run(tool, args, opts)) };
}

/** What a binary prints, parsed with the yaml package's defaults (an independent reading). */
function runTool(tool: "helm" | "kustomize", args: string[], cwd = work): KubeObject[] {
  const env = { PATH: process.env.PATH, HOME: work, HELM_CACHE_HOME: join(work, "hc"), HELM_CONFIG_HOME: join(work, "hcfg"), HELM_DATA_HOME: join(work, "hd") };
  const out = execFileSync(toolPath(tool), args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** A folder's YAML files, parsed in name order (what Argo CD's Directory tool reads). */
function readYamlDir(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .flatMap((n) => parseAllDocuments(readFileSync(join(dir, n), "utf8")).map((d) => d.toJS() as KubeObject | null))
    .filter((o): o is KubeObject => o !== null);
}

const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name ?? o.metadata.generateName}`);
const find = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const spec = (o: KubeObject) => o.spec as Record<string, unknown> & { template: { spec: { containers: Array<{ image: string }> } } };

/** A throwaway repo in the work folder with these files. */
function repo(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

beforeAll(() => {
  if (!existsSync(toolPath("helm")) || !existsSync(toolPath("kustomize"))) {
    execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "pipe" });
  }
  work = mkdtempSync(join(tmpdir(), "tiphys-render-test-"));
  tools = createBinaryToolRunner();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("Argo's example apps render as the real binaries render them", () => {
  it("guestbook (Directory) gives the folder's YAML", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "guestbook", targetRevision: "HEAD" }, "guestbook"), deps());
    expect(r.sourceTypes).toEqual(["Directory"]);
    expect(r.revisions).toEqual([REVISION]);
    expect(r.objects).toEqual(readYamlDir(join(CORPUS, "guestbook")));
    expect(names(r.objects)).toEqual(["Deployment/guestbook-ui", "Service/guestbook-ui"]);
  });

  it("sync-waves (Directory, one multi-document file) keeps every document in order", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "sync-waves" }, "sync-waves"), deps());
    expect(r.sourceTypes).toEqual(["Directory"]);
    expect(r.objects).toEqual(readYamlDir(join(CORPUS, "sync-waves")));
    expect(r.objects.length).toBeGreaterThanOrEqual(6);
  });

  it("helm-guestbook (Helm) equals `helm template`, and values-production.yaml makes the Service a LoadBalancer", async () => {
    const chart = join(CORPUS, "helm-guestbook");
    const plain = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook" }, "helm-guestbook"), deps());
    expect(plain.sourceTypes).toEqual(["Helm"]);
    expect(plain.objects).toEqual(runTool("helm", ["template", "helm-guestbook", chart, "--namespace", "demo-ns", "--include-crds"]));
    expect(find(plain.objects, "Service")[0].spec).toMatchObject({ type: "ClusterIP" });

    const prod = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["values-production.yaml"] } }, "helm-guestbook"), deps());
    expect(prod.objects).toEqual(
      runTool("helm", ["template", "helm-guestbook", chart, "--namespace", "demo-ns", "--include-crds", "-f", join(chart, "values-production.yaml")]),
    );
    expect(find(prod.objects, "Service")[0].spec).toMatchObject({ type: "LoadBalancer" });
  });

  it("kustomize-guestbook (Kustomize) equals `kustomize build` and gives kustomize-guestbook-ui", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "kustomize-guestbook" }, "kustomize-guestbook"), deps());
    expect(r.sourceTypes).toEqual(["Kustomize"]);
    expect(r.objects).toEqual(runTool("kustomize", ["build", join(CORPUS, "kustomize-guestbook")]));
    expect(names(find(r.objects, "Deployment"))).toEqual(["Deployment/kustomize-guestbook-ui"]);
  });

  it("pre-post-sync (Kustomize with the deprecated `bases:`) equals `kustomize build`", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "pre-post-sync" }, "pre-post-sync"), deps());
    expect(r.sourceTypes).toEqual(["Kustomize"]);
    expect(r.objects).toEqual(runTool("kustomize", ["build", join(CORPUS, "pre-post-sync")]));
    expect(names(find(r.objects, "Job")).sort()).toEqual(["Job/pre-post-sync-after", "Job/pre-post-sync-before"]);
  });

  it("blue-green (Helm) equals `helm template` and holds the Rollout", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "blue-green", helm: { releaseName: "blue-green" } }, "bg"), deps());
    expect(r.objects).toEqual(runTool("helm", ["template", "blue-green", join(CORPUS, "blue-green"), "--namespace", "demo-ns", "--include-crds"]));
    expect(find(r.objects, "Rollout")).toHaveLength(1);
    expect(find(r.objects, "Rollout")[0].apiVersion).toBe("argoproj.io/v1alpha1");
  });

  it("apps (app of apps, Helm) renders Application objects", async () => {
    const r = await renderApplication(app({ repoURL: REPO, path: "apps" }, "apps", "argocd"), deps());
    expect(r.objects).toEqual(runTool("helm", ["template", "apps", join(CORPUS, "apps"), "--namespace", "argocd", "--include-crds"]));
    expect(r.objects.length).toBeGreaterThan(5);
    expect(r.objects.every((o) => o.kind === "Application" && o.apiVersion === "argoproj.io/v1alpha1")).toBe(true);
    expect(names(r.objects)).toContain("Application/example.helm-guestbook");
  });
});

describe("Helm parameters", () => {
  it("runs Argo CD's command line, in Argo CD's argument order", async () => {
    const runner = counting(tools);
    const source: ApplicationSource = {
      repoURL: REPO,
      path: "helm-guestbook",
      helm: {
        releaseName: "rel",
        valueFiles: ["values-production.yaml", "missing.yaml"],
        ignoreMissingValueFiles: true,
        values: "replicaCount: 2\n",
        parameters: [
          { name: "image.tag", value: "${ARGOCD_APP_REVISION_SHORT}" },
          { name: "service.port", value: "8080", forceString: true },
          { name: "a.list", value: "x,y" },
        ],
      },
    };
    await renderApplication(app(source), { ...deps(), tools: runner, kubeVersion: "v1.33.2+k3s1", apiVersions: ["argoproj.io/v1alpha1/Rollout"] });
    expect(runner.calls).toHaveLength(1);
    const { args, opts } = runner.calls[0];
    expect(opts.cwd).toBe(join(CORPUS, "helm-guestbook"));
    expect(args.slice(0, 8)).toEqual(["template", ".", "--name-template", "rel", "--namespace", "demo-ns", "--kube-version", "1.33.2"]);
    expect(args.slice(8, 14)).toEqual(["--set", "image.tag=0d521c6", "--set", "a.list=x\\,y", "--set-string", "service.port=8080"]);
    expect(args.slice(14, 16)).toEqual(["--values", join(CORPUS, "helm-guestbook", "values-production.yaml")]);
    expect(args[16]).toBe("--values"); // the temp file holding `values`
    expect(args.slice(18)).toEqual(["--api-versions", "argoproj.io/v1alpha1/Rollout", "--include-crds"]);
  });

  it("parameters, valuesObject and values change the output; valuesObject wins over values", async () => {
    const base = { repoURL: REPO, path: "helm-guestbook" };
    const withParam = await renderApplication(app({ ...base, helm: { parameters: [{ name: "service.type", value: "NodePort" }] } }), deps());
    expect(find(withParam.objects, "Service")[0].spec).toMatchObject({ type: "NodePort" });
    const withObject = await renderApplication(app({ ...base, helm: { values: "replicaCount: 5\n", valuesObject: { replicaCount: 3, image: { tag: "yes" } } } }), deps());
    const dep = find(withObject.objects, "Deployment")[0];
    expect(spec(dep).replicas).toBe(3);
    expect(spec(dep).template.spec.containers[0].image).toMatch(/:yes$/);
    const withValues = await renderApplication(app({ ...base, helm: { values: "replicaCount: 4\n" } }), deps());
    expect(spec(find(withValues.objects, "Deployment")[0]).replicas).toBe(4);
  });

  it("a value file that does not exist fails with helm's message unless ignoreMissingValueFiles", async () => {
    const err = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["nope.yaml"] } }, "gb"), deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('Application "gb": failed to generate manifests for source 1 of 1');
    expect((err as Error).message).toContain("no such file or directory");
    const ok = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["nope.yaml"], ignoreMissingValueFiles: true } }), deps());
    expect(ok.objects).toHaveLength(2);
  });

  it("a value file outside the repository is refused", async () => {
    const err = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["../../etc/passwd"] } }), deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("resolved to outside repository root");
  });

  it(".argocd-source.yaml and .argocd-source-<app>.yaml in the app folder patch the source, as in Argo CD", async () => {
    const root = repo("overrides", {
      "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
      "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: {{ .Values.a | default \"none\" | quote }}\n  b: {{ .Values.b | default \"none\" | quote }}\n",
      "c/.argocd-source.yaml": "helm:\n  parameters:\n  - name: a\n    value: from-file\n",
      "c/.argocd-source-special.yaml": "helm:\n  releaseName: special-release\n  parameters:\n  - name: b\n    value: from-app-file\n",
    });
    const roots = { "https://example.com/o.git": { root, revision: "7" } };
    const plain = await renderApplication(app({ repoURL: "https://example.com/o.git", path: "c" }, "plain"), deps({}, roots));
    expect(plain.objects[0]).toMatchObject({ metadata: { name: "plain" }, data: { a: "from-file", b: "none" } });
    const special = await renderApplication(app({ repoURL: "https://example.com/o.git", path: "c" }, "special"), deps({}, roots));
    // a merge patch: the app file's parameter list replaces the shared one
    expect(special.objects[0]).toMatchObject({ metadata: { name: "special-release" }, data: { a: "none", b: "from-app-file" } });
  });

  it("a broken chart is a ConfigError with helm's message, the app, the source and its path", async () => {
    const root = repo("broken-chart", {
      "charts/bad/Chart.yaml": "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
      "charts/bad/templates/cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required "value x is required" .Values.x }}\n',
    });
    const err = await renderApplication(app({ repoURL: "https://example.com/r.git", path: "charts/bad" }, "broken"), deps({}, { "https://example.com/r.git": { root, revision: "1" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toContain('Application "broken"');
    expect(message).toContain("source 1 of 1");
    expect(message).toContain('path "charts/bad"');
    expect(message).toContain("value x is required");
    expect(message).toContain("`helm template . --name-template broken --namespace demo-ns --include-crds` failed with exit code 1");
    expect((err as ConfigError).problems[0]).toMatchObject({ field: "spec.source", severity: "error" });
  });

  it("builds local (file://) dependencies in a copy, and refuses remote ones it would have to download", async () => {
    const root = repo("deps", {
      "sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
      "sub/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub-{{ .Release.Name }}\n",
      "parent/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://../sub\n",
      "remote/Chart.yaml": "apiVersion: v2\nname: remote\nversion: 0.1.0\ndependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n",
    });
    const roots = { "https://example.com/deps.git": { root, revision: "2" } };
    const r = await renderApplication(app({ repoURL: "https://example.com/deps.git", path: "parent" }, "p"), deps({}, roots));
    expect(names(r.objects)).toEqual(["ConfigMap/sub-p"]);
    expect(existsSync(join(root, "parent", "charts"))).toBe(false); // the checkout itself is untouched
    const err = await renderApplication(app({ repoURL: "https://example.com/deps.git", path: "remote" }), deps({}, roots)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("redis (https://charts.example.com)");
    expect((err as Error).message).toContain("helm dependency build");
  });
});

describe("Kustomize overrides", () => {
  it("namePrefix, images, labels, annotations, namespace and replicas change the output", async () => {
    const r = await renderApplication(
      app({
        repoURL: REPO,
        path: "kustomize-guestbook",
        kustomize: {
          namePrefix: "staging-",
          nameSuffix: "-v2",
          images: ["gcr.io/google-samples/gb-frontend=registry.example.com/guestbook:${ARGOCD_APP_REVISION}"],
          commonLabels: { team: "web" },
          commonAnnotations: { owner: "ops" },
          namespace: "staging",
          replicas: [{ name: "guestbook-ui", count: 3 }],
        },
      }),
      deps(),
    );
    const dep = find(r.objects, "Deployment")[0];
    expect(dep.metadata).toMatchObject({ name: "staging-guestbook-ui-v2", namespace: "staging", labels: { team: "web" }, annotations: { owner: "ops" } });
    expect(spec(dep).replicas).toBe(3);
    expect(spec(dep).template.spec.containers[0].image).toBe(`registry.example.com/guestbook:${REVISION}`);
    expect(existsSync(join(CORPUS, "kustomize-guestbook", "kustomization.yaml"))).toBe(true);
    expect(readFileSync(join(CORPUS, "kustomize-guestbook", "kustomization.yaml"), "utf8")).not.toContain("staging");
  });

  it("a label already in the kustomization needs forceCommonLabels, as with `kustomize edit add label`", async () => {
    const root = repo("kust-labels", {
      "app/kustomization.yaml": "commonLabels:\n  team: a\nresources:\n- cm.yaml\n",
      "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
    });
    const roots = { "https://example.com/k.git": { root, revision: "3" } };
    const err = await renderApplication(app({ repoURL: "https://example.com/k.git", path: "app", kustomize: { commonLabels: { team: "b" } } }), deps({}, roots)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("label team already in kustomization file");
    const forced = await renderApplication(app({ repoURL: "https://example.com/k.git", path: "app", kustomize: { commonLabels: { team: "b" }, forceCommonLabels: true } as never }), deps({}, roots));
    expect(forced.objects[0].metadata.labels).toEqual({ team: "b" });
  });

  it("merges image overrides the way `kustomize edit set image` does", () => {
    expect(parseImageOverride("nginx=registry/nginx:1.2")).toEqual({ name: "nginx", newName: "registry/nginx", newTag: "1.2" });
    expect(parseImageOverride("nginx:1.21")).toEqual({ name: "nginx", newTag: "1.21" });
    expect(parseImageOverride("alpine@sha256:abc")).toEqual({ name: "alpine", digest: "sha256:abc" });
    expect(parseImageOverride("mysql=mariadb")).toEqual({ name: "mysql", newName: "mariadb" });
    expect(() => parseImageOverride("nginx")).toThrow(ConfigError);
    const merged = mergeImages(
      [{ name: "web", newName: "reg/web", newTag: "1" }, { name: "db", newTag: "9" }],
      [parseImageOverride("web:2"), parseImageOverride("api=reg/api:*"), parseImageOverride("db=*:10")],
    );
    // an override replaces the whole entry; `*` keeps the existing field; sorted by name
    expect(merged).toEqual([{ name: "api", newName: "reg/api" }, { name: "db", newTag: "10" }, { name: "web", newTag: "2" }]);
    const text = planKustomizeEdits("resources: [a.yaml]\nimages:\n- name: web\n  newTag: '1'\n", { images: ["web=r/web:2"], namePrefix: "p-" }, {});
    expect(text).toContain("namePrefix: p-");
    expect(text).toMatch(/- name: web\n\s+newName: r\/web\n\s+newTag: "2"/);
    // entries that are not overridden stay as written (a tag `1.10` stays "1.10"); `*` keeps the written tag
    const kept = planKustomizeEdits("images:\n- name: db\n  newTag: 1.10\n  tagSuffix: x\n- name: web\n  newTag: 1.20\n", { images: ["web=r/web:*"] }, {});
    expect(kept).toMatch(/- name: db\n\s+newTag: 1\.10\n\s+tagSuffix: x\n/);
    expect(kept).toMatch(/- name: web\n\s+newName: r\/web\n\s+newTag: "1.20"/);
  });
});

describe("Directory options", () => {
  let root: string;
  const roots = () => ({ "https://example.com/dir.git": { root, revision: "4" } });
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
  beforeAll(() => {
    root = repo("dir", {
      "m/a.yaml": `${cm("a")}---\n---\n# only a comment\n---\n${cm("a2")}`,
      "m/b.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" } }),
      "m/list.yml": `apiVersion: v1\nkind: List\nitems:\n- ${cm("l1").replace(/\n(?=.)/g, "\n  ")}- ${cm("l2").replace(/\n(?=.)/g, "\n  ")}`,
      "m/values.yaml": "replicas: 3\nimage: nginx\n",
      "m/skip.yaml": `# +argocd:skip-file-rendering\n${cm("skipped")}`,
      "m/README.md": cm("not-yaml"),
      "m/sub/c.yaml": cm("c"),
      "m/sub/deeper/d.yaml": cm("d"),
      "m/scalars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\n  labels:\n    on: yes\ndata:\n  mode: 0777\n  when: 2001-12-14\n",
      "bad/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [unclosed\n",
      "nokind/x.yaml": `${cm("ok")}---\napiVersion: v1\nmetadata:\n  name: nokind\n`,
      "jsonnet/main.jsonnet": "{}",
    });
  });
  const render = (directory: Record<string, unknown> | undefined, path = "m") =>
    renderApplication(app({ repoURL: "https://example.com/dir.git", path, ...(directory ? { directory } : {}) }), deps({}, roots()));

  it("reads the folder only, multi-document files without empty documents, Lists flattened, non-manifests and skip-marked files ignored", async () => {
    const r = await render(undefined);
    expect(names(r.objects)).toEqual(["ConfigMap/a", "ConfigMap/a2", "ConfigMap/b", "ConfigMap/l1", "ConfigMap/l2", "ConfigMap/scalars"]);
  });

  it("reads YAML the way Argo CD's Go code does (YAML 1.1 booleans and octals, timestamps as strings)", async () => {
    const r = await render(undefined);
    const s = r.objects.find((o) => o.metadata.name === "scalars")!;
    expect(s.metadata.labels).toEqual({ true: true });
    expect(s.data).toEqual({ mode: 511, when: "2001-12-14" });
  });

  it("recurse goes into subfolders, in lexical order", async () => {
    expect(names((await render({ recurse: true })).objects)).toEqual([
      "ConfigMap/a", "ConfigMap/a2", "ConfigMap/b", "ConfigMap/l1", "ConfigMap/l2", "ConfigMap/scalars", "ConfigMap/c", "ConfigMap/d",
    ]);
  });

  it("include and exclude use Argo CD's glob syntax ({a,b}; * crosses folders)", async () => {
    expect(names((await render({ recurse: true, include: "{a.yaml,sub/*}" })).objects)).toEqual(["ConfigMap/a", "ConfigMap/a2", "ConfigMap/c", "ConfigMap/d"]);
    expect(names((await render({ recurse: true, exclude: "{*.json,*.yml,sub/deeper/*}" })).objects)).toEqual(["ConfigMap/a", "ConfigMap/a2", "ConfigMap/scalars", "ConfigMap/c"]);
    expect(argoGlob("*.yaml")("sub/c.yaml")).toBe(true);
    expect(argoGlob("sub/*.yaml")("c.yaml")).toBe(false);
    expect(argoGlob("[ab].yaml")("b.yaml")).toBe(true);
  });

  it("a manifest that does not parse names the file and line", async () => {
    const err = await render(undefined, "bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0].pos).toMatchObject({ file: "bad/broken.yaml", line: 6 });
    expect((err as ConfigError).describe()).toContain("bad/broken.yaml:6:");
  });

  it("a document without kind after good ones is an error naming the file and line", async () => {
    const err = await render(undefined, "nokind").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).describe()).toMatch(/nokind\/x\.yaml:6:1: error: Object 'Kind' is missing/);
  });

  it("jsonnet is refused clearly", async () => {
    const err = await render(undefined, "jsonnet").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("jsonnet is not supported yet");
  });

  it("tool detection: an explicit block wins; a kustomization wins over Chart.yaml", async () => {
    const both = repo("both", {
      "x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
      "x/templates/cm.yaml": cm("from-helm"),
      "x/kustomization.yaml": "resources:\n- k.yaml\n",
      "x/k.yaml": cm("from-kustomize"),
    });
    const r2 = { "https://example.com/both.git": { root: both, revision: "5" } };
    const detected = await renderApplication(app({ repoURL: "https://example.com/both.git", path: "x" }), deps({}, r2));
    expect(detected.sourceTypes).toEqual(["Kustomize"]);
    const asHelm = await renderApplication(app({ repoURL: "https://example.com/both.git", path: "x", helm: {} }), deps({}, r2));
    expect(names(asHelm.objects)).toEqual(["ConfigMap/from-helm"]);
    const asDir = await renderApplication(app({ repoURL: "https://example.com/both.git", path: "x", directory: {} }), deps({}, r2));
    expect(names(asDir.objects)).toEqual(["ConfigMap/from-kustomize"]);
  });
});

describe("Multiple sources", () => {
  it("renders each source in order; a ref source gives files to $ref value files", async () => {
    const values = repo("values-repo", { "envs/prod.yaml": "service:\n  type: LoadBalancer\nreplicaCount: 2\n" });
    const r = await renderApplication(
      app([
        { repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["$values/envs/prod.yaml"] } },
        { repoURL: "https://example.com/values.git", targetRevision: "main", ref: "values" },
        { repoURL: REPO, path: "guestbook" },
      ]),
      deps({}, { "https://example.com/values.git": { root: values, revision: "v-sha" } }),
    );
    expect(r.sourceTypes).toEqual(["Helm", "", "Directory"]);
    expect(r.revisions).toEqual([REVISION, "v-sha", REVISION]);
    expect(names(r.objects)).toEqual(["Service/demo-helm-guestbook", "Deployment/demo-helm-guestbook", "Deployment/guestbook-ui", "Service/guestbook-ui"]);
    expect(spec(find(r.objects, "Deployment")[0]).replicas).toBe(2);
    expect(find(r.objects, "Service")[0].spec).toMatchObject({ type: "LoadBalancer" });
  });

  it("refuses a $ref to another revision of the same repository, as Argo CD does", async () => {
    const err = await renderApplication(
      app([
        { repoURL: REPO, path: "helm-guestbook", helm: { valueFiles: ["$values/helm-guestbook/values-production.yaml"] } },
        { repoURL: REPO, targetRevision: "other", ref: "values" },
      ]),
      { tools, checkout: async (_url, rev) => ({ root: CORPUS, revision: rev === "other" ? "other-sha" : REVISION }) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("cannot reference a different revision of the same repository");
  });

  it("Helm repository charts and plugins are refused clearly, naming the field", async () => {
    const chart = await renderApplication(app({ repoURL: "https://charts.bitnami.com/bitnami", chart: "redis", targetRevision: "17.0.0" }), deps()).catch((e: unknown) => e);
    expect(chart).toBeInstanceOf(ConfigError);
    expect((chart as Error).message).toContain("spec.source.chart");
    expect((chart as Error).message).toContain("not supported yet");
    const plugin = await renderApplication(app([{ repoURL: REPO, path: "guestbook", plugin: { name: "x" } }]), deps()).catch((e: unknown) => e);
    expect((plugin as Error).message).toContain("spec.sources[0].plugin");
  });
});

describe("Tool failures reach the caller with the right class", () => {
  it("a missing binary is the ExternalError that says how to install it", async () => {
    const missing = createBinaryToolRunner({ env: { PATH: join(work, "empty") }, packageRoot: join(work, "no-package") });
    const err = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook" }), { ...deps(), tools: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect((err as Error).message).toContain("npm run tools");
  });

  it("the time limit is enforced", async () => {
    const slow = join(work, "slow-helm");
    writeFileSync(slow, "#!/bin/sh\nsleep 30\n");
    chmodSync(slow, 0o755);
    const slowTools = createBinaryToolRunner({ env: { ...process.env, TIPHYS_HELM: slow } });
    const started = performance.now();
    const err = await renderApplication(app({ repoURL: REPO, path: "helm-guestbook" }), { ...deps(), tools: slowTools, limits: { toolTimeoutMs: 400 } }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain("did not finish within 0.4s");
  });

  it("a tool output that is not Kubernetes objects names the source and the document", async () => {
    const root = repo("not-objects", { "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "c/templates/x.yaml": "just: data\n" });
    const err = await renderApplication(app({ repoURL: "https://example.com/n.git", path: "c" }), deps({}, { "https://example.com/n.git": { root, revision: "6" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/source 1 of 1 .*`helm template` output: document 1 \(line \d+\).*no kind/);
  });
});

describe("RenderCache", () => {
  it("gives the same objects without running the tool again for the same key", async () => {
    const runner = counting(tools);
    const cache = new RenderCache();
    const d = { ...deps(), tools: runner, cache };
    const source = { repoURL: REPO, path: "kustomize-guestbook" };
    const first = await renderApplication(app(source), d);
    first.objects[0].metadata.name = "mutated by the caller";
    const second = await renderApplication(app(source), d);
    expect(runner.calls).toHaveLength(1);
    expect(second.objects).toEqual(runTool("kustomize", ["build", join(CORPUS, "kustomize-guestbook")]));
    await renderApplication(app({ ...source, kustomize: { namePrefix: "x-" } }), d);
    await renderApplication(app(source, "other-app"), d);
    await renderApplication(app(source, "demo", "other-ns"), d);
    await renderApplication(app(source), { ...d, checkout: async () => ({ root: CORPUS, revision: "newer" }) });
    expect(runner.calls).toHaveLength(5);
    expect(cache.hits).toBe(1);
  });

  it("evicts the least recently used entry", () => {
    const cache = new RenderCache(2);
    cache.set("a", []);
    cache.set("b", []);
    cache.get("a");
    cache.set("c", []);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toEqual([]);
    expect(cache.size).toBe(2);
  });
});

describe("build environment", () => {
  it("substitutes like Go's os.Expand with Argo CD's mapping", () => {
    const vars = { A: "x", ARGOCD_APP_NAME: "app" };
    expect(envsubst("$A-${ARGOCD_APP_NAME}-$B-$$-${}-$", vars)).toBe("x-app--$--$");
  });

  it("does not leave edits in the shared checkout", () => {
    // every Kustomize/Helm render above ran against the read-only corpus; a copy took the edits
    expect(readdirSync(join(CORPUS, "helm-guestbook")).sort()).toEqual([".helmignore", "Chart.yaml", "templates", "values-production.yaml", "values.yaml"]);
  });
});
