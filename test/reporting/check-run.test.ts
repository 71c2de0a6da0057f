import { describe, expect, it } from "vitest";
import { renderWorkflowCheckRun, type WorkflowCheckRunInput } from "../../src/reporting/index.js";
import type { WorkflowPhase } from "../../src/engine/model/types.js";
import { bigRun, byId, node, stepsRun } from "./fixtures.js";

const LIMIT = 65_535;
const started = "2025-01-01T10:00:00Z";
const finished = "2025-01-01T10:01:12Z";

function input(over: Partial<WorkflowCheckRunInput> & { phase?: WorkflowPhase; message?: string } = {}): WorkflowCheckRunInput {
  const { phase = "Failed", message, ...rest } = over;
  return {
    workflowName: "ci",
    runId: "ci-x7k2p",
    status: { phase, startedAt: started, finishedAt: phase === "Running" || phase === "Pending" ? undefined : finished, message },
    nodes: stepsRun(phase === "Succeeded" ? "Succeeded" : "Failed"),
    detailsHint: "tiphys logs ci-x7k2p",
    now: new Date("2025-01-01T10:01:30Z"),
    ...rest,
  };
}

/** The table row of the node whose name cell ends with `name`. */
function row(text: string, name: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith("| ") && l.split(" | ")[0].endsWith(name));
}

describe("renderWorkflowCheckRun: status and conclusion", () => {
  it.each([
    { phase: "Succeeded", message: undefined, extra: {}, status: "completed", conclusion: "success" },
    { phase: "Failed", message: "child 'ci-build' failed", extra: {}, status: "completed", conclusion: "failure" },
    { phase: "Error", message: "pod deleted", extra: {}, status: "completed", conclusion: "failure" },
    { phase: "Failed", message: "Stopped with strategy 'Stop'", extra: {}, status: "completed", conclusion: "cancelled" },
    { phase: "Failed", message: "Stopped with strategy 'Terminate'", extra: {}, status: "completed", conclusion: "cancelled" },
    { phase: "Failed", message: "workflow terminated", extra: {}, status: "completed", conclusion: "cancelled" },
    { phase: "Failed", message: "child failed", extra: { cancelled: true }, status: "completed", conclusion: "cancelled" },
    { phase: "Failed", message: "Max duration limit exceeded", extra: {}, status: "completed", conclusion: "timed_out" },
    { phase: "Failed", message: "Step exceeded its deadline", extra: {}, status: "completed", conclusion: "timed_out" },
    { phase: "Failed", message: "child failed", extra: { timedOut: true }, status: "completed", conclusion: "timed_out" },
    // A step killed by a signal (out of memory, a crash) failed; nobody cancelled it.
    { phase: "Failed", message: "terminated by signal 9", extra: {}, status: "completed", conclusion: "failure" },
    { phase: "Pending", message: undefined, extra: {}, status: "queued", conclusion: undefined },
    { phase: "Running", message: undefined, extra: { cancelled: true }, status: "in_progress", conclusion: undefined },
  ] as const)("$phase ($message) → $status/$conclusion", ({ phase, message, extra, status, conclusion }) => {
    const out = renderWorkflowCheckRun(input({ phase, message, ...extra }));
    expect(out.status).toBe(status);
    expect(out.conclusion).toBe(conclusion);
  });
});

