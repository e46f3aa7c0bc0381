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

test("kubelet flags: eviction thresholds and image GC thresholds", () => {
  const base = ["--kubeconfig", "k", "--container-runtime-endpoint", "x"];
  const d = parseKubeletFlags(base);
  assert.equal(d.evictionHard, undefined, "defaults come from the kubelet");
  assert.equal(d.imageGCHighThresholdPercent, 85);
  assert.equal(d.imageGCLowThresholdPercent, 80);
  const o = parseKubeletFlags([...base, "--eviction-hard", "memory.available<200Mi, nodefs.available<5%", "--image-gc-high-threshold", "90", "--image-gc-low-threshold", "70"]);
  assert.deepEqual(o.evictionHard, { "memory.available": "200Mi", "nodefs.available": "5%" });
  assert.equal(o.imageGCHighThresholdPercent, 90);
  assert.equal(o.imageGCLowThresholdPercent, 70);
  assert.throws(() => parseKubeletFlags([...base, "--eviction-hard", "memory.free<1Gi"]), /known signal/);
  assert.throws(() => parseKubeletFlags([...base, "--eviction-hard", "memory.available<lots"]), /not a quantity/);
  assert.throws(() => parseKubeletFlags([...base, "--eviction-hard", "nodefs.available<150%"]), /not a quantity or a percentage/);
  assert.throws(() => parseKubeletFlags([...base, "--image-gc-high-threshold", "60"]), /must not exceed/);
});
