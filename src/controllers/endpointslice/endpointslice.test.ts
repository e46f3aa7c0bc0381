/**
 * EndpointSlice controller: planning unit tests, and the controller against
 * a real in-process apiserver with simulated nodes (conditions, zones, named
 * ports, slice size limit, placeholder, deletion).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { endpointSliceController, newEndpointSliceController } from "./index.ts";
import { planSlices, type EndpointGroup, type SliceEndpoint } from "./plan.ts";

const svcRes = findResource("", "v1", "services")!;
const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;
const slicesRes = findResource("discovery.k8s.io", "v1", "endpointslices")!;

function ep(i: number): SliceEndpoint {
  return { addresses: [`10.0.${i >> 8}.${i & 255}`], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: "Pod", namespace: "d", name: `p${i}`, uid: `u${i}` } };
}

function group(n: number, from = 0): Map<string, EndpointGroup> {
  const ports = [{ name: "http", port: 80, protocol: "TCP" }];
  const endpoints = new Map<string, SliceEndpoint>();
  for (let i = from; i < from + n; i++) endpoints.set(`u${i}`, ep(i));
  return new Map([[JSON.stringify(ports), { ports, endpoints }]]);
}

test("planSlices splits at the limit and keeps endpoints in place", () => {
  const g = group(250);
  const first = planSlices([], g, 100, () => false);
  assert.deepEqual(first.create.map((c) => c.endpoints.length), [100, 100, 50]);
  const existing = first.create.map((c, i) => ({ metadata: { name: `s${i}` }, addressType: "IPv4", ports: c.ports, endpoints: c.endpoints }));
  assert.deepEqual(planSlices(existing, g, 100, () => false), { create: [], update: [], delete: [] });
  const shrunk = group(240, 10);
  const second = planSlices(existing, shrunk, 100, () => false);
  assert.equal(second.create.length, 0);
  assert.deepEqual(second.update.map((u) => [u.slice.metadata.name, u.endpoints.length]), [["s0", 90]]);
  const empty = planSlices(existing, new Map(), 100, () => false);
  assert.equal(empty.delete.length, 3);
  assert.deepEqual(empty.create, [{ ports: [], endpoints: [] }]);
});

function pod(name: string, annotations: Record<string, string> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "web" }, annotations },
    spec: { containers: [{ name: "c", image: "nginx", ports: [{ name: "web", containerPort: 8080 }] }] },
  };
}

async function slicesOf(env: { client: { resource: (r: typeof slicesRes) => { list: (ns: string, o: object) => Promise<{ items: KObject[] }> } } }, svc: string): Promise<KObject[]> {
  return (await env.client.resource(slicesRes).list("default", { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
}

test("endpoint slices follow pods with conditions, zones and ports", async () => {
  const env = await startControllerTestEnv({ endpointslice: endpointSliceController }, { nodes: 1 });
  try {
    await env.client.resource(nodesRes).patch("", "node-0", "merge", { metadata: { labels: { "topology.kubernetes.io/zone": "zone-a" } } });
    const svcs = env.client.resource(svcRes);
    const pods = env.client.resource(podsRes);
    const svc = await svcs.create("default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default", labels: { tier: "front" } },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }] },
    });
    await pods.create("default", pod("ready", { "sim.tskube.io/stop-seconds": "30" }));
    await pods.create("default", pod("slow", { "sim.tskube.io/ready-seconds": "3600" }));
    const [slice]: KObject[] = await eventually("one slice with two endpoints", async () => {
      const s = await slicesOf(env, "web");
      return s.length === 1 && s[0].endpoints?.length === 2 ? s : undefined;
    });
    assert.equal(slice.addressType, "IPv4");
    const meta = slice.metadata;
    assert.ok(meta.name?.startsWith("web-"));
    assert.equal(meta.labels?.["endpointslice.kubernetes.io/managed-by"], "endpointslice-controller.k8s.io");
    assert.equal(meta.labels?.tier, "front");
    assert.deepEqual(meta.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [["Service", svc.metadata.uid, true]]);
    assert.deepEqual(slice.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
    const byName = new Map<string, { conditions: object; zone?: string; nodeName?: string }>(slice.endpoints.map((e: { targetRef: { name: string } }) => [e.targetRef.name, e]));
    assert.deepEqual(byName.get("ready")!.conditions, { ready: true, serving: true, terminating: false });
    assert.deepEqual(byName.get("slow")!.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(byName.get("ready")!.zone, "zone-a");
    assert.equal(byName.get("ready")!.nodeName, "node-0");
    const rv = slice.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await slicesOf(env, "web"))[0].metadata.resourceVersion, rv, "a settled slice is not rewritten");

    await pods.delete("default", "ready");
    await eventually("terminating endpoint", async () => {
      const [s] = await slicesOf(env, "web");
      const e = s?.endpoints?.find((x: { targetRef: { name: string } }) => x.targetRef.name === "ready");
      return e?.conditions.terminating === true && e.conditions.ready === false && e.conditions.serving === true ? s : undefined;
    });

    await svcs.patch("default", "web", "merge", { spec: { ports: [{ name: "http", port: 80, targetPort: 9000, protocol: "UDP" }] } });
    await eventually("port change", async () => {
      const s = await slicesOf(env, "web");
      return s.length === 1 && s[0].ports?.[0]?.port === 9000 && s[0].ports[0].protocol === "UDP" && s[0].endpoints?.length === 2 ? s : undefined;
    });

    await svcs.create("default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nobody", namespace: "default" },
      spec: { selector: { app: "nobody" }, ports: [{ port: 80 }] },
    });
    await eventually("placeholder slice", async () => {
      const s = await slicesOf(env, "nobody");
      return s.length === 1 && !(s[0].endpoints ?? []).length ? s : undefined;
    });
    const own = (await slicesOf(env, "kubernetes")).filter((s) => s.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io");
    assert.equal(own.length, 0, "no slices of this controller for selector-less services (the apiserver keeps the kubernetes one)");

    await svcs.delete("default", "web");
    await eventually("slices deleted with the service", async () => ((await slicesOf(env, "web")).length === 0 ? true : undefined));
  } finally {
    await env.stop();
  }
});

test("slices hold at most maxEndpointsPerSlice endpoints", async () => {
  const env = await startControllerTestEnv({ endpointslice: () => newEndpointSliceController({ maxEndpointsPerSlice: 3 }) }, { nodes: 2 });
  try {
    await env.client.resource(svcRes).create("default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    });
    for (let i = 0; i < 8; i++) await env.client.resource(podsRes).create("default", pod(`p${i}`));
    const slices = await eventually("8 endpoints in 3 slices", async () => {
      const s = await slicesOf(env, "web");
      const n = s.reduce((a, x) => a + (x.endpoints?.length ?? 0), 0);
      return n === 8 && s.length === 3 ? s : undefined;
    });
    assert.ok(slices.every((s) => s.endpoints.length <= 3));
    const uids = slices.flatMap((s) => s.endpoints.map((e: { targetRef: { uid: string } }) => e.targetRef.uid));
    assert.equal(new Set(uids).size, 8);
  } finally {
    await env.stop();
  }
});
