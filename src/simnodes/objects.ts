/**
 * The API objects of simulated nodes: the Node a simulated kubelet registers
 * (capacity, labels, taints, conditions, addresses, nodeInfo — all marked as
 * simulated), its heartbeat Lease, and the pod statuses it reports as a pod
 * moves through its lifecycle. Pure functions; no I/O.
 */
import type { KObject } from "../api/types.ts";

/** Marks every object a simulator owns, so nobody mistakes it for a real node. */
export const simulatedLabel = "tskube.io/simulated";

export interface SimNodeSpec {
  name: string;
  /** Index of the node within its simulator (addresses and pod IPs derive from it). */
  index: number;
  cpu: string;
  memory: string;
  pods: number;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
}

/** FNV-1a hash of a node name: addresses derive from names, so separate simulator processes rarely collide. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A deterministic fake address for a node in 172.16.0.0/12 (private, never routed here). */
export function nodeAddress(name: string): string {
  const n = (nameHash(name) % 0xffffe) + 1;
  return `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
}

/** The pod CIDR a simulated node uses when the API has not assigned one: a /24 in 100.64.0.0/10. */
export function fallbackPodCidr(name: string): string {
  const n = nameHash(name) % 16384;
  return `100.${64 + ((n >> 8) & 63)}.${n & 255}.0/24`;
}

function conditions(now: string): Record<string, string>[] {
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return [
    c("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    c("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    c("Ready", "True", "KubeletReady", "kubelet is posting ready status (simulated)"),
  ];
}

/**
 * True when `node`'s conditions are not the ones a simulated kubelet reports
 * (by type and status; heartbeat times aside), e.g. after the node lifecycle
 * controller marked it Unknown: the kubelet then reports at once instead of
 * waiting for its report period.
 */
export function conditionsDrifted(node: KObject): boolean {
  const want = conditions("");
  const have: { type?: string; status?: string }[] = node.status?.conditions ?? [];
  return want.some((w) => have.find((h) => h.type === w.type)?.status !== w.status);
}

/** The Node object a simulated kubelet registers. */
export function nodeObject(s: SimNodeSpec, now: string): KObject {
  const resources = { cpu: s.cpu, memory: s.memory, pods: String(s.pods), "ephemeral-storage": "100Gi" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: s.name,
      labels: {
        "kubernetes.io/hostname": s.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "simulated",
        [simulatedLabel]: "true",
        ...s.labels,
      },
      annotations: { [simulatedLabel]: "true: no containers run on this node" },
    },
    spec: s.taints.length ? { taints: s.taints } : {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: conditions(now),
      addresses: [
        { type: "InternalIP", address: nodeAddress(s.name) },
        { type: "Hostname", address: s.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `sim-${s.index}`,
        systemUUID: `sim-${s.index}`,
        bootID: `sim-${s.index}`,
        kernelVersion: "simulated",
        osImage: "tskube simulated node",
        containerRuntimeVersion: "simulated://1.0.0",
        kubeletVersion: "v1.31.4+tskube-sim",
        kubeProxyVersion: "v1.31.4+tskube-sim",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

/** The node heartbeat Lease in kube-node-lease. */
export function leaseObject(nodeName: string, nodeUid: string | undefined, now: string): KObject {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: nodeName,
      namespace: "kube-node-lease",
      ownerReferences: nodeUid ? [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid }] : undefined,
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: now },
  };
}

type Container = { name: string; image?: string };

function containerStatus(c: Container, podUid: string, state: Record<string, unknown>, ready: boolean, started: boolean): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image ?? "",
    imageID: `sim://${c.image ?? ""}`,
    containerID: `sim://${podUid.slice(0, 8)}-${c.name}`,
    ready,
    started,
    restartCount: 0,
    state,
    lastState: {},
  };
}

function condition(type: string, status: string, now: string, reason?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { type, status, lastProbeTime: null, lastTransitionTime: now };
  if (reason) c.reason = reason;
  return c;
}

/** Status of a pod whose containers are running (Ready when `ready`). */
export function runningStatus(pod: KObject, podIp: string, hostIp: string, now: string, ready: boolean): Record<string, unknown> {
  const uid = pod.metadata.uid ?? "";
  const startedAt = pod.status?.startTime ?? now;
  const init = (pod.spec?.initContainers ?? []) as Container[];
  const readyStr = ready ? "True" : "False";
  return {
    phase: "Running",
    conditions: [
      condition("PodReadyToStartContainers", "True", now),
      condition("Initialized", "True", now),
      condition("Ready", readyStr, now, ready ? undefined : "ContainersNotReady"),
      condition("ContainersReady", readyStr, now, ready ? undefined : "ContainersNotReady"),
      condition("PodScheduled", "True", now),
    ],
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: startedAt,
    qosClass: pod.status?.qosClass,
    initContainerStatuses: init.length
      ? init.map((c) => containerStatus(c, uid, { terminated: { exitCode: 0, reason: "Completed", startedAt, finishedAt: startedAt } }, true, false))
      : undefined,
    containerStatuses: ((pod.spec?.containers ?? []) as Container[]).map((c) =>
      containerStatus(c, uid, { running: { startedAt } }, ready, true),
    ),
  };
}

/** Status of a pod whose containers all exited (Succeeded for exit code 0, else Failed). */
export function finishedStatus(pod: KObject, exitCode: number, now: string): Record<string, unknown> {
  const uid = pod.metadata.uid ?? "";
  const startedAt = pod.status?.startTime ?? now;
  const reason = exitCode === 0 ? "Completed" : "Error";
  return {
    ...pod.status,
    phase: exitCode === 0 ? "Succeeded" : "Failed",
    conditions: [
      condition("PodReadyToStartContainers", "False", now),
      condition("Initialized", "True", now, "PodCompleted"),
      condition("Ready", "False", now, "PodCompleted"),
      condition("ContainersReady", "False", now, "PodCompleted"),
      condition("PodScheduled", "True", now),
    ],
    containerStatuses: ((pod.spec?.containers ?? []) as Container[]).map((c) =>
      containerStatus(c, uid, { terminated: { exitCode, reason, startedAt, finishedAt: now } }, false, false),
    ),
  };
}

/** Pod annotations that steer the simulation (documented in the README). */
export const simAnnotations = {
  /** Seconds a pod with restartPolicy OnFailure/Never runs before it exits (default 1). */
  runSeconds: "sim.tskube.io/run-seconds",
  /** Exit code of such a pod (default 0: Succeeded). */
  exitCode: "sim.tskube.io/exit-code",
  /** Seconds after start until the pod reports Ready (default 0). */
  readySeconds: "sim.tskube.io/ready-seconds",
  /** Seconds a terminating pod takes to stop, capped by its grace period (default 0). */
  stopSeconds: "sim.tskube.io/stop-seconds",
} as const;

/** Reads a numeric simulation annotation. */
export function annotationNumber(pod: KObject, key: string, fallback: number): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
