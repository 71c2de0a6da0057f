/**
 * The repository the Tiphys side reads: a realistic `.tiphys/` (a push-triggered CI workflow with
 * one script step, and a pull-request workflow that push must not start) and a source tree of a
 * hundred-odd files, then one push per webhook, each of 3 to 20 real commits. The commits are
 * written with one `git fast-import` (tens of thousands of commits in a second or two, where one
 * `git commit` each would take minutes).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRepo, runGit, type GitFixture } from "../../test/helpers/git-fixture.js";

export const CI_WORKFLOW = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ci-
  annotations:
    tiphys.io/on: push
    tiphys.io/branches: main
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: sha
      - name: branch
  templates:
    - name: main
      steps:
        - - name: build
            template: build
    - name: build
      script:
        image: alpine:3.20
        command: [sh]
        source: |
          echo "building {{workflow.parameters.branch}} at {{workflow.parameters.sha}}"
`;

export const REVIEW_WORKFLOW = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: review-
  annotations:
    tiphys.io/on: pull_request
    tiphys.io/paths: "src/**, !src/**/*.md"
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: sha
  templates:
    - name: main
      dag:
        tasks:
          - name: lint
            template: sh
            arguments:
              parameters: [{name: cmd, value: "echo lint"}]
          - name: test
            template: sh
            depends: lint
            arguments:
              parameters: [{name: cmd, value: "echo test {{workflow.parameters.sha}}"}]
    - name: sh
      inputs:
        parameters:
          - name: cmd
      script:
        image: alpine:3.20
        command: [sh]
        source: "{{inputs.parameters.cmd}}"
`;

const AREAS = ["api", "auth", "billing", "core", "db", "jobs", "ui", "util"];
const FILES_PER_AREA = 15;
const IDENTITY = { name: "Octo Dev", email: "octo-dev@example.com" };

export interface BenchCommit {
  id: string;
  treeId: string;
  message: string;
  /** Seconds since the epoch. */
  time: number;
  added: string[];
  modified: string[];
  removed: string[];
}

export interface BenchPush {
  before: string;
  after: string;
  commits: BenchCommit[];
}

export interface PushFixture {
  repo: GitFixture;
  pushes: BenchPush[];
}

const sourceFile = (area: string, i: number) => `src/${area}/module-${i}.ts`;

function sourceText(path: string, version: number): string {
  const lines = [`// ${path}`, `export const version = ${version};`];
  for (let i = 0; i < 30; i++) lines.push(`export function f${i}(x: number): number { return x * ${i + version}; }`);
  return lines.join("\n") + "\n";
}

/** A fast-import `data` command: exact byte count, then the bytes. */
const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;

