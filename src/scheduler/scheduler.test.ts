import { test } from "node:test";
import assert from "node:assert/strict";
import type { KObject } from "../api/types.ts";
import { Scheduler } from "./scheduler.ts";
import { FakeClock, makeNode, makePod } from "./testutil.ts";

test("scheduleOne + bind: assumes, binds through the handle binder, confirms", async () => {
  const bound: string[] = [];
  const s = new Scheduler({ handle: { binder: async (pod, node) => void bound.push(`${pod.metadata.name}->${node}`) } });
  s.onNodeAdd(makeNode("n1", { cpu: "1" }));
  s.onPodAdd(makePod("p", { cpu: "500m" }));
  const q = (await s.queue.pop())!;
  const r = s.scheduleOne(q);
  assert.equal(r.kind, "scheduled");
  if (r.kind !== "scheduled") return;
  assert.equal(r.node, "n1");
  assert.ok(s.cache.isAssumedPod(r.pod));
  assert.deepEqual(await s.bind(r), { ok: true });
  assert.deepEqual(bound, ["p->n1"]);
  s.onPodUpdate(q.pod, r.pod);
  assert.equal(s.cache.isAssumedPod(r.pod), false);
  assert.equal(s.queue.stats().inFlight, 0);
});

test("unschedulable pod: message, requeue, and retry after a node is added", async () => {
  const s = new Scheduler();
  s.onNodeAdd(makeNode("small", { cpu: "1" }));
  s.onPodAdd(makePod("p", { cpu: "1500m" }));
  const q = (await s.queue.pop())!;
  const r = s.scheduleOne(q);
  assert.equal(r.kind, "unschedulable");
  if (r.kind !== "unschedulable") return;
  assert.equal(r.message, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..");
  assert.equal(s.queue.whereIs(q.pod), "unschedulable");
  s.onNodeAdd(makeNode("big", { cpu: "2" }));
  assert.equal(s.queue.whereIs(q.pod), "backoff");
});

test("preemption result carries nomination and victims; binding failure requeues", async () => {
  const clock = new FakeClock();
  const s = new Scheduler({ clock, handle: { binder: async () => Promise.reject(new Error("conflict")) } });
  s.onNodeAdd(makeNode("n1", { cpu: "1" }));
  const victim: KObject = makePod("v", { node: "n1", cpu: "1", priority: 0 });
  s.onPodAdd(victim);
  s.onPodAdd(makePod("hi", { cpu: "1", priority: 1000 }));
  const q = (await s.queue.pop())!;
  const r = s.scheduleOne(q);
  assert.equal(r.kind, "unschedulable");
  if (r.kind !== "unschedulable") return;
  assert.equal(r.nominatedNodeName, "n1");
  assert.deepEqual(r.victims.map((v) => v.metadata.name), ["v"]);
  assert.equal(s.queue.nominatedPodsForNode("n1").length, 1);
  s.onPodDelete(victim);
  assert.equal(s.queue.whereIs(q.pod), "backoff");
  clock.step(1000);
  s.queue.flushBackoffQCompleted();
  const q2 = (await s.queue.pop())!;
  const r2 = s.scheduleOne(q2);
  assert.equal(r2.kind, "scheduled");
  if (r2.kind !== "scheduled") return;
  const b = await s.bind(r2);
  assert.equal(b.ok, false);
  assert.equal(s.cache.isAssumedPod(r2.pod), false);
  assert.equal(s.queue.whereIs(q2.pod), "backoff");
});

test("pods for other schedulers are ignored; profiles are chosen by schedulerName", async () => {
  const s = new Scheduler();
  s.onNodeAdd(makeNode("n1"));
  s.onPodAdd(makePod("foreign", { spec: { schedulerName: "someone-else" } }));
  assert.equal(s.queue.stats().active, 0);
  s.onPodAdd(makePod("mine", { spec: { schedulerName: "default-scheduler" } }));
  assert.equal(s.queue.stats().active, 1);
});

test("topology spread stays within maxSkew 1 across cycles (per-node counts follow the pods placed and removed)", async () => {
  const s = new Scheduler({ handle: { binder: async () => {} } });
  for (const n of ["a", "b", "c"]) s.onNodeAdd(makeNode(n, { cpu: "16", pods: "50" }));
  const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } }] };
  const placed: KObject[] = [];
  const perNode = () => {
    const m: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const p of placed) m[p.spec.nodeName]++;
    return m;
  };
  const scheduleNext = async (name: string) => {
    s.onPodAdd(makePod(name, { cpu: "100m", labels: { app: "w" }, spec: spread }));
    const q = (await s.queue.pop())!;
    const r = s.scheduleOne(q);
    assert.equal(r.kind, "scheduled", name);
    if (r.kind !== "scheduled") return;
    await s.bind(r);
    s.onPodUpdate(q.pod, r.pod);
    placed.push(r.pod);
  };
  for (let i = 0; i < 9; i++) {
    await scheduleNext(`w-${i}`);
    const counts = Object.values(perNode());
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `skew after w-${i}: ${JSON.stringify(perNode())}`);
  }
  assert.deepEqual(perNode(), { a: 3, b: 3, c: 3 });
  // Two pods leave node a: the next two must go there.
  for (const p of placed.filter((x) => x.spec.nodeName === "a").slice(0, 2)) {
    s.onPodDelete(p);
    placed.splice(placed.indexOf(p), 1);
  }
  await scheduleNext("w-9");
  await scheduleNext("w-10");
  assert.deepEqual(perNode(), { a: 3, b: 3, c: 3 });
});
