import {
  effectivePermission,
  isBotLogin,
  requiredPermission,
  type ActorPermission,
  type Permission,
} from "./authorize.js";
import { inlineCode, tableCell } from "./markdown-text.js";
import { DEFAULT_PREFIX } from "./parse.js";
import type { CommandRegistry, VerbSpec } from "./registry.js";

export interface HelpOptions {
  /** The repo config's per-verb permissions, so help states who may here rather than by default. */
  overrides?: Partial<Record<string, Permission>>;
}

function whoMay(permission: Permission): string {
  if (permission === "read") return "anyone with read permission";
  if (permission === "admin") return "admins";
  return `${permission} permission or higher`;
}

/** A fenced block that cannot be closed early by backticks in `lines`. */
function fenced(lines: string[]): string {
  const longest = Math.max(2, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((r) => r.length)));
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, ...lines, fence].join("\n");
}

function renderVerb(registry: CommandRegistry, spec: VerbSpec, opts: HelpOptions): string {
  const out = [`### ${inlineCode(spec.usage)}`, "", spec.summary, ""];
  out.push(`Who may use it: ${whoMay(requiredPermission(spec, opts.overrides))} on this repository.`, "");
  const flags = Object.entries(spec.flags);
  if (flags.length > 0) {
    out.push("| Flag | Value | What it does |", "| --- | --- | --- |");
    for (const [name, flag] of flags) {
      const kind = flag.value ?? "none";
      const form = kind === "none" ? `--${name}` : `--${name}=<${kind}>`;
      out.push(`| ${inlineCode(form)} | ${kind === "none" ? "none" : kind} | ${tableCell(flag.summary)} |`);
    }
    out.push("");
  }
  if ((spec.params ?? "none") === "any") out.push("Takes `key=value` parameters.", "");
  // Examples go in a code block: our own help comment must not read as commands if it is parsed back.
  if (spec.examples.length > 0) out.push("Examples:", "", fenced(spec.examples), "");
  out.push(`All commands: ${inlineCode(`${registry.prefix} help`)}`);
  return out.join("\n");
}

/**
 * Help as markdown: with no verb, a table of every command (usage, who may use it, summary); with a
 * verb, its usage, flags and examples; with an unknown verb, renderUnknown's answer.
 */
export function renderHelp(registry: CommandRegistry, verb?: string, opts: HelpOptions = {}): string {
  if (verb !== undefined) {
    const spec = registry.get(verb);
    return spec ? renderVerb(registry, spec, opts) : renderUnknown(registry, verb);
  }
  const rows = registry
    .list()
    .map((s) => `| ${inlineCode(s.usage)} | ${whoMay(requiredPermission(s, opts.overrides))} | ${tableCell(s.summary)} |`);
  return [
    "### Tiphys commands",
    "",
    "Write each command at the start of its own line in a comment; several lines run several commands.",
    "",
    "| Command | Who may use it | What it does |",
    "| --- | --- | --- |",
    ...rows,
    "",
    `More on one command: ${inlineCode(`${registry.prefix} help <command>`)}`,
  ].join("\n");
}

/** "unknown command `/tiphys promte`. Did you mean `/tiphys promote`?" and the list of commands. */
export function renderUnknown(registry: CommandRegistry, verb: string): string {
  const all = registry.list().map((s) => inlineCode(`${registry.prefix} ${s.verb}`));
  const sentence = registry.unknownMessage(verb);
  return `${sentence[0].toUpperCase()}${sentence.slice(1)}\n\nCommands: ${all.join(", ")}.`;
}

export interface RefusalInput {
  verb: string;
  actor: string;
  actorPermission: ActorPermission;
  required: Permission;
  /** A further sentence, e.g. why the override exists. */
  reason?: string;
  /** Default `/tiphys`. */
  prefix?: string;
}

/** "`/tiphys retry` needs write permission on this repository; @alice has read." */
export function renderRefusal(input: RefusalInput): string {
  const command = inlineCode(`${input.prefix ?? DEFAULT_PREFIX} ${input.verb}`);
  const who = `@${input.actor}`;
  let text: string;
  if (isBotLogin(input.actor)) {
    text = `${command} was not run: ${who} is a bot, and commands from bots are never run.`;
  } else {
    const actual = effectivePermission(input.actorPermission);
    const has = actual === "none" ? "has no permission on it" : `has ${actual}`;
    text = `${command} needs ${input.required} permission on this repository; ${who} ${has}.`;
  }
  return input.reason ? `${text}\n\n${input.reason}` : text;
}
