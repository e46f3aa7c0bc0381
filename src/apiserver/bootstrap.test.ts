/**
 * What the apiserver keeps in place: the system namespaces, the system
 * PriorityClasses, and the `kubernetes` Service with its Endpoints and
 * EndpointSlice pointing at the apiserver.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { findResource } from "../api/resources.ts";
import { startTestCluster } from "../client/testserver.ts";

test("the system namespaces, classes and the kubernetes Service's endpoints exist from the start", async () => {
  const tc = await startTestCluster();
  try {
    const c = tc.client;
    const namespaces = (await c.resource(findResource("", "v1", "namespaces")!).list("")).items.map((n) => n.metadata.name).sort();
    assert.deepEqual(namespaces, ["default", "kube-node-lease", "kube-public", "kube-system"]);
    const classes = (await c.resource(findResource("scheduling.k8s.io", "v1", "priorityclasses")!).list("")).items.map((p) => [p.metadata.name, p.value]);
    assert.deepEqual(classes.sort(), [["system-cluster-critical", 2000000000], ["system-node-critical", 2000001000]]);
    const svc = await c.resource(findResource("", "v1", "services")!).get("default", "kubernetes");
    assert.equal(svc.spec.clusterIP, "10.43.0.1");
    const ep = await c.resource(findResource("", "v1", "endpoints")!).get("default", "kubernetes");
    assert.deepEqual(ep.subsets[0].addresses, [{ ip: "127.0.0.1" }]);
    const slice = await c.resource(findResource("discovery.k8s.io", "v1", "endpointslices")!).get("default", "kubernetes");
    assert.equal(slice.metadata.labels?.["kubernetes.io/service-name"], "kubernetes");
    assert.equal(slice.addressType, "IPv4");
    assert.deepEqual(slice.endpoints, [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]);
    assert.deepEqual(slice.ports, [{ name: "https", port: tc.api.port, protocol: "TCP" }]);
  } finally {
    await tc.stop();
  }
});
