// The identity of a run a CronWorkflow starts, as Argo's ConvertCronWorkflowToWorkflowWithProperties
// and getChildWorkflowName (workflow/common/convert.go, workflow/cron/operator.go) build it.

export const LABEL_CRON_WORKFLOW = "workflows.argoproj.io/cron-workflow";
export const ANNOTATION_SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time";

/** Labels of the CronWorkflow that Argo copies onto its runs. */
const PROPAGATED_LABELS = [
  "workflows.argoproj.io/creator",
  "workflows.argoproj.io/creator-email",
  "workflows.argoproj.io/creator-preferred-username",
  "workflows.argoproj.io/controller-instanceid",
];

/** `<cron name>-<unix seconds of the scheduled time>`: the same tick always gives the same name. */
export function cronRunName(cronName: string, scheduledTime: Date): string {
  return `${cronName}-${Math.floor(scheduledTime.getTime() / 1000)}`;
}

/** Go's time.RFC3339 of a UTC time: whole seconds and a `Z`. */
export function formatScheduledTime(t: Date): string {
  return new Date(Math.floor(t.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export interface CronRunMetadata {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Name, labels and annotations of the run for one scheduled time: the cron-workflow label, the
 * scheduled-time annotation (what `{{workflow.scheduledTime}}` reads), then `workflowMetadata`,
 * which may override both, as in Argo.
 */
export function cronRunMetadata(opts: {
  cronName: string;
  scheduledTime: Date;
  cronLabels?: Record<string, string>;
  workflowMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}): CronRunMetadata {
  const labels: Record<string, string> = {};
  for (const key of PROPAGATED_LABELS) {
    const value = opts.cronLabels?.[key];
    if (value !== undefined) labels[key] = value;
  }
  labels[LABEL_CRON_WORKFLOW] = opts.cronName;
  Object.assign(labels, opts.workflowMetadata?.labels ?? {});
  const annotations: Record<string, string> = { [ANNOTATION_SCHEDULED_TIME]: formatScheduledTime(opts.scheduledTime) };
  Object.assign(annotations, opts.workflowMetadata?.annotations ?? {});
  return { name: cronRunName(opts.cronName, opts.scheduledTime), labels, annotations };
}