describe("renderWorkflowCheckRun: title and summary", () => {
  it("says how long a successful run took and how many nodes ran", () => {
    expect(renderWorkflowCheckRun(input({ phase: "Succeeded" })).title).toBe("Succeeded in 1m 12s · 7/7 nodes");
  });

  it("names the failed step (not its retry attempt) and its exit code", () => {
    expect(renderWorkflowCheckRun(input({ message: "child 'ci-build' failed" })).title).toBe("Failed: step `build` (exit code 2)");
  });

  it("calls a failed DAG node a task", () => {
    const out = renderWorkflowCheckRun({ ...input(), workflowName: "big", nodes: bigRun(5, [3]) });
    expect(out.title).toBe("Failed: task `shard(3:3)` (exit code 3)");
  });

  it("says error for the Error phase", () => {
    const nodes = stepsRun("Error");
    expect(renderWorkflowCheckRun({ ...input({ phase: "Error" }), nodes }).title).toMatch(/^Error: step `build`/);
  });

  it("counts finished nodes and time so far while running", () => {
    const nodes = stepsRun("Succeeded");
    nodes["ci-build1"] = { ...nodes["ci-build1"], phase: "Running", finishedAt: undefined };
    const out = renderWorkflowCheckRun({ ...input({ phase: "Running" }), nodes });
    expect(out.title).toBe("Running for 1m 30s · 6/7 nodes");
    expect(row(out.text, "build(1)")).toContain("| Running | 49s |");
  });

  it("reports cancelled and timed-out runs with their duration", () => {
    expect(renderWorkflowCheckRun(input({ message: "Stopped with strategy 'Stop'" })).title).toBe("Cancelled after 1m 12s · 7/7 nodes");
    expect(renderWorkflowCheckRun(input({ message: "Max duration limit exceeded" })).title).toBe("Timed out after 1m 12s · 7/7 nodes");
  });

  it("summarises phase, duration, progress and the message with node names instead of ids", () => {
    const out = renderWorkflowCheckRun(input({ message: "child 'ci-build' failed" }));
    expect(out.summary).toContain("**Phase:** Failed");
    expect(out.summary).toContain("**Duration:** 1m 12s");
    expect(out.summary).toContain("**Progress:** 7/7 nodes");
    expect(out.summary).toContain("**Message:** child 'build' failed");
    expect(out.summary).toContain("`tiphys logs ci-x7k2p`");
  });

  it("uses Argo's progress when the status carries it", () => {
    const out = renderWorkflowCheckRun({ ...input({ phase: "Succeeded" }), status: { phase: "Succeeded", startedAt: started, finishedAt: finished, progress: "9/9" } });
    expect(out.title).toBe("Succeeded in 1m 12s · 9/9 nodes");
  });

  it("shows a queued run before any node started", () => {
    const out = renderWorkflowCheckRun({ ...input({ phase: "Pending", message: "Waiting for lock ci/main" }), nodes: {} });
    expect(out.title).toBe("Queued: Waiting for lock ci/main");
    expect(out.text).toBe("_No nodes have started yet._");
  });
});

describe("renderWorkflowCheckRun: text", () => {
  it("lists every node in tree order with phase, duration and message, failures included", () => {
    const { text } = renderWorkflowCheckRun(input());
    const names = text
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| Node") && !l.startsWith("| ---"))
      .map((l) => l.split(" | ")[0].slice(2).replace(/[\u00a0└ ]/g, ""));
    expect(names).toEqual(["ci", "lint", "test", "compile", "unit", "unit(0:a)", "unit(1:b)", "pack", "build", "build(0)", "build(1)"]);
    expect(row(text, "build(1)")).toBe("| \u00a0\u00a0└\u00a0build(1) | Pod | Failed | 31s | Error (exit code 2) |");
    expect(row(text, "└\u00a0lint")).toBe("| └\u00a0lint | Pod | Succeeded | 5s |  |");
  });

  it("escapes pipes and newlines in cells so a message cannot break the table", () => {
    const nodes = stepsRun();
    nodes["ci-build1"] = { ...nodes["ci-build1"], message: "expected a | b\ngot <nothing>" };
    const line = row(renderWorkflowCheckRun({ ...input(), nodes }).text, "build(1)")!;
    expect(line).toContain("expected a \\| b got &lt;nothing>");
    expect(line.split(/(?<!\\)\|/).length).toBe(7); // 6 cell borders
  });

  it("draws the tree of steps, step groups, DAG tasks and retries", () => {
    const { text } = renderWorkflowCheckRun(input());
    expect(text).toContain(
      [
        "```text",
        "✖ ci",
        "├─ ✔ [0]",
        "│  ├─ ✔ lint",
        "│  └─ ✔ test",
        "│     ├─ ✔ compile",
        "│     ├─ ✔ unit",
        "│     │  ├─ ✔ unit(0:a)",
        "│     │  └─ ✔ unit(1:b)",
        "│     └─ ✔ pack",
        "└─ ✖ [1]",
        "   └─ ✖ build",
        "      ├─ ✖ build(0)",
        "      └─ ✖ build(1)",
        "```",
      ].join("\n"),
    );
  });

  it("shows the log tail of the failed step's last attempt, at most 50 lines", () => {
    const log = Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n");
    const { text } = renderWorkflowCheckRun({ ...input(), logTails: { "ci-build0": "first attempt output", "ci-build1": log } });
    expect(text).toContain("### Log tail: `build(1)`");
    expect(text).toContain("line 150\n");
    expect(text).toContain("line 199\n");
    expect(text).not.toContain("line 149\n");
    expect(text).not.toContain("first attempt output");
  });

  it("keeps a log tail within 4 KB", () => {
    const log = Array.from({ length: 50 }, (_, i) => `${i}:` + "é".repeat(200)).join("\n");
    const { text } = renderWorkflowCheckRun({ ...input(), logTails: { "ci-build1": log } });
    const block = /````?text\n([\s\S]*?)\n````?/.exec(text.slice(text.indexOf("### Log tail")))![1];
    expect(Buffer.byteLength(block)).toBeLessThanOrEqual(4096);
    expect(block.endsWith("49:" + "é".repeat(200))).toBe(true);
  });

  it("picks a longer fence when the log itself contains code fences", () => {
    const log = "building docs\n```js\nconsole.log(1)\n```\n````\nend";
    const { text } = renderWorkflowCheckRun({ ...input(), logTails: { "ci-build1": log } });
    expect(text).toContain("`````text\n" + log + "\n`````");
  });

  it("says so when a failed node wrote nothing", () => {
    const { text } = renderWorkflowCheckRun({ ...input(), logTails: {} });
    expect(text).toContain("_No log output was captured._");
  });

  it("masks secrets and tokens in log tails, messages and the summary", () => {
    const secret = "s3cr3t-Passw0rd!";
    const token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
    const nodes = stepsRun();
    nodes["ci-build1"] = { ...nodes["ci-build1"], message: `login failed for ${secret}` };
    const log = [
      `using password ${secret}`,
      `docker config: ${Buffer.from(`{"auth":"${Buffer.from(`bot:${secret}`).toString("base64")}"}`).toString("base64")}`,
      `encoded: ${Buffer.from(secret).toString("base64")} and ${encodeURIComponent(secret)}`,
      `git clone https://x-access-token:${token}@github.com/acme/app`,
      `curl -H "Authorization: Bearer ${token}"`,
    ].join("\n");
    const out = renderWorkflowCheckRun({ ...input({ message: `failed with ${secret}` }), nodes, logTails: { "ci-build1": log }, secrets: [secret] });
    const all = [out.title, out.summary, out.text].join("\n");
    expect(all).not.toContain(secret);
    expect(all).not.toContain(Buffer.from(secret).toString("base64"));
    expect(all).not.toContain(encodeURIComponent(secret));
    expect(all).not.toContain(token);
    expect(all).not.toContain("ghs_");
    expect(all).toContain("https://x-access-token:***@github.com/acme/app");
    expect(all).toContain("using password ***");
    expect(out.summary).toContain("failed with ***");
  });
});

