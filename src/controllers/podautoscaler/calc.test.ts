/**
 * Pure HPA arithmetic: the replica calculation (utilization ratio,
 * tolerance, missing and unready pods, average-value targets, upstream's
 * errors), the metrics conversion, and normalisation (legacy scale-down
 * stabilisation and scale-up limit, behavior policies and windows, clamps).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../../api/types.ts";
import { defaultedBehavior, newHistory, normalizeDesiredReplicas, recordInitialRecommendation, recordScaleEvent, type AutoscalerHistory, type Behavior } from "./behavior.ts";
import { resourceMetrics, type PodMetric, type PodMetrics } from "./metrics.ts";
import { rawResourceReplicas, resourceReplicas } from "./replicas.ts";

const now = Date.parse("2024-01-01T12:00:00Z");
const longAgo = new Date(now - 3_600_000).toISOString();

function pod(name: string, cpuRequest = "500m", o: { phase?: string; ready?: boolean; started?: string; readySince?: string } = {}): KObject {
  return {
    metadata: { name },
    spec: { containers: [{ name: "c", resources: { requests: { cpu: cpuRequest } } }] },
    status: {
      phase: o.phase ?? "Running",
      startTime: o.started ?? longAgo,
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", lastTransitionTime: o.readySince ?? longAgo }],
    },
  };
}

function metrics(values: Record<string, number>): Map<string, PodMetric> {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestamp: now - 10_000, windowMs: 30_000 }]));
}

const base = { resource: "cpu", now, targetUtilization: 50 };

test("scales up on high CPU utilization", () => {
  const pods = [pod("a"), pod("b"), pod("c")];
  const r = resourceReplicas({ ...base, currentReplicas: 3, pods, metrics: metrics({ a: 450, b: 450, c: 450 }) });
  assert.deepEqual(r, { replicas: 6, utilization: 90, rawValue: 450 });
});

test("keeps the count within the 10% tolerance", () => {
  const pods = [pod("a"), pod("b")];
  const r = resourceReplicas({ ...base, currentReplicas: 2, pods, metrics: metrics({ a: 270, b: 270 }) });
  assert.equal(r.replicas, 2);
  assert.equal(r.utilization, 54);
  const wider = resourceReplicas({ ...base, currentReplicas: 2, pods, metrics: metrics({ a: 300, b: 300 }) });
  assert.equal(wider.replicas, 3, "60 % of a 50 % target is outside the tolerance");
});

test("scales down on low utilization", () => {
  const pods = [pod("a"), pod("b"), pod("c"), pod("d")];
  const r = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 50, b: 50, c: 50, d: 50 }) });
  assert.equal(r.replicas, 1);
});

test("missing pods count as 100% of request on scale-down, 0% on scale-up", () => {
  const pods = [pod("a"), pod("b"), pod("c"), pod("d")];
  const down = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 50, b: 50 }) });
  assert.equal(down.replicas, 4, "the filled-in values flip the direction: keep the count");
  const up = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 500, b: 500 }) });
  assert.equal(up.replicas, 4, "(500+500+0+0)/2000 = 50 %: no change");
  const upMore = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 1000, b: 1000 }) });
  assert.equal(upMore.replicas, 8);
});

test("unready and pending pods count as 0% when scaling up, and are ignored otherwise", () => {
  const pods = [pod("a"), pod("b"), pod("new", "500m", { ready: false, started: new Date(now - 20_000).toISOString() }), pod("p", "500m", { phase: "Pending" })];
  const up = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 500, b: 500, new: 500 }) });
  assert.equal(up.replicas, 4, "(500+500+0+0)/2000 = 50 %");
  const down = resourceReplicas({ ...base, currentReplicas: 4, pods, metrics: metrics({ a: 100, b: 100, new: 500 }) });
  assert.equal(down.replicas, 1, "only ready pods count: 20 % of a 50 % target on 2 ready pods");
});

test("deleting and failed pods are ignored", () => {
  const gone = pod("gone");
  gone.metadata.deletionTimestamp = longAgo;
  const pods = [pod("a"), pod("f", "500m", { phase: "Failed" }), gone];
  const r = resourceReplicas({ ...base, currentReplicas: 1, pods, metrics: metrics({ a: 500, f: 0, gone: 0 }) });
  assert.equal(r.replicas, 2);
});

test("errors carry upstream's wording", () => {
  assert.throws(() => resourceReplicas({ ...base, currentReplicas: 1, pods: [], metrics: metrics({}) }), /no pods returned by selector while calculating replica count/);
  const noReq = pod("a");
  noReq.spec.containers[0].resources = {};
  assert.throws(() => resourceReplicas({ ...base, currentReplicas: 1, pods: [noReq], metrics: metrics({ a: 1 }) }), /missing request for cpu in container c of Pod a/);
  assert.throws(() => resourceReplicas({ ...base, currentReplicas: 1, pods: [pod("a")], metrics: metrics({}) }), /did not receive metrics for targeted pods/);
});

test("average-value targets use the mean usage per pod", () => {
  const pods = [pod("a"), pod("b")];
  const r = rawResourceReplicas({ resource: "memory", now, currentReplicas: 2, pods, metrics: metrics({ a: 300_000, b: 500_000 }), targetAverageValue: 200_000 });
  assert.deepEqual(r, { replicas: 4, rawValue: 400_000 });
});

test("PodMetrics become per-pod milli-values", () => {
  const items: PodMetrics[] = [
    { name: "a", timestamp: now, windowMs: 30_000, containers: [{ name: "x", usage: { cpu: "250m", memory: "10Mi" } }, { name: "y", usage: { cpu: "1" } }] },
    { name: "b", timestamp: now, windowMs: 30_000, containers: [{ name: "x", usage: { memory: "1Mi" } }] },
  ];
  assert.deepEqual([...resourceMetrics(items, "cpu")].map(([k, v]) => [k, v.value]), [["a", 1250]]);
  assert.deepEqual([...resourceMetrics(items, "cpu", "y")].map(([k, v]) => [k, v.value]), [["a", 1000]]);
});

function normalize(h: AutoscalerHistory, current: number, proposed: number, at: number, behavior?: Behavior, min = 1, max = 10) {
  return normalizeDesiredReplicas({ history: h, behavior, currentReplicas: current, proposed, minReplicas: min, maxReplicas: max, now: at, downscaleWindowMs: 300_000 });
}

test("scale-down waits for the stabilization window (default 300 s)", () => {
  const h = newHistory();
  recordInitialRecommendation(h, 5, now);
  const first = normalize(h, 5, 2, now + 15_000);
  assert.equal(first.desiredReplicas, 5);
  assert.equal(first.ableToScale.reason, "ScaleDownStabilized");
  assert.equal(normalize(h, 5, 2, now + 200_000).desiredReplicas, 5);
  const later = normalize(h, 5, 2, now + 301_000);
  assert.equal(later.desiredReplicas, 2);
  assert.equal(later.ableToScale.reason, "ReadyForNewScale");
});

test("legacy scale-up is limited to max(2x current, 4) and clamped to [min, max]", () => {
  const h = newHistory();
  const up = normalize(h, 1, 9, now);
  assert.equal(up.desiredReplicas, 4);
  assert.deepEqual([up.scalingLimited.limited, up.scalingLimited.reason], [true, "ScaleUpLimit"]);
  const many = normalize(newHistory(), 8, 30, now);
  assert.deepEqual([many.desiredReplicas, many.scalingLimited.reason], [10, "TooManyReplicas"]);
  const few = normalize(newHistory(), 3, 0, now, undefined, 2);
  assert.deepEqual([few.desiredReplicas, few.scalingLimited.reason], [2, "TooFewReplicas"]);
  const ok = normalize(newHistory(), 3, 5, now);
  assert.deepEqual([ok.desiredReplicas, ok.scalingLimited.limited, ok.scalingLimited.reason], [5, false, "DesiredWithinRange"]);
});

test("behavior: defaults, policies over recorded scale events, scale-up window", () => {
  const b = defaultedBehavior({ scaleDown: { policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } }, 300_000)!;
  assert.equal(b.scaleDown.stabilizationWindowSeconds, 300);
  assert.equal(b.scaleUp.stabilizationWindowSeconds, 0);
  const h = newHistory();
  const up = normalize(h, 2, 20, now, b);
  assert.deepEqual([up.desiredReplicas, up.scalingLimited.reason], [6, "ScaleUpLimit"], "max(+4 pods, +100 %) from 2");
  recordScaleEvent(h, b, 2, 6, now);
  const again = normalize(h, 6, 20, now + 5000, b);
  assert.equal(again.desiredReplicas, 6, "the 15 s period already added 4 (= 100 % of 2... and +4 pods)");
  assert.equal(normalize(h, 6, 20, now + 16_000, b).desiredReplicas, 10);

  const quick = defaultedBehavior({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } }, 300_000)!;
  const d = newHistory();
  const down = normalize(d, 6, 2, now, quick);
  assert.deepEqual([down.desiredReplicas, down.scalingLimited.reason], [5, "ScaleDownLimit"]);
  recordScaleEvent(d, quick, 6, 5, now);
  assert.equal(normalize(d, 5, 2, now + 30_000, quick).desiredReplicas, 5, "one pod per minute");
  assert.equal(normalize(d, 5, 2, now + 61_000, quick).desiredReplicas, 4);

  const slowUp = defaultedBehavior({ scaleUp: { stabilizationWindowSeconds: 60 } }, 300_000)!;
  const s = newHistory();
  recordInitialRecommendation(s, 2, now);
  const st = normalize(s, 2, 4, now + 15_000, slowUp);
  assert.deepEqual([st.desiredReplicas, st.ableToScale.reason], [2, "ScaleUpStabilized"]);
  assert.equal(normalize(s, 2, 4, now + 76_000, slowUp).desiredReplicas, 4);

  const off = defaultedBehavior({ scaleUp: { selectPolicy: "Disabled" } }, 300_000)!;
  assert.equal(normalize(newHistory(), 2, 8, now, off).desiredReplicas, 2);
});
