/**
 * NodeResourcesBalancedAllocation: favours nodes whose resource utilisation
 * fractions (after placing the pod, actual requests) are close to each
 * other: score = (1 - std(fractions)) * 100. Skipped for pods requesting
 * nothing (best-effort), as upstream does.
 */
import type { KObject } from "../../api/types.ts";
import type { CycleState } from "../framework/cycle_state.ts";
import { MAX_NODE_SCORE } from "../framework/helpers.ts";
import type { PreScorePlugin, ScorePlugin } from "../framework/interface.ts";
import { Num, type NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";
import { allocatableAndRequested, DEFAULT_RESOURCES, isCpuThenMemory, podRequestList, type ResourceSpec } from "./resource_allocation.ts";

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

const KEY = "PreScore" + Names.NodeResourcesBalancedAllocation;

/** 1 - standard deviation of requested/allocatable fractions (capped at 1), times 100. */
export function balancedScore(requested: number[], allocatable: number[]): number {
  // Two passes over the inputs instead of collecting the fractions: this runs
  // once per scored node.
  let count = 0;
  let total = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(requested[i] / allocatable[i], 1);
    if (count === 0) first = f;
    else if (count === 1) second = f;
    total += f;
    count++;
  }
  let std = 0;
  if (count === 2) std = Math.abs((first - second) / 2);
  else if (count > 2) {
    const mean = total / count;
    let sq = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const d = Math.min(requested[i] / allocatable[i], 1) - mean;
      sq += d * d;
    }
    std = Math.sqrt(sq / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function newBalancedAllocation(rawArgs: unknown): PreScorePlugin & ScorePlugin {
  const args = (rawArgs ?? {}) as BalancedAllocationArgs;
  const resources = args.resources?.length ? args.resources.map((r) => ({ name: r.name, weight: r.weight || 1 })) : DEFAULT_RESOURCES;
  const alloc = new Array<number>(resources.length).fill(0);
  const req = new Array<number>(resources.length).fill(0);
  const cpuThenMemory = isCpuThenMemory(resources);
  return {
    name: Names.NodeResourcesBalancedAllocation,
    preScore(state: CycleState, pod: KObject) {
      const list = podRequestList(pod, resources, true);
      if (list.every((v) => v === 0)) return newStatus(Code.Skip);
      state.write(KEY, list);
      return undefined;
    },
    score(state: CycleState, pod: KObject, nodeInfo: NodeInfo) {
      const podReqs = state.read<number[]>(KEY) ?? podRequestList(pod, resources, true);
      if (cpuThenMemory) {
        // What allocatableAndRequested + balancedScore compute for cpu and memory.
        const n = nodeInfo.num;
        const allocCpu = n[Num.AllocCpu];
        const allocMem = n[Num.AllocMem];
        if (allocCpu === 0 || allocMem === 0) return MAX_NODE_SCORE;
        const cpu = Math.min((n[Num.ReqCpu] + podReqs[0]) / allocCpu, 1);
        const mem = Math.min((n[Num.ReqMem] + podReqs[1]) / allocMem, 1);
        return Math.trunc((1 - Math.abs((cpu - mem) / 2)) * MAX_NODE_SCORE);
      }
      allocatableAndRequested(nodeInfo, resources, podReqs, true, alloc, req);
      return balancedScore(req, alloc);
    },
  } satisfies PreScorePlugin & ScorePlugin;
}
