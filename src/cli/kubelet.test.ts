/** `tskube kubelet` flag parsing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseKubeletFlags } from "./kubelet.ts";

test("kubelet flags: defaults, values and errors", () => {
  const o = parseKubeletFlags(["--kubeconfig", "k.yaml", "--container-runtime-endpoint", "unix:///x.sock", "--node-name", "Node1", "--cluster-dns", "10.43.0.10,10.43.0.11", "--port", "0", "--max-pods", "20"]);
  assert.equal(o.nodeName, "node1");
  assert.deepEqual(o.clusterDNS, ["10.43.0.10", "10.43.0.11"]);
  assert.equal(o.port, 0);
  assert.equal(o.healthzPort, 10248);
  assert.equal(o.maxPods, 20);
  assert.equal(o.clusterDomain, "cluster.local");
  assert.throws(() => parseKubeletFlags(["--kubeconfig", "k"]), /--container-runtime-endpoint is required/);
  assert.throws(() => parseKubeletFlags(["--kubeconfig", "k", "--container-runtime-endpoint", "x", "--cluster-dns", "dns"]), /not an IPv4/);
  assert.throws(() => parseKubeletFlags(["--kubeconfig", "k", "--container-runtime-endpoint", "x", "--max-pods", "-3"]), /--max-pods/);
});
