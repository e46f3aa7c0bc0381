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
import type { NodeInfo } from "../framework/node_info.ts";
import { Code, newStatus } from "../framework/status.ts";
import { Names } from "./names.ts";
import { allocatableAndRequested, DEFAULT_RESOURCES, podRequestList, type ResourceSpec } from "./resource_allocation.ts";

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

const KEY = "PreScore" + Names.NodeResourcesBalancedAllocation;

/** 1 - standard deviation of requested/allocatable fractions (capped at 1), times 100. */
export function balancedScore(requested: number[], allocatable: number[]): number {
  const fr: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(requested[i] / allocatable[i], 1);
    total += f;
    fr.push(f);
  }
  let std = 0;
  if (fr.length === 2) std = Math.abs((fr[0] - fr[1]) / 2);
  else if (fr.length > 2) {
    const mean = total / fr.length;
    std = Math.sqrt(fr.reduce((s, f) => s + (f - mean) * (f - mean), 0) / fr.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function newBalancedAllocation(rawArgs: unknown): PreScorePlugin & ScorePlugin {
  const args = (rawArgs ?? {}) as BalancedAllocationArgs;
  const resources = args.resources?.length ? args.resources.map((r) => ({ name: r.name, weight: r.weight || 1 })) : DEFAULT_RESOURCES;
  const alloc = new Array<number>(resources.length);
  const req = new Array<number>(resources.length);
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
      allocatableAndRequested(nodeInfo, resources, podReqs, true, alloc, req);
      return balancedScore(req, alloc);
    },
  } satisfies PreScorePlugin & ScorePlugin;
}
