/**
 * Shared scoring machinery for NodeResourcesFit and BalancedAllocation
 * (upstream resource_allocation.go): per scored resource, the node's
 * allocatable and (requested + pod's request), where cpu/memory use the
 * "non-zero" amounts unless `useRequested`. Extended resources the pod
 * does not request are left out.
 */
import type { KObject } from "../../api/types.ts";
import type { NodeInfo } from "../framework/node_info.ts";
import { podInfoFor } from "../framework/pod_info.ts";

export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

function isScalar(name: string): boolean {
  return name !== "cpu" && name !== "memory" && name !== "ephemeral-storage" && name !== "pods";
}

/**
 * Whether `resources` are cpu then memory and nothing else (the default):
 * the plugins score those with straight-line code, as this runs for every
 * scored node.
 */
export function isCpuThenMemory(resources: ResourceSpec[]): boolean {
  return resources.length === 2 && resources[0].name === "cpu" && resources[1].name === "memory";
}

/** The pod's request for each scored resource. */
export function podRequestList(pod: KObject, resources: ResourceSpec[], useRequested: boolean): number[] {
  const pr = podInfoFor(pod).requests;
  return resources.map((r) => {
    if (!useRequested && (r.name === "cpu" || r.name === "memory")) return pr.nonZero.get(r.name);
    return pr.requests.get(r.name);
  });
}

/**
 * Fills `allocatable` and `requested` for `nodeInfo`; entries stay 0 for
 * resources with zero allocatable or unrequested extended resources.
 */
export function allocatableAndRequested(
  nodeInfo: NodeInfo,
  resources: ResourceSpec[],
  podRequests: number[],
  useRequested: boolean,
  allocatable: number[],
  requested: number[],
): void {
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i].name;
    const podReq = podRequests[i];
    allocatable[i] = 0;
    requested[i] = 0;
    if (podReq === 0 && isScalar(name)) continue;
    const alloc = nodeInfo.allocatable.get(name);
    if (alloc === 0) continue;
    const used = !useRequested && (name === "cpu" || name === "memory") ? nodeInfo.nonZeroRequested.get(name) : nodeInfo.requested.get(name);
    allocatable[i] = alloc;
    requested[i] = used + podReq;
  }
}
