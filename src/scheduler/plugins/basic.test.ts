import { test } from "node:test";
import assert from "node:assert/strict";
import { Snapshot } from "../framework/snapshot.ts";
import { filterAll, frameworkWith, makeNode, makePod, scoreAll } from "../testutil.ts";
import { CycleState } from "../framework/cycle_state.ts";
import { Code } from "../framework/status.ts";

test("NodeName filter", () => {
  const snap = Snapshot.from([makeNode("a"), makeNode("b")]);
  const fwk = frameworkWith({ filter: ["NodeName"] });
  assert.deepEqual(filterAll(fwk, makePod("p", { spec: { nodeName: "b" } }), snap), { a: "node(s) didn't match the requested node name", b: "" });
  assert.deepEqual(filterAll(fwk, makePod("p"), snap), { a: "", b: "" });
});

test("NodeUnschedulable filter honours the unschedulable toleration", () => {
  const snap = Snapshot.from([makeNode("a", { unschedulable: true }), makeNode("b")]);
  const fwk = frameworkWith({ filter: ["NodeUnschedulable"] });
  assert.deepEqual(filterAll(fwk, makePod("p"), snap), { a: "node(s) were unschedulable", b: "" });
  const tol = makePod("p", { spec: { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] } });
  assert.deepEqual(filterAll(fwk, tol, snap), { a: "", b: "" });
});

test("NodePorts filter", () => {
  const snap = Snapshot.from([makeNode("a"), makeNode("b")], [makePod("x", { node: "a", hostPort: 8080 })]);
  const fwk = frameworkWith({ preFilter: ["NodePorts"], filter: ["NodePorts"] });
  assert.deepEqual(filterAll(fwk, makePod("p", { hostPort: 8080 }), snap), { a: "node(s) didn't have free ports for the requested pod ports", b: "" });
  assert.deepEqual(filterAll(fwk, makePod("p", { hostPort: 9090 }), snap), { a: "", b: "" });
});

test("TaintToleration filter (NoSchedule/NoExecute) and score (PreferNoSchedule, reversed)", () => {
  const snap = Snapshot.from([
    makeNode("a", { taints: [{ key: "key", value: "value", effect: "NoSchedule" }] }),
    makeNode("b", { taints: [{ key: "dedicated", value: "x", effect: "NoExecute" }] }),
    makeNode("c", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] }),
  ]);
  const fwk = frameworkWith({ filter: ["TaintToleration"] });
  const pod = makePod("p", { spec: { tolerations: [{ key: "dedicated", operator: "Equal", value: "x" }] } });
  assert.deepEqual(filterAll(fwk, pod, snap), { a: "node(s) had untolerated taint {key: value}", b: "", c: "" });

  const s2 = Snapshot.from([
    makeNode("a", { taints: [{ key: "t1", effect: "PreferNoSchedule" }, { key: "t2", effect: "PreferNoSchedule" }] }),
    makeNode("b", { taints: [{ key: "t1", effect: "PreferNoSchedule" }, { key: "t3", value: "v", effect: "PreferNoSchedule" }] }),
    makeNode("c"),
  ]);
  const sf = frameworkWith({ preScore: ["TaintToleration"], score: ["TaintToleration"] });
  const tolT3 = makePod("p", { spec: { tolerations: [{ key: "t3", operator: "Exists", effect: "PreferNoSchedule" }] } });
  assert.deepEqual(scoreAll(sf, tolT3, s2), { a: 0, b: 50, c: 100 });
});

