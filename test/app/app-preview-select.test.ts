// Which apps a pull request affects: pure table tests over Application values and changed files.
import { describe, expect, it } from "vitest";
import { affectReason, pairApps, selectAffectedApps, watchedPaths } from "../../src/app/app-preview-select.js";
import type { LoadedApplication } from "../../src/reconcilers/application/model.js";
import type { LoadedDoc } from "../../src/engine/model/load.js";
import type { Application, ApplicationSource } from "../../src/reconcilers/application/types.js";

const repo = { owner: "acme", name: "deploy", installationId: 1 };
const URL = "https://github.com/acme/deploy.git";

function loaded(name: string, spec: { source?: ApplicationSource; sources?: ApplicationSource[] }, annotations?: Record<string, string>, file = ".tiphys/apps.yaml"): LoadedApplication {
  const app: Application = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { ...spec, destination: { server: "https://kubernetes.default.svc", namespace: "default" } },
  };
  return { app, doc: { file } as LoadedDoc };
}

describe("watchedPaths", () => {
  it.each<[string, LoadedApplication, string[]]>([
    ["a path, trailing slash and ./ dropped", loaded("a", { source: { repoURL: URL, path: "./apps/web/" } }), ["apps/web"]],
    ["the repo root", loaded("a", { source: { repoURL: URL, path: "." } }), [""]],
    ["another repo's path is not this repo's", loaded("a", { source: { repoURL: "https://github.com/other/x", path: "web" } }), []],
    [
      "value files outside the path, and URLs ignored",
      loaded("a", { source: { repoURL: URL, path: "charts/web", helm: { valueFiles: ["values.yaml", "../../env/prod.yaml", "https://x.test/v.yaml"] } } }),
      ["charts/web", "charts/web/values.yaml", "env/prod.yaml"],
    ],
    [
      "a $ref value file names a file of the ref source",
      loaded("a", { sources: [{ repoURL: URL, path: "charts/web", helm: { valueFiles: ["$values/env/prod.yaml"] } }, { repoURL: URL, ref: "values" }] }),
      ["charts/web", "env/prod.yaml"],
    ],
    [
      "manifest-generate-paths: relative to the path, or from the root with /",
      loaded("a", { source: { repoURL: URL, path: "apps/web" } }, { "argocd.argoproj.io/manifest-generate-paths": ".;../shared; /lib/base" }),
      ["apps/shared", "apps/web", "lib/base"],
    ],
  ])("%s", (_name, app, expected) => {
    expect(watchedPaths(app.app, repo)).toEqual(expected);
  });
});

describe("affectReason", () => {
  const web = loaded("web", { source: { repoURL: URL, path: "apps/web" } });
  const moved = loaded("web", { source: { repoURL: URL, path: "apps/web2" } });
  it.each<[string, { base?: LoadedApplication; head?: LoadedApplication }, string[], boolean, string | undefined]>([
    ["a file under the path", { base: web, head: web }, ["apps/web/deploy.yaml"], true, "files"],
    ["a sibling folder with the same prefix is not under it", { base: web, head: web }, ["apps/web-old/deploy.yaml"], true, undefined],
    ["the definition changed", { base: web, head: moved }, [".tiphys/apps.yaml"], true, "definition"],
    ["only the head defines it", { head: web }, [".tiphys/apps.yaml"], true, "added"],
    ["only the base defines it", { base: web }, [".tiphys/apps.yaml"], true, "removed"],
    ["the head unknown: the defining file changed", { base: web }, [".tiphys/apps.yaml"], false, "definition"],
    ["the head unknown: nothing of it changed", { base: web }, ["README.md"], false, undefined],
  ])("%s", (_name, pair, files, headKnown, expected) => {
    expect(affectReason({ name: "web", ...pair }, files, repo, headKnown)).toBe(expected);
  });
});

describe("selectAffectedApps", () => {
  it("pairs both sides by name, sorted, and keeps the affected ones", () => {
    const a = loaded("a", { source: { repoURL: URL, path: "a" } });
    const b = loaded("b", { source: { repoURL: URL, path: "b" } });
    const c = loaded("c", { source: { repoURL: URL, path: "c" } });
    const pairs = pairApps([c, a], [a, b]);
    expect(pairs.map((p) => [p.name, !!p.base, !!p.head])).toEqual([
      ["a", true, true],
      ["b", false, true],
      ["c", true, false],
    ]);
    expect(selectAffectedApps(pairs, ["a/x.yaml"], repo, true).map((p) => `${p.name}:${p.reason}`)).toEqual(["a:files", "b:added", "c:removed"]);
  });
});
