// CronWorkflow scheduling, planned as values: no clock, no timers, no I/O.
export { DEFAULT_TIMEZONE, nextScheduledTime, parseCronSchedules, scheduleKey, type CronSchedules, type CronSource, type ParsedSchedule } from "./cron.js";
export { evaluateCronWhen, evaluateStopExpression, type CronExprContext, type ExprVerdict } from "./cron-expr.js";
export { DEFAULT_FAILED_HISTORY_LIMIT, DEFAULT_SUCCESSFUL_HISTORY_LIMIT, planHistoryPrune, type FinishedRun } from "./history.js";
export { ON_TIME_TOLERANCE_MS, planCron, type CronPlan, type CronPlanInput } from "./plan.js";
export { CronSyntaxError, nextActivation, parseRobfig, type RobfigSchedule } from "./robfig-cron.js";
export { ANNOTATION_SCHEDULED_TIME, LABEL_CRON_WORKFLOW, cronRunMetadata, cronRunName, formatScheduledTime, type CronRunMetadata } from "./run-metadata.js";
