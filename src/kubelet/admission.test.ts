/** Pod admission against maxPods: creation order, running pods first, terminal and rejected pods not counted. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNodePressure, checkPodCount, isCriticalPod, PodAdmission } from "./admission.ts";
import type { Pod } from "./types.ts";

function pod(name: string, created: string, phase?: string): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: `uid-${name}`, creationTimestamp: created }, spec: { containers: [] }, status: phase ? { phase } : {} };
}

test("checkPodCount rejects with upstream's OutOfpods reason and message", () => {
  assert.deepEqual(checkPodCount(1, 2), { admit: true });
  assert.deepEqual(checkPodCount(110, 110), { admit: false, reason: "OutOfpods", message: "Node didn't have enough resource: pods, requested: 1, used: 110, capacity: 110" });
});

test("pods are admitted in creation order up to maxPods, whatever order they are synced in", () => {
  const pods = [pod("c", "2026-01-01T00:00:03Z"), pod("a", "2026-01-01T00:00:01Z"), pod("b", "2026-01-01T00:00:02Z")];
  const adm = new PodAdmission({ maxPods: 2, pods: () => pods, phase: (p) => p.status?.phase, inRuntime: () => false });
  const c = adm.admit(pods[0]);
  assert.equal(c.admit, false, "c is third by creation time");
  assert.equal(c.message, "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
  assert.equal(adm.admit(pods[2]).admit, true);
  assert.equal(adm.admit(pods[1]).admit, true);
  assert.equal(adm.admit(pods[0]).admit, false, "a rejection sticks");
  adm.forget("uid-c");
  pods[1].status = { phase: "Succeeded" };
  assert.equal(adm.admit(pods[0]).admit, true, "terminal pods do not count");
});

test("pods already running (kubelet restart) keep their slot ahead of newer pending pods", () => {
  const pods = [pod("new", "2026-01-01T00:00:01Z"), pod("old", "2026-01-01T00:00:05Z", "Running"), pod("rt", "2026-01-01T00:00:06Z")];
  const adm = new PodAdmission({ maxPods: 2, pods: () => pods, phase: (p) => p.status?.phase, inRuntime: (uid) => uid === "uid-rt" });
  assert.equal(adm.admit(pods[0]).admit, false);
  assert.equal(adm.admit(pods[1]).admit, true);
  assert.equal(adm.admit(pods[2]).admit, true);
});

test("node pressure admission: BestEffort refused under MemoryPressure unless tolerating; every pod under DiskPressure; critical pods pass", () => {
  const p = pod("p", "2026-01-01T00:00:01Z");
  assert.deepEqual(checkNodePressure(p, [], "BestEffort"), { admit: true });
  assert.deepEqual(checkNodePressure(p, ["MemoryPressure"], "BestEffort"), { admit: false, reason: "Evicted", message: "The node had condition: [MemoryPressure]. " });
  assert.equal(checkNodePressure(p, ["MemoryPressure"], "Burstable").admit, true);
  const tolerant = { ...p, spec: { ...p.spec, tolerations: [{ key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" }] } };
  assert.equal(checkNodePressure(tolerant, ["MemoryPressure"], "BestEffort").admit, true);
  const wildcard = { ...p, spec: { ...p.spec, tolerations: [{ operator: "Exists" }] } };
  assert.equal(checkNodePressure(wildcard, ["MemoryPressure"], "BestEffort").admit, true);
  const noExecuteOnly = { ...p, spec: { ...p.spec, tolerations: [{ key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoExecute" }] } };
  assert.equal(checkNodePressure(noExecuteOnly, ["MemoryPressure"], "BestEffort").admit, false);
  assert.deepEqual(checkNodePressure(p, ["MemoryPressure", "DiskPressure"], "Guaranteed"), { admit: false, reason: "Evicted", message: "The node had condition: [MemoryPressure DiskPressure]. " });
  assert.equal(checkNodePressure(p, ["DiskPressure"], "Guaranteed").admit, false);
  const critical = { ...p, spec: { ...p.spec, priority: 2_000_001_000 } };
  assert.equal(checkNodePressure(critical, ["DiskPressure"], "BestEffort").admit, true);
  const mirror = { ...p, metadata: { ...p.metadata, annotations: { "kubernetes.io/config.mirror": "x" } } };
  assert.ok(isCriticalPod(mirror));
  const adm = new PodAdmission({ maxPods: 10, pods: () => [p], phase: () => undefined, inRuntime: () => false, pressure: () => ["DiskPressure"], qosClass: () => "BestEffort" });
  assert.equal(adm.admit(p).reason, "Evicted");
});
