/**
 * The simulated cluster's controllers, in-process loops on `api.subscribe` (see queue.ts): Deployment
 * → ReplicaSet → Pods, StatefulSet, DaemonSet, Job, load balancers and Ingress addresses, Endpoints,
 * volume binding; and, with the kubelet, the scheduler that binds pods to the one node. Each writes
 * with field manager kube-controller-manager (the scheduler: default-scheduler) and records the
 * events `kubectl describe` shows.
 */
import type { SimApi } from "../api.js";
import { startKubelet, type KubeletOptions } from "../kubelet/index.js";
import { startDaemonSetController } from "./daemonset.js";
import { startDeploymentController } from "./deployment.js";
import { startJobController } from "./job.js";
import type { Controller } from "./queue.js";
import { startReplicaSetController } from "./replicaset.js";
import { startScheduler } from "./scheduler.js";
import { startEndpointsController, startLoadBalancers, type LoadBalancerOptions } from "./services.js";
import { startStatefulSetController } from "./statefulset.js";
import { startVolumeBinder } from "./storage.js";

export type { LoadBalancerOptions } from "./services.js";

export interface ClusterLoopOptions {
  /** Workload, service and volume controllers. Default true. */
  controllers?: boolean;
  /** The node's kubelet (and the scheduler); default `{ mode: "simulate" }` when controllers run, `false` for none. */
  kubelet?: KubeletOptions | false;
  /** Load-balancer addresses for Services and Ingresses; `false`: they never get one. */
  loadBalancer?: LoadBalancerOptions | false;
}

export interface ClusterLoops {
  stop(): Promise<void>;
}

export function startControllers(api: SimApi, opts: { loadBalancer?: LoadBalancerOptions | false } = {}): Controller[] {
  const running = [
    startDeploymentController(api),
    startReplicaSetController(api),
    startStatefulSetController(api),
    startDaemonSetController(api),
    startJobController(api),
    startEndpointsController(api),
    startVolumeBinder(api),
  ];
  if (opts.loadBalancer !== false) running.push(startLoadBalancers(api, opts.loadBalancer ?? {}));
  return running;
}

/** Starts what the options ask for; `stop()` ends the loops and the kubelet's processes. */
export function startClusterLoops(api: SimApi, opts: ClusterLoopOptions): ClusterLoops {
  const controllers = opts.controllers !== false ? startControllers(api, opts) : [];
  const kubeletOpts = opts.kubelet ?? (opts.controllers !== false ? {} : false);
  const kubelet = kubeletOpts === false ? undefined : startKubelet(api, kubeletOpts);
  if (kubelet) controllers.push(startScheduler(api));
  return {
    async stop() {
      for (const c of controllers) c.stop();
      await kubelet?.stop();
    },
  };
}
