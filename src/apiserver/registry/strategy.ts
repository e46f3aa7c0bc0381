/**
 * Per-kind registry behaviour that is not defaulting or validation: which
 * kinds track metadata.generation, what status looks like on create, which
 * kinds may be created by PUT, and graceful deletion of pods.
 */
import type { ResourceInfo } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";

/** Kinds whose metadata.generation counts spec changes. */
const generationKinds = new Set([
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "ReplicationController",
  "Job",
  "CronJob",
  "HorizontalPodAutoscaler",
  "Ingress",
  "NetworkPolicy",
  "PodDisruptionBudget",
  "PersistentVolumeClaim",
  "Service",
]);

/** Kinds that PUT may create when the object does not exist (upstream AllowCreateOnUpdate). */
const createOnUpdateKinds = new Set(["Endpoints", "Event", "Lease", "LimitRange", "EndpointSlice"]);

export function tracksGeneration(info: ResourceInfo): boolean {
  return generationKinds.has(info.kind);
}

export function allowsCreateOnUpdate(info: ResourceInfo): boolean {
  return createOnUpdateKinds.has(info.kind);
}

export function hasStatusSubresource(info: ResourceInfo): boolean {
  return info.subresources.includes("status");
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

/** The pod QoS class as upstream computes it from container requests and limits. */
export function podQosClass(pod: KObject): "Guaranteed" | "Burstable" | "BestEffort" {
  const containers: { resources?: Resources }[] = [
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.containers ?? []),
  ];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ["cpu", "memory"]) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && req[r] !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** Sets the status a new object starts with (client-supplied status is dropped where upstream drops it). */
export function prepareStatusForCreate(info: ResourceInfo, obj: KObject): void {
  switch (info.kind) {
    case "Pod":
      obj.status = { phase: "Pending", qosClass: podQosClass(obj) };
      if (Array.isArray(obj.spec?.schedulingGates) && obj.spec.schedulingGates.length) {
        // Upstream's applySchedulingGatedCondition: kubectl shows the pod as SchedulingGated.
        obj.status.conditions = [
          { type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: null, reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates" },
        ];
      }
      return;
    case "Namespace":
      obj.status = { phase: "Active" };
      obj.spec = { ...(obj.spec ?? {}), finalizers: ["kubernetes"] };
      return;
    case "PersistentVolumeClaim":
    case "PersistentVolume":
      obj.status = { phase: "Pending" };
      return;
    case "Node":
    case "Event":
      return;
    default:
      if (hasStatusSubresource(info)) obj.status = {};
  }
}

/**
 * Pods on a node are deleted gracefully: the API marks them and the kubelet
 * finishes the deletion. Returns the grace period to mark with, or undefined
 * when the object is to be deleted at once.
 */
export function gracefulDeletionSeconds(info: ResourceInfo, obj: KObject, requested: number | undefined): number | undefined {
  if (info.kind !== "Pod") return undefined;
  const phase = obj.status?.phase;
  if (!obj.spec?.nodeName || phase === "Succeeded" || phase === "Failed") return undefined;
  const grace = requested ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
  return grace > 0 ? grace : undefined;
}
