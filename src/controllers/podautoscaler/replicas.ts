/**
 * The HPA replica calculation for resource metrics (upstream
 * replica_calculator.go), as pure functions of the target's pods and their
 * metrics. Pods are grouped into ready (counted), unready (pending, or for
 * CPU not yet ready / still initialising: ignored unless scaling up, then
 * counted as 0 %), missing (no metric: 100 % of request on scale-down, 0 %
 * on scale-up) and ignored (deleting or failed). A usage ratio within the
 * tolerance (default 10 %) keeps the current count; a re-evaluation with the
 * filled-in values that flips the direction also keeps it.
 */
import type { KObject } from "../../api/types.ts";
import { tryParseQuantity } from "../../machinery/quantity.ts";
import type { PodMetric } from "./metrics.ts";

/** Upstream's --horizontal-pod-autoscaler-tolerance. */
export const defaultTolerance = 0.1;
/** Upstream's --horizontal-pod-autoscaler-cpu-initialization-period. */
export const defaultCpuInitializationPeriodMs = 5 * 60_000;
/** Upstream's --horizontal-pod-autoscaler-initial-readiness-delay. */
export const defaultInitialReadinessDelayMs = 30_000;

/** What every resource replica calculation needs. */
export interface ReplicaCalcInput {
  currentReplicas: number;
  /** The pods the target's selector matches. */
  pods: KObject[];
  /** Per-pod usage of `resource` in milli-units, keyed by pod name. */
  metrics: Map<string, PodMetric>;
  resource: string;
  /** Restrict to one container (ContainerResource metrics). */
  container?: string;
  now: number;
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}

/** Result of a utilization-target calculation. */
export interface UtilizationResult {
  replicas: number;
  /** Current average utilization in percent of request. */
  utilization: number;
  /** Current average usage per pod in milli-units. */
  rawValue: number;
}

interface Groups {
  ready: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

function readyCondition(pod: KObject): { status: string; lastTransitionTime?: string } | undefined {
  return (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
}

/** groupPods: sorts the pods into ready, unready, missing-metric and ignored. */
function groupPods(input: ReplicaCalcInput): Groups {
  const g: Groups = { ready: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  const initMs = input.cpuInitializationPeriodMs ?? defaultCpuInitializationPeriodMs;
  const delayMs = input.initialReadinessDelayMs ?? defaultInitialReadinessDelayMs;
  for (const pod of input.pods) {
    const name = pod.metadata.name ?? "";
    if (pod.metadata.deletionTimestamp || pod.status?.phase === "Failed") {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === "Pending") {
      g.unready.add(name);
      continue;
    }
    const metric = input.metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (input.resource === "cpu") {
      const cond = readyCondition(pod);
      const start = Date.parse(pod.status?.startTime ?? "");
      let unready: boolean;
      if (!cond || Number.isNaN(start)) unready = true;
      else {
        const transition = Date.parse(cond.lastTransitionTime ?? "") || 0;
        if (start + initMs > input.now) unready = cond.status === "False" || metric.timestamp < transition + metric.windowMs;
        else unready = cond.status === "False" && start + delayMs > transition;
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.ready++;
  }
  return g;
}

/**
 * calculatePodRequests: per pod, the sum of the resource's requests (in
 * milli-units) over app containers and restartable init containers (only
 * `container` when given). A limit stands in for a missing request, as API
 * defaulting does; a container with neither is an error.
 */
export function podRequestsMilli(pods: KObject[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers: KObject[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c: KObject) => c.restartPolicy === "Always")];
    let sum = 0;
    for (const c of containers) {
      if (container !== undefined && c.name !== container) continue;
      const q = tryParseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);
      if (!q) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += q.milliValue();
    }
    out.set(pod.metadata.name ?? "", sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: usage over requests of the pods having both, against a target percentage. */
export function utilizationRatio(metrics: Map<string, PodMetric>, requests: Map<string, number>, target: number): { ratio: number; utilization: number; rawValue: number } {
  let usage = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    usage += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new Error("no metrics returned matched known pods");
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / target, utilization, rawValue: Math.trunc(usage / n) };
}

/** GetMetricUsageRatio: average usage over a target average value. */
function averageValueRatio(metrics: Map<string, PodMetric>, target: number): { ratio: number; rawValue: number } {
  let usage = 0;
  for (const m of metrics.values()) usage += m.value;
  const rawValue = Math.trunc(usage / metrics.size);
  return { ratio: rawValue / target, rawValue };
}

function calculate(
  input: ReplicaCalcInput,
  ratioOf: (metrics: Map<string, PodMetric>) => number,
  missingValue: (pod: string) => number,
  rebalanceUnready: boolean,
): number {
  const tolerance = input.tolerance ?? defaultTolerance;
  const g = groupPods(input);
  const metrics = new Map(input.metrics);
  for (const name of [...g.ignored, ...g.unready]) metrics.delete(name);
  for (const name of metrics.keys()) if (!input.pods.some((p) => p.metadata.name === name)) metrics.delete(name);
  if (metrics.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const ratio = ratioOf(metrics);
  const scaleUpWithUnready = rebalanceUnready && g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return input.currentReplicas;
    return Math.ceil(ratio * g.ready);
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) metrics.set(name, { value: ratio < 1 ? missingValue(name) : 0, timestamp: input.now, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, { value: 0, timestamp: input.now, windowMs: 0 });
  const next = ratioOf(metrics);
  if (Math.abs(1 - next) <= tolerance || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return input.currentReplicas;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > input.currentReplicas) || (next > 1 && replicas < input.currentReplicas)) return input.currentReplicas;
  return replicas;
}

/**
 * GetResourceReplicas: the replica count that brings average utilization
 * (percent of request) to `targetUtilization`. Throws upstream's errors when
 * there are no pods, no usable metrics or missing requests.
 */
export function resourceReplicas(input: ReplicaCalcInput & { targetUtilization: number }): UtilizationResult {
  if (input.pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const requests = podRequestsMilli(input.pods, input.resource, input.container);
  const g = groupPods(input);
  const usable = new Map([...input.metrics].filter(([name]) => requests.has(name) && !g.ignored.has(name) && !g.unready.has(name)));
  const first = usable.size ? utilizationRatio(usable, requests, input.targetUtilization) : undefined;
  const replicas = calculate(
    input,
    (m) => utilizationRatio(m, requests, input.targetUtilization).ratio,
    (pod) => Math.max(requests.get(pod) ?? 0, Math.trunc(((requests.get(pod) ?? 0) * input.targetUtilization) / 100)),
    true,
  );
  return { replicas, utilization: first?.utilization ?? 0, rawValue: first?.rawValue ?? 0 };
}

/**
 * GetRawResourceReplicas: the replica count that brings the average usage
 * per pod (milli-units) to `targetAverageValue`.
 */
export function rawResourceReplicas(input: ReplicaCalcInput & { targetAverageValue: number }): { replicas: number; rawValue: number } {
  if (input.pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const g = groupPods(input);
  const usable = new Map([...input.metrics].filter(([name]) => !g.ignored.has(name) && !g.unready.has(name) && input.pods.some((p) => p.metadata.name === name)));
  const replicas = calculate(input, (m) => averageValueRatio(m, input.targetAverageValue).ratio, () => input.targetAverageValue, true);
  return { replicas, rawValue: usable.size ? averageValueRatio(usable, input.targetAverageValue).rawValue : 0 };
}
