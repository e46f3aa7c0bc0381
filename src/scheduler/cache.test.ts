import { test } from "node:test";
import assert from "node:assert/strict";
import { Cache } from "./cache.ts";
import { Snapshot } from "./framework/snapshot.ts";
import { makeNode, makePod } from "./testutil.ts";

function withNodes(n: number, now?: () => number) {
  const c = new Cache({ ttlMs: 1000, now });
  for (let i = 0; i < n; i++) c.addNode(makeNode("n" + i));
  return c;
}

test("assume, confirm via informer add, remove", () => {
  const c = withNodes(2);
  const s = new Snapshot();
  const pod = makePod("p", { node: "n1", cpu: "1" });
  c.assumePod(pod);
  assert.ok(c.isAssumedPod(pod));
  c.updateSnapshot(s);
  assert.equal(s.get("n1")!.requested.milliCPU, 1000);
  assert.throws(() => c.assumePod(pod), /can't be assumed/);
  c.addPod(pod);
  assert.equal(c.isAssumedPod(pod), false);
  c.updateSnapshot(s);
  assert.equal(s.get("n1")!.pods.length, 1);
  c.removePod(pod);
  c.updateSnapshot(s);
  assert.equal(s.get("n1")!.pods.length, 0);
});

test("forget undoes an assumed pod; confirmed pods cannot be forgotten", () => {
  const c = withNodes(1);
  const s = new Snapshot();
  const pod = makePod("p", { node: "n0", cpu: "1" });
  c.assumePod(pod);
  c.forgetPod(pod);
  c.updateSnapshot(s);
  assert.equal(s.get("n0")!.requested.milliCPU, 0);
  c.addPod(pod);
  assert.throws(() => c.forgetPod(pod), /not assumed/);
});

test("assumed pods expire only after binding finished plus ttl", () => {
  let now = 0;
  const c = withNodes(1, () => now);
  const pod = makePod("p", { node: "n0" });
  c.assumePod(pod);
  now = 10_000;
  assert.deepEqual(c.cleanupAssumedPods(), [], "binding not finished: never expires");
  c.finishBinding(pod);
  now += 1000;
  assert.equal(c.cleanupAssumedPods().length, 0);
  now += 1;
  assert.equal(c.cleanupAssumedPods().length, 1);
  assert.equal(c.podCount, 0);
});

test("a confirmed pod bound elsewhere moves nodes", () => {
  const c = withNodes(2);
  const s = new Snapshot();
  const p = makePod("p", { node: "n0", cpu: "1" });
  c.assumePod(p);
  c.addPod({ ...p, spec: { ...p.spec, nodeName: "n1" } });
  c.updateSnapshot(s);
  assert.equal(s.get("n0")!.pods.length, 0);
  assert.equal(s.get("n1")!.pods.length, 1);
});

test("updateSnapshot copies only changed NodeInfos", () => {
  const c = withNodes(100);
  const s = new Snapshot();
  c.updateSnapshot(s);
  assert.equal(s.numNodes, 100);
  const before = new Map(s.nodeInfoList.map((n) => [n.name, n.generation]));
  c.addPod(makePod("p", { node: "n42" }));
  c.updateSnapshot(s);
  const changed = s.nodeInfoList.filter((n) => n.generation !== before.get(n.name)).map((n) => n.name);
  assert.deepEqual(changed, ["n42"]);
  assert.equal(s.get("n42")!.pods.length, 1);
});

test("node removal, ghost nodes and affinity lists", () => {
  const c = withNodes(3);
  const s = new Snapshot();
  const anti = makePod("a", {
    node: "n1",
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "k", labelSelector: {} }] } } },
  });
  c.addPod(anti);
  c.updateSnapshot(s);
  assert.deepEqual(s.havePodsWithRequiredAntiAffinityList.map((n) => n.name), ["n1"]);
  c.removeNode(makeNode("n1"));
  c.updateSnapshot(s);
  assert.deepEqual(s.nodeInfoList.map((n) => n.name).sort(), ["n0", "n2"]);
  assert.equal(s.havePodsWithRequiredAntiAffinityList.length, 0);
  c.removePod(anti);
  c.removeNode(makeNode("n2"));
  c.addNode(makeNode("n9"));
  c.updateSnapshot(s);
  assert.deepEqual(s.nodeInfoList.map((n) => n.name).sort(), ["n0", "n9"]);
  assert.equal(s.get("n2"), undefined);
  assert.equal(c.nodeCount, 2);
});

test("nodes are interleaved across zones and images are summarised cluster-wide", () => {
  const c = new Cache();
  const img = { names: ["nginx:1.25"], sizeBytes: 100 };
  for (const [n, z] of [["a1", "a"], ["a2", "a"], ["b1", "b"], ["b2", "b"]]) c.addNode(makeNode(n, { labels: { "topology.kubernetes.io/zone": z }, images: n.endsWith("1") ? [img] : [] }));
  const s = new Snapshot();
  c.updateSnapshot(s);
  assert.deepEqual(s.nodeInfoList.map((n) => n.name), ["a1", "b1", "a2", "b2"]);
  assert.equal(s.get("a1")!.imageStates.get("docker.io/library/nginx:1.25")?.numNodes, 2);
});
