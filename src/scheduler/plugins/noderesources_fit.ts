/**
 * NodeResourcesFit: Filter checks the pod count and every requested resource
 * against allocatable minus requested ("Too many pods", "Insufficient cpu",
 * ...); a request larger than the node's whole allocatable is
 * UnschedulableAndUnresolvable (preemption cannot help), otherwise
 * Unschedulable. Score follows args.scoringStrategy: LeastAllocated
 * (default), MostAllocated or RequestedToCapacityRatio, weighted per resource.
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import { MAX_NODE_SCORE } from "../framework/helpers.ts";
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import { Num, type NodeInfo } from "../framework/node_info.ts";
import { podInfoFor } from "../framework/pod_info.ts";
import type { Resource } from "../framework/resources.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";
import { allocatableAndRequested, DEFAULT_RESOURCES, isCpuThenMemory, podRequestList, type ResourceSpec } from "./resource_allocation.ts";

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated" | "RequestedToCapacityRatio";

/** NodeResourcesFitArgs (kubescheduler.config.k8s.io/v1). */
export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: { utilization: number; score: number }[] };
  };
}

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  unresolvable: boolean;
}

/** fitsRequest: every resource the pod lacks on `nodeInfo` (empty when it fits). */
export function fitsRequest(podReq: Resource, nodeInfo: NodeInfo, ignored: Set<string> = new Set(), ignoredGroups: Set<string> = new Set()): InsufficientResource[] {
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (fitsFast(podReq, nodeInfo)) return NO_SHORTAGE;
  const out: InsufficientResource[] = [];
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: "pods", reason: "Too many pods", requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber, unresolvable: false });
  }
  const check = (name: string, req: number, cap: number, u: number) => {
    if (req > 0 && req > cap - u) out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: req, used: u, capacity: cap, unresolvable: req > cap });
  };
  check("cpu", podReq.milliCPU, alloc.milliCPU, used.milliCPU);
  check("memory", podReq.memory, alloc.memory, used.memory);
  check("ephemeral-storage", podReq.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const name in podReq.scalar) {
    const q = podReq.scalar[name];
    if (!q) continue;
    if (ignored.has(name)) continue;
    const slash = name.indexOf("/");
    if (slash > 0 && ignoredGroups.has(name.slice(0, slash))) continue;
    check(name, q, alloc.scalar[name] ?? 0, used.scalar[name] ?? 0);
  }
  return out;
}

const NO_SHORTAGE: InsufficientResource[] = [];

/** Allocation-free check for the common case where everything fits. */
function fitsFast(podReq: Resource, ni: NodeInfo): boolean {
  const a = ni.allocatable;
  const u = ni.requested;
  if (ni.pods.length + 1 > a.allowedPodNumber) return false;
  if (podReq.milliCPU > 0 && podReq.milliCPU > a.milliCPU - u.milliCPU) return false;
  if (podReq.memory > 0 && podReq.memory > a.memory - u.memory) return false;
  if (podReq.ephemeralStorage > 0 && podReq.ephemeralStorage > a.ephemeralStorage - u.ephemeralStorage) return false;
  for (const k in podReq.scalar) if (podReq.scalar[k] > 0) return false;
  return true;
}

type Scorer = (requested: number[], allocatable: number[]) => number;

function weighted(resources: ResourceSpec[], per: (req: number, cap: number) => number): Scorer {
  return (requested, allocatable) => {
    let score = 0;
    let weights = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      score += per(requested[i], allocatable[i]) * resources[i].weight;
      weights += resources[i].weight;
    }
    return weights === 0 ? 0 : Math.trunc(score / weights);
  };
}

/** ((capacity - requested) * 100) / capacity, 0 when over capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** (requested * 100) / capacity, requested capped at capacity. */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

/** Broken-linear function through `shape` points (utilization 0-100, score already scaled to 0-100). */
export function brokenLinear(shape: { utilization: number; score: number }[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i].utilization) {
        if (i === 0) return shape[0].score;
        const a = shape[i - 1];
        const b = shape[i];
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1].score;
  };
}

function rtcrScorer(resources: ResourceSpec[], rawShape: { utilization: number; score: number }[]): Scorer {
  const f = brokenLinear(rawShape.map((s) => ({ utilization: s.utilization, score: s.score * (MAX_NODE_SCORE / 10) })));
  return (requested, allocatable) => {
    let score = 0;
    let weights = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const cap = allocatable[i];
      const s = requested[i] > cap ? f(100) : f(Math.trunc((requested[i] * 100) / cap));
      if (s > 0) {
        score += s * resources[i].weight;
        weights += resources[i].weight;
      }
    }
    return weights === 0 ? 0 : Math.round(score / weights);
  };
}

const FILTER_KEY = "PreFilter" + Names.NodeResourcesFit;

