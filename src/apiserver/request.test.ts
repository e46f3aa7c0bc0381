/**
 * Tests for request-info parsing: paths and methods to group, version,
 * namespace, resource, name, subresource and verb.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseRequestInfo } from "./request.ts";

describe("parseRequestInfo", () => {
  it("parses core collection, item and subresource paths", () => {
    const list = parseRequestInfo("GET", "/api/v1/namespaces/ns1/pods", null);
    assert.deepEqual([list.group, list.version, list.namespace, list.resource, list.name, list.verb], ["", "v1", "ns1", "pods", "", "list"]);
    const get = parseRequestInfo("GET", "/api/v1/namespaces/ns1/pods/p1", null);
    assert.equal(get.verb, "get");
    assert.equal(get.name, "p1");
    const status = parseRequestInfo("PUT", "/api/v1/namespaces/ns1/pods/p1/status", null);
    assert.deepEqual([status.subresource, status.verb], ["status", "update"]);
    const all = parseRequestInfo("GET", "/api/v1/pods", "true");
    assert.deepEqual([all.namespace, all.resource, all.verb], ["", "pods", "watch"]);
  });

  it("parses group paths, deletecollection and the legacy watch prefix", () => {
    const dc = parseRequestInfo("DELETE", "/apis/apps/v1/namespaces/x/deployments", null);
    assert.deepEqual([dc.group, dc.version, dc.resource, dc.verb], ["apps", "v1", "deployments", "deletecollection"]);
    const w = parseRequestInfo("GET", "/apis/apps/v1/watch/namespaces/x/deployments/d", null);
    assert.deepEqual([w.verb, w.namespace, w.name], ["watch", "x", "d"]);
    const scale = parseRequestInfo("PATCH", "/apis/apps/v1/namespaces/x/deployments/d/scale", null);
    assert.deepEqual([scale.subresource, scale.verb], ["scale", "patch"]);
  });

  it("treats namespaces themselves as a cluster-scoped resource", () => {
    const ns = parseRequestInfo("GET", "/api/v1/namespaces/kube-system", null);
    assert.deepEqual([ns.resource, ns.name, ns.namespace], ["namespaces", "kube-system", ""]);
    const fin = parseRequestInfo("PUT", "/api/v1/namespaces/kube-system/finalize", null);
    assert.deepEqual([fin.resource, fin.name, fin.subresource], ["namespaces", "kube-system", "finalize"]);
    const st = parseRequestInfo("GET", "/api/v1/namespaces/a/status", null);
    assert.deepEqual([st.resource, st.name, st.subresource], ["namespaces", "a", "status"]);
  });

  it("marks non-resource paths", () => {
    assert.equal(parseRequestInfo("GET", "/version", null).isResourceRequest, false);
    assert.equal(parseRequestInfo("GET", "/apis/apps", null).isResourceRequest, false);
    assert.equal(parseRequestInfo("GET", "/apis/apps/v1", null).isResourceRequest, false);
  });
});
