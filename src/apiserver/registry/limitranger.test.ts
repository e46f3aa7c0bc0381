/**
 * LimitRanger admission: defaults from Container items with the
 * limit-ranger annotation, and the min/max/ratio checks per Container and
 * per Pod with upstream's messages; then through a real apiserver.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { ApiError } from "../../client/index.ts";
import { startTestCluster } from "../../client/testserver.ts";
import { StatusError } from "../../machinery/errors.ts";
import type { CacheView } from "./admission.ts";
import { admitPodLimits } from "./limitranger.ts";

const lrInfo = findResource("", "v1", "limitranges")!;

function cacheOf(limits: object[]): CacheView {
  const obj = { metadata: { name: "lr", namespace: "ns" }, spec: { limits } } as KObject;
  const entries = [{ key: `/registry/${lrInfo.storage}/ns/lr`, obj, rev: 1 }];
  return { get: (k: string) => entries.find((e) => e.key === k), list: (_b: string, prefix: string) => entries.filter((e) => e.key.startsWith(prefix)) };
}

const pod = (containers: object[], initContainers?: object[]): KObject => ({ metadata: { name: "p", namespace: "ns" }, spec: { containers, ...(initContainers ? { initContainers } : {}) } }) as KObject;

test("containers without requests or limits get the Container defaults, noted in an annotation", () => {
  const cache = cacheOf([{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }]);
  const p = pod([{ name: "a", resources: { limits: { cpu: "1" }, requests: { cpu: "1" } } }, { name: "b" }]);
  admitPodLimits(cache, lrInfo.storage, p);
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: "1", memory: "256Mi" }, requests: { cpu: "1", memory: "128Mi" } });
  assert.deepEqual(p.spec.containers[1].resources, { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
  assert.equal(
    p.metadata.annotations?.["kubernetes.io/limit-ranger"],
    "LimitRanger plugin set: memory request for container a; memory limit for container a; cpu, memory request for container b; cpu, memory limit for container b",
  );
});

test("min, max and maxLimitRequestRatio per Container and per Pod refuse with upstream's messages", () => {
  const forbidden = (re: RegExp) => (err: unknown) => err instanceof StatusError && err.code === 403 && re.test(err.message);
  const c = (requests: object, limits: object) => ({ name: "c", resources: { requests, limits } });
  const max = cacheOf([{ type: "Container", max: { cpu: "1" } }]);
  assert.throws(() => admitPodLimits(max, lrInfo.storage, pod([c({ cpu: "2" }, { cpu: "2" })])), forbidden(/^pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2$/));
  assert.throws(
    () => admitPodLimits(cacheOf([{ type: "Container", min: { memory: "64Mi" } }]), lrInfo.storage, pod([c({ memory: "32Mi" }, {})])),
    forbidden(/minimum memory usage per Container is 64Mi, but request is 32Mi/),
  );
  assert.throws(
    () => admitPodLimits(cacheOf([{ type: "Container", maxLimitRequestRatio: { cpu: "2" } }]), lrInfo.storage, pod([c({ cpu: "100m" }, { cpu: "1" })])),
    forbidden(/cpu max limit to request ratio per Container is 2, but provided ratio is 10\.000000/),
  );
  const podMax = cacheOf([{ type: "Pod", max: { cpu: "1" } }]);
  assert.throws(
    () => admitPodLimits(podMax, lrInfo.storage, pod([c({ cpu: "600m" }, { cpu: "600m" }), { ...c({ cpu: "600m" }, { cpu: "600m" }), name: "d" }])),
    forbidden(/maximum cpu usage per Pod is 1, but limit is 1200m/),
  );
  admitPodLimits(podMax, lrInfo.storage, pod([c({ cpu: "400m" }, { cpu: "400m" })], [c({ cpu: "1" }, { cpu: "1" })]));
  const two = cacheOf([{ type: "Container", max: { cpu: "1", memory: "1Gi" } }]);
  assert.throws(() => admitPodLimits(two, lrInfo.storage, pod([c({}, { cpu: "2", memory: "2Gi" })])), forbidden(/forbidden: \[maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi\]$/));
});

test("through the apiserver: a LimitRange defaults a pod and refuses one over its max", async () => {
  const tc = await startTestCluster();
  try {
    await tc.client.resource(lrInfo).create("default", { apiVersion: "v1", kind: "LimitRange", metadata: { name: "lr" }, spec: { limits: [{ type: "Container", max: { cpu: "1" }, defaultRequest: { cpu: "250m" } }] } } as KObject);
    const pods = tc.client.resource(findResource("", "v1", "pods")!);
    const p = await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "lim" }, spec: { containers: [{ name: "c", image: "i" }] } } as KObject);
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: "1" }, requests: { cpu: "250m" } }, "default limit from max, request from defaultRequest");
    assert.equal(p.status.qosClass, "Burstable");
    await assert.rejects(
      pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "big" }, spec: { containers: [{ name: "c", image: "i", resources: { limits: { cpu: "2" } } }] } } as KObject),
      (err: unknown) => err instanceof ApiError && err.code === 403 && /maximum cpu usage per Container is 1, but limit is 2/.test(err.message),
    );
  } finally {
    await tc.stop();
  }
});
