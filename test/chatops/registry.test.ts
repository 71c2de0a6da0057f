import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/chatops/parse.js";
import { defaultRegistry, type VerbSpec } from "../../src/chatops/registry.js";
import { closestWord } from "../../src/chatops/suggest.js";

// Verbs shaped like the ones later issues add, to exercise flags, required targets and params.
const promote: VerbSpec = {
  verb: "promote",
  summary: "Promote the rollout one step, or fully.",
  usage: "/tiphys promote [rollout] [--full] [--step=<n>]",
  examples: ["/tiphys promote", "/tiphys promote web --full"],
  permission: "write",
  target: "optional",
  flags: {
    full: { summary: "Skip the remaining steps." },
    step: { summary: "Go to this step.", value: "number" },
    reason: { summary: "Why, for the audit log.", value: "string" },
  },
};
const rollback: VerbSpec = {
  verb: "rollback",
  summary: "Roll an application back to a revision.",
  usage: "/tiphys rollback <app> [key=value]",
  examples: ["/tiphys rollback web"],
  permission: "maintain",
  target: "required",
  flags: {},
  params: "any",
};

// The real `rollback` (issue 5) is registered already; the spec above only seeds malformed variants.
const registry = () => defaultRegistry().register(promote);

/** Parse one line (with the registry's value flags) and validate it. */
function check(line: string, reg = registry()) {
  const { commands, problems } = parseCommands(line, { takesValue: reg.flagTakesValue });
  expect(problems).toEqual([]);
  return reg.validate(commands[0]);
}

const messageOf = (line: string) => {
  const v = check(line);
  if (v.ok) throw new Error(`expected ${line} to be refused`);
  return v.message;
};

describe("defaultRegistry", () => {
  it("registers the issue-3 verbs with their permissions", () => {
    const specs = defaultRegistry().list();
    expect(specs.map((s) => [s.verb, s.permission, s.target])).toEqual([
      ["help", "read", "optional"],
      ["retry", "write", "optional"],
      ["cancel", "write", "optional"],
      ["ok-to-test", "write", "none"],
      ["diff", "read", "required"],
      ["sync", "write", "required"],
      ["rollback", "write", "required"],
      ["lock", "write", "required"],
      ["unlock", "write", "required"],
    ]);
  });

  it("gives every verb a usage starting with its command, a summary and an example", () => {
    for (const s of defaultRegistry().list()) {
      expect(s.usage.startsWith(`/tiphys ${s.verb}`)).toBe(true);
      expect(s.summary.length).toBeGreaterThan(10);
      expect(s.examples.length).toBeGreaterThan(0);
    }
  });

  it("returns a new registry each time, so adding a verb to one leaves others alone", () => {
    const a = defaultRegistry().register({ ...rollback, verb: "promote", usage: "/tiphys promote <app>" });
    expect(a.get("promote")?.verb).toBe("promote");
    expect(defaultRegistry().get("promote")).toBeUndefined();
  });

  it("looks verbs up ignoring case", () => {
    expect(defaultRegistry().get("OK-TO-TEST")?.verb).toBe("ok-to-test");
  });
});

describe("register refuses malformed specs", () => {
  it.each<[string, Partial<VerbSpec>, string]>([
    ["a duplicate verb", { verb: "retry", usage: "/tiphys retry" }, 'verb "retry" is registered twice'],
    ["an upper-case verb", { verb: "Sync", usage: "/tiphys Sync" }, "must be lower-case"],
    ["a usage for another verb", { verb: "sink", usage: "/tiphys synch <app>" }, 'usage of "sink" must start with "/tiphys sink"'],
    ["a flag written with dashes", { verb: "sink", usage: "/tiphys sink", flags: { "--prune": { summary: "x" } } }, 'flag "--prune"'],
  ])("%s", (_case, spec, message) => {
    expect(() => defaultRegistry().register({ ...rollback, ...spec })).toThrow(message);
  });
});

describe("validate accepts", () => {
  it.each([
    ["/tiphys retry"],
    ["/tiphys retry build"],
    ["/tiphys help retry"],
    ["/tiphys ok-to-test"],
    ["/tiphys promote web --full"],
    ["/tiphys promote --step=2"],
    ["/tiphys promote --step 2 web"],
    ["/tiphys promote --step=-1.5"],
    ['/tiphys promote --reason "canary looks fine"'],
    ["/tiphys rollback web 3"],
    ["/tiphys lock web deploy freeze until Friday"],
    ["/tiphys sync web --prune --dry-run"],
  ])("%s", (line) => {
    expect(check(line).ok).toBe(true);
  });

  it("returns the command with its canonical verb and spec", () => {
    const v = check("/tiphys PROMOTE web --step 2");
    expect(v).toMatchObject({ ok: true, command: { verb: "promote", target: "web", flags: { step: "2" } } });
    if (v.ok) expect(v.command.spec).toBe(promote);
  });
});

