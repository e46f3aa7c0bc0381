/**
 * Round trips and field mappings of the shared-storage conversions
 * (HorizontalPodAutoscaler v1 ↔ v2, core Event ↔ events.k8s.io/v1 Event).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../types.ts";
import {
  behaviorAnnotation,
  canConvert,
  conditionsAnnotation,
  convertFromStorage,
  convertToStorage,
  currentMetricsAnnotation,
  metricsAnnotation,
} from "./index.ts";

const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };

function hpaV2(): KObject {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "default", resourceVersion: "7", annotations: { team: "a" } },
    spec: {
      scaleTargetRef: ref,
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "500Mi" } } },
        { type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } } },
        {
          type: "Object",
          object: {
            describedObject: { apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "main" },
            metric: { name: "requests", selector: { matchLabels: { a: "b" } } },
            target: { type: "Value", value: "2k" },
          },
        },
        {
          type: "External",
          external: { metric: { name: "queue", selector: { matchLabels: { q: "x" } } }, target: { type: "AverageValue", averageValue: "30" } },
        },
        {
          type: "ContainerResource",
          containerResource: { name: "cpu", container: "app", target: { type: "Utilization", averageUtilization: 60 } },
        },
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 75 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 10, periodSeconds: 60 }] } },
    },
    status: {
      observedGeneration: 3,
      lastScaleTime: "2026-01-02T03:04:05Z",
      currentReplicas: 4,
      desiredReplicas: 5,
      currentMetrics: [
        { type: "Resource", resource: { name: "cpu", current: { averageUtilization: 81, averageValue: "410m" } } },
        { type: "Pods", pods: { metric: { name: "qps" }, current: { averageValue: "12" } } },
      ],
      conditions: [{ type: "AbleToScale", status: "True", lastTransitionTime: "2026-01-02T03:04:05Z", reason: "ReadyForNewScale", message: "ok" }],
    },
  };
}

test("identical versions return the same object", () => {
  const o = hpaV2();
  assert.equal(convertFromStorage(o, "autoscaling/v2"), o);
  assert.equal(convertToStorage(o, "autoscaling/v2"), o);
  assert.ok(canConvert("Event", "v1", "events.k8s.io/v1"));
  assert.ok(!canConvert("Pod", "v1", "v2"));
  assert.throws(() => convertFromStorage({ apiVersion: "v1", kind: "Pod", metadata: {} }, "v2"), /no conversion/);
});

test("HPA v2 → v1 maps the CPU utilization target and status fields", () => {
  const v1 = convertFromStorage(hpaV2(), "autoscaling/v1");
  assert.equal(v1.apiVersion, "autoscaling/v1");
  assert.equal(v1.kind, "HorizontalPodAutoscaler");
  assert.deepEqual(v1.spec, { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 75 });
  assert.deepEqual(v1.status, {
    observedGeneration: 3,
    lastScaleTime: "2026-01-02T03:04:05Z",
    currentReplicas: 4,
    desiredReplicas: 5,
    currentCPUUtilizationPercentage: 81,
  });
  const ann = v1.metadata.annotations!;
  assert.equal(ann.team, "a");
  const others = JSON.parse(ann[metricsAnnotation]);
  assert.equal(others.length, 5, "every metric but the CPU utilization one");
  assert.deepEqual(others[0], { type: "Resource", resource: { name: "memory", targetAverageValue: "500Mi" } });
  assert.deepEqual(others[1], { type: "Pods", pods: { metricName: "qps", targetAverageValue: "10" } });
  assert.deepEqual(others[3].external, { metricName: "queue", metricSelector: { matchLabels: { q: "x" } }, targetAverageValue: "30" });
  assert.deepEqual(JSON.parse(ann[currentMetricsAnnotation])[0], {
    type: "Resource",
    resource: { name: "cpu", currentAverageUtilization: 81, currentAverageValue: "410m" },
  });
  assert.equal(JSON.parse(ann[conditionsAnnotation])[0].reason, "ReadyForNewScale");
  assert.equal(JSON.parse(ann[behaviorAnnotation]).scaleDown.stabilizationWindowSeconds, 300);
});

test("HPA v2 → v1 → v2 is lossless and strips the round-trip annotations", () => {
  const original = hpaV2();
  const snapshot = structuredClone(original);
  const back = convertToStorage(convertFromStorage(original, "autoscaling/v1"), "autoscaling/v2");
  assert.deepEqual(back, snapshot);
  assert.deepEqual(original, snapshot, "input not mutated");
});

test("HPA v1 → v2 → v1 is lossless", () => {
  const v1: KObject = {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "default" },
    spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 1, desiredReplicas: 2, currentCPUUtilizationPercentage: 90, lastScaleTime: "2026-01-02T03:04:05Z" },
  };
  const v2 = convertToStorage(v1, "autoscaling/v2");
  assert.deepEqual(v2.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
  assert.deepEqual(v2.status.currentMetrics, [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 90 } } }]);
  assert.equal(v2.metadata.annotations, undefined);
  assert.deepEqual(convertFromStorage(v2, "autoscaling/v1"), v1);
});

test("HPA v1 with annotations from an upstream server decodes capitalised keys; stale annotations are replaced", () => {
  const v1: KObject = {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name: "x",
      annotations: {
        [metricsAnnotation]: JSON.stringify([{ type: "Pods", pods: { metricName: "qps", targetAverageValue: "1" } }]),
        [behaviorAnnotation]: JSON.stringify({ ScaleUp: { StabilizationWindowSeconds: 0, SelectPolicy: "Max" } }),
        [conditionsAnnotation]: "not json",
      },
    },
    spec: { scaleTargetRef: ref, maxReplicas: 3 },
  };
  const v2 = convertToStorage(v1, "autoscaling/v2");
  assert.deepEqual(v2.spec.metrics, [{ type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1" } } }]);
  assert.deepEqual(v2.spec.behavior, { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max" } });
  assert.equal(v2.status, undefined);
  assert.equal(v2.metadata.annotations, undefined);

  const stale = hpaV2();
  stale.metadata.annotations![currentMetricsAnnotation] = "[]";
  delete stale.status;
  const again = convertFromStorage(stale, "autoscaling/v1");
  assert.equal(again.metadata.annotations![currentMetricsAnnotation], undefined);
});

function coreEvent(): KObject {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "web.1", namespace: "default", resourceVersion: "9" },
    involvedObject: { kind: "Pod", namespace: "default", name: "web", uid: "u1", apiVersion: "v1", fieldPath: "spec.containers{app}" },
    reason: "Pulled",
    message: "Pulled image",
    source: { component: "kubelet", host: "node-1" },
    firstTimestamp: "2026-01-02T03:04:05Z",
    lastTimestamp: "2026-01-02T03:05:05Z",
    count: 3,
    type: "Normal",
    eventTime: "2026-01-02T03:04:05.123456Z",
    series: { count: 2, lastObservedTime: "2026-01-02T03:05:05.000001Z" },
    action: "Pulling",
    related: { kind: "Node", name: "node-1" },
    reportingComponent: "kubelet",
    reportingInstance: "node-1",
  };
}

test("core Event → events.k8s.io/v1 renames fields", () => {
  const e = convertFromStorage(coreEvent(), "events.k8s.io/v1");
  assert.deepEqual(e, {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: "web.1", namespace: "default", resourceVersion: "9" },
    regarding: coreEvent().involvedObject,
    reason: "Pulled",
    note: "Pulled image",
    deprecatedSource: { component: "kubelet", host: "node-1" },
    deprecatedFirstTimestamp: "2026-01-02T03:04:05Z",
    deprecatedLastTimestamp: "2026-01-02T03:05:05Z",
    deprecatedCount: 3,
    type: "Normal",
    eventTime: "2026-01-02T03:04:05.123456Z",
    series: { count: 2, lastObservedTime: "2026-01-02T03:05:05.000001Z" },
    action: "Pulling",
    related: { kind: "Node", name: "node-1" },
    reportingController: "kubelet",
    reportingInstance: "node-1",
  });
});

test("Event round trips in both directions are lossless and do not alias the input", () => {
  const core = coreEvent();
  const there = convertFromStorage(core, "events.k8s.io/v1");
  there.regarding.name = "changed";
  assert.equal(core.involvedObject.name, "web");
  there.regarding.name = "web";
  assert.deepEqual(convertToStorage(there, "v1"), coreEvent());

  const ev: KObject = {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: "e", namespace: "kube-system" },
    eventTime: "2026-01-02T03:04:05.000000Z",
    reportingController: "example.com/ctrl",
    reportingInstance: "ctrl-0",
    action: "Reconcile",
    reason: "Synced",
    regarding: { kind: "ConfigMap", name: "cfg", namespace: "kube-system" },
    note: "done",
    type: "Normal",
  };
  const core2 = convertToStorage(ev, "v1");
  assert.equal(core2.message, "done");
  assert.equal(core2.reportingComponent, "example.com/ctrl");
  assert.deepEqual(core2.involvedObject, ev.regarding);
  assert.deepEqual(convertFromStorage(core2, "events.k8s.io/v1"), ev);
});
