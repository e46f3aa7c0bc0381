/**
 * HorizontalPodAutoscaler conversion between autoscaling/v2 (the stored form)
 * and autoscaling/v1, following upstream's rules: v1's single CPU target is the
 * v2 Resource metric `cpu` with a Utilization target; everything v1 cannot
 * express (other metrics, current metrics, conditions, behavior) travels in
 * the `autoscaling.alpha.kubernetes.io/*` annotations, written in v1's metric
 * shapes, so v2 → v1 → v2 keeps every field. Annotations are only a v1
 * artefact: they are stripped when converting back to v2.
 */
import type { KObject } from "../types.ts";

type J = Record<string, any>;

export const metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
export const currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
export const conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";
export const behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";
const roundTripAnnotations = [metricsAnnotation, currentMetricsAnnotation, conditionsAnnotation, behaviorAnnotation];

/** Copies only the keys whose values are defined. */
function pick(entries: Record<string, unknown>): J {
  const out: J = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}
const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const isCpuUtilization = (m: J | undefined): boolean =>
  m?.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.averageUtilization != null;

/** Metadata without round-trip annotations; `annotations` is dropped when it becomes empty. */
function stripAnnotations(metadata: J | undefined): J {
  const meta: J = clone(metadata) ?? {};
  if (!meta.annotations) return meta;
  for (const a of roundTripAnnotations) delete meta.annotations[a];
  if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  return meta;
}

/** JSON decoding tolerant of upstream's capitalised Go field names. */
function lowerKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (!v || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0].toLowerCase() + k.slice(1), lowerKeys(x)]));
}
function parse(s: string | undefined): any {
  if (s === undefined) return undefined;
  try {
    return lowerKeys(JSON.parse(s));
  } catch {
    return undefined;
  }
}

// --- metric specs: v2 ↔ v1 annotation shape ---------------------------------

function specToV1(m: J): J {
  const t: J = m.resource?.target ?? m.containerResource?.target ?? m.object?.target ?? m.pods?.target ?? m.external?.target ?? {};
  switch (m.type) {
    case "Resource":
      return { type: m.type, resource: pick({ name: m.resource.name, targetAverageUtilization: t.averageUtilization, targetAverageValue: t.averageValue }) };
    case "ContainerResource":
      return {
        type: m.type,
        containerResource: pick({
          name: m.containerResource.name,
          container: m.containerResource.container,
          targetAverageUtilization: t.averageUtilization,
          targetAverageValue: t.averageValue,
        }),
      };
    case "Object":
      return {
        type: m.type,
        object: pick({
          target: clone(m.object.describedObject),
          metricName: m.object.metric?.name,
          selector: clone(m.object.metric?.selector),
          targetValue: t.value,
          averageValue: t.averageValue,
        }),
      };
    case "Pods":
      return { type: m.type, pods: pick({ metricName: m.pods.metric?.name, selector: clone(m.pods.metric?.selector), targetAverageValue: t.averageValue }) };
    case "External":
      return {
        type: m.type,
        external: pick({
          metricName: m.external.metric?.name,
          metricSelector: clone(m.external.metric?.selector),
          targetValue: t.value,
          targetAverageValue: t.averageValue,
        }),
      };
  }
  return clone(m);
}

function metricId(name: string | undefined, selector: unknown): J {
  return pick({ name, selector: clone(selector) });
}

function specFromV1(m: J): J {
  switch (m.type) {
    case "Resource":
    case "ContainerResource": {
      const key = m.type === "Resource" ? "resource" : "containerResource";
      const s: J = m[key] ?? {};
      const target = pick({
        type: s.targetAverageUtilization != null ? "Utilization" : "AverageValue",
        averageUtilization: s.targetAverageUtilization,
        averageValue: s.targetAverageValue,
      });
      return { type: m.type, [key]: pick({ name: s.name, container: s.container, target }) };
    }
    case "Object": {
      const s: J = m.object ?? {};
      const target = pick({ type: s.averageValue != null ? "AverageValue" : "Value", value: s.targetValue, averageValue: s.averageValue });
      return { type: m.type, object: pick({ describedObject: clone(s.target), metric: metricId(s.metricName, s.selector), target }) };
    }
    case "Pods": {
      const s: J = m.pods ?? {};
      return {
        type: m.type,
        pods: { metric: metricId(s.metricName, s.selector), target: pick({ type: "AverageValue", averageValue: s.targetAverageValue }) },
      };
    }
    case "External": {
      const s: J = m.external ?? {};
      const target = pick({ type: s.targetValue != null ? "Value" : "AverageValue", value: s.targetValue, averageValue: s.targetAverageValue });
      return { type: m.type, external: { metric: metricId(s.metricName, s.metricSelector), target } };
    }
  }
  return clone(m);
}

// --- metric statuses ----------------------------------------------------------

function statusToV1(m: J): J {
  const c: J = m.resource?.current ?? m.containerResource?.current ?? m.object?.current ?? m.pods?.current ?? m.external?.current ?? {};
  switch (m.type) {
    case "Resource":
      return { type: m.type, resource: pick({ name: m.resource.name, currentAverageUtilization: c.averageUtilization, currentAverageValue: c.averageValue }) };
    case "ContainerResource":
      return {
        type: m.type,
        containerResource: pick({
          name: m.containerResource.name,
          container: m.containerResource.container,
          currentAverageUtilization: c.averageUtilization,
          currentAverageValue: c.averageValue,
        }),
      };
    case "Object":
      return {
        type: m.type,
        object: pick({
          target: clone(m.object.describedObject),
          metricName: m.object.metric?.name,
          selector: clone(m.object.metric?.selector),
          currentValue: c.value,
          averageValue: c.averageValue,
        }),
      };
    case "Pods":
      return { type: m.type, pods: pick({ metricName: m.pods.metric?.name, selector: clone(m.pods.metric?.selector), currentAverageValue: c.averageValue }) };
    case "External":
      return {
        type: m.type,
        external: pick({
          metricName: m.external.metric?.name,
          metricSelector: clone(m.external.metric?.selector),
          currentValue: c.value,
          currentAverageValue: c.averageValue,
        }),
      };
  }
  return clone(m);
}

