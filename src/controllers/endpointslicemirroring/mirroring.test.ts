/**
 * EndpointSlice mirroring against an in-process apiserver: the Endpoints of
 * a selector-less Service become labelled, owned slices that follow their
 * changes; skip-mirror, a selector or a missing Service remove them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { eventually, startControllerTestEnv } from "../testing.ts";
import { endpointSliceMirroringController } from "./index.ts";

const servicesRes = findResource("", "v1", "services")!;
const endpointsRes = findResource("", "v1", "endpoints")!;
const slicesRes = findResource("discovery.k8s.io", "v1", "endpointslices")!;

test("a selector-less Service's Endpoints are mirrored into EndpointSlices", async () => {
  const env = await startControllerTestEnv({ endpointslicemirroring: endpointSliceMirroringController }, { nodes: 1, bind: false });
  try {
    const c = env.client;
    const slicesOf = async (svc: string) => (await c.resource(slicesRes).list("default", { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
    await c.resource(servicesRes).create("default", { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { ports: [{ name: "db", port: 5432 }] } } as KObject);
    const ep = await c.resource(endpointsRes).create("default", {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "ext", labels: { team: "db" }, annotations: { note: "by hand" } },
      subsets: [{ addresses: [{ ip: "192.0.2.10", hostname: "db-a" }], notReadyAddresses: [{ ip: "192.0.2.11" }], ports: [{ name: "db", port: 5432, protocol: "TCP" }] }],
    } as KObject);
    const [slice] = await eventually("a mirrored slice", async () => {
      const s = await slicesOf("ext");
      return s.length === 1 ? s : undefined;
    });
    assert.match(slice.metadata.name!, /^ext-[0-9a-f]{5}$/);
    assert.deepEqual(slice.metadata.labels, { team: "db", "kubernetes.io/service-name": "ext", "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io" });
    assert.deepEqual(slice.metadata.annotations, { note: "by hand" });
    assert.deepEqual(slice.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [["Endpoints", ep.metadata.uid, true]]);
    assert.equal(slice.addressType, "IPv4");
    assert.deepEqual(slice.ports, [{ name: "db", port: 5432, protocol: "TCP" }]);
    assert.deepEqual(
      slice.endpoints.map((e: { addresses: string[]; conditions: { ready: boolean }; hostname?: string }) => [e.addresses[0], e.conditions.ready, e.hostname]),
      [["192.0.2.10", true, "db-a"], ["192.0.2.11", false, undefined]],
    );

    ep.subsets = [{ addresses: [{ ip: "192.0.2.12" }], ports: [{ name: "db", port: 5432, protocol: "TCP" }] }];
    await c.resource(endpointsRes).update("default", ep);
    await eventually("the slice follows", async () => {
      const s = await slicesOf("ext");
      return s.length === 1 && s[0].endpoints.length === 1 && s[0].endpoints[0].addresses[0] === "192.0.2.12" ? true : undefined;
    });

    await c.resource(endpointsRes).patch("default", "ext", "merge", { metadata: { labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } } });
    await eventually("skip-mirror removes it", async () => ((await slicesOf("ext")).length === 0 ? true : undefined));
    await c.resource(endpointsRes).patch("default", "ext", "merge", { metadata: { labels: { "endpointslice.kubernetes.io/skip-mirror": null } } });
    await eventually("mirrored again", async () => ((await slicesOf("ext")).length === 1 ? true : undefined));
    await c.resource(servicesRes).patch("default", "ext", "merge", { spec: { selector: { app: "db" } } });
    await eventually("a selector removes it", async () => ((await slicesOf("ext")).length === 0 ? true : undefined));
    assert.equal((await slicesOf("kubernetes")).length, 1, "the apiserver's own slice is left alone");
  } finally {
    await env.stop();
  }
});