test("NodeAffinity: nodeSelector, required terms, matchFields prefilter, preferred score", () => {
  const snap = Snapshot.from([makeNode("a", { labels: { zone: "z1", gpu: "5" } }), makeNode("b", { labels: { zone: "z2" } }), makeNode("c")]);
  const fwk = frameworkWith({ preFilter: ["NodeAffinity"], filter: ["NodeAffinity"] });
  const msg = "node(s) didn't match Pod's node affinity/selector";
  assert.deepEqual(filterAll(fwk, makePod("p", { spec: { nodeSelector: { zone: "z2" } } }), snap), { a: msg, b: "", c: msg });
  const req = (terms: unknown[]) => makePod("p", { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } });
  assert.deepEqual(filterAll(fwk, req([{ matchExpressions: [{ key: "gpu", operator: "Gt", values: ["3"] }] }, { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }]), snap), {
    a: "",
    b: msg,
    c: "",
  });
  assert.deepEqual(filterAll(fwk, req([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["b"] }] }]), snap), { a: "<prefilter>", b: "", c: "<prefilter>" });
  assert.deepEqual(filterAll(fwk, req([{ matchExpressions: [] }]), snap), { a: msg, b: msg, c: msg });

  const added = frameworkWith({ preFilter: ["NodeAffinity"], filter: ["NodeAffinity"] }, {
    NodeAffinity: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "Exists" }] }] } } },
  });
  const enforced = "node(s) didn't match scheduler-enforced node affinity";
  assert.deepEqual(filterAll(added, makePod("p"), snap), { a: "", b: "", c: enforced });

  const sf = frameworkWith({ preScore: ["NodeAffinity"], score: ["NodeAffinity"] });
  const pref = makePod("p", {
    spec: {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 2, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } },
            { weight: 8, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["z1", "z2"] }] } },
          ],
        },
      },
    },
  });
  assert.deepEqual(scoreAll(sf, pref, snap), { a: 100, b: 80, c: 0 });
});

test("NodeResourcesFit filter reasons and codes", () => {
  const snap = Snapshot.from([makeNode("a", { cpu: "2", pods: "1" })], [makePod("x", { node: "a", cpu: "1500m" })]);
  const fwk = frameworkWith({ preFilter: ["NodeResourcesFit"], filter: ["NodeResourcesFit"] });
  assert.deepEqual(filterAll(fwk, makePod("p", { cpu: "1", memory: "1Gi" }), snap), { a: "Too many pods, Insufficient cpu" });
  const state = new CycleState();
  fwk.snapshot = snap;
  const big = makePod("big", { cpu: "3" });
  fwk.runPreFilterPlugins(state, big, snap.nodeInfoList);
  assert.equal(fwk.runFilterPlugins(state, big, snap.nodeInfoList[0])?.code, Code.UnschedulableAndUnresolvable);
  const snap2 = Snapshot.from([makeNode("a", { cpu: "2", extra: { "example.com/gpu": "1" } })], [makePod("x", { node: "a", cpu: "1500m" })]);
  const st2 = new CycleState();
  const p2 = makePod("p", { cpu: "1" });
  fwk.runPreFilterPlugins(st2, p2, snap2.nodeInfoList);
  assert.equal(fwk.runFilterPlugins(st2, p2, snap2.nodeInfoList[0])?.code, Code.Unschedulable);
  assert.deepEqual(filterAll(fwk, makePod("g", { requests: { "example.com/gpu": "2" } }), snap2), { a: "Insufficient example.com/gpu" });
  const ign = frameworkWith({ preFilter: ["NodeResourcesFit"], filter: ["NodeResourcesFit"] }, { NodeResourcesFit: { ignoredResourceGroups: ["example.com"] } });
  assert.deepEqual(filterAll(ign, makePod("g", { requests: { "example.com/gpu": "2" } }), snap2), { a: "" });
});

test("NodeResourcesFit scoring: LeastAllocated (default), MostAllocated, RequestedToCapacityRatio", () => {
  const snap = Snapshot.from([makeNode("a", { cpu: "4000m", memory: "10000" }), makeNode("b", { cpu: "6000m", memory: "10000" })]);
  const pod = makePod("p", { spec: { containers: [{ name: "a", resources: { requests: { cpu: "1000m", memory: "2000" } } }, { name: "b", resources: { requests: { cpu: "2000m", memory: "3000" } } }] } });
  const least = frameworkWith({ preScore: ["NodeResourcesFit"], score: ["NodeResourcesFit"] });
  assert.deepEqual(scoreAll(least, pod, snap), { a: 37, b: 50 });
  const most = frameworkWith({ preScore: ["NodeResourcesFit"], score: ["NodeResourcesFit"] }, { NodeResourcesFit: { scoringStrategy: { type: "MostAllocated" } } });
  assert.deepEqual(scoreAll(most, pod, snap), { a: 62, b: 50 });
  const weighted = frameworkWith({ preScore: ["NodeResourcesFit"], score: ["NodeResourcesFit"] }, {
    NodeResourcesFit: { scoringStrategy: { type: "MostAllocated", resources: [{ name: "cpu", weight: 3 }, { name: "memory", weight: 1 }] } },
  });
  assert.deepEqual(scoreAll(weighted, pod, snap), { a: 68, b: 50 });
  const rtcr = frameworkWith({ preScore: ["NodeResourcesFit"], score: ["NodeResourcesFit"] }, {
    NodeResourcesFit: { scoringStrategy: { type: "RequestedToCapacityRatio", requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } } },
  });
  assert.deepEqual(scoreAll(rtcr, pod, snap), { a: 38, b: 50 });
});

