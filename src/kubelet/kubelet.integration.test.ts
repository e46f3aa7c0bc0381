/**
 * The kubelet against a real containerd and the in-process apiserver: a
 * busybox pod becomes Running and Ready with a pod IP, its log file holds the
 * echoed line, and deleting it stops the container within the grace period
 * and removes the pod from the API. Needs root and the runtime packages;
 * skips otherwise. Cleans up containerd, shims, the bridge, mounts, cgroups
 * and temp dirs even on failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { findResource } from "../api/resources.ts";
import { startTestCluster } from "../client/testserver.ts";
import { eventually } from "../controllers/testing.ts";
import { startContainerd } from "../containerd/index.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE, ensureBuiltinImages } from "../images/index.ts";
import { connectCri } from "./cri/client.ts";
import { startKubelet, type Kubelet } from "./index.ts";
import { cniNames } from "./node.ts";
import { killProcessesMentioning, removeCgroupTree, unmountUnder } from "../machinery/hostcleanup.ts";
import { realContainersSkipReason } from "../containerd/testsupport.ts";

const podsRes = findResource("", "v1", "pods")!;
const nodesRes = findResource("", "v1", "nodes")!;

const skip = realContainersSkipReason();

test("kubelet runs a busybox pod on containerd and deletes it gracefully", { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync("/tmp/tskube-kl-");
  const nodeName = `kl-int-${process.pid}`;
  const cgroupRoot = `/tskube-test-${process.pid}`;
  const { bridge } = cniNames(nodeName);
  const tc = await startTestCluster();
  const client = tc.newClient();
  let kubelet: Kubelet | undefined;
  let stopContainerd: (() => Promise<void>) | undefined;
  let endpoint = "";
  t.after(async () => {
    await kubelet?.stop().catch(() => undefined);
    if (endpoint) {
      const cri = connectCri(endpoint);
      try {
        for (const p of (await cri.runtime.ListPodSandbox({}, 10_000)).items ?? []) {
          await cri.runtime.StopPodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => undefined);
          await cri.runtime.RemovePodSandbox({ pod_sandbox_id: p.id }, 20_000).catch(() => undefined);
        }
      } catch {
        /* containerd gone */
      }
      cri.close();
    }
    await stopContainerd?.().catch(() => undefined);
    killProcessesMentioning(dir);
    unmountUnder(dir);
    spawnSync("ip", ["link", "del", bridge]);
    await removeCgroupTree(cgroupRoot);
    client.close();
    await tc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cniConfDir = join(dir, "cni");
  const ctrd = await startContainerd({ dataDir: dir, sandboxImage: PAUSE_IMAGE, cniConfDir });
  stopContainerd = () => ctrd.stop();
  endpoint = ctrd.endpoint;
  await ensureBuiltinImages(endpoint, { cacheDir: join(dir, "images") });

  kubelet = await startKubelet({
    client,
    criEndpoint: endpoint,
    nodeName,
    nodeIP: "127.0.0.1",
    rootDir: join(dir, "kubelet"),
    cniConfDir,
    cgroupRoot,
    port: -1,
    nodeStatusMs: 1000,
  });
  // Stand in for the nodeipam controller.
  await client.resource(nodesRes).patch("", nodeName, "merge", { spec: { podCIDR: "10.88.91.0/24", podCIDRs: ["10.88.91.0/24"] } });
  await eventually(
    "node Ready",
    async () => ((await client.resource(nodesRes).get("", nodeName)).status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True") || undefined,
    20_000,
  );

  const pods = client.resource(podsRes);
  await pods.create("default", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "bb" },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: "bb", image: BUSYBOX_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", "trap 'exit 0' TERM; echo hello-from-tskube-pod; cat /etc/hosts; while true; do sleep 1; done"] }],
    },
  });
  const running = await eventually(
    "pod Running and Ready",
    async () => {
      const p = await pods.get("default", "bb");
      return p.status?.phase === "Running" && p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? p : undefined;
    },
    30_000,
  );
  assert.match(running.status.podIP, /^10\.88\.91\.\d+$/);
  assert.match(running.status.containerStatuses[0].containerID, /^containerd:\/\//);
  const loc = await kubelet.findContainer("default", "bb", undefined);
  const logLine = await eventually("log line", () => {
    try {
      return /stdout F hello-from-tskube-pod/.test(readFileSync(loc.logPath, "utf8")) || undefined;
    } catch {
      return undefined;
    }
  });
  assert.ok(logLine);
  assert.match(readFileSync(loc.logPath, "utf8"), new RegExp(`stdout F ${running.status.podIP.replace(/\./g, "\\.")}\\s+bb`), "the kubelet's /etc/hosts is mounted");

  const t0 = Date.now();
  await pods.delete("default", "bb", {});
  await eventually(
    "pod gone from the API",
    async () => {
      try {
        await pods.get("default", "bb");
        return undefined;
      } catch {
        return true;
      }
    },
    15_000,
  );
  assert.ok(Date.now() - t0 < 8000, `deleted within the grace period (+slack), took ${Date.now() - t0} ms`);
  const cri = connectCri(endpoint);
  try {
    assert.equal(((await cri.runtime.ListContainers({})).containers ?? []).length, 0);
    assert.equal(((await cri.runtime.ListPodSandbox({})).items ?? []).length, 0);
  } finally {
    cri.close();
  }
});
