/**
 * computeReplicasForMetrics (upstream horizontal.go): turns an HPA's
 * spec.metrics into one replica proposal, metric statuses and the
 * ScalingActive condition. Resource and ContainerResource metrics are
 * computed from the MetricsSource; Pods, Object and External metrics need a
 * custom/external metrics API, which this cluster does not serve, so they
 * fail the way upstream does without one. Errors carry upstream's wording
 * and every failing metric records its Warning event.
 */
import type { KObject } from "../../api/types.ts";
import { Quantity, tryParseQuantity } from "../../machinery/quantity.ts";
import type { Selector } from "../../machinery/labels.ts";
import { resourceMetrics, type MetricsSource, type PodMetrics } from "./metrics.ts";
import { rawResourceReplicas, resourceReplicas } from "./replicas.ts";

/** A condition the HPA should carry. */
export interface HpaCondition {
  type: "AbleToScale" | "ScalingActive" | "ScalingLimited";
  status: "True" | "False";
  reason: string;
  message: string;
}

/** One entry of status.currentMetrics (autoscaling/v2 MetricStatus). */
export type MetricStatus = Record<string, unknown>;

/** What computing the metrics needs from the controller. */
export interface ComputeContext {
  hpa: KObject;
  /** The target's pods (matching the scale's selector). */
  pods: KObject[];
  selector: Selector;
  specReplicas: number;
  source: MetricsSource;
  now: number;
  tolerance: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
  event(type: "Normal" | "Warning", reason: string, message: string): void;
}

/** Outcome of computeReplicasForMetrics. `replicas` is -1 when no proposal may be acted on. */
export interface MetricsOutcome {
  replicas: number;
  metricName: string;
  statuses: MetricStatus[];
  condition: HpaCondition;
  error?: Error;
}

class MetricError extends Error {
  readonly reason: string;
  readonly inner: Error;
  constructor(reason: string, message: string, inner: Error) {
    super(message);
    this.reason = reason;
    this.inner = inner;
  }
}

const milli = (v: number): string => new Quantity(BigInt(Math.trunc(v)), -3).toString();

/** The pod metrics of one sync, fetched at most once. */
function lazyMetrics(c: ComputeContext): () => Promise<PodMetrics[]> {
  let p: Promise<PodMetrics[]> | undefined;
  return () => (p ??= c.source.podMetrics(c.hpa.metadata.namespace ?? "", c.selector.toString()));
}

async function resourceProposal(c: ComputeContext, spec: KObject, fetch: () => Promise<PodMetrics[]>): Promise<{ replicas: number; name: string; status: MetricStatus }> {
  const container = spec.type === "ContainerResource";
  const src = (container ? spec.containerResource : spec.resource) ?? {};
  const name: string = src.name ?? "";
  const reason = container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
  const outer = container ? `failed to get ${name} container metric value` : `failed to get ${name} resource metric value`;
  const fail = (err: Error, wrap = true): never => {
    const inner = wrap ? new Error(`failed to get ${name} utilization: ${err.message}`) : err;
    throw new MetricError(reason, `${outer}: ${inner.message}`, inner);
  };
  const target = src.target ?? {};
  if (target.averageValue === undefined && target.averageUtilization === undefined) {
    fail(new Error("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"), false);
  }
  let items: PodMetrics[] = [];
  try {
    items = await fetch();
  } catch (err) {
    fail(new Error(`unable to get metrics for resource ${name}: ${(err as Error).message}`));
  }
  const input = {
    currentReplicas: c.specReplicas,
    pods: c.pods,
    metrics: resourceMetrics(items, name, container ? src.container : undefined),
    resource: name,
    container: container ? src.container : undefined,
    now: c.now,
    tolerance: c.tolerance,
    cpuInitializationPeriodMs: c.cpuInitializationPeriodMs,
    initialReadinessDelayMs: c.initialReadinessDelayMs,
  };
  const statusKey = container ? "containerResource" : "resource";
  const ident = container ? { name, container: src.container } : { name };
  try {
    if (target.averageValue !== undefined) {
      const q = tryParseQuantity(target.averageValue);
      if (!q) throw new Error(`invalid target average value ${JSON.stringify(target.averageValue)}`);
      const r = rawResourceReplicas({ ...input, targetAverageValue: q.milliValue() });
      return { replicas: r.replicas, name: `${name} resource`, status: { type: spec.type, [statusKey]: { ...ident, current: { averageValue: milli(r.rawValue) } } } };
    }
    const r = resourceReplicas({ ...input, targetUtilization: target.averageUtilization });
    const label = container ? `${name} container resource utilization (percentage of request)` : `${name} resource utilization (percentage of request)`;
    return {
      replicas: r.replicas,
      name: label,
      status: { type: spec.type, [statusKey]: { ...ident, current: { averageUtilization: r.utilization, averageValue: milli(r.rawValue) } } },
    };
  } catch (err) {
    if (err instanceof MetricError) throw err;
    return fail(err as Error);
  }
}

