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
import type { Resource } from "../framework/resources.ts";

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

/** Which field of a Resource a scored resource reads. */
const Field = { Cpu: 0, Memory: 1, Ephemeral: 2, Pods: 3, Scalar: 4 } as const;
type Field = (typeof Field)[keyof typeof Field];

/**
 * Scored resources resolved once per plugin: the field each one reads, so
 * per-node scoring does no name lookups.
 */
export interface ScoredResources {
  names: string[];
  fields: Field[];
}

/**
 * Whether `resources` are cpu then memory and nothing else (the default):
 * the plugins score those with straight-line code, as this runs for every
 * scored node.
 */
export function isCpuThenMemory(resources: ResourceSpec[]): boolean {
  return resources.length === 2 && resources[0].name === "cpu" && resources[1].name === "memory";
}

/** Resolves `resources` for allocatableAndRequested. */
export function scoredResources(resources: ResourceSpec[]): ScoredResources {
  const field = (n: string): Field => (n === "cpu" ? Field.Cpu : n === "memory" ? Field.Memory : n === "ephemeral-storage" ? Field.Ephemeral : n === "pods" ? Field.Pods : Field.Scalar);
  return { names: resources.map((r) => r.name), fields: resources.map((r) => field(r.name)) };
}

function amount(r: Resource, f: Field, name: string): number {
  switch (f) {
    case Field.Cpu:
      return r.milliCPU;
    case Field.Memory:
      return r.memory;
    case Field.Ephemeral:
      return r.ephemeralStorage;
    case Field.Pods:
      return r.allowedPodNumber;
    default:
      return r.scalar[name] ?? 0;
  }
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
  resources: ScoredResources,
  podRequests: number[],
  useRequested: boolean,
  allocatable: number[],
  requested: number[],
): void {
  const { names, fields } = resources;
  const nodeAlloc = nodeInfo.allocatable;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const podReq = podRequests[i];
    allocatable[i] = 0;
    requested[i] = 0;
    if (podReq === 0 && f === Field.Scalar) continue;
    const alloc = amount(nodeAlloc, f, names[i]);
    if (alloc === 0) continue;
    const used = amount(!useRequested && (f === Field.Cpu || f === Field.Memory) ? nodeInfo.nonZeroRequested : nodeInfo.requested, f, names[i]);
    allocatable[i] = alloc;
    requested[i] = used + podReq;
  }
}
