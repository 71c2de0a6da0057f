// Application and AppProject documents: problems located at file, line and field; AppProject restrictions
// on sources, destinations and kinds as Argo CD enforces them.
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, formatProblem } from "../../../src/core/errors.js";
import { lintPaths } from "../../../src/engine/validate/index.js";
import { parseYamlDocuments } from "../../../src/engine/model/load.js";
import { DEFAULT_PROJECT, loadApplications, parseOptions, projectFor, projectRefusesApp, projectRefusesKind, syncOption } from "../../../src/reconcilers/application/model.js";
import type { Application, AppProject } from "../../../src/reconcilers/application/types.js";

const load = (text: string) => loadApplications(parseYamlDocuments(text, ".tiphys/apps.yaml"));

const APP = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  project: team
  source:
    repoURL: https://github.com/acme/deploy.git
    path: web
  destination:
    server: https://kubernetes.default.svc
    namespace: web
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
spec:
  sourceRepos: ["https://github.com/acme/*"]
  destinations:
    - server: https://kubernetes.default.svc
      namespace: "web*"
  namespaceResourceBlacklist:
    - group: ""
      kind: ResourceQuota
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: not-an-app
`;

describe("loading", () => {
  it("reads Applications and AppProjects and ignores other kinds", () => {
    const { apps, projects } = load(APP);
    expect(apps.map((a) => a.app.metadata.name)).toEqual(["web"]);
    expect(projects.map((p) => p.metadata.name)).toEqual(["team"]);
  });

  it("locates each problem at its file, line and field", () => {
    const broken = APP.replace("    repoURL: https://github.com/acme/deploy.git\n", "").replace("name: web\n", "name: Web_App\n");
    let err: unknown;
    try {
      load(broken);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).describe();
    expect(text).toContain('.tiphys/apps.yaml:4:9: error: "Web_App" is not a valid name');
    expect(text).toMatch(/\.tiphys\/apps\.yaml:8:\d+: error: repoURL is required \(spec\.source\.repoURL\)/);
  });

  it("refuses two Applications of the same name", () => {
    expect(() => load(APP + "---\n" + APP.split("---")[0])).toThrow(/2 problem|1 problem/);
  });

  it("warns about an unknown sync option without refusing the app", () => {
    const { apps, warnings } = load(APP.replace("  destination:", "  syncPolicy:\n    syncOptions: [CreateNamespace=true, Bogus=1]\n  destination:"));
    expect(apps).toHaveLength(1);
    expect(warnings.map((w) => w.message)).toEqual(["unknown sync option Bogus"]);
  });
});

describe("options", () => {
  it("lets a resource's annotation win over the app's option", () => {
    const app = parseOptions(["Prune=true", "PruneLast=false"]);
    const obj = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", annotations: { "argocd.argoproj.io/sync-options": "PruneLast=true, Replace=true" } } };
    expect(syncOption(app, obj, "PruneLast")).toBe("true");
    expect(syncOption(app, obj, "Prune")).toBe("true");
    expect(syncOption(app, undefined, "Replace")).toBeUndefined();
  });
});

describe("AppProject restrictions", () => {
  const { apps, projects } = load(APP);
  const app = apps[0]!.app;
  const project = projectFor(app, projects);

  it("allows what the project allows", () => {
    expect(projectRefusesApp(project, app, "https://kubernetes.default.svc")).toBeUndefined();
    expect(projectRefusesKind(project, { group: "apps", kind: "Deployment" }, true)).toBeUndefined();
  });

  it("refuses a source repo, a destination, a denied kind and cluster-scoped kinds not whitelisted", () => {
    const other: Application = { ...app, spec: { ...app.spec, source: { ...app.spec.source!, repoURL: "https://github.com/evil/x.git" } } };
    expect(projectRefusesApp(project, other, "https://kubernetes.default.svc")).toBe("application repo https://github.com/evil/x.git is not permitted in project 'team'");
    const elsewhere: Application = { ...app, spec: { ...app.spec, destination: { server: "https://kubernetes.default.svc", namespace: "kube-system" } } };
    expect(projectRefusesApp(project, elsewhere, "https://kubernetes.default.svc")).toMatch(/namespace 'kube-system' do not match any of the allowed destinations in project 'team'/);
    expect(projectRefusesKind(project, { group: "", kind: "ResourceQuota" }, true)).toMatch(/namespaceResourceBlacklist/);
    expect(projectRefusesKind(project, { group: "", kind: "Namespace" }, false)).toMatch(/not in clusterResourceWhitelist/);
  });

  it("has a default project that allows everything, and refuses an undefined one", () => {
    expect(projectRefusesKind(DEFAULT_PROJECT, { group: "rbac.authorization.k8s.io", kind: "ClusterRole" }, false)).toBeUndefined();
    const orphan: Application = { ...app, spec: { ...app.spec, project: "missing" } };
    expect(() => projectFor(orphan, [])).toThrow(/names project 'missing', which is not defined/);
    const negated: AppProject = { ...project, spec: { ...project.spec, sourceRepos: ["*", "!https://github.com/acme/deploy"] } };
    expect(projectRefusesApp(negated, app, "https://kubernetes.default.svc")).toMatch(/is not permitted/);
  });
});

describe("tiphys lint", () => {
  it("checks Application and AppProject documents beside workflows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tiphys-lint-app-"));
    try {
      const file = join(dir, "apps.yaml");
      writeFileSync(file, APP.split("---\napiVersion: argoproj.io/v1alpha1\nkind: Workflow")[0]!.replace("    repoURL: https://github.com/acme/deploy.git\n", "").replace("  sourceRepos:", "  sourceRepos: 3\n  x:"));
      const { problems } = await lintPaths([file], []);
      expect(problems.map((p) => formatProblem(p).replace(dir, "DIR"))).toEqual([
        "DIR/apps.yaml:8:5: error: repoURL is required (spec.source.repoURL)",
        "DIR/apps.yaml:18:16: error: sourceRepos must be a list (spec.sourceRepos)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
