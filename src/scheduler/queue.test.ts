import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterEvent } from "./framework/interface.ts";
import { newStatus, Code } from "./framework/status.ts";
import { SchedulingQueue } from "./queue.ts";
import { FakeClock, makePod } from "./testutil.ts";

const events = new Map<string, ClusterEvent[]>([
  ["NodeResourcesFit", [{ resource: "Node", action: "Add" }, { resource: "AssignedPod", action: "Delete" }]],
  ["NodeName", [{ resource: "Node", action: "Add" }]],
]);

function setup() {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock, pluginEvents: events });
  return { clock, q };
}

/** Pops `pod` and marks it unschedulable by `plugins`. */
async function failOnce(q: SchedulingQueue, plugins: string[]) {
  const info = (await q.pop())!;
  info.unschedulablePlugins = new Set(plugins);
  q.addUnschedulableIfNotPresent(info, q.schedulingCycle);
  return info;
}

test("activeQ pops by priority, then by arrival", async () => {
  const { clock, q } = setup();
  q.add(makePod("low1", { priority: 0 }));
  clock.step(1);
  q.add(makePod("high", { priority: 10 }));
  clock.step(1);
  q.add(makePod("low2", { priority: 0 }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata.name);
  assert.deepEqual(order, ["high", "low1", "low2"]);
});

test("pop waits for a pod and close releases waiters", async () => {
  const { q } = setup();
  const p = q.pop();
  q.add(makePod("late"));
  assert.equal((await p)!.pod.metadata.name, "late");
  const w = q.pop();
  q.close();
  assert.equal(await w, undefined);
});

test("back-off doubles per attempt from 1 s and caps at 10 s", () => {
  const { q } = setup();
  const info = { pod: makePod("p"), timestamp: 0, initialAttemptTimestamp: 0, attempts: 1, unschedulablePlugins: new Set<string>() };
  const d = [1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration({ ...info, attempts: a }));
  assert.deepEqual(d, [1000, 2000, 4000, 8000, 10000, 10000]);
});

test("unschedulable pods move on relevant events, through backoffQ while backing off", async () => {
  const { clock, q } = setup();
  const pod = makePod("p");
  q.add(pod);
  await failOnce(q, ["NodeResourcesFit"]);
  assert.equal(q.whereIs(pod), "unschedulable");
  assert.equal(q.moveAllToActiveOrBackoffQueue({ resource: "Node", action: "Update" }), 0, "Node Update is not registered by NodeResourcesFit here");
  clock.step(500);
  assert.equal(q.moveAllToActiveOrBackoffQueue({ resource: "Node", action: "Add" }), 1);
  assert.equal(q.whereIs(pod), "backoff");
  clock.step(400);
  q.flushBackoffQCompleted();
  assert.equal(q.whereIs(pod), "backoff");
  clock.step(100);
  q.flushBackoffQCompleted();
  assert.equal(q.whereIs(pod), "active");
  // second failure: 2 s back-off
  await failOnce(q, ["NodeResourcesFit"]);
  clock.step(1500);
  q.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Delete" });
  assert.equal(q.whereIs(pod), "backoff");
  clock.step(500);
  q.flushBackoffQCompleted();
  assert.equal(q.whereIs(pod), "active");
});

test("an event after back-off expiry goes straight to activeQ; irrelevant events do not move", async () => {
  const { clock, q } = setup();
  const a = makePod("a");
  const b = makePod("b");
  q.add(a);
  q.add(b);
  await failOnce(q, ["NodeName"]);
  await failOnce(q, ["NodeResourcesFit"]);
  clock.step(5000);
  q.moveAllToActiveOrBackoffQueue({ resource: "AssignedPod", action: "Delete" });
  assert.equal(q.whereIs(a), "unschedulable");
  assert.equal(q.whereIs(b), "active");
});

test("unschedulable pods are flushed after 5 minutes", async () => {
  const { clock, q } = setup();
  const pod = makePod("p");
  q.add(pod);
  await failOnce(q, ["NodeName"]);
  clock.step(5 * 60_000);
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.whereIs(pod), "unschedulable");
  clock.step(1);
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.whereIs(pod), "active");
});

test("errors and move requests during the cycle go to backoffQ", async () => {
  const { q } = setup();
  const a = makePod("a");
  q.add(a);
  const info = (await q.pop())!;
  q.addUnschedulableIfNotPresent(info, q.schedulingCycle);
  assert.equal(q.whereIs(a), "backoff", "no rejecting plugin = error");
  const b = makePod("b");
  q.add(b);
  const ib = (await q.pop())!;
  q.moveAllToActiveOrBackoffQueue({ resource: "Node", action: "Add" });
  ib.unschedulablePlugins = new Set(["NodeName"]);
  q.addUnschedulableIfNotPresent(ib, q.schedulingCycle);
  assert.equal(q.whereIs(b), "backoff");
  assert.throws(() => q.addUnschedulableIfNotPresent(ib, q.schedulingCycle), /already present/);
});

test("a spec update moves an unschedulable pod; a status-only update does not", async () => {
  const { clock, q } = setup();
  const pod = makePod("p");
  q.add(pod);
  await failOnce(q, ["NodeName"]);
  const statusOnly = { ...pod, status: { conditions: [{ type: "PodScheduled", status: "False" }] } };
  q.update(pod, statusOnly);
  assert.equal(q.whereIs(pod), "unschedulable");
  clock.step(2000);
  q.update(statusOnly, { ...statusOnly, metadata: { ...pod.metadata, labels: { x: "y" } } });
  assert.equal(q.whereIs(pod), "active");
  q.delete(pod);
  assert.equal(q.whereIs(pod), undefined);
});

test("PreEnqueue-gated pods wait until the gate is removed", () => {
  const clock = new FakeClock();
  const q = new SchedulingQueue({
    clock,
    preEnqueue: (p) => (p.spec?.schedulingGates?.length ? newStatus(Code.UnschedulableAndUnresolvable, "gated").withPlugin("SchedulingGates") : undefined),
  });
  const gated = makePod("g", { spec: { schedulingGates: [{ name: "wait" }] } });
  q.add(gated);
  assert.equal(q.whereIs(gated), "unschedulable");
  q.moveAllToActiveOrBackoffQueue({ resource: "*", action: "*" });
  clock.step(10 * 60_000);
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.whereIs(gated), "unschedulable");
  q.update(gated, { ...gated, spec: { ...gated.spec, schedulingGates: [] } });
  assert.equal(q.whereIs(gated), "active");
});

test("nominator tracks nominated pods per node", () => {
  const { q } = setup();
  const p = makePod("p");
  q.addNominatedPod(p, "n1");
  assert.deepEqual(q.nominatedPodsForNode("n1").map((x) => x.metadata.name), ["p"]);
  q.addNominatedPod(p, "n2");
  assert.deepEqual(q.nominatedPodsForNode("n1"), []);
  q.add({ ...p, status: { nominatedNodeName: "n3" } });
  assert.equal(q.nominatedPodsForNode("n3").length, 1);
  q.delete(p);
  assert.equal(q.nominatedPodsForNode("n3").length, 0);
});