function statusFromV1(m: J): J {
  switch (m.type) {
    case "Resource":
    case "ContainerResource": {
      const key = m.type === "Resource" ? "resource" : "containerResource";
      const s: J = m[key] ?? {};
      const current = pick({ averageUtilization: s.currentAverageUtilization, averageValue: s.currentAverageValue });
      return { type: m.type, [key]: pick({ name: s.name, container: s.container, current }) };
    }
    case "Object": {
      const s: J = m.object ?? {};
      return {
        type: m.type,
        object: pick({
          describedObject: clone(s.target),
          metric: metricId(s.metricName, s.selector),
          current: pick({ value: s.currentValue, averageValue: s.averageValue }),
        }),
      };
    }
    case "Pods": {
      const s: J = m.pods ?? {};
      return { type: m.type, pods: { metric: metricId(s.metricName, s.selector), current: pick({ averageValue: s.currentAverageValue }) } };
    }
    case "External": {
      const s: J = m.external ?? {};
      return {
        type: m.type,
        external: { metric: metricId(s.metricName, s.metricSelector), current: pick({ value: s.currentValue, averageValue: s.currentAverageValue }) },
      };
    }
  }
  return clone(m);
}

// --- whole objects -----------------------------------------------------------

/** autoscaling/v2 → autoscaling/v1. */
export function hpaV2ToV1(obj: KObject): KObject {
  const spec: J = obj.spec ?? {};
  const status: J | undefined = obj.status;
  const metadata = stripAnnotations(obj.metadata);
  const annotations: Record<string, string> = {};

  const metrics: J[] = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => !isCpuUtilization(m));
  if (others.length) annotations[metricsAnnotation] = JSON.stringify(others.map(specToV1));
  if (spec.behavior) annotations[behaviorAnnotation] = JSON.stringify(spec.behavior);
  const currentMetrics: J[] = status?.currentMetrics ?? [];
  // Upstream always writes current metrics; we skip the case the v1 field already represents exactly.
  const onlyCpu =
    currentMetrics.length === 1 &&
    currentMetrics[0].type === "Resource" &&
    currentMetrics[0].resource?.name === "cpu" &&
    Object.keys(currentMetrics[0].resource?.current ?? {}).join() === "averageUtilization";
  if (currentMetrics.length && !onlyCpu) annotations[currentMetricsAnnotation] = JSON.stringify(currentMetrics.map(statusToV1));
  if (status?.conditions?.length) annotations[conditionsAnnotation] = JSON.stringify(status.conditions);
  if (Object.keys(annotations).length) metadata.annotations = { ...metadata.annotations, ...annotations };

  const out: KObject = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata };
  if (obj.spec) {
    out.spec = pick({
      scaleTargetRef: clone(spec.scaleTargetRef),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource.target.averageUtilization,
    });
  }
  if (status) {
    const cpuNow = (status.currentMetrics as J[] | undefined)?.find(
      (m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource?.current?.averageUtilization != null,
    );
    out.status = pick({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas,
      desiredReplicas: status.desiredReplicas,
      currentCPUUtilizationPercentage: cpuNow?.resource.current.averageUtilization,
    });
  }
  return out;
}

/** autoscaling/v1 → autoscaling/v2. */
export function hpaV1ToV2(obj: KObject): KObject {
  const spec: J = obj.spec ?? {};
  const status: J | undefined = obj.status;
  const ann: Record<string, string> = obj.metadata?.annotations ?? {};
  const out: KObject = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: stripAnnotations(obj.metadata) };

  const others = parse(ann[metricsAnnotation]);
  const metrics: J[] = Array.isArray(others) ? others.map(specFromV1) : [];
  if (spec.targetCPUUtilizationPercentage != null) {
    metrics.push({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.targetCPUUtilizationPercentage } },
    });
  }
  const behavior = parse(ann[behaviorAnnotation]);
  if (obj.spec || metrics.length || behavior) {
    out.spec = pick({
      scaleTargetRef: clone(spec.scaleTargetRef),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: metrics.length ? metrics : undefined,
      behavior: behavior && typeof behavior === "object" ? behavior : undefined,
    });
  }

  const current = parse(ann[currentMetricsAnnotation]);
  const conditions = parse(ann[conditionsAnnotation]);
  if (status || current || conditions) {
    const s: J = status ?? {};
    let currentMetrics: J[] | undefined;
    if (Array.isArray(current)) currentMetrics = current.map(statusFromV1);
    else if (s.currentCPUUtilizationPercentage != null) {
      currentMetrics = [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: s.currentCPUUtilizationPercentage } } }];
    }
    out.status = pick({
      observedGeneration: s.observedGeneration,
      lastScaleTime: s.lastScaleTime,
      currentReplicas: s.currentReplicas,
      desiredReplicas: s.desiredReplicas,
      currentMetrics,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    });
  }
  return out;
}
