import { describe, expect, it } from "vitest";
import { renderHelp, renderRefusal, renderUnknown } from "../../src/chatops/help.js";
import { parseCommands } from "../../src/chatops/parse.js";
import { defaultRegistry, type VerbSpec } from "../../src/chatops/registry.js";

const promote: VerbSpec = {
  verb: "promote",
  summary: "Promote the rollout one step | or fully.",
  usage: "/tiphys promote [rollout] [--full]",
  examples: ["/tiphys promote", "/tiphys promote web --full", "/tiphys promote web --reason=```x```"],
  permission: "write",
  target: "optional",
  flags: {
    full: { summary: "Skip the remaining steps." },
    reason: { summary: "Why, for the audit log.", value: "string" },
  },
  params: "any",
};

describe("renderHelp for all commands", () => {
  const reg = defaultRegistry().register(promote);
  const text = renderHelp(reg);

  it("has a table row for every verb with its usage, who may use it and its summary", () => {
    for (const spec of reg.list()) {
      const row = text.split("\n").find((l) => l.startsWith(`| \`${spec.usage}\` |`));
      expect(row, spec.verb).toBeDefined();
      expect(row).toContain(spec.permission === "read" ? "anyone with read permission" : `${spec.permission} permission or higher`);
    }
    expect(text).toContain("| `/tiphys help [command]` | anyone with read permission | List the commands, or explain one. |");
  });

  it("escapes a pipe in a summary so the table keeps its columns", () => {
    expect(text).toContain("one step \\| or fully.");
  });

  it("states the repo's overrides instead of the defaults", () => {
    const overridden = renderHelp(reg, undefined, { overrides: { retry: "maintain", cancel: "admin" } });
    expect(overridden).toContain("| `/tiphys retry [workflow or rollout]` | maintain permission or higher |");
    expect(overridden).toContain("| `/tiphys cancel [workflow]` | admins |");
  });

  it("does not read as commands when parsed back", () => {
    expect(parseCommands(text)).toEqual({ commands: [], problems: [] });
  });
});

describe("renderHelp for one command", () => {
  const reg = defaultRegistry().register(promote);

  it("shows usage, summary, who may, flags and examples", () => {
    const text = renderHelp(reg, "promote");
    expect(text).toContain("### `/tiphys promote [rollout] [--full]`");
    expect(text).toContain("Who may use it: write permission or higher on this repository.");
    expect(text).toContain("| `--full` | none | Skip the remaining steps. |");
    expect(text).toContain("| `--reason=<string>` | string | Why, for the audit log. |");
    expect(text).toContain("Takes `key=value` parameters.");
    // An example holds ```, so the block's fence is longer.
    expect(text).toContain("````text\n/tiphys promote\n/tiphys promote web --full\n/tiphys promote web --reason=```x```\n````");
  });

  it("omits the flag table for a verb without flags", () => {
    const text = renderHelp(reg, "ok-to-test");
    expect(text).toContain("### `/tiphys ok-to-test`");
    expect(text).not.toContain("| Flag |");
    expect(text).toContain("```text\n/tiphys ok-to-test\n```");
  });

  it("does not read as commands when parsed back", () => {
    for (const spec of reg.list()) expect(parseCommands(renderHelp(reg, spec.verb)).commands).toEqual([]);
  });

  it("answers an unknown verb with did-you-mean", () => {
    expect(renderHelp(reg, "promte")).toBe(renderUnknown(reg, "promte"));
  });
});

describe("renderUnknown", () => {
  const reg = defaultRegistry();

  it("suggests the nearest verb and lists all", () => {
    expect(renderUnknown(reg, "rety")).toBe(
      "Unknown command `/tiphys rety`. Did you mean `/tiphys retry`?\n\n" +
        "Commands: `/tiphys help`, `/tiphys retry`, `/tiphys cancel`, `/tiphys ok-to-test`, `/tiphys diff`, `/tiphys sync`, `/tiphys rollback`, `/tiphys lock`, `/tiphys unlock`.",
    );
  });

  it("points to help when nothing is near", () => {
    expect(renderUnknown(reg, "deploy")).toContain("Unknown command `/tiphys deploy`. `/tiphys help` lists the commands.");
  });
});

describe("renderRefusal", () => {
  it.each<[string, Parameters<typeof renderRefusal>[0], string]>([
    [
      "a reader asking to retry",
      { verb: "retry", actor: "alice", actorPermission: "read", required: "write" },
      "`/tiphys retry` needs write permission on this repository; @alice has read.",
    ],
    [
      "a maintainer, from the API's permission object",
      { verb: "cancel", actor: "bob", actorPermission: { permission: "write", role_name: "maintain" }, required: "admin" },
      "`/tiphys cancel` needs admin permission on this repository; @bob has maintain.",
    ],
    [
      "someone without access",
      { verb: "ok-to-test", actor: "eve", actorPermission: "none", required: "write" },
      "`/tiphys ok-to-test` needs write permission on this repository; @eve has no permission on it.",
    ],
    [
      "a bot",
      { verb: "retry", actor: "renovate[bot]", actorPermission: "admin", required: "write" },
      "`/tiphys retry` was not run: @renovate[bot] is a bot, and commands from bots are never run.",
    ],
    [
      "with a further reason",
      { verb: "retry", actor: "alice", actorPermission: "triage", required: "maintain", reason: "This repository raises it in `.tiphys/config.yaml`." },
      "`/tiphys retry` needs maintain permission on this repository; @alice has triage.\n\nThis repository raises it in `.tiphys/config.yaml`.",
    ],
  ])("%s", (_case, input, expected) => {
    expect(renderRefusal(input)).toBe(expected);
  });
});
