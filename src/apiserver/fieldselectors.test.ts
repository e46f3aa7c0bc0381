/**
 * Field selectors through the apiserver, with labels that are converted to
 * other field names: events.k8s.io's regarding.* and reportingController
 * over the stored core Events, and a pod's legacy spec.host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../api/resources.ts";
import type { KObject } from "../api/types.ts";
import { startTestCluster } from "../client/testserver.ts";

test("converted field labels select stored objects", async () => {
  const tc = await startTestCluster();
  try {
    const core = tc.client.resource(findResource("", "v1", "events")!);
    const ev = (name: string, pod: string): KObject =>
      ({ apiVersion: "v1", kind: "Event", metadata: { name }, involvedObject: { kind: "Pod", name: pod, namespace: "default" }, reason: "Started", message: "m", type: "Normal", source: { component: "kubelet" }, reportingComponent: "kubelet", count: 1 }) as KObject;
    await core.create("default", ev("e1", "web"));
    await core.create("default", ev("e2", "db"));
    const events = tc.client.resource(findResource("events.k8s.io", "v1", "events")!);
    const names = async (fieldSelector: string) => (await events.list("default", { fieldSelector })).items.map((e) => e.metadata.name).sort();
    assert.deepEqual(await names("regarding.name=web"), ["e1"]);
    assert.deepEqual(await names("regarding.kind=Pod,reportingController=kubelet"), ["e1", "e2"]);
    assert.deepEqual(await names("regarding.name!=web"), ["e2"]);
    assert.deepEqual((await core.list("default", { fieldSelector: "involvedObject.name=db" })).items.map((e) => e.metadata.name), ["e2"]);
    const pods = tc.client.resource(findResource("", "v1", "pods")!);
    await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { nodeName: "n1", containers: [{ name: "c", image: "i" }] } } as KObject);
    assert.deepEqual((await pods.list("default", { fieldSelector: "spec.host=n1" })).items.map((p) => p.metadata.name), ["p"]);
  } finally {
    await tc.stop();
  }
});
