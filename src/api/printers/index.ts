/**
 * Server-side table printing: the column definitions and row cells of the
 * meta.k8s.io/v1 Table served for `kubectl get`, matching upstream's printers
 * for every served kind. The server always prints wide, so the cells of
 * priority-1 columns are always filled; clients hide them unless `-o wide`.
 * Kinds without a dedicated printer (LimitRange, Binding) get upstream's
 * default table: Name and Created At.
 */

import type { ResourceInfo } from "../resources.ts";
import type { KObject } from "../types.ts";
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from "./apps.ts";
import { cronJobPrinter, jobPrinter } from "./batch.ts";
import { certificateSigningRequestPrinter } from "./certificates.ts";
import {
  horizontalPodAutoscalerPrinter,
  leasePrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  storageClassPrinter,
} from "./cluster.ts";
import {
  configMapPrinter,
  endpointsPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  replicationControllerPrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from "./core.ts";
import { eventPrinter } from "./events.ts";
import { str } from "./format.ts";
import { endpointSlicePrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from "./networking.ts";
import { podPrinter } from "./pod.ts";
import { col, nameCol, type Printer, type TableColumn } from "./types.ts";

export type { TableColumn } from "./types.ts";
export { humanDuration } from "./format.ts";

/** Printers by `group/Kind` (the group is empty for core); versions of one group share a printer. */
const printers = new Map<string, Printer>([
  ["/Pod", podPrinter],
  ["/Namespace", namespacePrinter],
  ["/Service", servicePrinter],
  ["/Endpoints", endpointsPrinter],
  ["/ConfigMap", configMapPrinter],
  ["/Secret", secretPrinter],
  ["/ServiceAccount", serviceAccountPrinter],
  ["/Node", nodePrinter],
  ["/Event", eventPrinter],
  ["/PersistentVolume", persistentVolumePrinter],
  ["/PersistentVolumeClaim", persistentVolumeClaimPrinter],
  ["/ResourceQuota", resourceQuotaPrinter],
  ["/ReplicationController", replicationControllerPrinter],
  ["apps/Deployment", deploymentPrinter],
  ["apps/ReplicaSet", replicaSetPrinter],
  ["apps/StatefulSet", statefulSetPrinter],
  ["apps/DaemonSet", daemonSetPrinter],
  ["apps/ControllerRevision", controllerRevisionPrinter],
  ["batch/Job", jobPrinter],
  ["batch/CronJob", cronJobPrinter],
  ["discovery.k8s.io/EndpointSlice", endpointSlicePrinter],
  ["coordination.k8s.io/Lease", leasePrinter],
  ["networking.k8s.io/Ingress", ingressPrinter],
  ["networking.k8s.io/IngressClass", ingressClassPrinter],
  ["networking.k8s.io/NetworkPolicy", networkPolicyPrinter],
  ["policy/PodDisruptionBudget", podDisruptionBudgetPrinter],
  ["storage.k8s.io/StorageClass", storageClassPrinter],
  ["scheduling.k8s.io/PriorityClass", priorityClassPrinter],
  ["events.k8s.io/Event", eventPrinter],
  ["autoscaling/HorizontalPodAutoscaler", horizontalPodAutoscalerPrinter],
  ["certificates.k8s.io/CertificateSigningRequest", certificateSigningRequestPrinter],
]);

/** RFC 3339 in UTC with whole seconds, as Go formats a time; Go's zero time when unset. */
function rfc3339(ts: string | undefined): string {
  const t = ts ? Date.parse(ts) : Number.NaN;
  if (Number.isNaN(t)) return "0001-01-01T00:00:00Z";
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Upstream's table for kinds without a printer. */
const defaultPrinter: Printer = {
  columns: [nameCol(), col("Created At", "date", "Time the object was created.")],
  cells: (o) => [str(o.metadata.name), rfc3339(o.metadata.creationTimestamp)],
};

function printerFor(info: ResourceInfo): Printer {
  return printers.get(`${info.group}/${info.kind}`) ?? defaultPrinter;
}

/**
 * Column definitions of the kind's table, in order, including the wide
 * (priority 1) ones. Returns fresh objects the caller may keep or mutate.
 */
export function tableColumns(info: ResourceInfo): TableColumn[] {
  return printerFor(info).columns.map((c) => ({ ...c }));
}

/**
 * One row's cells, aligned with tableColumns(info); `now` is the reference
 * time for ages and durations. Cells are strings, numbers or booleans exactly
 * as upstream puts them in the row (upstream's own column types are kept even
 * where a "string" column carries a number).
 */
export function tableCells(info: ResourceInfo, obj: KObject, now: Date): unknown[] {
  return printerFor(info).cells(obj, now);
}
