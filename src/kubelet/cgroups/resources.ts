/**
 * Resource arithmetic of pods and containers as upstream's kubelet does it:
 * QoS class (ComputePodQOS), pod requests/limits (sum of app containers and
 * sidecars, max with init containers, plus overhead), cpu shares and CFS
 * quota conversion, the pod cgroup config, CRI LinuxContainerResources and
 * OOM score adjustment per QoS.
 */
import { parseQuantity, type Quantity } from "../../machinery/quantity.ts";
import type { CriMessage } from "../cri/client.ts";
import type { ContainerSpec, Pod } from "../types.ts";

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort";

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const QUOTA_PERIOD = 100000;
export const MIN_QUOTA_PERIOD = 1000;
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;

function qty(v: unknown): Quantity | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  try {
    return parseQuantity(v as string);
  } catch {
    return undefined;
  }
}

/** The container's requests with API defaulting applied (missing requests default to limits). */
export function containerRequests(c: ContainerSpec): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  const limits = c.resources?.limits ?? {};
  const reqs = c.resources?.requests ?? {};
  for (const [k, v] of Object.entries(limits)) {
    const q = qty(v);
    if (q) out[k] = q;
  }
  for (const [k, v] of Object.entries(reqs)) {
    const q = qty(v);
    if (q) out[k] = q;
  }
  return out;
}

export function containerLimits(c: ContainerSpec): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const [k, v] of Object.entries(c.resources?.limits ?? {})) {
    const q = qty(v);
    if (q) out[k] = q;
  }
  return out;
}

/** Upstream ComputePodQOS over cpu and memory of all containers (incl. init). */
export function podQOSClass(pod: Pod): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const all: ContainerSpec[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of all) {
    const r = containerRequests(c);
    const l = containerLimits(c);
    for (const name of ["cpu", "memory"]) {
      if (r[name] && !r[name].isZero()) requests.set(name, (requests.get(name) ?? parseQuantity("0")).add(r[name]));
    }
    const found = new Set<string>();
    for (const name of ["cpu", "memory"]) {
      if (l[name] && !l[name].isZero()) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? parseQuantity("0")).add(l[name]));
      }
    }
    if (found.size !== 2) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) guaranteed = false;
    }
  }
  if (guaranteed && requests.size === limits.size) return "Guaranteed";
  return "Burstable";
}

type Vec = Map<string, Quantity>;

function addInto(into: Vec, from: Record<string, Quantity>): void {
  for (const [k, v] of Object.entries(from)) into.set(k, (into.get(k) ?? parseQuantity("0")).add(v));
}

function maxInto(into: Vec, from: Vec): void {
  for (const [k, v] of from) {
    const cur = into.get(k);
    if (!cur || v.cmp(cur) > 0) into.set(k, v);
  }
}

/** Upstream PodRequests/PodLimits: app containers + sidecars, max with init containers, + overhead. */
function podAggregate(pod: Pod, pick: (c: ContainerSpec) => Record<string, Quantity>): Vec {
  const sum: Vec = new Map();
  for (const c of pod.spec?.containers ?? []) addInto(sum, pick(c));
  const sidecars: Vec = new Map();
  const initMax: Vec = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === "Always") {
      addInto(sidecars, pick(c));
      addInto(sum, pick(c));
      maxInto(initMax, sidecars);
    } else {
      const v: Vec = new Map(sidecars);
      addInto(v, pick(c));
      maxInto(initMax, v);
    }
  }
  maxInto(sum, initMax);
  const overhead: Record<string, Quantity> = {};
  for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) {
    const q = qty(v);
    if (q) overhead[k] = q;
  }
  addInto(sum, overhead);
  return sum;
}

export function podRequests(pod: Pod): Vec {
  return podAggregate(pod, containerRequests);
}

export function podLimits(pod: Pod): Vec {
  return podAggregate(pod, containerLimits);
}

/** Upstream MilliCPUToShares. */
export function milliCPUToShares(milli: number): number {
  if (milli <= 0) return MIN_SHARES;
  const shares = Math.floor((milli * 1024) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** Upstream MilliCPUToQuota: 0 (no quota) for no limit, at least 1000us. */
export function milliCPUToQuota(milli: number, period = QUOTA_PERIOD): number {
  if (milli <= 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.floor((milli * period) / 1000));
}

/** Pod cgroup settings (undefined = leave unlimited). */
export interface PodResourceConfig {
  cpuShares: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimit?: number;
}

/** Upstream ResourceConfigForPod for cgroup v1. */
export function podResourceConfig(pod: Pod): PodResourceConfig {
  const reqs = podRequests(pod);
  const lims = podLimits(pod);
  const all: ContainerSpec[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const cpuDeclared = all.length > 0 && all.every((c) => containerLimits(c).cpu && !containerLimits(c).cpu.isZero());
  const memDeclared = all.length > 0 && all.every((c) => containerLimits(c).memory && !containerLimits(c).memory.isZero());
  const shares = milliCPUToShares(reqs.get("cpu")?.milliValue() ?? 0);
  const quota = milliCPUToQuota(lims.get("cpu")?.milliValue() ?? 0);
  const mem = lims.get("memory")?.value();
  const qos = podQOSClass(pod);
  if (qos === "Guaranteed") return { cpuShares: shares, cpuQuota: quota, cpuPeriod: QUOTA_PERIOD, memoryLimit: mem };
  if (qos === "BestEffort") return { cpuShares: MIN_SHARES };
  const cfg: PodResourceConfig = { cpuShares: shares };
  if (cpuDeclared) {
    cfg.cpuQuota = quota;
    cfg.cpuPeriod = QUOTA_PERIOD;
  }
  if (memDeclared) cfg.memoryLimit = mem;
  return cfg;
}

const SYSTEM_NODE_CRITICAL = "system-node-critical";

/** Upstream GetContainerOOMScoreAdjust. */
export function containerOOMScoreAdj(pod: Pod, container: ContainerSpec, memoryCapacity: number): number {
  if (pod.spec?.priorityClassName === SYSTEM_NODE_CRITICAL) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQOSClass(pod);
  if (qos === "Guaranteed") return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === "BestEffort") return BESTEFFORT_OOM_SCORE_ADJ;
  const memReq = containerRequests(container).memory?.value() ?? 0;
  if (memoryCapacity <= 0) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  const adj = 1000 - Math.floor((1000 * memReq) / memoryCapacity);
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

/**
 * CRI LinuxContainerResources for a container: cpu_shares from the cpu
 * request (the limit when no request; min 2), cpu_quota/cpu_period from the
 * cpu limit, memory_limit_in_bytes and oom_score_adj per QoS. Int64 fields
 * are numbers (the CRI codec accepts numbers or strings).
 */
export function containerLinuxResources(pod: Pod, container: ContainerSpec, memoryCapacity: number): CriMessage {
  const lim = containerLimits(container);
  const explicitReq = qty(container.resources?.requests?.cpu);
  const cpuLimit = lim.cpu?.milliValue() ?? 0;
  const shares = explicitReq === undefined && cpuLimit > 0 ? milliCPUToShares(cpuLimit) : milliCPUToShares(explicitReq?.milliValue() ?? 0);
  const out: CriMessage = {
    cpu_shares: shares,
    memory_limit_in_bytes: lim.memory?.value() ?? 0,
    oom_score_adj: containerOOMScoreAdj(pod, container, memoryCapacity),
  };
  if (cpuLimit > 0) {
    out.cpu_period = QUOTA_PERIOD;
    out.cpu_quota = milliCPUToQuota(cpuLimit);
  }
  return out;
}
