import { describe, expect, it } from "vitest";
import { checkAnnotations, matchAnnotations, splitList } from "../../src/triggers/annotations.js";
import type { TriggerEvent } from "../../src/triggers/event.js";
import { branchPush, event, payload, tagPush } from "./helpers.js";

const wf = (annotations: Record<string, string>) => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Workflow",
  metadata: { generateName: "ci-", annotations },
  spec: {},
});

const push = (branch: string, changedFiles?: string[]): TriggerEvent => event("push", { ...branchPush(), ref: `refs/heads/${branch}` }, { changedFiles });
const pr = (action: string, base = "master", changedFiles?: string[]): TriggerEvent => {
  const body = payload("pull_request", action === "synchronize" || action === "closed" ? action : "opened");
  body.action = action;
  body.pull_request.base.ref = base;
  return event("pull_request", body, { changedFiles });
};
const tag = (): TriggerEvent => event("push", tagPush());
const comment = (): TriggerEvent => event("issue_comment", payload("issue_comment", "created"));

describe("matchAnnotations", () => {
  it.each<{ what: string; on: Record<string, string>; ev: () => TriggerEvent; matched: boolean; reason?: string }>([
    { what: "push listed", on: { "tiphys.io/on": "push" }, ev: () => push("main"), matched: true, reason: "push" },
    { what: "event not listed", on: { "tiphys.io/on": "push, pull_request" }, ev: comment, matched: false,
      reason: "event issue_comment is not in tiphys.io/on (push, pull_request)" },
    { what: "pull_request alone: opened", on: { "tiphys.io/on": "pull_request" }, ev: () => pr("opened"), matched: true },
    { what: "pull_request alone: synchronize", on: { "tiphys.io/on": "pull_request" }, ev: () => pr("synchronize"), matched: true },
    { what: "pull_request alone: reopened", on: { "tiphys.io/on": "pull_request" }, ev: () => pr("reopened"), matched: true },
    { what: "pull_request alone: not closed", on: { "tiphys.io/on": "pull_request" }, ev: () => pr("closed"), matched: false,
      reason: "pull_request action closed is not one of opened, synchronize, reopened" },
    { what: "pull_request.closed", on: { "tiphys.io/on": "pull_request.closed" }, ev: () => pr("closed"), matched: true, reason: "pull_request.closed" },
    { what: "pull_request.closed does not take opened", on: { "tiphys.io/on": "pull_request.closed" }, ev: () => pr("opened"), matched: false },
    { what: "other events without an action take every action", on: { "tiphys.io/on": "issue_comment" }, ev: comment, matched: true },
    { what: "issue_comment.created", on: { "tiphys.io/on": "issue_comment.edited, issue_comment.created" }, ev: comment, matched: true },
    { what: "branch listed", on: { "tiphys.io/on": "push", "tiphys.io/branches": "main, release/*" }, ev: () => push("release/1.2"), matched: true,
      reason: "push; branch release/1.2 matches main, release/*" },
    { what: "branch not listed", on: { "tiphys.io/on": "push", "tiphys.io/branches": "main, release/*" }, ev: () => push("feature/x"), matched: false,
      reason: "branch feature/x does not match main, release/*" },
    { what: "* does not cross /", on: { "tiphys.io/on": "push", "tiphys.io/branches": "release/*" }, ev: () => push("release/1/hotfix"), matched: false },
    { what: "** does", on: { "tiphys.io/on": "push", "tiphys.io/branches": "release/**" }, ev: () => push("release/1/hotfix"), matched: true },
    { what: "negated branch", on: { "tiphys.io/on": "push", "tiphys.io/branches": "release/*, !release/old" }, ev: () => push("release/old"), matched: false },
    { what: "only negations: anything else", on: { "tiphys.io/on": "push", "tiphys.io/branches": "!gh-pages" }, ev: () => push("main"), matched: true },
    { what: "pull_request filters on its BASE branch", on: { "tiphys.io/on": "pull_request", "tiphys.io/branches": "main" }, ev: () => pr("opened", "main"), matched: true },
    { what: "pull_request into another base", on: { "tiphys.io/on": "pull_request", "tiphys.io/branches": "main" }, ev: () => pr("opened", "develop"), matched: false,
      reason: "branch develop does not match main" },
    { what: "a tag push never matches branch patterns", on: { "tiphys.io/on": "push", "tiphys.io/branches": "*" }, ev: tag, matched: false,
      reason: "tag refs/tags/simple-tag does not match * (branch patterns never match a tag: use refs/tags/*)" },
    { what: "refs/tags/* selects tags", on: { "tiphys.io/on": "push", "tiphys.io/branches": "main, refs/tags/simple-*" }, ev: tag, matched: true },
    { what: "refs/tags/* does not select branches", on: { "tiphys.io/on": "push", "tiphys.io/branches": "refs/tags/*" }, ev: () => push("main"), matched: false },
    { what: "no branch in the event: the branch filter does not apply", on: { "tiphys.io/on": "issue_comment", "tiphys.io/branches": "main" }, ev: comment, matched: true },
    { what: "a changed file matches", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**" }, ev: () => push("main", ["README.md", "src/a/b.ts"]), matched: true,
      reason: "push; 1 of 2 changed files match src/**" },
    { what: "no changed file matches", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**" }, ev: () => push("main", ["README.md", "docs/x.md"]), matched: false,
      reason: "none of the 2 changed files matches src/**" },
    { what: "dot files are matched", on: { "tiphys.io/on": "push", "tiphys.io/paths": "**/*.yaml" }, ev: () => push("main", [".tiphys/ci.yaml"]), matched: true },
    { what: "!pattern excludes", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**, !src/**/*.md" }, ev: () => push("main", ["src/notes.md"]), matched: false },
    { what: "!pattern excludes only what it names", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**, !src/**/*.md" }, ev: () => push("main", ["src/notes.md", "src/x.ts"]), matched: true },
    { what: "braces keep their commas", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/*.{ts,js}" }, ev: () => push("main", ["src/a.js"]), matched: true },
    { what: "unknown changed files: paths pass", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**" }, ev: () => push("main"), matched: true,
      reason: "push; changed files unknown, so paths are not checked" },
    { what: "no changed files at all", on: { "tiphys.io/on": "push", "tiphys.io/paths": "src/**" }, ev: () => push("main", []), matched: false },
    { what: "branches and paths together", on: { "tiphys.io/on": "pull_request", "tiphys.io/branches": "master", "tiphys.io/paths": "src/**" },
      ev: () => pr("synchronize", "master", ["src/x.ts"]), matched: true },
    { what: "a deleted branch does not start a push workflow", on: { "tiphys.io/on": "push" },
      ev: () => event("push", payload("push", undefined, (p) => p.deleted === true)), matched: false },
    { what: "no tiphys.io/on", on: {}, ev: () => push("main"), matched: false, reason: "no tiphys.io/on annotation" },
  ])("$what", ({ on, ev, matched, reason }) => {
    const result = matchAnnotations(wf(on), ev());
    expect(result.matched).toBe(matched);
    if (reason !== undefined) expect(result.reason).toBe(reason);
  });
});

describe("checkAnnotations and splitList", () => {
  it("reports unknown events with a suggestion", () => {
    expect(checkAnnotations(wf({ "tiphys.io/on": "push, pull-request" }), "f.yaml")).toEqual([
      { file: "f.yaml", path: "metadata.annotations.tiphys.io/on", message: '"pull-request" is not a GitHub event (did you mean "pull_request"?)', severity: "error" },
    ]);
  });

  it("warns about filters without tiphys.io/on", () => {
    expect(checkAnnotations(wf({ "tiphys.io/branches": "main" }), "f.yaml")[0]).toMatchObject({ severity: "warning", message: "tiphys.io/branches has no effect without tiphys.io/on" });
  });

  it("refuses a tiphys.io/executor that names no executor, and accepts local and kubernetes", () => {
    expect(checkAnnotations(wf({ "tiphys.io/on": "push", "tiphys.io/executor": "k8s" }), "f.yaml")).toEqual([
      { file: "f.yaml", path: "metadata.annotations.tiphys.io/executor", message: '"k8s" is not an executor (expected local or kubernetes)', severity: "error" },
    ]);
    expect(checkAnnotations(wf({ "tiphys.io/on": "push", "tiphys.io/executor": "kubernetes" }), "f.yaml")).toEqual([]);
    expect(checkAnnotations(wf({ "tiphys.io/on": "push", "tiphys.io/executor": "local" }), "f.yaml")).toEqual([]);
  });

  it("splits at commas outside braces", () => {
    expect(splitList(" a, b/{x,y}/*, ,c ")).toEqual(["a", "b/{x,y}/*", "c"]);
  });
});
