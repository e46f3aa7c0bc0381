import { test } from "node:test";
import assert from "node:assert/strict";
import { podRequests } from "./resources.ts";
import { NodeInfo } from "./node_info.ts";
import { makeNode, makePod } from "../testutil.ts";

const c = (cpu: string, memory?: string, restartPolicy?: string) => ({ name: "x", restartPolicy, resources: { requests: memory ? { cpu, memory } : { cpu } } });

test("requests: sum of containers, max with init containers, plus overhead", () => {
  const pod = makePod("p", { spec: { containers: [c("100m", "1Mi"), c("200m")], initContainers: [c("500m"), c("50m", "4Mi")], overhead: { cpu: "10m" } } });
  const r = podRequests(pod).requests;
  assert.equal(r.milliCPU, 510);
  assert.equal(r.memory, 4 * 1024 * 1024 + 0);
});

test("requests: restartable init containers (sidecars) add to the steady state and to later init containers", () => {
  const pod = makePod("p", { spec: { containers: [c("100m")], initContainers: [c("200m", undefined, "Always"), c("300m")] } });
  // init peak: 200 (sidecar) + 300 = 500; steady: 100 + 200 = 300
  assert.equal(podRequests(pod).requests.milliCPU, 500);
  const pod2 = makePod("p2", { spec: { containers: [c("1")], initContainers: [c("200m", undefined, "Always"), c("300m")] } });
  assert.equal(podRequests(pod2).requests.milliCPU, 1200);
});

test("non-zero requests default to 100m / 200Mi per container", () => {
  const pod = makePod("p", { spec: { containers: [{ name: "a" }, { name: "b", resources: { requests: { cpu: "1" } } }] } });
  const r = podRequests(pod);
  assert.equal(r.requests.milliCPU, 1000);
  assert.equal(r.requests.memory, 0);
  assert.equal(r.nonZero.milliCPU, 1100);
  assert.equal(r.nonZero.memory, 400 * 1024 * 1024);
});

test("NodeInfo accounts requests, ports and affinity pods; removePod undoes it", () => {
  const ni = new NodeInfo(makeNode("n"));
  assert.equal(ni.allocatable.milliCPU, 4000);
  assert.equal(ni.allocatable.allowedPodNumber, 110);
  const p = makePod("p", { cpu: "1", memory: "1Gi", hostPort: 80, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "k", labelSelector: {} }] } } } });
  ni.addPod(p);
  assert.equal(ni.requested.milliCPU, 1000);
  assert.equal(ni.usedPorts.conflicts("", "TCP", 80), true);
  assert.equal(ni.podsWithRequiredAntiAffinity.length, 1);
  const c2 = ni.clone();
  assert.equal(ni.removePod(p), true);
  assert.equal(ni.requested.milliCPU, 0);
  assert.equal(ni.usedPorts.size, 0);
  assert.equal(ni.podsWithAffinity.length, 0);
  assert.equal(c2.pods.length, 1, "clone is independent");
});

test("NodeInfo keeps its hot-path copies (num, counts, node flags) equal to the objects they mirror", () => {
  const mirrors = (ni: NodeInfo) => ({
    num: [...ni.num],
    podCount: ni.podCount,
    allowedPods: ni.allowedPods,
    flags: [ni.unschedulable, ni.hardTaints, ni.softTaints],
  });
  const expected = (ni: NodeInfo) => ({
    num: [
      ni.allocatable.milliCPU,
      ni.allocatable.memory,
      ni.allocatable.ephemeralStorage,
      ni.requested.milliCPU,
      ni.requested.memory,
      ni.requested.ephemeralStorage,
      ni.nonZeroRequested.milliCPU,
      ni.nonZeroRequested.memory,
    ],
    podCount: ni.pods.length,
    allowedPods: ni.allocatable.allowedPodNumber,
    flags: [!!ni.node?.spec?.unschedulable, (ni.node?.spec?.taints ?? []).filter((t: { effect: string }) => t.effect !== "PreferNoSchedule").length, (ni.node?.spec?.taints ?? []).filter((t: { effect: string }) => t.effect === "PreferNoSchedule").length],
  });
  const taints = [
    { key: "a", effect: "NoSchedule" },
    { key: "b", effect: "NoExecute" },
    { key: "c", effect: "PreferNoSchedule" },
  ];
  const ni = new NodeInfo(makeNode("n", { cpu: "3", memory: "5Gi", extra: { "ephemeral-storage": "10Gi" }, taints, unschedulable: true }));
  assert.deepEqual(mirrors(ni), expected(ni));
  assert.equal(ni.num[1], 5 * 1024 ** 3);
  const p = makePod("p", { cpu: "250m", memory: "1Gi", requests: { "ephemeral-storage": "1Gi" } });
  const q = makePod("q");
  ni.addPod(p);
  ni.addPod(q);
  assert.deepEqual(mirrors(ni), expected(ni));
  assert.equal(ni.podCount, 2);
  const copy = ni.clone();
  assert.deepEqual(mirrors(copy), expected(ni));
  ni.removePod(p);
  assert.deepEqual(mirrors(ni), expected(ni));
  assert.equal(copy.podCount, 2, "a clone has its own copies");
  ni.setNode(makeNode("n", { cpu: "8" }));
  assert.deepEqual(mirrors(ni), expected(ni));
  ni.podsMemo().set("k", 7);
  assert.equal(ni.podsMemo().get("k"), 7);
  assert.equal(ni.clone().podsMemo().get("k"), undefined, "a copy starts without the memo");
  ni.addPod(makePod("r"));
  assert.equal(ni.podsMemo().get("k"), undefined, "changing the pods drops the memo");
  ni.setImageStates(new Map([["docker.io/library/busybox:latest", { size: 1, numNodes: 1 }]]));
  assert.equal(ni.imageCount, 1);
  assert.equal(ni.clone().imageCount, 1);
  ni.clearNode();
  assert.deepEqual(mirrors(ni).flags, [false, 0, 0]);
});