function unsupported(spec: KObject): MetricError {
  switch (spec.type) {
    case "Pods": {
      const name = spec.pods?.metric?.name ?? "";
      const inner = new Error(`unable to get metric ${name}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`);
      return new MetricError("FailedGetPodsMetric", `failed to get pods metric value: ${inner.message}`, inner);
    }
    case "Object": {
      const name = spec.object?.metric?.name ?? "";
      const obj = spec.object?.describedObject ?? {};
      const inner = new Error(
        `unable to get metric ${name}: ${obj.kind} on ${obj.name} unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`,
      );
      return new MetricError("FailedGetObjectMetric", `failed to get object metric value: ${inner.message}`, inner);
    }
    case "External": {
      const name = spec.external?.metric?.name ?? "";
      const inner = new Error(`unable to get external metric ${name}: unable to fetch metrics from external metrics API: the server could not find the requested resource (get ${name}.external.metrics.k8s.io)`);
      return new MetricError("FailedGetExternalMetric", `failed to get ${name} external metric value: ${inner.message}`, inner);
    }
    default: {
      const inner = new Error(`unknown metric source type ${JSON.stringify(spec.type ?? "")}`);
      return new MetricError("InvalidMetricSourceType", inner.message, inner);
    }
  }
}

/**
 * Computes the proposal over all metrics: the largest proposal of the valid
 * ones. When every metric fails, or some fail and the valid ones would
 * scale down, the outcome carries the first failure (replicas -1).
 */
export async function computeReplicasForMetrics(c: ComputeContext): Promise<MetricsOutcome> {
  const specs: KObject[] = c.hpa.spec?.metrics ?? [];
  const fetch = lazyMetrics(c);
  const statuses: MetricStatus[] = [];
  let replicas = 0;
  let metricName = "";
  let invalid = 0;
  let first: MetricError | undefined;
  for (const spec of specs) {
    try {
      if (spec.type !== "Resource" && spec.type !== "ContainerResource") throw unsupported(spec);
      const p = await resourceProposal(c, spec, fetch);
      statuses.push(p.status);
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metricName = p.name;
      }
    } catch (err) {
      const e = err instanceof MetricError ? err : new MetricError("FailedGetResourceMetric", String((err as Error)?.message ?? err), err as Error);
      c.event("Warning", e.reason, e.inner.message);
      first ??= e;
      invalid++;
    }
  }
  if (first && (invalid >= specs.length || replicas < c.specReplicas)) {
    return {
      replicas: -1,
      metricName: "",
      statuses,
      condition: { type: "ScalingActive", status: "False", reason: first.reason, message: `the HPA was unable to compute the replica count: ${first.inner.message}` },
      error: new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`),
    };
  }
  return {
    replicas,
    metricName,
    statuses,
    condition: { type: "ScalingActive", status: "True", reason: "ValidMetricFound", message: `the HPA was able to successfully calculate a replica count from ${metricName}` },
  };
}
