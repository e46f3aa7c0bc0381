/**
 * HPA controller tests against an in-process apiserver: without a metrics
 * API (404) the HPA reports SucceededGetScale / FailedGetResourceMetric and
 * a Warning event while keeping the count; a target outside
 * [minReplicas, maxReplicas] is scaled to the bound; with an injected
 * metrics source the target scales up on high CPU and back down once the
 * stabilization window has passed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import type { ApiClient } from "../../client/index.ts";
import { replicaSetController } from "../replicaset/index.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { newHorizontalPodAutoscalerController, type MetricsSource, type PodMetrics } from "./index.ts";

const hpaRes = findResource("autoscaling", "v2", "horizontalpodautoscalers")!;
const rsRes = findResource("apps", "v1", "replicasets")!;
const podsRes = findResource("", "v1", "pods")!;
const eventsRes = findResource("", "v1", "events")!;

function replicaSet(name: string, replicas: number): KObject {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "nginx", resources: { requests: { cpu: "100m" } } }] } },
    },
  } as KObject;
}

function hpa(name: string, min: number, max: number): KObject {
  return {
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "ReplicaSet", name },
      minReplicas: min,
      maxReplicas: max,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }],
    },
  } as KObject;
}

function condition(h: KObject, type: string): { status: string; reason: string; message: string } | undefined {
  return (h.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

async function replicasOf(c: ApiClient, name: string): Promise<number> {
  return (await c.resource(rsRes).get("default", name)).spec.replicas;
}

test("without a metrics API the HPA keeps the count and says why", async () => {
  const env = await startControllerTestEnv({ horizontalpodautoscaling: () => newHorizontalPodAutoscalerController({ syncPeriodMs: 300 }) }, { nodes: 1, bind: false });
  const c = env.client;
  try {
    await c.resource(rsRes).create("default", replicaSet("web", 2));
    await c.resource(hpaRes).create("default", hpa("web", 1, 5));
    const h = await eventually("status with conditions", async () => {
      const cur = await c.resource(hpaRes).get("default", "web");
      return condition(cur, "ScalingActive") ? cur : undefined;
    });
    assert.equal(h.status.currentReplicas, 2);
    assert.equal(h.status.desiredReplicas, 2);
    assert.deepEqual({ ...condition(h, "AbleToScale"), lastTransitionTime: undefined }, {
      type: "AbleToScale",
      status: "True",
      reason: "SucceededGetScale",
      message: "the HPA controller was able to get the target's current scale",
      lastTransitionTime: undefined,
    });
    const active = condition(h, "ScalingActive")!;
    assert.equal(active.status, "False");
    assert.equal(active.reason, "FailedGetResourceMetric");
    assert.equal(
      active.message,
      "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)",
    );
    const ev = await eventually("FailedGetResourceMetric event", async () => {
      const items = (await c.resource(eventsRes).list("default")).items;
      return items.find((e) => e.involvedObject?.name === "web" && e.reason === "FailedGetResourceMetric");
    });
    assert.equal(ev.type, "Warning");
    assert.equal(ev.source?.component, "horizontal-pod-autoscaler");
    assert.equal(await replicasOf(c, "web"), 2);
  } finally {
    await env.stop();
  }
});

test("a target outside [minReplicas, maxReplicas] is scaled to the bound", async () => {
  const env = await startControllerTestEnv({ horizontalpodautoscaling: () => newHorizontalPodAutoscalerController({ syncPeriodMs: 300 }) }, { nodes: 1, bind: false });
  const c = env.client;
  try {
    await c.resource(rsRes).create("default", replicaSet("big", 7));
    await c.resource(rsRes).create("default", replicaSet("small", 1));
    await c.resource(hpaRes).create("default", hpa("big", 1, 3));
    await c.resource(hpaRes).create("default", hpa("small", 2, 4));
    await eventually("big scaled to max", async () => ((await replicasOf(c, "big")) === 3 ? true : undefined));
    await eventually("small scaled to min", async () => ((await replicasOf(c, "small")) === 2 ? true : undefined));
    const big = await c.resource(hpaRes).get("default", "big");
    assert.equal(condition(big, "ScalingLimited"), undefined, "upstream rescales to a bound without a ScalingLimited condition");
    assert.equal(condition(big, "AbleToScale")?.reason, "SucceededRescale");
    assert.ok(big.status.lastScaleTime);
    assert.equal(big.status.desiredReplicas, 3);
    const small = await c.resource(hpaRes).get("default", "small");
    assert.equal(condition(small, "ScalingLimited"), undefined);
    await eventually("SuccessfulRescale event", async () => {
      const items = (await c.resource(eventsRes).list("default")).items;
      return items.find((e) => e.involvedObject?.name === "big" && e.reason === "SuccessfulRescale" && /New size: 3; reason: Current number of replicas above Spec.MaxReplicas/.test(e.message));
    });
  } finally {
    await env.stop();
  }
});

/** A metrics source reporting `usage.milli` CPU for every pod the selector matches. */
function fakeSource(client: ApiClient, usage: { milli: number }): MetricsSource {
  return {
    async podMetrics(namespace: string, selector: string): Promise<PodMetrics[]> {
      const pods = (await client.resource(podsRes).list(namespace, { labelSelector: selector })).items;
      return pods.map((p) => ({ name: p.metadata.name!, timestamp: Date.now(), windowMs: 30_000, containers: [{ name: "c", usage: { cpu: `${usage.milli}m` } }] }));
    },
  };
}

