// The Job controller (NonIndexed): up to `parallelism` pods until `completions` succeed; failed pods
// are replaced after a back-off (1 s doubling here; Kubernetes waits 10 s) until more than
// backoffLimit have failed (with restartPolicy OnFailure, container restarts count too); Complete and
// Failed (BackoffLimitExceeded, DeadlineExceeded) come after SuccessCriteriaMet / FailureTarget once
// no pod runs, as Kubernetes 1.31+ does; suspend; status active/ready/succeeded/failed, startTime and
// completionTime. Succeeded and failed counts are the pods that exist: a pod deleted by hand is forgotten.
import type { SimApi } from "../api.js";
import { deepEqual } from "../objects.js";
import type { KubeObject } from "../types.js";
import { controllerOf, ownerKey, watchKeys, WorkQueue, type Controller } from "./queue.js";
import { arr, byCreation, conditionsOf, CONTROLLER_MANAGER, findCondition, isOwnedBy, isPodReady, now, num, obj, omitZero, podFromTemplate, podPhase, spec, splitKey, status, type Condition, type Obj, recordEvent } from "./util.js";

const COMPONENT = "job-controller";
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

function finishedAt(p: KubeObject): number {
  const times = arr<Obj>(status(p).containerStatuses).map((c) => Date.parse(String(obj(obj(c.state).terminated).finishedAt ?? "")));
  const valid = times.filter((x) => !Number.isNaN(x));
  return valid.length > 0 ? Math.max(...valid) : Date.parse(p.metadata.creationTimestamp ?? "") || 0;
}

export function startJobController(api: SimApi): Controller {
  const reconcile = (key: string): number | void => {
    const { namespace, name } = splitKey(key);
    const job = api.tryGet("jobs.batch", namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const old = status(job);
    const conditions = conditionsOf(job).map((c) => ({ ...c }));
    const done = (type: string) => findCondition(conditions, type)?.status === "True";
    if (done("Complete") || done("Failed")) return;
    const event = (reason: string, message: string, type: "Normal" | "Warning" = "Normal") => recordEvent(api, job, { type, reason, message, component: COMPONENT });
    const t = api.core.now();
    const stamp = now(t);
    const setCondition = (type: string, reason: string, message: string, value: Condition["status"] = "True") => {
      const existing = findCondition(conditions, type);
      if (existing && existing.status === value && existing.reason === reason) return;
      const c: Condition = { type, status: value, lastProbeTime: stamp, lastTransitionTime: existing?.status === value ? existing.lastTransitionTime : stamp, reason, message };
      conditions.splice(existing ? conditions.indexOf(existing) : conditions.length, existing ? 1 : 0, c);
    };
    const pods = api.list("pods", { namespace, readonly: true }).items.filter((p) => isOwnedBy(p, job));
    const active = pods.filter((p) => !["Succeeded", "Failed"].includes(podPhase(p)) && !p.metadata.deletionTimestamp);
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && !["Succeeded", "Failed"].includes(podPhase(p)));
    const succeeded = pods.filter((p) => podPhase(p) === "Succeeded").length;
    const failedPods = pods.filter((p) => podPhase(p) === "Failed");
    const failed = failedPods.length;
    const deletePods = (ps: KubeObject[]) => {
      for (const p of ps) {
        api.delete("pods", namespace, p.metadata.name ?? "");
        event("SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
      }
    };
    const s = spec(job);
    const st: Obj = { ...old };
    let requeue: number | undefined;
    if (s.suspend === true) {
      deletePods(active);
      setCondition("Suspended", "JobSuspended", "Job suspended");
      delete st.startTime;
    } else {
      if (findCondition(conditions, "Suspended")?.status === "True") setCondition("Suspended", "JobResumed", "Job resumed", "False");
      st.startTime ??= stamp;
      const completions = typeof s.completions === "number" ? s.completions : undefined;
      const parallelism = num(s.parallelism, 1);
      const restarts = s.template && obj(obj(s.template).spec).restartPolicy === "OnFailure" ? active.reduce((n, p) => n + arr<Obj>(status(p).containerStatuses).reduce((m, c) => m + num(c.restartCount), 0), 0) : 0;
      const deadline = typeof s.activeDeadlineSeconds === "number" ? Date.parse(String(st.startTime)) + s.activeDeadlineSeconds * 1000 : undefined;
      const failure = done("FailureTarget")
        ? findCondition(conditions, "FailureTarget")
        : failed + restarts > num(s.backoffLimit, 6)
          ? { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }
          : deadline !== undefined && t >= deadline
            ? { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" }
            : undefined;
      const complete = done("SuccessCriteriaMet") || (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0);
      if (failure) {
        if (!done("FailureTarget")) {
          setCondition("FailureTarget", failure.reason ?? "", failure.message ?? "");
          event(failure.reason ?? "Failed", failure.message ?? "", "Warning");
        }
        deletePods(active);
        if (terminating.length === 0 && active.length === 0) setCondition("Failed", failure.reason ?? "", failure.message ?? "");
      } else if (complete) {
        setCondition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods");
        deletePods(active);
        if (terminating.length === 0 && active.length === 0) {
          setCondition("Complete", "CompletionsReached", "Reached expected number of succeeded pods");
          st.completionTime = stamp;
          event("Completed", "Job completed");
        }
      } else {
        const want = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : Math.min(parallelism, completions - succeeded);
        if (active.length > want) deletePods([...active].sort(byCreation).reverse().slice(0, active.length - want));
        else if (active.length < want) {
          const lastFailure = failedPods.reduce((m, p) => Math.max(m, finishedAt(p)), 0);
          const wait = failed > 0 ? lastFailure + Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS) - t : 0;
          if (wait > 0) requeue = wait + 5;
          else {
            for (let i = active.length; i < want; i++) {
              const pod = api.create("pods", podFromTemplate(job, obj(s.template), {}), { namespace, fieldManager: CONTROLLER_MANAGER });
              active.push(pod);
              event("SuccessfulCreate", `Created pod: ${pod.metadata.name}`);
            }
          }
        }
        if (deadline !== undefined) requeue = Math.min(requeue ?? Infinity, deadline - t + 5);
      }
    }
    Object.assign(st, { active: active.length, succeeded, failed, ready: active.filter(isPodReady).length, uncountedTerminatedPods: {} });
    if (findCondition(conditions, "Failed")?.status === "True" || findCondition(conditions, "Complete")?.status === "True") st.active = 0;
    omitZero(st, ["active", "succeeded", "failed"]);
    if (conditions.length > 0) st.conditions = conditions;
    if (!deepEqual(st, old)) api.updateStatus("jobs.batch", { ...job, metadata: { ...job.metadata, resourceVersion: undefined }, status: st }, { fieldManager: CONTROLLER_MANAGER });
    return requeue;
  };
  const queue = new WorkQueue("job", reconcile);
  return controllerOf(queue, [watchKeys(api, "jobs.batch", queue), watchKeys(api, "pods", queue, (e) => ownerKey(e.object, "Job"))]);
}
