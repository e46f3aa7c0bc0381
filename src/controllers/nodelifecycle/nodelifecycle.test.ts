/**
 * Node lifecycle: taint and toleration rules, and the controller against a
 * real in-process apiserver (a silent node goes Unknown and tainted, its
 * pods are evicted after their tolerationSeconds, a recovering node loses
 * the taint).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound } from "../../client/index.ts";
import { Simulator, simNodeSpecs } from "../../simnodes/simulator.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { nodeLifecycleController } from "./index.ts";
import { desiredManagedTaints, effectiveTolerations, evictionTime, reconcileTaints, taintUnreachable, type Taint } from "./taints.ts";

const nodesRes = findResource("", "v1", "nodes")!;
const podsRes = findResource("", "v1", "pods")!;

test("taints follow conditions; tolerations decide eviction time", () => {
  const node = (ready: string, extra: object = {}): KObject => ({ metadata: { name: "n" }, spec: extra, status: { conditions: [{ type: "Ready", status: ready }] } });
  assert.deepEqual([...desiredManagedTaints(node("Unknown"))].sort(), [`${taintUnreachable}:NoExecute`, `${taintUnreachable}:NoSchedule`]);
  assert.deepEqual([...desiredManagedTaints(node("False", { unschedulable: true }))].sort(), [
    "node.kubernetes.io/not-ready:NoExecute",
    "node.kubernetes.io/not-ready:NoSchedule",
    "node.kubernetes.io/unschedulable:NoSchedule",
  ]);
  const user: Taint = { key: "dedicated", value: "x", effect: "NoExecute" };
  assert.equal(reconcileTaints([user], new Set(), "t"), undefined);
  assert.deepEqual(reconcileTaints([user], new Set([`${taintUnreachable}:NoExecute`]), "t"), [user, { key: taintUnreachable, effect: "NoExecute", timeAdded: "t" }]);
  assert.deepEqual(reconcileTaints([user, { key: taintUnreachable, effect: "NoExecute" }], new Set(), "t"), [user]);

  const unreachable: Taint = { key: taintUnreachable, effect: "NoExecute" };
  const since = (): number => 1000;
  const plain: KObject = { metadata: {}, spec: {} };
  assert.equal(evictionTime([unreachable], effectiveTolerations(plain, 300), since), 301_000);
  assert.equal(evictionTime([unreachable, user], effectiveTolerations(plain, 300), since), "now");
  const forever: KObject = { metadata: {}, spec: { tolerations: [{ operator: "Exists" }] } };
  assert.equal(evictionTime([unreachable, user], effectiveTolerations(forever, 300), since), undefined);
  const short: KObject = { metadata: {}, spec: { tolerations: [{ key: taintUnreachable, operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }] } };
  assert.equal(evictionTime([unreachable], effectiveTolerations(short, 300), since), 6000);
});

function pod(name: string, node: string, tolerations?: object[]): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: node, containers: [{ name: "c", image: "nginx" }], tolerations },
  };
}

test("a silent node goes Unknown, is tainted, its pods are evicted, and it recovers", async () => {
  const env = await startControllerTestEnv(
    { nodelifecycle: nodeLifecycleController },
    { nodes: 1, bind: false, settings: { nodeMonitorGracePeriodMs: 2000 }, admission: { notReadyTolerationSeconds: 1, unreachableTolerationSeconds: 1 } },
  );
  const spec = simNodeSpecs({ count: 1, namePrefix: "flaky-", cpu: "4", memory: "16Gi", pods: 110, labels: {}, taints: [] });
  let flaky = new Simulator({ client: env.tc.newClient(), nodes: spec, heartbeatMs: 500 });
  try {
    await flaky.start();
    const pods = env.client.resource(podsRes);
    const nodes = env.client.resource(nodesRes);
    await pods.create("default", pod("plain", "flaky-0"));
    await pods.create("default", pod("tolerant", "flaky-0", [{ key: taintUnreachable, operator: "Exists", effect: "NoExecute" }]));
    await pods.create("default", pod("healthy", "node-0"));
    await eventually("pods running", async () => {
      const l = (await pods.list("default")).items;
      return l.filter((p) => p.status?.podIP).length === 3 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(conditionOf(await nodes.get("", "flaky-0"), "Ready"), "True", "a heartbeating node stays Ready");

    await flaky.stop();
    const stale = await eventually("node Unknown and tainted", async () => {
      const n = await nodes.get("", "flaky-0");
      return conditionOf(n, "Ready") === "Unknown" && (n.spec?.taints ?? []).some((t: Taint) => t.key === taintUnreachable && t.effect === "NoExecute") ? n : undefined;
    });
    const taintSeenAt = Date.now();
    const ready = stale.status.conditions.find((c: { type: string }) => c.type === "Ready");
    assert.equal(ready.reason, "NodeStatusUnknown");
    assert.equal(ready.message, "Kubelet stopped posting node status.");
    assert.equal(conditionOf(stale, "MemoryPressure"), "Unknown");
    assert.ok(stale.spec.taints.some((t: Taint) => t.key === taintUnreachable && t.effect === "NoSchedule"));

    await eventually("plain pod evicted", async () => {
      try {
        return (await pods.get("default", "plain")).metadata.deletionTimestamp ? true : undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    });
    assert.ok(Date.now() - taintSeenAt >= 600, "eviction waited for tolerationSeconds");
    const tolerant = await pods.get("default", "tolerant");
    assert.equal(tolerant.metadata.deletionTimestamp, undefined, "a pod tolerating forever stays");
    assert.equal(conditionOf(tolerant, "Ready"), "False", "pods of an unreachable node are marked not ready");
    const notReady = await eventually("NodeNotReady event for the pod", async () =>
      (await env.client.resource(findResource("", "v1", "events")!).list("default")).items.find((e) => e.involvedObject?.name === "tolerant" && e.reason === "NodeNotReady"),
    );
    assert.deepEqual([notReady.type, notReady.message], ["Warning", "Node is not ready"]);
    const healthy = await pods.get("default", "healthy");
    assert.equal(healthy.metadata.deletionTimestamp, undefined);
    assert.equal(conditionOf(await nodes.get("", "node-0"), "Ready"), "True");

    flaky = new Simulator({ client: env.tc.newClient(), nodes: spec, heartbeatMs: 500 });
    await flaky.start();
    await eventually("node recovers without taints", async () => {
      const n = await nodes.get("", "flaky-0");
      return conditionOf(n, "Ready") === "True" && !(n.spec?.taints ?? []).length ? n : undefined;
    });
  } finally {
    await flaky.stop();
    await env.stop();
  }
});

function conditionOf(o: KObject, type: string): string | undefined {
  return (o.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;
}