test("BalancedAllocation", () => {
  const snap = Snapshot.from([makeNode("a", { cpu: "4000m", memory: "10000" }), makeNode("b", { cpu: "6000m", memory: "10000" })]);
  const pod = makePod("p", { cpu: "3", memory: "5000" });
  const fwk = frameworkWith({ preScore: ["NodeResourcesBalancedAllocation"], score: ["NodeResourcesBalancedAllocation"] });
  assert.deepEqual(scoreAll(fwk, pod, snap), { a: 87, b: 100 });
  const state = new CycleState();
  fwk.snapshot = snap;
  fwk.runPreScorePlugins(state, makePod("be"), snap.nodeInfoList);
  assert.ok(state.skipScorePlugins.has("NodeResourcesBalancedAllocation"), "best-effort pods skip");
});

test("cpu-and-memory scoring (the fast path) agrees with the general resource list", () => {
  // Nodes with assorted capacity (one without memory) and pods on them; the
  // general path is reached by listing memory before cpu.
  const nodes = [
    makeNode("a", { cpu: "4", memory: "16Gi" }),
    makeNode("b", { cpu: "6500m", memory: "12Gi" }),
    makeNode("c", { cpu: "2", memory: "0" }),
    makeNode("d", { cpu: "8", memory: "3Gi" }),
  ];
  const pods = [
    makePod("x", { node: "a", cpu: "1500m", memory: "2Gi" }),
    makePod("y", { node: "b", cpu: "300m" }),
    makePod("z", { node: "d", memory: "2500Mi" }),
    makePod("w", { node: "d", cpu: "7", memory: "1Gi" }),
  ];
  const snap = Snapshot.from(nodes, pods);
  const reversed = [{ name: "memory", weight: 2 }, { name: "cpu", weight: 1 }];
  const inOrder = [{ name: "cpu", weight: 1 }, { name: "memory", weight: 2 }];
  for (const pod of [makePod("p", { cpu: "500m", memory: "1Gi" }), makePod("q"), makePod("r", { cpu: "3" })]) {
    for (const type of ["LeastAllocated", "MostAllocated"]) {
      const fit = (resources: unknown) => frameworkWith({ preScore: ["NodeResourcesFit"], score: ["NodeResourcesFit"] }, { NodeResourcesFit: { scoringStrategy: { type, resources } } });
      assert.deepEqual(scoreAll(fit(inOrder), pod, snap), scoreAll(fit(reversed), pod, snap), `${type} for ${pod.metadata.name}`);
    }
    if (!pod.spec.containers[0].resources.requests) continue;
    const balanced = (resources: unknown) => frameworkWith({ preScore: ["NodeResourcesBalancedAllocation"], score: ["NodeResourcesBalancedAllocation"] }, { NodeResourcesBalancedAllocation: { resources } });
    assert.deepEqual(scoreAll(balanced(inOrder), pod, snap), scoreAll(balanced(reversed), pod, snap), `balanced for ${pod.metadata.name}`);
  }
});

test("ImageLocality", () => {
  const MB = 1024 * 1024;
  const snap = Snapshot.from([makeNode("a"), makeNode("b")]);
  snap.get("a")!.setImageStates(new Map([["docker.io/library/busybox:latest", { size: 250 * MB * 2, numNodes: 1 }]]));
  const fwk = frameworkWith({ score: ["ImageLocality"] });
  assert.deepEqual(scoreAll(fwk, makePod("p", { image: "busybox" }), snap), { a: 23, b: 0 });
});
