// The preview comment's markdown for the states that are not a diff, and the collapse rule of long diffs.
import { describe, expect, it } from "vitest";
import { renderPreviewParts, type PreviewView } from "../../src/app/app-preview-body.js";
import type { ResourceDiff } from "../../src/reconcilers/application/diff.js";

const view = (state: PreviewView["state"]): PreviewView => ({
  app: "web",
  repo: "acme/deploy",
  baseRef: "main",
  destination: { cluster: "in-cluster", namespace: "prod" },
  state,
});

const diff = (name: string, lines: number): ResourceDiff => ({
  key: { group: "", kind: "ConfigMap", namespace: "prod", name },
  kind: "added",
  modified: true,
  unified: ["--- base ConfigMap prod/" + name, "+++ head ConfigMap prod/" + name, ...Array.from({ length: lines }, (_, i) => `+line ${i}`)].join("\n") + "\n",
});

describe("renderPreviewParts", () => {
  it("an app whose sources are elsewhere says so, naming them", () => {
    expect(renderPreviewParts(view({ kind: "foreign", repoURLs: ["https://github.com/argoproj/argocd-example-apps.git"] }))).toEqual([
      "### Tiphys: application `web` → `in-cluster` namespace `prod`\n\n" +
        "The sources of `web` are not in `acme/deploy` (`https://github.com/argoproj/argocd-example-apps.git`): " +
        "Tiphys renders only sources in the repository that defines the app, so it has no diff to show here.",
    ]);
  });

  it("a removed app says what a pruning sync would do, then lists what it rendered", () => {
    const [body] = renderPreviewParts(view({ kind: "diff", lifecycle: "removed", diffs: [{ ...diff("a", 1), kind: "removed" }] }));
    expect(body).toContain("This pull request removes the app `web`: what it rendered is no longer in the repository (a sync with `prune` deletes it).");
    expect(body).toContain("**0 added, 0 changed, 1 removed** (0 unchanged)");
    expect(body).toContain("| ConfigMap | prod/a | removed |");
  });

  it("short diffs are open, long ones collapsed", () => {
    const [body] = renderPreviewParts(view({ kind: "diff", diffs: [diff("short", 5), diff("long", 60)] }));
    expect(body).toContain("<details open>\n<summary>ConfigMap prod/short: added</summary>");
    expect(body).toContain("<details>\n<summary>ConfigMap prod/long: added</summary>");
  });

  it("is the same text for the same diff (an unchanged preview is not written again)", () => {
    const v = view({ kind: "diff", diffs: [diff("a", 3)] });
    expect(renderPreviewParts(v)).toEqual(renderPreviewParts(structuredClone(v)));
  });
});
