import { describe, expect, it } from "vitest";
import { evaluateCronWhen, evaluateStopExpression, type CronExprContext } from "../../src/schedules/cron-expr.js";

const now = new Date("2024-05-01T12:00:00Z");
const ctx = (over: Partial<CronExprContext> = {}): CronExprContext => ({
  name: "nightly",
  namespace: "ci",
  labels: { team: "data" },
  annotations: { owner: "ana" },
  succeeded: 4,
  failed: 2,
  now,
  ...over,
});

// Argo's examples/cron-when.yaml: run at most every six minutes.
const ARGO_WHEN = "{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 }}";

describe("evaluateCronWhen", () => {
  it.each<[string, string | undefined, Partial<CronExprContext>, boolean]>([
    ["no when", undefined, {}, true],
    ["Argo's example before the first run", ARGO_WHEN, {}, true],
    ["Argo's example 7 minutes after the last run", ARGO_WHEN, { lastScheduledTime: new Date("2024-05-01T11:53:00Z") }, true],
    ["Argo's example 5 minutes after the last run", ARGO_WHEN, { lastScheduledTime: new Date("2024-05-01T11:55:00Z") }, false],
    ["a simple tag, compared by govaluate", "{{cronworkflow.failed}} < 3", {}, true],
    ["a simple tag with too many failures", "{{cronworkflow.failed}} < 3", { failed: 3 }, false],
    ["a string tag quoted by the author", "'{{cronworkflow.name}}' == 'nightly'", {}, true],
    ["labels in an expression", "{{= cronworkflow.labels.team == 'data' }}", {}, true],
    ["annotations in an expression", "{{= cronworkflow.annotations.owner == 'ana' }}", {}, true],
    ["Go time methods", "{{= now().Sub(cronworkflow.lastScheduledTime).Minutes() >= 60 }}", { lastScheduledTime: new Date("2024-05-01T11:00:00Z") }, true],
    ["the planner's clock, not the wall clock", "{{= now().Unix() == 1714564800 }}", {}, true],
  ])("%s", (_title, when, over, expected) => {
    expect(evaluateCronWhen(when, ctx(over))).toEqual({ ok: true, value: expected });
  });

  it.each<[string, string, string]>([
    ["a double quote inside {{= }} (Argo JSON-unquotes the expression)", '{{= cronworkflow.name == "nightly" }}', "failed to unmarshall JSON expression"],
    ["an unknown variable", "{{cronworkflow.nope}} == 1", "failed to resolve {{cronworkflow.nope}}"],
    ["a non-boolean result", "{{cronworkflow.failed}}", "Expected boolean evaluation"],
    ["a method of the wrong type", "{{= cronworkflow.name.Seconds() > 1 }}", "has no method Seconds"],
  ])("fails on %s", (_title, when, message) => {
    const verdict = evaluateCronWhen(when, ctx());
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.error).toContain(message);
  });
});

describe("evaluateStopExpression", () => {
  it.each<[string, Partial<CronExprContext>, boolean]>([
    ["cronworkflow.failed >= 3", {}, false],
    ["cronworkflow.failed >= 3", { failed: 3 }, true],
    ["cronworkflow.succeeded >= 1", {}, true],
    ["cronworkflow.succeeded + cronworkflow.failed > 10", {}, false],
  ])("%s", (expression, over, expected) => {
    expect(evaluateStopExpression(expression, ctx(over))).toEqual({ ok: true, value: expected });
  });

  it("fails on a non-boolean or a syntax error", () => {
    expect(evaluateStopExpression("cronworkflow.failed", ctx())).toEqual({ ok: false, error: "expected a boolean, got 2" });
    expect(evaluateStopExpression("cronworkflow.failed >=", ctx()).ok).toBe(false);
  });
});
