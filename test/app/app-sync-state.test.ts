// Argo CD's backoff rules for automated sync retries and self-heal, as table tests.
import { describe, expect, it } from "vitest";
import { retryPlan, selfHealDelayMs } from "../../src/app/app-sync-state.js";

describe("retryPlan (Argo CD's RetryStrategy.NextRetryAt)", () => {
  it.each([
    // no retry block: limit 5, 5 s × 2^n capped at 3 m
    [undefined, 0, { retry: true, limit: 5, delayMs: 5_000 }],
    [undefined, 1, { retry: true, limit: 5, delayMs: 10_000 }],
    [undefined, 4, { retry: true, limit: 5, delayMs: 80_000 }],
    [undefined, 5, { retry: false, limit: 5, delayMs: 160_000 }],
    [{ limit: 10 }, 6, { retry: true, limit: 10, delayMs: 180_000 }],
    // a retry block without a limit retries nothing (Go's zero value)
    [{ backoff: { duration: "1s" } }, 0, { retry: false, limit: 0, delayMs: 1_000 }],
    // negative: forever
    [{ limit: -1 }, 100, { retry: true, limit: -1, delayMs: 180_000 }],
    [{ limit: 3, backoff: { duration: "20ms", factor: 3, maxDuration: "100ms" } }, 1, { retry: true, limit: 3, delayMs: 60 }],
    [{ limit: 3, backoff: { duration: "20ms", factor: 3, maxDuration: "100ms" } }, 2, { retry: true, limit: 3, delayMs: 100 }],
    [{ limit: 3, backoff: { duration: "2", factor: 1 } }, 2, { retry: true, limit: 3, delayMs: 2_000 }],
  ])("%j after %i retries", (strategy, done, expected) => {
    expect(retryPlan(strategy, done)).toEqual(expected);
  });
});

describe("selfHealDelayMs (2 s × 3^n, capped at 300 s)", () => {
  const argo = { baseMs: 2000, factor: 3, capMs: 300_000 };
  it.each([
    [0, 0],
    [1, 2_000],
    [2, 6_000],
    [3, 18_000],
    [4, 54_000],
    [5, 162_000],
    [6, 300_000],
    [20, 300_000],
  ])("attempt %i waits %i ms", (attempts, ms) => {
    expect(selfHealDelayMs(attempts, argo)).toBe(ms);
  });
});