describe("renderWorkflowCheckRun: limits", () => {
  const failing = [17, 5000, 9990, 9994, 9995, 9996, 9997];
  const big = (): WorkflowCheckRunInput => ({
    ...input({ message: "child 'big-shard' failed" }),
    workflowName: "big",
    runId: "big-run",
    detailsHint: "tiphys logs big-run",
    nodes: bigRun(9998, failing),
    logTails: Object.fromEntries(failing.map((i) => [`big-s${i}`, Array.from({ length: 80 }, (_, l) => `shard ${i} line ${l} ` + "x".repeat(90)).join("\n")])),
  });

  it("fits a 10,000-node run in GitHub's 65,535 characters, failures first, with a note", () => {
    const out = renderWorkflowCheckRun(big());
    expect(Object.keys(big().nodes)).toHaveLength(10_000);
    expect(out.summary.length).toBeLessThanOrEqual(LIMIT);
    expect(out.text.length).toBeLessThanOrEqual(LIMIT);
    expect(out.text.length).toBeGreaterThan(LIMIT * 0.9);
    for (const i of failing) expect(row(out.text, `shard(${i}:${i})`)).toContain("| Failed |");
    const note = /… (\d+) more nodes not shown \(the full run: `tiphys logs big-run`\)/.exec(out.text);
    expect(note).not.toBeNull();
    const rows = out.text.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Node") && !l.startsWith("| ---"));
    expect(rows.length + Number(note![1])).toBe(10_000);
    expect(out.text).toContain("```text\n✖ big\n└─ ✖ shard\n   ├─ ✔ shard(0:0)");
    expect(out.text).toContain("### Log tail: `shard(17:17)`");
    expect(out.text).toMatch(/… logs of \d+ more failed nodes? not shown \(the full run: `tiphys logs big-run`\)/);
  });

  // How fast is bench:engine's to say; here, only that it renders within GitHub's limits.
  it("renders 10,000 nodes within GitHub's limits", () => {
    const out = renderWorkflowCheckRun(big());
    expect(out.summary.length).toBeLessThanOrEqual(65_535);
    expect((out.text ?? "").length).toBeLessThanOrEqual(65_535);
  });

  it("keeps a huge workflow message out of the summary's limit", () => {
    const out = renderWorkflowCheckRun(input({ message: "x".repeat(200_000) }));
    expect(out.summary.length).toBeLessThan(5000);
    expect(out.title.length).toBeLessThanOrEqual(200);
  });

  it("survives a status whose nodes point at each other", () => {
    const nodes = byId(
      node("a", "a", "Steps", "Failed", { boundaryID: "b" }),
      node("b", "b", "Steps", "Failed", { boundaryID: "a" }),
    );
    const { text } = renderWorkflowCheckRun({ ...input(), nodes });
    expect(text).toContain("✖ a");
    expect(text).toContain("✖ b");
  });
});
