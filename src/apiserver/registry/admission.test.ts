/**
 * Built-in admission: Priority (class lookup, global default, refusals,
 * one default class) and DefaultTolerationSeconds, on a fake cache; then
 * through a real apiserver (system classes, 403s, replace keeps priority).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { ApiError } from "../../client/index.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { StatusError } from "../../machinery/errors.ts";
import { admitCreate, admitUpdate, defaultAdmissionSettings, type CacheView } from "./admission.ts";

const podInfo = findResource("", "v1", "pods")!;
const pcInfo = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;

function cacheOf(classes: KObject[]): CacheView {
  const entries = classes.map((obj) => ({ key: `/registry/${pcInfo.storage}/${obj.metadata.name}`, obj, rev: 1 }));
  return {
    get: (key: string) => entries.find((e) => e.key === key),
    list: (_bucket: string, prefix: string) => entries.filter((e) => e.key.startsWith(prefix)),
  };
}

const pc = (name: string, value: number, extra: Record<string, unknown> = {}): KObject => ({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, ...extra });
const pod = (spec: Record<string, unknown> = {}): KObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i" }], ...spec } });
const forbidden = (re: RegExp) => (err: unknown) => err instanceof StatusError && err.code === 403 && re.test(err.message);

test("pods get priority 0 and PreemptLowerPriority without a class, the class's values with one", () => {
  const cache = cacheOf([pc("high", 1000, { preemptionPolicy: "Never" })]);
  const plain = pod();
  admitCreate(cache, defaultAdmissionSettings, podInfo, plain);
  assert.equal(plain.spec.priority, 0);
  assert.equal(plain.spec.preemptionPolicy, "PreemptLowerPriority");
  assert.equal(plain.spec.priorityClassName, undefined);
  const high = pod({ priorityClassName: "high" });
  admitCreate(cache, defaultAdmissionSettings, podInfo, high);
  assert.deepEqual([high.spec.priority, high.spec.preemptionPolicy], [1000, "Never"]);
  const same = pod({ priorityClassName: "high", priority: 1000 });
  admitCreate(cache, defaultAdmissionSettings, podInfo, same);
  assert.equal(same.spec.priority, 1000);
});

test("the global default class (the lowest, if several) names pods without a class", () => {
  const cache = cacheOf([pc("a", 50, { globalDefault: true }), pc("b", 20, { globalDefault: true }), pc("c", 10)]);
  const p = pod();
  admitCreate(cache, defaultAdmissionSettings, podInfo, p);
  assert.deepEqual([p.spec.priorityClassName, p.spec.priority], ["b", 20]);
});

test("unknown classes and contradicting priorities are forbidden", () => {
  const cache = cacheOf([pc("high", 1000)]);
  assert.throws(() => admitCreate(cache, defaultAdmissionSettings, podInfo, pod({ priorityClassName: "nope" })), forbidden(/^pods "p" is forbidden: no PriorityClass with name nope was found$/));
  assert.throws(
    () => admitCreate(cache, defaultAdmissionSettings, podInfo, pod({ priorityClassName: "high", priority: 5 })),
    forbidden(/the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name/),
  );
  assert.throws(
    () => admitCreate(cache, defaultAdmissionSettings, podInfo, pod({ priority: 7 })),
    forbidden(/the integer value of priority \(7\) must not be provided in pod spec; priority admission controller computed 0/),
  );
  assert.throws(
    () => admitCreate(cache, defaultAdmissionSettings, podInfo, pod({ preemptionPolicy: "Never" })),
    forbidden(/the string value of PreemptionPolicy \(Never\) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority/),
  );
});

test("only one PriorityClass may be the global default", () => {
  const cache = cacheOf([pc("d", 5, { globalDefault: true })]);
  assert.throws(() => admitCreate(cache, defaultAdmissionSettings, pcInfo, pc("e", 6, { globalDefault: true })), forbidden(/PriorityClass d is marked as default. Only one default can exist/));
  admitCreate(cache, defaultAdmissionSettings, pcInfo, pc("f", 6));
  admitUpdate(cache, defaultAdmissionSettings, pcInfo, pc("d", 5, { globalDefault: true }), pc("d", 5, { globalDefault: true }));
  assert.throws(() => admitUpdate(cache, defaultAdmissionSettings, pcInfo, pc("f", 6, { globalDefault: true }), pc("f", 6)), forbidden(/Only one default/));
});

test("not-ready and unreachable NoExecute tolerations are added unless already tolerated", () => {
  const settings = { notReadyTolerationSeconds: 30, unreachableTolerationSeconds: 40 };
  const none = pod();
  admitCreate(cacheOf([]), settings, podInfo, none);
  assert.deepEqual(none.spec.tolerations, [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 40 },
  ]);
  const own = pod({ tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }] });
  admitCreate(cacheOf([]), settings, podInfo, own);
  assert.deepEqual(own.spec.tolerations.map((t: { key: string; tolerationSeconds: number }) => [t.key, t.tolerationSeconds]), [
    ["node.kubernetes.io/unreachable", 5],
    ["node.kubernetes.io/not-ready", 30],
  ]);
  const all = pod({ tolerations: [{ operator: "Exists" }] });
  admitCreate(cacheOf([]), settings, podInfo, all);
  assert.equal(all.spec.tolerations.length, 1, "an empty key and effect tolerates everything");
  const noSchedule = pod({ tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" }] });
  admitCreate(cacheOf([]), settings, podInfo, noSchedule);
  assert.equal(noSchedule.spec.tolerations.length, 3, "a NoSchedule toleration does not cover NoExecute");
});

test("through the apiserver: system classes exist, pods resolve them, a replace keeps what admission set", async () => {
  const tc = await startTestCluster();
  try {
    const classes = tc.client.resource(pcInfo);
    assert.equal((await classes.get("", "system-cluster-critical")).value, 2000000000);
    assert.equal((await classes.get("", "system-node-critical")).value, 2000001000);
    const pods = tc.client.resource(podInfo);
    const created = await pods.create("default", pod({ priorityClassName: "system-cluster-critical" }));
    assert.equal(created.spec.priority, 2000000000);
    assert.equal(created.spec.tolerations.length, 2);
    await assert.rejects(pods.create("default", { ...pod({ priorityClassName: "missing" }), metadata: { name: "q" } }), (err: unknown) => err instanceof ApiError && err.code === 403);
    const replaced = await pods.update("default", { ...pod({ priorityClassName: "system-cluster-critical" }), metadata: { name: "p", resourceVersion: created.metadata.resourceVersion } });
    assert.equal(replaced.spec.priority, 2000000000, "a body without priority keeps the admitted one");
    await classes.create("", pc("default-low", 1, { globalDefault: true }));
    await assert.rejects(classes.create("", pc("default-high", 2, { globalDefault: true })), (err: unknown) => err instanceof ApiError && err.code === 403);
    const gated = await pods.create("default", { ...pod({ schedulingGates: [{ name: "example.com/hold" }] }), metadata: { name: "gated" } });
    assert.equal(gated.status.conditions[0].reason, "SchedulingGated", "create-time status passes validation");
    const defaulted = await pods.create("default", { ...pod(), metadata: { name: "r" } });
    assert.deepEqual([defaulted.spec.priorityClassName, defaulted.spec.priority], ["default-low", 1]);
  } finally {
    await tc.stop();
  }
});
