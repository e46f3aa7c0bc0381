import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../../api/types.ts";
import { CycleState } from "../framework/cycle_state.ts";
import { Framework } from "../framework/framework.ts";
import { Snapshot } from "../framework/snapshot.ts";
import { defaultProfile } from "../profile.ts";
import { schedulePod } from "../schedule.ts";
import { makeNode, makePod } from "../testutil.ts";
import { filterPodsWithPDBViolation, pickOneNodeForPreemption } from "./defaultpreemption.ts";
import { inTreeRegistry } from "./registry.ts";

function preempt(snap: Snapshot, pod: KObject, pdbs: KObject[] = []) {
  const fwk = new Framework(inTreeRegistry, defaultProfile(), { pdbs: () => pdbs, random: () => 0 });
  const state = new CycleState();
  const r = schedulePod(fwk, state, pod, snap);
  assert.ok("failure" in r, "pod must not fit before preemption");
  return fwk.runPostFilterPlugins(state, pod, r.failure.diagnosis.nodeToStatus);
}

const t0 = "2024-01-01T00:00:00Z";
const t1 = "2024-01-01T01:00:00Z";

function cluster() {
  return Snapshot.from(
    [makeNode("n1"), makeNode("n2")],
    [
      makePod("p1", { node: "n1", cpu: "1500m", priority: 0, start: t0 }),
      makePod("p2", { node: "n1", cpu: "1500m", priority: 0, start: t1, labels: { app: "guarded" } }),
      makePod("p10", { node: "n2", cpu: "3", priority: 10, start: t0 }),
    ],
  );
}

test("picks the node whose highest victim priority is lowest and reprieves what it can", () => {
  const r = preempt(cluster(), makePod("hi", { cpu: "2", priority: 100 }));
  assert.equal(r.status, undefined);
  assert.equal(r.result?.nominatedNodeName, "n1");
  assert.deepEqual(r.result?.victims?.map((v) => v.metadata.name), ["p2"]);
});

test("prefers evicting pods not protected by a PodDisruptionBudget", () => {
  const pdb = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "g", namespace: "default" }, spec: { selector: { matchLabels: { app: "guarded" } } }, status: { disruptionsAllowed: 0 } };
  const r = preempt(cluster(), makePod("hi", { cpu: "2", priority: 100 }), [pdb]);
  assert.equal(r.result?.nominatedNodeName, "n1");
  assert.deepEqual(r.result?.victims?.map((v) => v.metadata.name), ["p1"]);
});

test("no lower-priority pods: no victims message; preemptionPolicy Never", () => {
  const r = preempt(cluster(), makePod("low", { cpu: "2", priority: 0 }));
  assert.equal(r.status?.message(), "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
  const never = preempt(cluster(), makePod("hi", { cpu: "2", priority: 100, spec: { preemptionPolicy: "Never" } }));
  assert.equal(never.status?.message(), "preemption: not eligible due to preemptionPolicy=Never.");
});

test("pickOneNodeForPreemption ordering", () => {
  const v = (name: string, priority: number, start = t0) => makePod(name, { priority, start });
  const pick = (...c: { name: string; victims: KObject[]; numPDBViolations?: number }[]) =>
    pickOneNodeForPreemption(c.map((x) => ({ numPDBViolations: 0, ...x })))?.name;
  assert.equal(pick({ name: "a", victims: [v("x", 1)], numPDBViolations: 1 }, { name: "b", victims: [v("y", 5)] }), "b");
  assert.equal(pick({ name: "a", victims: [v("x", 5)] }, { name: "b", victims: [v("y", 3), v("z", 3)] }), "b");
  assert.equal(pick({ name: "a", victims: [v("x", 3), v("y", 2)] }, { name: "b", victims: [v("z", 3), v("w", 1)] }), "b");
  assert.equal(pick({ name: "a", victims: [v("x", 3), v("y", 0)] }, { name: "b", victims: [v("z", 3)] }), "b");
  assert.equal(pick({ name: "a", victims: [v("x", 3, t0)] }, { name: "b", victims: [v("z", 3, t1)] }), "b");
  assert.equal(pick({ name: "a", victims: [v("x", 3)] }, { name: "b", victims: [v("z", 3)] }), "a");
});

test("filterPodsWithPDBViolation counts down disruptionsAllowed", () => {
  const pods = [makePod("a", { labels: { app: "g" } }), makePod("b", { labels: { app: "g" } }), makePod("c")];
  const pdb = { metadata: { name: "g", namespace: "default" }, spec: { selector: { matchLabels: { app: "g" } } }, status: { disruptionsAllowed: 1 } };
  const r = filterPodsWithPDBViolation(pods, [pdb]);
  assert.deepEqual(r.violating.map((p) => p.metadata.name), ["b"]);
  assert.deepEqual(r.nonViolating.map((p) => p.metadata.name), ["a", "c"]);
});

test("preemption respects inter-pod anti-affinity via PreFilter extensions", () => {
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "db" } } }] } };
  const snap = Snapshot.from(
    [makeNode("n1"), makeNode("n2", { cpu: "1" })],
    [makePod("db", { node: "n1", cpu: "100m", priority: 0, labels: { app: "db" } }), makePod("big", { node: "n2", cpu: "1", priority: 50 })],
  );
  const r = preempt(snap, makePod("hi", { cpu: "500m", priority: 100, spec: { affinity: anti } }));
  assert.equal(r.result?.nominatedNodeName, "n1");
  assert.deepEqual(r.result?.victims?.map((v) => v.metadata.name), ["db"]);
});
