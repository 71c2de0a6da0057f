import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { pino } from "pino";
import type { Logger } from "probot";
import type { RunRow } from "../core/ports/store.js";
import type { Reporter } from "../engine/runtime/reporter.js";
import { LocalGitHub, type LocalCheckRun, type LocalComment } from "../repo/local-github.js";
import { openMemoryStore } from "../store/index.js";
import { BlobCache } from "./config-source.js";
import { DEFAULT_LIMITS, type AppContext } from "./context.js";
import { AppMetrics } from "./metrics.js";
import { NodeSlots } from "./node-slots.js";
import { processEvent } from "./on-event.js";
import { Worker } from "./worker.js";

export interface LocalModeInput {
  repoDir: string;
  event: "push" | "pull_request";
  /** The commit to act on (default HEAD). */
  ref?: string;
  /** PR mode: the base branch (default: the repo's main/master). */
  base?: string;
  dataDir: string;
  /** Default: warnings and errors to stderr. */
  log?: Logger;
  /** Live progress of each run (the terminal). */
  observe?: (run: RunRow) => Reporter | undefined;
  onCheckRun?: (c: LocalCheckRun) => void;
  onPlanned?: AppContext["onPlanned"];
}

export interface LocalModeResult {
  sha: string;
  runs: RunRow[];
  checkRuns: LocalCheckRun[];
  comments: LocalComment[];
}

/**
 * `tiphys local`: the App's whole pipeline (config read from git objects, triggers, runs, check runs)
 * on a local checkout, with GitHub replaced by the local port and an in-memory store.
 */
export async function runLocalMode(input: LocalModeInput): Promise<LocalModeResult> {
  const probe = new LocalGitHub(input.repoDir, { defaultBranch: "main", user: "local" });
  const defaultBranch = input.base ?? (await probe.reader.defaultBranch());
  const user = await probe.reader.userName();
  const github = new LocalGitHub(input.repoDir, { defaultBranch, user, onCheckRun: input.onCheckRun });
  const sha = await github.reader.revParse(input.ref ?? "HEAD");
  const branch = (input.ref && !/^[0-9a-f]{40}$/.test(input.ref) ? input.ref.replace(/^refs\/heads\//, "") : undefined) ?? (await github.reader.currentBranch()) ?? defaultBranch;
  const store = await openMemoryStore();
  const ctx: AppContext = {
    github,
    store,
    dataDir: input.dataDir,
    log: input.log ?? pino({ level: "warn" }, pino.destination(2)),
    metrics: new AppMetrics(),
    limits: { ...DEFAULT_LIMITS, checkRunDebounceMs: 500 },
    workerId: `local-${randomUUID().slice(0, 8)}`,
    blobs: new BlobCache(),
    slots: new NodeSlots(DEFAULT_LIMITS.maxRunningNodes),
    observe: input.observe,
    onPlanned: input.onPlanned,
    now: () => new Date(),
  };
  // The checkout stands in for its GitHub repository: same owner/name (from `origin`), so a git
  // artifact naming that repository is cloned from the checkout.
  const top = await github.reader.topLevel();
  const id = (await github.reader.originRepo()) ?? { owner: "local", name: basename(top) };
  const fullName = `${id.owner}/${id.name}`;
  const repository = { name: id.name, full_name: fullName, owner: { login: id.owner }, default_branch: defaultBranch, clone_url: top };
  const common = { repository, installation: { id: 1 }, sender: { login: user } };
  let payload: Record<string, unknown>;
  if (input.event === "push") {
    const before = (await github.reader.parent(sha)) ?? "0".repeat(40);
    payload = { ...common, ref: `refs/heads/${branch}`, before, after: sha, created: false, deleted: false, head_commit: { id: sha } };
  } else {
    const baseSha = (await github.reader.mergeBase(defaultBranch, sha)) ?? (await github.reader.revParse(defaultBranch));
    github.pullRequest = { number: 1, headSha: sha, headRef: branch, headRepo: fullName, baseRef: defaultBranch, baseSha, author: user, fromFork: false, state: "open" };
    payload = {
      ...common,
      action: "opened",
      number: 1,
      pull_request: {
        number: 1,
        state: "open",
        head: { sha, ref: branch, repo: { full_name: fullName } },
        base: { sha: baseSha, ref: defaultBranch, repo: { full_name: fullName } },
        user: { login: user },
      },
    };
  }
  try {
    await processEvent(ctx, { id: `local-${Date.now()}`, name: input.event, payload });
    const worker = new Worker(ctx, { pollMs: 50 });
    worker.start();
    // Done when no run is waiting or going.
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const open = await store.findRuns({ phases: ["Pending", "Running"] });
      if (open.length === 0 && (await store.countJobs("queued")) === 0) break;
    }
    await worker.idle();
    await worker.stop();
    const runs = await store.findRuns({ limit: 1000 });
    return { sha, runs, checkRuns: github.checkRuns, comments: github.comments };
  } finally {
    await store.close();
  }
}
