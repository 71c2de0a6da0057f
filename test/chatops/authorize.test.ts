import { describe, expect, it } from "vitest";
import {
  authorize,
  effectivePermission,
  meetsPermission,
  permissionRank,
  PERMISSIONS,
  type Permission,
} from "../../src/chatops/authorize.js";
import { defaultRegistry } from "../../src/chatops/registry.js";

// Rows: the actor's permission. Columns: the required one, in PERMISSIONS order
// (read, triage, write, maintain, admin). Written out rather than computed, so a wrong ranking shows.
const MATRIX: Record<string, string> = {
  none: "-----",
  read: "y----",
  triage: "yy---",
  write: "yyy--",
  maintain: "yyyy-",
  admin: "yyyyy",
};

describe("meetsPermission matrix", () => {
  const cases = Object.entries(MATRIX).flatMap(([actual, row]) =>
    PERMISSIONS.map((required, i) => [actual, required, row[i] === "y"] as const),
  );
  it.each(cases)("%s meets %s: %s", (actual, required, expected) => {
    expect(meetsPermission(actual, required)).toBe(expected);
  });
});

describe("the forms GitHub reports a permission in", () => {
  it.each<[string, Parameters<typeof meetsPermission>[0], Permission | "none"]>([
    ["legacy write with role maintain", { permission: "write", role_name: "maintain" }, "maintain"],
    ["legacy read with role triage", { permission: "read", role_name: "triage" }, "triage"],
    ["a custom role falls back to the legacy value", { permission: "write", role_name: "security-reviewer" }, "write"],
    ["role only", { role_name: "admin" }, "admin"],
    ["nulls", { permission: null, role_name: null }, "none"],
    ["legacy none", { permission: "none", role_name: "" }, "none"],
    ["older API's push", "push", "write"],
    ["older API's pull", "pull", "read"],
    ["upper case", "WRITE", "write"],
    ["unknown name", "owner", "none"],
    ["empty", "", "none"],
  ])("%s", (_case, actual, expected) => {
    expect(effectivePermission(actual)).toBe(expected);
  });

  it("ranks read lowest and admin highest, and unknown names at 0", () => {
    expect(PERMISSIONS.map(permissionRank)).toEqual([1, 2, 3, 4, 5]);
    expect(permissionRank("none")).toBe(0);
    expect(permissionRank(undefined)).toBe(0);
  });

  it("lets a maintainer do what needs maintain, from the API object", () => {
    expect(meetsPermission({ permission: "write", role_name: "maintain" }, "maintain")).toBe(true);
    expect(meetsPermission({ permission: "write", role_name: "custom" }, "maintain")).toBe(false);
  });
});

describe("authorize", () => {
  const reg = defaultRegistry();
  const retry = reg.get("retry")!;
  const help = reg.get("help")!;

  it.each<[string, Parameters<typeof authorize>[0], boolean, string]>([
    ["a writer retries", { spec: retry, actor: "alice", actorPermission: "write" }, true, "retry needs write; @alice has write"],
    ["a reader may not retry", { spec: retry, actor: "alice", actorPermission: "read" }, false, "retry needs write; @alice has read"],
    ["an outsider may not ask for help", { spec: help, actor: "eve", actorPermission: "none" }, false, "help needs read; @eve has no permission"],
    ["an override lowers retry to triage", { spec: retry, actor: "tom", actorPermission: "triage", overrides: { retry: "triage" } }, true, "retry needs triage; @tom has triage"],
    ["an override raises help to maintain", { spec: help, actor: "wes", actorPermission: "write", overrides: { help: "maintain" } }, false, "help needs maintain; @wes has write"],
    ["another verb's override does not apply", { spec: retry, actor: "rae", actorPermission: "read", overrides: { help: "read", cancel: "read" } }, false, "retry needs write; @rae has read"],
    ["a bot flagged by the sender type", { spec: help, actor: "ci-helper", actorPermission: "admin", isBot: true }, false, "@ci-helper is a bot, and bots may not run commands"],
    ["a bot by its login, even with admin", { spec: help, actor: "dependabot[bot]", actorPermission: "admin" }, false, "@dependabot[bot] is a bot"],
    ["a bot login wins over isBot false", { spec: help, actor: "Tiphys[BOT]", actorPermission: "admin", isBot: false }, false, "is a bot"],
  ])("%s", (_case, input, allowed, reason) => {
    const result = authorize(input);
    expect(result.allowed).toBe(allowed);
    expect(result.reason).toContain(reason);
  });

  it("reports the permission required and held, for the refusal", () => {
    const r = authorize({ spec: retry, actor: "bob", actorPermission: { permission: "write", role_name: "maintain" }, overrides: { retry: "admin" } });
    expect(r).toMatchObject({ allowed: false, required: "admin", actual: "maintain" });
  });
});