/** The pod's requests as PreFilter leaves them for Filter: the Resource plus flat numbers for the common case. */
interface FitPre {
  req: Resource;
  cpu: number;
  mem: number;
  eph: number;
  /** The pod requests some scalar (extended) resource: always take the full check. */
  scalars: boolean;
}

function fitPre(req: Resource): FitPre {
  let scalars = false;
  for (const k in req.scalar) if (req.scalar[k] > 0) scalars = true;
  return { req, cpu: req.milliCPU, mem: req.memory, eph: req.ephemeralStorage, scalars };
}
const SCORE_KEY = "PreScore" + Names.NodeResourcesFit;

export function newNodeResourcesFit(rawArgs: unknown): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions {
  const args = (rawArgs ?? {}) as NodeResourcesFitArgs;
  const type = args.scoringStrategy?.type ?? "LeastAllocated";
  const resources = args.scoringStrategy?.resources?.length ? args.scoringStrategy.resources.map((r) => ({ name: r.name, weight: r.weight || 1 })) : DEFAULT_RESOURCES;
  let scorer: Scorer;
  /** Per-resource score of the Least/MostAllocated strategies (for the cpu-and-memory fast path). */
  let perResource: ((requested: number, capacity: number) => number) | undefined;
  switch (type) {
    case "LeastAllocated":
      perResource = leastRequestedScore;
      scorer = weighted(resources, leastRequestedScore);
      break;
    case "MostAllocated":
      perResource = mostRequestedScore;
      scorer = weighted(resources, mostRequestedScore);
      break;
    case "RequestedToCapacityRatio": {
      const shape = args.scoringStrategy?.requestedToCapacityRatio?.shape;
      if (!shape?.length) throw new Error("NodeResourcesFitArgs: requestedToCapacityRatio.shape is required");
      scorer = rtcrScorer(resources, shape);
      break;
    }
    default:
      throw new Error(`NodeResourcesFitArgs: scoringStrategy.type: Unsupported value: "${type as string}"`);
  }
  const ignored = new Set(args.ignoredResources ?? []);
  const ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
  const alloc = new Array<number>(resources.length).fill(0);
  const req = new Array<number>(resources.length).fill(0);
  const fast = isCpuThenMemory(resources) ? perResource : undefined;
  const cpuWeight = resources[0].weight;
  const memWeight = resources.length > 1 ? resources[1].weight : 0;
  return {
    name: Names.NodeResourcesFit,
    preFilter(state: CycleState, pod: KObject) {
      state.write(FILTER_KEY, fitPre(podInfoFor(pod).requests.requests));
      return undefined;
    },
    filter(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const pre = state.read<FitPre>(FILTER_KEY) ?? fitPre(podInfoFor(pod).requests.requests);
      if (!pre.scalars) {
        const n = nodeInfo.num;
        if (
          nodeInfo.podCount < nodeInfo.allowedPods &&
          (pre.cpu <= 0 || pre.cpu <= n[Num.AllocCpu] - n[Num.ReqCpu]) &&
          (pre.mem <= 0 || pre.mem <= n[Num.AllocMem] - n[Num.ReqMem]) &&
          (pre.eph <= 0 || pre.eph <= n[Num.AllocEph] - n[Num.ReqEph])
        ) {
          return undefined;
        }
      }
      const insufficient = fitsRequest(pre.req, nodeInfo, ignored, ignoredGroups);
      if (insufficient.length === 0) return undefined;
      const code = insufficient.some((r) => r.unresolvable) ? Code.UnschedulableAndUnresolvable : Code.Unschedulable;
      return newStatus(code, ...insufficient.map((r) => r.reason));
    },
    preScore(state: CycleState, pod: KObject) {
      state.write(SCORE_KEY, podRequestList(pod, resources, false));
      return undefined;
    },
    score(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const podReqs = state.read<number[]>(SCORE_KEY) ?? podRequestList(pod, resources, false);
      if (fast) {
        // What allocatableAndRequested + weighted compute for cpu and memory.
        const n = nodeInfo.num;
        const cpu = n[Num.AllocCpu];
        const mem = n[Num.AllocMem];
        let score = 0;
        let weights = 0;
        if (cpu !== 0) {
          score += fast(n[Num.NonZeroCpu] + podReqs[0], cpu) * cpuWeight;
          weights += cpuWeight;
        }
        if (mem !== 0) {
          score += fast(n[Num.NonZeroMem] + podReqs[1], mem) * memWeight;
          weights += memWeight;
        }
        return weights === 0 ? 0 : Math.trunc(score / weights);
      }
      allocatableAndRequested(nodeInfo, resources, podReqs, false, alloc, req);
      return scorer(req, alloc);
    },
    eventsToRegister: (): ClusterEvent[] => [
      { resource: "AssignedPod", action: "Delete" },
      { resource: "AssignedPod", action: "Update" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update", label: "Allocatable" },
    ],
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions;
}
