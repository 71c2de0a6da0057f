// The one Node of the simulated cluster, registered by its kubelet: Ready, with the host's CPU count
// and memory as capacity, and labels and node info that say it is simulated.
import { arch, cpus, release, totalmem } from "node:os";
import type { SimApi } from "../api.js";
import { SIMULATED_VERSION } from "../discovery.js";
import { timestamp } from "../objects.js";
import type { KubeObject } from "../types.js";
import type { NodeInfo } from "./types.js";

export const NODE_NAME = "tiphys-simulated-node";
export const NODE_IP = "172.18.0.2";
const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };

export function nodeInfo(): NodeInfo {
  return { name: NODE_NAME, ip: NODE_IP, allocatable: { cpu: Math.max(1, cpus().length), memory: totalmem() } };
}

/** Creates (or refreshes) the Node object and its Ready status. */
export function registerNode(api: SimApi, info: NodeInfo): KubeObject {
  const goArch = GOARCH[arch()] ?? arch();
  const labels = {
    "kubernetes.io/hostname": info.name,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": goArch,
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": goArch,
    "tiphys.io/simulated": "true",
  };
  const existing = api.tryGet("nodes", undefined, info.name);
  const node =
    existing ??
    api.create(
      "nodes",
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: info.name, labels, annotations: { "tiphys.io/simulated": "a simulated node: containers run as local processes or not at all" } },
        spec: { podCIDR: "10.244.0.0/16", podCIDRs: ["10.244.0.0/16"] },
      },
      { fieldManager: "kubelet" },
    );
  const now = timestamp(api.core.now());
  const resources = { cpu: String(info.allocatable.cpu), memory: `${Math.floor(info.allocatable.memory / 1024)}Ki`, pods: "110", "ephemeral-storage": "100Gi" };
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  const status = {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
      condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      condition("Ready", "True", "KubeletReady", "kubelet is posting ready status (simulated)"),
    ],
    addresses: [
      { type: "InternalIP", address: info.ip },
      { type: "Hostname", address: info.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: release(),
      osImage: "Tiphys simulated node",
      containerRuntimeVersion: "tiphys-simulated://1.0.0",
      kubeletVersion: SIMULATED_VERSION,
      kubeProxyVersion: SIMULATED_VERSION,
      operatingSystem: "linux",
      architecture: goArch,
    },
  };
  return api.updateStatus("nodes", { ...node, metadata: { ...node.metadata, resourceVersion: undefined }, status }, { fieldManager: "kubelet" });
}
