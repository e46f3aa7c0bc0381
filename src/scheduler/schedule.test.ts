import { test } from "node:test";
import assert from "node:assert/strict";
import { CycleState } from "./framework/cycle_state.ts";
import { Framework } from "./framework/framework.ts";
import { Snapshot } from "./framework/snapshot.ts";
import { inTreeRegistry } from "./plugins/registry.ts";
import { defaultProfile } from "./profile.ts";
import { FitError, numFeasibleNodesToFind, schedulePod, selectHost } from "./schedule.ts";
import { frameworkWith, makeNode, makePod } from "./testutil.ts";

test("numFeasibleNodesToFind: adaptive percentage with floors", () => {
  assert.equal(numFeasibleNodesToFind(undefined, 50), 50);
  assert.equal(numFeasibleNodesToFind(undefined, 100), 100);
  assert.equal(numFeasibleNodesToFind(undefined, 1000), 420);
  assert.equal(numFeasibleNodesToFind(undefined, 5000), 500);
  assert.equal(numFeasibleNodesToFind(undefined, 6000), 300);
  assert.equal(numFeasibleNodesToFind(10, 500), 100);
  assert.equal(numFeasibleNodesToFind(30, 1000), 300);
  assert.equal(numFeasibleNodesToFind(100, 1000), 1000);
});

test("FitError message: histogram and preemption message in upstream format", () => {
  const snap = Snapshot.from([
    makeNode("n1", { cpu: "2" }),
    makeNode("n2", { taints: [{ key: "key", value: "value", effect: "NoSchedule" }] }),
    makeNode("n3", { taints: [{ key: "key", value: "value", effect: "NoSchedule" }] }),
  ]);
  const fwk = new Framework(inTreeRegistry, defaultProfile());
  const pod = makePod("p", { cpu: "3" });
  const state = new CycleState();
  const r = schedulePod(fwk, state, pod, snap);
  assert.ok("failure" in r);
  assert.equal(r.failure.message, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}.");
  assert.deepEqual([...r.failure.diagnosis.unschedulablePlugins].sort(), ["NodeResourcesFit", "TaintToleration"]);
  const pf = fwk.runPostFilterPlugins(state, pod, r.failure.diagnosis.nodeToStatus);
  r.failure.diagnosis.postFilterMsg = pf.status!.message();
  // Upstream appends " <postFilterMsg>." to a message that already ends in "." -> "..".
  assert.equal(
    r.failure.message,
    "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..",
  );
  assert.equal(pf.result?.nominatedNodeName, "");
});

test("FitError: PreFilter rejection message replaces the histogram; no nodes", () => {
  const snap = Snapshot.from([makeNode("a"), makeNode("b")]);
  const fwk = frameworkWith({ preFilter: ["NodeAffinity"], filter: ["NodeAffinity"] });
  const pod = makePod("p", {
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [] }] }] } } } },
  });
  const r = schedulePod(fwk, new CycleState(), pod, snap);
  assert.ok("failure" in r);
  assert.equal(r.failure.message, "0/2 nodes are available: pod affinity terms conflict.");
  const r0 = schedulePod(fwk, new CycleState(), makePod("q"), new Snapshot());
  assert.ok("failure" in r0 && r0.failure instanceof FitError);
  assert.equal(r0.failure.message, "no nodes available to schedule pods");
});

test("schedulePod picks the least allocated node with the default profile", () => {
  const snap = Snapshot.from([makeNode("busy"), makeNode("idle")], [makePod("x", { node: "busy", cpu: "3", memory: "8Gi" })]);
  const fwk = new Framework(inTreeRegistry, defaultProfile());
  for (let i = 0; i < 5; i++) {
    const r = schedulePod(fwk, new CycleState(), makePod("p" + i, { cpu: "100m", memory: "100Mi" }), snap);
    assert.ok("node" in r);
    assert.equal(r.node, "idle");
  }
});

test("schedulePod draws uniformly among the nodes with the top score", () => {
  const snap = Snapshot.from([makeNode("busy"), makeNode("a"), makeNode("b"), makeNode("c")], [makePod("x", { node: "busy", cpu: "3", memory: "8Gi" })]);
  const pick = (random: () => number): string => {
    const fwk = new Framework(inTreeRegistry, defaultProfile(), { random });
    const r = schedulePod(fwk, new CycleState(), makePod("p", { cpu: "100m", memory: "100Mi" }), snap);
    assert.ok("node" in r);
    return r.node;
  };
  assert.equal(pick(() => 0), "a");
  assert.equal(pick(() => 0.5), "b");
  assert.equal(pick(() => 0.99), "c");
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) seen.add(pick(Math.random));
  assert.deepEqual([...seen].sort(), ["a", "b", "c"], "never the busier node, every tied one");
});

test("only numFeasibleNodesToFind nodes are evaluated and the start index rotates", () => {
  const nodes = Array.from({ length: 1000 }, (_, i) => makeNode("n" + i));
  const snap = Snapshot.from(nodes);
  const fwk = frameworkWith({ filter: ["NodeResourcesFit"], score: ["NodeResourcesFit"], preScore: ["NodeResourcesFit"] });
  const cursor = { nextStartNodeIndex: 0 };
  const r1 = schedulePod(fwk, new CycleState(), makePod("p"), snap, { cursor });
  assert.ok("node" in r1);
  assert.equal(r1.feasibleNodes, 420);
  assert.equal(cursor.nextStartNodeIndex, 420);
  schedulePod(fwk, new CycleState(), makePod("q"), snap, { cursor, percentageOfNodesToScore: 70 });
  assert.equal(cursor.nextStartNodeIndex, 420 + 700 - 1000);
});

test("selectHost breaks ties at random among the top scores", () => {
  const scores = [
    { name: "a", total: 5, scores: [] },
    { name: "b", total: 9, scores: [] },
    { name: "c", total: 9, scores: [] },
  ];
  assert.equal(selectHost(scores, () => 0.99), "b");
  assert.equal(selectHost(scores, () => 0), "c");
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) seen.add(selectHost(scores));
  assert.deepEqual([...seen].sort(), ["b", "c"]);
});

test("a pod nominated to a node is tried there first; nominated pods reserve room", () => {
  const snap = Snapshot.from([makeNode("a", { cpu: "1" }), makeNode("b", { cpu: "1" })]);
  const nominee = makePod("nominee", { cpu: "800m", priority: 10 });
  const fwk = frameworkWith(
    { preFilter: ["NodeResourcesFit"], filter: ["NodeResourcesFit"] },
    {},
    { nominator: { nominatedPodsForNode: (n) => (n === "a" ? [nominee] : []) } },
  );
  const r = schedulePod(fwk, new CycleState(), makePod("low", { cpu: "500m" }), snap);
  assert.ok("node" in r);
  assert.equal(r.node, "b");
  const self = { ...nominee, status: { nominatedNodeName: "a" } };
  const r2 = schedulePod(fwk, new CycleState(), self, snap);
  assert.ok("node" in r2 && r2.node === "a" && r2.evaluatedNodes === 1);
});
