import type { Permission } from "./authorize.js";
import { inlineCode } from "./markdown-text.js";
import { DEFAULT_PREFIX, type ParsedCommand } from "./parse.js";
import { applicationVerbs } from "./app-verbs.js";
import { rolloutVerbs } from "./rollout-verbs.js";
import { closestWord } from "./suggest.js";

export interface FlagSpec {
  summary: string;
  /** Default `none`: the flag is a switch. */
  value?: "none" | "string" | "number";
}

export interface VerbSpec {
  /** Lower-case, e.g. `ok-to-test`. */
  verb: string;
  summary: string;
  /** Starts with the prefix and the verb: `/tiphys retry [workflow]`. */
  usage: string;
  examples: string[];
  /** The lowest repository permission that may use it (a repo's config may override it). */
  permission: Permission;
  target: "none" | "optional" | "required";
  /** Keyed by name without dashes. */
  flags: Record<string, FlagSpec>;
  /** Whether `key=value` words are accepted. Default `none`. */
  params?: "any" | "none";
  /** Positional words accepted after the target (`rollback <app> [id]`: 1; a free-text reason: `any`). Default 0. */
  extraArgs?: number | "any";
}

export type ValidatedCommand = ParsedCommand & { spec: VerbSpec };

export type Validation = { ok: true; command: ValidatedCommand } | { ok: false; message: string };

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * The verbs Tiphys understands. Help, "did you mean" and refusals are all generated from it, so a verb
 * registered here is documented and checked without further work.
 */
export class CommandRegistry {
  readonly prefix: string;
  private readonly specs = new Map<string, VerbSpec>();

  constructor(opts: { prefix?: string } = {}) {
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
  }

  /** Throws on a duplicate verb or a malformed spec: those are programming errors, found at startup. */
  register(spec: VerbSpec): this {
    if (!NAME.test(spec.verb)) throw new Error(`verb ${JSON.stringify(spec.verb)} must be lower-case letters, digits and -`);
    if (this.specs.has(spec.verb)) throw new Error(`verb "${spec.verb}" is registered twice`);
    const head = `${this.prefix} ${spec.verb}`;
    if (spec.usage !== head && !spec.usage.startsWith(head + " ")) {
      throw new Error(`usage of "${spec.verb}" must start with "${head}": ${spec.usage}`);
    }
    for (const flag of Object.keys(spec.flags)) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(flag)) throw new Error(`flag "${flag}" of "${spec.verb}" must be lower-case, without dashes in front`);
    }
    this.specs.set(spec.verb, spec);
    return this;
  }

  registerAll(specs: VerbSpec[]): this {
    for (const spec of specs) this.register(spec);
    return this;
  }

  get(verb: string): VerbSpec | undefined {
    return this.specs.get(verb.toLowerCase());
  }

  /** In registration order. */
  list(): VerbSpec[] {
    return [...this.specs.values()];
  }

  /** The registered verb `typed` was probably meant to be. */
  suggest(typed: string): VerbSpec | undefined {
    const verb = closestWord(typed, this.specs.keys());
    return verb === undefined ? undefined : this.specs.get(verb);
  }

  /** For parseCommands' `takesValue`: `--flag value` consumes the next word when the flag has a value. */
  readonly flagTakesValue = (verb: string, flag: string): boolean => {
    const kind = this.get(verb)?.flags[flag]?.value ?? "none";
    return kind !== "none";
  };

  /** "unknown command `/tiphys promte`. Did you mean `/tiphys promote`?" */
  unknownMessage(verb: string): string {
    const typed = inlineCode(`${this.prefix} ${verb}`);
    const near = this.suggest(verb);
    if (near) return `unknown command ${typed}. Did you mean ${inlineCode(`${this.prefix} ${near.verb}`)}?`;
    return `unknown command ${typed}. ${inlineCode(`${this.prefix} help`)} lists the commands.`;
  }

  /** Checks a parsed command against its verb's spec; the message names the first thing wrong. */
  validate(cmd: ParsedCommand): Validation {
    const spec = this.get(cmd.verb);
    if (!spec) return { ok: false, message: this.unknownMessage(cmd.verb) };
    const problem = flagProblem(spec, cmd) ?? targetProblem(spec, cmd) ?? paramProblem(spec, cmd);
    if (problem !== undefined) {
      return { ok: false, message: `${inlineCode(`${this.prefix} ${spec.verb}`)} ${problem}. Usage: ${inlineCode(spec.usage)}` };
    }
    return { ok: true, command: { ...cmd, verb: spec.verb, spec } };
  }
}

