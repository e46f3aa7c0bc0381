/**
 * Create-time status of new objects: pods start Pending with their QoS
 * class, and gated pods say why they are not scheduled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { prepareStatusForCreate } from "./strategy.ts";

const podInfo = findResource("", "v1", "pods")!;

test("a pod with scheduling gates starts with PodScheduled=False, reason SchedulingGated", () => {
  const gated: KObject = { metadata: { name: "g" }, spec: { schedulingGates: [{ name: "example.com/wait" }], containers: [{ name: "c", image: "i" }] }, status: { phase: "Running" } };
  prepareStatusForCreate(podInfo, gated);
  assert.deepEqual(gated.status, {
    phase: "Pending",
    qosClass: "BestEffort",
    conditions: [{ type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: null, reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates" }],
  });
  const plain: KObject = { metadata: { name: "p" }, spec: { schedulingGates: [], containers: [{ name: "c", image: "i" }] } };
  prepareStatusForCreate(podInfo, plain);
  assert.deepEqual(plain.status, { phase: "Pending", qosClass: "BestEffort" });
});
