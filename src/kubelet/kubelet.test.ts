/**
 * The kubelet against an in-process apiserver with a fake CRI: node
 * registration and Lease, a bound pod becoming Running/Ready with status
 * written to the API, graceful deletion removing containers and then the
 * pod, adoption after a kubelet restart, and static pods with mirror pods.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, unlinkSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { realClock } from "../client/clock.ts";
import { startTestCluster } from "../client/testserver.ts";
import { eventually } from "../controllers/testing.ts";
import { startKubelet } from "./index.ts";
import { FakeCri } from "./testing/fakecri.ts";
import { fakeServices } from "./testing/harness.ts";

const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;
const leasesRes = findResource("coordination.k8s.io", "v1", "leases")!;

test("kubelet with a fake runtime: node, pod lifecycle, deletion, adoption, static pods", async (t) => {
  const tc = await startTestCluster();
  const root = mkdtempSync(join(tmpdir(), "tskube-kubelet-"));
  const cri = new FakeCri(realClock);
  cri.addImage("img:1");
  const services = fakeServices();
  const manifests = join(root, "manifests");
  mkdirSync(manifests);
  const client = tc.newClient();
  const opts = { client, cri, services, nodeName: "n1", nodeIP: "192.0.2.10", rootDir: join(root, "kubelet"), port: 0, healthzPort: 0, bindAddress: "127.0.0.1", clientCAPem: tc.config.ca!, podManifestPath: manifests, relistMs: 100, syncFrequencyMs: 1000 };
  let kubelet = await startKubelet(opts);
  t.after(async () => {
    await kubelet.stop();
    client.close();
    await tc.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const pods = tc.client.resource(podsRes);
  assert.ok(kubelet.ports, "kubelet server started");
  const hz = await fetch(`http://127.0.0.1:${kubelet.ports!.healthzPort}/healthz`);
  assert.equal(hz.status, 200);

  const node = await eventually("node Ready", async () => {
    const n = await tc.client.resource(nodesRes).get("", "n1");
    return n.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True" ? n : undefined;
  });
  assert.equal(node.metadata.labels?.["kubernetes.io/hostname"], "n1");
  assert.equal(node.status.nodeInfo.containerRuntimeVersion, "fake://1.0.0");
  assert.equal(node.status.nodeInfo.kubeletVersion, "v1.31.4+tskube");
  assert.equal(node.status.capacity.pods, "110");
  assert.deepEqual(node.status.addresses[0], { type: "InternalIP", address: "192.0.2.10" });
  assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, kubelet.ports!.port, "reports the port the kubelet API listens on");
  const lease = await tc.client.resource(leasesRes).get("kube-node-lease", "n1");
  assert.equal(lease.spec.holderIdentity, "n1");

  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { nodeName: "n1", terminationGracePeriodSeconds: 7, containers: [{ name: "c", image: "img:1", imagePullPolicy: "IfNotPresent" }] } });
  const running = await eventually("pod Running and Ready", async () => {
    const p = await pods.get("default", "web");
    return p.status?.phase === "Running" && p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? p : undefined;
  });
  assert.match(running.status.podIP, /^10\.88\.0\.\d+$/);
  assert.equal(running.status.hostIP, "192.0.2.10");
  assert.equal(running.status.containerStatuses[0].ready, true);
  assert.equal(kubelet.listPods().length, 1);
  const loc = await kubelet.findContainer("default", "web", undefined);
  assert.equal(loc.containerName, "c");
  assert.match(loc.logPath, /logs\/default_web_.*\/c\/0\.log$/);
  await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "noimage" }, spec: { nodeName: "n1", containers: [{ name: "c", image: "absent:1", imagePullPolicy: "Never" }] } });
  await eventually("noimage waiting", async () => ((await pods.get("default", "noimage")).status?.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImageNeverPull") || undefined);
  await eventually("the kubelet's pod copy has the status", async () => kubelet!.listPods().find((p) => p.metadata.name === "noimage")?.status?.containerStatuses?.[0]?.state?.waiting ? true : undefined);
  await assert.rejects(kubelet.findContainer("default", "noimage", undefined), /container "c" in pod "noimage" is waiting to start: ErrImageNeverPull/);
  await pods.delete("default", "noimage", { gracePeriodSeconds: 0 });

  // Restart: the running container is adopted, not recreated.
  const createsBefore = cri.calls.filter((c) => c.startsWith("CreateContainer")).length;
  await kubelet.stop();
  kubelet = await startKubelet(opts);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(cri.calls.filter((c) => c.startsWith("CreateContainer")).length, createsBefore);
  assert.equal(cri.latest("c")!.state, "CONTAINER_RUNNING");

  // Graceful deletion: containers stopped with the pod's grace period, then the pod is gone.
  await pods.delete("default", "web", {});
  await eventually("pod deleted", async () => {
    try {
      await pods.get("default", "web");
      return undefined;
    } catch {
      return true;
    }
  });
  assert.ok(cri.calls.some((c) => /^StopContainer:c:[67]$/.test(c)), cri.calls.join(","));
  assert.equal([...cri.containers.values()].filter((c) => c.config.metadata.name === "c").length, 0);

  // Static pod from a manifest: runs, gets a mirror pod; removing the file removes both.
  const file = join(manifests, "static.yaml");
  writeFileSync(file, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: st\n  namespace: default\nspec:\n  containers:\n  - name: s\n    image: img:1\n    imagePullPolicy: IfNotPresent\n");
  const mirror = await eventually("mirror pod Running", async () => {
    try {
      const p = await pods.get("default", "st-n1");
      return p.status?.phase === "Running" ? p : undefined;
    } catch {
      return undefined;
    }
  });
  assert.ok(mirror.metadata.annotations?.["kubernetes.io/config.mirror"]);
  assert.equal(mirror.metadata.ownerReferences?.[0]?.kind, "Node");
  assert.equal(cri.latest("s")!.state, "CONTAINER_RUNNING");
  unlinkSync(file);
  await eventually("static pod removed", async () => {
    try {
      await pods.get("default", "st-n1");
      return undefined;
    } catch {
      return cri.instances("s").length === 0 ? true : undefined;
    }
  });
});