function flagProblem(spec: VerbSpec, cmd: ParsedCommand): string | undefined {
  const known = Object.keys(spec.flags);
  for (const [name, value] of Object.entries(cmd.flags)) {
    const flag = spec.flags[name];
    if (flag === undefined) {
      const typed = inlineCode(`--${name}`);
      if (known.length === 0) return `takes no flags, but got ${typed}`;
      const near = closestWord(name, known);
      const hint = near ? `Did you mean ${inlineCode(`--${near}`)}?` : `Its flags: ${known.map((f) => inlineCode(`--${f}`)).join(", ")}`;
      return `has no flag ${typed}. ${hint}`;
    }
    const kind = flag.value ?? "none";
    if (kind === "none" && value !== true) return `flag ${inlineCode(`--${name}`)} takes no value, but got ${inlineCode(value)}`;
    if (kind !== "none" && value === true) return `flag ${inlineCode(`--${name}`)} needs a value: ${inlineCode(`--${name}=<${kind}>`)}`;
    if (kind === "number" && typeof value === "string" && (value.trim() === "" || !Number.isFinite(Number(value)))) {
      return `flag ${inlineCode(`--${name}`)} needs a number, but got ${inlineCode(value)}`;
    }
  }
  return undefined;
}

function targetProblem(spec: VerbSpec, cmd: ParsedCommand): string | undefined {
  if (spec.target === "required" && cmd.target === undefined) return "needs a target";
  if (spec.target === "none" && cmd.target !== undefined) return `takes no target, but got ${inlineCode(cmd.target)}`;
  const allowed = spec.extraArgs === "any" ? Infinity : (spec.extraArgs ?? 0);
  if (cmd.args.length > allowed) {
    const extra = cmd.args.map(inlineCode).join(" ");
    return `takes one target, but got more: ${inlineCode(cmd.target ?? "")} ${extra}`;
  }
  return undefined;
}

function paramProblem(spec: VerbSpec, cmd: ParsedCommand): string | undefined {
  const keys = Object.keys(cmd.params);
  if ((spec.params ?? "none") === "none" && keys.length > 0) {
    return `takes no key=value parameters, but got ${keys.map((k) => inlineCode(`${k}=${cmd.params[k]}`)).join(", ")}`;
  }
  return undefined;
}

/** The verbs of issue 3. Each call returns a new registry, to which later verbs are added. */
export function defaultRegistry(opts: { prefix?: string } = {}): CommandRegistry {
  const p = opts.prefix ?? DEFAULT_PREFIX;
  return new CommandRegistry(opts)
    .register({
      verb: "help",
      summary: "List the commands, or explain one.",
      usage: `${p} help [command]`,
      examples: [`${p} help`, `${p} help retry`],
      permission: "read",
      target: "optional",
      flags: {},
    })
    .register({
      verb: "retry",
      summary: "Re-run only the failed nodes of this pull request's latest run (or of the named workflow); nodes that succeeded are kept. Naming a Rollout restarts its aborted release from the first step.",
      usage: `${p} retry [workflow or rollout]`,
      examples: [`${p} retry`, `${p} retry build-and-test`, `${p} retry web`],
      permission: "write",
      target: "optional",
      flags: {},
    })
    .register({
      verb: "cancel",
      summary: "Stop this pull request's running workflows (or only the named one).",
      usage: `${p} cancel [workflow]`,
      examples: [`${p} cancel`, `${p} cancel e2e`],
      permission: "write",
      target: "optional",
      flags: {},
    })
    .register({
      verb: "ok-to-test",
      summary: "Approve running this pull request's workflows at its current head commit; a later push needs approval again.",
      usage: `${p} ok-to-test`,
      examples: [`${p} ok-to-test`],
      permission: "write",
      target: "none",
      flags: {},
    })
    .register({
      verb: "diff",
      summary: "Render an application's diff preview again now (on a pull request), or show its drift against the live cluster (on an issue, or with --live).",
      usage: `${p} diff <app> [--live]`,
      examples: [`${p} diff guestbook`, `${p} diff guestbook --live`],
      permission: "read",
      target: "required",
      flags: { live: { summary: "Also compare the app at this pull request's head with its live cluster." } },
    })
    .registerAll(applicationVerbs(p));
}

/**
 * The registry the App serves: the verbs above plus the Rollout verbs of issue 6 (promote, abort,
 * undo, status). Kept apart so that the base registry stays open to verbs a test registers.
 */
export function appRegistry(opts: { prefix?: string } = {}): CommandRegistry {
  return defaultRegistry(opts).registerAll(rolloutVerbs(opts.prefix ?? DEFAULT_PREFIX));
}