test("with a metrics source: scale up on high CPU, down after the stabilization window", async () => {
  const usage = { milli: 90 };
  let client: ApiClient | undefined;
  const factory = () =>
    newHorizontalPodAutoscalerController({
      syncPeriodMs: 200,
      downscaleStabilizationMs: 1500,
      cpuInitializationPeriodMs: 0,
      initialReadinessDelayMs: 0,
      metricsSource: (c) => fakeSource((client = c), usage),
    });
  const env = await startControllerTestEnv({ replicaset: replicaSetController, horizontalpodautoscaling: factory }, { nodes: 2 });
  const c = env.client;
  try {
    await c.resource(rsRes).create("default", replicaSet("app", 2));
    await eventually("two ready pods", async () => {
      const pods = (await c.resource(podsRes).list("default", { labelSelector: "app=app" })).items;
      const ready = pods.filter((p) => (p.status?.conditions ?? []).some((x: { type: string; status: string }) => x.type === "Ready" && x.status === "True"));
      return ready.length === 2 ? true : undefined;
    });
    await c.resource(hpaRes).create("default", hpa("app", 1, 10));
    await eventually("scaled up to 4 (90 % of a 50 % target on 2 pods)", async () => ((await replicasOf(c, "app")) === 4 ? true : undefined));
    assert.ok(client, "the metrics source was built with the controller's client");
    const h = await c.resource(hpaRes).get("default", "app");
    assert.equal(condition(h, "ScalingActive")?.reason, "ValidMetricFound");
    await eventually("metric status", async () => {
      const cur = await c.resource(hpaRes).get("default", "app");
      const m = cur.status?.currentMetrics?.[0]?.resource;
      return m?.name === "cpu" && typeof m.current?.averageUtilization === "number" ? true : undefined;
    });
    usage.milli = 5;
    const lowSince = Date.now();
    await eventually("stabilized at 4 first", async () => {
      const cur = await c.resource(hpaRes).get("default", "app");
      return condition(cur, "AbleToScale")?.reason === "ScaleDownStabilized" ? true : undefined;
    });
    assert.equal(await replicasOf(c, "app"), 4);
    await eventually("scaled down to min", async () => ((await replicasOf(c, "app")) === 1 ? true : undefined));
    assert.ok(Date.now() - lowSince >= 1000, "not before the stabilization window");
  } finally {
    await env.stop();
  }
});
