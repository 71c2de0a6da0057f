import { describe, expect, it } from "vitest";
import {
  applicationHealth,
  healthOf,
  hookPhaseOf,
  hookResultOf,
  isWorse,
  worstHealth,
  type AppHealthResource,
} from "../../../src/reconcilers/application/health.js";
import { HEALTH_ORDER, keyOf, type HealthStatus, type HealthStatusCode, type KubeObject } from "../../../src/reconcilers/application/types.js";

type Meta = Partial<KubeObject["metadata"]>;

/** A live object as the API server returns it: name, namespace and generation filled in. */
function obj(apiVersion: string, kind: string, body: { metadata?: Meta; spec?: unknown; status?: unknown } = {}): KubeObject {
  const o: KubeObject = { apiVersion, kind, metadata: { name: "web", namespace: "default", generation: 1, ...body.metadata } };
  if (body.spec !== undefined) o.spec = body.spec;
  if (body.status !== undefined) o.status = body.status;
  return o;
}

type Case = [string, KubeObject, HealthStatus | undefined];
const table = (cases: Case[]) => it.each(cases)("%s", (_name, o, want) => expect(healthOf(o)).toEqual(want));

describe("healthOf: apps/Deployment", () => {
  const dep = (spec: object, status: object, generation = 2) => obj("apps/v1", "Deployment", { metadata: { generation }, spec: { replicas: 3, ...spec }, status });
  const done = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
  table([
    ["paused", dep({ paused: true }, { observedGeneration: 1 }), { status: "Suspended", message: "Deployment is paused" }],
    [
      "generation not observed yet",
      dep({}, { ...done, observedGeneration: 1 }),
      { status: "Progressing", message: "Waiting for rollout to finish: observed deployment generation less than desired generation" },
    ],
    [
      "progress deadline exceeded",
      dep({}, { ...done, updatedReplicas: 1, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] }),
      { status: "Degraded", message: 'Deployment "web" exceeded its progress deadline' },
    ],
    ["new replicas not all updated", dep({}, { ...done, updatedReplicas: 1 }), { status: "Progressing", message: "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..." }],
    ["old replicas terminating", dep({}, { ...done, replicas: 4 }), { status: "Progressing", message: "Waiting for rollout to finish: 1 old replicas are pending termination..." }],
    ["updated replicas not available", dep({}, { ...done, availableReplicas: 1 }), { status: "Progressing", message: "Waiting for rollout to finish: 1 of 3 updated replicas are available..." }],
    ["rolled out", dep({}, done), { status: "Healthy" }],
    ["no spec.replicas and nothing running", dep({ replicas: undefined }, { observedGeneration: 2 }), { status: "Healthy" }],
  ]);
});

describe("healthOf: apps/StatefulSet", () => {
  const sts = (spec: object, status: object) =>
    obj("apps/v1", "StatefulSet", { metadata: { generation: 2 }, spec: { replicas: 3, ...spec }, status: { observedGeneration: 2, readyReplicas: 3, ...status } });
  table([
    ["never observed", sts({}, { observedGeneration: undefined }), { status: "Progressing", message: "Waiting for statefulset spec update to be observed..." }],
    ["generation ahead", sts({}, { observedGeneration: 1 }), { status: "Progressing", message: "Waiting for statefulset spec update to be observed..." }],
    ["pods not ready", sts({}, { readyReplicas: 1 }), { status: "Progressing", message: "Waiting for 2 pods to be ready..." }],
    [
      "partition not reached",
      sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, { updatedReplicas: 0 }),
      { status: "Progressing", message: "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated..." },
    ],
    [
      "partition reached",
      sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, { updatedReplicas: 1, updateRevision: "web-2", currentRevision: "web-1" }),
      { status: "Healthy", message: "partitioned roll out complete: 1 new pods have been updated..." },
    ],
    [
      "RollingUpdate with a rollingUpdate block is judged by partition only",
      sts({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } }, { updatedReplicas: 3, updateRevision: "web-2", currentRevision: "web-1" }),
      { status: "Healthy", message: "partitioned roll out complete: 3 new pods have been updated..." },
    ],
    [
      "OnDelete is healthy whatever the revisions",
      sts({ updateStrategy: { type: "OnDelete" } }, { updatedReplicas: 0, updateRevision: "web-2", currentRevision: "web-1" }),
      { status: "Healthy", message: "statefulset has 3 ready pods" },
    ],
    [
      "rolling update in progress",
      sts({ updateStrategy: { type: "RollingUpdate" } }, { updatedReplicas: 1, currentReplicas: 2, updateRevision: "web-6f7d9c", currentRevision: "web-5b8c4d" }),
      { status: "Progressing", message: "waiting for statefulset rolling update to complete 1 pods at revision web-6f7d9c..." },
    ],
    [
      "rolling update complete",
      sts({ updateStrategy: { type: "RollingUpdate" } }, { updatedReplicas: 3, currentReplicas: 3, updateRevision: "web-6f7d9c", currentRevision: "web-6f7d9c" }),
      { status: "Healthy", message: "statefulset rolling update complete 3 pods at revision web-6f7d9c..." },
    ],
  ]);
});

