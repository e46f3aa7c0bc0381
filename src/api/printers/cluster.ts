/**
 * Tables of the smaller groups: coordination.k8s.io (Lease), policy
 * (PodDisruptionBudget), storage.k8s.io (StorageClass), scheduling.k8s.io
 * (PriorityClass) and autoscaling (HorizontalPodAutoscaler, v2 and v1 shapes).
 */

import type { KObject } from "../types.ts";
import { age, int, intOrString, str } from "./format.ts";
import { canonicalQuantity } from "./quantity.ts";
import { ageCol, col, nameCol, type Printer } from "./types.ts";

const name = (o: KObject) => str(o.metadata.name);

/** Lease: Name, Holder, Age. */
export const leasePrinter: Printer = {
  columns: [nameCol(), col("Holder", "string", "Identity currently holding the lease."), ageCol()],
  cells: (o, now) => [name(o), str(o.spec?.holderIdentity), age(o, now)],
};

/** PodDisruptionBudget: Name, Min Available, Max Unavailable, Allowed Disruptions, Age. */
export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameCol(),
    col("Min Available", "string", "Pods that must stay available."),
    col("Max Unavailable", "string", "Pods that may be unavailable."),
    col("Allowed Disruptions", "integer", "Pod disruptions currently allowed."),
    ageCol(),
  ],
  cells: (o, now) => [
    name(o),
    o.spec?.minAvailable !== undefined && o.spec?.minAvailable !== null ? intOrString(o.spec.minAvailable) : "N/A",
    o.spec?.maxUnavailable !== undefined && o.spec?.maxUnavailable !== null ? intOrString(o.spec.maxUnavailable) : "N/A",
    int(o.status?.disruptionsAllowed),
    age(o, now),
  ],
};

/** Whether a storage class is marked as the cluster default (GA or beta annotation). */
function isDefaultClass(o: KObject): boolean {
  const ann = o.metadata.annotations ?? {};
  return (
    ann["storageclass.kubernetes.io/is-default-class"] === "true" ||
    ann["storageclass.beta.kubernetes.io/is-default-class"] === "true"
  );
}

/** StorageClass: Name (with " (default)"), Provisioner, ReclaimPolicy, VolumeBindingMode, AllowVolumeExpansion, Age. */
export const storageClassPrinter: Printer = {
  columns: [
    nameCol(),
    col("Provisioner", "string", "Provisioner creating volumes of the class."),
    col("ReclaimPolicy", "string", "Reclaim policy of volumes of the class."),
    col("VolumeBindingMode", "string", "When volumes of the class are bound and provisioned."),
    col("AllowVolumeExpansion", "string", "Whether volumes of the class can be expanded."),
    ageCol(),
  ],
  cells: (o, now) => [
    isDefaultClass(o) ? `${name(o)} (default)` : name(o),
    str(o.provisioner),
    typeof o.reclaimPolicy === "string" ? o.reclaimPolicy : "Delete",
    typeof o.volumeBindingMode === "string" ? o.volumeBindingMode : "Immediate",
    o.allowVolumeExpansion === true,
    age(o, now),
  ],
};

/** PriorityClass: Name, Value, Global-Default, Age, PreemptionPolicy. */
export const priorityClassPrinter: Printer = {
  columns: [
    nameCol(),
    col("Value", "integer", "Priority given to pods of the class."),
    col("Global-Default", "boolean", "Whether the class applies to pods naming no class."),
    ageCol(),
    col("PreemptionPolicy", "string", "Whether pods of the class may preempt others."),
  ],
  cells: (o, now) => [name(o), int(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
};

interface MetricTarget {
  type?: string;
  value?: unknown;
  averageValue?: unknown;
  averageUtilization?: number;
}

interface MetricValue {
  value?: unknown;
  averageValue?: unknown;
  averageUtilization?: number;
}

interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; target?: MetricTarget };
  pods?: { target?: MetricTarget };
  object?: { target?: MetricTarget };
  external?: { target?: MetricTarget };
}

