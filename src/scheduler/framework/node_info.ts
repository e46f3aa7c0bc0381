/**
 * NodeInfo: the scheduler's aggregated view of one node: the Node object,
 * the pods on it (bound and assumed), summed requests (actual and the
 * "non-zero" variant used for scoring), allocatable resources, used host
 * ports, image states, and the subsets of pods carrying (anti-)affinity.
 * `generation` increases on every change; the cache uses it to refresh
 * snapshots incrementally.
 */
import type { KObject } from "../../api/types.ts";
import { hasAffinity, podInfoFor, podUID, type PodInfo } from "./pod_info.ts";
import { Resource, resourceFromList } from "./resources.ts";

/** Cluster-wide summary of one image: size and how many nodes have it. */
export interface ImageStateSummary {
  size: number;
  readonly numNodes: number;
}

const DEFAULT_IP = "0.0.0.0";

/**
 * Slots of `NodeInfo.num`: the amounts the per-node Filter and Score hot
 * paths read, mirrored from `allocatable`, `requested` and
 * `nonZeroRequested`.
 */
export const Num = {
  AllocCpu: 0,
  AllocMem: 1,
  AllocEph: 2,
  ReqCpu: 3,
  ReqMem: 4,
  ReqEph: 5,
  NonZeroCpu: 6,
  NonZeroMem: 7,
} as const;

/** Host ports in use: ip -> set of `protocol/port`. */
export class HostPortInfo {
  readonly ports = new Map<string, Set<string>>();

  add(ip: string | undefined, protocol: string | undefined, port: number): void {
    const key = `${protocol || "TCP"}/${port}`;
    const addr = ip || DEFAULT_IP;
    let s = this.ports.get(addr);
    if (!s) this.ports.set(addr, (s = new Set()));
    s.add(key);
  }

  remove(ip: string | undefined, protocol: string | undefined, port: number): void {
    const addr = ip || DEFAULT_IP;
    const s = this.ports.get(addr);
    if (!s) return;
    s.delete(`${protocol || "TCP"}/${port}`);
    if (s.size === 0) this.ports.delete(addr);
  }

  /** True when ip:protocol/port collides (0.0.0.0 collides with every address). */
  conflicts(ip: string | undefined, protocol: string | undefined, port: number): boolean {
    const key = `${protocol || "TCP"}/${port}`;
    const addr = ip || DEFAULT_IP;
    if (addr === DEFAULT_IP) {
      for (const s of this.ports.values()) if (s.has(key)) return true;
      return false;
    }
    return !!(this.ports.get(addr)?.has(key) || this.ports.get(DEFAULT_IP)?.has(key));
  }

  get size(): number {
    let n = 0;
    for (const s of this.ports.values()) n += s.size;
    return n;
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, s] of this.ports) c.ports.set(ip, new Set(s));
    return c;
  }
}

/** Host ports a pod asks for (app containers and restartable init containers with hostPort set). */
export function podHostPorts(pod: KObject): { ip?: string; protocol?: string; port: number }[] {
  const out: { ip?: string; protocol?: string; port: number }[] = [];
  const spec = pod.spec ?? {};
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c: KObject) => c.restartPolicy === "Always")];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push({ ip: p.hostIP, protocol: p.protocol, port: p.hostPort });
    }
  }
  return out;
}

export class NodeInfo {
  node: KObject | undefined;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPortInfo();
  requested = new Resource();
  nonZeroRequested = new Resource();
  allocatable = new Resource();
  imageStates = new Map<string, ImageStateSummary>();
  generation = 0;
  /**
   * Copies of the numbers Filter and Score read for every candidate node
   * (slots in `Num`), kept in one small typed array next to the fields
   * below: a scheduling cycle visits hundreds of nodes, and reading a few
   * cache lines per node instead of a dozen objects (Resource objects, their
   * boxed doubles, the pod list, the Node's spec) is most of its cost when
   * other threads share the cores. Maintained by this class only.
   */
  readonly num = new Float64Array(8);
  /** pods.length. */
  podCount = 0;
  /** allocatable.allowedPodNumber. */
  allowedPods = 0;
  /** The Node's spec.unschedulable. */
  unschedulable = false;
  /** How many of the Node's taints have effect NoSchedule or NoExecute. */
  hardTaints = 0;
  /** How many of the Node's taints have effect PreferNoSchedule. */
  softTaints = 0;
  /** imageStates.size. */
  imageCount = 0;
  /** See podsMemo(). */
  #podsMemo: Map<string, number> | undefined;

  constructor(node?: KObject) {
    if (node) this.setNode(node);
  }

  /** The node name ("" before the Node object is known). */
  get name(): string {
    return this.node?.metadata.name ?? "";
  }