describe("healthOf: apps/DaemonSet and apps/ReplicaSet", () => {
  const ds = (spec: object, status: object) =>
    obj("apps/v1", "DaemonSet", { metadata: { name: "fluentd", generation: 4 }, spec, status: { observedGeneration: 4, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, ...status } });
  const rs = (status: object, replicas = 3) => obj("apps/v1", "ReplicaSet", { metadata: { name: "web-5b8c4d", generation: 1 }, spec: { replicas }, status: { observedGeneration: 1, ...status } });
  table([
    ["DaemonSet generation ahead", ds({}, { observedGeneration: 3 }), { status: "Progressing", message: "Waiting for rollout to finish: observed daemon set generation less than desired generation" }],
    ["DaemonSet OnDelete", ds({ updateStrategy: { type: "OnDelete" } }, { updatedNumberScheduled: 1 }), { status: "Healthy", message: "daemon set 1 out of 3 new pods have been updated" }],
    ["DaemonSet updating", ds({}, { updatedNumberScheduled: 1 }), { status: "Progressing", message: 'Waiting for daemon set "fluentd" rollout to finish: 1 out of 3 new pods have been updated...' }],
    ["DaemonSet pods not available", ds({}, { numberAvailable: 2 }), { status: "Progressing", message: 'Waiting for daemon set "fluentd" rollout to finish: 2 of 3 updated pods are available...' }],
    ["DaemonSet healthy", ds({ updateStrategy: { type: "RollingUpdate" } }, {}), { status: "Healthy" }],
    ["ReplicaSet generation ahead", rs({ observedGeneration: 0 }), { status: "Progressing", message: "Waiting for rollout to finish: observed replica set generation less than desired generation" }],
    [
      "ReplicaSet replica failure",
      rs({ availableReplicas: 0, conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: 'pods "web-5b8c4d-x" is forbidden: exceeded quota: compute' }] }),
      { status: "Degraded", message: 'pods "web-5b8c4d-x" is forbidden: exceeded quota: compute' },
    ],
    ["ReplicaSet not available", rs({ availableReplicas: 1, conditions: [{ type: "ReplicaFailure", status: "False" }] }), { status: "Progressing", message: "Waiting for rollout to finish: 1 out of 3 new replicas are available..." }],
    ["ReplicaSet scaled down", rs({}, 0), { status: "Healthy" }],
    ["ReplicaSet healthy", rs({ availableReplicas: 3 }), { status: "Healthy" }],
  ]);
});