interface MetricStatus {
  resource?: { current?: MetricValue };
  containerResource?: { current?: MetricValue };
  pods?: { current?: MetricValue };
  object?: { current?: MetricValue };
  external?: { current?: MetricValue };
}

const has = (v: unknown) => v !== undefined && v !== null;

/** One metric as `current/target`, per upstream's rules for each metric source type. */
function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  // Absent quantities print as Go prints a nil quantity.
  const q = (v: unknown) => (has(v) ? canonicalQuantity(v) : "<nil>");
  switch (spec.type) {
    case "External":
    case "Object": {
      const key = spec.type === "External" ? "external" : "object";
      const target = spec[key]?.target ?? {};
      const cur = status?.[key];
      if (has(target.averageValue)) {
        const current = cur && has(cur.current?.averageValue) ? q(cur.current?.averageValue) : "<unknown>";
        return `${current}/${q(target.averageValue)} (avg)`;
      }
      const current = cur ? q(cur.current?.value) : "<unknown>";
      return `${current}/${q(target.value)}`;
    }
    case "Pods": {
      const current = status?.pods ? q(status.pods.current?.averageValue) : "<unknown>";
      return `${current}/${q(spec.pods?.target?.averageValue)}`;
    }
    case "Resource":
    case "ContainerResource": {
      const key = spec.type === "Resource" ? "resource" : "containerResource";
      const src = spec[key] ?? {};
      const target = src.target ?? {};
      const cur = status?.[key];
      if (has(target.averageValue)) {
        const current = cur ? q(cur.current?.averageValue) : "<unknown>";
        return `${str(src.name)}: ${current}/${q(target.averageValue)}`;
      }
      const util = cur?.current?.averageUtilization;
      const current = typeof util === "number" ? `${util}%` : "<unknown>";
      const t = typeof target.averageUtilization === "number" ? `${target.averageUtilization}%` : "<auto>";
      return `${str(src.name)}: ${current}/${t}`;
    }
  }
  return "<unknown type>";
}

/** The TARGETS cell: up to two metrics, then " + N more...". "<none>" without metrics. */
export function hpaTargets(specs: MetricSpec[], statuses: MetricStatus[]): string {
  if (specs.length === 0) return "<none>";
  const list = specs.map((s, i) => formatMetric(s, statuses[i]));
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(", ")} + ${list.length - max} more...`;
  return list.join(", ");
}

/** Metrics of an HPA in v2 terms; autoscaling/v1 objects carry only a CPU utilization target. */
function hpaMetrics(o: KObject): { specs: MetricSpec[]; statuses: MetricStatus[] } {
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  if (Array.isArray(spec.metrics) || !("targetCPUUtilizationPercentage" in spec)) {
    return { specs: spec.metrics ?? [], statuses: status.currentMetrics ?? [] };
  }
  const specs: MetricSpec[] = [];
  const statuses: MetricStatus[] = [];
  if (typeof spec.targetCPUUtilizationPercentage === "number") {
    specs.push({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.targetCPUUtilizationPercentage } },
    });
    if (typeof status.currentCPUUtilizationPercentage === "number") {
      statuses.push({ resource: { current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
  }
  return { specs, statuses };
}

/** HorizontalPodAutoscaler: Name, Reference, Targets, MinPods, MaxPods, Replicas, Age. */
export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameCol(),
    col("Reference", "string", "Workload the autoscaler scales."),
    col("Targets", "string", "Current and target values of the metrics."),
    col("MinPods", "string", "Lower bound on the number of replicas."),
    col("MaxPods", "string", "Upper bound on the number of replicas."),
    col("Replicas", "string", "Current number of replicas."),
    ageCol(),
  ],
  cells(o, now) {
    const ref = o.spec?.scaleTargetRef ?? {};
    const { specs, statuses } = hpaMetrics(o);
    return [
      name(o),
      `${str(ref.kind)}/${str(ref.name)}`,
      hpaTargets(specs, statuses),
      typeof o.spec?.minReplicas === "number" ? String(o.spec.minReplicas) : "<unset>",
      int(o.spec?.maxReplicas),
      int(o.status?.currentReplicas),
      age(o, now),
    ];
  },
};