  /** Sets the Node object and recomputes allocatable (status.allocatable, else capacity). */
  setNode(node: KObject): void {
    this.node = node;
    this.allocatable = resourceFromList(node.status?.allocatable ?? node.status?.capacity);
    const a = this.allocatable;
    this.num[Num.AllocCpu] = a.milliCPU;
    this.num[Num.AllocMem] = a.memory;
    this.num[Num.AllocEph] = a.ephemeralStorage;
    this.allowedPods = a.allowedPodNumber;
    this.unschedulable = !!node.spec?.unschedulable;
    let hard = 0;
    let soft = 0;
    for (const t of (node.spec?.taints ?? []) as { effect?: string }[]) {
      if (t.effect === "NoSchedule" || t.effect === "NoExecute") hard++;
      else if (t.effect === "PreferNoSchedule") soft++;
    }
    this.hardTaints = hard;
    this.softTaints = soft;
  }

  /**
   * A memo for numbers that depend only on `pods` and the key (e.g. how many
   * of them a selector matches in a namespace: PodTopologySpread asks that of
   * every node for every pod it schedules, and most nodes do not change
   * between two cycles). Dropped whenever the pods change; bounded.
   */
  podsMemo(): Map<string, number> {
    if (!this.#podsMemo || this.#podsMemo.size >= 256) this.#podsMemo = new Map();
    return this.#podsMemo;
  }

  /** Sets the summaries of the images the node has (by normalized name). */
  setImageStates(states: Map<string, ImageStateSummary>): void {
    this.imageStates = states;
    this.imageCount = states.size;
  }

  /** Forgets the Node object (it was deleted; pods may still be accounted here). */
  clearNode(): void {
    this.node = undefined;
    this.unschedulable = false;
    this.hardTaints = 0;
    this.softTaints = 0;
  }

  addPod(pod: KObject): void {
    const pi = podInfoFor(pod);
    this.pods.push(pi);
    if (hasAffinity(pi)) this.podsWithAffinity.push(pi);
    if (pi.requiredAntiAffinityTerms.length) this.podsWithRequiredAntiAffinity.push(pi);
    this.#account(pi, 1);
  }

  /** Removes the pod with `pod`'s UID; false when it is not on this node. */
  removePod(pod: KObject): boolean {
    const uid = podUID(pod);
    const i = this.pods.findIndex((p) => podUID(p.pod) === uid);
    if (i < 0) return false;
    const pi = this.pods[i];
    this.pods.splice(i, 1);
    const drop = (list: PodInfo[]) => {
      const j = list.findIndex((p) => podUID(p.pod) === uid);
      if (j >= 0) list.splice(j, 1);
    };
    drop(this.podsWithAffinity);
    drop(this.podsWithRequiredAntiAffinity);
    this.#account(pi, -1);
    return true;
  }

  #account(pi: PodInfo, sign: number): void {
    this.requested.add(pi.requests.requests, sign);
    this.nonZeroRequested.milliCPU += sign * pi.requests.nonZero.milliCPU;
    this.nonZeroRequested.memory += sign * pi.requests.nonZero.memory;
    this.#mirrorRequests();
    for (const p of podHostPorts(pi.pod)) {
      if (sign > 0) this.usedPorts.add(p.ip, p.protocol, p.port);
      else this.usedPorts.remove(p.ip, p.protocol, p.port);
    }
  }

  #mirrorRequests(): void {
    this.#podsMemo = undefined;
    const u = this.requested;
    this.num[Num.ReqCpu] = u.milliCPU;
    this.num[Num.ReqMem] = u.memory;
    this.num[Num.ReqEph] = u.ephemeralStorage;
    this.num[Num.NonZeroCpu] = this.nonZeroRequested.milliCPU;
    this.num[Num.NonZeroMem] = this.nonZeroRequested.memory;
    this.podCount = this.pods.length;
  }

  /** A copy sharing Node, PodInfo and image summary objects but with its own lists and sums. */
  clone(): NodeInfo {
    const c = new NodeInfo();
    this.copyInto(c);
    return c;
  }

  /** Overwrites `target` with a copy of this NodeInfo (used to refresh snapshots in place). */
  copyInto(target: NodeInfo): void {
    target.node = this.node;
    target.pods = [...this.pods];
    target.podsWithAffinity = [...this.podsWithAffinity];
    target.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    target.usedPorts = this.usedPorts.clone();
    target.requested = this.requested.clone();
    target.nonZeroRequested = this.nonZeroRequested.clone();
    target.allocatable = this.allocatable.clone();
    target.imageStates = this.imageStates;
    target.generation = this.generation;
    target.num.set(this.num);
    target.podCount = this.podCount;
    target.allowedPods = this.allowedPods;
    target.unschedulable = this.unschedulable;
    target.hardTaints = this.hardTaints;
    target.softTaints = this.softTaints;
    target.imageCount = this.imageCount;
    target.#podsMemo = undefined;
  }
}
