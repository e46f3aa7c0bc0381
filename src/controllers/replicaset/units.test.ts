/** Unit tests of the replica controller's pure parts: expectations, deletion ranking, slow start, status. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../../api/types.ts";
import { Expectations, expectationsTimeoutMs } from "./expectations.ts";
import { slowStartBatch } from "./manage.ts";
import { rankPodsForDeletion } from "./pods.ts";
import { calculateStatus } from "./status.ts";

const now = Date.parse("2025-01-01T01:00:00Z");
function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readyAt?: string; created?: string; restarts?: number; cost?: string } = {}): KObject {
  return {
    metadata: { name, creationTimestamp: o.created ?? "2025-01-01T00:00:00Z", annotations: o.cost ? { "controller.kubernetes.io/pod-deletion-cost": o.cost } : undefined, labels: { app: "x" } },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? "Running",
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", lastTransitionTime: o.readyAt ?? "2025-01-01T00:00:00Z" }],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  };
}

describe("expectations", () => {
  it("are satisfied once creations and deletions are observed, each deletion once", () => {
    let t = 0;
    const e = new Expectations(() => t);
    assert.equal(e.satisfied("a"), true);
    e.expectCreations("a", 2);
    assert.equal(e.satisfied("a"), false);
    e.creationObserved("a");
    e.creationObserved("a");
    assert.equal(e.satisfied("a"), true);
    e.expectDeletions("a", ["ns/p1", "ns/p2"]);
    e.deletionObserved("a", "ns/p1");
    e.deletionObserved("a", "ns/p1");
    assert.equal(e.satisfied("a"), false);
    e.deletionObserved("a", "ns/p2");
    assert.equal(e.satisfied("a"), true);
    e.expectCreations("a", 1);
    t += expectationsTimeoutMs + 1;
    assert.equal(e.satisfied("a"), true, "expired records count as satisfied");
  });
});

describe("rankPodsForDeletion", () => {
  const names = (ps: KObject[]) => ps.map((p) => p.metadata.name);
  it("orders unassigned, pending, not ready, cheap, doubled-up, recently ready, restarting, newer first", () => {
    const base = { node: "n1" };
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b")], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { ...base, phase: "Pending", ready: false })], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { ...base, ready: false })], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", { ...base, cost: "10" }), pod("b", { ...base, cost: "-5" })], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { node: "n2" })], (p) => (p.spec.nodeName === "n2" ? 3 : 1), now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { ...base, readyAt: "2025-01-01T00:59:58Z" })], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { ...base, restarts: 4 })], undefined, now)), ["b", "a"]);
    assert.deepEqual(names(rankPodsForDeletion([pod("a", base), pod("b", { ...base, created: "2025-01-01T00:59:00Z" })], undefined, now)), ["b", "a"]);
  });
});

describe("slowStartBatch", () => {
  it("runs batches of 1, 2, 4 and stops after a failing batch", async () => {
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => void calls++);
    assert.deepEqual([ok.successes, calls], [10, 10]);
    calls = 0;
    const bad = await slowStartBatch(10, 1, async () => {
      if (++calls > 4) throw new Error("quota");
    });
    assert.equal(calls, 7, "batches 1, 2 and 4 ran; the failure stops further batches");
    assert.equal(bad.successes, 4);
    assert.equal(String((bad.error as Error).message), "quota");
  });
});

describe("calculateStatus", () => {
  const rs: KObject = { metadata: { name: "r", generation: 3 }, spec: { replicas: 3, minReadySeconds: 60, template: { metadata: { labels: { app: "x", tier: "web" } } } } };
  it("counts fully labeled, ready and available pods", () => {
    const ps = [pod("a"), pod("b", { ready: false }), pod("c", { readyAt: "2025-01-01T00:59:30Z" })];
    ps[0].metadata.labels = { app: "x", tier: "web" };
    const st = calculateStatus(rs, ps, undefined, 0, now);
    assert.deepEqual(st, { replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
  });
  it("sets ReplicaFailure on errors and clears it after", () => {
    const st = calculateStatus(rs, [], new Error("pods is forbidden"), -3, now);
    assert.equal(st.conditions?.[0].reason, "FailedCreate");
    assert.equal(st.conditions?.[0].message, "pods is forbidden");
    const cleared = calculateStatus({ ...rs, status: st }, [], undefined, -3, now);
    assert.equal(cleared.conditions, undefined);
  });
});