describe("validate says exactly what is wrong", () => {
  it.each([
    // unknown verbs, with and without a near match
    ["/tiphys promte", "unknown command `/tiphys promte`. Did you mean `/tiphys promote`?"],
    ["/tiphys rety", "unknown command `/tiphys rety`. Did you mean `/tiphys retry`?"],
    ["/tiphys oktotest", "unknown command `/tiphys oktotest`. Did you mean `/tiphys ok-to-test`?"],
    ["/tiphys canc", "unknown command `/tiphys canc`. Did you mean `/tiphys cancel`?"],
    ["/tiphys rolbak", "unknown command `/tiphys rolbak`. Did you mean `/tiphys rollback`?"],
    ["/tiphys deploy", "unknown command `/tiphys deploy`. `/tiphys help` lists the commands."],
    ["/tiphys x", "unknown command `/tiphys x`. `/tiphys help` lists the commands."],
    // flags
    ["/tiphys promote --ful", "`/tiphys promote` has no flag `--ful`. Did you mean `--full`?"],
    ["/tiphys promote --stpe=2", "`/tiphys promote` has no flag `--stpe`. Did you mean `--step`?"],
    ["/tiphys promote --zzzzzz", "`/tiphys promote` has no flag `--zzzzzz`. Its flags: `--full`, `--step`, `--reason`"],
    ["/tiphys retry --full", "`/tiphys retry` takes no flags, but got `--full`"],
    ["/tiphys promote --full=yes", "flag `--full` takes no value, but got `yes`"],
    ["/tiphys promote --step", "flag `--step` needs a value: `--step=<number>`"],
    ["/tiphys promote --step=two", "flag `--step` needs a number, but got `two`"],
    ["/tiphys promote --step=", "flag `--step` needs a number, but got ``"],
    ["/tiphys promote --reason", "flag `--reason` needs a value: `--reason=<string>`"],
    // targets
    ["/tiphys rollback", "`/tiphys rollback` needs a target. Usage: `/tiphys rollback <app> [id]`"],
    ["/tiphys rollback web 3 4", "`/tiphys rollback` takes one target, but got more: `web` `3` `4`"],
    ["/tiphys unlock web now", "`/tiphys unlock` takes one target, but got more: `web` `now`"],
    ["/tiphys ok-to-test now", "`/tiphys ok-to-test` takes no target, but got `now`. Usage: `/tiphys ok-to-test`"],
    ["/tiphys retry build test", "`/tiphys retry` takes one target, but got more: `build` `test`"],
    // params
    ["/tiphys retry a=1", "`/tiphys retry` takes no key=value parameters, but got `a=1`"],
  ])("%s", (line, message) => {
    expect(messageOf(line)).toContain(message);
  });

  it("ends every refusal of a known verb with its usage", () => {
    expect(messageOf("/tiphys retry a b")).toMatch(/Usage: `\/tiphys retry \[workflow or rollout\]`$/);
  });

  it("quotes what the user typed so it cannot mention or format", () => {
    expect(messageOf("/tiphys ok-to-test @bob")).toContain("`@bob`");
    expect(messageOf("/tiphys ok-to-test a`b")).toContain("``a`b``");
  });
});

describe("closestWord", () => {
  it.each<[string, string[], string | undefined]>([
    ["promte", ["promote", "rollback"], "promote"],
    ["ok_to_test", ["ok-to-test"], "ok-to-test"],
    ["unlcok", ["lock", "unlock"], "unlock"],
    ["rolback", ["rollback", "rollout"], "rollback"],
    ["ab", ["cd"], undefined],
    ["zzzzzz", ["promote"], undefined],
    ["loc", ["lock", "local"], "lock"], // a prefix of both, so the nearer one
    ["", ["help"], undefined],
  ])("%s among %j", (typed, candidates, expected) => {
    expect(closestWord(typed, candidates)).toBe(expected);
  });

  it("allows a third of a long word's length in edits", () => {
    expect(closestWord("deplyoment-stauts", ["deployment-status"])).toBe("deployment-status");
    expect(closestWord("retrx", ["retry-all-failed-nodes"])).toBeUndefined();
  });
});
