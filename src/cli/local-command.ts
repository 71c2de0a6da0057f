import type { Command } from "commander";
import { Option } from "commander";
import pc from "picocolors";
import { defaultDataDir } from "../app/run-workflow.js";
import { TerminalReporter } from "./terminal-reporter.js";

const RULE = (title: string) => pc.dim("── ") + title + " " + pc.dim("─".repeat(Math.max(3, 72 - title.length)));

function conclusionColour(c: string | undefined): (s: string) => string {
  if (c === "success") return pc.green;
  if (c === "failure" || c === "timed_out") return pc.red;
  if (c === "action_required" || c === "cancelled") return pc.yellow;
  return pc.cyan;
}

/**
 * `tiphys local`: the GitHub App's pipeline on this checkout, GitHub replaced by the terminal.
 * Exit 0 when every run succeeded, 1 when one did not, 2 when the config is invalid.
 */
export function addLocalCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("local")
    .description("run what the GitHub App would run for a push or pull request of this checkout, and show the check runs it would post")
    .addOption(new Option("--event <event>", "the GitHub event to simulate").choices(["push", "pull_request"]).default("push"))
    .option("--ref <ref>", "the commit or branch (default: HEAD)")
    .option("--base <branch>", "pull_request: the base branch (default: main or master)")
    .option("-C, --repo <dir>", "the checkout (default: the current directory)", ".")
    .option("--data-dir <dir>", "where runs, logs and artifacts go (default: $TIPHYS_DATA_DIR or ~/.local/state/tiphys)")
    .option("--full", "print each check run's full text (node table, DAG, log tails)")
    .action(async (flags: { event: "push" | "pull_request"; ref?: string; base?: string; repo: string; dataDir?: string; full?: boolean }) => {
      const out = process.stdout;
      out.write(pc.dim("tiphys local: the App's pipeline on this checkout; nothing is sent to GitHub\n"));
      // Loaded here: the store and Probot's logger are not needed by the other commands.
      const { runLocalMode } = await import("../app/local-mode.js");
      const result = await runLocalMode({
        repoDir: flags.repo,
        event: flags.event,
        ref: flags.ref,
        base: flags.base,
        dataDir: flags.dataDir ?? defaultDataDir(),
        onPlanned: (plan) => {
          out.write("\n" + RULE(`triggers for ${flags.event}`) + "\n");
          for (const r of plan.runs) out.write(`${pc.green("✔")} ${r.workflowName} ${pc.dim(`(${String(r.meta.reason ?? r.meta.via)})`)} → run ${r.id}\n`);
          for (const s of plan.skipped) out.write(`${pc.dim("·")} ${s.name.replace(/^Workflow\//, "").replace(/-$/, "")} ${pc.dim(s.reason)}\n`);
          if (plan.runs.length === 0 && plan.skipped.length === 0) out.write(pc.dim("no workflow in .tiphys/ is triggered by this event\n"));
          for (const p of plan.problems) out.write(pc.red(`✘ ${p.message}`) + "\n");
        },
        observe: () => new TerminalReporter({ stream: out, live: false }),
      });
      out.write("\n" + RULE("check runs that would be posted") + "\n");
      const latest = new Map<string, (typeof result.checkRuns)[number]>();
      for (const c of result.checkRuns) latest.set(c.name, c);
      for (const c of latest.values()) {
        const state = c.status === "completed" ? (c.conclusion ?? "") : c.status;
        out.write(`${conclusionColour(c.conclusion)(`● ${c.name}`)}  ${pc.bold(state)}  ${c.output?.title ?? ""}\n`);
        if (c.output?.summary) out.write(c.output.summary.replace(/^/gm, "    ") + "\n");
        if (flags.full && c.output?.text) out.write(c.output.text.replace(/^/gm, "    ") + "\n");
        for (const a of c.output?.annotations ?? []) out.write(pc.red(`    ${a.path}:${a.start_line}: ${a.message}`) + "\n");
      }
      if (latest.size === 0) out.write(pc.dim("none\n"));
      if (result.comments.length > 0) {
        out.write("\n" + RULE("comments that would be posted") + "\n");
        for (const c of result.comments) out.write(c.body + "\n");
      }
      const configFailed = [...latest.values()].some((c) => c.name === "tiphys/config" && c.conclusion === "failure");
      const failed = result.runs.some((r) => r.phase !== "Succeeded");
      setExit(configFailed ? 2 : failed ? 1 : 0);
    });
}
