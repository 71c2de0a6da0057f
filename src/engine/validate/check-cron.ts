import { isObject } from "../model/catalog.js";
import { checkExpression, checkWhen } from "./check-expr.js";
import type { DocReport } from "./report.js";
import { didYouMean } from "./suggest.js";
import { checkCronSchedule, checkTimezone } from "./values.js";

const CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"];

/** Argo's ValidateCronWorkflow: schedules, time zone, concurrency policy, deadlines, when, stopStrategy. */
export function checkCron(report: DocReport, spec: Record<string, unknown>): void {
  if (!isObject(spec)) return;
  const schedules = spec.schedules;
  if (!Array.isArray(schedules) || schedules.length === 0) {
    if (spec.schedule === undefined)
      report.error(["spec"], "spec.schedules is required: list at least one cron schedule");
  } else {
    schedules.forEach((s, i) => {
      if (typeof s !== "string") return;
      const err = checkCronSchedule(s);
      if (err) report.error(["spec", "schedules", i], `cron schedule ${s} is malformed: ${err}`);
    });
  }
  if (typeof spec.timezone === "string") {
    const err = checkTimezone(spec.timezone);
    if (err) report.error(["spec", "timezone"], err);
  }
  const policy = spec.concurrencyPolicy;
  if (typeof policy === "string" && policy !== "" && !CONCURRENCY_POLICIES.includes(policy)) {
    report.error(
      ["spec", "concurrencyPolicy"],
      `'${policy}' is not a valid concurrencyPolicy: expected one of ${CONCURRENCY_POLICIES.join(", ")}${didYouMean(policy, CONCURRENCY_POLICIES)}`,
    );
  }
  if (typeof spec.startingDeadlineSeconds === "number" && spec.startingDeadlineSeconds < 0) {
    report.error(["spec", "startingDeadlineSeconds"], "startingDeadlineSeconds must be positive");
  }
  if (typeof spec.when === "string" && spec.when.trim() !== "") checkWhen(report, ["spec", "when"], spec.when);
  const stop = spec.stopStrategy;
  if (isObject(stop) && typeof stop.expression === "string") {
    checkExpression(
      report,
      ["spec", "stopStrategy", "expression"],
      stop.expression,
      undefined,
      "stopStrategy expression",
    );
  }
}