/** Small deterministic PRNG (mulberry32): the same pushes every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = ["fix", "add", "refactor", "speed up", "document", "test", "rename", "simplify"];
const NOUNS = ["token refresh", "pagination", "retry logic", "the cache key", "error messages", "input checks", "the scheduler", "logging"];

/** Creates the repository and `count` pushes of 3 to 20 commits each, one after the other on `main`. */
export async function createPushFixture(count: number): Promise<PushFixture> {
  const initial: Record<string, string> = {
    ".tiphys/ci.yaml": CI_WORKFLOW,
    ".tiphys/review.yaml": REVIEW_WORKFLOW,
    "README.md": "# service\n\nA service with Tiphys workflows.\n",
    "package.json": JSON.stringify({ name: "service", version: "1.0.0", type: "module" }, null, 2) + "\n",
  };
  for (const area of AREAS) for (let i = 0; i < FILES_PER_AREA; i++) initial[sourceFile(area, i)] = sourceText(sourceFile(area, i), 0);
  const repo = await createRepo(initial);
  try {
    const rnd = random(42);
    const versions = new Map<string, number>();
    const extra: string[] = [];
    let mark = 0;
    // Later than the first commit, always forward: git's rev-list trusts commit dates to stop walking.
    let time = Number((await runGit(repo.dir, ["log", "-1", "--format=%ct"])).trim());
    const stream: string[] = [];
    const plan: Array<{ marks: number[]; changes: Array<{ message: string; time: number; added: string[]; modified: string[]; removed: string[] }> }> = [];
    for (let p = 0; p < count; p++) {
      const n = 3 + Math.floor(rnd() * 18);
      const push = { marks: [] as number[], changes: [] as (typeof plan)[number]["changes"] };
      for (let c = 0; c < n; c++) {
        const added: string[] = [];
        const modified: string[] = [];
        const removed: string[] = [];
        const edits = 1 + Math.floor(rnd() * 4);
        for (let e = 0; e < edits; e++) {
          const path = sourceFile(AREAS[Math.floor(rnd() * AREAS.length)], Math.floor(rnd() * FILES_PER_AREA));
          if (!modified.includes(path)) modified.push(path);
        }
        if (rnd() < 0.15) added.push(`src/${AREAS[Math.floor(rnd() * AREAS.length)]}/feature-${p}-${c}.ts`);
        if (rnd() < 0.05 && extra.length > 0) removed.push(extra.shift()!);
        extra.push(...added);
        time += 5 + Math.floor(rnd() * 60);
        const verb = VERBS[Math.floor(rnd() * VERBS.length)];
        const noun = NOUNS[Math.floor(rnd() * NOUNS.length)];
        const area = modified[0].split("/")[1];
        const message = `${area}: ${verb} ${noun}\n\nThe ${noun} in ${area} now behaves as described in #${100 + p}; ${verb}ing it here keeps the\nbehaviour the same for callers. Touches ${modified.length + added.length} file(s).`;
        mark++;
        push.marks.push(mark);
        push.changes.push({ message, time, added, modified, removed });
        stream.push(`commit refs/heads/main\nmark :${mark}\ncommitter ${IDENTITY.name} <${IDENTITY.email}> ${time} +0000\n${data(message)}`);
        if (mark === 1) stream.push(`from ${repo.sha}\n`);
        for (const path of modified) {
          const v = (versions.get(path) ?? 0) + 1;
          versions.set(path, v);
          stream.push(`M 100644 inline ${path}\n${data(sourceText(path, v))}`);
        }
        for (const path of added) stream.push(`M 100644 inline ${path}\n${data(sourceText(path, 1))}`);
        for (const path of removed) stream.push(`D ${path}\n`);
        stream.push("\n");
      }
      plan.push(push);
    }
    const marksFile = join(repo.dir, ".git", "bench-marks");
    await fastImport(repo.dir, stream.join(""), marksFile);
    const shaOf = new Map<number, string>();
    for (const line of readFileSync(marksFile, "utf8").split("\n")) {
      const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
      if (m) shaOf.set(Number(m[1]), m[2]);
    }
    const treeOf = new Map<string, string>();
    for (const line of (await runGit(repo.dir, ["log", "--format=%H %T", "main"])).split("\n")) {
      const [c, t] = line.split(" ");
      if (t) treeOf.set(c, t);
    }
    let before = repo.sha;
    const pushes: BenchPush[] = plan.map((p) => {
      const commits = p.changes.map((ch, i) => {
        const id = shaOf.get(p.marks[i])!;
        return { id, treeId: treeOf.get(id)!, ...ch };
      });
      const push = { before, after: commits[commits.length - 1].id, commits };
      before = push.after;
      return push;
    });
    return { repo, pushes };
  } catch (err) {
    repo.cleanup();
    throw err;
  }
}

function fastImport(dir: string, stream: string, marksFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };
    for (const name of Object.keys(env)) if (name.startsWith("GIT_") && !name.startsWith("GIT_CONFIG")) delete env[name];
    const child = spawn("git", ["-C", dir, "fast-import", "--quiet", `--export-marks=${marksFile}`], { env, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed (${code}): ${stderr.trim()}`))));
    child.stdin.end(stream);
  });
}
