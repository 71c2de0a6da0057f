import { describe, expect, it } from "vitest";
import { gatePolicyOf, matchRelease, promotersOf, requiresSecondPerson, type RolloutRelease } from "../../src/app/rollout-release.js";

describe("gatePolicyOf", () => {
  it.each<[string, Record<string, string> | undefined, { timeoutMs: number; timeout: string; action: string; problem?: RegExp }]>([
    ["no annotations: 24h, then abort", undefined, { timeoutMs: 86_400_000, timeout: "24h", action: "abort" }],
    ["a Go duration", { "tiphys.io/gate-timeout": "1h30m" }, { timeoutMs: 5_400_000, timeout: "1h30m", action: "abort" }],
    ["promote when it passes", { "tiphys.io/gate-timeout": "30m", "tiphys.io/gate-timeout-action": "Promote" }, { timeoutMs: 1_800_000, timeout: "30m", action: "promote" }],
    ["not a duration: the default, said", { "tiphys.io/gate-timeout": "tomorrow" }, { timeoutMs: 86_400_000, timeout: "24h", action: "abort", problem: /`tiphys.io\/gate-timeout: tomorrow` is not a positive duration/ }],
    ["zero is no timeout: the default, said", { "tiphys.io/gate-timeout": "0s" }, { timeoutMs: 86_400_000, timeout: "24h", action: "abort", problem: /is not a positive duration/ }],
    ["an unknown action: abort, said", { "tiphys.io/gate-timeout-action": "wait" }, { timeoutMs: 86_400_000, timeout: "24h", action: "abort", problem: /`tiphys.io\/gate-timeout-action: wait` is neither abort nor promote/ }],
  ])("%s", (_case, annotations, expected) => {
    const { problem, ...rest } = gatePolicyOf(annotations);
    const { problem: wanted, ...want } = expected;
    expect(rest).toEqual(want);
    if (wanted) expect(problem).toMatch(wanted);
    else expect(problem).toBeUndefined();
  });
});

describe("promotersOf", () => {
  it.each<[string, string | undefined, ReturnType<typeof promotersOf>]>([
    ["absent", undefined, undefined],
    ["empty", " ", undefined],
    ["users and teams, with or without @, commas or spaces", "@org/release-managers, alice @bob  org/sre", { users: ["alice", "bob"], teams: [{ org: "org", slug: "release-managers" }, { org: "org", slug: "sre" }] }],
  ])("%s", (_case, value, expected) => {
    expect(promotersOf(value === undefined ? undefined : { "tiphys.io/promoters": value })).toEqual(expected);
  });
});

it.each([
  ["true", true],
  ["True", true],
  ["yes", true],
  ["false", false],
  ["", false],
])("tiphys.io/require-second-person: %j is %s", (value, expected) => {
  expect(requiresSecondPerson({ "tiphys.io/require-second-person": value })).toBe(expected);
});

describe("matchRelease", () => {
  const release = (namespace: string, name: string) => ({ key: `o/r/${namespace}/${name}`, value: { ref: { namespace, name } } as RolloutRelease });
  const releases = [release("default", "web"), release("prod", "web"), release("default", "api")];

  it("finds a name that is unique", () => {
    expect(matchRelease(releases, "api").found?.key).toBe("o/r/default/api");
  });
  it("asks for the namespace when the name is not", () => {
    expect(matchRelease(releases, "web")).toEqual({ ambiguous: ["default/web", "prod/web"] });
    expect(matchRelease(releases, "prod/web").found?.key).toBe("o/r/prod/web");
  });
  it("finds nothing for an unknown name", () => {
    expect(matchRelease(releases, "db")).toEqual({});
  });
});
