/**
 * `ignoreDifferences[].jqPathExpressions`: Argo CD compiles `del(<expression>)` with gojq and applies it
 * to each object, skipping it on a runtime error (util/argo/normalizers/diff_normalizer.go). Here the
 * real jq (1.7, compiled to WebAssembly by the `jq-web` package) runs in a worker thread, one call per
 * expression for a whole batch of objects, so that a runaway expression can be stopped after a time
 * limit (Argo's is 1 s) instead of hanging the process.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ConfigError, TransientError } from "../../core/errors.js";
import type { JsonMap } from "./diff-normalize.js";

export const DEFAULT_JQ_TIMEOUT_MS = 1000;

// CommonJS source for the worker (eval: true), so the same code runs from src/ under vitest and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
require(workerData.jqPath).then(
  (jq) => {
    parentPort.postMessage({ ready: true });
    parentPort.on("message", (msg) => {
      try {
        parentPort.postMessage({ id: msg.id, ok: true, output: jq.raw(msg.input, msg.filter, ["-c"]) });
      } catch (e) {
        const text = String((e && (e.stderr || e.message)) || e);
        parentPort.postMessage({ id: msg.id, ok: false, exitCode: e && e.exitCode, message: text });
      }
    });
  },
  (e) => parentPort.postMessage({ ready: false, message: String((e && e.message) || e) }),
);
`;

interface Reply {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  output?: string;
  exitCode?: number;
  message?: string;
}

interface Job {
  filter: string;
  input: string;
  timeoutMs: number;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
}

class JqFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
  ) {
    super(message);
  }
}

/** One worker running one job at a time; a job that overruns its time kills the worker, not the queue. */
class JqWorker {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly queue: Job[] = [];
  private busy = false;
  private nextId = 1;

  run(filter: string, input: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ filter, input, timeoutMs, resolve, reject });
      void this.pump();
    });
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const jqPath = createRequire(import.meta.url).resolve("jq-web");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { jqPath } });
    worker.unref(); // an idle worker must not keep the process alive; a job's timer does while it runs
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: Reply): void => {
        if (m.ready === undefined) return;
        worker.off("message", onMessage);
        if (m.ready) resolve();
        else reject(new TransientError(`jq failed to load: ${m.message ?? "unknown error"}`));
      };
      worker.on("message", onMessage);
      worker.once("error", (e) => reject(e));
    });
    worker.once("exit", () => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.ready = undefined;
      }
    });
    return this.ready;
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    try {
      job.resolve(await this.runOne(job));
    } catch (e) {
      job.reject(e as Error);
    } finally {
      this.busy = false;
      void this.pump();
    }
  }

  private async runOne(job: Job): Promise<string> {
    await this.start();
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
      };
      const onMessage = (m: Reply): void => {
        if (m.id !== id) return;
        done();
        if (m.ok) resolve(m.output ?? "");
        else reject(new JqFailure(m.message ?? "jq failed", m.exitCode));
      };
      const onExit = (): void => {
        done();
        reject(new TransientError("the jq worker stopped unexpectedly"));
      };
      const timer = setTimeout(() => {
        done();
        this.worker = undefined;
        this.ready = undefined;
        void worker.terminate();
        reject(new JqFailure(`timed out after ${job.timeoutMs} ms`, undefined));
      }, job.timeoutMs);
      worker.on("message", onMessage);
      worker.once("exit", onExit);
      worker.postMessage({ id, filter: job.filter, input: job.input });
    });
  }
}

// Shared by every diff in the process: it holds no tenant data between jobs, only the loaded jq.
let shared: JqWorker | undefined;
function jqWorker(): JqWorker {
  shared ??= new JqWorker();
  return shared;
}

/**
 * The jq program applied to an array of objects: the expression is a function body, so it cannot
 * close the surrounding `del(...)` early, and an object on which it fails is left unchanged.
 */
function batchFilter(expression: string): string {
  return `def __tiphys_ignored_paths:\n${expression}\n;\nmap(. as $doc | try del(__tiphys_ignored_paths) catch $doc)`;
}

function describe(expression: string, e: unknown): Error {
  if (e instanceof JqFailure) {
    const detail = jqMessage(e.message);
    if (e.exitCode === 3) return new ConfigError(`ignoreDifferences: invalid jqPathExpressions entry "${expression}": ${detail}`);
    return new ConfigError(`ignoreDifferences: jqPathExpressions entry "${expression}" failed: ${detail}`);
  }
  return e as Error;
}

/** jq's first error line without its frame, which names our wrapper rather than the expression. */
function jqMessage(text: string): string {
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.startsWith("jq: error"));
  if (!line) return text.replace(/^Non-zero exit code: \d+\s*/, "").trim();
  return line
    .replace(/^jq: error(?: \(at [^)]*\))?: /, "")
    .replace(/ \(Unix shell quoting issues\?\)/, "")
    .replace(/ at <top-level>, line \d+:?$/, "")
    .replace(/:$/, "");
}

const checked = new Map<string, Error | null>();

/** Compiles each expression once (cached): a ConfigError naming the first that jq rejects. */
export async function checkJqExpressions(expressions: Iterable<string>, timeoutMs = DEFAULT_JQ_TIMEOUT_MS): Promise<void> {
  for (const expression of new Set(expressions)) {
    let err = checked.get(expression);
    if (err === undefined) {
      try {
        await jqWorker().run(batchFilter(expression), "[]", timeoutMs);
        err = null;
      } catch (e) {
        err = describe(expression, e);
        if (!(err instanceof ConfigError)) throw err; // not the expression's fault: do not cache
      }
      if (checked.size > 1000) checked.clear();
      checked.set(expression, err);
    }
    if (err) throw err;
  }
}

/** `del(expression)` applied to each of `docs`, in one jq run; returns new objects in the same order. */
export async function deleteJqPaths(expression: string, docs: JsonMap[], timeoutMs = DEFAULT_JQ_TIMEOUT_MS): Promise<JsonMap[]> {
  if (docs.length === 0) return [];
  // Argo allows each object the time limit; a batch gets it once plus a little per object.
  const limit = timeoutMs + 2 * docs.length;
  let output: string;
  try {
    output = await jqWorker().run(batchFilter(expression), JSON.stringify(docs), limit);
  } catch (e) {
    throw describe(expression, e);
  }
  const result: unknown = JSON.parse(output);
  if (!Array.isArray(result) || result.length !== docs.length) {
    throw new ConfigError(`ignoreDifferences: jqPathExpressions entry "${expression}" did not give back one object per input`);
  }
  return result as JsonMap[];
}