describe("healthOf: core Pod", () => {
  const pod = (restartPolicy: string | undefined, status: object, annotations?: Record<string, string>) =>
    obj("v1", "Pod", { metadata: { name: "web-0", annotations }, spec: { restartPolicy, containers: [{ name: "main", image: "nginx:1.27" }] }, status });
  const waiting = (reason: string, message: string) => ({ name: "main", ready: false, restartCount: 4, state: { waiting: { reason, message } } });
  const ready = { type: "Ready", status: "True" };
  const notReady = { type: "Ready", status: "False", reason: "ContainersNotReady" };
  const crash = "back-off 5m0s restarting failed container=main pod=web-0_default(c86e909c)";
  table([
    ["CrashLoopBackOff", pod("Always", { phase: "Running", conditions: [notReady], containerStatuses: [waiting("CrashLoopBackOff", crash)] }), { status: "Degraded", message: crash }],
    [
      "ErrImagePull and ImagePullBackOff messages joined",
      pod("Always", {
        phase: "Pending",
        containerStatuses: [waiting("ErrImagePull", 'rpc error: pull "nginx:nope" failed'), { ...waiting("ImagePullBackOff", 'Back-off pulling image "busybox:nope"'), name: "side" }],
      }),
      { status: "Degraded", message: 'rpc error: pull "nginx:nope" failed, Back-off pulling image "busybox:nope"' },
    ],
    ["CreateContainerConfigError", pod("Always", { phase: "Pending", containerStatuses: [waiting("CreateContainerConfigError", 'secret "db" not found')] }), { status: "Degraded", message: 'secret "db" not found' }],
    ["ContainerCreating is not an error", pod("Always", { phase: "Pending", containerStatuses: [waiting("ContainerCreating", "")] }), { status: "Progressing" }],
    ["Never: ImagePullBackOff does not fail a hook-like pod", pod("Never", { phase: "Pending", containerStatuses: [waiting("ImagePullBackOff", "Back-off")] }), { status: "Progressing" }],
    ["Pending with a message", pod("Always", { phase: "Pending", message: "0/3 nodes are available" }), { status: "Progressing", message: "0/3 nodes are available" }],
    ["Succeeded", pod("Never", { phase: "Succeeded" }), { status: "Healthy" }],
    ["Failed with pod message", pod("Always", { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." }), { status: "Degraded", message: "The node was low on resource: memory." }],
    [
      "Failed: terminated container message",
      pod("Never", { phase: "Failed", containerStatuses: [{ name: "main", state: { terminated: { exitCode: 1, reason: "Error", message: "migration 0042 failed" } } }] }),
      { status: "Degraded", message: "migration 0042 failed" },
    ],
    ["Failed: OOMKilled", pod("Never", { phase: "Failed", containerStatuses: [{ name: "main", state: { terminated: { exitCode: 137, reason: "OOMKilled" } } }] }), { status: "Degraded", message: "OOMKilled" }],
    [
      "Failed: init container exit code comes first",
      pod("Never", {
        phase: "Failed",
        initContainerStatuses: [{ name: "init-db", state: { terminated: { exitCode: 2, reason: "Error" } } }],
        containerStatuses: [{ name: "main", state: { terminated: { exitCode: 1, reason: "Error" } } }],
      }),
      { status: "Degraded", message: 'container "init-db" failed with exit code 2' },
    ],
    ["Failed: nothing to say", pod("Never", { phase: "Failed", containerStatuses: [{ name: "main", state: { terminated: { exitCode: 0 } } }] }), { status: "Degraded" }],
    ["Running and Ready", pod("Always", { phase: "Running", conditions: [ready] }), { status: "Healthy" }],
    ["restartPolicy defaults to Always", pod(undefined, { phase: "Running", conditions: [ready] }), { status: "Healthy" }],
    [
      "Running, not ready, restarted",
      pod("Always", { phase: "Running", conditions: [notReady], containerStatuses: [{ name: "main", state: { running: {} }, lastState: { terminated: { exitCode: 1 } } }] }),
      { status: "Degraded" },
    ],
    ["Running, not ready yet", pod("Always", { phase: "Running", conditions: [notReady], containerStatuses: [{ name: "main", state: { running: {} }, lastState: {} }] }), { status: "Progressing" }],
    ["Running, Never: job-like", pod("Never", { phase: "Running", conditions: [ready] }), { status: "Progressing" }],
    ["Running, OnFailure: job-like", pod("OnFailure", { phase: "Running", conditions: [ready] }), { status: "Progressing" }],
    ["ignore-restart-policy: judged as long-running", pod("Never", { phase: "Running", conditions: [ready] }, { "argocd.argoproj.io/ignore-restart-policy": "true" }), { status: "Healthy" }],
    [
      "ignore-restart-policy: back-off degrades",
      pod("Never", { phase: "Running", conditions: [notReady], containerStatuses: [waiting("ImagePullBackOff", 'Back-off pulling image "alpine:3.21"')] }, { "argocd.argoproj.io/ignore-restart-policy": "true" }),
      { status: "Degraded", message: 'Back-off pulling image "alpine:3.21"' },
    ],
    [
      "ignore-restart-policy does not apply to hooks",
      pod("Never", { phase: "Running", conditions: [ready] }, { "argocd.argoproj.io/ignore-restart-policy": "true", "argocd.argoproj.io/hook": "PostSync" }),
      { status: "Progressing" },
    ],
    ["Unknown phase", pod("Always", { phase: "Unknown", message: "node unreachable" }), { status: "Unknown", message: "node unreachable" }],
  ]);
});

describe("healthOf: Service, Ingress, PersistentVolumeClaim", () => {
  const svc = (type: string, status: object = {}) => obj("v1", "Service", { spec: { type, ports: [{ port: 80 }] }, status });
  const lbStatus = (ingress: object[]) => ({ loadBalancer: { ingress } });
  const pvc = (phase: string) => obj("v1", "PersistentVolumeClaim", { spec: { accessModes: ["ReadWriteOnce"] }, status: { phase } });
  table([
    ["ClusterIP", svc("ClusterIP"), { status: "Healthy" }],
    ["LoadBalancer without address", svc("LoadBalancer", { loadBalancer: {} }), { status: "Progressing" }],
    ["LoadBalancer with address", svc("LoadBalancer", lbStatus([{ ip: "203.0.113.10" }])), { status: "Healthy" }],
    ["Ingress without controller", obj("networking.k8s.io/v1", "Ingress", { spec: { rules: [] }, status: { loadBalancer: {} } }), { status: "Progressing" }],
    ["Ingress with address", obj("networking.k8s.io/v1", "Ingress", { status: lbStatus([{ hostname: "lb.example.com" }]) }), { status: "Healthy" }],
    ["extensions Ingress", obj("extensions/v1beta1", "Ingress", { status: lbStatus([{ ip: "10.0.0.1" }]) }), { status: "Healthy" }],
    ["PVC Bound", pvc("Bound"), { status: "Healthy" }],
    ["PVC Pending", pvc("Pending"), { status: "Progressing" }],
    ["PVC Lost", pvc("Lost"), { status: "Degraded" }],
    ["PVC without phase", obj("v1", "PersistentVolumeClaim", { spec: {} }), { status: "Unknown" }],
  ]);
});

describe("healthOf: batch/Job", () => {
  const job = (conditions?: object[]) => obj("batch/v1", "Job", { metadata: { name: "migrate" }, spec: { backoffLimit: 2 }, status: conditions ? { conditions } : { active: 1 } });
  table([
    ["running", job(), { status: "Progressing" }],
    ["complete", job([{ type: "Complete", status: "True" }]), { status: "Healthy" }],
    [
      "failed",
      job([{ type: "FailureTarget", status: "True" }, { type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }]),
      { status: "Degraded", message: "Job has reached the specified backoff limit" },
    ],
    ["suspended", job([{ type: "Suspended", status: "True", reason: "JobSuspended", message: "Job suspended" }]), { status: "Suspended" }],
    // Argo's quirk: any Suspended condition ends "Progressing"; a resumed Job reads Healthy with its message.
    ["resumed", job([{ type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed" }]), { status: "Healthy", message: "Job resumed" }],
  ]);
});

describe("healthOf: autoscaling/HorizontalPodAutoscaler", () => {
  const v1 = (conditions?: string) =>
    obj("autoscaling/v1", "HorizontalPodAutoscaler", {
      metadata: conditions === undefined ? {} : { annotations: { "autoscaling.alpha.kubernetes.io/conditions": conditions } },
      spec: { minReplicas: 1, maxReplicas: 5 },
      status: { currentReplicas: 1, desiredReplicas: 1 },
    });
  const v2 = (conditions?: object[]) => obj("autoscaling/v2", "HorizontalPodAutoscaler", { spec: { minReplicas: 2, maxReplicas: 10 }, status: { currentReplicas: 2, conditions } });
  const ableToScale = { type: "AbleToScale", status: "True", reason: "ReadyForNewScale", message: "recommended size matches current size" };
  const waiting: HealthStatus = { status: "Progressing", message: "Waiting to Autoscale" };
  table([
    ["v1 without conditions annotation", v1(), waiting],
    ["v1 with empty conditions", v1("[]"), waiting],
    [
      "v1 rescaled",
      v1(JSON.stringify([{ type: "AbleToScale", status: "True", reason: "SucceededRescale", message: "the HPA controller was able to update the target scale to 2" }])),
      { status: "Healthy", message: "the HPA controller was able to update the target scale to 2" },
    ],
    [
      "v1 degraded condition wins over an earlier healthy one",
      v1(JSON.stringify([ableToScale, { type: "ScalingActive", status: "False", reason: "FailedGetObjectMetric", message: "unable to get metric sessions" }])),
      { status: "Degraded", message: "unable to get metric sessions" },
    ],
    ["v2 healthy", v2([ableToScale, { type: "ScalingActive", status: "True", reason: "ValidMetricFound" }, { type: "ScalingLimited", status: "False", reason: "DesiredWithinRange" }]), { status: "Healthy", message: ableToScale.message }],
    [
      "v2 limited is healthy",
      v2([{ type: "AbleToScale", status: "False", reason: "BackoffBoth" }, { type: "ScalingLimited", status: "True", reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" }]),
      { status: "Healthy", message: "the desired replica count is less than the minimum replica count" },
    ],
    [
      "v2 cannot get scale",
      v2([{ type: "AbleToScale", status: "False", reason: "FailedGetScale", message: 'deployments/scale.apps "web" not found' }]),
      { status: "Degraded", message: 'deployments/scale.apps "web" not found' },
    ],
    ["v2 metrics failing", v2([{ type: "ScalingActive", status: "False", reason: "FailedComputeMetricsReplicas", message: "invalid metrics" }]), { status: "Degraded", message: "invalid metrics" }],
    ["v2 no conditions", v2(), waiting],
    ["v2 only inactive scaling", v2([{ type: "ScalingActive", status: "False", reason: "ScalingDisabled" }]), waiting],
  ]);
  it("reports a broken v1 annotation as Unknown", () => {
    const h = healthOf(v1("[{not json"));
    expect(h?.status).toBe("Unknown");
    expect(h?.message).toMatch(/^failed to convert conditions annotation to typed: /);
  });
});

describe("healthOf: APIService and argoproj.io Workflow", () => {
  const api = (conditions?: object[]) => obj("apiregistration.k8s.io/v1", "APIService", { metadata: { name: "v1beta1.metrics.k8s.io", namespace: undefined }, status: { conditions } });
  const wf = (phase?: string, message?: string) => obj("argoproj.io/v1alpha1", "Workflow", { metadata: { name: "build-x7k2p" }, status: phase === undefined ? undefined : { phase, message } });
  table([
    ["APIService available", api([{ type: "Available", status: "True", reason: "Passed", message: "all checks passed" }]), { status: "Healthy", message: "Passed: all checks passed" }],
    [
      "APIService unavailable",
      api([{ type: "Available", status: "False", reason: "FailedDiscoveryCheck", message: "failing or missing response from https://10.96.0.5:443" }]),
      { status: "Progressing", message: "FailedDiscoveryCheck: failing or missing response from https://10.96.0.5:443" },
    ],
    ["APIService not processed", api(), { status: "Progressing", message: "Waiting to be processed" }],
    ["Workflow without status", wf(), { status: "Progressing" }],
    ["Workflow Pending", wf("Pending"), { status: "Progressing" }],
    ["Workflow Running", wf("Running", "0/3 nodes done"), { status: "Progressing", message: "0/3 nodes done" }],
    ["Workflow Succeeded", wf("Succeeded"), { status: "Healthy" }],
    ["Workflow Failed", wf("Failed", "child 'build-x7k2p-123' failed"), { status: "Degraded", message: "child 'build-x7k2p-123' failed" }],
    ["Workflow Error", wf("Error", "pod deleted"), { status: "Degraded", message: "pod deleted" }],
    ["Workflow odd phase", wf("Omitted"), { status: "Unknown" }],
  ]);
});

describe("healthOf: argoproj.io Rollout (Rollout/health.lua)", () => {
  const ro = (b: { metadata?: Meta; spec?: object; status?: object }) =>
    obj("argoproj.io/v1alpha1", "Rollout", { metadata: { generation: 3, ...b.metadata }, spec: { replicas: 3, strategy: { canary: { steps: [{ setWeight: 20 }] } }, ...b.spec }, status: b.status });
  const observed = { observedGeneration: "3" };
  // A legacy (pre-1.0) canary status: no phase, replica counts only.
  const legacy = { ...observed, currentPodHash: "6f7d9c", stableRS: "6f7d9c", replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
  const blueGreen = { strategy: { blueGreen: { activeService: "web-active" } } };
  const waitingSpec: HealthStatus = { status: "Progressing", message: "Waiting for rollout spec update to be observed" };
  table([
    ["no status yet", ro({}), waitingSpec],
    ["generation not observed", ro({ status: { observedGeneration: "2", phase: "Healthy" } }), waitingSpec],
    ["v0.9 hash in observedGeneration counts as observed", ro({ status: { observedGeneration: "7d66d4485f", phase: "Healthy" } }), { status: "Healthy" }],
    [
      "workloadRef generation not observed",
      ro({ metadata: { annotations: { "rollout.argoproj.io/workload-generation": "2" } }, spec: { workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" } }, status: { ...observed, workloadObservedGeneration: "1", phase: "Healthy" } }),
      waitingSpec,
    ],
    [
      "workloadRef generation observed",
      ro({ metadata: { annotations: { "rollout.argoproj.io/workload-generation": "2" } }, spec: { workloadRef: { kind: "Deployment", name: "web" } }, status: { ...observed, workloadObservedGeneration: "2", phase: "Healthy" } }),
      { status: "Healthy" },
    ],
    ["phase Paused is Suspended", ro({ status: { ...observed, phase: "Paused", message: "CanaryPauseStep" } }), { status: "Suspended", message: "CanaryPauseStep" }],
    ["phase Progressing", ro({ status: { ...observed, phase: "Progressing", message: "more replicas need to be updated" } }), { status: "Progressing", message: "more replicas need to be updated" }],
    [
      "phase Degraded",
      ro({ status: { ...observed, phase: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2" } }),
      { status: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2" },
    ],
    ["phase Healthy wins over legacy fields", ro({ status: { ...legacy, phase: "Healthy", stableRS: "other" } }), { status: "Healthy" }],
    ["unknown phase", ro({ status: { ...observed, phase: "Bogus" } }), { status: "Unknown", message: "Lua returned an invalid health status" }],
    ["legacy InvalidSpec", ro({ status: { ...legacy, conditions: [{ type: "InvalidSpec", status: "True", message: "The Rollout has an invalid spec" }] } }), { status: "Degraded", message: "The Rollout has an invalid spec" }],
    ["legacy aborted", ro({ status: { ...legacy, conditions: [{ type: "Progressing", status: "False", reason: "RolloutAborted", message: "Rollout is aborted" }] } }), { status: "Degraded", message: "Rollout is aborted" }],
    [
      "legacy deadline exceeded",
      ro({ status: { ...legacy, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: 'ReplicaSet "web-6f7d9c" has timed out progressing.' }] } }),
      { status: "Degraded", message: 'ReplicaSet "web-6f7d9c" has timed out progressing.' },
    ],
    ["legacy pause condition", ro({ status: { ...legacy, pauseConditions: [{ reason: "CanaryPauseStep", startTime: "2024-05-01T10:00:00Z" }] } }), { status: "Suspended", message: "Rollout is paused" }],
    ["legacy spec.paused", ro({ spec: { paused: true }, status: legacy }), { status: "Suspended", message: "Rollout is paused" }],
    ["legacy not reconciled", ro({ status: { ...observed, replicas: 0 } }), { status: "Progressing", message: "Waiting for rollout to finish: status has not been reconciled." }],
    ["legacy replicas to update", ro({ status: { ...legacy, updatedReplicas: 1 } }), { status: "Progressing", message: "Waiting for roll out to finish: More replicas need to be updated" }],
    ["legacy replicas default to 1", ro({ spec: { replicas: undefined }, status: { ...legacy, replicas: 0, updatedReplicas: 0, availableReplicas: 0 } }), { status: "Progressing", message: "Waiting for roll out to finish: More replicas need to be updated" }],
    ["legacy not available", ro({ status: { ...legacy, availableReplicas: 2 } }), { status: "Progressing", message: "Waiting for roll out to finish: updated replicas are still becoming available" }],
    ["legacy canary old replicas", ro({ status: { ...legacy, replicas: 4 } }), { status: "Progressing", message: "Waiting for roll out to finish: old replicas are pending termination" }],
    ["legacy canary steps", ro({ status: { ...legacy, stableRS: "5b8c4d" } }), { status: "Progressing", message: "Waiting for rollout to finish steps" }],
    ["legacy canary done", ro({ status: legacy }), { status: "Healthy" }],
    ["legacy canary with v0.7 status.canary.stableRS", ro({ status: { ...legacy, stableRS: undefined, canary: { stableRS: "6f7d9c" } } }), { status: "Healthy" }],
    ["legacy blue-green cutover", ro({ spec: blueGreen, status: { ...legacy, blueGreen: { activeSelector: "5b8c4d" } } }), { status: "Progressing", message: "active service cutover pending" }],
    ["legacy blue-green analysis", ro({ spec: blueGreen, status: { ...legacy, stableRS: "5b8c4d", blueGreen: { activeSelector: "6f7d9c" } } }), { status: "Progressing", message: "waiting for analysis to complete" }],
    ["legacy blue-green done", ro({ spec: blueGreen, status: { ...legacy, blueGreen: { activeSelector: "6f7d9c" } } }), { status: "Healthy" }],
  ]);
});

describe("healthOf: argoproj.io AnalysisRun and child Application", () => {
  const ar = (status?: object) => obj("argoproj.io/v1alpha1", "AnalysisRun", { metadata: { name: "web-6f7d9c-2" }, spec: { metrics: [] }, status });
  const app = (status?: object) => obj("argoproj.io/v1alpha1", "Application", { metadata: { name: "child", namespace: "argocd" }, spec: { destination: {} }, status });
  table([
    ["AnalysisRun not reconciled", ar(), { status: "Progressing", message: "Waiting for analysis run to finish: status has not been reconciled." }],
    ["AnalysisRun running", ar({ phase: "Running" }), { status: "Progressing", message: "Analysis run is running" }],
    ["AnalysisRun successful", ar({ phase: "Successful" }), { status: "Healthy", message: "Analysis run completed successfully" }],
    ["AnalysisRun failed", ar({ phase: "Failed", message: "metric \"success-rate\" assessed Failed due to failed (3) > failureLimit (2)" }), { status: "Degraded", message: "metric \"success-rate\" assessed Failed due to failed (3) > failureLimit (2)" }],
    ["AnalysisRun error", ar({ phase: "Error" }), { status: "Degraded", message: "Analysis run had an error" }],
    ["AnalysisRun inconclusive", ar({ phase: "Inconclusive" }), { status: "Unknown", message: "Analysis run was inconclusive" }],
    ["AnalysisRun with an empty phase has no health", ar({ startedAt: "2024-05-01T10:00:00Z" }), undefined],
    ["child app not reconciled", app(), { status: "Progressing" }],
    ["child app healthy", app({ sync: { status: "Synced" }, health: { status: "Healthy" } }), { status: "Healthy" }],
    ["child app degraded", app({ health: { status: "Degraded", message: "Deployment has issues" } }), { status: "Degraded", message: "Deployment has issues" }],
    ["child app with a malformed health", app({ health: {} }), { status: "Unknown", message: "Lua returned an invalid health status" }],
  ]);
});

describe("healthOf: kinds without a check, and deletion", () => {
  const completeJob = { conditions: [{ type: "Complete", status: "True" }] };
  table([
    ["ConfigMap", obj("v1", "ConfigMap", {}), undefined],
    ["Secret", obj("v1", "Secret", {}), undefined],
    ["ClusterRole", obj("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { namespace: undefined } }), undefined],
    ["ControllerRevision", obj("apps/v1", "ControllerRevision", {}), undefined],
    ["a Deployment outside the apps group", obj("extensions/v1beta1", "Deployment", { spec: { paused: true } }), undefined],
    ["a Workflow of another group", obj("example.com/v1", "Workflow", { status: { phase: "Failed" } }), undefined],
    ["a ConfigMap being deleted", obj("v1", "ConfigMap", { metadata: { deletionTimestamp: "2024-05-01T10:00:00Z" } }), { status: "Progressing", message: "Pending deletion" }],
    [
      "a healthy Deployment being deleted",
      obj("apps/v1", "Deployment", { metadata: { deletionTimestamp: "2024-05-01T10:00:00Z", finalizers: ["foregroundDeletion"] }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }),
      { status: "Progressing", message: "Pending deletion" },
    ],
    [
      "a hook Argo CD holds with its finalizer keeps its health",
      obj("batch/v1", "Job", { metadata: { deletionTimestamp: "2024-05-01T10:00:00Z", finalizers: ["argocd.argoproj.io/hook-finalizer"] }, status: completeJob }),
      { status: "Healthy" },
    ],
  ]);
});

describe("isWorse and worstHealth", () => {
  it("orders Healthy < Suspended < Progressing < Missing < Degraded < Unknown", () => {
    expect(HEALTH_ORDER).toEqual(["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]);
    for (const [i, a] of HEALTH_ORDER.entries()) {
      for (const [j, b] of HEALTH_ORDER.entries()) expect(isWorse(a, b), `${a} worse than ${b}`).toBe(i > j);
    }
  });
  it.each<[HealthStatusCode[], HealthStatusCode]>([
    [[], "Healthy"],
    [["Healthy", "Healthy"], "Healthy"],
    [["Progressing", "Suspended", "Healthy"], "Progressing"],
    [["Suspended", "Missing", "Progressing"], "Missing"],
    [["Degraded", "Missing"], "Degraded"],
    [["Unknown", "Degraded", "Healthy"], "Unknown"],
  ])("worst of %j is %s", (codes, want) => expect(worstHealth(codes)).toBe(want));
  it("takes any iterable", () => expect(worstHealth(new Set<HealthStatusCode>(["Suspended", "Healthy"]))).toBe("Suspended"));
});

describe("hookPhaseOf and hookResultOf", () => {
  const job = (status: object) => obj("batch/v1", "Job", { metadata: { name: "db-migrate", annotations: { "argocd.argoproj.io/hook": "PreSync" } }, status });
  it.each<[string, KubeObject, "Running" | "Succeeded" | "Failed"]>([
    ["complete Job", job({ conditions: [{ type: "Complete", status: "True" }] }), "Succeeded"],
    ["failed Job", job({ conditions: [{ type: "Failed", status: "True", message: "Job has reached the specified backoff limit" }] }), "Failed"],
    ["running Job", job({ active: 1 }), "Running"],
    ["suspended Job", job({ conditions: [{ type: "Suspended", status: "True" }] }), "Running"],
    ["succeeded Pod", obj("v1", "Pod", { spec: { restartPolicy: "Never" }, status: { phase: "Succeeded" } }), "Succeeded"],
    ["Pod in an unknown phase", obj("v1", "Pod", { spec: { restartPolicy: "Never" }, status: { phase: "Unknown" } }), "Failed"],
    ["a kind with no health check", obj("v1", "ConfigMap", { metadata: { name: "seed" } }), "Succeeded"],
    // getOperationPhase has no case for Missing: the phase stays Succeeded.
    ["a child Application reporting Missing", obj("argoproj.io/v1alpha1", "Application", { metadata: { name: "child" }, status: { health: { status: "Missing" } } }), "Succeeded"],
  ])("%s", (_name, o, want) => expect(hookPhaseOf(o)).toBe(want));

  it("carries the health message, or '<name> created' for kinds with no check", () => {
    expect(hookResultOf(job({ conditions: [{ type: "Failed", status: "True", message: "Job has reached the specified backoff limit" }] }))).toEqual({
      phase: "Failed",
      message: "Job has reached the specified backoff limit",
    });
    expect(hookResultOf(obj("v1", "ConfigMap", { metadata: { name: "seed" } }))).toEqual({ phase: "Succeeded", message: "seed created" });
  });
});

describe("applicationHealth (setApplicationHealth)", () => {
  const runningPod = obj("v1", "Pod", { metadata: { name: "running-pod" }, spec: { restartPolicy: "Always" }, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } });
  const failedJob = (name = "failed-job", annotations?: Record<string, string>) =>
    obj("batch/v1", "Job", { metadata: { name, annotations }, status: { conditions: [{ type: "Failed", status: "True", message: "BackoffLimitExceeded" }] } });
  const progressingDeploy = obj("apps/v1", "Deployment", { metadata: { name: "api" }, spec: { replicas: 2 }, status: { observedGeneration: 1, updatedReplicas: 1 } });
  const childApp = (status: HealthStatusCode) => obj("argoproj.io/v1alpha1", "Application", { metadata: { name: "child", namespace: "argocd" }, status: { health: { status } } });
  const live = (o: KubeObject, extra: Partial<AppHealthResource> = {}): AppHealthResource => ({ key: keyOf(o), live: o, target: o, ...extra });
  const missing = (o: KubeObject): AppHealthResource => ({ key: keyOf(o), target: o });

  it("is Healthy with no resources", () => expect(applicationHealth([])).toEqual({ status: "Healthy" }));

  it("takes the worst resource and names it", () => {
    expect(applicationHealth([live(runningPod), live(failedJob())])).toEqual({ status: "Degraded", message: "Caused by batch/Job:default/failed-job" });
  });

  it("names only the resources with the worst health", () => {
    expect(applicationHealth([live(progressingDeploy), live(failedJob()), live(runningPod)])).toEqual({ status: "Degraded", message: "Caused by batch/Job:default/failed-job" });
    expect(applicationHealth([live(progressingDeploy), live(runningPod)])).toEqual({ status: "Progressing", message: "Caused by apps/Deployment:default/api" });
  });

  it("lists up to three causes, then counts the rest", () => {
    const jobs = ["a", "b", "c", "d", "e"].map((n) => live(failedJob(`job-${n}`)));
    expect(applicationHealth(jobs)).toEqual({ status: "Degraded", message: "Caused by batch/Job:default/job-a, batch/Job:default/job-b, batch/Job:default/job-c and 2 more" });
    expect(applicationHealth(jobs.slice(0, 2))).toEqual({ status: "Degraded", message: "Caused by batch/Job:default/job-a, batch/Job:default/job-b" });
  });

  it("writes cluster-scoped resources without a namespace", () => {
    const api = obj("apiregistration.k8s.io/v1", "APIService", { metadata: { name: "v1beta1.metrics.k8s.io", namespace: undefined }, status: {} });
    expect(applicationHealth([live(api)])).toEqual({ status: "Progressing", message: "Caused by apiregistration.k8s.io/APIService:v1beta1.metrics.k8s.io" });
  });

  it("skips live hooks: Argo annotations, Helm hooks, and hooks with no valid type", () => {
    expect(applicationHealth([live(runningPod), live(failedJob("j", { "argocd.argoproj.io/hook": "PreSync" }))])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(runningPod), live(failedJob("j", { "helm.sh/hook": "post-install" }))])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(runningPod), live(failedJob("j", { "helm.sh/hook": "test" }))])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(runningPod), live(failedJob(), { hook: true })])).toEqual({ status: "Healthy" });
  });

  it("counts Helm crd-install objects and lone-Skip annotations on live objects as ordinary resources", () => {
    expect(applicationHealth([live(failedJob("j", { "helm.sh/hook": "crd-install" }))]).status).toBe("Degraded");
    const skipOnLive = failedJob("j", { "argocd.argoproj.io/hook": "Skip" });
    expect(applicationHealth([{ key: keyOf(skipOnLive), live: skipOnLive }]).status).toBe("Degraded");
  });

  it("leaves out targets whose only hook type is Skip", () => {
    const skipped = obj("v1", "ConfigMap", { metadata: { name: "skipped", annotations: { "argocd.argoproj.io/hook": "Skip" } } });
    expect(applicationHealth([missing(skipped)])).toEqual({ status: "Healthy" });
    expect(applicationHealth([missing(skipped), live(runningPod)])).toEqual({ status: "Healthy" });
  });

  it("does not aggregate resources that ignore health checks", () => {
    const ignored = failedJob("j", { "argocd.argoproj.io/ignore-healthcheck": "true" });
    expect(applicationHealth([live(runningPod), live(ignored)])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(runningPod), live(failedJob(), { ignoreHealth: true })])).toEqual({ status: "Healthy" });
    // An ignored resource still exists: the app is not Missing.
    expect(applicationHealth([live(ignored), missing(progressingDeploy)])).toEqual({ status: "Healthy" });
  });

  it("does not count missing resources, unless all are missing", () => {
    expect(applicationHealth([missing(progressingDeploy), live(runningPod)])).toEqual({ status: "Healthy" });
    expect(applicationHealth([missing(progressingDeploy), missing(runningPod)])).toEqual({ status: "Missing" });
    // A live hook is not a live resource of the app.
    expect(applicationHealth([missing(runningPod), live(failedJob("j", { "argocd.argoproj.io/hook": "Sync" }))])).toEqual({ status: "Missing" });
  });

  it("skips kinds with no health check, which still make the app present", () => {
    const cm = obj("v1", "ConfigMap", { metadata: { name: "settings" } });
    expect(applicationHealth([live(cm), missing(progressingDeploy)])).toEqual({ status: "Healthy" });
  });

  it("ignores Missing and Unknown child Applications, but not a Degraded one", () => {
    expect(applicationHealth([live(childApp("Unknown")), live(runningPod)])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(childApp("Missing")), missing(runningPod)])).toEqual({ status: "Healthy" });
    expect(applicationHealth([live(childApp("Degraded"))])).toEqual({ status: "Degraded", message: "Caused by argoproj.io/Application:argocd/child" });
  });

  it("leaves out the app itself when it manages itself", () => {
    const self = childApp("Degraded");
    expect(applicationHealth([live(self, { self: true }), live(runningPod)])).toEqual({ status: "Healthy" });
  });

  it("uses a health already assessed for the resource", () => {
    expect(applicationHealth([live(runningPod, { health: { status: "Suspended", message: "custom check" } })])).toEqual({ status: "Suspended", message: "Caused by Pod:default/running-pod" });
  });

  it("reports a paused Rollout as Suspended", () => {
    const rollout = obj("argoproj.io/v1alpha1", "Rollout", { metadata: { name: "web", generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: "2", phase: "Paused", message: "CanaryPauseStep" } });
    expect(applicationHealth([live(rollout), live(runningPod)])).toEqual({ status: "Suspended", message: "Caused by argoproj.io/Rollout:default/web" });
  });
});
