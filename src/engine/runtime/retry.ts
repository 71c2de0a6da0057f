import { evaluateExpr } from "../expr/expr-lang.js";
import type { ResolvedTemplate } from "../model/catalog.js";
import type { NodePhase, NodeStatus, RetryPolicy, RetryStrategy } from "../model/types.js";
import { parseDuration } from "../model/durations.js";
import type { Invocation, WorkflowRun } from "./operator.js";
import { substituteString } from "./substitute.js";

/** Retry limit: undefined means unlimited (`retryStrategy: {}`). */
export function retryLimit(rs: RetryStrategy, vars: Record<string, unknown>): number | undefined {
  if (rs.limit === undefined || rs.limit === null) return undefined;
  const s = substituteString(String(rs.limit), vars).trim();
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`retryStrategy.limit must be an integer, got "${s}"`);
  return n;
}

/** Argo's RetryPolicyActual: Always when an expression is set, else OnFailure. */
export function effectivePolicy(rs: RetryStrategy): RetryPolicy {
  return rs.retryPolicy ?? (rs.expression ? "Always" : "OnFailure");
}

export function policyAllows(policy: RetryPolicy, phase: NodePhase, message?: string): boolean {
  switch (policy) {
    case "Always":
      return phase === "Failed" || phase === "Error";
    case "OnFailure":
      return phase === "Failed";
    case "OnError":
      return phase === "Error";
    case "OnTransientError": {
      const pattern = process.env.TRANSIENT_ERROR_PATTERN;
      const transient = /connection reset|i\/o timeout|EOF|TLS handshake timeout|etcdserver: leader changed|ECONNRESET|ETIMEDOUT/i;
      return (phase === "Error" || phase === "Failed") && (transient.test(message ?? "") || (!!pattern && new RegExp(pattern).test(message ?? "")));
    }
  }
}

/** The wait before attempt `n` (1-based retry number): duration * factor^(n-1), capped. */
export function backoffMs(rs: RetryStrategy, n: number): number {
  const b = rs.backoff;
  if (!b?.duration) return 0;
  const base = parseDuration(b.duration, "retryStrategy.backoff.duration");
  const factor = b.factor === undefined ? 1 : Number(b.factor);
  let wait = base * Math.pow(factor || 1, n - 1);
  if (b.cap) wait = Math.min(wait, parseDuration(b.cap, "retryStrategy.backoff.cap"));
  return wait;
}

/** Like Go's humanize.Duration for the backoff message: "1s", "1m30s", "400ms". */
function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s % 60 || (!h && !m) ? `${s % 60}s` : ""}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/**
 * A Retry node with one child per attempt (`name(0)`, `name(1)`...). It takes its last child's
 * phase and outputs; `retryPolicy`, `expression` (over `lastRetry.*`), `limit` and `backoff`
 * decide whether another attempt runs (operator.go processNodeRetries).
 */
export async function executeRetry(run: WorkflowRun, inv: Invocation, resolved: ResolvedTemplate): Promise<NodeStatus> {
  const rs = resolved.template.retryStrategy!;
  const node = run.initNode(inv.nodeName, {
    type: "Retry",
    displayName: inv.displayName,
    templateName: resolved.templateRef ? undefined : resolved.templateName,
    templateRef: resolved.templateRef,
    boundaryID: inv.boundaryId,
    phase: "Running",
  });
  let limit: number | undefined;
  try {
    limit = retryLimit(rs, inv.vars);
  } catch (err) {
    return run.updateNode(node, { phase: "Error", message: (err as Error).message });
  }
  const policy = effectivePolicy(rs);
  const firstStart = Date.now();
  const maxDuration = rs.backoff?.maxDuration ? parseDuration(rs.backoff.maxDuration, "retryStrategy.backoff.maxDuration") : undefined;
  for (let attempt = 0; ; attempt++) {
    const childName = `${inv.nodeName}(${attempt})`;
    const child = await run.executeTemplate({ ...inv, nodeName: childName, displayName: `${inv.displayName}(${attempt})`, boundaryId: inv.boundaryId, attempt });
    run.addChild(node.id, child.id);
    if (child.phase !== "Failed" && child.phase !== "Error") {
      return run.updateNode(node, { phase: child.phase, outputs: child.outputs, message: child.message });
    }
    const fail = (message?: string) => run.updateNode(node, { phase: child.phase, outputs: child.outputs, message: message ?? child.message });
    // The checks below keep the order of Argo's processNodeRetries: their messages depend on it.
    if (run.shutdown) return fail(`Stopped with strategy '${run.shutdown}'`);
    if (run.deadlineExceeded) return fail("retry exceeded workflow deadline");
    let wait = 0;
    if (rs.backoff) {
      if (maxDuration !== undefined && Date.now() - firstStart > maxDuration) return fail("Max duration limit exceeded");
      wait = backoffMs(rs, attempt + 1);
      if (maxDuration !== undefined && Date.now() + wait - firstStart > maxDuration) return fail("Backoff would exceed max duration limit");
    }
    if (!policyAllows(policy, child.phase, child.message)) return fail();
    if (limit !== undefined && attempt >= limit) return fail("No more retries left");
    if (rs.expression) {
      const started = child.startedAt ? Date.parse(child.startedAt) : Date.now();
      const finished = child.finishedAt ? Date.parse(child.finishedAt) : Date.now();
      const env = {
        lastRetry: {
          exitCode: child.outputs?.exitCode ?? "-1",
          status: child.phase,
          duration: String((finished - started) / 1000),
          message: child.message ?? "",
        },
        retries: String(attempt),
        inputs: { parameters: Object.fromEntries((child.inputs?.parameters ?? []).map((p) => [p.name, p.value])) },
      };
      let again: unknown;
      try {
        again = evaluateExpr(rs.expression, env);
      } catch (err) {
        return run.updateNode(node, { phase: "Error", message: `retryStrategy.expression: ${(err as Error).message}` });
      }
      if (again !== true) return fail("retryStrategy.expression evaluated to false");
    }
    if (wait > 0) {
      run.updateNode(node, { message: `Backoff for ${humanDuration(wait)}` });
      await sleep(wait, run.stopController.signal);
      run.updateNode(node, { message: undefined });
    }
  }
}
